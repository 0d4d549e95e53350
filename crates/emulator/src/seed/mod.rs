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

mod people;
mod policies;

use people::*;
pub use people::{DEMO_EXTERNAL_GUEST, DEMO_INTERNAL_GUEST};
use policies::*;

/// The demo tenant's id (fixed, so journals and links stay valid across restarts).
pub const DEMO_TENANT_ID: &str = "6c3f1d2e-8a4b-4f7c-9e15-2b7d0a9c4e81";
/// The demo tenant's name.
pub const DEMO_TENANT_NAME: &str = "Contoso Lab";
/// The demo tenant's initial domain.
pub const DEMO_DOMAIN: &str = "contosolab.onmicrosoft.com";

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
            eligible_roles: Vec::new(),
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
            eligible_roles: Vec::new(),
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
            eligible_roles: Vec::new(),
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
        readiness: Default::default(),
        groups: Vec::new(),
        mdm_included_groups: Default::default(),
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
