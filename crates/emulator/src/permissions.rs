//! Permission **and** role per route, as the "Permissions" section of each route's Microsoft
//! Graph page states them, checked for every Graph request before its handler runs. Scopes and
//! roles are listed least privileged first, so a refusal names the least privileged one that
//! would work. Routes whose handlers already check the same (TAP, methods, Intune, sign-ins) are
//! not repeated here.

use crate::caller::Caller;
use crate::error::GraphErr;
use crate::roles::DirectoryRole::{self, *};
use crate::scopes::*;
use crate::state::SharedState;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Who may call a route besides needing one of its scopes.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// Any member user (the docs' "Users" role, or no role section).
    AnyMember,
    /// One of these roles (Global Administrator always passes).
    Roles(&'static [DirectoryRole]),
}

/// One route's rule.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub method: &'static str,
    /// After the version; `{}` stands for one key segment.
    pub template: &'static str,
    /// Any one of these delegated permissions, least privileged first.
    pub scopes: &'static [&'static str],
    pub who: Who,
}

const CA_READERS: &[DirectoryRole] = &[
    SecurityReader,
    GlobalReader,
    SecurityAdministrator,
    ConditionalAccessAdministrator,
];

/// The rules.
pub const RULES: &[Rule] = &[
    // "List policies" / "Get conditionalAccessPolicy": Policy.Read.All; the roles of the
    // include "rbac-conditionalaccess-apis-read" (Security Reader, Security Administrator,
    // Global Reader, Conditional Access Administrator, Global Secure Access Administrator).
    Rule {
        method: "GET",
        template: "identity/conditionalAccess/policies",
        scopes: &[POLICY_READ_ALL],
        who: Who::Roles(CA_READERS),
    },
    Rule {
        method: "GET",
        template: "identity/conditionalAccess/policies/{}",
        scopes: &[POLICY_READ_ALL],
        who: Who::Roles(CA_READERS),
    },
    // "List subscribedSkus": LicenseAssignment.Read.All least privileged, then
    // Organization.Read.All and Directory.Read.All; roles of "rbac-company-subscriptions-
    // subscribedskus-apis" (Directory Readers, Global Reader).
    Rule {
        method: "GET",
        template: "subscribedSkus",
        scopes: &[LICENSE_READ, ORGANIZATION_READ, DIRECTORY_READ_ALL],
        who: Who::Roles(&[DirectoryReaders, GlobalReader]),
    },
    // "List licenseDetails": LicenseAssignment.Read.All, User.Read.All, Directory.Read.All
    // (User.Read for oneself); any member may read users.
    Rule {
        method: "GET",
        template: "users/{}/licenseDetails",
        scopes: &[LICENSE_READ, USER_READ_ALL, DIRECTORY_READ_ALL],
        who: Who::AnyMember,
    },
    Rule {
        method: "GET",
        template: "me/licenseDetails",
        scopes: &[USER_READ, LICENSE_READ, USER_READ_ALL, DIRECTORY_READ_ALL],
        who: Who::AnyMember,
    },
    // "Get deviceRegistrationPolicy": Policy.Read.DeviceConfiguration; roles of
    // "rbac-device-registration-policy-apis-read" (Global Reader, Cloud Device Administrator,
    // Intune Administrator, Windows 365 Administrator, Directory Reviewer).
    Rule {
        method: "GET",
        template: "policies/deviceRegistrationPolicy",
        scopes: &[POLICY_READ_DEVICE_CONFIGURATION, POLICY_READ_ALL],
        who: Who::Roles(&[GlobalReader, CloudDeviceAdministrator, IntuneAdministrator]),
    },
    // "Get identitySecurityDefaultsEnforcementPolicy": Policy.Read.All.
    Rule {
        method: "GET",
        template: "policies/identitySecurityDefaultsEnforcementPolicy",
        scopes: &[POLICY_READ_ALL],
        who: Who::Roles(&[
            SecurityReader,
            GlobalReader,
            SecurityAdministrator,
            ConditionalAccessAdministrator,
        ]),
    },
    // "List mobileAppManagementPolicies" (beta): Policy.Read.All.
    Rule {
        method: "GET",
        template: "policies/mobileAppManagementPolicies",
        scopes: &[POLICY_READ_ALL],
        who: Who::AnyMember,
    },
    Rule {
        method: "GET",
        template: "policies/mobileAppManagementPolicies/{}",
        scopes: &[POLICY_READ_ALL],
        who: Who::AnyMember,
    },
    // "List transitiveRoleAssignments" (beta): RoleManagement.Read.Directory least privileged;
    // roles Directory Readers, Global Reader, Privileged Role Administrator.
    Rule {
        method: "GET",
        template: "roleManagement/directory/transitiveRoleAssignments",
        scopes: &[ROLE_MANAGEMENT_READ, DIRECTORY_READ_ALL, ROLE_MANAGEMENT_RW],
        who: Who::Roles(&[DirectoryReaders, GlobalReader, PrivilegedRoleAdministrator]),
    },
    // "List roleEligibilityScheduleInstances" (v1.0 and beta): least privileged
    // RoleEligibilitySchedule.Read.Directory, then RoleEligibilitySchedule.ReadWrite.Directory,
    // RoleManagement.Read.All, RoleManagement.Read.Directory, RoleManagement.ReadWrite.Directory;
    // in delegated scenarios the caller also needs a role of "rbac-pim-entra-roles-apis" for
    // reads: Global Reader, Security Operator, Security Reader, Security Administrator or
    // Privileged Role Administrator.
    Rule {
        method: "GET",
        template: "roleManagement/directory/roleEligibilityScheduleInstances",
        scopes: &[
            ROLE_ELIGIBILITY_READ,
            ROLE_MANAGEMENT_READ_ALL,
            ROLE_MANAGEMENT_READ,
            ROLE_MANAGEMENT_RW,
        ],
        who: Who::Roles(&[
            GlobalReader,
            SecurityOperator,
            SecurityReader,
            SecurityAdministrator,
            PrivilegedRoleAdministrator,
        ]),
    },
    // "List directoryRoles": RoleManagement.Read.Directory, Directory.Read.All; any member
    // ("rbac-directory-role-apis-read" lists the User role).
    Rule {
        method: "GET",
        template: "directoryRoles",
        scopes: &[ROLE_MANAGEMENT_READ, DIRECTORY_READ_ALL, ROLE_MANAGEMENT_RW],
        who: Who::AnyMember,
    },
];

/// The rule of a route, if it has one here.
pub fn rule_for(method: &str, path: &str) -> Option<&'static Rule> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    RULES.iter().find(|r| {
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

/// Checks a caller against a rule.
pub fn check(caller: &Caller, rule: &Rule) -> Result<(), GraphErr> {
    caller.require_scope(rule.scopes)?;
    match rule.who {
        Who::AnyMember => Ok(()),
        Who::Roles(roles) => caller.require_role(roles),
    }
}

/// The middleware. A request without a valid token passes on, so its handler answers 401.
pub(crate) async fn enforce(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let rest = path
        .strip_prefix("/v1.0/")
        .or_else(|| path.strip_prefix("/beta/"));
    let Some(rule) = rest.and_then(|rest| rule_for(request.method().as_str(), rest)) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    if let Ok(caller) = Caller::from_request_parts(&mut parts, &state).await
        && let Err(refused) = check(&caller, rule)
    {
        return refused.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_their_routes_only() {
        assert!(rule_for("GET", "identity/conditionalAccess/policies/abc").is_some());
        assert!(rule_for("PATCH", "identity/conditionalAccess/policies/abc").is_none());
        assert!(rule_for("GET", "users/u1/licenseDetails").is_some());
        assert!(rule_for("GET", "users/u1").is_none());
    }
}
