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
        policy["includedGroups"] = json!([]);
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
        for (k, v) in body {
            policy[k] = v;
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
