//! Test hooks under `/_emulator/login/`: approve, decline or slow down a device code, read its
//! polling history, revoke a user's tokens, change timings, and read per-event counters. Not part
//! of the identity platform; the tests and the emulated person use them.

use super::device::decide;
use super::state::DeviceStatus;
use crate::state::SharedState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Deserialize)]
pub(super) struct HookDevice {
    user_code: String,
    #[serde(default)]
    upn: Option<String>,
}

fn hook_result(result: Result<Value, String>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": "BadRequest", "message": message}})),
        )
            .into_response(),
    }
}

/// Approves a user code as `upn` (the demo admin by default).
pub(super) async fn device_approve(
    State(state): State<SharedState>,
    Json(body): Json<HookDevice>,
) -> Response {
    let upn = body
        .upn
        .unwrap_or_else(|| state.read(|t| t.admin_upn.clone()));
    hook_result(decide(&state, &body.user_code, Some(&upn)).map(|()| json!({"approved": upn})))
}

/// Declines a user code, as the person pressing Cancel.
pub(super) async fn device_decline(
    State(state): State<SharedState>,
    Json(body): Json<HookDevice>,
) -> Response {
    hook_result(decide(&state, &body.user_code, None).map(|()| json!({"declined": true})))
}

/// Makes the next poll of a device code answer `slow_down`.
pub(super) async fn device_slow_down(
    State(state): State<SharedState>,
    Json(body): Json<HookDevice>,
) -> Response {
    let mut inner = state.login.lock();
    let hit = inner
        .devices
        .values_mut()
        .find(|g| g.user_code.eq_ignore_ascii_case(&body.user_code));
    hook_result(match hit {
        Some(g) => {
            g.force_slow_down = true;
            Ok(json!({"slow_down": true}))
        }
        None => Err(format!(
            "no device code with user code '{}'",
            body.user_code
        )),
    })
}

/// When the client polled, in milliseconds since the code was issued.
pub(super) async fn device_info(
    State(state): State<SharedState>,
    Path(user_code): Path<String>,
) -> Response {
    let inner = state.login.lock();
    let hit = inner
        .devices
        .values()
        .find(|g| g.user_code.eq_ignore_ascii_case(&user_code));
    hook_result(match hit {
        Some(g) => Ok(json!({
            "polls_ms": g.polls.iter().map(|d| d.as_millis() as u64).collect::<Vec<_>>(),
            "interval_s": g.interval.as_secs(),
            "status": match g.status {
                DeviceStatus::Pending => "pending",
                DeviceStatus::Approved { .. } => "approved",
                DeviceStatus::Declined => "declined",
                DeviceStatus::Redeemed => "redeemed",
            },
        })),
        None => Err(format!("no device code with user code '{user_code}'")),
    })
}

#[derive(Deserialize)]
pub(super) struct HookRevoke {
    upn: String,
    /// Also invalidate the user's access tokens now (the next Graph call answers 401).
    #[serde(default)]
    access_tokens: bool,
    /// Invalidate only the access tokens and keep refresh tokens working.
    #[serde(default)]
    keep_refresh_tokens: bool,
}

/// Revokes a user's refresh tokens, access tokens, or both; answers how many.
pub(super) async fn revoke(
    State(state): State<SharedState>,
    Json(body): Json<HookRevoke>,
) -> Response {
    let Some(user_id) = state.read(|t| t.user(&body.upn).map(|u| u.id.clone())) else {
        return hook_result(Err(format!("no user '{}'", body.upn)));
    };
    let refresh = if body.keep_refresh_tokens {
        0
    } else {
        state.login.revoke_refresh_tokens(&user_id)
    };
    let access = if body.access_tokens || body.keep_refresh_tokens {
        state.tokens.revoke_user(&user_id)
    } else {
        0
    };
    hook_result(Ok(
        json!({"refresh_tokens": refresh, "access_tokens": access}),
    ))
}

#[derive(Deserialize)]
pub(super) struct HookSettings {
    access_token_lifetime_s: Option<u64>,
    device_interval_s: Option<u64>,
    device_lifetime_s: Option<u64>,
}

/// Changes token and device code timings; answers the timings now in force.
pub(super) async fn settings(
    State(state): State<SharedState>,
    Json(body): Json<HookSettings>,
) -> Response {
    let mut inner = state.login.lock();
    if let Some(s) = body.access_token_lifetime_s {
        inner.settings.access_token_lifetime = Duration::from_secs(s);
    }
    if let Some(s) = body.device_interval_s {
        inner.settings.device_interval = Duration::from_secs(s);
    }
    if let Some(s) = body.device_lifetime_s {
        inner.settings.device_lifetime = Duration::from_secs(s);
    }
    let s = inner.settings;
    hook_result(Ok(json!({
        "access_token_lifetime_s": s.access_token_lifetime.as_secs(),
        "device_interval_s": s.device_interval.as_secs(),
        "device_lifetime_s": s.device_lifetime.as_secs(),
    })))
}

#[derive(Deserialize)]
pub(super) struct HookRefuse {
    /// The AADSTS code to refuse with; `null` clears the refusal.
    code: Option<u32>,
    /// Only at `authorize` or at one `/token` grant.
    #[serde(default)]
    only: Option<String>,
    /// Another `error` value (`invalid_grant` or `interaction_required`), for the codes whose
    /// `error` Microsoft does not document (see `refusals.rs`).
    #[serde(default)]
    error: Option<String>,
}

/// Makes sign-ins fail as Entra's would with an AADSTS code (see `refusals.rs`), until cleared.
pub(super) async fn refuse(
    State(state): State<SharedState>,
    Json(body): Json<HookRefuse>,
) -> Response {
    let Some(code) = body.code else {
        state.login.lock().refusal = None;
        return hook_result(Ok(json!({"refusal": null})));
    };
    if let Some(only) = &body.only
        && ![
            "authorize",
            "authorization_code",
            "refresh_token",
            "device_code",
        ]
        .contains(&only.as_str())
    {
        return hook_result(Err(format!("unknown place '{only}'")));
    }
    let error = match body.error.as_deref() {
        None => None,
        Some(e) => match super::refusals::UNDOCUMENTED_ERRORS
            .iter()
            .find(|known| **known == e)
        {
            Some(known) => Some(*known),
            None => {
                return hook_result(Err(format!(
                    "unknown error '{e}'; known: {:?}",
                    super::refusals::UNDOCUMENTED_ERRORS
                )));
            }
        },
    };
    match super::refusals::Refusal::new(code, body.only) {
        Some(mut refusal) => {
            refusal.error = error;
            state.login.lock().refusal = Some(refusal);
            hook_result(Ok(json!({"refusal": code})))
        }
        None => hook_result(Err(format!(
            "no refusal with code {code}; known: {:?}",
            super::refusals::KINDS
                .iter()
                .map(|k| k.code)
                .collect::<Vec<_>>()
        ))),
    }
}

/// How often each login event happened.
pub(super) async fn stats(State(state): State<SharedState>) -> Json<Value> {
    Json(json!(state.login.lock().stats))
}
