//! Why signing in failed, in words a person can act on. No variant ever carries a token.

/// A failed sign-in, refresh, or token-cache operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The identity platform refused the request with an OAuth error.
    #[error("{}", oauth_text(.error, .description))]
    OAuth {
        /// The OAuth `error` value such as `invalid_grant`.
        error: String,
        /// The `error_description` (AADSTS code and text), without any secret.
        description: String,
    },
    /// Entra refused the sign-in for a reason a person can act on (consent, assignment, policy,
    /// MFA, password, lock); see [`crate::refusal`].
    #[error("the sign-in was refused ({summary}): {fix}")]
    Refused {
        /// The AADSTS code, e.g. 53003.
        code: u32,
        /// Entra's `AADSTSnnnnn: …` sentence without trace ids.
        summary: String,
        /// What to do about it.
        fix: String,
    },
    /// The person (or their admin) declined the sign-in in the browser or on the device page.
    #[error("sign-in was declined{}: nothing was changed; sign in again and approve the request", detail_text(.0))]
    Declined(String),
    /// The person cancelled the wait for the browser in the app.
    #[error("the sign-in was cancelled: nothing was changed; sign in again when ready")]
    Cancelled,
    /// The device code ran out before anyone approved it.
    #[error(
        "the device code expired before the sign-in was approved: run the sign-in again and enter the new code promptly"
    )]
    DeviceCodeExpired,
    /// The server no longer recognises our device code.
    #[error(
        "the identity platform does not recognise the device code (bad_verification_code): start the device code sign-in again"
    )]
    BadVerificationCode,
    /// The stored sign-in cannot be refreshed any more (revoked or expired refresh token).
    #[error("the saved sign-in has expired or was revoked{}: sign in again", detail_text(.0))]
    SignInExpired(String),
    /// No sign-in is stored and interactive sign-in is not allowed here.
    #[error(
        "not signed in: run `hello-bootstrap signin` first (or set HELLO_BOOTSTRAP_ACCESS_TOKEN)"
    )]
    NotSignedIn,
    /// The browser hand-off did not complete (state mismatch, listener failure, timeout).
    #[error("the browser sign-in did not complete: {0}")]
    Browser(String),
    /// The identity platform could not be reached or answered something unreadable.
    #[error("cannot talk to the identity platform: {0}. Check the network or --login-url.")]
    Network(String),
    /// The id token does not match the tenant and app we signed in to.
    #[error(
        "the identity platform's id token does not fit this sign-in ({0}): nothing was saved; check --login-url, --tenant and --client-id"
    )]
    IdToken(String),
    /// A bad --login-url, --tenant or --client-id.
    #[error("{0}")]
    Config(String),
    /// The OS credential store failed.
    #[error("the OS credential store failed: {0}")]
    Store(String),
}

impl AuthError {
    /// Whether only a fresh interactive sign-in can fix this (the refresh token is dead).
    pub fn needs_interactive(&self) -> bool {
        match self {
            AuthError::SignInExpired(_) | AuthError::NotSignedIn => true,
            AuthError::Refused { code, .. } => super::refusal::interactive_fixes(*code),
            AuthError::OAuth { error, .. } => {
                error == "invalid_grant" || error == "interaction_required"
            }
            _ => false,
        }
    }
}

fn oauth_text(error: &str, description: &str) -> String {
    let hint = match error {
        "invalid_grant" => " Sign in again.",
        "invalid_client" | "unauthorized_client" => {
            " Check --client-id: the app must exist in the tenant and allow public client flows."
        }
        "invalid_scope" => " The app registration lacks one of the requested permissions.",
        "consent_required" | "interaction_required" => " Sign in interactively to consent.",
        _ => "",
    };
    if description.is_empty() {
        format!("the identity platform refused the request ({error}).{hint}")
    } else {
        format!("the identity platform refused the request ({error}: {description}).{hint}")
    }
}

fn detail_text(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}
