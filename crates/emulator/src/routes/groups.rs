//! Groups (`/groups`): list, get, create a security group, list and add members (`$ref`), and a
//! user's groups through the `transitiveMemberOf/microsoft.graph.group` cast (the uncast
//! memberships, groups and roles together, are in `member_of.rs`).
//! Permissions as the group pages state them: reading members `GroupMember.Read.All` (least),
//! creating `Group.ReadWrite.All`, adding members `GroupMember.ReadWrite.All`.

use super::common::{Collection, entity, json_object};
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::groups::GroupRecord;
use crate::odata::GraphQuery;
use crate::scopes::*;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::Value;

/// Group routes (the same on v1.0 and beta).
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(get_group))
        .route("/groups/{id}/members", get(list_members))
        .route("/groups/{id}/members/$ref", post(add_member))
        .route(
            "/users/{id}/transitiveMemberOf/microsoft.graph.group",
            get(user_groups),
        )
}

const GROUPS_READ: &[&str] = &[
    GROUP_MEMBER_READ_ALL,
    GROUP_READ_ALL,
    GROUP_RW_ALL,
    DIRECTORY_READ_ALL,
];
const GROUPS: Collection = Collection::directory("/groups", "groups");

fn not_found(id: &str) -> GraphErr {
    GraphErr::directory_not_found(id)
}

async fn list_groups(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(GROUPS_READ)?;
    GROUPS.filtered_page(
        &state,
        version,
        raw.as_deref(),
        &["displayName", "id", "securityEnabled"],
        "group",
        |t| t.groups.iter().map(GroupRecord::to_graph).collect(),
    )
}

async fn get_group(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(GROUPS_READ)?;
    let group = state
        .read(|t| t.group(&id).map(GroupRecord::to_graph))
        .ok_or_else(|| not_found(&id))?;
    Ok(entity(&state, version, "groups/$entity", group))
}

/// `POST /groups` with a security group's `displayName`, `mailEnabled: false`, `mailNickname`
/// and `securityEnabled: true` (the properties the create page marks required).
async fn create_group(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), GraphErr> {
    caller.require(&[GROUP_RW_ALL], &[])?;
    let body = json_object(&body)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let name = text("displayName").filter(|n| !n.trim().is_empty());
    let (Some(name), Some(_nickname)) = (name, text("mailNickname")) else {
        return Err(GraphErr::bad_request(
            "Invalid value specified for property 'displayName' or 'mailNickname' of resource 'Group'.",
        ));
    };
    if body.get("securityEnabled") != Some(&Value::Bool(true))
        || body.get("mailEnabled") != Some(&Value::Bool(false))
    {
        return Err(GraphErr::bad_request(
            "Only security groups (securityEnabled true, mailEnabled false) can be created here.",
        ));
    }
    let group = GroupRecord {
        id: uuid::Uuid::new_v4().to_string(),
        display_name: name,
        description: text("description"),
        created: chrono::Utc::now(),
        members: Vec::new(),
    };
    let answer = group.to_graph();
    state.write(|t| t.groups.push(group));
    Ok((
        StatusCode::CREATED,
        entity(&state, version, "groups/$entity", answer),
    ))
}

async fn list_members(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(GROUPS_READ)?;
    let members = state
        .read(|t| {
            t.group(&id).map(|g| {
                g.members
                    .iter()
                    .filter_map(|m| t.user(m.as_str()).map(|u| u.to_directory_object()))
                    .collect::<Vec<_>>()
            })
        })
        .ok_or_else(|| not_found(&id))?;
    let query = GraphQuery::parse(raw.as_deref());
    Collection::directory("/groups/members", "directoryObjects")
        .page(&state, version, &query, members)
}

/// The object id at the end of an `@odata.id` such as `https://graph.microsoft.com/v1.0/directoryObjects/{id}`.
pub(crate) fn referenced_id(body: &Bytes) -> Result<String, GraphErr> {
    let body = json_object(body)?;
    body.get("@odata.id")
        .and_then(Value::as_str)
        .and_then(|s| s.trim_end_matches('/').rsplit('/').next())
        .map(|id| id.trim_matches(|c| c == '{' || c == '}').to_string())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            GraphErr::bad_request(
                "The request body must be {\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"}.",
            )
        })
}

async fn add_member(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    caller.require(&[GROUP_MEMBER_RW_ALL, GROUP_RW_ALL], &[])?;
    let member = referenced_id(&body)?;
    state.write(|t| {
        let user = t
            .user(&member)
            .map(|u| u.id.clone())
            .ok_or_else(|| not_found(&member))?;
        let group = t
            .groups
            .iter_mut()
            .find(|g| g.id.eq_ignore_ascii_case(&id))
            .ok_or_else(|| not_found(&id))?;
        if group.members.contains(&user) {
            return Err(GraphErr::bad_request(
                "One or more added object references already exist for the following modified properties: 'members'.",
            ));
        }
        group.members.push(user);
        Ok(StatusCode::NO_CONTENT)
    })
}

/// `GET /users/{id}/transitiveMemberOf/microsoft.graph.group`: only the groups (the cast segment).
async fn user_groups(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(&[USER_READ_ALL, GROUP_MEMBER_READ_ALL, DIRECTORY_READ_ALL])?;
    let items = state
        .read(|t| {
            let user = t.user(&id)?;
            Some(
                t.groups
                    .iter()
                    .filter(|g| g.members.contains(&user.id))
                    .map(GroupRecord::to_graph)
                    .collect::<Vec<_>>(),
            )
        })
        .ok_or_else(|| not_found(&id))?;
    let query = GraphQuery::parse(raw.as_deref());
    Collection::directory("/users/transitiveMemberOf/microsoft.graph.group", "groups")
        .page(&state, version, &query, items)
}
