//! Conditional access policies (read only; the demo tenant has "Require MFA for all users").

use super::common::with_context;
use super::id_is;
use crate::emulator::caller::Caller;
use crate::emulator::error::GraphErr;
use crate::emulator::odata::{Filter, GraphQuery, PageBase, page};
use crate::emulator::scopes::*;
use crate::emulator::state::SharedState;
use crate::graph::ApiVersion;
use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use serde_json::Value;

pub(super) async fn list_ca_policies(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(&[POLICY_READ_ALL])?;
    let query = GraphQuery::parse(raw.as_deref());
    let filter = match query.get("filter") {
        Some(f) => Filter::parse(
            f,
            &["displayName", "state", "id"],
            "conditionalAccessPolicy",
        )?,
        None => Filter::default(),
    };
    let items = state.read(|t| {
        t.conditional_access_policies
            .iter()
            .filter(|p| filter.matches(p))
            .cloned()
            .collect()
    });
    let base = PageBase {
        root: state.root_url(),
        version: version.segment(),
        path: "/identity/conditionalAccess/policies",
        context: "identity/conditionalAccess/policies",
    };
    Ok(Json(page(items, &query, &base, 100, 999)?))
}

pub(super) async fn get_ca_policy(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(&[POLICY_READ_ALL])?;
    let policy = state
        .read(|t| {
            t.conditional_access_policies
                .iter()
                .find(|p| id_is(p, &id))
                .cloned()
        })
        .ok_or_else(|| GraphErr::item_not_found("conditionalAccessPolicy", &id))?;
    Ok(Json(with_context(
        policy,
        &state,
        version,
        "identity/conditionalAccess/policies/$entity",
    )))
}
