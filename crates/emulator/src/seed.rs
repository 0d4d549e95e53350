//! The demo tenant "Contoso Lab" at its out-of-the-box values: ~50 users with realistic names, one
//! Global Administrator, a few privileged and disabled users, a lab user, an internal and an
//! external B2B guest (`#EXT#` UPNs), and the policies the lab changes (MDM scope none, WHfB notConfigured, TAP disabled). Deterministic for a given seed.

use super::roles::DirectoryRole;
use super::state::{TenantInfo, TenantState, UserRecord};
use crate::api::{MDM_POLICY_ID, TAP_CONFIG_TYPE, WHFB_CONFIG_TYPE};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The demo tenant's id (fixed, so journals and links stay valid across restarts).
pub const DEMO_TENANT_ID: &str = "6c3f1d2e-8a4b-4f7c-9e15-2b7d0a9c4e81";
/// The demo tenant's name.
pub const DEMO_TENANT_NAME: &str = "Contoso Lab";
/// The demo tenant's initial domain.
pub const DEMO_DOMAIN: &str = "contosolab.onmicrosoft.com";

const FIRST: &[&str] = &[
    "Adele", "Alex", "Allan", "Bianca", "Brian", "Cameron", "Christie", "Debra", "Diego", "Emily",
    "Enrico", "Gerhart", "Grady", "Irvin", "Isaiah", "Jessica", "Johanna", "Joni", "Jordan",
    "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Noah", "Patti", "Pradeep", "Raul", "Sara",
    "Tomas", "Vivian", "Wanda", "Yuki", "Zoe", "Amara", "Kenji", "Fatima", "Lars", "Priya",
    "Mateo",
];
const LAST: &[&str] = &[
    "Vance",
    "Wilber",
    "Deyoung",
    "Pham",
    "Johnson",
    "White",
    "Cline",
    "Berger",
    "Siciliani",
    "Braun",
    "Bowen",
    "Archie",
    "Sayer",
    "Langer",
    "Lorenz",
    "Holloway",
    "Sanders",
    "Graham",
    "Wilke",
    "Robbins",
    "Fernandez",
    "Gupta",
    "Rodriguez",
    "Mueller",
    "Okafor",
    "Tanaka",
    "Haddad",
    "Nilsson",
    "Iyer",
    "Alvarez",
    "Schmidt",
    "Kowalski",
    "Dubois",
    "Moreau",
    "Costa",
];
const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Marketing",
    "Finance",
    "Operations",
    "Engineering",
    "Legal",
    "Human Resources",
    "Retail",
    "Research",
];
const TITLES: &[&str] = &[
    "Sales Representative",
    "Marketing Manager",
    "Accountant",
    "Operations Lead",
    "Software Engineer",
    "Paralegal",
    "HR Specialist",
    "Store Manager",
    "Research Scientist",
    "Product Owner",
];

/// A user everyone talks about in the lab, with their roles.
struct NamedUser {
    given: &'static str,
    surname: &'static str,
    local: &'static str,
    title: &'static str,
    roles: &'static [DirectoryRole],
    enabled: bool,
}

const fn named(
    given: &'static str,
    surname: &'static str,
    local: &'static str,
    title: &'static str,
    roles: &'static [DirectoryRole],
    enabled: bool,
) -> NamedUser {
    NamedUser {
        given,
        surname,
        local,
        title,
        roles,
        enabled,
    }
}

#[rustfmt::skip]
const NAMED: &[NamedUser] = &[
    named("Lab", "Admin", "admin", "IT Administrator", &[DirectoryRole::GlobalAdministrator], true),
    named("Lab", "User", "lab.user", "Lab Participant", &[], true),
    named("Lee", "Gu", "lee.gu", "Help Desk Agent", &[DirectoryRole::HelpdeskAdministrator], true),
    named("Isaiah", "Langer", "isaiah.langer", "Identity Engineer", &[DirectoryRole::AuthenticationAdministrator], true),
    named("Pradeep", "Gupta", "pradeep.gupta", "Identity Architect", &[DirectoryRole::AuthenticationPolicyAdministrator], true),
    named("Alex", "Wilber", "alex.wilber", "Endpoint Engineer", &[DirectoryRole::IntuneAdministrator], true),
    named("Nestor", "Wilke", "nestor.wilke", "Security Engineer", &[DirectoryRole::PrivilegedAuthenticationAdministrator], true),
    named("Lynne", "Robbins", "lynne.robbins", "Compliance Analyst", &[DirectoryRole::ReportsReader], true),
    named("Miriam", "Graham", "miriam.graham", "IT Auditor", &[DirectoryRole::GlobalReader], true),
    named("Patti", "Fernandez", "patti.fernandez", "Former Contractor", &[], false),
    named("Johanna", "Lorenz", "johanna.lorenz", "Former Engineer", &[], false),
    named("Henrietta", "Mueller", "henrietta.mueller", "Retired", &[], false),
];

/// A B2B collaboration user: a UPN with Entra's `#EXT#` marker, `userType` Guest.
struct Guest {
    given: &'static str,
    surname: &'static str,
    company: &'static str,
    title: &'static str,
    /// The part before `#EXT#`: the guest's own address with `@` written as `_`.
    local: &'static str,
    /// `None`: signs in with credentials of this tenant (an internal guest, which Entra lets
    /// have a TAP); else the organization it authenticates at (an external guest, which Entra
    /// refuses a TAP).
    external_issuer: Option<&'static str>,
}

/// The demo's guests, added after every other user so the seed's other users keep their ids.
/// Microsoft's "Properties of a B2B collaboration user" describe both: a B2B user object whose
/// identity is the host's domain, and one homed in another organization.
const GUESTS: &[Guest] = &[
    Guest {
        given: "Jane",
        surname: "Rivera",
        company: "Fabrikam",
        title: "Partner Consultant",
        local: "jane_fabrikam.com",
        external_issuer: None,
    },
    Guest {
        given: "Sam",
        surname: "Okoro",
        company: "Northwind",
        title: "Supplier Contact",
        local: "sam_northwind.com",
        external_issuer: Some("northwind.com"),
    },
];

/// The demo's internal guest (a TAP can be issued), for tests and the lab's walkthrough.
pub const DEMO_INTERNAL_GUEST: &str = "jane_fabrikam.com#EXT#@contosolab.onmicrosoft.com";
/// The demo's external guest (Entra refuses a TAP).
pub const DEMO_EXTERNAL_GUEST: &str = "sam_northwind.com#EXT#@contosolab.onmicrosoft.com";

/// How many regular users the demo set has besides the named ones (about 50 users in all).
const REGULAR_USERS: usize = 38;

/// Builds the demo tenant for `seed`, with `extra_users` more generated users.
pub fn seed_tenant(seed: u64, extra_users: usize) -> TenantState {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = Utc
        .with_ymd_and_hms(2025, 9, 1, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let tenant = TenantInfo {
        id: TenantId::from(DEMO_TENANT_ID),
        display_name: DEMO_TENANT_NAME.into(),
        domain: DEMO_DOMAIN.into(),
    };
    let mut users = Vec::new();
    for n in NAMED {
        users.push(UserRecord {
            id: UserId(guid(&mut rng)),
            user_principal_name: format!("{}@{DEMO_DOMAIN}", n.local),
            display_name: format!("{} {}", n.given, n.surname),
            given_name: n.given.into(),
            surname: n.surname.into(),
            job_title: Some(n.title.into()),
            department: Some("IT".into()),
            account_enabled: n.enabled,
            created: created(&mut rng, base),
            roles: n.roles.to_vec(),
            tap: None,
            whfb_methods: Vec::new(),
            user_type: "Member".into(),
            external_issuer: None,
        });
    }
    for i in 0..REGULAR_USERS + extra_users {
        let given = FIRST[rng.random_range(0..FIRST.len())];
        let surname = LAST[rng.random_range(0..LAST.len())];
        let mut local = format!("{}.{}", given.to_lowercase(), surname.to_lowercase());
        if users
            .iter()
            .any(|u: &UserRecord| u.user_principal_name.starts_with(&format!("{local}@")))
        {
            local = format!("{local}{}", i + 1);
        }
        let dept = rng.random_range(0..DEPARTMENTS.len());
        users.push(UserRecord {
            id: UserId(guid(&mut rng)),
            user_principal_name: format!("{local}@{DEMO_DOMAIN}"),
            display_name: format!("{given} {surname}"),
            given_name: given.into(),
            surname: surname.into(),
            job_title: Some(TITLES[rng.random_range(0..TITLES.len())].into()),
            department: Some(DEPARTMENTS[dept].into()),
            account_enabled: true,
            created: created(&mut rng, base),
            roles: Vec::new(),
            tap: None,
            whfb_methods: Vec::new(),
            user_type: "Member".into(),
            external_issuer: None,
        });
    }
    for g in GUESTS {
        users.push(UserRecord {
            id: UserId(guid(&mut rng)),
            user_principal_name: format!("{}#EXT#@{DEMO_DOMAIN}", g.local),
            display_name: format!("{} {} ({})", g.given, g.surname, g.company),
            given_name: g.given.into(),
            surname: g.surname.into(),
            job_title: Some(g.title.into()),
            department: None,
            account_enabled: true,
            created: created(&mut rng, base),
            roles: Vec::new(),
            tap: None,
            whfb_methods: Vec::new(),
            user_type: "Guest".into(),
            external_issuer: g.external_issuer.map(str::to_string),
        });
    }
    TenantState {
        admin_upn: format!("admin@{DEMO_DOMAIN}"),
        lab_user_upn: format!("lab.user@{DEMO_DOMAIN}"),
        has_premium: true,
        users,
        mdm_policies: mdm_policies(),
        enrollment_configurations: enrollment_configurations(DEMO_TENANT_ID, base),
        tap_policy: tap_policy(),
        conditional_access_policies: vec![require_mfa_policy(base)],
        devices: Vec::new(),
        managed_devices: Vec::new(),
        sign_ins: Vec::new(),
        tenant,
    }
}

/// A random GUID from the seeded generator.
pub fn guid(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn created(rng: &mut StdRng, base: DateTime<Utc>) -> DateTime<Utc> {
    base - Duration::days(rng.random_range(1..900)) - Duration::minutes(rng.random_range(0..1440))
}

fn mdm_policies() -> Vec<Value> {
    vec![
        json!({
            "id": MDM_POLICY_ID,
            "appliesTo": "none",
            "complianceUrl": "https://portal.manage.microsoft.com/?portalAction=Compliance",
            "discoveryUrl": "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
            "termsOfUseUrl": "https://portal.manage.microsoft.com/TermsofUse.aspx",
            "description": "Device Management Policy for Microsoft Intune",
            "displayName": "Microsoft Intune",
            "isValid": true,
            "isMdmEnrollmentDuringRegistrationDisabled": false,
        }),
        json!({
            "id": "d4ebce55-015a-49b5-a083-c84d1797ae8c",
            "appliesTo": "none",
            "complianceUrl": null,
            "discoveryUrl": "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
            "termsOfUseUrl": null,
            "description": "Device Management Policy for Microsoft Intune Enrollment",
            "displayName": "Microsoft Intune Enrollment",
            "isValid": true,
            "isMdmEnrollmentDuringRegistrationDisabled": false,
        }),
    ]
}

fn enrollment_configurations(tenant_id: &str, base: DateTime<Utc>) -> Vec<Value> {
    let when = super::state::graph_time(base - Duration::days(400));
    vec![
        json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "id": format!("{tenant_id}_DefaultLimit"),
            "displayName": "All users and all devices",
            "description": "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
            "priority": 0, "version": 0, "createdDateTime": when, "lastModifiedDateTime": when,
            "deviceEnrollmentConfigurationType": "limit", "roleScopeTagIds": [], "limit": 15,
        }),
        json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            "id": format!("{tenant_id}_DefaultPlatformRestrictions"),
            "displayName": "All users and all devices",
            "description": "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
            "priority": 0, "version": 0, "createdDateTime": when, "lastModifiedDateTime": when,
            "deviceEnrollmentConfigurationType": "platformRestrictions", "roleScopeTagIds": [],
        }),
        json!({
            "@odata.type": WHFB_CONFIG_TYPE,
            "id": format!("{tenant_id}_DefaultWindowsHelloForBusiness"),
            "displayName": "All users and all devices",
            "description": "This is the default Windows Hello for Business configuration applied with the lowest priority to all users regardless of group membership.",
            "priority": 0, "version": 0, "createdDateTime": when, "lastModifiedDateTime": when,
            "deviceEnrollmentConfigurationType": "windowsHelloForBusiness", "roleScopeTagIds": [],
            "state": "notConfigured",
            "pinMinimumLength": 6, "pinMaximumLength": 127,
            "pinUppercaseCharactersUsage": "disallowed", "pinLowercaseCharactersUsage": "disallowed",
            "pinSpecialCharactersUsage": "disallowed",
            "securityDeviceRequired": false, "unlockWithBiometricsEnabled": true,
            "remotePassportEnabled": true, "pinPreviousBlockCount": 0, "pinExpirationInDays": 0,
            "enhancedBiometricsState": "notConfigured", "securityKeyForSignIn": "notConfigured",
            "enhancedSignInSecurity": 0,
        }),
    ]
}

fn tap_policy() -> Value {
    json!({
        "@odata.type": TAP_CONFIG_TYPE,
        "id": "TemporaryAccessPass",
        "state": "disabled",
        "defaultLifetimeInMinutes": 60,
        "defaultLength": 8,
        "minimumLifetimeInMinutes": 60,
        "maximumLifetimeInMinutes": 480,
        "isUsableOnce": false,
        "includeTargets": [ { "targetType": "group", "id": "all_users", "isRegistrationRequired": false } ],
        "excludeTargets": [],
    })
}

fn require_mfa_policy(base: DateTime<Utc>) -> Value {
    json!({
        "id": "8a6c2f4e-1b3d-4e5f-9a7b-0c2d4e6f8a1b",
        "displayName": "Require MFA for all users",
        "createdDateTime": super::state::graph_time(base - Duration::days(200)),
        "modifiedDateTime": null,
        "state": "enabled",
        "conditions": {
            "users": { "includeUsers": ["All"], "excludeUsers": [], "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": [] },
            "applications": { "includeApplications": ["All"], "excludeApplications": [] },
            "clientAppTypes": ["all"],
            "platforms": null, "locations": null,
        },
        "grantControls": { "operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": [] },
        "sessionControls": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_tenant_has_the_documented_shape() {
        let t = seed_tenant(42, 0);
        assert!((45..=55).contains(&t.users.len()), "{}", t.users.len());
        let ga: Vec<_> = t
            .users
            .iter()
            .filter(|u| u.roles.contains(&DirectoryRole::GlobalAdministrator))
            .collect();
        assert_eq!(ga.len(), 1);
        assert_eq!(ga[0].user_principal_name, t.admin_upn);
        assert!(t.users.iter().filter(|u| !u.account_enabled).count() >= 2);
        assert!(t.user(&t.lab_user_upn).is_some());
        assert_eq!(t.mdm_applies_to(), "none");
        assert_eq!(t.whfb_state(), "notConfigured");
        assert!(!t.tap_policy_enabled());
        let upns: std::collections::HashSet<_> = t
            .users
            .iter()
            .map(|u| u.user_principal_name.clone())
            .collect();
        assert_eq!(upns.len(), t.users.len(), "UPNs are unique");
        let jane = t.user(DEMO_INTERNAL_GUEST).expect("the internal guest");
        assert_eq!(
            (jane.user_type.as_str(), jane.external_issuer.as_deref()),
            ("Guest", None)
        );
        assert_eq!(jane.identities()[0]["signInType"], "userPrincipalName");
        let sam = t.user(DEMO_EXTERNAL_GUEST).expect("the external guest");
        assert_eq!(sam.identities()[0]["signInType"], "federated");
        assert_eq!(sam.to_graph()["userType"], "Guest");
    }

    #[test]
    fn same_seed_same_tenant_and_extra_users_are_added() {
        assert_eq!(seed_tenant(7, 3), seed_tenant(7, 3));
        assert_ne!(seed_tenant(7, 0).users[0].id, seed_tenant(8, 0).users[0].id);
        assert_eq!(
            seed_tenant(7, 25).users.len(),
            seed_tenant(7, 0).users.len() + 25
        );
    }
}
