//! `/_emulator/` endpoints: never called by the Graph client; the emulated Hyper-V host and tests
//! use them (OOBE and app sign-ins, fault rules, the request log, reset).

use super::state::SharedState;
use axum::Router;

/// Routes under `/_emulator`.
pub fn routes() -> Router<SharedState> {
    Router::new()
}
