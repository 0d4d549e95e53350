//! Directory reads: `/users` (with `$filter`, `$search`, `$select`, `$top`, paging), one user,
//! `/me` and its directory roles (`memberOf`, `transitiveMemberOf`), and `/organization`.

use super::common::{Collection, entity, filter_of};
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::odata::{GraphQuery, search_matches, select};
use crate::scopes::*;
use crate::state::{SharedState, UserRecord};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

/// User and tenant routes (the same on v1.0 and beta).
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/users", get(list_users))
        .route("/users/{id}", get(get_user))
        .route("/me", get(me))
        .route("/me/memberOf", get(me_roles))
        .route("/me/transitiveMemberOf", get(me_roles))
        .route("/me/memberOf/microsoft.graph.directoryRole", get(me_roles))
        .route(
            "/me/transitiveMemberOf/microsoft.graph.directoryRole",
            get(me_roles),
        )
        .route("/organization", get(organization))
        .route("/users/{id}/licenseDetails", get(license_details))
        .route("/me/licenseDetails", get(my_license_details))
}

/// Scopes that let a caller read directory role objects ("List directoryRoles"): without one,
/// roles in a membership list come back with limited information.
const ROLE_READ: &[&str] = &[
    ROLE_MANAGEMENT_READ,
    ROLE_MANAGEMENT_RW,
    DIRECTORY_READ_ALL,
    "Directory.ReadWrite.All",
];
const LICENSES: Collection = Collection::directory("/users/licenseDetails", "users/licenseDetails");

/// "List licenseDetails": the licences assigned to a user (members hold the tenant's SKU unless
/// a test took it away; guests hold none). Permissions and roles: [`crate::permissions`].
async fn license_details(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let items = state
        .read(|t| {
            t.user(&id).map(|u| {
                t.readiness
                    .license_details(u.id.as_str(), u.user_type == "Member")
            })
        })
        .ok_or_else(|| GraphErr::directory_not_found(&id))?;
    LICENSES.page(&state, version, &GraphQuery::parse(raw.as_deref()), items)
}

async fn my_license_details(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    license_details(
        State(state),
        Extension(version),
        caller.clone(),
        Path(caller.token.user_id.as_str().to_string()),
        RawQuery(raw),
    )
    .await
}

const USERS_READ: &[&str] = &[
    USER_READ_ALL,
    DIRECTORY_READ_ALL,
    "User.ReadWrite.All",
    "User.ReadBasic.All",
];
const ME_READ: &[&str] = &[USER_READ, USER_READ_ALL, DIRECTORY_READ_ALL];
const USERS: Collection = Collection::directory("/users", "users");
const MY_ROLES: Collection = Collection::directory("/me/memberOf", "directoryObjects");
const USER_FILTER_FIELDS: &[&str] = &[
    "userPrincipalName",
    "displayName",
    "mail",
    "accountEnabled",
    "id",
    "givenName",
    "surname",
    "userType",
    "jobTitle",
    "department",
];

async fn list_users(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(USERS_READ)?;
    let query = GraphQuery::parse(raw.as_deref());
    let eventual = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let search = query.get("search").map(str::to_string);
    if search.is_some() && !eventual {
        return Err(GraphErr::new(
            axum::http::StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        ));
    }
    if query
        .get("count")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
        && !eventual
    {
        return Err(GraphErr::new(
            axum::http::StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "$count on directory objects needs the request header 'ConsistencyLevel: eventual'.",
        ));
    }
    let filter = filter_of(&query, USER_FILTER_FIELDS, "User")?;
    let users: Vec<Value> = state.read(|t| t.users.iter().map(|u| user_json(u, &query)).collect());
    let mut items = Vec::new();
    for user in users {
        if !filter.matches(&user) {
            continue;
        }
        if let Some(search) = &search
            && !search_matches(search, &user)?
        {
            continue;
        }
        items.push(user);
    }
    USERS.page(&state, version, &query, items)
}

async fn get_user(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(USERS_READ)?;
    user_entity(&state, version, &id, raw.as_deref())
}

async fn me(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(ME_READ)?;
    user_entity(
        &state,
        version,
        caller.token.user_id.as_str(),
        raw.as_deref(),
    )
}

/// A user's properties: the default set, plus `identities` when `$select` names it (Graph
/// returns `identities` only then).
fn user_json(user: &UserRecord, query: &GraphQuery) -> Value {
    let mut json = user.to_graph();
    let selected = query.get("select").is_some_and(|fields| {
        fields
            .split(',')
            .any(|f| f.trim().eq_ignore_ascii_case("identities"))
    });
    if selected {
        json["identities"] = user.identities();
    }
    json
}

/// One user by id or UPN, with `$select`, as `/users/{id}` and `/me` answer it. `id` arrives
/// percent-decoded, as Graph reads the segment: `%23EXT%23` is a guest's `#EXT#`, and an encoded
/// `%2F` stays part of the one key (so it names no user) instead of starting a new segment.
fn user_entity(
    state: &SharedState,
    version: ApiVersion,
    id: &str,
    raw_query: Option<&str>,
) -> Result<Json<Value>, GraphErr> {
    let query = GraphQuery::parse(raw_query);
    let user = state
        .read(|t| t.user(id).map(|u| user_json(u, &query)))
        .ok_or_else(|| GraphErr::directory_not_found(id))?;
    Ok(entity(
        state,
        version,
        "users/$entity",
        select(user, &query),
    ))
}

async fn me_roles(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(ME_READ)?;
    let tenant = state.tenant_id();
    // "Limited information returned for inaccessible member objects": a token that may not read
    // directory roles sees each role's type and id only.
    let full = ROLE_READ.iter().any(|s| caller.token.has_scope(s));
    let items: Vec<Value> = caller
        .roles
        .iter()
        .map(|r| {
            if full {
                r.to_graph(tenant.as_str())
            } else {
                r.to_graph_limited(tenant.as_str())
            }
        })
        .collect();
    let query = GraphQuery::parse(raw.as_deref());
    MY_ROLES.page(&state, version, &query, items)
}

async fn organization(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(&[USER_READ, "Organization.Read.All", DIRECTORY_READ_ALL])?;
    let org = state.read(|t| {
        let mut plans = vec![json!({
            "assignedDateTime": "2025-01-01T00:00:00Z", "capabilityStatus": "Enabled",
            "service": "SCO", "servicePlanId": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
        })];
        if t.has_premium {
            plans.push(json!({
                "assignedDateTime": "2025-01-01T00:00:00Z", "capabilityStatus": "Enabled",
                "service": "AADPremiumService", "servicePlanId": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
            }));
        }
        json!({
            "id": t.tenant.id,
            "displayName": t.tenant.display_name,
            "tenantType": "AAD",
            "countryLetterCode": "US",
            "preferredLanguage": "en",
            "assignedPlans": plans,
            "verifiedDomains": [{
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": true, "isInitial": true, "name": t.tenant.domain, "type": "Managed",
            }],
        })
    });
    Ok(Json(json!({
        "@odata.context": super::common::context(&state, version, "organization"),
        "value": [org],
    })))
}
