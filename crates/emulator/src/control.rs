//! `/_emulator/` endpoints: never called by the Graph client; the emulated Hyper-V host and tests
//! use them. `oobe-signin` is what happens when the lab user types the TAP at the VM's OOBE;
//! `app-signin` is the user opening an app in Edge on the joined VM; `faults`, `requests` and
//! `reset` drive tests.

use super::config::FaultRule;
use super::error::GraphErr;
use super::seed::guid;
use super::sign_in_log::{DeviceView, SignInKind, sign_in_entry};
use super::state::{
    DeviceRecord, ManagedDeviceRecord, SharedState, TenantState, UserRecord, WhfbRecord, graph_time,
};
use crate::api::MDM_POLICY_ID;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes under `/_emulator`.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/oobe-signin", post(oobe_signin))
        .route("/app-signin", post(app_signin))
        .route("/faults", post(add_faults).delete(clear_faults))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .route("/tenant", post(set_tenant))
}

fn fail(status: StatusCode, code: &str, message: impl Into<String>) -> GraphErr {
    GraphErr::new(status, code, message)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes, shape: &str) -> Result<T, GraphErr> {
    serde_json::from_slice(body).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("expected JSON {shape}: {e}"),
        )
    })
}

#[derive(Deserialize)]
struct OobeSignIn {
    upn: String,
    /// The TAP typed at the OOBE screen; compared with the stored hash, never kept or logged.
    tap: String,
    device_name: String,
}

/// Result of a successful OOBE sign-in.
#[derive(Debug)]
struct Joined {
    device_id: String,
    device_object_id: String,
    managed_device_id: Option<String>,
    whfb_method_id: Option<String>,
}

async fn oobe_signin(
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
    let (joined, tenant_id, tenant_name, user_id) = state.write(|t| {
        let user = check_tap(t, &request.upn, &request.tap, now)?;
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

/// Entra join at OOBE: the device, the Intune enrolment (only when the MDM user scope covers the
/// user), the WHfB key (unless the WHfB policy disables it) and the sign-in log entries.
fn join_device(
    t: &mut TenantState,
    user_id: &crate::ids::UserId,
    device_name: &str,
    now: DateTime<Utc>,
) -> Joined {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let device_id = guid(&mut rng);
    let device_object_id = guid(&mut rng);
    let enrolled = t.mdm_applies_to() == "all";
    let whfb = t.whfb_state() != "disabled";
    t.devices.push(DeviceRecord {
        id: device_object_id.clone(),
        device_id: device_id.clone(),
        display_name: device_name.to_string(),
        trust_type: "AzureAd".into(),
        operating_system: "Windows".into(),
        operating_system_version: "10.0.26100.2605".into(),
        is_managed: enrolled,
        is_compliant: enrolled,
        mdm_app_id: enrolled.then(|| MDM_POLICY_ID.to_string()),
        registered: now,
        owner_user_id: Some(user_id.clone()),
    });
    let upn = t
        .user(user_id.as_str())
        .map(|u| u.user_principal_name.clone())
        .unwrap_or_default();
    let managed_device_id = enrolled.then(|| {
        let id = guid(&mut rng);
        t.managed_devices.push(ManagedDeviceRecord {
            id: id.clone(),
            azure_ad_device_id: device_id.clone(),
            device_name: device_name.to_string(),
            user_id: user_id.clone(),
            user_principal_name: upn.clone(),
            enrolled: now,
            serial_number: format!(
                "{:04}-{:04}-{:04}",
                rand_digits(&mut rng),
                rand_digits(&mut rng),
                rand_digits(&mut rng)
            ),
        });
        id
    });
    let whfb_method_id = whfb.then(|| {
        let id = guid(&mut rng);
        if let Some(u) = t.user_mut(user_id.as_str()) {
            u.whfb_methods.push(WhfbRecord {
                id: id.clone(),
                display_name: device_name.to_string(),
                created: now,
                key_strength: "normal".into(),
                device_object_id: Some(device_object_id.clone()),
            });
        }
        id
    });
    let device = DeviceView {
        device_id: &device_id,
        name: device_name,
        managed: enrolled,
    };
    let tap_entry = sign_in_entry(
        t,
        user_id,
        now - chrono::Duration::seconds(2),
        SignInKind::TapAtOobe,
        None,
        &mut rng,
    );
    t.sign_ins.push(tap_entry);
    let prt_entry = sign_in_entry(
        t,
        user_id,
        now,
        SignInKind::TokenClaim {
            app: "Windows Sign In",
            app_id: "38aa3b87-a06d-4817-b275-7a316988d93b",
        },
        Some(device),
        &mut rng,
    );
    t.sign_ins.push(prt_entry);
    Joined {
        device_id,
        device_object_id,
        managed_device_id,
        whfb_method_id,
    }
}

fn rand_digits(rng: &mut rand::rngs::StdRng) -> u32 {
    use rand::Rng;
    rng.random_range(0..10_000)
}

#[derive(Deserialize)]
struct AppSignIn {
    upn: String,
    device_id: String,
    #[serde(default)]
    app: Option<String>,
}

async fn app_signin(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    let request: AppSignIn = parse(&body, r#"{"upn","device_id","app"}"#)?;
    let app = request.app.unwrap_or_else(|| "My Apps".into());
    let app_id = if app == "My Apps" {
        "2793995e-0a7d-40d7-bd35-6968ba142197".to_string()
    } else {
        uuid::Uuid::new_v4().to_string()
    };
    let id = state.write(|t| {
        let user = t.user(request.upn.trim()).cloned().ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "UserNotFound",
                format!("No user '{}' in this tenant.", request.upn.trim()),
            )
        })?;
        if !user.account_enabled {
            return Err(fail(
                StatusCode::UNAUTHORIZED,
                "UserDisabled",
                "Your account has been disabled. Ask your administrator to enable it.",
            ));
        }
        let device = t
            .devices
            .iter()
            .find(|d| d.device_id.eq_ignore_ascii_case(request.device_id.trim()))
            .cloned()
            .ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    "DeviceNotFound",
                    format!(
                        "No Entra device with deviceId '{}'; sign in at OOBE first.",
                        request.device_id.trim()
                    ),
                )
            })?;
        let view = DeviceView {
            device_id: &device.device_id,
            name: &device.display_name,
            managed: device.is_managed,
        };
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
        let entry = sign_in_entry(
            t,
            &user.id,
            Utc::now(),
            SignInKind::TokenClaim {
                app: &app,
                app_id: &app_id,
            },
            Some(view),
            &mut rng,
        );
        let id = entry["id"].clone();
        t.sign_ins.push(entry);
        Ok(id)
    })?;
    Ok(Json(json!({ "sign_in_id": id })))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FaultsBody {
    Spec { spec: String },
    Rules { rules: Vec<FaultRule> },
    One(FaultRule),
}

async fn add_faults(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    let parsed: FaultsBody = parse(
        &body,
        r#"{"spec":"429@/v1.0/users:2:retry=1"} or {"rules":[{"status","retry_after","path_prefix","method","count"}]}"#,
    )?;
    let rules = match parsed {
        FaultsBody::Spec { spec } => FaultRule::parse_spec(&spec)
            .map_err(|e| fail(StatusCode::BAD_REQUEST, "BadRequest", e))?,
        FaultsBody::Rules { rules } => rules,
        FaultsBody::One(rule) => vec![rule],
    };
    if let Some(bad) = rules.iter().find(|r| !(400..=599).contains(&r.status)) {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("status {} is not an error status (400-599)", bad.status),
        ));
    }
    let added = rules.len();
    state.add_faults(rules);
    Ok(Json(json!({ "added": added })))
}

async fn clear_faults(State(state): State<SharedState>) -> StatusCode {
    state.clear_faults();
    StatusCode::NO_CONTENT
}

async fn requests(State(state): State<SharedState>) -> Json<Value> {
    Json(json!({ "requests": state.requests() }))
}

#[derive(Deserialize)]
struct TenantSettings {
    /// Entra ID P1: without it sign-in logs answer 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    has_premium: Option<bool>,
}

async fn set_tenant(State(state): State<SharedState>, body: Bytes) -> Result<StatusCode, GraphErr> {
    let settings: TenantSettings = parse(&body, r#"{"has_premium": true|false}"#)?;
    state.write(|t| {
        if let Some(p) = settings.has_premium {
            t.has_premium = p;
        }
    });
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(State(state): State<SharedState>) -> StatusCode {
    state.reset();
    state.clear_faults();
    StatusCode::NO_CONTENT
}
