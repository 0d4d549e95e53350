//! What `tap issue` prints: people's lines on stderr, the passes (and `--json`) on stdout only.

use super::EXIT_BAD_INPUT;
use crate::input::InputError;
use crate::issue::IssueOutcome;
use crate::user_check::{PreflightRow, Verdict};
use serde_json::{Value, json};
use std::io::Write;

pub(super) fn report_bad_input(err: &mut dyn Write, errors: &[InputError]) -> i32 {
    let _ = writeln!(err, "Nothing was issued. Fix the input and run again:");
    for e in errors {
        // A message quotes the cell it is about: control and bidi characters shown escaped.
        let _ = writeln!(err, "  {}", hb_lab::escape::for_display(&e.to_string()));
    }
    EXIT_BAD_INPUT
}

/// One user's line in the `--json` output; the pass appears here and nowhere else.
pub(super) fn json_outcome(o: &IssueOutcome) -> Value {
    json!({
        "upn": o.upn.as_str(),
        "status": o.status.id(),
        "temporary_access_pass": o.tap.as_ref().map(|t| t.expose()),
        "error": o.error,
        "start_date_time": o.start_date_time,
        "lifetime_in_minutes": o.lifetime_in_minutes,
    })
}

pub(super) fn describe_verdict(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Ready => "ready".into(),
        Verdict::HasPass {
            start_date_time,
            lifetime_in_minutes,
        } => format!(
            "already has a pass (starts {}, {} minutes); --replace would issue a new one",
            start_date_time.as_deref().unwrap_or("now"),
            lifetime_in_minutes
                .map(|m| m.to_string())
                .unwrap_or_else(|| "default".into())
        ),
        Verdict::Blocked(reason) => format!("blocked: {reason}"),
    }
}

pub(super) fn json_preflight(row: &PreflightRow) -> Value {
    let (start, lifetime) = match &row.verdict {
        Verdict::HasPass {
            start_date_time,
            lifetime_in_minutes,
        } => (start_date_time.clone(), *lifetime_in_minutes),
        _ => (None, None),
    };
    json!({
        "upn": row.upn.as_str(),
        "status": row.verdict.id(),
        "temporary_access_pass": null,
        "error": match &row.verdict {
            Verdict::Blocked(reason) => Some(reason.as_str()),
            _ => None,
        },
        "start_date_time": start,
        "lifetime_in_minutes": lifetime,
    })
}

pub(super) fn print_outcomes(
    json: bool,
    outcomes: &[IssueOutcome],
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    let issued = outcomes.iter().filter(|o| o.status.is_issued()).count();
    for o in outcomes.iter().filter(|o| !o.status.is_issued()) {
        // The UPN and the reason may quote a CSV cell: control and bidi characters shown escaped.
        let _ = writeln!(
            err,
            "{}: {}",
            hb_lab::escape::for_display(&o.upn.to_string()),
            hb_lab::escape::for_display(o.error.as_deref().unwrap_or("no pass issued"))
        );
    }
    let _ = writeln!(
        err,
        "Issued {issued} of {} pass{}.{}",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "es" },
        if issued > 0 {
            " The codes are on stdout, shown this once and stored nowhere: hand them over now."
        } else {
            ""
        }
    );
    if json {
        let all: Vec<Value> = outcomes.iter().map(json_outcome).collect();
        let _ = writeln!(out, "{}", Value::Array(all));
    } else {
        for o in outcomes {
            if let Some(tap) = &o.tap {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{} min\tstarts {}",
                    hb_lab::escape::csv_cell(&hb_lab::escape::for_display(&o.upn.to_string())),
                    tap.expose(),
                    o.lifetime_in_minutes
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| "?".into()),
                    o.start_date_time.as_deref().unwrap_or("now")
                );
            }
        }
    }
    let _ = out.flush();
}
