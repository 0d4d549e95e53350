//! The MFA row: when Conditional Access requires MFA, the sign-in log must show a sign-in from
//! the VM whose MFA requirement the Primary Refresh Token's claim satisfied.

use super::{Observed, fix, row};
use crate::StepContext;
use hb_graph::GraphError;
use hb_graph::api::{conditional_access, sign_ins, users};
use hb_graph::models::SignIn;
use hb_lab::{StepError, Upn, ValidationRow, ValidationState};
use serde_json::Value;

/// How many of the user's newest sign-ins one pass reads.
const SIGN_INS_READ: u32 = 50;

/// The words the sign-in log uses when the PRT's MFA claim satisfied Conditional Access.
pub const MFA_BY_CLAIM: &str = "MFA requirement satisfied by claim in the token";

/// Why the MFA row matters, shown with it.
pub const MFA_EXPLANATION: &str = "The Primary Refresh Token carries an MFA claim because Windows Hello for Business was set up right after signing in with a Temporary Access Pass (a TAP counts as strong authentication), so Conditional Access asks for nothing more.";

/// Adds the MFA row when Conditional Access requires MFA, or a note when the policies cannot
/// be read.
pub(super) async fn add_signin_row(ctx: &StepContext, upn: &Upn, obs: &mut Observed) {
    match mfa_required(ctx).await {
        Ok(required) => obs.mfa_required = Some(required),
        Err(e) => {
            obs.note = Some(format!(
                "Could not read Conditional Access policies ({e}); the MFA sign-in check was skipped."
            ))
        }
    }
    if obs.mfa_required == Some(true) {
        let signin = mfa_signin(ctx, upn, obs.device_id.as_deref()).await;
        obs.rows.push(signin);
    }
}

/// Whether an enabled Conditional Access policy requires MFA.
async fn mfa_required(ctx: &StepContext) -> Result<bool, StepError> {
    let policies = conditional_access::policies(ctx.graph()?).await?;
    Ok(policies.iter().any(|p| p.requires_mfa()))
}

/// Whether a sign-in log entry, as Graph sent it, says the MFA requirement was satisfied by the
/// token's claim (an entry that is not a sign-in, such as one without an id, never does).
pub fn is_mfa_by_claim(entry: &Value, device_id: Option<&str>) -> bool {
    serde_json::from_value::<SignIn>(entry.clone())
        .is_ok_and(|sign_in| sign_in_is_mfa_by_claim(&sign_in, device_id))
}

/// Whether a sign-in worked, needed MFA, had it satisfied by the token's claim, and (when both
/// are known) came from `device_id`.
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
        _ => true,
    };
    ok && mfa && by_claim && same_device
}

async fn mfa_signin(ctx: &StepContext, upn: &Upn, device_id: Option<&str>) -> ValidationRow {
    let label = "Sign-in log: MFA satisfied by a claim in the token";
    let fix = fix::MFA;
    let waiting = |detail: String| {
        row(
            "graph_mfa_signin",
            label,
            ValidationState::Waiting,
            detail,
            fix,
        )
    };
    let graph = match ctx.graph() {
        Ok(g) => g,
        Err(e) => return waiting(e.to_string()),
    };
    let user_id = match users::id_of(graph, upn).await {
        Ok(id) => id,
        Err(e) => return waiting(e.to_string()),
    };
    match sign_ins::recent_by_user(graph, &user_id, None, SIGN_INS_READ).await {
        Ok(entries) => {
            let found = entries
                .iter()
                .find(|e| sign_in_is_mfa_by_claim(e, device_id));
            match found {
                Some(e) => row(
                    "graph_mfa_signin",
                    label,
                    ValidationState::Passed,
                    format!(
                        "{} at {}: \"{MFA_BY_CLAIM}\". {MFA_EXPLANATION}",
                        e.app_display_name.as_deref().unwrap_or("A sign-in"),
                        e.created_date_time.as_deref().unwrap_or("a recent time")
                    ),
                    fix,
                ),
                None => waiting(format!(
                    "Conditional Access requires MFA; no sign-in with \"{MFA_BY_CLAIM}\" logged yet. {MFA_EXPLANATION}"
                )),
            }
        }
        Err(GraphError::Api(api)) if api.code.eq_ignore_ascii_case(sign_ins::NON_PREMIUM_CODE) => {
            row(
                "graph_mfa_signin",
                label,
                ValidationState::Failed,
                api.message.clone(),
                fix::P1,
            )
        }
        Err(e) => waiting(e.to_string()),
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
        assert!(!is_mfa_by_claim(&failed, None));
        let mut other = entry;
        other["status"]["additionalDetails"] = json!("MFA completed in Azure AD");
        other["authenticationDetails"][0]["authenticationStepResultDetail"] =
            json!("MFA completed in Azure AD");
        assert!(!is_mfa_by_claim(&other, None));
        let mut anonymous = json!({"status": {"errorCode": 0}});
        anonymous["authenticationRequirement"] = json!("multiFactorAuthentication");
        anonymous["status"]["additionalDetails"] = json!(MFA_BY_CLAIM);
        assert!(!is_mfa_by_claim(&anonymous, None), "not a sign-in: no id");
        anonymous["id"] = json!("s2");
        assert!(is_mfa_by_claim(&anonymous, None));
    }
}
