//! Entra devices and Intune managed devices.

use hb_lab::{DeviceId, DeviceObjectId, ManagedDeviceId};
use serde::{Deserialize, Serialize};

/// An Entra device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The directory object id (what a DELETE takes).
    pub id: DeviceObjectId,
    /// The Device Registration Service id (dsregcmd's DeviceId, Intune's azureADDeviceId).
    #[serde(default)]
    pub device_id: Option<DeviceId>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `AzureAd` (Entra joined), `ServerAd` (hybrid joined) or `Workplace` (registered).
    #[serde(default)]
    pub trust_type: Option<String>,
    #[serde(default)]
    pub is_managed: Option<bool>,
    #[serde(default)]
    pub is_compliant: Option<bool>,
    /// `0000000a-0000-0000-c000-000000000000` when Intune manages it.
    #[serde(default)]
    pub mdm_app_id: Option<String>,
    /// When the device registered (joined); binds a device to the run that saw it appear.
    #[serde(default)]
    pub registration_date_time: Option<String>,
}

impl Device {
    /// Whether the device is Entra joined (trustType `AzureAd`).
    pub fn is_entra_joined(&self) -> bool {
        self.trust_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("AzureAd"))
    }
}

/// An Intune managed device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    pub id: ManagedDeviceId,
    #[serde(default, rename = "azureADDeviceId")]
    pub azure_ad_device_id: Option<DeviceId>,
    #[serde(default)]
    pub device_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// `windowsAzureADJoin`, `windowsAutoEnrollment`, …
    #[serde(default)]
    pub device_enrollment_type: Option<String>,
    /// `mdm`, …
    #[serde(default)]
    pub management_agent: Option<String>,
    /// When the device enrolled in Intune.
    #[serde(default)]
    pub enrolled_date_time: Option<String>,
}
