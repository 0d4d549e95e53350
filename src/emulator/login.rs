//! The emulator's login side (OAuth endpoints); written by the auth helper.

use super::state::SharedState;

/// State the login side keeps (authorization codes, device codes, refresh tokens).
#[derive(Default)]
pub struct LoginState {}

/// Routes of the login side, merged into the emulator's router.
pub fn routes() -> axum::Router<SharedState> {
    axum::Router::new()
}
