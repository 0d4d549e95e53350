//! The MDM user scope (`mobileDeviceManagementPolicies`, beta only): list, get, and PATCH of
//! `appliesTo` alone, as the contract describes.

use super::common::{Collection, bool_field, entity, enum_field, json_object, only_known};
use super::id_is;
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::odata::GraphQuery;
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{Value, json};

const MDM_READ: &[&str] = &[POLICY_READ_ALL, POLICY_RW_MOBILITY, "Policy.ReadWrite.All"];
const MDM_TYPE: &str = "microsoft.graph.mobileDeviceManagementPolicy";
const MDM_POLICIES: Collection = Collection::directory(
    "/policies/mobileDeviceManagementPolicies",
    "mobilityManagementPolicies",
);

pub(super) async fn list_mdm_policies(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(MDM_READ)?;
    MDM_POLICIES.filtered_page(
        &state,
        version,
        raw.as_deref(),
        &["displayName", "appliesTo", "id"],
        "mobilityManagementPolicy",
        |t| t.mdm_policies.clone(),
    )
}

pub(super) async fn get_mdm_policy(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(MDM_READ)?;
    let policy = state
        .read(|t| t.mdm_policies.iter().find(|p| id_is(p, &id)).cloned())
        .ok_or_else(|| GraphErr::item_not_found("mobility management policy", &id))?;
    let query = GraphQuery::parse(raw.as_deref());
    let mut policy = crate::odata::select(policy, &query);
    if query
        .get("expand")
        .is_some_and(|e| e.contains("includedGroups"))
    {
        policy["includedGroups"] = Value::Array(included_groups(&state, &id));
    }
    Ok(entity(
        &state,
        version,
        "mobilityManagementPolicies/$entity",
        policy,
    ))
}

pub(super) async fn patch_mdm_policy(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    caller.require(&[POLICY_RW_MOBILITY], &[DirectoryRole::IntuneAdministrator])?;
    let body = json_object(&body)?;
    only_known(
        &body,
        &[
            "appliesTo",
            "complianceUrl",
            "discoveryUrl",
            "termsOfUseUrl",
            "description",
            "displayName",
            "isMdmEnrollmentDuringRegistrationDisabled",
        ],
        MDM_TYPE,
    )?;
    if body.contains_key("appliesTo") && body.len() > 1 {
        return Err(GraphErr::bad_request(
            "You cannot use PATCH operation for appliesTo with the other properties. Send appliesTo alone.",
        ));
    }
    if body.get("appliesTo").and_then(Value::as_str) == Some("selected") {
        return Err(GraphErr::bad_request(
            "appliesTo cannot be set to 'selected' directly; add groups with POST .../includedGroups/$ref.",
        ));
    }
    enum_field(
        &body,
        "appliesTo",
        &["none", "all"],
        "microsoft.graph.policyScope",
    )?;
    bool_field(&body, "isMdmEnrollmentDuringRegistrationDisabled")?;
    for key in [
        "complianceUrl",
        "discoveryUrl",
        "termsOfUseUrl",
        "description",
        "displayName",
    ] {
        if let Some(v) = body.get(key)
            && !(v.is_string() || v.is_null())
        {
            return Err(GraphErr::bad_request(format!(
                "Property '{key}' must be a string."
            )));
        }
    }
    state.write(|t| {
        let policy = t
            .mdm_policies
            .iter_mut()
            .find(|p| id_is(p, &id))
            .ok_or_else(|| GraphErr::item_not_found("mobility management policy", &id))?;
        if policy.get("isValid") == Some(&Value::Bool(false)) {
            return Err(GraphErr::bad_request(
                "An invalid policy cannot be updated; delete it instead.",
            ));
        }
        let to_all = body.get("appliesTo").and_then(Value::as_str) == Some("all");
        for (k, v) in body {
            policy[k] = v;
        }
        if to_all {
            // "Using `all` will remove any existing groups" (the update page).
            t.mdm_included_groups
                .retain(|p, _| !p.eq_ignore_ascii_case(&id));
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// The policy's included groups as Graph `group` objects.
fn included_groups(state: &SharedState, policy_id: &str) -> Vec<Value> {
    state.read(|t| {
        t.mdm_included_groups(policy_id)
            .iter()
            .filter_map(|g| t.group(g).map(|g| g.to_graph()))
            .collect()
    })
}

fn policy_exists(state: &SharedState, id: &str) -> Result<(), GraphErr> {
    if state.read(|t| t.mdm_policies.iter().any(|p| id_is(p, id))) {
        Ok(())
    } else {
        Err(GraphErr::item_not_found("mobility management policy", id))
    }
}

/// `GET .../mobileDeviceManagementPolicies/{id}/includedGroups` (`Policy.Read.All`, least).
pub(super) async fn list_included_groups(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(MDM_READ)?;
    policy_exists(&state, &id)?;
    let query = GraphQuery::parse(raw.as_deref());
    Collection::directory(
        "/policies/mobileDeviceManagementPolicies/includedGroups",
        "groups",
    )
    .page(&state, version, &query, included_groups(&state, &id))
}

/// `POST .../includedGroups/$ref`: adds a group; the scope becomes `selected` ("Some"), the only
/// way it can (the update page: "`selected` cannot be used when specifying this property").
pub(super) async fn add_included_group(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    caller.require(&[POLICY_RW_MOBILITY], &[DirectoryRole::IntuneAdministrator])?;
    let group = super::groups::referenced_id(&body)?;
    policy_exists(&state, &id)?;
    state.write(|t| {
        if t.group(&group).is_none() {
            return Err(GraphErr::directory_not_found(&group));
        }
        let key = t
            .mdm_policies
            .iter()
            .find(|p| id_is(p, &id))
            .and_then(|p| p.get("id").and_then(Value::as_str))
            .unwrap_or(&id)
            .to_string();
        let groups = t.mdm_included_groups.entry(key.clone()).or_default();
        if !groups.iter().any(|g| g.eq_ignore_ascii_case(&group)) {
            groups.push(group);
        }
        if let Some(policy) = t.mdm_policies.iter_mut().find(|p| id_is(p, &key)) {
            policy["appliesTo"] = json!("selected");
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// `DELETE .../includedGroups/{groupId}/$ref`.
pub(super) async fn remove_included_group(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, group)): Path<(String, String)>,
) -> Result<StatusCode, GraphErr> {
    caller.require(&[POLICY_RW_MOBILITY], &[DirectoryRole::IntuneAdministrator])?;
    policy_exists(&state, &id)?;
    state.write(|t| {
        let groups = t
            .mdm_included_groups
            .iter_mut()
            .find(|(p, _)| p.eq_ignore_ascii_case(&id))
            .map(|(_, g)| g)
            .ok_or_else(|| GraphErr::directory_not_found(&group))?;
        let before = groups.len();
        groups.retain(|g| !g.eq_ignore_ascii_case(&group));
        if groups.len() == before {
            return Err(GraphErr::directory_not_found(&group));
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
