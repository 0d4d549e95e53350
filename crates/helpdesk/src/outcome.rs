//! What happened for each user of a run, as the CLI's JSON, its text lines, the wizard's results
//! table and the audit trail all report it.

use hb_graph::models::TapMethod;
use hb_lab::Secret;

/// One user's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueStatus {
    /// A pass for a user who held none.
    Issued,
    /// A new pass; the one the user held stopped working.
    Replaced,
    /// Nothing was sent for this user: the input or a check said no (`reason` says which).
    Skipped,
    /// Graph refused or could not be reached (`reason` has Graph's code and message).
    Failed,
    /// A dry run found nothing in the way; nothing was issued.
    Ready,
}

impl IssueStatus {
    /// The snake_case id used in JSON output.
    pub fn id(self) -> &'static str {
        match self {
            IssueStatus::Issued => "issued",
            IssueStatus::Replaced => "replaced",
            IssueStatus::Skipped => "skipped",
            IssueStatus::Failed => "failed",
            IssueStatus::Ready => "ready",
        }
    }

    /// Whether the user now holds a pass this run issued (and showed).
    pub fn is_issued(self) -> bool {
        matches!(self, IssueStatus::Issued | IssueStatus::Replaced)
    }
}

/// One user's result. `tap` is set only when a pass was issued; show it once and drop it (not
/// `Clone`, so it is not copied around by accident; `Debug` redacts it).
#[derive(Debug)]
pub struct IssueOutcome {
    /// The CSV line (`None` for users named on the command line or in the wizard).
    pub line: Option<usize>,
    /// The user as typed (a rejected row's UPN may not be a valid UPN).
    pub upn: String,
    pub status: IssueStatus,
    /// Why it was skipped or failed, and what to do; a note for some issued ones.
    pub reason: Option<String>,
    pub tap: Option<Secret>,
    /// When the pass starts and stops working (UTC, as Graph writes it).
    pub start: Option<String>,
    pub end: Option<String>,
    pub lifetime_minutes: Option<u32>,
    pub usable_once: Option<bool>,
    /// The answer to the first request was lost; a pass nobody saw was deleted and this one
    /// issued instead.
    pub reconciled: bool,
}

impl IssueOutcome {
    /// A user nothing was sent for, with why.
    pub fn skipped(line: Option<usize>, upn: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::without_pass(line, upn, IssueStatus::Skipped, reason)
    }

    /// A user Graph refused or could not be asked about.
    pub fn failed(line: Option<usize>, upn: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::without_pass(line, upn, IssueStatus::Failed, reason)
    }

    fn without_pass(
        line: Option<usize>,
        upn: impl Into<String>,
        status: IssueStatus,
        reason: impl Into<String>,
    ) -> Self {
        IssueOutcome {
            line,
            upn: upn.into(),
            status,
            reason: Some(reason.into()),
            tap: None,
            start: None,
            end: None,
            lifetime_minutes: None,
            usable_once: None,
            reconciled: false,
        }
    }

    /// A pass just issued, with its times read from what Graph answered.
    pub fn issued(
        line: Option<usize>,
        upn: impl Into<String>,
        replaced: bool,
        method: &TapMethod,
        code: Secret,
    ) -> Self {
        let (start, end) = window(method);
        IssueOutcome {
            line,
            upn: upn.into(),
            status: if replaced {
                IssueStatus::Replaced
            } else {
                IssueStatus::Issued
            },
            reason: None,
            tap: Some(code),
            start,
            end,
            lifetime_minutes: method.lifetime_in_minutes,
            usable_once: method.is_usable_once,
            reconciled: false,
        }
    }
}

/// A pass's start and end (start plus lifetime), as Graph writes times.
pub fn window(method: &TapMethod) -> (Option<String>, Option<String>) {
    let start = method.start_date_time.clone();
    let end = start
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .zip(method.lifetime_in_minutes)
        .map(|(s, m)| {
            hb_graph::tap_issue::graph_time(
                s.with_timezone(&chrono::Utc) + chrono::Duration::minutes(i64::from(m)),
            )
        });
    (start, end)
}

/// Counts by status, for the summary line and the JSON totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub issued: usize,
    pub replaced: usize,
    pub skipped: usize,
    pub failed: usize,
    pub ready: usize,
}

impl Totals {
    /// The counts of `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a IssueOutcome>) -> Totals {
        let mut t = Totals::default();
        for o in outcomes {
            match o.status {
                IssueStatus::Issued => t.issued += 1,
                IssueStatus::Replaced => t.replaced += 1,
                IssueStatus::Skipped => t.skipped += 1,
                IssueStatus::Failed => t.failed += 1,
                IssueStatus::Ready => t.ready += 1,
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_stable_ids_and_windows_end_after_their_lifetime() {
        assert_eq!(IssueStatus::Skipped.id(), "skipped");
        assert!(IssueStatus::Replaced.is_issued());
        assert!(!IssueStatus::Failed.is_issued());
        let method: TapMethod = serde_json::from_value(serde_json::json!({
            "id": "m", "startDateTime": "2026-06-05T08:00:00Z", "lifetimeInMinutes": 90
        }))
        .unwrap();
        assert_eq!(
            window(&method),
            (
                Some("2026-06-05T08:00:00Z".into()),
                Some("2026-06-05T09:30:00Z".into())
            )
        );
        let outcome =
            IssueOutcome::issued(Some(2), "a@b.com", false, &method, Secret::new("Xy7!abcd"));
        assert!(!format!("{outcome:?}").contains("Xy7!abcd"));
        assert_eq!(Totals::of([&outcome]).issued, 1);
    }
}
