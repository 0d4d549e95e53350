//! Microsoft's side of the wire, written down from Microsoft's documentation and never taken from
//! our client's code: the API versions Graph serves, the well-known ids and `@odata.type` names of
//! the resources the lab touches, and the first-party client the tenant knows. When our client
//! gets one of these wrong, the emulator answers as Microsoft would, and a test fails.

/// The two Graph endpoints: `https://graph.microsoft.com/v1.0` and `/beta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    /// The path segment Graph serves this version under.
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// The id of the Microsoft Intune MDM policy in `mobileDeviceManagementPolicies` (beta
/// "Get mobilityManagementPolicy" example).
pub const MDM_POLICY_ID: &str = "0000000a-0000-0000-c000-000000000000";

/// `@odata.type` of the Temporary Access Pass method configuration (v1.0 metadata).
pub const TAP_CONFIG_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";

/// `@odata.type` of the Windows Hello for Business enrollment configuration (v1.0 metadata).
pub const WHFB_CONFIG_TYPE: &str =
    "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";

/// The application id of Microsoft Graph Command Line Tools, the first-party public client that
/// every tenant knows (Microsoft's "first-party apps" list).
pub const GRAPH_COMMAND_LINE_TOOLS: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
