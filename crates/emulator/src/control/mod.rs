//! `/_emulator/` endpoints: never called by the Graph client; the emulated Hyper-V host and tests
//! use them. `oobe-signin` is what happens when the lab user types the TAP at the VM's OOBE;
//! `app-signin` is the user opening an app in Edge on the joined VM; `verify-tap` says whether a
//! code is a user's valid pass (without using it up); `faults`, `lost-answers`, `requests`,
//! `stats` and `reset` drive tests.

mod app_signin;
mod harness;
mod join;
mod lost_answers;
mod oobe;
mod verify_tap;

use crate::error::GraphErr;
use crate::state::SharedState;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

/// Routes under `/_emulator`.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/oobe-signin", post(oobe::oobe_signin))
        .route("/app-signin", post(app_signin::app_signin))
        .route(
            "/faults",
            post(harness::add_faults).delete(harness::clear_faults),
        )
        .route("/requests", get(harness::requests))
        .route("/stats", get(harness::stats))
        .route("/reset", post(harness::reset))
        .route("/tenant", post(harness::set_tenant))
        .route("/verify-tap", post(verify_tap::verify_tap))
        .route(
            "/lost-answers",
            post(lost_answers::set).delete(lost_answers::clear),
        )
}

fn fail(status: StatusCode, code: &str, message: impl Into<String>) -> GraphErr {
    GraphErr::new(status, code, message)
}

/// A JSON body of `T`, or a 400 saying which `shape` was expected.
fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes, shape: &str) -> Result<T, GraphErr> {
    serde_json::from_slice(body).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("expected JSON {shape}: {e}"),
        )
    })
}
