//! The sign-in pieces of the command line (`signin`, `signout`, `whoami`, the token source for
//! Graph commands, preflight for `run`) as library functions the CLI wires into clap.

use super::browser::{Browser, HeadlessBrowser, SystemBrowser};
use super::config::{AuthConfig, DEFAULT_CLIENT_ID, DEFAULT_TENANT, PUBLIC_LOGIN_ROOT};
use super::device::DeviceProgress;
use super::error::AuthError;
use super::interactive::BrowserReporter;
use super::preflight::{Identity, PreflightError, preflight};
use super::scopes::scopes_for_steps;
use super::session::{AuthSession, DeviceReporter, Interaction};
use super::store::{KeyringStore, SecretStore};
use hb_graph::{GraphClient, GraphConfig, StaticToken, TokenSource};
use hb_lab::{Secret, Step, Upn};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable that supplies a ready access token and skips sign-in.
pub const ACCESS_TOKEN_ENV: &str = "HELLO_BOOTSTRAP_ACCESS_TOKEN";

/// Exit code: done.
pub const EXIT_OK: i32 = 0;
/// Exit code: sign-in or Graph failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: bad options.
pub const EXIT_USAGE: i32 = 2;

/// Where to find Microsoft's cloud and who we are there (`--graph-url`, `--login-url`,
/// `--tenant`, `--client-id`, `--device-code`); Microsoft's public endpoints where `None`.
#[derive(Clone, Debug, Default)]
pub struct RealOptions {
    /// Graph root without a version; Microsoft Graph when `None`.
    pub graph_url: Option<String>,
    pub login_url: Option<String>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    /// Sign in with the device code flow instead of this machine's browser.
    pub device_code: bool,
}

/// Which credential store keeps the refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// Windows Credential Manager / Secret Service.
    Os,
    /// A per-process in-memory store (demo mode).
    InMemory,
    /// keyring-core's default store under this service name (tests install the mock store).
    Default {
        /// The keyring service name, unique per test.
        service: String,
    },
}

/// Which browser shows the sign-in page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowserChoice {
    /// The person's default browser.
    System,
    /// The headless browser signing in as `login_hint` (demo mode, tests).
    Headless,
    /// A browser the caller brings: one that opens the URL its own way (a test's browser that
    /// loads the page and never signs in, another launcher). It only opens URLs; the HTTP to
    /// the identity platform stays ours.
    Given(GivenBrowser),
}

/// A caller's [`Browser`] inside [`BrowserChoice`]; two are equal when they are the same one.
#[derive(Clone)]
pub struct GivenBrowser(pub Arc<dyn Browser>);

impl std::fmt::Debug for GivenBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenBrowser")
    }
}

impl PartialEq for GivenBrowser {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for GivenBrowser {}

/// Who shows a sign-in's waits instead of the terminal: the wizard's Welcome page shows
/// "Waiting for the browser…" and a device code with their countdowns.
#[derive(Clone, Default)]
pub struct SignInReporters {
    /// Told when a browser sign-in starts and stops waiting.
    pub browser: Option<BrowserReporter>,
    /// Told the device code and the polling progress (else they go to stderr).
    pub device: Option<DeviceReporter>,
}

/// The sign-in options shared by every command.
#[derive(Clone, Debug)]
pub struct AuthOptions {
    /// `--login-url`: the identity platform root.
    pub login_url: String,
    /// `--graph-url`: Graph's root without a version.
    pub graph_url: String,
    /// `--tenant`: id, domain or `organizations`.
    pub tenant: String,
    /// `--client-id`: the public client app.
    pub client_id: String,
    /// `--device-code`: sign in on another device instead of this machine's browser.
    pub device_code: bool,
    /// Suggests the account on the sign-in page (and is the account the headless browser picks).
    pub login_hint: Option<Upn>,
    /// Which browser shows the sign-in page.
    pub browser: BrowserChoice,
    /// Where the refresh token is kept.
    pub store: StoreChoice,
}

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions {
            login_url: PUBLIC_LOGIN_ROOT.into(),
            graph_url: GraphConfig::PUBLIC_ROOT.into(),
            tenant: DEFAULT_TENANT.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            device_code: false,
            login_hint: None,
            browser: BrowserChoice::System,
            store: StoreChoice::Os,
        }
    }
}

impl AuthOptions {
    /// Demo mode against the emulator: signs in as `admin` through the emulator's endpoints with
    /// the headless browser, keeping the refresh token in memory.
    pub fn demo(login_url: &str, graph_url: &str, tenant: &str, admin: Upn) -> AuthOptions {
        AuthOptions {
            login_url: login_url.into(),
            graph_url: graph_url.into(),
            tenant: tenant.into(),
            login_hint: Some(admin),
            browser: BrowserChoice::Headless,
            store: StoreChoice::InMemory,
            ..AuthOptions::default()
        }
    }

    /// The options of a real tenant from the lab's `--graph-url/--login-url/--tenant/--client-id`.
    pub fn from_real(real: &RealOptions, device_code: bool) -> AuthOptions {
        let defaults = AuthOptions::default();
        AuthOptions {
            login_url: real.login_url.clone().unwrap_or(defaults.login_url),
            graph_url: real.graph_url.clone().unwrap_or(defaults.graph_url),
            tenant: real.tenant.clone().unwrap_or(defaults.tenant),
            client_id: real.client_id.clone().unwrap_or(defaults.client_id),
            device_code,
            ..AuthOptions::default()
        }
    }

    /// The session these options describe, asking for the permissions of `steps`.
    pub fn session(&self, steps: &[Step]) -> Result<AuthSession, AuthError> {
        self.session_reporting(steps, None)
    }

    /// [`AuthOptions::session`] whose device code prompt goes to `device` instead of stderr.
    pub fn session_reporting(
        &self,
        steps: &[Step],
        device: Option<DeviceReporter>,
    ) -> Result<AuthSession, AuthError> {
        self.session_for_scopes(scopes_for_steps(steps), device)
    }

    /// The session these options describe, asking for exactly `graph_scopes`: help-desk work
    /// asks for its own few permissions, none of the lab's, so an Authentication Administrator
    /// can sign in for it. A device code prompt goes to `device` when given, else to stderr.
    pub fn session_for_scopes(
        &self,
        graph_scopes: Vec<&'static str>,
        device: Option<DeviceReporter>,
    ) -> Result<AuthSession, AuthError> {
        let config = AuthConfig::new(&self.login_url, &self.tenant, &self.client_id)?;
        let store: Arc<dyn SecretStore> = match &self.store {
            StoreChoice::Os => Arc::new(KeyringStore::platform()?),
            StoreChoice::InMemory => Arc::new(KeyringStore::in_memory()),
            StoreChoice::Default { service } => Arc::new(KeyringStore::default_store(service)?),
        };
        let interaction = if self.device_code {
            Interaction::DeviceCode(device.unwrap_or_else(|| {
                let told_waiting = AtomicBool::new(false);
                Arc::new(move |p| print_device_progress(p, &told_waiting))
            }))
        } else {
            let browser: Arc<dyn Browser> = match &self.browser {
                BrowserChoice::System => Arc::new(SystemBrowser),
                BrowserChoice::Headless => Arc::new(HeadlessBrowser::new(self.login_hint.clone())?),
                BrowserChoice::Given(given) => given.0.clone(),
            };
            Interaction::Browser(browser)
        };
        Ok(AuthSession::new(config, store, interaction, graph_scopes)?
            .with_login_hint(self.login_hint.clone()))
    }
}

/// Shows the device code instructions and progress on stderr.
fn print_device_progress(progress: DeviceProgress, told_waiting: &AtomicBool) {
    match progress {
        DeviceProgress::Prompt(p) => {
            eprintln!("{}", p.message);
            eprintln!(
                "(The code is valid for {} minutes.)",
                p.expires_in.as_secs() / 60
            );
        }
        DeviceProgress::Waiting { .. } => {
            if !told_waiting.swap(true, Ordering::Relaxed) {
                eprintln!("Waiting for the sign-in to be approved on the other device…");
            }
        }
        DeviceProgress::SlowedDown { interval } => eprintln!(
            "Still waiting for the sign-in to be approved (checking every {} s).",
            interval.as_secs()
        ),
    }
}

/// The tokens for Graph commands and, when we signed in ourselves, the session behind them.
#[derive(Clone)]
pub struct SignedIn {
    /// What the Graph client asks for bearer tokens.
    pub tokens: Arc<dyn TokenSource>,
    /// The sign-in behind `tokens`, unless they came from the environment.
    pub session: Option<Arc<AuthSession>>,
}

impl SignedIn {
    /// The Graph client at `graph_url` using these tokens.
    pub fn graph(&self, graph_url: &str) -> Result<GraphClient, hb_graph::GraphError> {
        GraphClient::new(GraphConfig::from_root(graph_url)?, self.tokens.clone())
    }

    /// Checks identity, roles, permissions and licences for `steps` before `run` changes
    /// anything. Signs in first if needed; sends only GET requests.
    pub async fn preflight(
        &self,
        graph: &GraphClient,
        steps: &[Step],
    ) -> Result<Identity, PreflightError> {
        let scopes = match &self.session {
            Some(session) => {
                session.token().await.map_err(|e| {
                    PreflightError::Graph(hb_graph::GraphError::Auth(e.to_string()))
                })?;
                Some(session.granted_scopes().await)
            }
            None => None,
        };
        let identity = preflight(graph, scopes, steps).await?;
        if let Some(session) = &self.session
            && let Err(e) = session
                .remember_account(identity.account.as_str(), identity.tenant_id.as_str())
                .await
        {
            tracing::warn!(error = %e, "could not update the saved sign-in");
        }
        Ok(identity)
    }
}

/// The token source for Graph commands: `HELLO_BOOTSTRAP_ACCESS_TOKEN` if set, else the saved
/// sign-in, else an interactive sign-in on first use.
pub fn token_source(opts: &AuthOptions, steps: &[Step]) -> Result<SignedIn, AuthError> {
    token_source_reporting(opts, steps, SignInReporters::default())
}

/// [`token_source`] whose interactive sign-in reports its waits to `reporters`, so the wizard can
/// show "Waiting for the browser…" or the device code, with a countdown and Cancel.
pub fn token_source_reporting(
    opts: &AuthOptions,
    steps: &[Step],
    reporters: SignInReporters,
) -> Result<SignedIn, AuthError> {
    token_source_for_scopes(opts, scopes_for_steps(steps), reporters)
}

/// [`token_source_reporting`] asking for exactly `graph_scopes` (help-desk work).
pub fn token_source_for_scopes(
    opts: &AuthOptions,
    graph_scopes: Vec<&'static str>,
    reporters: SignInReporters,
) -> Result<SignedIn, AuthError> {
    if let Ok(token) = std::env::var(ACCESS_TOKEN_ENV)
        && !token.trim().is_empty()
    {
        return Ok(SignedIn {
            tokens: Arc::new(StaticToken(Secret::new(token.trim()))),
            session: None,
        });
    }
    let mut session = opts.session_for_scopes(graph_scopes, reporters.device)?;
    if let Some(progress) = reporters.browser {
        session = session.with_browser_progress(progress);
    }
    let session = Arc::new(session);
    Ok(SignedIn {
        tokens: session.clone(),
        session: Some(session),
    })
}

/// `signin`: signs in interactively (browser, or device code with `--device-code`) for every
/// step's permissions and saves the refresh token in the credential store.
pub async fn signin(opts: &AuthOptions) -> i32 {
    let session = match opts.session(&Step::ALL) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(&e.to_string(), usage_or_failed(&e)),
    };
    if !opts.device_code && opts.browser == BrowserChoice::System {
        eprintln!(
            "Opening your browser to sign in… Waiting for the browser (Ctrl+C cancels; it gives up after 5 minutes; no browser on this machine? use --device-code)"
        );
    }
    if let Err(e) = session.sign_in().await {
        return fail(&e.to_string(), EXIT_FAILED);
    }
    let signed_in = SignedIn {
        tokens: session.clone(),
        session: Some(session),
    };
    match identity(&signed_in, opts).await {
        Ok(id) => {
            eprintln!(
                "Signed in as {} to {} ({}).",
                id.account, id.tenant_name, id.tenant_id
            );
            EXIT_OK
        }
        Err(e) => fail(
            &format!("signed in, but cannot read the account: {e}"),
            EXIT_FAILED,
        ),
    }
}

/// `signout`: removes the saved sign-in from the credential store.
pub async fn signout(opts: &AuthOptions) -> i32 {
    let session = match opts.session(&Step::ALL) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string(), usage_or_failed(&e)),
    };
    match session.sign_out().await {
        Ok(()) => {
            eprintln!("Signed out: the saved sign-in was removed from the credential store.");
            EXIT_OK
        }
        Err(e) => fail(&e.to_string(), EXIT_FAILED),
    }
}

/// `whoami [--json]` on stdout.
pub async fn whoami(opts: &AuthOptions, json: bool) -> i32 {
    let mut out = std::io::stdout();
    whoami_to(opts, json, &mut out).await
}

/// `whoami` writing to `out`: account, tenant, directory roles and granted permissions.
pub async fn whoami_to(opts: &AuthOptions, json: bool, out: &mut (dyn Write + Send)) -> i32 {
    let signed_in = match token_source(opts, &Step::ALL) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string(), usage_or_failed(&e)),
    };
    let id = match identity(&signed_in, opts).await {
        Ok(id) => id,
        Err(e) => return fail(&e, EXIT_FAILED),
    };
    let written = if json {
        serde_json::to_string_pretty(&id)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(out, "{text}"))
    } else {
        write_identity(out, &id)
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) => fail(&format!("cannot write the output: {e}"), EXIT_FAILED),
    }
}

fn write_identity(out: &mut (dyn Write + Send), id: &Identity) -> std::io::Result<()> {
    writeln!(out, "Account: {} ({})", id.account, id.display_name)?;
    writeln!(out, "Tenant:  {} ({})", id.tenant_name, id.tenant_id)?;
    let roles = if id.roles.is_empty() {
        "no directory role".to_string()
    } else {
        id.roles.join(", ")
    };
    writeln!(out, "Roles:   {roles}")?;
    match &id.scopes {
        Some(s) => writeln!(out, "Scopes:  {}", s.join(" ")),
        None => writeln!(out, "Scopes:  unknown (token from {ACCESS_TOKEN_ENV})"),
    }
}

async fn identity(signed_in: &SignedIn, opts: &AuthOptions) -> Result<Identity, String> {
    let graph = signed_in
        .graph(&opts.graph_url)
        .map_err(|e| e.to_string())?;
    signed_in
        .preflight(&graph, &[])
        .await
        .map_err(|e| e.to_string())
}

fn usage_or_failed(e: &AuthError) -> i32 {
    match e {
        AuthError::Config(_) => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

fn fail(message: &str, code: i32) -> i32 {
    eprintln!("error: {message}");
    code
}
