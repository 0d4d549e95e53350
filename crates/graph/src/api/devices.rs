//! Entra devices and Intune managed devices: the reads and deletes of lab step 7.

use crate::models::{Device, ManagedDevice};
use crate::path::odata_string;
use crate::{GraphClient, GraphError, GraphPath};
use hb_lab::{DeviceId, DeviceObjectId, ManagedDeviceId};

/// The device properties step 7 reads.
const DEVICE_SELECT: &str =
    "id,deviceId,displayName,trustType,isManaged,mdmAppId,registrationDateTime";

/// `/devices?$filter=deviceId eq '{deviceId}'&$select=…`.
pub fn by_device_id_path(device_id: &DeviceId) -> GraphPath {
    GraphPath::v1()
        .seg("devices")
        .query(
            "$filter",
            format!("deviceId eq {}", odata_string(device_id.as_str())),
        )
        .query("$select", DEVICE_SELECT)
}

/// `GET /devices?$filter=deviceId eq '…'`: the Entra device with this Device Registration
/// Service id, if it exists yet.
pub async fn by_device_id(
    graph: &GraphClient,
    device_id: &DeviceId,
) -> Result<Option<Device>, GraphError> {
    let devices: Vec<Device> = graph.list_at(&by_device_id_path(device_id)).await?;
    Ok(devices.into_iter().next())
}

/// `GET /devices?$filter=displayName eq '…'`: devices with this name (a WHfB key names the
/// device it was registered on).
pub async fn by_display_name(graph: &GraphClient, name: &str) -> Result<Vec<Device>, GraphError> {
    let path = GraphPath::v1()
        .seg("devices")
        .query("$filter", format!("displayName eq {}", odata_string(name)))
        .query("$select", DEVICE_SELECT);
    graph.list_at(&path).await
}

/// `GET /devices/{id}`: the device with this object id, `None` once it is gone.
pub async fn by_object_id(
    graph: &GraphClient,
    id: &DeviceObjectId,
) -> Result<Option<Device>, GraphError> {
    let path = GraphPath::v1()
        .seg("devices")
        .key(id)
        .query("$select", DEVICE_SELECT);
    match graph.get_at(&path).await {
        Ok(device) => Ok(Some(device)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `DELETE /devices/{id}`. Delegated, the device-delete page lists only
/// `Directory.AccessAsUser.All` (`Device.ReadWrite.All` there is an application permission) and
/// the roles Intune Administrator, Windows 365 Administrator or Cloud Device Administrator.
pub async fn delete(graph: &GraphClient, id: &DeviceObjectId) -> Result<(), GraphError> {
    graph
        .delete_at(&GraphPath::v1().seg("devices").key(id))
        .await
}

/// `/deviceManagement/managedDevices?$filter=azureADDeviceId eq '{deviceId}'`.
pub fn managed_by_device_id_path(device_id: &DeviceId) -> GraphPath {
    GraphPath::v1()
        .seg("deviceManagement/managedDevices")
        .query(
            "$filter",
            format!("azureADDeviceId eq {}", odata_string(device_id.as_str())),
        )
}

/// `GET /deviceManagement/managedDevices?$filter=azureADDeviceId eq '…'`: the Intune managed
/// device of this Entra device, if it enrolled yet.
pub async fn managed_by_device_id(
    graph: &GraphClient,
    device_id: &DeviceId,
) -> Result<Option<ManagedDevice>, GraphError> {
    let devices: Vec<ManagedDevice> = graph.list_at(&managed_by_device_id_path(device_id)).await?;
    Ok(devices.into_iter().next())
}

/// `DELETE /deviceManagement/managedDevices/{id}` (needs
/// `DeviceManagementManagedDevices.ReadWrite.All`).
pub async fn delete_managed(graph: &GraphClient, id: &ManagedDeviceId) -> Result<(), GraphError> {
    graph
        .delete_at(
            &GraphPath::v1()
                .seg("deviceManagement/managedDevices")
                .key(id),
        )
        .await
}
