//! Typed models of the Graph resources we read and write (only the fields we use; unknown fields
//! are ignored so new Graph properties never break us).

use serde::{Deserialize, Serialize};

/// Well-known id of the "Microsoft Intune" MDM policy (beta only).
pub const MDM_POLICY_ID: &str = "0000000a-0000-0000-c000-000000000000";
/// `@odata.type` of the TAP method configuration (required on PATCH).
pub const TAP_CONFIG_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";
/// `@odata.type` of the WHfB enrollment configuration.
pub const WHFB_CONFIG_TYPE: &str =
    "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";

/// The MDM policy (`appliesTo`: none | all | selected).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MdmPolicy {
    pub id: String,
    pub applies_to: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_valid: Option<bool>,
}

/// The tenant-wide WHfB enrollment configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhfbConfig {
    pub id: String,
    pub state: String,
    #[serde(default)]
    pub pin_minimum_length: Option<i32>,
    #[serde(default)]
    pub pin_maximum_length: Option<i32>,
}

/// A user as far as we need one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

/// A TAP method as listed (the code itself is only in the POST response and is not kept here).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapMethod {
    pub id: String,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
    #[serde(default)]
    pub lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub is_usable_once: Option<bool>,
    #[serde(default)]
    pub is_usable: Option<bool>,
    #[serde(default)]
    pub method_usability_reason: Option<String>,
}

/// An Entra device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: String,
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub trust_type: Option<String>,
    #[serde(default)]
    pub is_managed: Option<bool>,
}

/// An Intune managed device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    pub id: String,
    #[serde(default, rename = "azureADDeviceId")]
    pub azure_ad_device_id: Option<String>,
    #[serde(default)]
    pub device_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// A WHfB method of a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhfbMethod {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub key_strength: Option<String>,
}
