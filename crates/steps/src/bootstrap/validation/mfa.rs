//! The MFA row: when Conditional Access requires MFA of the lab user, the sign-in logs (both the
//! interactive and the non-interactive one, where PRT single sign-on lands) must show a sign-in
//! of this run from this VM whose MFA requirement the Primary Refresh Token's claim satisfied.

use super::cloud::{could_not_check, is_refused};
use super::{fix, row};
use chrono::{DateTime, Utc};
use hb_graph::api::sign_ins::SignInLog;
use hb_graph::api::{conditional_access, sign_ins};
use hb_graph::models::{CaSubject, ConditionalAccessPolicy, SignIn};
use hb_graph::{GraphClient, GraphError};
use hb_lab::{Upn, UserId, ValidationRow, ValidationState};
use serde_json::Value;

/// How many of the user's newest sign-ins one pass reads.
const SIGN_INS_READ: u32 = 50;

/// The words the sign-in log uses when the PRT's MFA claim satisfied Conditional Access.
pub const MFA_BY_CLAIM: &str = "MFA requirement satisfied by claim in the token";

/// Why the MFA row matters, shown with it.
pub const MFA_EXPLANATION: &str = "The Primary Refresh Token carries an MFA claim because Windows Hello for Business was set up right after signing in with a Temporary Access Pass (a TAP counts as strong authentication), so Conditional Access asks for nothing more.";

/// My Apps, the app the lab user opens in Edge on the VM: Conditional Access is evaluated for it.
pub const MY_APPS_APP_ID: &str = "2793995e-0a7d-40d7-bd35-6968ba142197";

const ROW: (&str, &str) = (
    "graph_mfa_signin",
    "Sign-in log: MFA satisfied by a claim in the token",
);
/// Who may read Conditional Access policies (the list page's roles; Reports Reader may not).
const CA_READERS: &str = "Security Reader, Global Reader or Conditional Access Administrator with Policy.Read.All (Reports Reader cannot read Conditional Access policies)";
const MEMBERSHIP_READERS: &str =
    "Directory.Read.All, to read the lab user's groups and roles that Conditional Access targets";
const SIGN_IN_READERS: &str =
    "Reports Reader (or Security Reader, Global Reader) with AuditLog.Read.All";

/// What Conditional Access means for the lab user in My Apps.
pub(super) enum CaVerdict {
    /// These enforced policies require MFA of the user for the app.
    Requires(Vec<String>),
    /// No enforced policy does.
    NotRequired,
    /// The policies (or the user's memberships) could not be read: the row says why.
    CouldNotCheck(ValidationRow),
}

/// Reads the lab user's groups and roles by UPN, which Graph accepts
/// (`GET /users/{id | userPrincipalName}/transitiveMemberOf`, List a user's memberships (direct
/// and transitive), https://learn.microsoft.com/graph/api/user-list-transitivememberof), so the
/// read runs beside the policies and the user instead of waiting for the user's id. It is judged
/// only when an enforced policy could require MFA ([`evaluate`]).
pub(super) async fn memberships(
    graph: &GraphClient,
    upn: &Upn,
) -> Result<conditional_access::Memberships, GraphError> {
    conditional_access::memberships(graph, upn).await
}

/// Evaluates Conditional Access for the lab user signing in to My Apps: enforced policies only,
/// users, groups and roles included and excluded, the `mfa` control or an authentication strength.
/// The policies are judged first; the memberships only when a policy could require MFA.
pub(super) fn evaluate(
    policies: Result<Vec<ConditionalAccessPolicy>, GraphError>,
    memberships: Result<conditional_access::Memberships, GraphError>,
    user: &UserId,
    is_guest: bool,
) -> CaVerdict {
    let policies = match policies {
        Ok(p) => p,
        Err(e) => return CaVerdict::CouldNotCheck(unreadable(&e, CA_READERS)),
    };
    let candidates: Vec<&ConditionalAccessPolicy> = policies
        .iter()
        .filter(|p| p.is_enforced() && p.grants_with_mfa())
        .collect();
    if candidates.is_empty() {
        return CaVerdict::NotRequired;
    }
    let member = match memberships {
        Ok(m) => m,
        Err(e) => return CaVerdict::CouldNotCheck(unreadable(&e, MEMBERSHIP_READERS)),
    };
    let subject = CaSubject {
        user_id: user.as_str(),
        group_ids: &member.group_ids,
        role_template_ids: &member.role_template_ids,
        is_guest,
    };
    let requiring: Vec<String> = candidates
        .into_iter()
        .filter(|p| p.covers(&subject, MY_APPS_APP_ID))
        .map(|p| p.display_name.clone().unwrap_or_else(|| p.id.clone()))
        .collect();
    if requiring.is_empty() {
        CaVerdict::NotRequired
    } else {
        CaVerdict::Requires(requiring)
    }
}

fn unreadable(e: &GraphError, needs: &str) -> ValidationRow {
    if is_refused(e) {
        could_not_check(ROW, e, needs, fix::MFA)
    } else {
        row(
            ROW.0,
            ROW.1,
            ValidationState::Waiting,
            e.to_string(),
            fix::MFA,
        )
    }
}

/// Whether a sign-in log entry, as Graph sent it, says the MFA requirement was satisfied by the
/// token's claim on `device_id` (an entry that is not a sign-in, such as one without an id,
/// never does).
pub fn is_mfa_by_claim(entry: &Value, device_id: Option<&str>) -> bool {
    serde_json::from_value::<SignIn>(entry.clone())
        .is_ok_and(|sign_in| sign_in_is_mfa_by_claim(&sign_in, device_id))
}

/// Whether a sign-in worked, needed MFA, had it satisfied by the token's claim, and came from
/// `device_id` (an entry without a device, or a device not known yet, never matches).
fn sign_in_is_mfa_by_claim(entry: &SignIn, device_id: Option<&str>) -> bool {
    let needle = MFA_BY_CLAIM.to_ascii_lowercase();
    let says = |v: Option<&str>| v.is_some_and(|s| s.to_ascii_lowercase().contains(&needle));
    let ok = entry.status.as_ref().map_or(0, |s| s.error_code) == 0;
    let mfa = entry
        .authentication_requirement
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("multiFactorAuthentication"));
    let by_claim = says(
        entry
            .status
            .as_ref()
            .and_then(|s| s.additional_details.as_deref()),
    ) || entry
        .authentication_details
        .iter()
        .any(|step| says(step.authentication_step_result_detail.as_deref()));
    let logged_device = entry
        .device_detail
        .as_ref()
        .and_then(|d| d.device_id.as_deref());
    let same_device = match (device_id, logged_device) {
        (Some(want), Some(got)) if !got.is_empty() => want.eq_ignore_ascii_case(got),
        _ => false,
    };
    ok && mfa && by_claim && same_device
}

/// The MFA row when Conditional Access requires MFA: a sign-in of this run, from this VM, in
/// either log, whose MFA a claim in the token satisfied.
pub(super) async fn mfa_signin_row(
    graph: &GraphClient,
    user: &UserId,
    device_id: Option<&str>,
    since: Option<DateTime<Utc>>,
    requiring: &[String],
) -> ValidationRow {
    let waiting = |detail: String| row(ROW.0, ROW.1, ValidationState::Waiting, detail, fix::MFA);
    let Some(device_id) = device_id else {
        return waiting("Waiting for this VM's device before reading its sign-ins.".into());
    };
    let [interactive, non_interactive] = SignInLog::BOTH;
    let (a, b) = tokio::join!(
        sign_ins::recent_in_log(graph, user, since, SIGN_INS_READ, interactive),
        sign_ins::recent_in_log(graph, user, since, SIGN_INS_READ, non_interactive),
    );
    let mut entries = Vec::new();
    for read in [a, b] {
        match read {
            Ok(found) => entries.extend(found),
            Err(GraphError::Api(api))
                if api.code.eq_ignore_ascii_case(sign_ins::NON_PREMIUM_CODE) =>
            {
                return row(
                    ROW.0,
                    ROW.1,
                    ValidationState::Failed,
                    api.message.clone(),
                    fix::P1,
                );
            }
            Err(e) => return unreadable(&e, SIGN_IN_READERS),
        }
    }
    let found = entries
        .iter()
        .filter(|e| super::binding::is_since(e.created_date_time.as_deref(), since))
        .find(|e| sign_in_is_mfa_by_claim(e, Some(device_id)));
    match found {
        Some(e) => row(
            ROW.0,
            ROW.1,
            ValidationState::Passed,
            format!(
                "{} at {}: \"{MFA_BY_CLAIM}\". {MFA_EXPLANATION}",
                e.app_display_name.as_deref().unwrap_or("A sign-in"),
                e.created_date_time.as_deref().unwrap_or("a recent time")
            ),
            fix::MFA,
        ),
        None => waiting(format!(
            "Conditional Access ({}) requires MFA; no sign-in from this VM with \"{MFA_BY_CLAIM}\" logged in this run yet (interactive and non-interactive logs read). {MFA_EXPLANATION}",
            requiring.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mfa_by_claim_matches_the_contract_shape_only() {
        let entry = json!({
            "id": "s1",
            "status": {"errorCode": 0, "additionalDetails": "MFA requirement satisfied by claim in the token"},
            "authenticationRequirement": "multiFactorAuthentication",
            "deviceDetail": {"deviceId": "D1", "trustType": "Azure AD joined"},
            "authenticationDetails": [{"authenticationMethod": "Previously satisfied", "succeeded": true,
                "authenticationStepResultDetail": "MFA requirement satisfied by claim in the token"}]
        });
        assert!(is_mfa_by_claim(&entry, Some("d1")));
        assert!(!is_mfa_by_claim(&entry, Some("other")));
        let mut single = entry.clone();
        single["authenticationRequirement"] = json!("singleFactorAuthentication");
        assert!(!is_mfa_by_claim(&single, Some("D1")));
        let mut failed = entry.clone();
        failed["status"]["errorCode"] = json!(50126);
        assert!(!is_mfa_by_claim(&failed, Some("D1")));
        assert!(!is_mfa_by_claim(&entry, None), "no device known: no match");
        let mut deviceless = entry.clone();
        deviceless["deviceDetail"]["deviceId"] = json!("");
        assert!(
            !is_mfa_by_claim(&deviceless, Some("D1")),
            "an empty deviceId is no match"
        );
        let mut other = entry;
        other["status"]["additionalDetails"] = json!("MFA completed in Azure AD");
        other["authenticationDetails"][0]["authenticationStepResultDetail"] =
            json!("MFA completed in Azure AD");
        assert!(!is_mfa_by_claim(&other, Some("D1")));
        let mut anonymous = json!({"status": {"errorCode": 0}, "deviceDetail": {"deviceId": "D1"}});
        anonymous["authenticationRequirement"] = json!("multiFactorAuthentication");
        anonymous["status"]["additionalDetails"] = json!(MFA_BY_CLAIM);
        assert!(
            !is_mfa_by_claim(&anonymous, Some("D1")),
            "not a sign-in: no id"
        );
        anonymous["id"] = json!("s2");
        assert!(is_mfa_by_claim(&anonymous, Some("D1")));
    }
}
