//! Step 5: the Temporary Access Pass authentication method policy on, for all users.

use super::policy::PolicySpec;
use hb_graph::api::policies;
use hb_graph::models::{ALL_USERS, TapPolicyPatch};
use hb_graph::{ApiVersion, GraphClient};
use hb_lab::{PortalLink, Step, StepError};
use serde_json::{Value, json};

/// The TAP method configuration.
pub struct TapPolicy;

/// The settings we compare and journal as the PATCH that sets them.
fn patch_of(settings: &Value) -> Result<TapPolicyPatch, StepError> {
    serde_json::from_value(settings.clone()).map_err(|e| {
        StepError::Precondition(format!(
            "the journaled Temporary Access Pass settings cannot be read ({e}): set the policy in the Entra admin center"
        ))
    })
}

fn targets_all_users(settings: &Value) -> bool {
    settings["includeTargets"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["id"] == ALL_USERS))
}

#[async_trait::async_trait]
impl PolicySpec for TapPolicy {
    type Target = ();

    fn step(&self) -> Step {
        Step::TapPolicy
    }

    async fn read(&self, graph: &GraphClient) -> Result<((), Value), StepError> {
        let policy = policies::tap_policy(graph).await?;
        Ok((
            (),
            json!({ "state": policy.state, "includeTargets": policy.include_targets }),
        ))
    }

    async fn write(&self, graph: &GraphClient, _: &(), settings: &Value) -> Result<(), StepError> {
        Ok(policies::patch_tap_policy(graph, &patch_of(settings)?).await?)
    }

    fn evidence_path(&self, _: Option<&()>) -> (ApiVersion, String) {
        let path = policies::tap_policy_path();
        (path.version(), path.relative())
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

    /// `@odata.type` is required by Graph on this PATCH; the request adds it.
    fn patch_body(&self, settings: &Value) -> Value {
        match patch_of(settings) {
            Ok(patch) => policies::tap_policy_body(&patch),
            Err(_) => settings.clone(),
        }
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
