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

    /// Called when a step's action starts: make sure the token carries the permissions that
    /// action needs (incremental consent: a revert's delete permissions are asked for only when
    /// a revert starts). A fixed token cannot grow, so by default nothing happens and a missing
    /// permission shows as Graph's 403.
    async fn prepare(
        &self,
        _step: hb_lab::Step,
        _action: hb_lab::session::JobAction,
    ) -> Result<(), String> {
        Ok(())
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
