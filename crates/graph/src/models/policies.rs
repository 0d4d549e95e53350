//! The tenant policies the lab reads and changes (steps 1, 2, 5) and Conditional Access.

use serde::{Deserialize, Serialize};

/// Well-known id of the "Microsoft Intune" MDM policy (beta only).
pub const MDM_POLICY_ID: &str = "0000000a-0000-0000-c000-000000000000";
/// `@odata.type` of the TAP method configuration (required on PATCH).
pub const TAP_CONFIG_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";
/// `@odata.type` of the WHfB enrollment configuration.
pub const WHFB_CONFIG_TYPE: &str =
    "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";
/// Suffix of the tenant-wide WHfB configuration's id (`{tenantId}_DefaultWindowsHelloForBusiness`).
pub const WHFB_DEFAULT_SUFFIX: &str = "_DefaultWindowsHelloForBusiness";
/// The include target Graph uses for "all users".
pub const ALL_USERS: &str = "all_users";

/// The MDM policy (`appliesTo`: none | all | selected).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MdmPolicy {
    pub id: String,
    /// `none`, `all` or `selected`; missing on a broken policy.
    #[serde(default)]
    pub applies_to: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_valid: Option<bool>,
}

/// One item of `deviceEnrollmentConfigurations` (every kind; only WHfB ones have a state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentConfiguration {
    pub id: String,
    #[serde(default, rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub priority: Option<i32>,
}

impl EnrollmentConfiguration {
    /// Whether this is the tenant-wide ("All users and all devices") WHfB configuration.
    pub fn is_whfb_default(&self) -> bool {
        self.id.ends_with(WHFB_DEFAULT_SUFFIX)
    }
}

/// The tenant-wide WHfB enrollment configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhfbConfig {
    pub id: String,
    /// `notConfigured`, `enabled` or `disabled`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub pin_minimum_length: Option<i32>,
    #[serde(default)]
    pub pin_maximum_length: Option<i32>,
}

/// An include target of an authentication method policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethodTarget {
    /// A group's object id, a user's, or [`ALL_USERS`].
    pub id: String,
    /// `user` or `group`.
    #[serde(default)]
    pub target_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_registration_required: Option<bool>,
}

/// An exclude target of an authentication method policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludeTarget {
    pub id: String,
    #[serde(default)]
    pub target_type: String,
}

/// The TAP authentication method configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapMethodConfig {
    /// `enabled` or `disabled`.
    pub state: String,
    #[serde(default)]
    pub default_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub minimum_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub maximum_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub default_length: Option<u32>,
    /// When true every pass in the tenant is one-time.
    #[serde(default)]
    pub is_usable_once: Option<bool>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub include_targets: Vec<AuthMethodTarget>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub exclude_targets: Vec<ExcludeTarget>,
}

impl TapMethodConfig {
    /// Whether passes can be issued at all.
    pub fn is_enabled(&self) -> bool {
        self.state.eq_ignore_ascii_case("enabled")
    }

    /// Whether the policy includes every user.
    pub fn targets_all_users(&self) -> bool {
        self.include_targets
            .iter()
            .any(|t| t.id.eq_ignore_ascii_case(ALL_USERS))
    }
}

/// The parts of the TAP policy the lab changes. The `@odata.type` Graph requires is added by
/// the request; `includeTargets`, when sent, replaces the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapPolicyPatch {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_targets: Option<Vec<AuthMethodTarget>>,
}

/// A Conditional Access policy, as far as step 7 reads one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `enabled`, `disabled` or `enabledForReportingButNotEnforced`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub grant_controls: Option<GrantControls>,
}

impl ConditionalAccessPolicy {
    /// Whether the policy is on and grants access only with MFA.
    pub fn requires_mfa(&self) -> bool {
        self.state.as_deref() == Some("enabled")
            && self
                .grant_controls
                .as_ref()
                .is_some_and(|g| g.built_in_controls.iter().any(|c| c == "mfa"))
    }
}

/// What a Conditional Access policy asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantControls {
    /// `mfa`, `compliantDevice`, `block`, …
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub built_in_controls: Vec<String>,
    /// `AND` or `OR`.
    #[serde(default)]
    pub operator: Option<String>,
}
