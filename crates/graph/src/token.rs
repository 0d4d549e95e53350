//! Where the Graph client gets its bearer token from.

use hb_lab::Secret;

/// Supplies access tokens. Sign-in implements it with refresh; tests and
/// `HELLO_BOOTSTRAP_ACCESS_TOKEN` use a fixed token.
#[async_trait::async_trait]
pub trait TokenSource: Send + Sync {
    /// A token valid now.
    async fn access_token(&self) -> Result<Secret, String>;

    /// Called after a 401: get a fresh token if possible. Returns false when there is no way to
    /// refresh, so the caller reports the 401 instead of looping.
    async fn refresh(&self) -> bool {
        false
    }
}

/// A fixed bearer token (from the environment or the emulator's ready line).
pub struct StaticToken(pub Secret);

#[async_trait::async_trait]
impl TokenSource for StaticToken {
    async fn access_token(&self) -> Result<Secret, String> {
        Ok(self.0.clone())
    }
}
