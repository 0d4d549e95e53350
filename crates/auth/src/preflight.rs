//! Preflight before any change: who is signed in, to which tenant, with which directory roles
//! and permissions, and whether the tenant has what a step needs. A gap is reported in words
//! ("step 5 needs the Authentication Policy Administrator role (you have: Helpdesk
//! Administrator)") before anything is attempted.

use super::scopes::{covers, scopes_for};
use hb_graph::api::{directory, sign_ins};
use hb_graph::models::DirectoryRole;
use hb_graph::{GraphClient, GraphError};
use hb_lab::{Step, TenantId, Upn, UserId};
use serde::Serialize;

pub use hb_graph::api::sign_ins::NON_PREMIUM_CODE;

/// The role that satisfies every step.
pub const GLOBAL_ADMINISTRATOR: &str = "Global Administrator";

/// The roles preflight names, by `roleTemplateId` (the same in every tenant). Graph leaves a
/// role's display name null when the token has only `User.Read`, so roles are matched by id.
pub const ROLE_TEMPLATES: &[(&str, &str)] = &[
    ("62e90394-69f5-4237-9190-012177145e10", GLOBAL_ADMINISTRATOR),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    (
        "0526716b-113d-4c15-b2c8-68e3c22b9f80",
        "Authentication Policy Administrator",
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader"),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader"),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    ("5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", "Security Operator"),
    (
        "7698a772-787b-4ac8-901f-60d6b08affd2",
        "Cloud Device Administrator",
    ),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
    ),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers"),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
];

/// The name of a built-in role by template id.
fn template_name(template_id: &str) -> Option<&'static str> {
    ROLE_TEMPLATES
        .iter()
        .find(|(template, _)| template.eq_ignore_ascii_case(template_id))
        .map(|(_, name)| *name)
}

/// One thing a step does that Microsoft gates by directory role, with the roles that may do it,
/// least privileged first (as the "Permissions" section of the Graph page of each call lists
/// them). Global Administrator may always.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleNeed {
    /// What the step does, in words ("read sign-in logs").
    pub action: &'static str,
    /// Any one of these roles allows it.
    pub roles: &'static [&'static str],
}

const fn need(action: &'static str, roles: &'static [&'static str]) -> RoleNeed {
    RoleNeed { action, roles }
}

/// What each step does that needs a role. Step 7 reads four things with four different role
/// lists; only a role on every list (Global Reader) lets it check all of them.
pub fn role_needs(step: Step) -> &'static [RoleNeed] {
    match step {
        // Microsoft Entra "Enable Windows automatic enrollment": the MDM user scope is changed
        // by a Global Administrator or an Intune Administrator.
        Step::MdmUserScope => {
            const {
                &[need(
                    "change the MDM user scope",
                    &[GLOBAL_ADMINISTRATOR, "Intune Administrator"],
                )]
            }
        }
        // Intune enrollment configurations: Intune Administrator (Global Reader only reads).
        Step::WhfbEnrollment => {
            const {
                &[need(
                    "change the Windows Hello for Business enrollment configuration",
                    &["Intune Administrator"],
                )]
            }
        }
        Step::HypervFeature | Step::LabVm => &[],
        // "Update temporaryAccessPassAuthenticationMethodConfiguration": Authentication Policy
        // Administrator (Global Reader may only read it).
        Step::TapPolicy => {
            const {
                &[need(
                    "read and change the Temporary Access Pass policy",
                    &["Authentication Policy Administrator"],
                )]
            }
        }
        // "Create temporaryAccessPassMethod": Authentication Administrator (least privileged),
        // Privileged Authentication Administrator.
        Step::TapIssued => {
            const {
                &[need(
                    "issue a Temporary Access Pass",
                    &[
                        "Authentication Administrator",
                        "Privileged Authentication Administrator",
                    ],
                )]
            }
        }
        Step::Bootstrap => {
            const {
                &[
                    // "List windowsHelloForBusinessAuthenticationMethods": reading another user's
                    // methods needs Global Reader, Authentication Administrator or Privileged
                    // Authentication Administrator.
                    need(
                        "read the lab user's Windows Hello for Business keys",
                        &[
                            "Global Reader",
                            "Authentication Administrator",
                            "Privileged Authentication Administrator",
                        ],
                    ),
                    // Intune managed devices: Intune's read-only Global Reader, or Intune Administrator.
                    need(
                        "read the Intune managed device",
                        &["Global Reader", "Intune Administrator"],
                    ),
                    // "List signIns": Reports Reader is the least privileged role.
                    need(
                        "read sign-in logs",
                        &[
                            "Reports Reader",
                            "Security Reader",
                            "Global Reader",
                            "Security Administrator",
                            "Security Operator",
                        ],
                    ),
                    // "List policies" (Conditional Access): Security Reader, Global Reader, Security
                    // Administrator, Conditional Access Administrator.
                    need(
                        "read Conditional Access policies",
                        &[
                            "Security Reader",
                            "Global Reader",
                            "Security Administrator",
                            "Conditional Access Administrator",
                        ],
                    ),
                ]
            }
        }
    }
}

/// What undoing each step does that needs a role, least privileged first, from the "Permissions"
/// section of each delete or update call. Checked before a revert starts (the wizard's "Reset
/// lab" and `revert`), so a revert the account may not do is refused before it changes anything.
pub fn revert_role_needs(step: Step) -> &'static [RoleNeed] {
    match step {
        // Undoing steps 1, 2 and 5 writes the same objects the step wrote.
        Step::MdmUserScope | Step::WhfbEnrollment | Step::TapPolicy => role_needs(step),
        Step::HypervFeature | Step::LabVm => &[],
        // "Delete temporaryAccessPassAuthenticationMethod": Authentication Administrator for a
        // non-admin (the lab user), Privileged Authentication Administrator.
        Step::TapIssued => {
            const {
                &[need(
                    "delete the lab user's Temporary Access Pass",
                    &[
                        "Authentication Administrator",
                        "Privileged Authentication Administrator",
                    ],
                )]
            }
        }
        Step::Bootstrap => {
            const {
                &[
                    // "Delete device": Cloud Device Administrator, Intune Administrator,
                    // Windows 365 Administrator.
                    need(
                        "delete the lab VM's Entra device",
                        &["Cloud Device Administrator", "Intune Administrator"],
                    ),
                    // "Delete managedDevice": Intune Administrator.
                    need(
                        "delete the lab VM's Intune managed device",
                        &["Intune Administrator"],
                    ),
                    // "Delete windowsHelloForBusinessAuthenticationMethod": Authentication
                    // Administrator, Privileged Authentication Administrator.
                    need(
                        "delete the lab user's Windows Hello for Business key",
                        &[
                            "Authentication Administrator",
                            "Privileged Authentication Administrator",
                        ],
                    ),
                ]
            }
        }
    }
}

/// A role's name: the one our table has for its template id, else what Graph calls it.
fn role_name(role: DirectoryRole) -> Option<String> {
    let known = role
        .role_template_id
        .as_deref()
        .and_then(template_name)
        .map(str::to_string);
    known.or(role.display_name)
}

/// Who is signed in and what they may do: what `whoami` shows and preflight checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The signed-in user's UPN.
    pub account: Upn,
    /// The name people recognise.
    pub display_name: String,
    /// The directory object id.
    pub user_id: UserId,
    /// The tenant id (a GUID).
    pub tenant_id: TenantId,
    /// The tenant's display name.
    pub tenant_name: String,
    /// Directory role names the account holds (directly or through groups).
    pub roles: Vec<String>,
    /// Graph permissions the token carries (short names); `None` when unknown (a token from
    /// `HELLO_BOOTSTRAP_ACCESS_TOKEN`).
    pub scopes: Option<Vec<String>>,
    /// True when Graph listed directory roles with limited information (no template id, no
    /// name): the token may not read directory roles, so which roles are held is unknown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub roles_unreadable: bool,
    /// Roles the account may activate in Privileged Identity Management but has not: they allow
    /// nothing yet, and a refusal names them ("activate it in PIM"). Empty when Graph would not
    /// list eligibilities to this sign-in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eligible_roles: Vec<String>,
}

/// Why a step may not run with this sign-in.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PreflightError {
    /// The account lacks every role that would allow the step.
    #[error("step {} needs {} (you have: {}){}", .step.number(), role_text(.needed), have_text(.have), eligible_text(.eligible))]
    MissingRole {
        /// The step that cannot run.
        step: Step,
        /// Any one of these roles would do.
        needed: Vec<&'static str>,
        /// The roles the account holds.
        have: Vec<String>,
        /// Roles the account could activate in PIM that would do.
        eligible: Vec<String>,
    },
    /// The account may not undo what a step changed; nothing was reverted.
    #[error("reverting step {} needs {} to {} (you have: {}); the revert asks for the permission{} {} when it starts{}", .step.number(), role_text(.needed), .action, have_text(.have), if .permissions.len() == 1 { "" } else { "s" }, .permissions.join(", "), eligible_text(.eligible))]
    MissingRevertRole {
        /// The step whose revert cannot run.
        step: Step,
        /// What the revert does that the account may not.
        action: &'static str,
        /// Any one of these roles would do.
        needed: Vec<&'static str>,
        /// The roles the account holds.
        have: Vec<String>,
        /// The delegated permissions the revert uses (asked for incrementally).
        permissions: Vec<&'static str>,
        /// Roles the account could activate in PIM that would do.
        eligible: Vec<String>,
    },
    /// The token lacks a permission the step uses.
    #[error("step {} needs the permission {}; sign in again to consent", .step.number(), .permission)]
    MissingPermission {
        /// The step that cannot run.
        step: Step,
        /// The delegated Graph permission the token lacks.
        permission: &'static str,
    },
    /// The tenant lacks a licence the step depends on.
    #[error("step {} reads sign-in logs, which need Microsoft Entra ID P1 or P2 in this tenant; add a P1 licence (a trial works) or skip the sign-in log check", .step.number())]
    NeedsPremium {
        /// The step that reads sign-in logs.
        step: Step,
    },
    /// Graph would not say which roles the account holds (limited information).
    #[error(
        "cannot tell which directory roles {account} holds: Graph lists them with limited information to a sign-in without {permission}; sign in again to consent to it"
    )]
    RolesUnreadable {
        /// The signed-in account.
        account: Upn,
        /// The least privileged permission that reads directory roles.
        permission: &'static str,
    },
    /// Preflight itself could not ask Graph.
    #[error("cannot check the sign-in before starting: {0}")]
    Graph(GraphError),
}

fn role_text(needed: &[&str]) -> String {
    match needed {
        [one] => format!("the {one} role"),
        many => format!("one of the roles {}", many.join(", ")),
    }
}

fn eligible_text(eligible: &[String]) -> String {
    match eligible {
        [] => String::new(),
        [one] => format!("; you are eligible for {one}: activate it in PIM, then Check again"),
        many => format!(
            "; you are eligible for {}: activate one in PIM, then Check again",
            many.join(", ")
        ),
    }
}

fn have_text(have: &[String]) -> String {
    if have.is_empty() {
        "no directory role".into()
    } else {
        have.join(", ")
    }
}

impl Identity {
    /// Reads `/me`, `/organization` and the account's directory roles.
    pub async fn fetch(
        graph: &GraphClient,
        scopes: Option<Vec<String>>,
    ) -> Result<Identity, GraphError> {
        // Neither needs the other; the roles need `me`'s id.
        let (me, org) = tokio::join!(directory::me(graph), directory::organization(graph));
        let (me, org) = (me?, org?);
        // The eligibilities need only `me`'s id too, so they are read beside the assignments;
        // their read never fails (an unreadable list is empty), so errors come as before.
        let (assigned, eligible) =
            tokio::join!(assigned_roles(graph, &me.id), eligible_roles(graph, &me.id));
        let (mut roles, roles_unreadable) = match assigned {
            Some(roles) => (roles, false),
            None => {
                let listed = directory::my_directory_roles(graph).await?;
                let unreadable = !listed.is_empty()
                    && listed
                        .iter()
                        .all(|r| r.role_template_id.is_none() && r.display_name.is_none());
                (
                    listed.into_iter().filter_map(role_name).collect(),
                    unreadable,
                )
            }
        };
        roles.sort();
        roles.dedup();
        let mut eligible_roles: Vec<String> = eligible
            .into_iter()
            .filter(|r| !roles.contains(r))
            .collect();
        eligible_roles.sort();
        eligible_roles.dedup();
        let account = me.upn().map_err(|reason| GraphError::Decode {
            status: 200,
            url: graph.url_of(&hb_graph::GraphPath::v1().seg("me")),
            reason,
        })?;
        Ok(Identity {
            account,
            display_name: me.display_name.unwrap_or_default(),
            user_id: me.id,
            tenant_id: org
                .as_ref()
                .map(|o| o.id.clone())
                .unwrap_or_else(|| TenantId::from("")),
            tenant_name: org.and_then(|o| o.display_name).unwrap_or_default(),
            roles,
            scopes,
            roles_unreadable,
            eligible_roles,
        })
    }

    /// The roles, least privileged first, any one of which would let this account do everything
    /// `step` does that it may not do now; `None` when nothing is missing. When no single role
    /// covers every missing action, each action's least privileged role is named.
    pub fn missing_roles(&self, step: Step) -> Option<Vec<&'static str>> {
        self.missing_of(role_needs(step))
    }

    /// [`Identity::missing_roles`] for any list of needs.
    fn missing_of(&self, needs: &'static [RoleNeed]) -> Option<Vec<&'static str>> {
        if self.has_role(GLOBAL_ADMINISTRATOR) {
            return None;
        }
        let unmet: Vec<&RoleNeed> = needs
            .iter()
            .filter(|n| !n.roles.iter().any(|r| self.has_role(r)))
            .collect();
        let first = unmet.first()?;
        let covering: Vec<&'static str> = first
            .roles
            .iter()
            .copied()
            .filter(|r| unmet.iter().all(|n| n.roles.contains(r)))
            .collect();
        if covering.is_empty() {
            let mut each: Vec<&'static str> = unmet.iter().map(|n| n.roles[0]).collect();
            each.dedup();
            Some(each)
        } else {
            Some(covering)
        }
    }

    /// The PIM-eligible roles among `needed` (Global Administrator always counts).
    fn eligible_among(&self, needed: &[&'static str]) -> Vec<String> {
        self.eligible_roles
            .iter()
            .filter(|e| {
                e.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR)
                    || needed.iter().any(|n| n.eq_ignore_ascii_case(e))
            })
            .cloned()
            .collect()
    }

    /// Checks the roles undoing `step` needs (no network): the first action the account may
    /// not do is named with its least privileged roles and the permissions the revert uses.
    pub fn check_revert(&self, step: Step) -> Result<(), PreflightError> {
        let needs = revert_role_needs(step);
        if self.has_role(GLOBAL_ADMINISTRATOR) {
            return Ok(());
        }
        let Some(unmet) = needs
            .iter()
            .find(|n| !n.roles.iter().any(|r| self.has_role(r)))
        else {
            return Ok(());
        };
        if self.roles_unreadable {
            return Err(PreflightError::RolesUnreadable {
                account: self.account.clone(),
                permission: ROLE_READ_PERMISSION,
            });
        }
        let needed = unmet.roles.to_vec();
        Err(PreflightError::MissingRevertRole {
            step,
            action: unmet.action,
            eligible: self.eligible_among(&needed),
            needed,
            have: self.roles.clone(),
            permissions: super::scopes::scopes_for_action(step, hb_lab::session::JobAction::Revert)
                .iter()
                .copied()
                .filter(|s| s.contains("ReadWrite") || s.contains("AccessAsUser"))
                .collect(),
        })
    }

    /// Whether the account holds a role (case-insensitive).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// Checks the roles and permissions one step needs (no network).
    pub fn check(&self, step: Step) -> Result<(), PreflightError> {
        if let Some(needed) = self.missing_roles(step) {
            if self.roles_unreadable {
                return Err(PreflightError::RolesUnreadable {
                    account: self.account.clone(),
                    permission: ROLE_READ_PERMISSION,
                });
            }
            return Err(PreflightError::MissingRole {
                step,
                eligible: self.eligible_among(&needed),
                needed,
                have: self.roles.clone(),
            });
        }
        if let Some(granted) = &self.scopes
            && let Some(missing) = scopes_for(step).iter().find(|s| !covers(granted, s))
        {
            return Err(PreflightError::MissingPermission {
                step,
                permission: missing,
            });
        }
        Ok(())
    }
}

/// The least privileged permission that reads directory roles and role assignments ("List
/// directoryRoles", "List transitiveRoleAssignments").
pub const ROLE_READ_PERMISSION: &str = "RoleManagement.Read.Directory";

/// The account's roles from beta `roleManagement/directory/transitiveRoleAssignments` (direct
/// and through groups, by `roleDefinitionId`, which for a built-in role is its template id).
/// `None` when the token or the account's roles may not read them (Graph allows Directory
/// Readers, Global Reader and Privileged Role Administrator), so the caller falls back to
/// `/me/transitiveMemberOf`.
async fn assigned_roles(graph: &GraphClient, user: &UserId) -> Option<Vec<String>> {
    let id = user.as_str();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return None;
    }
    // `$count=true` makes the client send `ConsistencyLevel: eventual`, which this API requires.
    let path = format!(
        "/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=principalId%20eq%20'{id}'"
    );
    let items = graph
        .get_all(hb_graph::ApiVersion::Beta, &path)
        .await
        .ok()?;
    Some(
        items
            .iter()
            .filter(|a| {
                a.get("directoryScopeId")
                    .and_then(|s| s.as_str())
                    .is_none_or(|s| s == "/")
            })
            .filter_map(|a| a.get("roleDefinitionId").and_then(|r| r.as_str()))
            .map(|id| {
                template_name(id)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("custom role {id}"))
            })
            .collect(),
    )
}

/// The roles the account may activate in PIM (tenant-wide eligibilities, by template id); empty
/// when Graph refuses the read (it needs a role-reading role as well as the permission).
async fn eligible_roles(graph: &GraphClient, user: &UserId) -> Vec<String> {
    let id = user.as_str();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Vec::new();
    }
    match directory::role_eligibilities(graph, user).await {
        Ok(items) => items
            .into_iter()
            .filter(|e| e.directory_scope_id.as_deref().is_none_or(|s| s == "/"))
            .map(|e| {
                template_name(&e.role_definition_id)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("custom role {}", e.role_definition_id))
            })
            .collect(),
        Err(e) => {
            tracing::debug!(error = %e, "PIM eligibilities are not readable to this sign-in");
            Vec::new()
        }
    }
}

/// Preflight of a revert: who is signed in and whether they may undo each of `steps`, before
/// anything is reverted. Sends only GET requests.
pub async fn preflight_revert(
    graph: &GraphClient,
    scopes: Option<Vec<String>>,
    steps: &[Step],
) -> Result<Identity, PreflightError> {
    let identity = Identity::fetch(graph, scopes)
        .await
        .map_err(PreflightError::Graph)?;
    for step in steps {
        identity.check_revert(*step)?;
    }
    Ok(identity)
}

/// Runs preflight for `steps`: identity, roles and permissions, then the tenant's licence for
/// sign-in logs when step 7 is among them. Sends only GET requests.
pub async fn preflight(
    graph: &GraphClient,
    scopes: Option<Vec<String>>,
    steps: &[Step],
) -> Result<Identity, PreflightError> {
    // The sign-in log probe needs nothing from the identity: both at once, judged in order.
    let bootstrap = steps.contains(&Step::Bootstrap);
    let (identity, sign_in_logs) = tokio::join!(Identity::fetch(graph, scopes), async {
        if bootstrap {
            check_sign_in_logs(graph).await
        } else {
            Ok(())
        }
    });
    let identity = identity.map_err(PreflightError::Graph)?;
    for step in steps {
        identity.check(*step)?;
    }
    sign_in_logs?;
    Ok(identity)
}

/// Reads one sign-in log entry to learn whether the tenant has Entra ID P1.
async fn check_sign_in_logs(graph: &GraphClient) -> Result<(), PreflightError> {
    match sign_ins::probe(graph).await {
        Ok(_) => Ok(()),
        Err(e)
            if e.status() == Some(403)
                && e.code()
                    .is_some_and(|c| c.eq_ignore_ascii_case(NON_PREMIUM_CODE)) =>
        {
            Err(PreflightError::NeedsPremium {
                step: Step::Bootstrap,
            })
        }
        Err(e) => Err(PreflightError::Graph(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(roles: &[&str], scopes: Option<&[&str]>) -> Identity {
        Identity {
            account: Upn::parse("a@contoso.com").unwrap(),
            display_name: "A".into(),
            user_id: "1".into(),
            tenant_id: "t".into(),
            tenant_name: "Contoso".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scopes: scopes.map(|s| s.iter().map(|x| x.to_string()).collect()),
            roles_unreadable: false,
            eligible_roles: Vec::new(),
        }
    }

    #[test]
    fn a_missing_role_is_named_with_the_roles_held() {
        let e = identity(&["Helpdesk Administrator"], None)
            .check(Step::TapPolicy)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 5 needs the Authentication Policy Administrator role (you have: Helpdesk Administrator)"
        );
        let e = identity(&[], None).check(Step::MdmUserScope).unwrap_err();
        assert!(
            e.to_string()
                .contains("Global Administrator, Intune Administrator")
        );
        assert!(e.to_string().contains("no directory role"));
    }

    #[test]
    fn roles_are_named_by_template_id_even_without_a_display_name() {
        let role = |name: Option<&str>, id: Option<&str>| DirectoryRole {
            display_name: name.map(str::to_string),
            role_template_id: id.map(str::to_string),
        };
        assert_eq!(
            role_name(role(None, Some("C4E39BD9-1100-46D3-8C65-FB160DA0071F"))).as_deref(),
            Some("Authentication Administrator")
        );
        assert_eq!(
            role_name(role(
                Some("Teams Administrator"),
                Some("69091246-20e8-4a56-aa4d-066075b2a7a8")
            ))
            .as_deref(),
            Some("Teams Administrator")
        );
        assert_eq!(role_name(role(None, None)), None);
    }

    #[test]
    fn global_admin_passes_and_missing_scopes_are_named() {
        let ga = identity(&["Global Administrator"], Some(&["Policy.Read.All"]));
        assert!(ga.check(Step::HypervFeature).is_ok());
        let e = ga.check(Step::MdmUserScope).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 1 needs the permission Policy.ReadWrite.MobilityManagement; sign in again to consent"
        );
        let unknown_scopes = identity(&["Global Administrator"], None);
        for step in Step::ALL {
            assert!(unknown_scopes.check(step).is_ok(), "{step}");
        }
        let helpdesk = identity(&["Authentication Administrator"], None);
        assert!(helpdesk.check(Step::TapIssued).is_ok());
        assert!(helpdesk.check(Step::WhfbEnrollment).is_err());
    }

    #[test]
    fn a_pim_eligible_role_that_would_do_is_named_with_how_to_activate_it() {
        let mut helpdesk = identity(&["Helpdesk Administrator"], None);
        helpdesk.eligible_roles = vec![
            "Authentication Administrator".into(),
            "Reports Reader".into(),
        ];
        let e = helpdesk.check(Step::TapIssued).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 6 needs one of the roles Authentication Administrator, Privileged Authentication Administrator (you have: Helpdesk Administrator); you are eligible for Authentication Administrator: activate it in PIM, then Check again"
        );
        // An eligibility that would not help is not offered as the fix.
        let e = helpdesk.check(Step::TapPolicy).unwrap_err();
        assert!(!e.to_string().contains("eligible"), "{e}");
    }

    #[test]
    fn a_revert_the_account_may_not_do_names_the_role_and_the_permissions() {
        let reader = identity(&["Global Reader"], None);
        let e = reader.check_revert(Step::Bootstrap).unwrap_err();
        assert_eq!(
            e.to_string(),
            "reverting step 7 needs one of the roles Cloud Device Administrator, Intune Administrator to delete the lab VM's Entra device (you have: Global Reader); the revert asks for the permissions Directory.AccessAsUser.All, DeviceManagementManagedDevices.ReadWrite.All, UserAuthenticationMethod.ReadWrite.All when it starts"
        );
        let intune = identity(&["Intune Administrator"], None);
        let e = intune.check_revert(Step::Bootstrap).unwrap_err();
        assert!(
            e.to_string().starts_with("reverting step 7 needs one of the roles Authentication Administrator, Privileged Authentication Administrator to delete the lab user's Windows Hello for Business key"),
            "{e}"
        );
        let both = identity(
            &["Intune Administrator", "Authentication Administrator"],
            None,
        );
        assert!(both.check_revert(Step::Bootstrap).is_ok());
        assert!(
            identity(&["Global Administrator"], None)
                .check_revert(Step::Bootstrap)
                .is_ok()
        );
        assert!(reader.check_revert(Step::LabVm).is_ok());
        let e = identity(&["Helpdesk Administrator"], None)
            .check_revert(Step::TapIssued)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("UserAuthenticationMethod.ReadWrite.All"),
            "{e}"
        );
    }
}
