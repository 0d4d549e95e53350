//! Intune enrollment configurations: list (beta filters on
//! `deviceEnrollmentConfigurationType`), get, and PATCH of the tenant-wide WHfB configuration.

use super::common::{
    Collection, bool_field, entity, enum_field, filter_of, int_field, json_object, only_known,
    take_odata_type, without_beta_only,
};
use super::id_is;
use crate::api::ApiVersion;
use crate::api::WHFB_CONFIG_TYPE;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::odata::GraphQuery;
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::{SharedState, graph_time};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use serde_json::{Value, json};

const ENROLLMENT_READ: &[&str] = &[
    DM_SERVICE_CONFIG_READ,
    DM_SERVICE_CONFIG_RW,
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
/// Intune RBAC: who may read Intune configuration and devices.
pub(super) const INTUNE_READERS: &[DirectoryRole] = &[
    DirectoryRole::IntuneAdministrator,
    DirectoryRole::GlobalReader,
];
const BETA_ONLY_ENROLLMENT: &[&str] = &[
    "deviceEnrollmentConfigurationType",
    "roleScopeTagIds",
    "securityKeyForSignIn",
    "enhancedSignInSecurity",
];

const ENROLLMENT_CONFIGS: Collection = Collection::directory(
    "/deviceManagement/deviceEnrollmentConfigurations",
    "deviceManagement/deviceEnrollmentConfigurations",
);
const ENROLLMENT_ENTITY: &str = "deviceManagement/deviceEnrollmentConfigurations/$entity";

fn shape_enrollment(config: Value, version: ApiVersion) -> Value {
    without_beta_only(config, version, BETA_ONLY_ENROLLMENT)
}

pub(super) async fn list_enrollment_configs(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require(ENROLLMENT_READ, INTUNE_READERS)?;
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
    let filter = filter_of(&query, fields, "deviceEnrollmentConfiguration")?;
    let items: Vec<Value> = state.read(|t| {
        t.enrollment_configurations
            .iter()
            .filter(|c| filter.matches(c))
            .map(|c| shape_enrollment(c.clone(), version))
            .collect()
    });
    ENROLLMENT_CONFIGS.page(&state, version, &query, items)
}

pub(super) async fn get_enrollment_config(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require(ENROLLMENT_READ, INTUNE_READERS)?;
    let config = state
        .read(|t| {
            t.enrollment_configurations
                .iter()
                .find(|c| id_is(c, &id))
                .cloned()
        })
        .ok_or_else(|| GraphErr::item_not_found("deviceEnrollmentConfiguration", &id))?;
    Ok(entity(
        &state,
        version,
        ENROLLMENT_ENTITY,
        shape_enrollment(config, version),
    ))
}

pub(super) async fn patch_enrollment_config(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    caller.require(
        &[
            DM_SERVICE_CONFIG_RW,
            "DeviceManagementConfiguration.ReadWrite.All",
        ],
        &[DirectoryRole::IntuneAdministrator],
    )?;
    let mut body = json_object(&body)?;
    let existing_type = state
        .read(|t| {
            t.enrollment_configurations
                .iter()
                .find(|c| id_is(c, &id))
                .map(|c| c["@odata.type"].as_str().unwrap_or_default().to_string())
        })
        .ok_or_else(|| GraphErr::item_not_found("deviceEnrollmentConfiguration", &id))?;
    take_odata_type(
        &mut body,
        &existing_type,
        |other| {
            format!("The @odata.type {other} does not match the type of '{id}' ({existing_type}).")
        },
        || {
            format!(
                "The request body needs '@odata.type' ('{existing_type}') to update a derived deviceEnrollmentConfiguration."
            )
        },
    )?;
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
    Ok(entity(
        &state,
        version,
        ENROLLMENT_ENTITY,
        shape_enrollment(updated, version),
    ))
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
