//! The delegated Graph permissions (scopes) the emulator enforces, named as in graph-contract.md.

/// `GET` of policies (MDM policy, TAP policy, conditional access).
pub const POLICY_READ_ALL: &str = "Policy.Read.All";
/// PATCH of the MDM user scope (beta only, delegated only).
pub const POLICY_RW_MOBILITY: &str = "Policy.ReadWrite.MobilityManagement";
/// PATCH of authentication method policies (the TAP policy).
pub const POLICY_RW_AUTH_METHOD: &str = "Policy.ReadWrite.AuthenticationMethod";
/// Read Intune enrollment configurations.
pub const DM_SERVICE_CONFIG_READ: &str = "DeviceManagementServiceConfig.Read.All";
/// Write Intune enrollment configurations (the WHfB policy).
pub const DM_SERVICE_CONFIG_RW: &str = "DeviceManagementServiceConfig.ReadWrite.All";
/// Read other users' authentication methods.
pub const USER_AUTH_METHOD_READ: &str = "UserAuthenticationMethod.Read.All";
/// Create and delete other users' authentication methods (TAP, WHfB).
pub const USER_AUTH_METHOD_RW: &str = "UserAuthenticationMethod.ReadWrite.All";
/// Read Entra devices.
pub const DEVICE_READ_ALL: &str = "Device.Read.All";
/// Delete Entra devices (step 7 clean-up).
pub const DEVICE_RW_ALL: &str = "Device.ReadWrite.All";
/// Read Intune managed devices.
pub const MANAGED_DEVICES_READ: &str = "DeviceManagementManagedDevices.Read.All";
/// Delete Intune managed devices (step 7 clean-up).
pub const MANAGED_DEVICES_RW: &str = "DeviceManagementManagedDevices.ReadWrite.All";
/// Read sign-in logs.
pub const AUDIT_LOG_READ: &str = "AuditLog.Read.All";
/// Read the directory (also accepted for users, devices and sign-ins).
pub const DIRECTORY_READ_ALL: &str = "Directory.Read.All";
/// Read directory roles and role assignments ("List directoryRoles", "List
/// transitiveRoleAssignments": the least privileged delegated permission).
pub const ROLE_MANAGEMENT_READ: &str = "RoleManagement.Read.Directory";
/// Read PIM role eligibilities, the least privileged delegated permission of "List
/// roleEligibilityScheduleInstances" (v1.0).
pub const ROLE_ELIGIBILITY_READ: &str = "RoleEligibilitySchedule.Read.Directory";
/// Read all RBAC providers' roles (a higher privileged alternative for eligibility reads).
pub const ROLE_MANAGEMENT_READ_ALL: &str = "RoleManagement.Read.All";
/// Read and write directory RBAC (a higher privileged alternative for reads).
pub const ROLE_MANAGEMENT_RW: &str = "RoleManagement.ReadWrite.Directory";
/// Read the tenant's licences (`subscribedSkus`, `licenseDetails`): "List subscribedSkus".
pub const LICENSE_READ: &str = "LicenseAssignment.Read.All";
/// Read the tenant's organisation object and subscriptions.
pub const ORGANIZATION_READ: &str = "Organization.Read.All";
/// Read the device registration policy ("Get deviceRegistrationPolicy").
pub const POLICY_READ_DEVICE_CONFIGURATION: &str = "Policy.Read.DeviceConfiguration";
/// Read all users.
pub const USER_READ_ALL: &str = "User.Read.All";
/// Read the signed-in user, the tenant and the user's roles.
pub const USER_READ: &str = "User.Read";
/// Read group memberships (the least privileged way to read members).
pub const GROUP_MEMBER_READ_ALL: &str = "GroupMember.Read.All";
/// Add and remove group members.
pub const GROUP_MEMBER_RW_ALL: &str = "GroupMember.ReadWrite.All";
/// Read groups.
pub const GROUP_READ_ALL: &str = "Group.Read.All";
/// Create groups.
pub const GROUP_RW_ALL: &str = "Group.ReadWrite.All";
/// Act as the signed-in user in the directory: the only delegated permission the device-delete
/// page lists (`Device.ReadWrite.All` there is application only).
pub const DIRECTORY_AS_USER: &str = "Directory.AccessAsUser.All";

/// Every Graph scope the app uses; the demo admin's token carries all of them.
pub const ALL_GRAPH_SCOPES: &[&str] = &[
    POLICY_READ_ALL,
    POLICY_RW_MOBILITY,
    POLICY_RW_AUTH_METHOD,
    DM_SERVICE_CONFIG_RW,
    USER_AUTH_METHOD_RW,
    DEVICE_READ_ALL,
    DEVICE_RW_ALL,
    MANAGED_DEVICES_READ,
    MANAGED_DEVICES_RW,
    AUDIT_LOG_READ,
    DIRECTORY_READ_ALL,
    USER_READ_ALL,
    USER_READ,
    ROLE_MANAGEMENT_READ,
    LICENSE_READ,
    POLICY_READ_DEVICE_CONFIGURATION,
    GROUP_MEMBER_RW_ALL,
    GROUP_RW_ALL,
    DIRECTORY_AS_USER,
];

/// Every scope the emulator recognises (the login side grants only these).
pub const KNOWN_SCOPES: &[&str] = &[
    POLICY_READ_ALL,
    POLICY_RW_MOBILITY,
    POLICY_RW_AUTH_METHOD,
    DM_SERVICE_CONFIG_READ,
    DM_SERVICE_CONFIG_RW,
    USER_AUTH_METHOD_READ,
    USER_AUTH_METHOD_RW,
    DEVICE_READ_ALL,
    DEVICE_RW_ALL,
    MANAGED_DEVICES_READ,
    MANAGED_DEVICES_RW,
    AUDIT_LOG_READ,
    DIRECTORY_READ_ALL,
    USER_READ_ALL,
    USER_READ,
    ROLE_MANAGEMENT_READ,
    ROLE_MANAGEMENT_RW,
    ROLE_ELIGIBILITY_READ,
    ROLE_MANAGEMENT_READ_ALL,
    LICENSE_READ,
    ORGANIZATION_READ,
    POLICY_READ_DEVICE_CONFIGURATION,
    GROUP_MEMBER_READ_ALL,
    GROUP_MEMBER_RW_ALL,
    GROUP_READ_ALL,
    GROUP_RW_ALL,
    DIRECTORY_AS_USER,
];

/// The short Graph scope name of a requested scope: `https://graph.microsoft.com/User.Read` and
/// `User.Read` both give `User.Read`; the match against known scopes is case-insensitive.
pub fn normalise(scope: &str) -> Option<&'static str> {
    let short = scope
        .trim()
        .trim_start_matches("https://graph.microsoft.com/")
        .trim_start_matches("https://graph.microsoft.com//");
    KNOWN_SCOPES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(short))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_and_casing_normalise_to_known_scopes() {
        assert_eq!(
            normalise("https://graph.microsoft.com/policy.read.all"),
            Some(POLICY_READ_ALL)
        );
        assert_eq!(normalise("User.Read"), Some(USER_READ));
        assert_eq!(normalise("offline_access"), None);
        assert!(ALL_GRAPH_SCOPES.iter().all(|s| KNOWN_SCOPES.contains(s)));
    }
}
