//! Sign-in log entries, in the beta shape (which carries the authentication details).

use serde::{Deserialize, Serialize};

/// One sign-in log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub id: String,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub app_display_name: Option<String>,
    /// `singleFactorAuthentication` or `multiFactorAuthentication` (beta).
    #[serde(default)]
    pub authentication_requirement: Option<String>,
    #[serde(default)]
    pub status: Option<SignInStatus>,
    #[serde(default)]
    pub device_detail: Option<SignInDeviceDetail>,
    /// Each authentication step (beta).
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub authentication_details: Vec<AuthenticationDetail>,
    /// `interactiveUser`, `nonInteractiveUser`, … (beta).
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub sign_in_event_types: Vec<String>,
}

/// Whether the sign-in worked, and why not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    /// 0 when it worked.
    #[serde(default)]
    pub error_code: i64,
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub additional_details: Option<String>,
}

/// The device a sign-in came from, as the log saw it (display texts, not enum values).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInDeviceDetail {
    /// Empty when the device was not known.
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Like `Azure AD joined`.
    #[serde(default)]
    pub trust_type: Option<String>,
    #[serde(default)]
    pub operating_system: Option<String>,
}

/// One step of a sign-in's authentication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationDetail {
    #[serde(default)]
    pub authentication_method: Option<String>,
    #[serde(default)]
    pub succeeded: Option<bool>,
    /// Free text such as `MFA requirement satisfied by claim in the token`.
    #[serde(default)]
    pub authentication_step_result_detail: Option<String>,
    #[serde(default)]
    pub authentication_step_requirement: Option<String>,
}
