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
    /// Delay added to every Graph call (`--latency MS`), to show spinners and progress; with
    /// `--latency MIN..MAX` the shortest delay.
    pub latency_ms: u64,
    /// With `--latency MIN..MAX`: the longest delay (each call draws one in between); 0 or not
    /// above `latency_ms` means a fixed delay.
    pub latency_max_ms: u64,
    /// Injected failures (`--faults SPEC`).
    pub faults: Vec<FaultRule>,
    /// Seed for generated ids and names, so runs are reproducible (`--seed N`).
    pub seed: u64,
    /// Seed of the draws that decide which calls a rate fault hits and how long each delay is;
    /// `None` uses `seed`. Demo mode sets it alone, so `--seed` changes the faults but not the
    /// demo tenant's ids.
    pub fault_seed: Option<u64>,
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
            latency_max_ms: 0,
            faults: Vec::new(),
            seed: 42,
            fault_seed: None,
            state_file: None,
            propagation: Propagation::default(),
        }
    }
}

/// What an injected failure does to a call.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// Answer `status` with Graph's error body; the call is not applied.
    #[default]
    Status,
    /// Apply the call, then drop the connection before the answer arrives: the client cannot
    /// know whether anything changed.
    Reset,
    /// Hold the call without applying it, longer than any client waits (then answer 504).
    Timeout,
    /// Apply the call and answer its status with a body cut in half, which no JSON reader takes.
    Malformed,
}

impl FaultKind {
    /// The name used in `--faults` and in `/_emulator/stats`.
    pub fn name(self, status: u16) -> String {
        match self {
            FaultKind::Status => status.to_string(),
            FaultKind::Reset => "reset".into(),
            FaultKind::Timeout => "timeout".into(),
            FaultKind::Malformed => "malformed".into(),
        }
    }
}

/// One injected failure: answer `status` (with `Retry-After` when given) to Graph calls whose
/// path starts with `path_prefix` (and whose method matches, when given), `count` times, forever,
/// or at random with probability `rate`; or, by `kind`, reset, time out or garble the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(default)]
    pub kind: FaultKind,
    /// The HTTP status of a [`FaultKind::Status`] fault (0 for the other kinds).
    #[serde(default)]
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
    /// The share of matching calls hit (0.0 to 1.0), drawn from the emulator's seeded generator;
    /// `None` = every call (up to `count`).
    #[serde(default)]
    pub rate: Option<f64>,
}

fn default_prefix() -> String {
    "/".into()
}

const SPEC_HELP: &str = "expected rules like '429:0.10' or '429@/v1.0/users:2:retry=1' separated by \
commas: KIND[@PATH-PREFIX][:COUNT|:RATE][:retry=SECONDS][:method=GET|POST|PATCH|DELETE]; \
KIND is an HTTP status 400-599, or reset, timeout or malformed; PATH-PREFIX starts with '/' \
(default: every Graph call); COUNT is how many calls fail (default: all); RATE is a share of \
calls between 0 and 1 with a decimal point, like 0.05";

impl FaultRule {
    /// Parses a `--faults` spec: comma-separated rules of the form
    /// `STATUS[@PATH-PREFIX][:COUNT][:retry=SECONDS][:method=METHOD]`.
    ///
    /// - `429@/v1.0/users:2:retry=1` — the next 2 calls under `/v1.0/users` get 429 with
    ///   `Retry-After: 1`;
    /// - `503:1` — the next Graph call of any path gets 503;
    /// - `500@/beta/auditLogs:method=GET` — every GET under `/beta/auditLogs` gets 500;
    /// - `429:0.10,reset:0.02` — one Graph call in ten gets 429, one in fifty is applied and then
    ///   its connection dropped (drawn from the seeded generator, so a seed repeats a run).
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
    let kind = match status_text.trim().to_ascii_lowercase().as_str() {
        "reset" => FaultKind::Reset,
        "timeout" => FaultKind::Timeout,
        "malformed" => FaultKind::Malformed,
        _ => FaultKind::Status,
    };
    let status: u16 = if kind == FaultKind::Status {
        let status = status_text.trim().parse().map_err(|_| {
            bad(format!(
                "'{status_text}' is neither an HTTP status nor reset, timeout or malformed"
            ))
        })?;
        if !(400..=599).contains(&status) {
            return Err(bad(format!("{status} is not an error status")));
        }
        status
    } else {
        0
    };
    if !path_prefix.starts_with('/') {
        return Err(bad(format!("path '{path_prefix}' must start with '/'")));
    }
    let mut fault = FaultRule {
        kind,
        status,
        retry_after: None,
        path_prefix,
        method: None,
        count: None,
        rate: None,
    };
    for option in parts {
        let option = option.trim();
        if let Some(v) = option
            .strip_prefix("rate=")
            .or_else(|| option.contains('.').then_some(option))
        {
            let rate: f64 = v
                .parse()
                .map_err(|_| bad(format!("rate '{v}' is not a number")))?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(bad(format!("rate {v} is outside 0 to 1")));
            }
            fault.rate = Some(rate);
        } else if let Some(v) = option.strip_prefix("retry=") {
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
    if fault.kind == FaultKind::Status && fault.status == 429 && fault.retry_after.is_none() {
        // Graph sends Retry-After with every 429; a client is told how long to wait.
        fault.retry_after = Some(1);
    }
    Ok(fault)
}

/// `--latency MS` or `--latency MIN..MAX` in milliseconds, as `(min, max)`.
pub fn parse_latency(text: &str) -> Result<(u64, u64), String> {
    let bad = || {
        format!(
            "--latency '{text}' is not a delay: expected milliseconds like 200, or a range like 100..400"
        )
    };
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    match text.split_once("..") {
        Some((min, max)) => {
            let (min, max) = (number(min)?, number(max)?);
            if min > max {
                return Err(format!(
                    "--latency '{text}': the shortest delay ({min}) is above the longest ({max}); write MIN..MAX"
                ));
            }
            Ok((min, max))
        }
        None => number(text).map(|ms| (ms, ms)),
    }
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
                kind: FaultKind::Status,
                status: 429,
                retry_after: Some(1),
                path_prefix: "/v1.0/users".into(),
                method: None,
                count: Some(2),
                rate: None,
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
    fn rates_and_the_connection_faults_parse() {
        let rules = FaultRule::parse_spec(
            "429:0.10,503:0.05,reset:0.02,timeout:0.01,malformed@/beta:rate=1",
        )
        .unwrap();
        assert_eq!(rules[0].rate, Some(0.10));
        assert_eq!(
            rules[0].retry_after,
            Some(1),
            "a 429 always says when to retry"
        );
        assert_eq!(rules[1].retry_after, None);
        assert_eq!(rules[2].kind, FaultKind::Reset);
        assert_eq!(rules[2].count, None);
        assert_eq!(rules[3].kind, FaultKind::Timeout);
        assert_eq!(rules[4].kind, FaultKind::Malformed);
        assert_eq!(rules[4].path_prefix, "/beta");
        assert_eq!(rules[4].rate, Some(1.0));
        assert!(
            FaultRule::parse_spec("429:1.5")
                .unwrap_err()
                .contains("outside 0 to 1")
        );
        assert!(
            FaultRule::parse_spec("hang:0.1")
                .unwrap_err()
                .contains("reset, timeout or malformed")
        );
        assert_eq!(parse_latency("200").unwrap(), (200, 200));
        assert_eq!(parse_latency("100..400").unwrap(), (100, 400));
        assert!(parse_latency("400..100").unwrap_err().contains("MIN..MAX"));
        assert!(parse_latency("fast").unwrap_err().contains("100..400"));
    }

    #[test]
    fn bad_specs_say_what_is_wrong_and_show_the_syntax() {
        let e = FaultRule::parse_spec("42x").unwrap_err();
        assert!(e.contains("'42x' is neither an HTTP status") && e.contains("KIND[@PATH-PREFIX]"));
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
