//! The environment a lab runs in: the Graph client, the Hyper-V host and the session file, for a
//! real tenant or for the demo (in-process emulator and emulated host). The CLI and the wizard
//! both start here, so both run the very same code paths.

use hb_auth::cli::{AuthOptions, SignInReporters};
use hb_auth::device::DeviceProgress;
use hb_auth::interactive::{BrowserProgress, BrowserReporter};
use hb_auth::session::{AuthSession, DeviceReporter};
use hb_emulator::EmulatorHandle;
use hb_graph::{GraphClient, GraphConfig, TokenSource};
use hb_host::HyperVHost;
use hb_lab::session::{Backend, BackendInfo, ConnectAttempt, WaitCode};
use hb_lab::session_file::{SessionFile, SessionKind};
use hb_lab::{Secret, Step, StepOptions, Upn, paths};
use hb_steps::StepContext;
use hb_steps::backend::ControllerBackend;
use std::sync::Arc;
use tokio::sync::Mutex;

pub use hb_auth::cli::{ACCESS_TOKEN_ENV, RealOptions};

/// Everything a step needs, shared by all jobs of one run.
pub struct LabEnv {
    pub kind: SessionKind,
    pub graph: Option<Arc<GraphClient>>,
    pub host: Option<Arc<dyn HyperVHost>>,
    pub session: Arc<Mutex<SessionFile>>,
    /// Shown in the top bar and reports.
    pub tenant_name: String,
    /// The signed-in account, for the top bar.
    pub account: String,
    /// The sign-in behind the Graph client (absent with a token from the environment), for
    /// preflight checks before changes.
    pub auth: Option<hb_auth::cli::SignedIn>,
    /// Keeps the in-process emulator alive in demo mode.
    pub keepalive: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// Why an environment could not be set up; `is_usage` errors exit with code 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct EnvError {
    pub message: String,
    pub is_usage: bool,
}

impl EnvError {
    pub fn usage(message: impl Into<String>) -> Self {
        EnvError {
            message: message.into(),
            is_usage: true,
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        EnvError {
            message: message.into(),
            is_usage: false,
        }
    }
}

/// How the demo starts.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// Forget the saved demo tenant, host and session first.
    pub reset: bool,
    /// Latency added to every emulated Graph call, to show progress on stage.
    pub latency_ms: u64,
    /// With a latency range (`--latency MIN..MAX`), the longest delay.
    pub latency_max_ms: u64,
    /// Faults the emulated cloud injects (`--faults`).
    pub faults: Vec<hb_emulator::FaultRule>,
    /// Seed of the injected faults and delays (`--seed`); the demo tenant's ids stay the same.
    pub fault_seed: Option<u64>,
    /// The emulated host's time scale; `None` is the stage pace
    /// ([`hb_host::emulated::DEMO_TIME_SCALE`]), `Some(0.0)` no waits at all (`--fast`).
    pub host_time_scale: Option<f64>,
    /// Replication lags of the emulated cloud (`--device-delay`, `--sign-in-delay`,
    /// `--tap-delay`).
    pub propagation: hb_emulator::Propagation,
}

impl DemoOptions {
    /// The faults and latency in words, for the DEMO badge and the CLI's banner; `None` when the
    /// demo behaves.
    pub fn fault_summary(&self, spec: Option<&str>) -> Option<String> {
        let latency = match (self.latency_ms, self.latency_max_ms) {
            (0, 0) => None,
            (min, max) if max > min => Some(format!("latency {min}..{max} ms")),
            (ms, _) => Some(format!("latency {ms} ms")),
        };
        let faults = (!self.faults.is_empty()).then(|| spec.unwrap_or("custom rules").to_string());
        if faults.is_none() && latency.is_none() {
            return None;
        }
        let seed = self.fault_seed.map(|s| format!("seed {s}"));
        let parts: Vec<String> = [faults, latency, seed].into_iter().flatten().collect();
        Some(parts.join(", "))
    }
}

/// How long the demo waits for one emulated Graph read before trying again, on top of twice the
/// injected latency.
const DEMO_TIMEOUT_MS: u64 = 3_000;

/// Files the demo keeps between runs, in the data and config directories.
pub fn demo_files() -> Vec<std::path::PathBuf> {
    vec![
        paths::demo_tenant_file(),
        paths::demo_host_file(),
        SessionFile::path(SessionKind::Demo),
    ]
}

/// The Hyper-V host of this machine: PowerShell on Windows, none elsewhere (host steps then say
/// they are not applicable).
fn system_host() -> Option<Arc<dyn HyperVHost>> {
    #[cfg(windows)]
    {
        use super::elevation;
        if !elevation::is_elevated() {
            let exe = std::env::current_exe().unwrap_or_default();
            let args: Vec<_> = std::env::args_os().skip(1).collect();
            let command = elevation::command_line(&exe, args.iter().map(|a| a.as_os_str()));
            eprintln!("{}", elevation::rerun_elevated_hint(&command));
        }
        let host =
            hb_host::powershell::PowerShellHost::system().on_restart_needed(Arc::new(|| {
                match elevation::register_resume(Step::HypervFeature.number()) {
                    Ok(command) => eprintln!("{}", elevation::resume_notice(&command)),
                    Err(e) => eprintln!("{e}"),
                }
            }));
        Some(Arc::new(host))
    }
    #[cfg(not(windows))]
    {
        None
    }
}

/// Takes the lab of `kind` for this process's whole run (see [`hb_lab::run_lock`]): a second
/// Hello Bootstrap on the same lab is refused at once, naming the one that holds it.
fn hold_lab(kind: SessionKind) -> Result<hb_lab::run_lock::RunLock, EnvError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = if args.is_empty() {
        "hello-bootstrap (the wizard)".to_string()
    } else {
        format!("hello-bootstrap {}", args.join(" "))
    };
    let lock = hb_lab::run_lock::RunLock::try_acquire(&SessionFile::path(kind), &what)
        .map_err(|e| EnvError::failure(e.to_string()))?;
    if let Some(notice) = lock.notice() {
        eprintln!("note: {notice}");
    }
    Ok(lock)
}

/// The demo's emulated cloud, shared by the wizard's lab and its help-desk mode: one tenant
/// and one writer of its state file, started by whichever connects first and stopped when
/// neither holds it any more.
#[derive(Clone, Default)]
pub struct DemoCloud(Arc<Mutex<std::sync::Weak<EmulatorHandle>>>);

impl DemoCloud {
    /// The running emulated tenant, or a new one started with `options` (forgetting the saved
    /// demo first when they ask for a reset).
    pub async fn get_or_start(
        &self,
        options: &DemoOptions,
    ) -> Result<Arc<EmulatorHandle>, EnvError> {
        let mut slot = self.0.lock().await;
        if let Some(handle) = slot.upgrade() {
            return Ok(handle);
        }
        if options.reset {
            for file in demo_files() {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(EnvError::failure(format!(
                            "cannot reset the demo: {} ({e})",
                            file.display()
                        )));
                    }
                }
            }
        }
        let config = hb_emulator::EmulatorConfig {
            latency_ms: options.latency_ms,
            latency_max_ms: options.latency_max_ms,
            faults: options.faults.clone(),
            fault_seed: options.fault_seed,
            state_file: Some(paths::demo_tenant_file()),
            propagation: options.propagation,
            ..Default::default()
        };
        let handle = Arc::new(
            hb_emulator::Emulator::start(config)
                .await
                .map_err(|e| EnvError::failure(format!("cannot start the demo tenant: {e}")))?,
        );
        *slot = Arc::downgrade(&handle);
        Ok(handle)
    }
}

/// The Graph client settings for the demo's emulated tenant.
pub fn demo_graph_config(
    handle: &EmulatorHandle,
    options: &DemoOptions,
) -> Result<GraphConfig, EnvError> {
    let mut graph_config =
        GraphConfig::from_root(&handle.graph_url).map_err(|e| EnvError::failure(e.to_string()))?;
    // The emulator on loopback answers in milliseconds plus the latency asked for: a call
    // that has not answered in a few seconds never will (a `timeout` fault), so it is
    // retried sooner than a real tenant's would be.
    graph_config.timeout = std::time::Duration::from_millis(
        DEMO_TIMEOUT_MS + options.latency_ms.max(options.latency_max_ms) * 2,
    );
    graph_config.retry_base = std::time::Duration::from_millis(200);
    Ok(graph_config)
}

impl LabEnv {
    /// The demo: the emulator in-process on an ephemeral loopback port with the saved demo tenant,
    /// reached through the same Graph client as a real tenant.
    pub async fn demo(options: DemoOptions) -> Result<LabEnv, EnvError> {
        Self::demo_in(options, &DemoCloud::default()).await
    }

    /// [`LabEnv::demo`] on `cloud`'s emulated tenant, started here if it is not running, so the
    /// wizard's lab and its help-desk mode work on one tenant.
    pub async fn demo_in(options: DemoOptions, cloud: &DemoCloud) -> Result<LabEnv, EnvError> {
        // Taken before the reset: a reset under another run's feet would delete its files.
        let run_lock = hold_lab(SessionKind::Demo)?;
        let handle = cloud.get_or_start(&options).await?;
        let graph_config = demo_graph_config(&handle, &options)?;
        // The demo signs in through the emulator's own authorize and token endpoints, with a
        // headless browser and an in-memory token store: the real sign-in code path.
        let session = demo_auth(&handle)
            .map_err(EnvError::failure)?
            .session(&Step::ALL)
            .map_err(|e| EnvError::failure(format!("cannot sign in to the demo tenant: {e}")))?;
        let session = Arc::new(session);
        let signed_in = hb_auth::cli::SignedIn {
            tokens: session.clone(),
            session: Some(session),
        };
        let graph = GraphClient::new(graph_config, signed_in.tokens.clone())
            .map_err(|e| EnvError::failure(e.to_string()))?;
        let emulator_root = url::Url::parse(&handle.graph_url)
            .map_err(|e| EnvError::failure(format!("the demo tenant's URL: {e}")))?;
        let scale = options
            .host_time_scale
            .unwrap_or(hb_host::emulated::DEMO_TIME_SCALE);
        let host = hb_host::EmulatedHost::demo_paced(emulator_root, scale)
            .map_err(|e| EnvError::failure(format!("cannot start the demo Hyper-V host: {e}")))?;
        let mut session = SessionFile::load(SessionKind::Demo).map_err(EnvError::failure)?;
        if let Some(notice) = &session.notice {
            eprintln!("warning: {notice}");
        }
        if session.lab_user.is_none() {
            session.lab_user = Some(Upn::parse(&handle.lab_user_upn).map_err(EnvError::failure)?);
        }
        Ok(LabEnv {
            kind: SessionKind::Demo,
            graph: Some(Arc::new(graph)),
            host: Some(Arc::new(host)),
            session: Arc::new(Mutex::new(session)),
            tenant_name: handle.tenant_name.clone(),
            account: handle.admin_upn.to_string(),
            auth: Some(signed_in),
            keepalive: vec![Box::new(handle), Box::new(run_lock)],
        })
    }

    /// A real tenant. Tokens come from `tokens` when given, else `HELLO_BOOTSTRAP_ACCESS_TOKEN`,
    /// else the saved sign-in, else an interactive sign-in on first use.
    pub async fn real(
        options: &RealOptions,
        tokens: Option<Arc<dyn TokenSource>>,
    ) -> Result<LabEnv, EnvError> {
        let root = options
            .graph_url
            .as_deref()
            .unwrap_or(GraphConfig::PUBLIC_ROOT);
        let config = GraphConfig::from_root(root).map_err(|e| EnvError::usage(e.to_string()))?;
        let (tokens, auth) = match tokens {
            Some(t) => (t, None),
            None => {
                let auth_options = AuthOptions::from_real(options, options.device_code);
                let signed_in = hb_auth::cli::token_source(&auth_options, &Step::ALL)
                    .map_err(|e| EnvError::usage(format!("cannot sign in: {e}")))?;
                (
                    signed_in.tokens.clone(),
                    signed_in.session.is_some().then_some(signed_in),
                )
            }
        };
        Self::real_env(options, config, tokens, auth)
    }

    /// A real tenant for the wizard: signs in while connecting (so the browser wait belongs to
    /// the Welcome page, not to the first check), reports that wait to `attempt`, and ends it
    /// with [`AuthSession::cancel_sign_in`](hb_auth::session::AuthSession::cancel_sign_in) when
    /// the person presses Cancel.
    pub async fn real_signed_in(
        options: &RealOptions,
        attempt: &ConnectAttempt,
    ) -> Result<LabEnv, EnvError> {
        let auth_options = AuthOptions::from_real(options, options.device_code);
        Self::sign_in_for_wizard(options, &auth_options, attempt).await
    }

    /// [`LabEnv::real_signed_in`] with the sign-in options given (tests pick the browser).
    pub async fn sign_in_for_wizard(
        options: &RealOptions,
        auth_options: &AuthOptions,
        attempt: &ConnectAttempt,
    ) -> Result<LabEnv, EnvError> {
        let root = options
            .graph_url
            .as_deref()
            .unwrap_or(GraphConfig::PUBLIC_ROOT);
        let config = GraphConfig::from_root(root).map_err(|e| EnvError::usage(e.to_string()))?;
        let reporters = wizard_reporters(attempt);
        let signed_in = hb_auth::cli::token_source_reporting(auth_options, &Step::ALL, reporters)
            .map_err(|e| EnvError::usage(format!("cannot sign in: {e}")))?;
        let mut account = String::new();
        if let Some(session) = &signed_in.session {
            sign_in_cancellable(session, attempt).await?;
            attempt.working();
            if let Ok((Some(upn), _)) = session.saved_account().await {
                account = upn;
            }
        }
        let tokens = signed_in.tokens.clone();
        let auth = signed_in.session.is_some().then_some(signed_in);
        let mut env = Self::real_env(options, config, tokens, auth)?;
        env.account = account;
        Ok(env)
    }

    /// The rest of a real environment once the tokens are settled.
    fn real_env(
        options: &RealOptions,
        config: GraphConfig,
        tokens: Arc<dyn TokenSource>,
        auth: Option<hb_auth::cli::SignedIn>,
    ) -> Result<LabEnv, EnvError> {
        let run_lock = hold_lab(SessionKind::Real)?;
        let graph =
            GraphClient::new(config, tokens).map_err(|e| EnvError::failure(e.to_string()))?;
        let session = SessionFile::load(SessionKind::Real).map_err(EnvError::failure)?;
        if let Some(notice) = &session.notice {
            eprintln!("warning: {notice}");
        }
        Ok(LabEnv {
            kind: SessionKind::Real,
            graph: Some(Arc::new(graph)),
            host: system_host(),
            session: Arc::new(Mutex::new(session)),
            tenant_name: options
                .tenant
                .clone()
                .unwrap_or_else(|| "your tenant".into()),
            account: String::new(),
            auth,
            keepalive: vec![Box::new(run_lock)],
        })
    }

    /// The step controllers on this environment, for one job run from the command line.
    pub fn context(&self, options: StepOptions) -> StepContext {
        StepContext::new(
            self.graph.clone(),
            self.host.clone(),
            self.session.clone(),
            self.kind,
            options,
        )
    }

    /// The session's backend: the shipped controllers on this environment.
    pub fn into_backend(self) -> Backend {
        Backend::new(Arc::new(super::revert_roles::RoleCheckedBackend::new(
            ControllerBackend {
                info: BackendInfo {
                    tenant_name: self.tenant_name,
                    account: self.account,
                    kind: self.kind,
                },
                graph: self.graph,
                host: self.host,
                session: self.session,
                keepalive: self.keepalive,
            },
        )))
    }
}

/// The sign-in's waits as the wizard shows them (the browser wait, or the device code with its
/// countdown), reported to `attempt`: the lab's sign-in and help-desk mode's share them.
pub(super) fn wizard_reporters(attempt: &ConnectAttempt) -> SignInReporters {
    let browser: BrowserReporter = {
        let attempt = attempt.clone();
        Arc::new(move |progress| {
            match progress {
            BrowserProgress::Waiting { timeout } => attempt.waiting(
                "Waiting for the browser…",
                "Finish signing in in the browser tab that opened; this page goes on by itself once you have.",
                timeout,
            ),
            BrowserProgress::Finished => attempt.working(),
        }
        })
    };
    let device: DeviceReporter = {
        let attempt = attempt.clone();
        Arc::new(move |progress| {
            // Only the prompt changes the page; polling goes on under the same countdown.
            if let DeviceProgress::Prompt(prompt) = progress {
                attempt.waiting_for_code(
                    "Enter the code on another device",
                    "On a phone or another computer, open the address below, enter the code and sign in as an administrator; this page goes on by itself once you have.",
                    WaitCode {
                        user_code: prompt.user_code,
                        verification_uri: prompt.verification_uri,
                    },
                    prompt.expires_in,
                );
            }
        })
    };
    SignInReporters {
        browser: Some(browser),
        device: Some(device),
    }
}

/// Gets a token now (the saved sign-in, or the browser), ending the browser wait when the person
/// cancels: the wait is told to stop, so its loopback listener closes, and then we stop waiting.
pub(super) async fn sign_in_cancellable(
    session: &AuthSession,
    attempt: &ConnectAttempt,
) -> Result<(), EnvError> {
    let signing_in = session.token();
    tokio::pin!(signing_in);
    let result = tokio::select! {
        result = &mut signing_in => result,
        () = attempt.cancelled() => {
            // A cancel that came before the browser wait began finds nothing to end, so ask again
            // until the sign-in returns, for a short while.
            for _ in 0..20 {
                session.cancel_sign_in();
                if tokio::time::timeout(std::time::Duration::from_millis(200), &mut signing_in)
                    .await
                    .is_ok()
                {
                    break;
                }
            }
            return Err(EnvError::failure("Sign-in was cancelled."));
        }
    };
    result
        .map(|_| ())
        .map_err(|e| EnvError::failure(format!("cannot sign in: {e}")))
}

/// Sign-in options for a running emulator: its demo admin, through its own login endpoints, with
/// the headless browser and an in-memory token store.
pub fn demo_auth(handle: &EmulatorHandle) -> Result<AuthOptions, String> {
    Ok(AuthOptions::demo(
        &handle.login_url,
        &handle.graph_url,
        &handle.tenant_id,
        Upn::parse(&handle.admin_upn)?,
    ))
}

/// The emulator's long-lived admin token as our client's secret type.
pub fn demo_admin_token(handle: &EmulatorHandle) -> Secret {
    Secret::new(handle.access_token().expose())
}
