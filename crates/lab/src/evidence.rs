//! What a step shows as proof: the state before and after, the equivalent request, where to look
//! in the admin center, and validation rows.

use serde::{Deserialize, Serialize};

/// Everything a page or report shows to prove what a step found or changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Evidence {
    /// The relevant state before `apply` changed anything (trimmed JSON).
    pub before: Option<serde_json::Value>,
    /// The relevant state after `apply` or `revert`.
    pub after: Option<serde_json::Value>,
    /// The Graph requests that do what this step does, for people to copy.
    pub requests: Vec<GraphRequest>,
    /// The PowerShell that does what this step does on the host, untrusted values shown as data.
    pub powershell: Option<String>,
    /// Where the same setting lives in the Entra or Intune admin center.
    pub portal: Option<PortalLink>,
    /// One row per validation item (step 7), each with its own verdict.
    pub rows: Vec<ValidationRow>,
    /// Names of captured images (VM screens) the report can embed.
    pub images: Vec<String>,
}

/// A Graph call as people would type it in Graph Explorer. Bodies never carry a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphRequest {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl GraphRequest {
    pub fn new(method: &str, url: impl Into<String>, body: Option<serde_json::Value>) -> Self {
        GraphRequest {
            method: method.to_string(),
            url: url.into(),
            body,
        }
    }

    /// The request as text: method, URL, and pretty JSON body.
    pub fn to_text(&self) -> String {
        match &self.body {
            Some(body) => format!(
                "{} {}\nContent-Type: application/json\n\n{}",
                self.method,
                self.url,
                serde_json::to_string_pretty(body).unwrap_or_default()
            ),
            None => format!("{} {}", self.method, self.url),
        }
    }
}

/// A deep link into a Microsoft admin center.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalLink {
    pub label: String,
    pub url: String,
}

/// One validation item's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationState {
    Passed,
    Failed,
    Waiting,
    /// The read was refused (a missing role or permission): never a pass, and the step cannot
    /// end "applied" while a row says it.
    CouldNotCheck,
}

/// One line of a validation checklist: what was checked, the verdict, and what to do if it failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationRow {
    pub id: String,
    pub label: String,
    pub state: ValidationState,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}
