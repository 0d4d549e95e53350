//! What a help-desk agent asks for, parsed field by field so every mistake gets its own message
//! naming where it is (row and column, or argument) and what to write instead.

use chrono::{DateTime, Utc};
use hb_graph::tap_issue::check_lifetime;
use hb_lab::Upn;
use std::fmt;

pub use hb_graph::models::{
    TAP_MAX_LIFETIME as GRAPH_MAX_LIFETIME, TAP_MIN_LIFETIME as GRAPH_MIN_LIFETIME,
};

/// Where a request came from, so a later check (e.g. against the policy) can point at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A line of the CSV file, numbered as an editor numbers it (the header is line 1).
    Row(usize),
    /// The CSV's header row.
    Header,
    /// The n-th UPN on the command line (1-based).
    Argument(usize),
    /// A command-line option such as `--lifetime`.
    Flag(&'static str),
    /// The command as a whole (missing or conflicting arguments, unreadable file).
    Command,
}

/// One specific problem with the input, e.g. "row 4, field upn: 'bob@' has no domain".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub place: Place,
    /// The CSV column the problem is in, when there is one.
    pub field: Option<&'static str>,
    pub message: String,
}

impl InputError {
    /// A problem at a place, optionally in one CSV column.
    pub fn new(place: Place, field: Option<&'static str>, message: impl Into<String>) -> Self {
        InputError {
            place,
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.place, self.field) {
            (Place::Row(n), Some(field)) => write!(f, "line {n}, field {field}: {}", self.message),
            (Place::Row(n), None) => write!(f, "line {n}: {}", self.message),
            (Place::Header, _) => write!(f, "header (line 1): {}", self.message),
            (Place::Argument(n), _) => write!(f, "UPN argument {n}: {}", self.message),
            (Place::Flag(flag), _) => write!(f, "{flag}: {}", self.message),
            (Place::Command, _) => f.write_str(&self.message),
        }
    }
}

/// One user to issue a TAP for, with the choices made for them (`None` = the run's default, and
/// failing that the policy's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapRequest {
    pub upn: Upn,
    pub lifetime_minutes: Option<u32>,
    pub usable_once: Option<bool>,
    /// When the pass starts working (`None`: the run's `--start`, else now).
    pub start: Option<DateTime<Utc>>,
    pub place: Place,
}

impl TapRequest {
    /// A request that leaves lifetime and one-time use to the run's or the policy's defaults.
    pub fn new(upn: Upn, place: Place) -> Self {
        TapRequest {
            upn,
            lifetime_minutes: None,
            usable_once: None,
            start: None,
            place,
        }
    }

    /// The CSV line this request came from (`None` for users named on the command line).
    pub fn line(&self) -> Option<usize> {
        match self.place {
            Place::Row(n) => Some(n),
            _ => None,
        }
    }
}

/// Parses a start time: ISO 8601 with a zone (`2026-06-05T08:00:00Z`, `…+02:00`), or a date
/// alone (midnight UTC). Graph stores UTC.
pub fn parse_start(raw: &str) -> Result<DateTime<Utc>, String> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "'{s}' is not an ISO 8601 time with a zone, e.g. 2026-06-05T08:00:00Z or 2026-06-05"
    ))
}

/// Parses a sign-in name; the message says exactly what is wrong with it (the rules are
/// [`Upn::parse`]'s, the same for `--user` and the wizard).
pub fn parse_upn(raw: &str) -> Result<Upn, String> {
    Upn::parse(raw)
}

/// Parses a lifetime in minutes within Graph's limits.
pub fn parse_lifetime(raw: &str) -> Result<u32, String> {
    let s = raw.trim();
    let minutes: u32 = s.parse().map_err(|_| {
        format!(
            "'{s}' is not a whole number of minutes (use {GRAPH_MIN_LIFETIME} to {GRAPH_MAX_LIFETIME}, e.g. 60)"
        )
    })?;
    check_lifetime_bounds(minutes)?;
    Ok(minutes)
}

/// Checks a lifetime against Graph's own limits (10 minutes to 30 days).
pub fn check_lifetime_bounds(minutes: u32) -> Result<(), String> {
    check_lifetime(minutes).map_err(|e| e.to_string())
}

/// Parses a yes/no column: true/false, yes/no, 1/0 in any case.
pub fn parse_flag(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        other => Err(format!(
            "'{other}' is not true or false (leave it empty for the policy's default)"
        )),
    }
}

/// Requests from UPNs typed on the command line; every bad one is reported, with its position,
/// and repeats are refused.
pub fn requests_from_args(upns: &[String]) -> Result<Vec<TapRequest>, Vec<InputError>> {
    let mut requests: Vec<TapRequest> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in upns.iter().enumerate() {
        let place = Place::Argument(i + 1);
        match parse_upn(raw) {
            Ok(upn) => match find_duplicate(&requests, &upn) {
                Some(Place::Argument(first)) => errors.push(InputError::new(
                    place,
                    None,
                    format!("'{upn}' is already argument {first}; each user gets one pass"),
                )),
                _ => requests.push(TapRequest::new(upn, place)),
            },
            Err(message) => errors.push(InputError::new(place, None, message)),
        }
    }
    if errors.is_empty() {
        Ok(requests)
    } else {
        Err(errors)
    }
}

/// Where the same user (compared without case, as Entra does) was asked for before.
pub(crate) fn find_duplicate(requests: &[TapRequest], upn: &Upn) -> Option<Place> {
    requests
        .iter()
        .find(|r| r.upn.as_str().eq_ignore_ascii_case(upn.as_str()))
        .map(|r| r.place)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_messages_say_what_is_missing() {
        assert!(
            parse_upn("bob@")
                .unwrap_err()
                .contains("'bob@' has no domain")
        );
        assert!(parse_upn("bob").unwrap_err().contains("has no '@'"));
        assert!(parse_upn("@contoso.com").unwrap_err().contains("no name"));
        assert!(parse_upn("  ").unwrap_err().contains("is empty"));
        assert!(parse_upn("bob@contoso").unwrap_err().contains("domain"));
        assert!(
            parse_upn("x/../../users/admin@contoso.com")
                .unwrap_err()
                .contains("contains '/'")
        );
        assert_eq!(
            parse_upn(" bob@contoso.com ").unwrap().as_str(),
            "bob@contoso.com"
        );
    }

    #[test]
    fn lifetimes_and_flags_parse_within_limits() {
        assert_eq!(parse_lifetime(" 60 ").unwrap(), 60);
        assert!(parse_lifetime("9").unwrap_err().contains("outside"));
        assert!(parse_lifetime("43201").unwrap_err().contains("outside"));
        assert!(parse_lifetime("1h").unwrap_err().contains("whole number"));
        assert!(parse_flag("Yes").unwrap());
        assert!(!parse_flag("0").unwrap());
        assert!(parse_flag("maybe").unwrap_err().contains("'maybe'"));
        assert_eq!(
            parse_start("2026-06-05T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-06-05T08:00:00+00:00"
        );
        assert!(parse_start("2026-06-05").is_ok());
        assert!(parse_start("tomorrow").unwrap_err().contains("ISO 8601"));
    }

    #[test]
    fn arguments_report_each_bad_one_and_repeats() {
        let args = vec![
            "adele@contoso.com".to_string(),
            "bob@".to_string(),
            "ADELE@contoso.com".to_string(),
        ];
        let errors = requests_from_args(&args).unwrap_err();
        let texts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].starts_with("UPN argument 2: 'bob@' has no domain"));
        assert!(texts[1].contains("already argument 1"));
        let ok = requests_from_args(&["a@b.com".into(), "c@d.com".into()]).unwrap();
        assert_eq!(ok[1].place, Place::Argument(2));
    }

    #[test]
    fn error_text_names_row_and_field() {
        let e = InputError::new(Place::Row(4), Some("upn"), "'bob@' has no domain");
        assert_eq!(e.to_string(), "line 4, field upn: 'bob@' has no domain");
        let e = InputError::new(Place::Flag("--lifetime"), None, "too long");
        assert_eq!(e.to_string(), "--lifetime: too long");
    }
}
