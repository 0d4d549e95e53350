//! Policy routes: the MDM user scope (beta only), Intune enrollment configurations (the tenant-wide
//! WHfB one), the TAP authentication method configuration, and conditional access policies.

use super::common::{bool_field, enum_field, int_field, json_object, only_known, with_context};
use crate::emulator::caller::Caller;
use crate::emulator::error::GraphErr;
use crate::emulator::odata::{Filter, GraphQuery, PageBase, page};
use crate::emulator::roles::DirectoryRole;
use crate::emulator::scopes::*;
use crate::emulator::state::{SharedState, graph_time};
use crate::graph::ApiVersion;
use crate::graph::models::{TAP_CONFIG_TYPE, WHFB_CONFIG_TYPE};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

/// Policy routes of one version (the MDM policy only on beta).
pub fn routes(version: ApiVersion) -> Router<SharedState> {
    let mut router = Router::new()
        .route(
            "/deviceManagement/deviceEnrollmentConfigurations",
            get(list_enrollment_configs),
        )
        .route(
            "/deviceManagement/deviceEnrollmentConfigurations/{id}",
            get(get_enrollment_config).patch(patch_enrollment_config),
        )
        .route(
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
            get(get_method_config).patch(patch_method_config),
        )
        .route(
            "/identity/conditionalAccess/policies",
            get(list_ca_policies),
        )
        .route(
            "/identity/conditionalAccess/policies/{id}",
            get(get_ca_policy),
        );
    if version == ApiVersion::Beta {
        router = router
            .route(
                "/policies/mobileDeviceManagementPolicies",
                get(list_mdm_policies),
            )
            .route(
                "/policies/mobileDeviceManagementPolicies/{id}",
                get(get_mdm_policy).patch(patch_mdm_policy),
            );
    }
    router
}

// ---- MDM user scope (beta) ----

const MDM_READ: &[&str] = &[POLICY_READ_ALL, POLICY_RW_MOBILITY, "Policy.ReadWrite.All"];
const MDM_TYPE: &str = "microsoft.graph.mobileDeviceManagementPolicy";

async fn list_mdm_policies(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(MDM_READ)?;
    let query = GraphQuery::parse(raw.as_deref());
    let filter = match query.get("filter") {
        Some(f) => Filter::parse(
            f,
            &["displayName", "appliesTo", "id"],
            "mobilityManagementPolicy",
        )?,
        None => Filter::default(),
    };
    let items: Vec<Value> = state.read(|t| {
        t.mdm_policies
            .iter()
            .filter(|p| filter.matches(p))
            .cloned()
            .collect()
    });
    let base = PageBase {
        root: state.root_url(),
        version: version.segment(),
        path: "/policies/mobileDeviceManagementPolicies",
        context: "mobilityManagementPolicies",
    };
    Ok(Json(page(items, &query, &base, 100, 999)?))
}

async fn get_mdm_policy(
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
    let mut policy = crate::emulator::odata::select(policy, &query);
    if query
        .get("expand")
        .is_some_and(|e| e.contains("includedGroups"))
    {
        policy["includedGroups"] = json!([]);
    }
    Ok(Json(with_context(
        policy,
        &state,
        version,
        "mobilityManagementPolicies/$entity",
    )))
}

async fn patch_mdm_policy(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    caller.require_scope(&[POLICY_RW_MOBILITY])?;
    caller.require_role(&[DirectoryRole::IntuneAdministrator])?;
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

// ---- Intune enrollment configurations ----

const ENROLLMENT_READ: &[&str] = &[
    DM_SERVICE_CONFIG_READ,
    DM_SERVICE_CONFIG_RW,
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const BETA_ONLY_ENROLLMENT: &[&str] = &[
    "deviceEnrollmentConfigurationType",
    "roleScopeTagIds",
    "securityKeyForSignIn",
    "enhancedSignInSecurity",
];

fn shape_enrollment(mut config: Value, version: ApiVersion) -> Value {
    if version == ApiVersion::V1
        && let Value::Object(map) = &mut config
    {
        for key in BETA_ONLY_ENROLLMENT {
            map.remove(*key);
        }
    }
    config
}

async fn list_enrollment_configs(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(ENROLLMENT_READ)?;
    let query = GraphQuery::parse(raw.as_deref());
    let fields: &[&str] = match version {
        ApiVersion::Beta => &[
            "deviceEnrollmentConfigurationType",
            "displayName",
            "id",
            "priority",
        ],
        ApiVersion::V1 => &["displayName", "id"],
    };
    let filter = match query.get("filter") {
        Some(f) => Filter::parse(f, fields, "deviceEnrollmentConfiguration")?,
        None => Filter::default(),
    };
    let items: Vec<Value> = state.read(|t| {
        t.enrollment_configurations
            .iter()
            .filter(|c| filter.matches(c))
            .map(|c| shape_enrollment(c.clone(), version))
            .collect()
    });
    let base = PageBase {
        root: state.root_url(),
        version: version.segment(),
        path: "/deviceManagement/deviceEnrollmentConfigurations",
        context: "deviceManagement/deviceEnrollmentConfigurations",
    };
    Ok(Json(page(items, &query, &base, 100, 999)?))
}

async fn get_enrollment_config(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(ENROLLMENT_READ)?;
    let config = state
        .read(|t| {
            t.enrollment_configurations
                .iter()
                .find(|c| id_is(c, &id))
                .cloned()
        })
        .ok_or_else(|| GraphErr::item_not_found("deviceEnrollmentConfiguration", &id))?;
    Ok(Json(with_context(
        shape_enrollment(config, version),
        &state,
        version,
        "deviceManagement/deviceEnrollmentConfigurations/$entity",
    )))
}

async fn patch_enrollment_config(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(&[
        DM_SERVICE_CONFIG_RW,
        "DeviceManagementConfiguration.ReadWrite.All",
    ])?;
    caller.require_role(&[DirectoryRole::IntuneAdministrator])?;
    let mut body = json_object(&body)?;
    let existing_type = state
        .read(|t| {
            t.enrollment_configurations
                .iter()
                .find(|c| id_is(c, &id))
                .map(|c| c["@odata.type"].as_str().unwrap_or_default().to_string())
        })
        .ok_or_else(|| GraphErr::item_not_found("deviceEnrollmentConfiguration", &id))?;
    match body.remove("@odata.type") {
        Some(Value::String(t)) if t == existing_type => {}
        Some(other) => {
            return Err(GraphErr::bad_request(format!(
                "The @odata.type {other} does not match the type of '{id}' ({existing_type})."
            )));
        }
        None => {
            return Err(GraphErr::bad_request(format!(
                "The request body needs '@odata.type' ('{existing_type}') to update a derived deviceEnrollmentConfiguration."
            )));
        }
    }
    for read_only in [
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "version",
        "deviceEnrollmentConfigurationType",
    ] {
        body.remove(read_only);
    }
    if existing_type == WHFB_CONFIG_TYPE {
        validate_whfb(&body, version, &state, &id)?;
    } else {
        return Err(GraphErr::bad_request(format!(
            "Updating '{existing_type}' is not supported by this emulator."
        )));
    }
    let updated = state.write(|t| {
        let config = t
            .enrollment_configurations
            .iter_mut()
            .find(|c| id_is(c, &id))
            .ok_or_else(|| GraphErr::item_not_found("deviceEnrollmentConfiguration", &id))?;
        for (k, v) in body {
            config[k] = v;
        }
        config["lastModifiedDateTime"] = json!(graph_time(chrono::Utc::now()));
        config["version"] = json!(config["version"].as_i64().unwrap_or(0) + 1);
        Ok::<_, GraphErr>(config.clone())
    })?;
    Ok(Json(with_context(
        shape_enrollment(updated, version),
        &state,
        version,
        "deviceManagement/deviceEnrollmentConfigurations/$entity",
    )))
}

fn validate_whfb(
    body: &serde_json::Map<String, Value>,
    version: ApiVersion,
    state: &SharedState,
    id: &str,
) -> Result<(), GraphErr> {
    let mut known = vec![
        "displayName",
        "description",
        "priority",
        "state",
        "pinMinimumLength",
        "pinMaximumLength",
        "pinUppercaseCharactersUsage",
        "pinLowercaseCharactersUsage",
        "pinSpecialCharactersUsage",
        "securityDeviceRequired",
        "unlockWithBiometricsEnabled",
        "remotePassportEnabled",
        "pinPreviousBlockCount",
        "pinExpirationInDays",
        "enhancedBiometricsState",
    ];
    if version == ApiVersion::Beta {
        known.extend([
            "roleScopeTagIds",
            "securityKeyForSignIn",
            "enhancedSignInSecurity",
        ]);
    }
    only_known(
        body,
        &known,
        "microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
    )?;
    let enablement = &["notConfigured", "enabled", "disabled"];
    enum_field(body, "state", enablement, "microsoft.graph.enablement")?;
    enum_field(
        body,
        "enhancedBiometricsState",
        enablement,
        "microsoft.graph.enablement",
    )?;
    enum_field(
        body,
        "securityKeyForSignIn",
        enablement,
        "microsoft.graph.enablement",
    )?;
    for key in [
        "pinUppercaseCharactersUsage",
        "pinLowercaseCharactersUsage",
        "pinSpecialCharactersUsage",
    ] {
        enum_field(
            body,
            key,
            &["allowed", "required", "disallowed"],
            "microsoft.graph.windowsHelloForBusinessPinUsage",
        )?;
    }
    for key in [
        "securityDeviceRequired",
        "unlockWithBiometricsEnabled",
        "remotePassportEnabled",
    ] {
        bool_field(body, key)?;
    }
    int_field(body, "pinPreviousBlockCount", 0..=50)?;
    int_field(body, "pinExpirationInDays", 0..=730)?;
    let min = int_field(body, "pinMinimumLength", 4..=127)?;
    let max = int_field(body, "pinMaximumLength", 4..=127)?;
    let (cur_min, cur_max) = state.read(|t| {
        t.enrollment_configurations
            .iter()
            .find(|c| id_is(c, id))
            .map(|c| {
                (
                    c["pinMinimumLength"].as_i64().unwrap_or(6),
                    c["pinMaximumLength"].as_i64().unwrap_or(127),
                )
            })
            .unwrap_or((6, 127))
    });
    let (min, max) = (min.unwrap_or(cur_min), max.unwrap_or(cur_max));
    if min > max {
        return Err(GraphErr::bad_request(format!(
            "pinMinimumLength ({min}) must not be greater than pinMaximumLength ({max})."
        )));
    }
    Ok(())
}

// ---- TAP authentication method configuration ----

const TAP_TYPE_NAME: &str = "microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";

async fn get_method_config(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(&[POLICY_READ_ALL, POLICY_RW_AUTH_METHOD])?;
    check_tap_id(&id)?;
    let policy = state.read(|t| t.tap_policy.clone());
    Ok(Json(with_context(
        policy,
        &state,
        version,
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
    )))
}

fn check_tap_id(id: &str) -> Result<(), GraphErr> {
    if id.eq_ignore_ascii_case("TemporaryAccessPass") {
        Ok(())
    } else {
        Err(GraphErr::item_not_found(
            "authenticationMethodConfiguration",
            id,
        ))
    }
}

async fn patch_method_config(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    caller.require_scope(&[POLICY_RW_AUTH_METHOD])?;
    caller.require_role(&[DirectoryRole::AuthenticationPolicyAdministrator])?;
    check_tap_id(&id)?;
    let mut body = json_object(&body)?;
    match body.remove("@odata.type") {
        Some(Value::String(t)) if t == TAP_CONFIG_TYPE => {}
        Some(other) => {
            return Err(GraphErr::bad_request(format!(
                "Invalid @odata.type {other} for the TemporaryAccessPass configuration; expected '{TAP_CONFIG_TYPE}'."
            )));
        }
        None => {
            return Err(GraphErr::bad_request(format!(
                "The request body must contain '@odata.type': '{TAP_CONFIG_TYPE}' to update an authentication method configuration."
            )));
        }
    }
    body.remove("id");
    only_known(
        &body,
        &[
            "state",
            "defaultLifetimeInMinutes",
            "defaultLength",
            "minimumLifetimeInMinutes",
            "maximumLifetimeInMinutes",
            "isUsableOnce",
            "includeTargets",
            "excludeTargets",
        ],
        TAP_TYPE_NAME,
    )?;
    enum_field(
        &body,
        "state",
        &["enabled", "disabled"],
        "microsoft.graph.authenticationMethodState",
    )?;
    int_field(&body, "defaultLength", 8..=48)?;
    bool_field(&body, "isUsableOnce")?;
    for key in [
        "defaultLifetimeInMinutes",
        "minimumLifetimeInMinutes",
        "maximumLifetimeInMinutes",
    ] {
        int_field(&body, key, 10..=43200)?;
    }
    for key in ["includeTargets", "excludeTargets"] {
        if let Some(targets) = body.get(key) {
            validate_targets(key, targets)?;
        }
    }
    state.write(|t| {
        let mut next = t.tap_policy.clone();
        for (k, v) in body {
            next[k] = v;
        }
        let get = |k: &str| next[k].as_i64().unwrap_or(0);
        let (min, def, max) = (
            get("minimumLifetimeInMinutes"),
            get("defaultLifetimeInMinutes"),
            get("maximumLifetimeInMinutes"),
        );
        if !(min <= def && def <= max) {
            return Err(GraphErr::bad_request(format!(
                "Lifetimes must satisfy minimum ({min}) <= default ({def}) <= maximum ({max})."
            )));
        }
        t.tap_policy = next;
        Ok(StatusCode::NO_CONTENT)
    })
}

fn validate_targets(key: &str, targets: &Value) -> Result<(), GraphErr> {
    let Some(list) = targets.as_array() else {
        return Err(GraphErr::bad_request(format!(
            "'{key}' must be an array of targets."
        )));
    };
    for target in list {
        let kind = target.get("targetType").and_then(Value::as_str);
        let id = target.get("id").and_then(Value::as_str).unwrap_or_default();
        if !matches!(kind, Some("user" | "group")) || id.is_empty() {
            return Err(GraphErr::bad_request(format!(
                "Each of '{key}' needs 'targetType' ('user' or 'group') and an 'id' (a group id or 'all_users'); got {target}."
            )));
        }
    }
    Ok(())
}

// ---- Conditional access ----

async fn list_ca_policies(
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

async fn get_ca_policy(
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

/// Whether a Graph object has this id (case-insensitive, as Graph ids are).
pub(super) fn id_is(item: &Value, id: &str) -> bool {
    item.get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| i.eq_ignore_ascii_case(id))
}
