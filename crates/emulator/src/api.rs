//! Microsoft's side of the wire, written down from Microsoft's documentation and published Graph
//! metadata and never taken from our client's code: the API versions Graph serves, the well-known
//! ids and `@odata.type` names of the resources the lab touches, and the Microsoft applications
//! the tenant knows. Each item names the page it comes from. When our client gets one of these
//! wrong, the emulator answers as Microsoft would, and a test fails.

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

/// The application id of Microsoft Intune, the MDM application a joined device enrolls with: Entra
/// writes it into the device's `mdmAppId`. "Conditional Access: Filter for devices" (Entra docs)
/// used this value as its example of "a valid MDM application ID".
pub const INTUNE_APP_ID: &str = "0000000a-0000-0000-c000-000000000000";

/// The id of Microsoft Intune's policy in beta `mobileDeviceManagementPolicies` (the MDM user
/// scope). "mobileDeviceManagementPolicy resource type" (beta) gives a policy's `id` as that of
/// its MDM application, so Intune's policy has [`INTUNE_APP_ID`]. The examples of "Get
/// mobileDeviceManagementPolicy" and "List mobileDeviceManagementPolicies" use a made-up
/// Contoso application instead, so neither page shows this value.
pub const MDM_POLICY_ID: &str = INTUNE_APP_ID;

/// `@odata.type` of the Temporary Access Pass method configuration: the v1.0 metadata's
/// `temporaryAccessPassAuthenticationMethodConfiguration` entity type, which "Update
/// temporaryAccessPassAuthenticationMethodConfiguration" says a PATCH body must carry.
pub const TAP_CONFIG_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";

/// `@odata.type` of the Windows Hello for Business enrollment configuration: the v1.0 metadata's
/// `deviceEnrollmentWindowsHelloForBusinessConfiguration` entity type (derived from
/// `deviceEnrollmentConfiguration`), as in the request body of "Update
/// deviceEnrollmentWindowsHelloForBusinessConfiguration".
pub const WHFB_CONFIG_TYPE: &str =
    "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";

/// The application id of Microsoft Graph Command Line Tools, the Microsoft-owned public client
/// any tenant can sign in with: listed under "Application IDs of Microsoft tenant-owned
/// applications" in "Verify first-party Microsoft applications in sign-in reports".
pub const GRAPH_COMMAND_LINE_TOOLS: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// The application id of My Apps, the portal the lab user opens on the joined VM: listed as
/// "My Apps" in the applications table of "Cross-tenant access settings" (Microsoft Entra
/// External ID).
pub const MY_APPS: &str = "2793995e-0a7d-40d7-bd35-6968ba142197";
