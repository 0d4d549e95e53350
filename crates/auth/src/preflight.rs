//! Preflight before any change: who is signed in, to which tenant, with which directory roles
//! and permissions, and whether the tenant has what a step needs. A gap is reported in words
//! ("step 5 needs the Authentication Policy Administrator role (you have: Helpdesk
//! Administrator)") before anything is attempted.

use super::scopes::{covers, scopes_for};
use hb_graph::{ApiVersion, GraphClient, GraphError};
use hb_lab::{Step, TenantId, Upn, UserId};
use serde::Serialize;
use serde_json::Value;

/// The role that satisfies every step.
pub const GLOBAL_ADMINISTRATOR: &str = "Global Administrator";

/// The Graph error code for "sign-in logs need Entra ID P1".
pub const NON_PREMIUM_CODE: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

/// The directory roles (any one suffices) a step needs besides Global Administrator.
pub fn roles_for(step: Step) -> &'static [&'static str] {
    match step {
        Step::MdmUserScope => &["Intune Administrator"],
        Step::WhfbEnrollment => &["Intune Administrator"],
        Step::HypervFeature | Step::LabVm => &[],
        Step::TapPolicy => &["Authentication Policy Administrator"],
        Step::TapIssued => &[
            "Authentication Administrator",
            "Privileged Authentication Administrator",
        ],
        Step::Bootstrap => &[
            "Global Reader",
            "Security Reader",
            "Reports Reader",
            "Security Administrator",
            "Security Operator",
        ],
    }
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
}

/// Why a step may not run with this sign-in.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PreflightError {
    /// The account lacks every role that would allow the step.
    #[error("step {} needs {} (you have: {})", .step.number(), role_text(.needed), have_text(.have))]
    MissingRole {
        /// The step that cannot run.
        step: Step,
        /// Any one of these roles would do.
        needed: Vec<&'static str>,
        /// The roles the account holds.
        have: Vec<String>,
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
        let me = graph
            .get(
                ApiVersion::V1,
                "/me?$select=id,userPrincipalName,displayName",
            )
            .await?;
        let orgs = graph.get_all(ApiVersion::V1, "/organization").await?;
        let org = orgs.first().cloned().unwrap_or(Value::Null);
        let member_of = graph
            .get_all(ApiVersion::V1, "/me/transitiveMemberOf")
            .await?;
        let mut roles: Vec<String> = member_of
            .iter()
            .filter(|o| {
                o.get("@odata.type").and_then(Value::as_str)
                    == Some("#microsoft.graph.directoryRole")
            })
            .filter_map(|o| o.get("displayName").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        roles.sort();
        roles.dedup();
        let account =
            Upn::parse(&text(&me, "userPrincipalName")).map_err(|reason| GraphError::Decode {
                status: 200,
                url: graph.url(ApiVersion::V1, "/me"),
                reason,
            })?;
        Ok(Identity {
            account,
            display_name: text(&me, "displayName"),
            user_id: UserId(text(&me, "id")),
            tenant_id: TenantId(text(&org, "id")),
            tenant_name: text(&org, "displayName"),
            roles,
            scopes,
        })
    }

    /// Whether the account holds a role (case-insensitive).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// Checks the roles and permissions one step needs (no network).
    pub fn check(&self, step: Step) -> Result<(), PreflightError> {
        let needed = roles_for(step);
        if !needed.is_empty()
            && !self.has_role(GLOBAL_ADMINISTRATOR)
            && !needed.iter().any(|r| self.has_role(r))
        {
            let mut needed_list = Vec::new();
            if step == Step::MdmUserScope {
                needed_list.push(GLOBAL_ADMINISTRATOR);
            }
            needed_list.extend_from_slice(needed);
            return Err(PreflightError::MissingRole {
                step,
                needed: needed_list,
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

/// Runs preflight for `steps`: identity, roles and permissions, then the tenant's licence for
/// sign-in logs when step 7 is among them. Sends only GET requests.
pub async fn preflight(
    graph: &GraphClient,
    scopes: Option<Vec<String>>,
    steps: &[Step],
) -> Result<Identity, PreflightError> {
    let identity = Identity::fetch(graph, scopes)
        .await
        .map_err(PreflightError::Graph)?;
    for step in steps {
        identity.check(*step)?;
    }
    if steps.contains(&Step::Bootstrap) {
        check_sign_in_logs(graph).await?;
    }
    Ok(identity)
}

/// Reads one sign-in log entry to learn whether the tenant has Entra ID P1.
async fn check_sign_in_logs(graph: &GraphClient) -> Result<(), PreflightError> {
    match graph
        .get(ApiVersion::Beta, "/auditLogs/signIns?$top=1")
        .await
    {
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

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
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
}
