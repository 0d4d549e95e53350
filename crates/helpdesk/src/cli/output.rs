//! What `tap issue` prints: each result as it completes (text: the pass on stdout, or in
//! `--output`; the rest on stderr), or one JSON document at the end; both also when a signal
//! cut the run short.

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, TapIssueArgs};
use crate::input::{InputError, Place, TapRequest};
use crate::outcome::{IssueOutcome, IssueStatus, Totals};
use serde_json::{Value, json};
use std::fs::File;
use std::io::Write;

/// Bad usage: every problem on stderr, and with `--json` a document on stdout that says so.
pub(super) fn usage_error(
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    errors: &[InputError],
) -> i32 {
    let _ = writeln!(err, "Nothing was issued. Fix the command and run again:");
    for e in errors {
        // A message quotes the cell it is about: control and bidi characters shown escaped.
        let _ = writeln!(err, "  {}", hb_lab::escape::for_display(&e.to_string()));
    }
    if json {
        let doc = json!({
            "error": errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "),
            "results": [], "issued": 0, "replaced": 0, "skipped": 0, "failed": 0,
        });
        let _ = writeln!(out, "{doc}");
    }
    EXIT_BAD_INPUT
}

/// One user's entry in the `--json` document; `with_tap` false when the passes went to a file.
pub(super) fn json_outcome(o: &IssueOutcome, with_tap: bool) -> Value {
    json!({
        "line": o.line,
        "upn": o.upn,
        "status": o.status.id(),
        "reason": o.reason,
        "temporary_access_pass": if with_tap { o.tap.as_ref().map(|t| t.expose()) } else { None },
        "start": o.start,
        "end": o.end,
        "usable_once": o.usable_once,
    })
}

/// The text line of an issued pass.
fn pass_line(o: &IssueOutcome) -> String {
    format!(
        "{}\t{}\tvalid {} to {}\t{}",
        // A UPN may come from a CSV cell: a formula prefix neutralised, hostile characters escaped.
        hb_lab::escape::csv_cell(&hb_lab::escape::for_display(&o.upn)),
        o.tap.as_ref().map(|t| t.expose()).unwrap_or_default(),
        o.start.as_deref().unwrap_or("now"),
        o.end.as_deref().unwrap_or("?"),
        if o.usable_once == Some(true) {
            "one-time"
        } else {
            "reusable"
        }
    )
}

/// Who a result is for, as the terminal shows it: control and bidi characters escaped.
fn who(o: &IssueOutcome) -> String {
    let upn = hb_lab::escape::for_display(&o.upn);
    match o.line {
        Some(line) => format!("line {line}: {upn}"),
        None => upn.into_owned(),
    }
}

/// Where results go as they come.
pub(super) struct Sink<'a> {
    json: bool,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    file: Option<File>,
    outcomes: Vec<IssueOutcome>,
    total: usize,
}

impl<'a> Sink<'a> {
    /// Opens `--output` (a new file, mode 0600) when asked.
    pub(super) fn new(
        args: &TapIssueArgs,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
    ) -> Result<Sink<'a>, Vec<InputError>> {
        let file = match &args.output {
            None => None,
            Some(path) => {
                let file = create_private(path).map_err(|e| {
                    vec![InputError::new(
                        Place::Flag("--output"),
                        None,
                        if e.kind() == std::io::ErrorKind::AlreadyExists {
                            format!("{} already exists: choose a new file name (passes are never written over an existing file)", path.display())
                        } else {
                            format!("cannot create {}: {e}", path.display())
                        },
                    )]
                })?;
                let _ = writeln!(
                    err,
                    "warning: the passes go to {} in clear text (readable only by you). Hand them over, then delete the file.",
                    path.display()
                );
                Some(file)
            }
        };
        Ok(Sink {
            json: args.json,
            out,
            err,
            file,
            outcomes: Vec::new(),
            total: 0,
        })
    }

    pub(super) fn begin(&mut self, total: usize, to_send: usize) {
        self.total = total;
        let _ = writeln!(
            self.err,
            "Checking the Temporary Access Pass policy and {to_send} user{}, then issuing…",
            if to_send == 1 { "" } else { "s" }
        );
    }

    pub(super) fn note(&mut self, note: &str) {
        let _ = writeln!(self.err, "{note}");
    }

    /// One result: printed now in text mode, kept for the summary and the JSON document.
    pub(super) fn result(&mut self, o: IssueOutcome) {
        let done = self.outcomes.len() + 1;
        if o.status.is_issued() {
            let line = pass_line(&o);
            if let Some(file) = &mut self.file {
                let _ = writeln!(file, "{line}");
                let _ = file.flush();
            } else if !self.json {
                let _ = writeln!(self.out, "{line}");
                let _ = self.out.flush();
            }
            if self.json || self.file.is_some() {
                let _ = writeln!(
                    self.err,
                    "[{done}/{}] {}: {}",
                    self.total,
                    who(&o),
                    o.status.id()
                );
            }
        } else {
            let _ = writeln!(
                self.err,
                "[{done}/{}] {}: {}: {}",
                self.total,
                who(&o),
                o.status.id(),
                hb_lab::escape::for_display(o.reason.as_deref().unwrap_or(""))
            );
        }
        self.outcomes.push(o);
    }

    /// The results so far, in arrival order.
    pub(super) fn outcomes(&self) -> &[IssueOutcome] {
        &self.outcomes
    }

    /// After a second signal: users still in flight are reported as unknown.
    pub(super) fn abandon(&mut self, requests: &[TapRequest]) {
        for r in requests {
            let known = self
                .outcomes
                .iter()
                .any(|o| o.upn.eq_ignore_ascii_case(r.upn.as_str()));
            if !known {
                self.result(IssueOutcome::failed(
                    r.line(),
                    r.upn.to_string(),
                    "interrupted while this user's request may have been in flight: check with `tap list`, and `tap revoke` a pass nobody saw",
                ));
            }
        }
    }

    /// The summary, the JSON document, and the exit code.
    pub(super) fn finish(mut self, requests: &[TapRequest]) -> i32 {
        let order = |o: &IssueOutcome| {
            let arg = requests
                .iter()
                .position(|r| r.upn.as_str().eq_ignore_ascii_case(&o.upn))
                .unwrap_or(usize::MAX);
            (o.line.unwrap_or(0), arg)
        };
        self.outcomes.sort_by_key(order);
        let t = Totals::of(&self.outcomes);
        let _ = writeln!(
            self.err,
            "{} issued, {} replaced, {} skipped, {} failed{}.{}",
            t.issued,
            t.replaced,
            t.skipped,
            t.failed,
            if t.ready > 0 {
                format!(", {} ready (dry run)", t.ready)
            } else {
                String::new()
            },
            if t.issued + t.replaced > 0 && self.file.is_none() {
                " The codes were shown this once and are stored nowhere: hand them over now."
            } else {
                ""
            }
        );
        if self.json {
            let mut doc = json!({
                "results": self.outcomes.iter().map(|o| json_outcome(o, self.file.is_none())).collect::<Vec<_>>(),
                "issued": t.issued, "replaced": t.replaced, "skipped": t.skipped, "failed": t.failed,
            });
            if t.ready > 0 {
                doc["ready"] = json!(t.ready);
            }
            let _ = writeln!(self.out, "{doc}");
        }
        let _ = self.out.flush();
        let all_good = self
            .outcomes
            .iter()
            .all(|o| o.status.is_issued() || o.status == IssueStatus::Ready);
        if all_good && !self.outcomes.is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILED
        }
    }
}

/// A new file only its owner may read or write.
fn create_private(path: &std::path::Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
