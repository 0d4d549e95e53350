//! How an emulator is started: port, seed, extra users, latency, fault rules and the state file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Start-up settings of the emulator (the CLI's `emulator` flags and demo mode map onto these).
#[derive(Clone, Debug, PartialEq)]
pub struct EmulatorConfig {
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    /// Users generated on top of the demo set (`--users N`).
    pub extra_users: usize,
    /// Delay added to every Graph call (`--latency MS`), to show spinners and progress.
    pub latency_ms: u64,
    /// Injected failures (`--faults SPEC`).
    pub faults: Vec<FaultRule>,
    /// Seed for generated ids and names, so runs are reproducible (`--seed N`).
    pub seed: u64,
    /// When set, the tenant is loaded from here on start (if present) and saved after each change.
    pub state_file: Option<PathBuf>,
    /// How long new objects take to show in Graph's answers (none by default).
    pub propagation: Propagation,
}

/// Replication delays as a real tenant has them: a new device, managed device, Windows Hello key
/// or sign-in entry is stored at once but shows in Graph's answers only after its delay, and a
/// new TAP works at OOBE only after its own. Entra's sign-in log concept pages speak of minutes
/// (2 to 15); tests use seconds so that waiting is tested without slowing the suite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Propagation {
    /// `/devices` answers.
    pub device: Duration,
    /// `/deviceManagement/managedDevices` answers.
    pub managed_device: Duration,
    /// `windowsHelloForBusinessMethods` answers.
    pub whfb: Duration,
    /// `/auditLogs/signIns` answers.
    pub sign_in: Duration,
    /// A new TAP typed at OOBE.
    pub tap: Duration,
}

impl Propagation {
    /// Whether an object created at `created` shows yet, given its `delay`.
    pub fn shows(created: DateTime<Utc>, delay: Duration, now: DateTime<Utc>) -> bool {
        chrono::Duration::from_std(delay).map_or(true, |d| created + d <= now)
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            extra_users: 0,
            latency_ms: 0,
            faults: Vec::new(),
            seed: 42,
            state_file: None,
            propagation: Propagation::default(),
        }
    }
}

/// One injected failure: answer `status` (with `Retry-After` when given) to Graph calls whose
/// path starts with `path_prefix` (and whose method matches, when given), `count` times or forever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    pub status: u16,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default = "default_prefix")]
    pub path_prefix: String,
    #[serde(default)]
    pub method: Option<String>,
    /// How many matching requests fail; `None` = all of them.
    #[serde(default)]
    pub count: Option<u32>,
}

fn default_prefix() -> String {
    "/".into()
}

const SPEC_HELP: &str = "expected rules like '429@/v1.0/users:2:retry=1' separated by commas: \
STATUS[@PATH-PREFIX][:COUNT][:retry=SECONDS][:method=GET|POST|PATCH|DELETE]; \
STATUS is 400-599, PATH-PREFIX starts with '/' (default: every Graph call), COUNT is how many \
calls fail (default: all)";

impl FaultRule {
    /// Parses a `--faults` spec: comma-separated rules of the form
    /// `STATUS[@PATH-PREFIX][:COUNT][:retry=SECONDS][:method=METHOD]`.
    ///
    /// - `429@/v1.0/users:2:retry=1` — the next 2 calls under `/v1.0/users` get 429 with
    ///   `Retry-After: 1`;
    /// - `503:1` — the next Graph call of any path gets 503;
    /// - `500@/beta/auditLogs:method=GET` — every GET under `/beta/auditLogs` gets 500.
    ///
    /// Paths are matched on the request path without the query, from the start.
    pub fn parse_spec(spec: &str) -> Result<Vec<FaultRule>, String> {
        spec.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_rule)
            .collect()
    }

    /// Whether a request is hit by this rule.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

fn parse_rule(rule: &str) -> Result<FaultRule, String> {
    let bad = |what: String| format!("bad fault rule '{rule}': {what}; {SPEC_HELP}");
    let mut parts = rule.split(':');
    let head = parts.next().unwrap_or_default();
    let (status_text, path_prefix) = match head.split_once('@') {
        Some((s, p)) => (s, p.to_string()),
        None => (head, "/".to_string()),
    };
    let status: u16 = status_text
        .trim()
        .parse()
        .map_err(|_| bad(format!("'{status_text}' is not an HTTP status")))?;
    if !(400..=599).contains(&status) {
        return Err(bad(format!("{status} is not an error status")));
    }
    if !path_prefix.starts_with('/') {
        return Err(bad(format!("path '{path_prefix}' must start with '/'")));
    }
    let mut fault = FaultRule {
        status,
        retry_after: None,
        path_prefix,
        method: None,
        count: None,
    };
    for option in parts {
        let option = option.trim();
        if let Some(v) = option.strip_prefix("retry=") {
            fault.retry_after = Some(
                v.parse()
                    .map_err(|_| bad(format!("retry '{v}' is not a whole number of seconds")))?,
            );
        } else if let Some(v) = option.strip_prefix("method=") {
            let m = v.to_ascii_uppercase();
            if !["GET", "POST", "PATCH", "PUT", "DELETE"].contains(&m.as_str()) {
                return Err(bad(format!("unknown method '{v}'")));
            }
            fault.method = Some(m);
        } else if let Some(v) = option.strip_prefix("count=").or(Some(option)) {
            fault.count = Some(
                v.parse()
                    .map_err(|_| bad(format!("'{option}' is neither a count nor an option")))?,
            );
        }
    }
    Ok(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_examples() {
        let rules = FaultRule::parse_spec(
            "429@/v1.0/users:2:retry=1, 503:1,500@/beta/auditLogs:method=get",
        )
        .unwrap();
        assert_eq!(
            rules[0],
            FaultRule {
                status: 429,
                retry_after: Some(1),
                path_prefix: "/v1.0/users".into(),
                method: None,
                count: Some(2)
            }
        );
        assert_eq!(rules[1].path_prefix, "/");
        assert_eq!(rules[1].count, Some(1));
        assert_eq!(rules[2].method.as_deref(), Some("GET"));
        assert!(rules[2].matches("GET", "/beta/auditLogs/signIns"));
        assert!(!rules[2].matches("POST", "/beta/auditLogs/signIns"));
        assert!(FaultRule::parse_spec("").unwrap().is_empty());
    }

    #[test]
    fn bad_specs_say_what_is_wrong_and_show_the_syntax() {
        let e = FaultRule::parse_spec("42x").unwrap_err();
        assert!(e.contains("'42x' is not an HTTP status") && e.contains("STATUS[@PATH-PREFIX]"));
        assert!(
            FaultRule::parse_spec("200")
                .unwrap_err()
                .contains("not an error status")
        );
        assert!(
            FaultRule::parse_spec("429@users")
                .unwrap_err()
                .contains("start with '/'")
        );
        assert!(
            FaultRule::parse_spec("429:retry=x")
                .unwrap_err()
                .contains("retry")
        );
        assert!(
            FaultRule::parse_spec("429:often")
                .unwrap_err()
                .contains("'often'")
        );
    }
}
