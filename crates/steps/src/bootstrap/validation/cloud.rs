//! The rows Microsoft Graph answers: the Entra device, the Intune managed device and the Windows
//! Hello for Business key, and the device id from the key's device name when the VM cannot say.

use super::{Observed, fix, row};
use hb_graph::api::{auth_methods, devices};
use hb_graph::models::WhfbMethod;
use hb_graph::{GraphClient, GraphError};
use hb_lab::{DeviceId, Upn, ValidationRow, ValidationState};

/// The lab user's Windows Hello for Business methods.
pub(super) async fn whfb_methods(
    graph: &GraphClient,
    upn: &Upn,
) -> Result<Vec<WhfbMethod>, GraphError> {
    auth_methods::list_whfb(graph, upn).await
}

/// The device id of the Azure AD joined device named like the device a WHfB key was registered on.
pub(super) async fn joined_device_named_by_key(
    graph: &GraphClient,
    methods: &[WhfbMethod],
) -> Option<String> {
    let name = methods.iter().find_map(|m| m.display_name.as_deref())?;
    let found = devices::by_display_name(graph, name).await.ok()?;
    found
        .into_iter()
        .find(|d| d.is_entra_joined())
        .and_then(|d| d.device_id)
        .map(|id| id.0)
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
    let typed_id = DeviceId::from(device_id.as_str());
    let label = "Entra ID: the device, trustType AzureAd";
    obs.rows
        .push(match devices::by_device_id(graph, &typed_id).await {
            Ok(Some(d)) => {
                obs.device_object_id = Some(d.id.0.clone());
                let trust = d.trust_type.as_deref().unwrap_or("");
                if d.is_entra_joined() {
                    row(
                        "graph_device",
                        label,
                        ValidationState::Passed,
                        format!(
                            "{} ({device_id}) is Azure AD joined.",
                            d.display_name.as_deref().unwrap_or("the device")
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
    obs.rows.push(
        match devices::managed_by_device_id(graph, &typed_id).await {
            Ok(Some(m)) => {
                obs.managed_device_id = Some(m.id.0.clone());
                row(
                    "graph_managed_device",
                    label,
                    ValidationState::Passed,
                    format!(
                        "Enrolled in Intune as {} ({}).",
                        m.device_name.as_deref().unwrap_or("the device"),
                        m.device_enrollment_type.as_deref().unwrap_or("enrolled")
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
        },
    );
}

pub(super) fn whfb_row(upn: &Upn, whfb: &Result<Vec<WhfbMethod>, GraphError>) -> ValidationRow {
    let label = "Windows Hello for Business method registered";
    match whfb {
        Ok(methods) => match methods.first() {
            Some(m) => row(
                "graph_whfb",
                label,
                ValidationState::Passed,
                format!(
                    "Key registered on {}.",
                    m.display_name.as_deref().unwrap_or("the device")
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
