//! Who lives in the demo tenant: generated names, the named privileged and disabled users, the
//! lab user and the B2B guests.

use super::*;

pub(super) const FIRST: &[&str] = &[
    "Adele", "Alex", "Allan", "Bianca", "Brian", "Cameron", "Christie", "Debra", "Diego", "Emily",
    "Enrico", "Gerhart", "Grady", "Irvin", "Isaiah", "Jessica", "Johanna", "Joni", "Jordan",
    "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Noah", "Patti", "Pradeep", "Raul", "Sara",
    "Tomas", "Vivian", "Wanda", "Yuki", "Zoe", "Amara", "Kenji", "Fatima", "Lars", "Priya",
    "Mateo",
];
pub(super) const LAST: &[&str] = &[
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
pub(super) const DEPARTMENTS: &[&str] = &[
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
pub(super) const TITLES: &[&str] = &[
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
pub(super) struct NamedUser {
    pub(super) given: &'static str,
    pub(super) surname: &'static str,
    pub(super) local: &'static str,
    pub(super) title: &'static str,
    pub(super) roles: &'static [DirectoryRole],
    pub(super) enabled: bool,
}

pub(super) const fn named(
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
pub(super) const NAMED: &[NamedUser] = &[
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
pub(super) struct Guest {
    pub(super) given: &'static str,
    pub(super) surname: &'static str,
    pub(super) company: &'static str,
    pub(super) title: &'static str,
    /// The part before `#EXT#`: the guest's own address with `@` written as `_`.
    pub(super) local: &'static str,
    /// `None`: signs in with credentials of this tenant (an internal guest, which Entra lets
    /// have a TAP); else the organization it authenticates at (an external guest, which Entra
    /// refuses a TAP).
    pub(super) external_issuer: Option<&'static str>,
}

/// The demo's guests, added after every other user so the seed's other users keep their ids.
/// Microsoft's "Properties of a B2B collaboration user" describe both: a B2B user object whose
/// identity is the host's domain, and one homed in another organization.
pub(super) const GUESTS: &[Guest] = &[
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
pub(super) const REGULAR_USERS: usize = 38;
