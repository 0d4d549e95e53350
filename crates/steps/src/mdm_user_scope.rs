//! Step 1: Intune automatic enrollment, MDM user scope `none` → `all` (Graph beta only).

use super::policy::PolicySpec;
use crate::StepContext;
use hb_graph::ApiVersion;
use hb_graph::models::MDM_POLICY_ID;
use hb_lab::{PortalLink, Step, StepError};
use serde_json::{Value, json};

/// The MDM user scope policy of the "Microsoft Intune" app.
pub struct MdmUserScope;

#[async_trait::async_trait]
impl PolicySpec for MdmUserScope {
    fn step(&self) -> Step {
        Step::MdmUserScope
    }

    fn version(&self) -> ApiVersion {
        ApiVersion::Beta
    }

    async fn path(&self, _ctx: &StepContext) -> Result<String, StepError> {
        Ok(self.display_path())
    }

    fn display_path(&self) -> String {
        format!("/policies/mobileDeviceManagementPolicies/{MDM_POLICY_ID}")
    }

    fn settings(&self, object: &Value) -> Value {
        json!({ "appliesTo": object.get("appliesTo").cloned().unwrap_or(Value::Null) })
    }

    fn desired(&self) -> Value {
        json!({ "appliesTo": "all" })
    }

    fn is_applied(&self, settings: &Value) -> bool {
        settings["appliesTo"] == "all"
    }

    /// `appliesTo` must be sent alone (graph-contract.md §1).
    fn patch_body(&self, settings: &Value) -> Value {
        json!({ "appliesTo": settings["appliesTo"] })
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
