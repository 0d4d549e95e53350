//! Authorization code + PKCE (S256) through a browser and a one-shot loopback listener.

use super::browser::Browser;
use super::config::AuthConfig;
use super::error::AuthError;
use super::grant::{CLIENT_INFO, TokenGrant, aadsts_summary, map_request_error};
use super::loopback::{LoopbackListener, Redirect};
use super::refusal::{Flow, explain};
use super::scopes;
use hb_lab::Upn;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, Scope};
use std::time::Duration;

/// How long we wait for the person to finish signing in in the browser.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

/// What a browser sign-in is doing, for whoever shows "Waiting for the browser…" with Cancel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowserProgress {
    /// The sign-in page is open; the redirect is awaited for at most `timeout`. A page that
    /// refuses (admin approval, Conditional Access, …) never comes back, so offer Cancel.
    Waiting {
        /// When the wait gives up by itself.
        timeout: Duration,
    },
    /// The wait is over (signed in, refused, cancelled or timed out).
    Finished,
}

/// Reports [`BrowserProgress`].
pub type BrowserReporter = std::sync::Arc<dyn Fn(BrowserProgress) + Send + Sync>;

/// Signs in through `browser`: opens the authorize page, receives the code on the loopback
/// listener, checks `state`, and redeems the code with the PKCE verifier.
pub async fn sign_in_with_browser(
    config: &AuthConfig,
    http: &reqwest::Client,
    browser: &dyn Browser,
    graph_scopes: &[&str],
    login_hint: Option<&Upn>,
    cancel: &tokio::sync::Notify,
    progress: Option<&BrowserReporter>,
) -> Result<TokenGrant, AuthError> {
    let listener = LoopbackListener::bind().await?;
    let client = config.oauth_client(Some(listener.redirect_uri()))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(
            scopes::request_scopes(graph_scopes)
                .into_iter()
                .map(Scope::new),
        )
        .set_pkce_challenge(challenge)
        .add_extra_param("response_mode", "query");
    request = match login_hint {
        Some(upn) => request.add_extra_param("login_hint", upn.to_string()),
        None => request.add_extra_param("prompt", "select_account"),
    };
    let (authorize_url, state) = request.url();

    tracing::info!(tenant = %config.tenant, "opening the browser for sign-in");
    let waiting = tokio::spawn(listener.receive(BROWSER_TIMEOUT));
    if let Err(e) = browser.open(&authorize_url).await {
        waiting.abort();
        // A browser that reads pages (the headless one) reports the sign-in page's AADSTS code.
        return Err(match &e {
            AuthError::Browser(text) => {
                explain(text, config, graph_scopes, Flow::Browser).unwrap_or(e)
            }
            _ => e,
        });
    }
    let report = |p: BrowserProgress| {
        if let Some(progress) = progress {
            progress(p);
        }
    };
    report(BrowserProgress::Waiting {
        timeout: BROWSER_TIMEOUT,
    });
    let abort = waiting.abort_handle();
    let redirect = tokio::select! {
        done = waiting => done,
        () = cancel.notified() => {
            abort.abort();
            report(BrowserProgress::Finished);
            return Err(AuthError::Cancelled);
        }
    };
    report(BrowserProgress::Finished);
    let redirect = redirect
        .map_err(|e| AuthError::Browser(format!("the loopback listener failed: {e}")))??;

    let code = match redirect {
        Redirect::Code { code, state: got } => {
            if got != *state.secret() {
                return Err(AuthError::Browser(
                    "the answer's state does not match our request (possible cross-site request forgery); sign in again".into(),
                ));
            }
            code
        }
        Redirect::Error {
            error,
            description,
            state: got,
        } => {
            if got != *state.secret() {
                return Err(AuthError::Browser(
                    "an error arrived with a state that does not match our request; sign in again"
                        .into(),
                ));
            }
            if let Some(refused) = explain(&description, config, graph_scopes, Flow::Browser) {
                return Err(refused);
            }
            return Err(match error.as_str() {
                "access_denied" => AuthError::Declined(aadsts_summary(&description)),
                _ => AuthError::OAuth {
                    error,
                    description: aadsts_summary(&description),
                },
            });
        }
    };

    let response = client
        .exchange_code(AuthorizationCode::new(code.expose().to_string()))
        .set_pkce_verifier(verifier)
        .add_extra_param(CLIENT_INFO.0, CLIENT_INFO.1)
        .request_async(http)
        .await
        .map_err(map_request_error)
        .map_err(|e| match &e {
            AuthError::OAuth { description, .. } => {
                explain(description, config, graph_scopes, Flow::Browser).unwrap_or(e)
            }
            _ => e,
        })?;
    tracing::info!("signed in with the browser");
    TokenGrant::from_response(config, &response)
}
