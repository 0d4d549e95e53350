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

/// Microsoft Graph's public root: what a learner types in Graph Explorer or a script, whatever
/// address this run talked to (the demo's emulator listens on loopback).
pub const GRAPH_PUBLIC_ROOT: &str = "https://graph.microsoft.com";

/// The ids this run knows, filled into the placeholders of the requests a step shows, so a
/// learner can run them as they are. Unknown ones stay as `{placeholder}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidenceIds {
    pub tenant_id: Option<String>,
    /// The lab user's object id.
    pub user_id: Option<String>,
    /// The lab user's sign-in name.
    pub upn: Option<String>,
    /// The VM's Entra device id.
    pub device_id: Option<String>,
}

impl EvidenceIds {
    /// Gathers the ids the steps' evidence of this run holds: the lab user's id from a request
    /// to `/users/{id}/…`, the tenant id from the WHfB configuration's id
    /// (`{tenantId}_DefaultWindowsHelloForBusiness`), the device id from step 7's findings.
    pub fn harvest<'a>(evidence: impl IntoIterator<Item = &'a Evidence>) -> EvidenceIds {
        let mut ids = EvidenceIds::default();
        for ev in evidence {
            for request in &ev.requests {
                let path = request.url.split('?').next().unwrap_or_default();
                let segments: Vec<&str> = path.split('/').collect();
                for pair in segments.windows(2) {
                    if pair[0] == "users" && is_guid(pair[1]) {
                        ids.user_id.get_or_insert_with(|| pair[1].to_string());
                    }
                    if pair[0] == "users" && pair[1].contains('@') {
                        ids.upn.get_or_insert_with(|| pair[1].to_string());
                    }
                }
                for segment in &segments {
                    if let Some((tenant, _)) = segment.split_once("_DefaultWindowsHelloForBusiness")
                        && is_guid(tenant)
                    {
                        ids.tenant_id.get_or_insert_with(|| tenant.to_string());
                    }
                }
            }
            if let Some(device) = ev
                .after
                .as_ref()
                .and_then(|a| a.get("device_id"))
                .and_then(|d| d.as_str())
            {
                ids.device_id.get_or_insert_with(|| device.to_string());
            }
        }
        ids
    }

    fn fill(&self, text: &str) -> String {
        [
            ("{tenantId}", &self.tenant_id),
            ("{userId}", &self.user_id),
            ("{upn}", &self.upn),
            ("{deviceId}", &self.device_id),
        ]
        .into_iter()
        .fold(text.to_string(), |acc, (placeholder, value)| match value {
            Some(value) if !value.is_empty() => acc.replace(placeholder, value),
            _ => acc,
        })
    }
}

impl GraphRequest {
    /// The URL as a learner would send it: against [`GRAPH_PUBLIC_ROOT`] (a loopback root, the
    /// demo's emulator, is never shown) with this run's ids in place of the placeholders.
    pub fn learner_url(&self, ids: &EvidenceIds) -> String {
        ids.fill(&public_root(&self.url))
    }

    /// [`GraphRequest::to_text`] with the learner's URL.
    pub fn to_learner_text(&self, ids: &EvidenceIds) -> String {
        GraphRequest {
            url: self.learner_url(ids),
            ..self.clone()
        }
        .to_text()
    }
}

/// Whether `text` reads as a GUID (8-4-4-4-12 hex digits).
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Swaps a loopback scheme-and-host (`http://127.0.0.1:35297`) for Graph's public root.
fn public_root(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]") || host.starts_with("127.");
    if loopback && (scheme == "http" || scheme == "https") {
        format!("{GRAPH_PUBLIC_ROOT}{}", &rest[end..])
    } else {
        url.to_string()
    }
}

/// Breaks a long URL into lines of at most `width` characters at path boundaries (before a
/// `/`, `?` or `&`), never inside an id; a segment longer than `width` gets a line of its own.
pub fn wrap_url(url: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut piece = String::new();
    let mut in_root = url.contains("://");
    let mut chars = url.chars().peekable();
    let mut pieces = Vec::new();
    while let Some(c) = chars.next() {
        let boundary = matches!(c, '/' | '?' | '&') && !piece.is_empty();
        if boundary && !in_root {
            pieces.push(std::mem::take(&mut piece));
        }
        piece.push(c);
        if in_root && piece.ends_with("://") {
            in_root = false;
            // The root (scheme and host) stays whole: it ends at the next '/'.
            while let Some(&next) = chars.peek() {
                if next == '/' {
                    break;
                }
                piece.push(next);
                chars.next();
            }
        }
    }
    pieces.push(piece);
    for piece in pieces {
        if !line.is_empty() && line.chars().count() + piece.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A step's PowerShell as a learner pastes it into an elevated PowerShell. Steps keep values out
/// of script text (the app sends them as JSON on stdin, so no value can become code); pasted by
/// hand there is no stdin, so the JSON comes inline as a hashtable of single-quoted strings,
/// quotes doubled (PowerShell's four single-quote characters all count), still data.
pub fn pasteable_powershell(script: &str) -> String {
    let lines: Vec<&str> = script.lines().collect();
    let reads_stdin = |l: &str| l.contains("OpenStandardInput()") && l.contains("ConvertFrom-Json");
    let Some(read) = lines.iter().position(|l| reads_stdin(l)) else {
        return script.to_string();
    };
    let data = lines[..read].iter().rev().find_map(|l| {
        let json = l.strip_prefix('#')?.trim();
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json).ok()
    });
    let Some(data) = data else {
        return script.to_string();
    };
    let fields: Vec<String> = data
        .iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            format!("    {key} = {}", single_quoted(&text))
        })
        .collect();
    let mut out = vec!["# elevated PowerShell; the lab's values as data:".to_string()];
    out.push(format!(
        "$in = [pscustomobject]@{{\n{}\n}}",
        fields.join("\n")
    ));
    let body: Vec<&str> = lines[read + 1..].to_vec();
    if body.iter().any(|l| l.contains("$vhd")) && !body.iter().any(|l| l.contains("$vhd =")) {
        out.push(
            "$vhd = Join-Path (Hyper-V\\Get-VMHost).VirtualHardDiskPath \"$($in.name).vhdx\""
                .into(),
        );
    }
    out.extend(body.iter().map(|l| l.to_string()));
    out.join("\n")
}

/// A PowerShell single-quoted string: nothing inside is expanded; each of the four characters
/// PowerShell takes for a single quote is doubled.
fn single_quoted(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "0000000a-0000-0000-c000-000000000000";

    #[test]
    fn a_loopback_root_becomes_graph_and_known_ids_fill_their_placeholders() {
        let request = GraphRequest::new(
            "GET",
            "http://127.0.0.1:35297/v1.0/devices?$filter=deviceId eq '{deviceId}'",
            None,
        );
        let ids = EvidenceIds {
            device_id: Some(GUID.into()),
            ..EvidenceIds::default()
        };
        assert_eq!(
            request.learner_url(&ids),
            format!("https://graph.microsoft.com/v1.0/devices?$filter=deviceId eq '{GUID}'")
        );
        assert!(!request.to_learner_text(&ids).contains("127.0.0.1"));
        let unknown = GraphRequest::new("GET", "http://localhost:8300/beta/users/{userId}", None);
        assert_eq!(
            unknown.learner_url(&EvidenceIds::default()),
            "https://graph.microsoft.com/beta/users/{userId}"
        );
    }

    #[test]
    fn ids_come_from_the_runs_own_evidence() {
        let user = "11111111-2222-3333-4444-555555555555";
        let tenant = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
        let tap = Evidence {
            requests: vec![GraphRequest::new(
                "POST",
                format!(
                    "http://127.0.0.1:1/v1.0/users/{user}/authentication/temporaryAccessPassMethods"
                ),
                None,
            )],
            ..Evidence::default()
        };
        let whfb = Evidence {
            requests: vec![GraphRequest::new(
                "PATCH",
                format!(
                    "http://127.0.0.1:1/beta/deviceManagement/deviceEnrollmentConfigurations/{tenant}_DefaultWindowsHelloForBusiness"
                ),
                None,
            )],
            ..Evidence::default()
        };
        let bootstrap = Evidence {
            after: Some(serde_json::json!({ "device_id": GUID })),
            ..Evidence::default()
        };
        let ids = EvidenceIds::harvest([&tap, &whfb, &bootstrap]);
        assert_eq!(ids.user_id.as_deref(), Some(user));
        assert_eq!(ids.tenant_id.as_deref(), Some(tenant));
        assert_eq!(ids.device_id.as_deref(), Some(GUID));
        let template = GraphRequest::new(
            "GET",
            "http://127.0.0.1:1/beta/auditLogs/signIns?$filter=userId eq '{userId}'",
            None,
        );
        assert_eq!(
            template.learner_url(&ids),
            format!(
                "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=userId eq '{user}'"
            )
        );
    }

    #[test]
    fn stdin_json_becomes_an_inline_hashtable_of_quoted_values() {
        let script = "# elevated PowerShell; the values travel as JSON data on stdin:\n\
# {\"name\":\"Lab'VM\",\"iso_path\":\"C:\\\\ISO\\\\w.iso\",\"memory\":4}\n\
$in = [System.IO.StreamReader]::new([Console]::OpenStandardInput()).ReadToEnd() | ConvertFrom-Json\n\
$vm = Hyper-V\\New-VM -Name $in.name -NewVHDPath $vhd";
        let pasted = pasteable_powershell(script);
        assert!(!pasted.contains("OpenStandardInput"), "{pasted}");
        assert!(pasted.contains("    name = 'Lab''VM'"), "{pasted}");
        assert!(
            pasted.contains("    iso_path = 'C:\\ISO\\w.iso'"),
            "{pasted}"
        );
        assert!(pasted.contains("    memory = '4'"), "{pasted}");
        assert!(pasted.contains("$vhd = Join-Path"), "{pasted}");
        assert!(pasted.ends_with("$vm = Hyper-V\\New-VM -Name $in.name -NewVHDPath $vhd"));
        assert_eq!(pasteable_powershell("Get-Date"), "Get-Date");
        assert_eq!(single_quoted("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
    }

    #[test]
    fn a_public_root_is_kept() {
        let request = GraphRequest::new("GET", "https://graph.microsoft.com/beta/me", None);
        assert_eq!(
            request.learner_url(&EvidenceIds::default()),
            "https://graph.microsoft.com/beta/me"
        );
    }

    #[test]
    fn urls_wrap_before_slashes_and_never_inside_an_id() {
        let url = format!(
            "https://graph.microsoft.com/beta/policies/mobileDeviceManagementPolicies/{GUID}"
        );
        let lines = wrap_url(&url, 40);
        assert_eq!(lines.concat(), url);
        assert_eq!(lines[0], "https://graph.microsoft.com/beta");
        assert!(lines.iter().any(|l| l == &format!("/{GUID}")), "{lines:?}");
        for line in &lines[1..] {
            assert!(line.starts_with('/'), "{lines:?}");
        }
        assert_eq!(wrap_url("https://graph.microsoft.com/beta/me", 80).len(), 1);
    }
}
