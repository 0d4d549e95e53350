//! Entra devices (`/devices`) and Intune managed devices (`/deviceManagement/managedDevices`):
//! list with the `$filter`s the lab uses, get, and delete (step 7 clean-up).

use super::common::{Collection, entity, remove_by_id};
use super::id_is;
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::config::Propagation;
use crate::error::GraphErr;
use crate::odata::{GraphQuery, select};
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::SharedState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

/// Device routes (the same on v1.0 and beta).
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/devices", get(list_devices))
        .route("/devices/{id}", get(get_device).delete(delete_device))
        .route("/deviceManagement/managedDevices", get(list_managed))
        .route(
            "/deviceManagement/managedDevices/{id}",
            get(get_managed).delete(delete_managed),
        )
}

const DEVICES_READ: &[&str] = &[DEVICE_READ_ALL, DEVICE_RW_ALL, DIRECTORY_READ_ALL];
const MANAGED_READ: &[&str] = &[MANAGED_DEVICES_READ, MANAGED_DEVICES_RW];
const DEVICES: Collection = Collection::directory("/devices", "devices");
const MANAGED_DEVICES: Collection = Collection::pages_of_1000(
    "/deviceManagement/managedDevices",
    "deviceManagement/managedDevices",
);

async fn list_devices(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(DEVICES_READ)?;
    let now = chrono::Utc::now();
    let delay = state.config().propagation.device;
    DEVICES.filtered_page(
        &state,
        version,
        raw.as_deref(),
        &[
            "displayName",
            "deviceId",
            "trustType",
            "operatingSystem",
            "mdmAppId",
            "accountEnabled",
            "id",
        ],
        "Device",
        |t| {
            t.devices
                .iter()
                .filter(|d| Propagation::shows(d.registered, delay, now))
                .map(|d| d.to_graph())
                .collect()
        },
    )
}

async fn get_device(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(DEVICES_READ)?;
    let device = state
        .read(|t| {
            t.devices
                .iter()
                .map(|d| d.to_graph())
                .find(|d| id_is(d, &id))
        })
        .ok_or_else(|| GraphErr::directory_not_found(&id))?;
    let query = GraphQuery::parse(raw.as_deref());
    Ok(entity(
        &state,
        version,
        "devices/$entity",
        select(device, &query),
    ))
}

async fn delete_device(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, GraphErr> {
    // The device-delete page: delegated, only Directory.AccessAsUser.All ("Higher: Not
    // available"; Device.ReadWrite.All is for applications); roles Intune Administrator,
    // Windows 365 Administrator or Cloud Device Administrator.
    caller.require(
        &[DIRECTORY_AS_USER],
        &[
            DirectoryRole::CloudDeviceAdministrator,
            DirectoryRole::IntuneAdministrator,
        ],
    )?;
    state.write(|t| {
        remove_by_id(
            &mut t.devices,
            &id,
            |d| &d.id,
            || GraphErr::directory_not_found(&id),
        )
    })
}

async fn list_managed(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require(MANAGED_READ, super::enrollment::INTUNE_READERS)?;
    let now = chrono::Utc::now();
    let delay = state.config().propagation.managed_device;
    MANAGED_DEVICES.filtered_page(
        &state,
        version,
        raw.as_deref(),
        &[
            "azureADDeviceId",
            "deviceName",
            "userPrincipalName",
            "operatingSystem",
            "userId",
            "id",
        ],
        "managedDevice",
        |t| {
            t.managed_devices
                .iter()
                .filter(|d| Propagation::shows(d.enrolled, delay, now))
                .map(|d| d.to_graph())
                .collect()
        },
    )
}

async fn get_managed(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require(MANAGED_READ, super::enrollment::INTUNE_READERS)?;
    let device = state
        .read(|t| {
            t.managed_devices
                .iter()
                .map(|d| d.to_graph())
                .find(|d| id_is(d, &id))
        })
        .ok_or_else(|| GraphErr::item_not_found("managedDevice", &id))?;
    Ok(entity(
        &state,
        version,
        "deviceManagement/managedDevices/$entity",
        device,
    ))
}

async fn delete_managed(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, GraphErr> {
    caller.require(&[MANAGED_DEVICES_RW], &[DirectoryRole::IntuneAdministrator])?;
    state.write(|t| {
        remove_by_id(
            &mut t.managed_devices,
            &id,
            |d| &d.id,
            || GraphErr::item_not_found("managedDevice", &id),
        )
    })
}
