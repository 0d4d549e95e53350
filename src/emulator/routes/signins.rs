//! Sign-in logs (`/auditLogs/signIns`): newest first, `$filter` on user and time, the beta shape
//! with `authenticationDetails`, the basic shape on v1.0, and the Entra ID P1 licence check.

use super::common::with_context;
use super::id_is;
use crate::emulator::caller::Caller;
use crate::emulator::error::GraphErr;
use crate::emulator::odata::{Filter, GraphQuery, PageBase, page};
use crate::emulator::roles::DirectoryRole;
use crate::emulator::scopes::*;
use crate::emulator::state::SharedState;
use crate::graph::ApiVersion;
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

fn shape(mut entry: Value, version: ApiVersion) -> Value {
    if version == ApiVersion::V1
        && let Value::Object(map) = &mut entry
    {
        for key in BETA_ONLY {
            map.remove(*key);
        }
    }
    entry
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
    caller.require_scope(READ)?;
    caller.require_role(SIGN_IN_READERS)?;
    check_licence(&state)?;
    let query = GraphQuery::parse(raw.as_deref());
    let mut fields = FILTER_FIELDS.to_vec();
    if version == ApiVersion::Beta {
        fields.push("signInEventTypes");
    }
    let filter = match query.get("filter") {
        Some(f) => Filter::parse(f, &fields, "signIn")?,
        None => Filter::default(),
    };
    let items = state.read(|t| {
        t.sign_ins
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .map(|e| shape(e.clone(), version))
            .collect()
    });
    let base = PageBase {
        root: state.root_url(),
        version: version.segment(),
        path: "/auditLogs/signIns",
        context: "auditLogs/signIns",
    };
    Ok(Json(page(items, &query, &base, 1000, 1000)?))
}

async fn one(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(READ)?;
    caller.require_role(SIGN_IN_READERS)?;
    check_licence(&state)?;
    let entry = state
        .read(|t| t.sign_ins.iter().find(|e| id_is(e, &id)).cloned())
        .ok_or_else(|| GraphErr::item_not_found("signIn", &id))?;
    Ok(Json(with_context(
        shape(entry, version),
        &state,
        version,
        "auditLogs/signIns/$entity",
    )))
}
