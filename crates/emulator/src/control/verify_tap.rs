//! `POST /_emulator/verify-tap`: whether a code is the user's valid Temporary Access Pass, as
//! Entra would judge it at sign-in, without signing in (a one-time pass stays unused). Tests and
//! demos use it to prove that the pass a tool reported is the one the user holds.

use super::parse;
use crate::error::GraphErr;
use crate::state::SharedState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct VerifyTap {
    upn: String,
    /// Compared with the stored hash; never kept or logged.
    temporary_access_pass: String,
}

/// `{"valid": bool, "reason": …}`: `reason` is Graph's `methodUsabilityReason` when the code is
/// the user's pass (`EnabledByPolicy`, `NotYetValid`, `Expired`, `OneTimeUsed`,
/// `DisabledByPolicy`), else `NoSuchUser`, `NoPass` or `WrongCode`. A pass that starts later is
/// valid: it is the one the user holds.
pub(super) async fn verify_tap(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    let request: VerifyTap = parse(&body, r#"{"upn","temporary_access_pass"}"#)?;
    let reason = state.read(|t| {
        let enabled = t.tap_policy_enabled();
        let Some(user) = t.user(request.upn.trim()) else {
            return "NoSuchUser";
        };
        let Some(tap) = &user.tap else {
            return "NoPass";
        };
        if !tap.matches(&request.temporary_access_pass) {
            return "WrongCode";
        }
        tap.usability(Utc::now(), enabled)
    });
    let valid = matches!(reason, "EnabledByPolicy" | "NotYetValid");
    Ok(Json(json!({ "valid": valid, "reason": reason })))
}
