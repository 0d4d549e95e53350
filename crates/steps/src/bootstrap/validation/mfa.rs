//! The MFA row: when Conditional Access requires MFA, the sign-in log must show a sign-in from
//! the VM whose MFA requirement the Primary Refresh Token's claim satisfied.

use super::{Observed, fix, row, upn_path};
use crate::StepContext;
use hb_graph::{ApiVersion, GraphError};
use hb_lab::{StepError, Upn, ValidationRow, ValidationState};
use serde_json::Value;

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
    let policies = ctx
        .graph()?
        .get_all(ApiVersion::V1, "/identity/conditionalAccess/policies")
        .await?;
    Ok(policies.iter().any(|p| {
        p["state"].as_str() == Some("enabled")
            && p["grantControls"]["builtInControls"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c.as_str() == Some("mfa")))
    }))
}

/// Whether a sign-in log entry says the MFA requirement was satisfied by the token's claim.
pub fn is_mfa_by_claim(entry: &Value, device_id: Option<&str>) -> bool {
    let needle = MFA_BY_CLAIM.to_ascii_lowercase();
    let says = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.to_ascii_lowercase().contains(&needle))
    };
    let ok = entry["status"]["errorCode"].as_i64().unwrap_or(0) == 0;
    let mfa = entry["authenticationRequirement"]
        .as_str()
        .is_some_and(|r| r.eq_ignore_ascii_case("multiFactorAuthentication"));
    let by_claim = says(&entry["status"]["additionalDetails"])
        || entry["authenticationDetails"].as_array().is_some_and(|d| {
            d.iter()
                .any(|step| says(&step["authenticationStepResultDetail"]))
        });
    let same_device = match (device_id, entry["deviceDetail"]["deviceId"].as_str()) {
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
    let user_id = match graph
        .get(
            ApiVersion::V1,
            &format!("/users/{}?$select=id", upn_path(upn)),
        )
        .await
    {
        Ok(u) => match u["id"].as_str() {
            Some(id) => id.to_string(),
            None => return waiting("The user has no id in Graph's answer.".into()),
        },
        Err(e) => return waiting(e.to_string()),
    };
    let path = format!("/auditLogs/signIns?$filter=userId eq '{user_id}'&$top=50");
    match graph.get(ApiVersion::Beta, &path).await {
        Ok(v) => {
            let found = v["value"].as_array().and_then(|entries| {
                entries
                    .iter()
                    .find(|e| is_mfa_by_claim(e, device_id))
                    .cloned()
            });
            match found {
                Some(e) => row(
                    "graph_mfa_signin",
                    label,
                    ValidationState::Passed,
                    format!(
                        "{} at {}: \"{MFA_BY_CLAIM}\". {MFA_EXPLANATION}",
                        e["appDisplayName"].as_str().unwrap_or("A sign-in"),
                        e["createdDateTime"].as_str().unwrap_or("a recent time")
                    ),
                    fix,
                ),
                None => waiting(format!(
                    "Conditional Access requires MFA; no sign-in with \"{MFA_BY_CLAIM}\" logged yet. {MFA_EXPLANATION}"
                )),
            }
        }
        Err(GraphError::Api(api))
            if api
                .code
                .eq_ignore_ascii_case("Authentication_RequestFromNonPremiumTenantOrB2CTenant") =>
        {
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
    }
}
