//! A parser for `dsregcmd /status` output as people actually capture it: banner sections,
//! `Key : Value` lines (and the old `Key: Value` form), wrapped values, CRLF, UTF-16LE files from
//! PowerShell redirection, prompt lines and the trailing help URL.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::io::Read;
use std::path::Path;

/// Keys found before any banner go into this section (very old builds print no banners).
pub const NO_SECTION: &str = "(no section)";

/// Why the text could not be read as `dsregcmd /status` output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsregError {
    #[error("the input is empty: pass the output of `dsregcmd /status` (a file, or - for stdin)")]
    Empty,
    #[error("the input is not text ({0}): save the output of `dsregcmd /status` as a text file")]
    NotText(String),
    #[error(
        "this does not look like `dsregcmd /status` output: none of AzureAdJoined, DomainJoined, NgcSet, AzureAdPrt, DeviceId or TenantName was found"
    )]
    NoStatus,
}

/// The handful of facts the lab validates, `None` where the key is absent or not YES/NO.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DsregSummary {
    pub azure_ad_joined: Option<bool>,
    pub domain_joined: Option<bool>,
    pub workplace_joined: Option<bool>,
    pub enterprise_joined: Option<bool>,
    pub ngc_set: Option<bool>,
    pub azure_ad_prt: Option<bool>,
    pub device_id: Option<String>,
    pub tenant_name: Option<String>,
}

/// One banner section with its keys in output order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsregSection {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl DsregSection {
    /// A key's value in this section (keys compare case-insensitively, as people type them).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Parsed `dsregcmd /status`: the summary plus every section verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DsregStatus {
    pub summary: DsregSummary,
    #[serde(serialize_with = "sections_as_map")]
    pub sections: Vec<DsregSection>,
}

fn sections_as_map<S: Serializer>(sections: &[DsregSection], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(sections.len()))?;
    for section in sections {
        map.serialize_entry(&section.name, &EntriesMap(&section.entries))?;
    }
    map.end()
}

struct EntriesMap<'a>(&'a [(String, String)]);

impl Serialize for EntriesMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl DsregStatus {
    /// A section by name (case-insensitive).
    pub fn section(&self, name: &str) -> Option<&DsregSection> {
        self.sections
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// A key from the preferred section, else from the first section that has it.
    pub fn value(&self, preferred_section: &str, key: &str) -> Option<&str> {
        self.section(preferred_section)
            .and_then(|s| s.get(key))
            .or_else(|| self.sections.iter().find_map(|s| s.get(key)))
    }
}

/// Decodes captured bytes: UTF-8 (with or without BOM), UTF-16LE/BE with BOM, or BOM-less
/// UTF-16LE as some tools write it.
pub fn decode(bytes: &[u8]) -> Result<String, DsregError> {
    let utf16 = |body: &[u8], le: bool| -> Result<String, DsregError> {
        if !body.len().is_multiple_of(2) {
            return Err(DsregError::NotText("odd number of bytes for UTF-16".into()));
        }
        let units = body.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| DsregError::NotText("invalid UTF-16".into()))
    };
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, true)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, false)?
    } else if looks_like_utf16le(bytes) {
        utf16(bytes, true)?
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        String::from_utf8(body.to_vec()).map_err(|e| {
            DsregError::NotText(format!(
                "invalid UTF-8 at byte {}",
                e.utf8_error().valid_up_to()
            ))
        })?
    };
    let control = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if control > 0 {
        return Err(DsregError::NotText(format!(
            "{control} control characters found"
        )));
    }
    Ok(text)
}

fn looks_like_utf16le(bytes: &[u8]) -> bool {
    bytes.len() >= 8
        && bytes.len().is_multiple_of(2)
        && bytes.iter().skip(1).step_by(2).take(64).all(|b| *b == 0)
}

/// Parses decoded `dsregcmd /status` text.
pub fn parse(text: &str) -> Result<DsregStatus, DsregError> {
    if text.trim().is_empty() {
        return Err(DsregError::Empty);
    }
    let mut sections: Vec<DsregSection> = Vec::new();
    // The last section's keys, lower-cased: a repeated key is found in constant time, so the
    // parse stays linear in the input however many distinct keys a crafted file holds.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Whether the previous line was a key line (a wrapped value may follow it).
    let mut after_key = false;
    for raw in text.lines() {
        let line = raw.trim_end_matches(['\r', ' ', '\t']);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            after_key = false;
            continue;
        }
        if is_banner_rule(trimmed) {
            after_key = false;
            continue;
        }
        if let Some(name) = banner_title(trimmed) {
            sections.push(DsregSection {
                name: name.to_string(),
                entries: Vec::new(),
            });
            seen.clear();
            after_key = false;
            continue;
        }
        if is_prompt(trimmed) || is_trailer(trimmed) {
            after_key = false;
            continue;
        }
        if let Some((key, value)) = split_key_value(trimmed) {
            if sections.is_empty() {
                sections.push(DsregSection {
                    name: NO_SECTION.into(),
                    entries: Vec::new(),
                });
            }
            let section = sections.last_mut().expect("a section was just ensured");
            if seen.insert(key.to_ascii_lowercase()) {
                section.entries.push((key.to_string(), value.to_string()));
            }
            after_key = true;
            continue;
        }
        if after_key
            && let Some((_, value)) = sections.last_mut().and_then(|s| s.entries.last_mut())
        {
            // An indented continuation is a new word; a line cut at the console width is not.
            if line.starts_with([' ', '\t']) && !value.is_empty() {
                value.push(' ');
            }
            value.push_str(trimmed);
        }
    }
    let status = DsregStatus {
        summary: DsregSummary::default(),
        sections,
    };
    let summary = summarise(&status);
    if summary == DsregSummary::default() {
        return Err(DsregError::NoStatus);
    }
    Ok(DsregStatus { summary, ..status })
}

/// Decodes and parses captured bytes.
pub fn parse_bytes(bytes: &[u8]) -> Result<DsregStatus, DsregError> {
    if bytes.is_empty() {
        return Err(DsregError::Empty);
    }
    parse(&decode(bytes)?)
}

fn summarise(status: &DsregStatus) -> DsregSummary {
    let flag = |section: &str, key: &str| status.value(section, key).and_then(yes_no);
    let text = |section: &str, key: &str| {
        status
            .value(section, key)
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("NOT SET"))
            .map(str::to_string)
    };
    DsregSummary {
        azure_ad_joined: flag("Device State", "AzureAdJoined"),
        domain_joined: flag("Device State", "DomainJoined"),
        workplace_joined: flag("User State", "WorkplaceJoined"),
        enterprise_joined: flag("Device State", "EnterpriseJoined"),
        ngc_set: flag("User State", "NgcSet"),
        azure_ad_prt: flag("SSO State", "AzureAdPrt"),
        device_id: text("Device Details", "DeviceId"),
        tenant_name: text("Tenant Details", "TenantName"),
    }
}

fn yes_no(value: &str) -> Option<bool> {
    match value.trim().to_ascii_uppercase().as_str() {
        "YES" => Some(true),
        "NO" => Some(false),
        _ => None,
    }
}

fn is_banner_rule(line: &str) -> bool {
    line.len() >= 3
        && line.starts_with('+')
        && line.ends_with('+')
        && line[1..line.len() - 1].chars().all(|c| c == '-')
}

fn banner_title(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('|')?.strip_suffix('|')?.trim();
    (!inner.is_empty()).then_some(inner)
}

/// `C:\Users\me>dsregcmd /status` or `PS C:\> dsregcmd /status`.
fn is_prompt(line: &str) -> bool {
    let body = line.strip_prefix("PS ").unwrap_or(line);
    let mut chars = body.chars();
    matches!((chars.next(), chars.next(), chars.next()), (Some(d), Some(':'), Some('\\')) if d.is_ascii_alphabetic())
        && body.contains('>')
}

fn is_trailer(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.starts_with("for more information")
        || lower.starts_with("http://")
        || lower.starts_with("https://")
}

/// Splits `Key : Value` / `Key: Value` at the first colon that is followed by a space or the end
/// of the line (so `https://` in a value or a wrapped line is not a key).
fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let at = bytes.iter().enumerate().position(|(i, b)| {
        *b == b':' && bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\t')
    })?;
    let key = line[..at].trim();
    let value = line[at + 1..].trim();
    let key_like = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')' | '/'))
        && key.chars().next().is_some_and(char::is_alphanumeric);
    key_like.then_some((key, value))
}

/// `hello-bootstrap dsregcmd [FILE|-] [--json]`: 0 parsed, 2 unreadable or not dsregcmd output.
pub fn run_cli(input: Option<&Path>, json: bool) -> i32 {
    let (bytes, source) = match input {
        None => read_stdin(),
        Some(p) if p.as_os_str() == "-" => read_stdin(),
        Some(p) => (
            std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display())),
            p.display().to_string(),
        ),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    match parse_bytes(&bytes) {
        Ok(status) => {
            if json {
                match serde_json::to_string_pretty(&status) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("error: cannot write JSON: {e}");
                        return 2;
                    }
                }
            } else {
                print!("{}", human_summary(&status));
            }
            0
        }
        Err(e) => {
            eprintln!("error: {source}: {e}");
            2
        }
    }
}

fn read_stdin() -> (Result<Vec<u8>, String>, String) {
    let mut buf = Vec::new();
    let result = std::io::stdin()
        .read_to_end(&mut buf)
        .map(|_| buf)
        .map_err(|e| format!("cannot read standard input: {e}"));
    (result, "standard input".into())
}

/// The summary as people read it.
pub fn human_summary(status: &DsregStatus) -> String {
    let s = &status.summary;
    let flag = |v: Option<bool>| match v {
        Some(true) => "YES",
        Some(false) => "NO",
        None => "unknown",
    };
    let mut out = String::new();
    for (label, value) in [
        ("Entra joined (AzureAdJoined)", flag(s.azure_ad_joined)),
        ("Domain joined", flag(s.domain_joined)),
        ("Workplace joined", flag(s.workplace_joined)),
        ("Enterprise joined", flag(s.enterprise_joined)),
        ("Windows Hello set (NgcSet)", flag(s.ngc_set)),
        ("Primary Refresh Token (AzureAdPrt)", flag(s.azure_ad_prt)),
    ] {
        out.push_str(&format!("{label:<36} {value}\n"));
    }
    out.push_str(&format!(
        "{:<36} {}\n{:<36} {}\n",
        "Device id",
        s.device_id.as_deref().unwrap_or("unknown"),
        "Tenant",
        s.tenant_name.as_deref().unwrap_or("unknown")
    ));
    out
}
