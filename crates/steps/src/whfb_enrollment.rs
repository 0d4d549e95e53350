//! Step 2: the tenant-wide Windows Hello for Business enrollment configuration → Enabled.

use super::policy::PolicySpec;
use hb_graph::api::policies;
use hb_graph::models::WHFB_DEFAULT_SUFFIX;
use hb_graph::{ApiVersion, GraphClient};
use hb_lab::{PortalLink, Step, StepError};
use serde_json::{Value, json};

/// The default ("All users and all devices") WHfB enrollment configuration.
pub struct WhfbEnrollment;

#[async_trait::async_trait]
impl PolicySpec for WhfbEnrollment {
    /// The default configuration's id, `{tenantId}_DefaultWindowsHelloForBusiness`.
    type Target = String;

    fn step(&self) -> Step {
        Step::WhfbEnrollment
    }

    /// Finds the default configuration in the list, so no tenant id has to be known first; the
    /// list item already carries its state ([`policies::whfb_default_configuration`]).
    async fn read(&self, graph: &GraphClient) -> Result<(String, Value), StepError> {
        let config = policies::whfb_default_configuration(graph)
            .await?
            .ok_or_else(|| {
                StepError::Precondition(
                    "Intune has no default Windows Hello for Business configuration in this tenant: check that the tenant has an active Intune license".into(),
                )
            })?;
        Ok((config.id, json!({ "state": config.state })))
    }

    async fn write(
        &self,
        graph: &GraphClient,
        id: &String,
        settings: &Value,
    ) -> Result<(), StepError> {
        let state = settings["state"].as_str().ok_or_else(|| {
            StepError::Precondition(
                "the Windows Hello for Business configuration had no state to restore: set it in the Intune admin center".into(),
            )
        })?;
        Ok(policies::set_whfb_state(graph, id, state).await?)
    }

    fn evidence_path(&self, id: Option<&String>) -> (ApiVersion, String) {
        match id {
            Some(id) => {
                let path = policies::enrollment_configuration_path(id);
                (path.version(), path.relative())
            }
            None => {
                let list = policies::enrollment_configurations_path();
                (
                    list.version(),
                    format!("{}/{{tenantId}}{WHFB_DEFAULT_SUFFIX}", list.relative()),
                )
            }
        }
    }

    fn desired(&self) -> Value {
        json!({ "state": "enabled" })
    }

    fn is_applied(&self, settings: &Value) -> bool {
        settings["state"] == "enabled"
    }

    fn patch_body(&self, settings: &Value) -> Value {
        policies::whfb_state_body(settings["state"].as_str().unwrap_or_default())
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
