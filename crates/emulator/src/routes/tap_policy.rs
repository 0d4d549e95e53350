//! The TAP authentication method configuration: GET (id case-insensitive) and PATCH with the
//! required `@odata.type`.

use super::common::{
    bool_field, entity, enum_field, int_field, json_object, only_known, take_odata_type,
};
use crate::api::ApiVersion;
use crate::api::TAP_CONFIG_TYPE;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::Value;

const TAP_TYPE_NAME: &str = "microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";

pub(super) async fn get_method_config(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require(
        &[POLICY_READ_ALL, POLICY_RW_AUTH_METHOD],
        &[
            DirectoryRole::GlobalReader,
            DirectoryRole::AuthenticationPolicyAdministrator,
        ],
    )?;
    check_tap_id(&id)?;
    let policy = state.read(|t| t.tap_policy.clone());
    Ok(entity(
        &state,
        version,
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
        policy,
    ))
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

pub(super) async fn patch_method_config(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    caller.require(
        &[POLICY_RW_AUTH_METHOD],
        &[DirectoryRole::AuthenticationPolicyAdministrator],
    )?;
    check_tap_id(&id)?;
    let mut body = json_object(&body)?;
    take_odata_type(
        &mut body,
        TAP_CONFIG_TYPE,
        |other| {
            format!(
                "Invalid @odata.type {other} for the TemporaryAccessPass configuration; expected '{TAP_CONFIG_TYPE}'."
            )
        },
        || {
            format!(
                "The request body must contain '@odata.type': '{TAP_CONFIG_TYPE}' to update an authentication method configuration."
            )
        },
    )?;
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
