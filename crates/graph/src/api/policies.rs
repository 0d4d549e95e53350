//! The tenant policies of lab steps 1, 2 and 5: the MDM user scope (beta only), the tenant-wide
//! Windows Hello for Business enrollment configuration, and the TAP method configuration.

use crate::models::{
    EnrollmentConfiguration, MDM_POLICY_ID, MdmPolicy, TAP_CONFIG_TYPE, TapMethodConfig,
    TapPolicyPatch, WHFB_CONFIG_TYPE, WhfbConfig,
};
use crate::{GraphClient, GraphError, GraphPath};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `/policies/mobileDeviceManagementPolicies/0000000a-…` on beta (there is no v1.0 page).
pub fn mdm_policy_path() -> GraphPath {
    GraphPath::beta()
        .seg("policies/mobileDeviceManagementPolicies")
        .key(MDM_POLICY_ID)
}

/// `/deviceManagement/deviceEnrollmentConfigurations` on v1.0.
pub fn enrollment_configurations_path() -> GraphPath {
    GraphPath::v1().seg("deviceManagement/deviceEnrollmentConfigurations")
}

/// `/deviceManagement/deviceEnrollmentConfigurations/{id}` on v1.0.
pub fn enrollment_configuration_path(id: &str) -> GraphPath {
    enrollment_configurations_path().key(id)
}

/// `/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`.
pub fn tap_policy_path() -> GraphPath {
    GraphPath::v1()
        .seg("policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass")
}

/// Decodes an object that some Graph examples wrap in `value` (graph-contract.md §1): either way.
fn unwrapped<T: DeserializeOwned>(
    graph: &GraphClient,
    path: &GraphPath,
    v: Value,
) -> Result<T, GraphError> {
    let object = match v.get("value") {
        Some(inner) if inner.is_object() => inner.clone(),
        _ => v,
    };
    serde_json::from_value(object).map_err(|e| GraphError::Decode {
        status: 200,
        url: graph.url_of(path),
        reason: e.to_string(),
    })
}

/// `GET` the Intune MDM policy (step 1).
pub async fn mdm_policy(graph: &GraphClient) -> Result<MdmPolicy, GraphError> {
    let path = mdm_policy_path();
    let value: Value = graph.get_at(&path).await?;
    unwrapped(graph, &path, value)
}

/// `GET` the Intune MDM policy with `$expand=includedGroups` (step 1's journal keeps them).
pub async fn mdm_policy_with_groups(graph: &GraphClient) -> Result<MdmPolicy, GraphError> {
    let path = mdm_policy_path().query("$expand", "includedGroups");
    let value: Value = graph.get_at(&path).await?;
    unwrapped(graph, &path, value)
}

/// `POST …/includedGroups/$ref {"@odata.id": "…/groups/{id}"}`: adds a group to scope "Some";
/// the only way back to `selected` (the update page: `selected` cannot be PATCHed).
pub async fn add_mdm_included_group(graph: &GraphClient, group_id: &str) -> Result<(), GraphError> {
    let path = mdm_policy_path().seg("includedGroups/$ref");
    graph
        .post_at(&path, &mdm_included_group_body(graph, group_id))
        .await
        .map(|_| ())
}

/// `DELETE …/includedGroups/{groupId}/$ref`: takes a group out of scope "Some".
pub async fn remove_mdm_included_group(
    graph: &GraphClient,
    group_id: &str,
) -> Result<(), GraphError> {
    let path = mdm_policy_path()
        .seg("includedGroups")
        .key(group_id)
        .seg("$ref");
    graph.delete_at(&path).await
}

/// The body [`add_mdm_included_group`] sends for a group.
pub fn mdm_included_group_body(graph: &GraphClient, group_id: &str) -> Value {
    json!({ "@odata.id": graph.url_of(&GraphPath::beta().seg("groups").key(group_id)) })
}

/// The body [`set_mdm_applies_to`] sends: `appliesTo` alone, as Graph requires.
pub fn mdm_applies_to_body(applies_to: &str) -> Value {
    json!({ "appliesTo": applies_to })
}

/// `PATCH {"appliesTo": …}` on the MDM policy (step 1; `selected` cannot be set this way).
pub async fn set_mdm_applies_to(graph: &GraphClient, applies_to: &str) -> Result<(), GraphError> {
    graph
        .patch_at(&mdm_policy_path(), &mdm_applies_to_body(applies_to))
        .await
        .map(|_| ())
}

/// `GET` every enrollment configuration (all kinds), to find the tenant-wide WHfB one (step 2).
pub async fn enrollment_configurations(
    graph: &GraphClient,
) -> Result<Vec<EnrollmentConfiguration>, GraphError> {
    graph.list_at(&enrollment_configurations_path()).await
}

/// The tenant-wide WHfB configuration, in one read where Graph allows it (step 2): the list
/// answers every configuration with all of its derived type's properties ("All of the
/// properties will be returned from an actual call", List
/// deviceEnrollmentWindowsHelloForBusinessConfigurations,
/// <https://learn.microsoft.com/graph/api/intune-onboarding-deviceenrollmentwindowshelloforbusinessconfiguration-list?view=graph-rest-1.0>),
/// so the default one's item already says its `state`. Only an item without a `state` is read
/// again by its id. `None`: the tenant has no default WHfB configuration.
pub async fn whfb_default_configuration(
    graph: &GraphClient,
) -> Result<Option<WhfbConfig>, GraphError> {
    let path = enrollment_configurations_path();
    let items: Vec<Value> = graph.list_at(&path).await?;
    let Some(item) = items.into_iter().find(|item| {
        serde_json::from_value::<EnrollmentConfiguration>(item.clone())
            .is_ok_and(|c| c.is_whfb_default())
    }) else {
        return Ok(None);
    };
    let listed: WhfbConfig = unwrapped(graph, &path, item)?;
    if listed.state.is_some() {
        return Ok(Some(listed));
    }
    whfb_configuration(graph, &listed.id).await.map(Some)
}

/// `GET` one WHfB enrollment configuration.
pub async fn whfb_configuration(graph: &GraphClient, id: &str) -> Result<WhfbConfig, GraphError> {
    let path = enrollment_configuration_path(id);
    let value: Value = graph.get_at(&path).await?;
    unwrapped(graph, &path, value)
}

/// The body [`set_whfb_state`] sends: the state with the `@odata.type` Intune needs.
pub fn whfb_state_body(state: &str) -> Value {
    json!({ "@odata.type": WHFB_CONFIG_TYPE, "state": state })
}

/// `PATCH` a WHfB enrollment configuration's `state` (step 2).
pub async fn set_whfb_state(graph: &GraphClient, id: &str, state: &str) -> Result<(), GraphError> {
    graph
        .patch_at(&enrollment_configuration_path(id), &whfb_state_body(state))
        .await
        .map(|_| ())
}

/// `GET` the TAP method configuration (step 5; the help desk's checks). Needs Global Reader or
/// Authentication Policy Administrator: an Authentication Administrator gets 403.
pub async fn tap_policy(graph: &GraphClient) -> Result<TapMethodConfig, GraphError> {
    graph.get_at(&tap_policy_path()).await
}

/// The body [`patch_tap_policy`] sends: the change with the `@odata.type` Graph requires.
pub fn tap_policy_body(patch: &TapPolicyPatch) -> Value {
    let mut body = serde_json::to_value(patch).unwrap_or_else(|_| json!({}));
    body["@odata.type"] = json!(TAP_CONFIG_TYPE);
    body
}

/// `PATCH` the TAP method configuration (204).
pub async fn patch_tap_policy(
    graph: &GraphClient,
    patch: &TapPolicyPatch,
) -> Result<(), GraphError> {
    graph
        .patch_at(&tap_policy_path(), &tap_policy_body(patch))
        .await
        .map(|_| ())
}
