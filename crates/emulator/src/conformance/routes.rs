//! Which Graph type each route takes and answers, as the "HTTP request" and "Response" sections
//! of the route's Microsoft doc page state it. A route missing here is counted as unchecked.

/// What a route takes and answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteTypes {
    /// The path after the version, `{}` for a key segment.
    pub template: &'static str,
    pub method: &'static str,
    /// The request body's type (POST, PATCH), when the route takes one.
    pub request: Option<&'static str>,
    /// The answer's type.
    pub response: Option<&'static str>,
    /// Whether the answer is a collection of `response`.
    pub collection: bool,
}

const fn get(template: &'static str, response: &'static str, collection: bool) -> RouteTypes {
    RouteTypes {
        template,
        method: "GET",
        request: None,
        response: Some(response),
        collection,
    }
}

const fn write(
    method: &'static str,
    template: &'static str,
    request: &'static str,
    response: Option<&'static str>,
) -> RouteTypes {
    RouteTypes {
        template,
        method,
        request: Some(request),
        response,
        collection: false,
    }
}

/// Every typed route the emulator serves (both versions unless the type exists on one only).
pub const ROUTES: &[RouteTypes] = &[
    get("users", "user", true),
    get("users/{}", "user", false),
    get("me", "user", false),
    get("me/memberOf", "directoryObject", true),
    get("me/transitiveMemberOf", "directoryObject", true),
    get(
        "me/memberOf/microsoft.graph.directoryRole",
        "directoryRole",
        true,
    ),
    get(
        "me/transitiveMemberOf/microsoft.graph.directoryRole",
        "directoryRole",
        true,
    ),
    get("users/{}/memberOf", "directoryObject", true),
    get("users/{}/transitiveMemberOf", "directoryObject", true),
    get(
        "users/{}/memberOf/microsoft.graph.directoryRole",
        "directoryRole",
        true,
    ),
    get(
        "users/{}/transitiveMemberOf/microsoft.graph.directoryRole",
        "directoryRole",
        true,
    ),
    get(
        "users/{}/transitiveMemberOf/microsoft.graph.group",
        "group",
        true,
    ),
    get("groups", "group", true),
    get("groups/{}", "group", false),
    get("groups/{}/members", "directoryObject", true),
    write("POST", "groups", "group", Some("group")),
    get("users/{}/licenseDetails", "licenseDetails", true),
    get("me/licenseDetails", "licenseDetails", true),
    get("organization", "organization", true),
    get("subscribedSkus", "subscribedSku", true),
    get("directoryRoles", "directoryRole", true),
    get("directoryRoles/{}", "directoryRole", false),
    get("directoryRoles/{}/members", "directoryObject", true),
    get(
        "roleManagement/directory/transitiveRoleAssignments",
        "unifiedRoleAssignment",
        true,
    ),
    get(
        "roleManagement/directory/roleAssignments",
        "unifiedRoleAssignment",
        true,
    ),
    get(
        "roleManagement/directory/roleEligibilitySchedules",
        "unifiedRoleEligibilitySchedule",
        true,
    ),
    get(
        "roleManagement/directory/roleEligibilityScheduleInstances",
        "unifiedRoleEligibilityScheduleInstance",
        true,
    ),
    get("groups", "group", true),
    get("groups/{}", "group", false),
    get("groups/{}/members", "directoryObject", true),
    get("groups/{}/transitiveMembers", "directoryObject", true),
    get("devices", "device", true),
    get("devices/{}", "device", false),
    get("deviceManagement/managedDevices", "managedDevice", true),
    get("deviceManagement/managedDevices/{}", "managedDevice", false),
    get("auditLogs/signIns", "signIn", true),
    get("auditLogs/signIns/{}", "signIn", false),
    get(
        "users/{}/authentication/temporaryAccessPassMethods",
        "temporaryAccessPassAuthenticationMethod",
        true,
    ),
    get(
        "users/{}/authentication/temporaryAccessPassMethods/{}",
        "temporaryAccessPassAuthenticationMethod",
        false,
    ),
    write(
        "POST",
        "users/{}/authentication/temporaryAccessPassMethods",
        "temporaryAccessPassAuthenticationMethod",
        Some("temporaryAccessPassAuthenticationMethod"),
    ),
    get(
        "users/{}/authentication/windowsHelloForBusinessMethods",
        "windowsHelloForBusinessAuthenticationMethod",
        true,
    ),
    get(
        "users/{}/authentication/windowsHelloForBusinessMethods/{}",
        "windowsHelloForBusinessAuthenticationMethod",
        false,
    ),
    get(
        "users/{}/authentication/methods",
        "authenticationMethod",
        true,
    ),
    get(
        "deviceManagement/deviceEnrollmentConfigurations",
        "deviceEnrollmentConfiguration",
        true,
    ),
    get(
        "deviceManagement/deviceEnrollmentConfigurations/{}",
        "deviceEnrollmentConfiguration",
        false,
    ),
    write(
        "PATCH",
        "deviceManagement/deviceEnrollmentConfigurations/{}",
        "deviceEnrollmentConfiguration",
        Some("deviceEnrollmentConfiguration"),
    ),
    get(
        "policies/authenticationMethodsPolicy",
        "authenticationMethodsPolicy",
        false,
    ),
    get(
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{}",
        "authenticationMethodConfiguration",
        false,
    ),
    write(
        "PATCH",
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{}",
        "authenticationMethodConfiguration",
        None,
    ),
    get(
        "identity/conditionalAccess/policies",
        "conditionalAccessPolicy",
        true,
    ),
    get(
        "identity/conditionalAccess/policies/{}",
        "conditionalAccessPolicy",
        false,
    ),
    get(
        "policies/mobileDeviceManagementPolicies",
        "mobileDeviceManagementPolicy",
        true,
    ),
    get(
        "policies/mobileDeviceManagementPolicies/{}",
        "mobileDeviceManagementPolicy",
        false,
    ),
    write(
        "PATCH",
        "policies/mobileDeviceManagementPolicies/{}",
        "mobileDeviceManagementPolicy",
        None,
    ),
    get(
        "policies/mobileDeviceManagementPolicies/{}/includedGroups",
        "group",
        true,
    ),
    get(
        "policies/mobileAppManagementPolicies",
        "mobileAppManagementPolicy",
        true,
    ),
    get(
        "policies/mobileAppManagementPolicies/{}",
        "mobileAppManagementPolicy",
        false,
    ),
    get(
        "policies/mobileAppManagementPolicies/{}/includedGroups",
        "group",
        true,
    ),
    get(
        "policies/deviceRegistrationPolicy",
        "deviceRegistrationPolicy",
        false,
    ),
    get(
        "policies/identitySecurityDefaultsEnforcementPolicy",
        "identitySecurityDefaultsEnforcementPolicy",
        false,
    ),
];

/// The route `path` (after the version, no query) matches, for `method`.
pub fn find(method: &str, path: &str) -> Option<&'static RouteTypes> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    ROUTES.iter().find(|r| {
        r.method.eq_ignore_ascii_case(method) && {
            let parts: Vec<&str> = r.template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| *p == "{}" || p.eq_ignore_ascii_case(s))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_any_segment_and_literals_match_exactly() {
        let r = find(
            "GET",
            "/users/abc/authentication/temporaryAccessPassMethods",
        )
        .unwrap();
        assert!(r.collection);
        assert_eq!(
            find(
                "POST",
                "users/abc/authentication/temporaryAccessPassMethods"
            )
            .unwrap()
            .request,
            Some("temporaryAccessPassAuthenticationMethod")
        );
        assert!(find("GET", "users/abc/nothing").is_none());
        assert!(find("DELETE", "users/abc").is_none());
    }
}
