//! Which delegated permissions each step asks for (incremental consent, per graph-contract.md).

use hb_lab::Step;
use hb_lab::session::JobAction;

/// The resource prefix the v2.0 endpoints want on Graph scopes.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com/";

/// Asked for on every sign-in: an id token, a refresh token, and enough Graph to run preflight
/// (`/me`, `/me/memberOf`, `/organization`). `RoleManagement.Read.Directory` because with
/// `User.Read` alone Graph lists the account's directory roles with limited information (no
/// name, no template id), so preflight could not tell which roles are held.
pub const BASE_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "offline_access",
    "User.Read",
    "RoleManagement.Read.Directory",
];

/// The Graph permissions (short names) a step needs, least privilege first. Host-only steps
/// need none; step 7 reads devices, managed devices, WHfB methods and sign-in logs.
pub fn scopes_for(step: Step) -> &'static [&'static str] {
    match step {
        Step::MdmUserScope => &["Policy.Read.All", "Policy.ReadWrite.MobilityManagement"],
        Step::WhfbEnrollment => &["DeviceManagementServiceConfig.ReadWrite.All"],
        Step::HypervFeature | Step::LabVm => &[],
        Step::TapPolicy => &["Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"],
        Step::TapIssued => &["User.Read.All", "UserAuthenticationMethod.ReadWrite.All"],
        Step::Bootstrap => &[
            "UserAuthenticationMethod.Read.All",
            "Device.Read.All",
            "DeviceManagementManagedDevices.Read.All",
            "AuditLog.Read.All",
            "Directory.Read.All",
            "Policy.Read.All",
        ],
    }
}

/// Step 7's revert deletes what the run created: the Entra device (the device-delete page's only
/// delegated permission is `Directory.AccessAsUser.All`; `Device.ReadWrite.All` there is for
/// applications), the Intune managed device (`DeviceManagementManagedDevices.ReadWrite.All`) and
/// the Windows Hello key (`UserAuthenticationMethod.ReadWrite.All`).
pub const BOOTSTRAP_REVERT: &[&str] = &[
    "Directory.AccessAsUser.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
];

/// The Graph permissions one action of a step needs, asked for when the action starts. Check and
/// apply need the step's own; a revert needs what undoing takes, which for step 7 is more than
/// its reads (deletes), and is asked for only then.
pub fn scopes_for_action(step: Step, action: JobAction) -> &'static [&'static str] {
    match (step, action) {
        (Step::Bootstrap, JobAction::Revert) => BOOTSTRAP_REVERT,
        _ => scopes_for(step),
    }
}

/// The union of the steps' permissions (short names, sorted, no repeats), e.g. for `run`.
pub fn scopes_for_steps(steps: &[Step]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = steps
        .iter()
        .flat_map(|s| scopes_for(*s).iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Every permission the whole lab needs.
pub fn all_scopes() -> Vec<&'static str> {
    scopes_for_steps(&Step::ALL)
}

/// The scope strings sent to `/authorize`, `/token` and `/devicecode`: the base OIDC scopes
/// plus each Graph permission with the Graph resource prefix.
pub fn request_scopes(graph_scopes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = BASE_SCOPES.iter().map(|s| qualify(s)).collect();
    for s in graph_scopes {
        let q = qualify(s);
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

/// Adds the Graph resource prefix to a Graph permission; OIDC scopes stay bare.
pub fn qualify(scope: &str) -> String {
    if matches!(scope, "openid" | "profile" | "offline_access" | "email") || scope.contains("://") {
        scope.to_string()
    } else {
        format!("{GRAPH_RESOURCE}{scope}")
    }
}

/// The short Graph permission names in a token response's `scope`, without OIDC scopes.
pub fn granted_graph_scopes(scope_field: &str) -> Vec<String> {
    let mut out: Vec<String> = scope_field
        .split_whitespace()
        .filter(|s| !matches!(*s, "openid" | "profile" | "offline_access" | "email"))
        .map(|s| s.strip_prefix(GRAPH_RESOURCE).unwrap_or(s).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a granted set covers a permission; `ReadWrite` also covers the matching `Read`.
pub fn covers(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| {
        g.eq_ignore_ascii_case(needed)
            || g.replacen(".ReadWrite.", ".Read.", 1)
                .eq_ignore_ascii_case(needed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_graph_step_asks_for_its_least_privilege_scope() {
        assert!(scopes_for(Step::MdmUserScope).contains(&"Policy.ReadWrite.MobilityManagement"));
        assert!(scopes_for(Step::TapPolicy).contains(&"Policy.ReadWrite.AuthenticationMethod"));
        assert!(scopes_for(Step::HypervFeature).is_empty());
        let run = scopes_for_steps(&[Step::MdmUserScope, Step::TapPolicy]);
        assert_eq!(run.iter().filter(|s| **s == "Policy.Read.All").count(), 1);
        assert!(!run.contains(&"AuditLog.Read.All"));
        assert!(all_scopes().contains(&"AuditLog.Read.All"));
    }

    #[test]
    fn step_seven_asks_for_its_delete_permissions_only_at_revert() {
        let revert = scopes_for_action(Step::Bootstrap, JobAction::Revert);
        assert!(revert.contains(&"Directory.AccessAsUser.All"));
        assert!(revert.contains(&"DeviceManagementManagedDevices.ReadWrite.All"));
        let apply = scopes_for_action(Step::Bootstrap, JobAction::Apply);
        assert!(!apply.contains(&"Directory.AccessAsUser.All"));
        assert!(!all_scopes().contains(&"Directory.AccessAsUser.All"));
        assert_eq!(
            scopes_for_action(Step::TapPolicy, JobAction::Revert),
            scopes_for(Step::TapPolicy)
        );
    }

    #[test]
    fn request_scopes_are_qualified_and_granted_scopes_are_short() {
        let req = request_scopes(&["Policy.Read.All"]);
        assert!(req.contains(&"offline_access".to_string()));
        assert!(req.contains(&"https://graph.microsoft.com/Policy.Read.All".to_string()));
        let granted = granted_graph_scopes(
            "openid https://graph.microsoft.com/User.Read https://graph.microsoft.com/Policy.ReadWrite.AuthenticationMethod",
        );
        assert_eq!(
            granted,
            vec!["Policy.ReadWrite.AuthenticationMethod", "User.Read"]
        );
        assert!(covers(&granted, "Policy.Read.AuthenticationMethod"));
        assert!(!covers(&granted, "Policy.Read.All"));
    }
}
