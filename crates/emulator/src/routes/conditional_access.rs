//! Conditional access policies (read only; the demo tenant has "Require MFA for all users").
//! Reading them needs `Policy.Read.All` and, for the signed-in user, a role the list page names
//! (Security Reader, Global Reader, Security Administrator, Conditional Access Administrator):
//! Reports Reader is not enough.

use super::common::{Collection, entity};
use super::id_is;
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::SharedState;
use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use serde_json::Value;

/// The roles of the list page that the emulator knows (Global Administrator always passes).
const CA_READERS: &[DirectoryRole] = &[DirectoryRole::SecurityReader, DirectoryRole::GlobalReader];

const CA_POLICIES: Collection = Collection::directory(
    "/identity/conditionalAccess/policies",
    "identity/conditionalAccess/policies",
);

pub(super) async fn list_ca_policies(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require(&[POLICY_READ_ALL], CA_READERS)?;
    CA_POLICIES.filtered_page(
        &state,
        version,
        raw.as_deref(),
        &["displayName", "state", "id"],
        "conditionalAccessPolicy",
        |t| t.conditional_access_policies.clone(),
    )
}

pub(super) async fn get_ca_policy(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require(&[POLICY_READ_ALL], CA_READERS)?;
    let policy = state
        .read(|t| {
            t.conditional_access_policies
                .iter()
                .find(|p| id_is(p, &id))
                .cloned()
        })
        .ok_or_else(|| GraphErr::item_not_found("conditionalAccessPolicy", &id))?;
    Ok(entity(
        &state,
        version,
        "identity/conditionalAccess/policies/$entity",
        policy,
    ))
}
