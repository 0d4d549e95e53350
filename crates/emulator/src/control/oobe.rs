//! `POST /_emulator/oobe-signin`: the lab user typing their UPN and TAP at the VM's out-of-box
//! experience. The TAP is checked as Entra checks it; on success the device joins.

use super::join::join_device;
use super::{fail, parse};
use crate::error::GraphErr;
use crate::state::{SharedState, TenantState, UserRecord, graph_time};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct OobeSignIn {
    upn: String,
    /// The TAP typed at the OOBE screen; compared with the stored hash, never kept or logged.
    tap: String,
    device_name: String,
}

pub(super) async fn oobe_signin(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    let request: OobeSignIn = parse(&body, r#"{"upn","tap","device_name"}"#)?;
    let device_name = request.device_name.trim().to_string();
    if device_name.is_empty() || device_name.len() > 63 {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "device_name must be 1 to 63 characters (the VM's computer name).",
        ));
    }
    let now = Utc::now();
    let replication = state.config().propagation.tap;
    let (joined, tenant_id, tenant_name, user_id) = state.write(|t| {
        let user = check_tap(t, &request.upn, &request.tap, now, replication)?;
        let user_id = user.id.clone();
        let joined = join_device(t, &user_id, &device_name, now);
        Ok::<_, GraphErr>((
            joined,
            t.tenant.id.clone(),
            t.tenant.display_name.clone(),
            user_id,
        ))
    })?;
    Ok(Json(json!({
        "device_id": joined.device_id,
        "device_object_id": joined.device_object_id,
        "managed_device_id": joined.managed_device_id,
        "whfb_method_id": joined.whfb_method_id,
        "mdm_enrolled": joined.managed_device_id.is_some(),
        "whfb_provisioned": joined.whfb_method_id.is_some(),
        "tenant_id": tenant_id,
        "tenant_name": tenant_name,
        "user_id": user_id,
    })))
}

/// Checks the user and the TAP as Entra does at the OOBE sign-in, and marks a one-time TAP used.
fn check_tap<'a>(
    t: &'a mut TenantState,
    upn: &str,
    tap: &str,
    now: DateTime<Utc>,
    replication: std::time::Duration,
) -> Result<&'a UserRecord, GraphErr> {
    let policy_enabled = t.tap_policy_enabled();
    let user = t.user(upn.trim()).ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "UserNotFound",
            format!(
                "We couldn't find an account with the username '{}'. Check the spelling (it looks like name@{}) and try again.",
                upn.trim(),
                t.tenant.domain
            ),
        )
    })?;
    if !user.account_enabled {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "UserDisabled",
            "Your account has been disabled. Ask your administrator to enable it, then try again.",
        ));
    }
    let invalid = || {
        fail(
            StatusCode::UNAUTHORIZED,
            "InvalidTap",
            "That Temporary Access Pass isn't right. Check what you typed (it is case-sensitive) or ask your administrator for a new one.",
        )
    };
    let record = user.tap.as_ref().ok_or_else(invalid)?;
    if !record.matches(tap) {
        return Err(invalid());
    }
    if !policy_enabled || !t.tap_policy_targets(user) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "InvalidTap",
            "Temporary Access Pass sign-in is turned off for your account in this organization. Ask your administrator to enable the Temporary Access Pass policy for you.",
        ));
    }
    if !crate::config::Propagation::shows(record.created, replication, now) {
        // A new pass reaches the sign-in service a little after Graph created it.
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "TapNotYetActive",
            "That Temporary Access Pass was issued moments ago and isn't active yet. Wait a minute and try again.",
        ));
    }
    if record.used && record.is_usable_once {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "TapAlreadyUsed",
            "This Temporary Access Pass could be used only once and has already been used. Ask your administrator for a new one.",
        ));
    }
    if now < record.start {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "InvalidTap",
            format!(
                "This Temporary Access Pass isn't valid yet; it starts at {} UTC. Try again then.",
                graph_time(record.start)
            ),
        ));
    }
    if now >= record.end() {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "TapExpired",
            format!(
                "This Temporary Access Pass expired at {} UTC. Ask your administrator for a new one.",
                graph_time(record.end())
            ),
        ));
    }
    let user_id = user.id.clone();
    if let Some(u) = t.user_mut(user_id.as_str())
        && let Some(r) = u.tap.as_mut()
    {
        r.used = true;
    }
    t.user(user_id.as_str()).ok_or_else(invalid)
}
