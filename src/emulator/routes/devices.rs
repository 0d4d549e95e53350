//! Entra devices (`/devices`) and Intune managed devices (`/deviceManagement/managedDevices`):
//! list with the `$filter`s the lab uses, get, and delete (step 7 clean-up).

use super::common::with_context;
use super::id_is;
use crate::emulator::caller::Caller;
use crate::emulator::error::GraphErr;
use crate::emulator::odata::{Filter, GraphQuery, PageBase, page, select};
use crate::emulator::roles::DirectoryRole;
use crate::emulator::scopes::*;
use crate::emulator::state::SharedState;
use crate::graph::ApiVersion;
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

async fn list_devices(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(DEVICES_READ)?;
    let query = GraphQuery::parse(raw.as_deref());
    let filter = match query.get("filter") {
        Some(f) => Filter::parse(
            f,
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
        )?,
        None => Filter::default(),
    };
    let items = state.read(|t| {
        t.devices
            .iter()
            .map(|d| d.to_graph())
            .filter(|d| filter.matches(d))
            .collect()
    });
    let base = PageBase {
        root: state.root_url(),
        version: version.segment(),
        path: "/devices",
        context: "devices",
    };
    Ok(Json(page(items, &query, &base, 100, 999)?))
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
    Ok(Json(with_context(
        select(device, &query),
        &state,
        version,
        "devices/$entity",
    )))
}

async fn delete_device(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, GraphErr> {
    caller.require_scope(&[DEVICE_RW_ALL, "Directory.ReadWrite.All"])?;
    caller.require_role(&[
        DirectoryRole::CloudDeviceAdministrator,
        DirectoryRole::IntuneAdministrator,
    ])?;
    state.write(|t| {
        let before = t.devices.len();
        t.devices.retain(|d| !d.id.eq_ignore_ascii_case(&id));
        if t.devices.len() == before {
            Err(GraphErr::directory_not_found(&id))
        } else {
            Ok(StatusCode::NO_CONTENT)
        }
    })
}

async fn list_managed(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(MANAGED_READ)?;
    caller.require_role(super::enrollment::INTUNE_READERS)?;
    let query = GraphQuery::parse(raw.as_deref());
    let filter = match query.get("filter") {
        Some(f) => Filter::parse(
            f,
            &[
                "azureADDeviceId",
                "deviceName",
                "userPrincipalName",
                "operatingSystem",
                "userId",
                "id",
            ],
            "managedDevice",
        )?,
        None => Filter::default(),
    };
    let items = state.read(|t| {
        t.managed_devices
            .iter()
            .map(|d| d.to_graph())
            .filter(|d| filter.matches(d))
            .collect()
    });
    let base = PageBase {
        root: state.root_url(),
        version: version.segment(),
        path: "/deviceManagement/managedDevices",
        context: "deviceManagement/managedDevices",
    };
    Ok(Json(page(items, &query, &base, 1000, 1000)?))
}

async fn get_managed(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    caller.require_scope(MANAGED_READ)?;
    caller.require_role(super::enrollment::INTUNE_READERS)?;
    let device = state
        .read(|t| {
            t.managed_devices
                .iter()
                .map(|d| d.to_graph())
                .find(|d| id_is(d, &id))
        })
        .ok_or_else(|| GraphErr::item_not_found("managedDevice", &id))?;
    Ok(Json(with_context(
        device,
        &state,
        version,
        "deviceManagement/managedDevices/$entity",
    )))
}

async fn delete_managed(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, GraphErr> {
    caller.require_scope(&[MANAGED_DEVICES_RW])?;
    caller.require_role(&[DirectoryRole::IntuneAdministrator])?;
    state.write(|t| {
        let before = t.managed_devices.len();
        t.managed_devices
            .retain(|d| !d.id.eq_ignore_ascii_case(&id));
        if t.managed_devices.len() == before {
            Err(GraphErr::item_not_found("managedDevice", &id))
        } else {
            Ok(StatusCode::NO_CONTENT)
        }
    })
}
