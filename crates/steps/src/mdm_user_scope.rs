//! Step 1: Intune automatic enrollment, MDM user scope `none` → `all` (Graph beta only). The
//! journal keeps `appliesTo` and `includedGroups`: scope "Some" (`selected`) cannot be PATCHed
//! back, and setting `all` removed its groups (the beta update page), so revert restores "Some"
//! by adding each group again through `includedGroups/$ref`.

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
        let policy = policies::mdm_policy_with_groups(graph).await?;
        let mut groups: Vec<String> = policy
            .included_groups
            .into_iter()
            .filter_map(|g| g.id)
            .collect();
        groups.sort();
        Ok((
            (),
            json!({ "appliesTo": policy.applies_to, "includedGroups": groups }),
        ))
    }

    async fn write(&self, graph: &GraphClient, _: &(), settings: &Value) -> Result<(), StepError> {
        let scope = settings["appliesTo"].as_str().ok_or_else(|| {
            StepError::Precondition(
                "the MDM policy had no user scope to restore: set it in the Intune admin center"
                    .into(),
            )
        })?;
        if scope != "selected" {
            return Ok(policies::set_mdm_applies_to(graph, scope).await?);
        }
        let wanted = groups_of(settings);
        if wanted.is_empty() {
            return Err(StepError::Precondition(
                "the MDM user scope was Some with no group recorded: choose its groups in the Intune admin center".into(),
            ));
        }
        // Adding a group is what makes the scope Some again; groups added since go.
        let (_, now) = self.read(graph).await?;
        for group in &wanted {
            if !groups_of(&now).contains(group) {
                policies::add_mdm_included_group(graph, group).await?;
            }
        }
        if now["appliesTo"] == "selected" {
            for extra in groups_of(&now).iter().filter(|g| !wanted.contains(g)) {
                policies::remove_mdm_included_group(graph, extra).await?;
            }
        }
        Ok(())
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

    /// `appliesTo` must be sent alone (graph-contract.md §1); scope Some is a group's `$ref`.
    fn patch_body(&self, settings: &Value) -> Value {
        match settings["appliesTo"].as_str() {
            Some("selected") => json!({
                "@odata.id": groups_of(settings)
                    .first()
                    .map(|g| format!("https://graph.microsoft.com/beta/groups/{g}"))
            }),
            scope => policies::mdm_applies_to_body(scope.unwrap_or_default()),
        }
    }

    /// `all`: "Using `all` will remove any existing groups" (beta mobileDeviceManagementPolicies
    /// update page), so the scope is All with no group. `selected`: the write added each group
    /// with `includedGroups/$ref` and removed the others, each answered 204 No Content (the
    /// post-includedGroups and delete-includedGroups pages). `none`: the page does not say what
    /// becomes of the groups, so the step reads the policy again.
    fn written(&self, _before: &Value, settings: &Value) -> Option<Value> {
        match settings["appliesTo"].as_str()? {
            "all" => Some(json!({ "appliesTo": "all", "includedGroups": [] })),
            "selected" => Some(settings.clone()),
            _ => None,
        }
    }

    fn describe(&self, settings: &Value) -> String {
        match settings["appliesTo"].as_str() {
            Some("all") => "MDM user scope is All: every user's Windows devices enroll in Intune when they join.".into(),
            Some("none") => "MDM user scope is None: devices joined to Entra will not enroll in Intune.".into(),
            Some("selected") => format!(
                "MDM user scope is Some ({} selected group(s)): only members of those groups enroll.",
                groups_of(settings).len()
            ),
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

/// The included group ids of a settings value.
fn groups_of(settings: &Value) -> Vec<String> {
    settings["includedGroups"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
