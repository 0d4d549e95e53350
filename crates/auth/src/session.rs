//! A signed-in session: the access token in memory, the refresh token in the credential store,
//! silent refresh before expiry and after a 401, and one interactive sign-in when the refresh
//! token is dead. This is the [`TokenSource`] the Graph client uses.

use super::browser::Browser;
use super::config::{AuthConfig, http_client};
use super::device::{DeviceProgress, sign_in_with_device_code};
use super::error::AuthError;
use super::grant::{self, TokenGrant};
use super::id_token::{SignedInAccount, check_discovered_issuer, discover_issuer};
use super::interactive::{BrowserReporter, sign_in_with_browser};
use super::store::{CachedSignIn, SecretStore};
use hb_graph::TokenSource;
use hb_lab::{Secret, Upn};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Refresh the access token when it has less than this left (as MSAL does).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Reports device code prompts and progress to whoever shows them.
pub type DeviceReporter = Arc<dyn Fn(DeviceProgress) + Send + Sync>;

/// How a person signs in when no saved sign-in works.
#[derive(Clone)]
pub enum Interaction {
    /// Authorization code + PKCE through a browser (system or headless).
    Browser(Arc<dyn Browser>),
    /// The device code flow, reporting the code through the callback.
    DeviceCode(DeviceReporter),
    /// Never sign in interactively (background jobs): fail with "sign in again".
    Never,
}

#[derive(Default)]
struct State {
    grant: Option<TokenGrant>,
    refresh_token: Option<Secret>,
    account: Option<String>,
    tenant_id: Option<String>,
    scopes: Vec<String>,
    loaded: bool,
    /// How many asked-for permissions the last refresh or sign-in asked for, so a token that
    /// still lacks one (the tenant refused it) is not refreshed again on every call.
    asked_when_issued: usize,
}

/// One account's sign-in against one tenant and app.
pub struct AuthSession {
    config: AuthConfig,
    http: reqwest::Client,
    store: Arc<dyn SecretStore>,
    interaction: Interaction,
    /// Grows when an action starts that needs more ([`AuthSession::require_scopes`]).
    graph_scopes: std::sync::Mutex<Vec<&'static str>>,
    login_hint: Option<Upn>,
    state: tokio::sync::Mutex<State>,
    interactive_sign_ins: AtomicU32,
    browser_progress: Option<BrowserReporter>,
    /// Signalled by [`AuthSession::cancel_sign_in`]; replaced at each browser sign-in so a
    /// cancel meant for an earlier one cannot end the next.
    cancel: std::sync::Mutex<Arc<tokio::sync::Notify>>,
    /// The tenant's discovered issuer, fetched once, on the first id token.
    issuer: tokio::sync::OnceCell<String>,
}

impl AuthSession {
    /// A session asking for `graph_scopes` (short names), keeping its refresh token in `store`.
    pub fn new(
        config: AuthConfig,
        store: Arc<dyn SecretStore>,
        interaction: Interaction,
        graph_scopes: Vec<&'static str>,
    ) -> Result<AuthSession, AuthError> {
        Ok(AuthSession {
            config,
            http: http_client()?,
            store,
            interaction,
            graph_scopes: std::sync::Mutex::new(graph_scopes),
            login_hint: None,
            state: tokio::sync::Mutex::new(State::default()),
            interactive_sign_ins: AtomicU32::new(0),
            browser_progress: None,
            cancel: std::sync::Mutex::new(Arc::new(tokio::sync::Notify::new())),
            issuer: tokio::sync::OnceCell::new(),
        })
    }

    /// Suggests an account to the sign-in page (`login_hint`).
    pub fn with_login_hint(mut self, upn: Option<Upn>) -> Self {
        self.login_hint = upn;
        self
    }

    /// Reports when a browser sign-in waits and stops waiting (for "Waiting for the browser…").
    pub fn with_browser_progress(mut self, progress: BrowserReporter) -> Self {
        self.browser_progress = Some(progress);
        self
    }

    /// Ends a browser or device code sign-in under way with [`AuthError::Cancelled`] (the Cancel
    /// button next to "Waiting for the browser…" or the device code); does nothing when none is
    /// under way.
    pub fn cancel_sign_in(&self) {
        self.cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .notify_one();
    }

    /// The tenant and app this session signs in to.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// How many interactive sign-ins this session has run (a dead refresh token costs one, never more).
    pub fn interactive_sign_ins(&self) -> u32 {
        self.interactive_sign_ins.load(Ordering::SeqCst)
    }

    /// Signs in interactively now, replacing any saved sign-in.
    pub async fn sign_in(&self) -> Result<(), AuthError> {
        let mut state = self.state.lock().await;
        self.interactive(&mut state).await
    }

    /// Removes the saved sign-in from the credential store and forgets the tokens in memory.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let mut state = self.state.lock().await;
        *state = State {
            loaded: true,
            ..State::default()
        };
        let store = self.store.clone();
        let key = self.config.cache_key();
        blocking(move || store.delete(&key)).await
    }

    /// Whether a saved sign-in exists (without using it).
    pub async fn has_saved_sign_in(&self) -> Result<bool, AuthError> {
        let mut state = self.state.lock().await;
        self.load(&mut state).await?;
        Ok(state.refresh_token.is_some() || state.grant.is_some())
    }

    /// The Graph permissions the current token carries (short names); empty before sign-in.
    pub async fn granted_scopes(&self) -> Vec<String> {
        let state = self.state.lock().await;
        match &state.grant {
            Some(g) => g.scopes.clone(),
            None => state.scopes.clone(),
        }
    }

    /// Records who is signed in next to the refresh token (the id token already tells us; this
    /// keeps what `/me` and `/organization` said for a sign-in whose answers carried none).
    pub async fn remember_account(&self, upn: &str, tenant_id: &str) -> Result<(), AuthError> {
        let mut state = self.state.lock().await;
        state.account = Some(upn.to_string());
        state.tenant_id = Some(tenant_id.to_string());
        self.save(&state).await
    }

    /// The saved account (UPN) and tenant id, if known.
    pub async fn saved_account(&self) -> Result<(Option<String>, Option<String>), AuthError> {
        let mut state = self.state.lock().await;
        self.load(&mut state).await?;
        Ok((state.account.clone(), state.tenant_id.clone()))
    }

    /// A valid access token: the one in memory, else a silent refresh, else (once) an
    /// interactive sign-in.
    pub async fn token(&self) -> Result<Secret, AuthError> {
        let mut state = self.state.lock().await;
        let asked = self.asked_scopes().len();
        if let Some(g) = &state.grant
            && g.fresh_for(REFRESH_MARGIN)
            && (state.asked_when_issued >= asked || !self.lacks_consent(&state))
        {
            return Ok(g.access_token.clone());
        }
        state.asked_when_issued = asked;
        self.load(&mut state).await?;
        match self.refresh_silently(&mut state).await {
            Ok(()) if self.lacks_consent(&state) && self.can_interact() => {
                // Incremental consent: the saved sign-in predates a step's permission.
                tracing::info!("asking for consent to the permissions of the steps to run");
                self.interactive(&mut state).await?
            }
            Ok(()) => {}
            // Without a way to interact, the refusal itself says what to do.
            Err(e @ AuthError::Refused { .. }) if !self.can_interact() => return Err(e),
            Err(e) if e.needs_interactive() => self.interactive(&mut state).await?,
            Err(e) => return Err(e),
        }
        current(&state)
    }

    /// Whether the current token misses a Graph permission this session asks for.
    fn lacks_consent(&self, state: &State) -> bool {
        let granted = state
            .grant
            .as_ref()
            .map(|g| &g.scopes)
            .unwrap_or(&state.scopes);
        self.asked_scopes()
            .iter()
            .any(|s| !super::scopes::covers(granted, s))
    }

    /// The Graph permissions this session asks for now.
    fn asked_scopes(&self) -> Vec<&'static str> {
        self.graph_scopes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Adds `scopes` to what this session asks for and gets a token that carries them: the saved
    /// sign-in's refresh when the tenant already consented, else one interactive sign-in (where
    /// the session may interact). Incremental consent: an action asks for its permissions when
    /// it starts, so a revert's delete permissions are asked for at the revert.
    pub async fn require_scopes(&self, scopes: &[&'static str]) -> Result<(), AuthError> {
        {
            let mut asked = self.graph_scopes.lock().unwrap_or_else(|p| p.into_inner());
            for s in scopes {
                if !asked.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                    asked.push(s);
                }
            }
        }
        self.token().await.map(|_| ())
    }

    fn can_interact(&self) -> bool {
        !matches!(self.interaction, Interaction::Never)
    }

    /// After a 401: a new access token by refresh, or one interactive sign-in when the refresh
    /// token is dead. False when neither works, so the caller reports the 401.
    pub async fn renew(&self) -> bool {
        let mut state = self.state.lock().await;
        if self.load(&mut state).await.is_err() {
            return false;
        }
        match self.refresh_silently(&mut state).await {
            Ok(()) => true,
            Err(e) if e.needs_interactive() && self.can_interact() => {
                self.interactive(&mut state).await.is_ok()
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the access token");
                false
            }
        }
    }

    async fn refresh_silently(&self, state: &mut State) -> Result<(), AuthError> {
        let Some(refresh_token) = state.refresh_token.clone() else {
            return Err(AuthError::NotSignedIn);
        };
        match grant::refresh(
            &self.config,
            &self.http,
            &refresh_token,
            &self.asked_scopes(),
        )
        .await
        {
            Ok(grant) => self.adopt(state, grant).await,
            Err(e) => {
                if matches!(e, AuthError::SignInExpired(_)) {
                    tracing::info!(error = %e, "the saved sign-in is no longer valid; removing it");
                    state.refresh_token = None;
                    state.grant = None;
                    let store = self.store.clone();
                    let key = self.config.cache_key();
                    blocking(move || store.delete(&key)).await?;
                }
                Err(e)
            }
        }
    }

    async fn interactive(&self, state: &mut State) -> Result<(), AuthError> {
        let grant = match &self.interaction {
            Interaction::Never => return Err(AuthError::NotSignedIn),
            Interaction::Browser(browser) => {
                self.interactive_sign_ins.fetch_add(1, Ordering::SeqCst);
                let cancel = Arc::new(tokio::sync::Notify::new());
                *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = cancel.clone();
                sign_in_with_browser(
                    &self.config,
                    &self.http,
                    browser.as_ref(),
                    &self.asked_scopes(),
                    self.login_hint.as_ref(),
                    &cancel,
                    self.browser_progress.as_ref(),
                )
                .await?
            }
            Interaction::DeviceCode(report) => {
                self.interactive_sign_ins.fetch_add(1, Ordering::SeqCst);
                let cancel = Arc::new(tokio::sync::Notify::new());
                *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = cancel.clone();
                let scopes = self.asked_scopes();
                let polling =
                    sign_in_with_device_code(&self.config, &self.http, &scopes, report.as_ref());
                // Cancel ends the polling at once (the code then just expires unused).
                tokio::select! {
                    grant = polling => grant?,
                    () = cancel.notified() => return Err(AuthError::Cancelled),
                }
            }
        };
        state.account = None;
        state.tenant_id = None;
        self.adopt(state, grant).await
    }

    async fn adopt(&self, state: &mut State, grant: TokenGrant) -> Result<(), AuthError> {
        if let Some(rt) = &grant.refresh_token {
            state.refresh_token = Some(rt.clone());
        }
        if let Some(account) = &grant.account {
            self.check_issuer(account).await?;
            state.account = Some(account.username.clone());
            state.tenant_id = Some(account.tenant_id.clone());
        }
        state.scopes = grant.scopes.clone();
        state.grant = Some(grant);
        self.save(state).await
    }

    /// Checks the id token's issuer against the tenant's discovery document. If discovery cannot
    /// be read, the issuer's form was still checked ([`crate::id_token::account`]).
    async fn check_issuer(&self, account: &SignedInAccount) -> Result<(), AuthError> {
        let discovered = self
            .issuer
            .get_or_try_init(|| discover_issuer(&self.config, &self.http))
            .await;
        match discovered {
            Ok(issuer) => check_discovered_issuer(account, issuer),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the OpenID Connect discovery document; the id token's issuer was checked by its form only");
                Ok(())
            }
        }
    }

    async fn save(&self, state: &State) -> Result<(), AuthError> {
        let Some(refresh_token) = state.refresh_token.clone() else {
            return Ok(());
        };
        let cached = CachedSignIn {
            refresh_token,
            account: state.account.clone(),
            tenant_id: state.tenant_id.clone(),
            scopes: state.scopes.clone(),
        };
        let store = self.store.clone();
        let key = self.config.cache_key();
        blocking(move || store.save(&key, &cached)).await
    }

    async fn load(&self, state: &mut State) -> Result<(), AuthError> {
        if state.loaded {
            return Ok(());
        }
        let store = self.store.clone();
        let key = self.config.cache_key();
        if let Some(cached) = blocking(move || store.load(&key)).await? {
            state.refresh_token = Some(cached.refresh_token);
            state.account = cached.account;
            state.tenant_id = cached.tenant_id;
            state.scopes = cached.scopes;
        }
        state.loaded = true;
        Ok(())
    }
}

fn current(state: &State) -> Result<Secret, AuthError> {
    state
        .grant
        .as_ref()
        .map(|g| g.access_token.clone())
        .ok_or(AuthError::NotSignedIn)
}

/// Credential stores may block (D-Bus, Win32): keep them off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AuthError::Store(format!("the credential store task failed: {e}")))?
}

#[async_trait::async_trait]
impl TokenSource for AuthSession {
    async fn access_token(&self) -> Result<Secret, String> {
        self.token().await.map_err(|e| e.to_string())
    }

    async fn refresh(&self) -> bool {
        self.renew().await
    }

    async fn prepare(
        &self,
        step: hb_lab::Step,
        action: hb_lab::session::JobAction,
    ) -> Result<(), String> {
        self.require_scopes(super::scopes::scopes_for_action(step, action))
            .await
            .map_err(|e| e.to_string())
    }
}
