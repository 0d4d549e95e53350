//! A user's memberships: `GET /users/{id}/memberOf` and `/transitiveMemberOf` (groups and
//! directory roles; the emulator's groups do not nest, so direct and transitive agree), and the
//! `microsoft.graph.directoryRole` cast (roles only). Microsoft's "List a user's memberships (direct and transitive)":
//! User.Read.All is the least privileged permission for another user; objects the caller may
//! not read come back with limited information (only `@odata.type` and `id`), and reading
//! directory roles needs RoleManagement.Read.Directory or Directory.Read.All.

use super::common::Collection;
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::odata::GraphQuery;
use crate::scopes::*;
use crate::state::SharedState;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

/// Reading another user's memberships.
const MEMBERSHIP_READ: &[&str] = &[
    USER_READ_ALL,
    DIRECTORY_READ_ALL,
    "Directory.ReadWrite.All",
    "Group.Read.All",
    "GroupMember.Read.All",
];
/// Reading directory role objects in full.
const ROLE_READ: &[&str] = &[
    ROLE_MANAGEMENT_READ,
    DIRECTORY_READ_ALL,
    "Directory.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
];
const ROLES: Collection = Collection::directory("/users/memberOf", "directoryObjects");

/// The membership routes (the same on v1.0 and beta).
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/users/{id}/memberOf", get(user_memberships))
        .route("/users/{id}/transitiveMemberOf", get(user_memberships))
        .route(
            "/users/{id}/memberOf/microsoft.graph.directoryRole",
            get(user_roles),
        )
        .route(
            "/users/{id}/transitiveMemberOf/microsoft.graph.directoryRole",
            get(user_roles),
        )
}

/// Groups the token may read in full; others come back as `@odata.type` and `id` only.
const GROUP_READ: &[&str] = &[
    GROUP_MEMBER_READ_ALL,
    GROUP_READ_ALL,
    GROUP_RW_ALL,
    DIRECTORY_READ_ALL,
    "Directory.ReadWrite.All",
];

/// `GET /users/{id}/memberOf` and `/transitiveMemberOf`: the user's groups, then their roles.
async fn user_memberships(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    if caller.token.user_id.as_str() != id {
        caller.require_scope(MEMBERSHIP_READ)?;
    }
    let full_groups = GROUP_READ.iter().any(|s| caller.token.has_scope(s));
    let mut items: Vec<Value> = state
        .read(|t| {
            let user = t.user(&id)?;
            Some(
                t.groups
                    .iter()
                    .filter(|g| g.members.contains(&user.id))
                    .map(|g| {
                        let group = g.to_graph();
                        if full_groups {
                            group
                        } else {
                            json!({"@odata.type": group["@odata.type"], "id": group["id"]})
                        }
                    })
                    .collect(),
            )
        })
        .ok_or_else(|| GraphErr::directory_not_found(&id))?;
    items.extend(role_items(&state, &caller, &id)?);
    let query = GraphQuery::parse(raw.as_deref());
    ROLES.page(&state, version, &query, items)
}

/// `GET /users/{id}/memberOf/microsoft.graph.directoryRole` (and transitive): roles only.
async fn user_roles(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    if caller.token.user_id.as_str() != id {
        caller.require_scope(MEMBERSHIP_READ)?;
    }
    let items = role_items(&state, &caller, &id)?;
    let query = GraphQuery::parse(raw.as_deref());
    ROLES.page(&state, version, &query, items)
}

/// The user's directory roles as the caller may see them: in full with a role-read scope,
/// otherwise limited to `@odata.type` and `id`.
fn role_items(state: &SharedState, caller: &Caller, id: &str) -> Result<Vec<Value>, GraphErr> {
    let full = ROLE_READ.iter().any(|s| caller.token.has_scope(s));
    let tenant = state.tenant_id();
    let roles = state
        .read(|t| t.user(id).map(|u| u.roles.clone()))
        .ok_or_else(|| GraphErr::directory_not_found(id))?;
    Ok(roles
        .iter()
        .map(|r| {
            let role = r.to_graph(tenant.as_str());
            if full {
                role
            } else {
                json!({"@odata.type": role["@odata.type"], "id": role["id"]})
            }
        })
        .collect())
}
