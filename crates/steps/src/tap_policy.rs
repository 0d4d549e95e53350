//! Step 5: the Temporary Access Pass authentication method policy on, for all users.

use super::policy::PolicySpec;
use crate::StepContext;
use hb_graph::ApiVersion;
use hb_graph::models::TAP_CONFIG_TYPE;
use hb_lab::{PortalLink, Step, StepError};
use serde_json::{Value, json};

const PATH: &str =
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

/// The TAP method configuration.
pub struct TapPolicy;

fn targets_all_users(settings: &Value) -> bool {
    settings["includeTargets"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["id"] == "all_users"))
}

#[async_trait::async_trait]
impl PolicySpec for TapPolicy {
    fn step(&self) -> Step {
        Step::TapPolicy
    }

    fn version(&self) -> ApiVersion {
        ApiVersion::V1
    }

    async fn path(&self, _ctx: &StepContext) -> Result<String, StepError> {
        Ok(PATH.into())
    }

    fn display_path(&self) -> String {
        PATH.into()
    }

    fn settings(&self, object: &Value) -> Value {
        json!({
            "state": object.get("state").cloned().unwrap_or(Value::Null),
            "includeTargets": object.get("includeTargets").cloned().unwrap_or_else(|| json!([])),
        })
    }

    fn desired(&self) -> Value {
        json!({
            "state": "enabled",
            "includeTargets": [{ "targetType": "group", "id": "all_users", "isRegistrationRequired": false }],
        })
    }

    fn is_applied(&self, settings: &Value) -> bool {
        settings["state"] == "enabled" && targets_all_users(settings)
    }

    /// `@odata.type` is required by Graph on this PATCH.
    fn patch_body(&self, settings: &Value) -> Value {
        json!({
            "@odata.type": TAP_CONFIG_TYPE,
            "state": settings["state"],
            "includeTargets": settings["includeTargets"],
        })
    }

    fn describe(&self, settings: &Value) -> String {
        let who = if targets_all_users(settings) {
            "all users"
        } else {
            "selected groups only"
        };
        match settings["state"].as_str() {
            Some("enabled") => format!("The Temporary Access Pass method is Enabled for {who}."),
            Some("disabled") => {
                "The Temporary Access Pass method is Disabled: no one can be given a TAP.".into()
            }
            Some(other) => format!("The Temporary Access Pass method state is '{other}'."),
            None => "The Temporary Access Pass policy has no state.".into(),
        }
    }

    fn portal(&self) -> PortalLink {
        PortalLink {
            label: "Entra admin center: Authentication methods, Temporary Access Pass".into(),
            url: "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/AuthenticationMethodsMenuBlade/~/AdminAuthMethods".into(),
        }
    }
}
