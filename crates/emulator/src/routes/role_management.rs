//! Directory roles as Graph's RBAC API answers them: beta `roleManagement/directory/
//! transitiveRoleAssignments` (the caller's own or another principal's assignments, by
//! `roleDefinitionId` = the built-in role's template id) and `directoryRoles` (the activated
//! roles). Permissions and roles are checked by [`crate::permissions`].

use super::common::Collection;
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::odata::GraphQuery;
use crate::roles::DirectoryRole;
use crate::state::SharedState;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

/// RBAC routes of one version (transitive assignments only on beta; PIM eligibilities on both).
pub fn routes(version: ApiVersion) -> Router<SharedState> {
    let mut router = Router::new()
        .route("/directoryRoles", get(directory_roles))
        .route(
            "/roleManagement/directory/roleEligibilityScheduleInstances",
            get(eligibility_instances),
        );
    if version == ApiVersion::Beta {
        router = router.route(
            "/roleManagement/directory/transitiveRoleAssignments",
            get(transitive_assignments),
        );
    }
    router
}

const ASSIGNMENTS: Collection = Collection::directory(
    "/roleManagement/directory/transitiveRoleAssignments",
    "roleManagement/directory/transitiveRoleAssignments",
);
const ELIGIBILITIES: Collection = Collection::directory(
    "/roleManagement/directory/roleEligibilityScheduleInstances",
    "roleManagement/directory/roleEligibilityScheduleInstances",
);
const ROLES: Collection = Collection::directory("/directoryRoles", "directoryRoles");

/// "List transitiveRoleAssignments" (beta): needs `ConsistencyLevel: eventual` and a `$filter`
/// on `principalId` (eq), optionally `and roleDefinitionId eq '…'`.
async fn transitive_assignments(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let eventual = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    if !eventual {
        return Err(GraphErr::unsupported_query(
            "transitiveRoleAssignments needs the request header 'ConsistencyLevel: eventual'.",
        ));
    }
    let query = GraphQuery::parse(raw.as_deref());
    let filter = query.get("filter").unwrap_or_default().to_string();
    let principal = quoted_after(&filter, "principalId eq ").ok_or_else(|| {
        GraphErr::unsupported_query(
            "transitiveRoleAssignments needs $filter=principalId eq '{id}' (optionally with roleDefinitionId).",
        )
    })?;
    let role_filter = quoted_after(&filter, "roleDefinitionId eq ");
    let tenant = state.tenant_id();
    let items: Vec<Value> = state
        .read(|t| {
            t.user(&principal)
                .map(|u| (u.id.as_str().to_string(), u.roles.clone()))
        })
        .map(|(id, roles)| {
            roles
                .iter()
                .filter(|r| {
                    role_filter
                        .as_deref()
                        .is_none_or(|f| f.eq_ignore_ascii_case(r.template_id()))
                })
                .map(|r| r.to_assignment(tenant.as_str(), &id))
                .collect()
        })
        .unwrap_or_default();
    ASSIGNMENTS.page(&state, version, &query, items)
}

/// "List roleEligibilityScheduleInstances" (v1.0, beta): every PIM eligibility, or one
/// principal's with `$filter=principalId eq '{id}'` (the resource page: `principalId` supports
/// `$filter` eq). Permission and role: [`crate::permissions`].
async fn eligibility_instances(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let query = GraphQuery::parse(raw.as_deref());
    let filter = query.get("filter").unwrap_or_default().to_string();
    let principal = quoted_after(&filter, "principalId eq ");
    if !filter.trim().is_empty() && principal.is_none() {
        return Err(GraphErr::unsupported_query(
            "roleEligibilityScheduleInstances supports $filter=principalId eq '{id}' here.",
        ));
    }
    let tenant = state.tenant_id();
    let items: Vec<Value> = state.read(|t| {
        t.users
            .iter()
            .filter(|u| {
                principal
                    .as_deref()
                    .is_none_or(|p| u.id.as_str().eq_ignore_ascii_case(p))
            })
            .flat_map(|u| {
                let since = crate::state::graph_time(u.created);
                u.eligible_roles
                    .iter()
                    .map(|r| r.to_eligibility(tenant.as_str(), u.id.as_str(), &since))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    ELIGIBILITIES.page(&state, version, &query, items)
}

fn quoted_after(filter: &str, prefix: &str) -> Option<String> {
    let lower = filter.to_ascii_lowercase();
    let at = lower.find(&prefix.to_ascii_lowercase())? + prefix.len();
    let rest = filter[at..].trim_start().strip_prefix('\'')?;
    rest.split_once('\'').map(|(v, _)| v.to_string())
}

/// "List directoryRoles": every role some user of the tenant holds (a role is activated when
/// first assigned).
async fn directory_roles(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let tenant = state.tenant_id();
    let items: Vec<Value> = state.read(|t| {
        DirectoryRole::ALL
            .iter()
            .filter(|r| t.users.iter().any(|u| u.roles.contains(r)))
            .map(|r| r.to_graph(tenant.as_str()))
            .collect()
    });
    ROLES.page(&state, version, &GraphQuery::parse(raw.as_deref()), items)
}
