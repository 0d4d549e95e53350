//! The rows Microsoft Graph answers: the Entra device, the Intune managed device and the Windows
//! Hello for Business key, and the device id from the key's device name when the VM cannot say.

use super::{Observed, fix, row, upn_path};
use hb_graph::{ApiVersion, GraphClient, GraphError};
use hb_lab::{Upn, ValidationRow, ValidationState};
use serde_json::Value;

/// The lab user's Windows Hello for Business methods.
pub(super) async fn whfb_methods(graph: &GraphClient, upn: &Upn) -> Result<Vec<Value>, GraphError> {
    let whfb_path = format!(
        "/users/{}/authentication/windowsHelloForBusinessMethods",
        upn_path(upn)
    );
    graph
        .get(ApiVersion::V1, &whfb_path)
        .await
        .map(|v| v["value"].as_array().cloned().unwrap_or_default())
}

/// The device id of the Azure AD joined device named like the device a WHfB key was registered on.
pub(super) async fn joined_device_named_by_key(
    graph: &GraphClient,
    methods: &[Value],
) -> Option<String> {
    let name = methods.iter().find_map(|m| m["displayName"].as_str())?;
    let path = format!(
        "/devices?$filter=displayName eq '{}'&$select=deviceId,trustType",
        name.replace('\'', "''")
    );
    let devices = graph.get_all(ApiVersion::V1, &path).await.ok()?;
    devices
        .iter()
        .find(|d| {
            d["trustType"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("AzureAd"))
        })
        .and_then(|d| d["deviceId"].as_str())
        .map(str::to_string)
}

fn first(result: Result<Value, GraphError>) -> Result<Option<Value>, GraphError> {
    result.map(|v| v["value"].as_array().and_then(|a| a.first()).cloned())
}

/// The Entra device and Intune managed device rows; records their object ids for revert.
pub(super) async fn device_rows(graph: &GraphClient, obs: &mut Observed) {
    let Some(device_id) = obs.device_id.clone() else {
        for (id, label, f) in [
            (
                "graph_device",
                "Entra ID: the device, trustType AzureAd",
                fix::DEVICE,
            ),
            (
                "graph_managed_device",
                "Intune: the managed device",
                fix::MANAGED,
            ),
        ] {
            obs.rows.push(row(
                id,
                label,
                ValidationState::Waiting,
                "Waiting for the device id (dsregcmd /status: DeviceId).",
                f,
            ));
        }
        return;
    };
    let label = "Entra ID: the device, trustType AzureAd";
    let path = format!(
        "/devices?$filter=deviceId eq '{device_id}'&$select=id,deviceId,displayName,trustType,isManaged,mdmAppId"
    );
    obs.rows
        .push(match first(graph.get(ApiVersion::V1, &path).await) {
            Ok(Some(d)) => {
                obs.device_object_id = d["id"].as_str().map(str::to_string);
                let trust = d["trustType"].as_str().unwrap_or("");
                if trust.eq_ignore_ascii_case("AzureAd") {
                    row(
                        "graph_device",
                        label,
                        ValidationState::Passed,
                        format!(
                            "{} ({device_id}) is Azure AD joined.",
                            d["displayName"].as_str().unwrap_or("the device")
                        ),
                        fix::DEVICE,
                    )
                } else {
                    row(
                        "graph_device",
                        label,
                        ValidationState::Failed,
                        format!("The device's trustType is '{trust}', not AzureAd."),
                        fix::DEVICE,
                    )
                }
            }
            Ok(None) => row(
                "graph_device",
                label,
                ValidationState::Waiting,
                format!("No device with deviceId {device_id} yet."),
                fix::DEVICE,
            ),
            Err(e) => row(
                "graph_device",
                label,
                ValidationState::Waiting,
                e.to_string(),
                fix::DEVICE,
            ),
        });
    let label = "Intune: the managed device";
    let path = format!("/deviceManagement/managedDevices?$filter=azureADDeviceId eq '{device_id}'");
    obs.rows
        .push(match first(graph.get(ApiVersion::V1, &path).await) {
            Ok(Some(m)) => {
                obs.managed_device_id = m["id"].as_str().map(str::to_string);
                row(
                    "graph_managed_device",
                    label,
                    ValidationState::Passed,
                    format!(
                        "Enrolled in Intune as {} ({}).",
                        m["deviceName"].as_str().unwrap_or("the device"),
                        m["deviceEnrollmentType"].as_str().unwrap_or("enrolled")
                    ),
                    fix::MANAGED,
                )
            }
            Ok(None) => row(
                "graph_managed_device",
                label,
                ValidationState::Waiting,
                "Intune has no managed device for it yet (enrollment can lag a few minutes).",
                fix::MANAGED,
            ),
            Err(e) => row(
                "graph_managed_device",
                label,
                ValidationState::Waiting,
                e.to_string(),
                fix::MANAGED,
            ),
        });
}

pub(super) fn whfb_row(upn: &Upn, whfb: &Result<Vec<Value>, GraphError>) -> ValidationRow {
    let label = "Windows Hello for Business method registered";
    match whfb {
        Ok(methods) => match methods.first() {
            Some(m) => row(
                "graph_whfb",
                label,
                ValidationState::Passed,
                format!(
                    "Key registered on {}.",
                    m["displayName"].as_str().unwrap_or("the device")
                ),
                fix::WHFB,
            ),
            None => row(
                "graph_whfb",
                label,
                ValidationState::Waiting,
                format!("{upn} has no Windows Hello for Business method yet."),
                fix::WHFB,
            ),
        },
        Err(e) => row(
            "graph_whfb",
            label,
            ValidationState::Waiting,
            e.to_string(),
            fix::WHFB,
        ),
    }
}
