//! Step 2: the tenant-wide Windows Hello for Business enrollment configuration → Enabled.

use super::policy::PolicySpec;
use crate::StepContext;
use hb_graph::ApiVersion;
use hb_graph::models::WHFB_CONFIG_TYPE;
use hb_lab::{PortalLink, Step, StepError};
use serde_json::{Value, json};

/// Suffix of the default WHfB configuration's id (`{tenantId}_DefaultWindowsHelloForBusiness`).
const DEFAULT_SUFFIX: &str = "_DefaultWindowsHelloForBusiness";
const COLLECTION: &str = "/deviceManagement/deviceEnrollmentConfigurations";

/// The default ("All users and all devices") WHfB enrollment configuration.
pub struct WhfbEnrollment;

#[async_trait::async_trait]
impl PolicySpec for WhfbEnrollment {
    fn step(&self) -> Step {
        Step::WhfbEnrollment
    }

    fn version(&self) -> ApiVersion {
        ApiVersion::V1
    }

    /// Finds the default configuration in the list, so no tenant id has to be known first.
    async fn path(&self, ctx: &StepContext) -> Result<String, StepError> {
        let all = ctx.graph()?.get_all(ApiVersion::V1, COLLECTION).await?;
        let id = all
            .iter()
            .filter_map(|c| c.get("id").and_then(Value::as_str))
            .find(|id| id.ends_with(DEFAULT_SUFFIX))
            .ok_or_else(|| {
                StepError::Precondition(
                    "Intune has no default Windows Hello for Business configuration in this tenant: check that the tenant has an active Intune license".into(),
                )
            })?;
        Ok(format!("{COLLECTION}/{id}"))
    }

    fn display_path(&self) -> String {
        format!("{COLLECTION}/{{tenantId}}{DEFAULT_SUFFIX}")
    }

    fn settings(&self, object: &Value) -> Value {
        json!({ "state": object.get("state").cloned().unwrap_or(Value::Null) })
    }

    fn desired(&self) -> Value {
        json!({ "state": "enabled" })
    }

    fn is_applied(&self, settings: &Value) -> bool {
        settings["state"] == "enabled"
    }

    fn patch_body(&self, settings: &Value) -> Value {
        json!({ "@odata.type": WHFB_CONFIG_TYPE, "state": settings["state"] })
    }

    fn describe(&self, settings: &Value) -> String {
        match settings["state"].as_str() {
            Some("enabled") => "Windows Hello for Business is Enabled for all users and devices: Windows offers PIN setup after sign-in.".into(),
            Some("disabled") => "Windows Hello for Business is Disabled: users cannot set it up.".into(),
            Some("notConfigured") => "Windows Hello for Business is Not configured: Intune leaves the device's default.".into(),
            Some(other) => format!("Windows Hello for Business state is '{other}'."),
            None => "The Windows Hello for Business configuration has no state.".into(),
        }
    }

    fn portal(&self) -> PortalLink {
        PortalLink {
            label: "Intune admin center: Windows Hello for Business enrollment".into(),
            url: "https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesWindowsMenu/~/windowsEnrollment".into(),
        }
    }
}
