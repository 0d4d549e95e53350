//! Sign-in logs (`/auditLogs/signIns`): newest first, `$filter` on user and time, the beta shape
//! with `authenticationDetails`, the basic shape on v1.0, and the Entra ID P1 licence check.
//! Without a `signInEventTypes` filter (beta only) the list holds interactive sign-ins only, as
//! Graph's does; `signInEventTypes/any(t: t eq 'nonInteractiveUser')` reads the other log. An
//! entry shows once the sign-in log's propagation delay has passed.

use super::common::{Collection, entity, filter_of, without_beta_only};
use super::id_is;
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::config::Propagation;
use crate::error::GraphErr;
use crate::odata::GraphQuery;
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::SharedState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

/// Sign-in log routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/auditLogs/signIns", get(list))
        .route("/auditLogs/signIns/{id}", get(one))
}

const READ: &[&str] = &[AUDIT_LOG_READ, DIRECTORY_READ_ALL];
/// Roles that may read sign-in logs (Reports Reader is the least privileged).
const SIGN_IN_READERS: &[DirectoryRole] = &[
    DirectoryRole::ReportsReader,
    DirectoryRole::GlobalReader,
    DirectoryRole::SecurityReader,
];
/// Properties only the beta resource has.
const BETA_ONLY: &[&str] = &[
    "authenticationDetails",
    "authenticationRequirement",
    "incomingTokenType",
    "signInEventTypes",
    "authenticationMethodsUsed",
    "authenticationProcessingDetails",
];
const FILTER_FIELDS: &[&str] = &[
    "userId",
    "userPrincipalName",
    "appId",
    "appDisplayName",
    "createdDateTime",
    "status/errorCode",
    "correlationId",
    "conditionalAccessStatus",
    "ipAddress",
    "deviceDetail/operatingSystem",
    "deviceDetail/browser",
    "deviceDetail/deviceId",
    "id",
];

const SIGN_INS: Collection = Collection::pages_of_1000("/auditLogs/signIns", "auditLogs/signIns");

fn shape(entry: Value, version: ApiVersion) -> Value {
    without_beta_only(entry, version, BETA_ONLY)
}

/// Whether an entry is in the interactive log (an entry without event types is).
fn is_interactive(entry: &Value) -> bool {
    entry["signInEventTypes"]
        .as_array()
        .is_none_or(|types| types.iter().any(|t| t == "interactiveUser"))
}

/// Whether the entry has reached the log yet.
fn shows(entry: &Value, delay: std::time::Duration, now: chrono::DateTime<chrono::Utc>) -> bool {
    entry["createdDateTime"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .is_none_or(|at| Propagation::shows(at.with_timezone(&chrono::Utc), delay, now))
}

fn check_licence(state: &SharedState) -> Result<(), GraphErr> {
    if state.read(|t| t.has_premium) {
        Ok(())
    } else {
        Err(GraphErr::new(
            StatusCode::FORBIDDEN,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        ))
    }
}

async fn list(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require(READ, SIGN_IN_READERS)?;
    check_licence(&state)?;
    let query = GraphQuery::parse(raw.as_deref());
    let mut fields = FILTER_FIELDS.to_vec();
    if version == ApiVersion::Beta {
        fields.push("signInEventTypes");
    }
    let filter = filter_of(&query, &fields, "signIn")?;
    let by_event_type = version == ApiVersion::Beta
        && query
            .get("filter")
            .is_some_and(|f| f.to_ascii_lowercase().contains("signineventtypes"));
    let now = chrono::Utc::now();
    let delay = state.config().propagation.sign_in;
    let items = state.read(|t| {
        t.sign_ins
            .iter()
            .rev()
            .filter(|e| shows(e, delay, now))
            .filter(|e| by_event_type || is_interactive(e))
            .filter(|e| filter.matches(e))
            .map(|e| shape(e.clone(), version))
            .collect()
    });
    SIGN_INS.page(&state, version, &query, items)
}

async fn one(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require(READ, SIGN_IN_READERS)?;
    check_licence(&state)?;
    let now = chrono::Utc::now();
    let delay = state.config().propagation.sign_in;
    let entry = state
        .read(|t| {
            t.sign_ins
                .iter()
                .find(|e| id_is(e, &id) && shows(e, delay, now))
                .cloned()
        })
        .ok_or_else(|| GraphErr::item_not_found("signIn", &id))?;
    Ok(entity(
        &state,
        version,
        "auditLogs/signIns/$entity",
        shape(entry, version),
    ))
}
