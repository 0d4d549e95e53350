//! What tests use to steer the emulator: fault rules, the request log, the tenant's licence, and
//! a reset to the seed.

use super::{fail, parse};
use crate::config::FaultRule;
use crate::error::GraphErr;
use crate::state::SharedState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(untagged)]
enum FaultsBody {
    Spec { spec: String },
    Rules { rules: Vec<FaultRule> },
    One(FaultRule),
}

/// `POST /_emulator/faults`: adds fault rules (a spec string, a list, or one rule).
pub(super) async fn add_faults(
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
    if let Some(bad) = rules
        .iter()
        .find(|r| r.kind == crate::config::FaultKind::Status && !(400..=599).contains(&r.status))
    {
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

/// `DELETE /_emulator/faults`.
pub(super) async fn clear_faults(State(state): State<SharedState>) -> StatusCode {
    state.clear_faults();
    StatusCode::NO_CONTENT
}

/// `GET /_emulator/requests`: the request log.
pub(super) async fn requests(State(state): State<SharedState>) -> Json<Value> {
    Json(json!({ "requests": state.requests() }))
}

/// `GET /_emulator/stats`: Graph calls served and faults injected by kind.
pub(super) async fn stats(State(state): State<SharedState>) -> Json<crate::FaultStats> {
    Json(state.fault_stats())
}

#[derive(Deserialize)]
struct TenantSettings {
    /// Entra ID P1: without it sign-in logs answer 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    has_premium: Option<bool>,
    /// Replaces the Conditional Access policies (Graph objects), to test targeting.
    conditional_access_policies: Option<Vec<Value>>,
}

/// `POST /_emulator/tenant`: changes tenant-wide settings such as the Entra ID P1 licence.
pub(super) async fn set_tenant(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    let settings: TenantSettings = parse(
        &body,
        r#"{"has_premium": true|false, "conditional_access_policies": [...]}"#,
    )?;
    state.write(|t| {
        if let Some(p) = settings.has_premium {
            t.has_premium = p;
        }
        if let Some(policies) = settings.conditional_access_policies {
            t.conditional_access_policies = policies;
        }
    });
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /_emulator/reset`: the seeded tenant again, no faults, an empty request log.
pub(super) async fn reset(State(state): State<SharedState>) -> StatusCode {
    state.reset();
    state.clear_faults();
    StatusCode::NO_CONTENT
}
