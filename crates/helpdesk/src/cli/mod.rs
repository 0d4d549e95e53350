//! `hello-bootstrap tap issue UPN... | --csv FILE [--lifetime MIN] [--once] [--replace] [--dry-run] [--json]`:
//! people read stderr, the passes go to stdout only, and the exit code says how it went
//! (0 all issued, 1 some not, 2 bad input and nothing issued).

mod output;

use super::csv_input::parse_csv;
use super::input::{InputError, Place, TapRequest, check_lifetime_bounds, requests_from_args};
use super::issue::{HelpdeskError, IssueOptions, IssueStatus, issue_taps, preflight};
use super::user_check::Verdict;
use hb_graph::GraphClient;
use output::{describe_verdict, json_preflight, print_outcomes, report_bad_input};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Exit code: every pass was issued.
pub const EXIT_OK: i32 = 0;
/// Exit code: at least one user got no new pass.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: the input was wrong; nothing was issued.
pub const EXIT_BAD_INPUT: i32 = 2;

/// The arguments of `tap issue`, ready to `#[command(flatten)]` into the main CLI.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TapIssueArgs {
    /// Users to issue a pass for, by sign-in name (e.g. adele.vance@contoso.com).
    #[arg(value_name = "UPN")]
    pub upns: Vec<String>,
    /// A CSV file with a header row: upn (required), lifetime_minutes, usable_once (optional).
    #[arg(long, value_name = "FILE", conflicts_with = "upns")]
    pub csv: Option<PathBuf>,
    /// Lifetime in minutes for users without their own (default: the policy's).
    #[arg(long, value_name = "MIN")]
    pub lifetime: Option<u32>,
    /// Make the passes usable once (for users without their own choice).
    #[arg(long)]
    pub once: bool,
    /// Delete a user's current pass and issue a new one (otherwise they are left as they are).
    #[arg(long)]
    pub replace: bool,
    /// Check the policy and every user, issue nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document on stdout instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Runs `tap issue` to completion and returns the exit code. Starts its own tokio runtime, or
/// borrows the current multi-thread one.
pub fn run_cli(args: &TapIssueArgs, graph: GraphClient) -> i32 {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let work = run(args, &graph, &mut stdout, &mut stderr);
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => tokio::task::block_in_place(|| handle.block_on(work)),
        Err(_) => match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(work),
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "cannot start the async runtime: {e}");
                EXIT_FAILED
            }
        },
    }
}

/// Reads the requests named on the command line or in the CSV; every problem is collected.
pub fn read_requests(args: &TapIssueArgs) -> Result<Vec<TapRequest>, Vec<InputError>> {
    let mut errors = Vec::new();
    if let Some(minutes) = args.lifetime
        && let Err(m) = check_lifetime_bounds(minutes)
    {
        errors.push(InputError::new(Place::Flag("--lifetime"), None, m));
    }
    let requests = match (&args.csv, args.upns.is_empty()) {
        (Some(_), false) => {
            errors.push(InputError::new(
                Place::Command,
                None,
                "give either UPNs or --csv FILE, not both",
            ));
            Vec::new()
        }
        (None, true) => {
            errors.push(InputError::new(
                Place::Command,
                None,
                "name at least one user (tap issue adele@contoso.com) or a file (tap issue --csv users.csv)",
            ));
            Vec::new()
        }
        (None, false) => requests_from_args(&args.upns).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        }),
        (Some(path), true) => match std::fs::File::open(path) {
            Ok(file) => parse_csv(std::io::BufReader::new(file)).unwrap_or_else(|e| {
                errors.extend(e);
                Vec::new()
            }),
            Err(e) => {
                errors.push(InputError::new(
                    Place::Command,
                    None,
                    format!("cannot open the CSV file {}: {e}", path.display()),
                ));
                Vec::new()
            }
        },
    };
    if errors.is_empty() {
        Ok(requests)
    } else {
        Err(errors)
    }
}

/// Stops the Ctrl-C listener when `run` returns, however it returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `tap issue` with its output streams given, so tests can read both.
pub async fn run(
    args: &TapIssueArgs,
    graph: &GraphClient,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let requests = match read_requests(args) {
        Ok(r) => r,
        Err(errors) => return report_bad_input(err, &errors),
    };
    // Ctrl-C stops issuing to users not started yet, but lets the passes already issued be
    // printed: killing the process then would lose codes Graph never shows again.
    let cancel = CancellationToken::new();
    let on_interrupt = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        }
    });
    let _stop_listening = AbortOnDrop(on_interrupt);
    let options = IssueOptions {
        default_lifetime: args.lifetime,
        default_usable_once: args.once.then_some(true),
        replace_existing: args.replace,
        cancel: Some(cancel),
        ..IssueOptions::default()
    };
    if args.dry_run {
        return dry_run(args, graph, requests, &options, out, err).await;
    }
    let _ = writeln!(
        err,
        "Checking the Temporary Access Pass policy, then issuing for {} user{}…",
        requests.len(),
        if requests.len() == 1 { "" } else { "s" }
    );
    let upns: Vec<_> = requests.iter().map(|r| r.upn.clone()).collect();
    let result = issue_taps(graph, requests, &options, |p| {
        let _ = writeln!(
            err,
            "[{}/{}] {}: {}",
            p.done,
            p.total,
            p.upn,
            p.status.id().replace('_', " ")
        );
    })
    .await;
    let outcomes = match result {
        Ok(outcomes) => outcomes,
        Err(HelpdeskError::BadInput(errors)) => return report_bad_input(err, &errors),
        Err(HelpdeskError::Policy(reason)) => {
            let _ = writeln!(err, "No pass was issued: {reason}");
            if args.json {
                let all: Vec<Value> = upns
                    .iter()
                    .map(|u| {
                        json!({"upn": u.as_str(), "status": IssueStatus::Failed.id(),
                            "temporary_access_pass": null, "error": reason,
                            "start_date_time": null, "lifetime_in_minutes": null})
                    })
                    .collect();
                let _ = writeln!(out, "{}", Value::Array(all));
            }
            return EXIT_FAILED;
        }
    };
    print_outcomes(args.json, &outcomes, out, err);
    if outcomes.iter().all(|o| o.status.is_issued()) {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// `--dry-run`: every check, no pass. Exit 0 when every user is ready for one.
async fn dry_run(
    args: &TapIssueArgs,
    graph: &GraphClient,
    requests: Vec<TapRequest>,
    options: &IssueOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let rows = match preflight(graph, requests, options).await {
        Ok(rows) => rows,
        Err(HelpdeskError::BadInput(errors)) => return report_bad_input(err, &errors),
        Err(HelpdeskError::Policy(reason)) => {
            let _ = writeln!(err, "Checked nobody: {reason}");
            return EXIT_FAILED;
        }
    };
    for row in &rows {
        let _ = writeln!(err, "{}: {}", row.upn, describe_verdict(&row.verdict));
    }
    let ready = rows.iter().filter(|r| r.verdict == Verdict::Ready).count();
    let _ = writeln!(
        err,
        "Dry run: {ready} of {} ready for a pass; nothing was issued.",
        rows.len()
    );
    if args.json {
        let all: Vec<Value> = rows.iter().map(json_preflight).collect();
        let _ = writeln!(out, "{}", Value::Array(all));
    }
    if ready == rows.len() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

#[cfg(test)]
mod tests;
