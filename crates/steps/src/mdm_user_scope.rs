//! Step 1: Intune automatic enrollment, MDM user scope `none` → `all` (Graph beta only).

use super::policy::PolicySpec;
use hb_graph::api::policies;
use hb_graph::{ApiVersion, GraphClient};
use hb_lab::{PortalLink, Step, StepError};
use serde_json::{Value, json};

/// The MDM user scope policy of the "Microsoft Intune" app.
pub struct MdmUserScope;

#[async_trait::async_trait]
impl PolicySpec for MdmUserScope {
    type Target = ();

    fn step(&self) -> Step {
        Step::MdmUserScope
    }

    async fn read(&self, graph: &GraphClient) -> Result<((), Value), StepError> {
        let policy = policies::mdm_policy(graph).await?;
        Ok(((), json!({ "appliesTo": policy.applies_to })))
    }

    async fn write(&self, graph: &GraphClient, _: &(), settings: &Value) -> Result<(), StepError> {
        let scope = settings["appliesTo"].as_str().ok_or_else(|| {
            StepError::Precondition(
                "the MDM policy had no user scope to restore: set it in the Intune admin center"
                    .into(),
            )
        })?;
        Ok(policies::set_mdm_applies_to(graph, scope).await?)
    }

    fn evidence_path(&self, _: Option<&()>) -> (ApiVersion, String) {
        let path = policies::mdm_policy_path();
        (path.version(), path.relative())
    }

    fn desired(&self) -> Value {
        json!({ "appliesTo": "all" })
    }

    fn is_applied(&self, settings: &Value) -> bool {
        settings["appliesTo"] == "all"
    }

    /// `appliesTo` must be sent alone (graph-contract.md §1).
    fn patch_body(&self, settings: &Value) -> Value {
        policies::mdm_applies_to_body(settings["appliesTo"].as_str().unwrap_or_default())
    }

    fn describe(&self, settings: &Value) -> String {
        match settings["appliesTo"].as_str() {
            Some("all") => "MDM user scope is All: every user's Windows devices enroll in Intune when they join.".into(),
            Some("none") => "MDM user scope is None: devices joined to Entra will not enroll in Intune.".into(),
            Some("selected") => "MDM user scope is Some (selected groups): only members of those groups enroll.".into(),
            Some(other) => format!("MDM user scope is '{other}'."),
            None => "The MDM policy has no user scope.".into(),
        }
    }

    fn portal(&self) -> PortalLink {
        PortalLink {
            label: "Intune admin center: Windows automatic enrollment".into(),
            url: "https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesWindowsMenu/~/windowsEnrollment".into(),
        }
    }
}
