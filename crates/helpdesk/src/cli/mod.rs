//! `hello-bootstrap tap issue UPN... | --csv FILE [--lifetime MIN] [--once] [--start ISO8601]
//! [--replace] [--allow-privileged] [--dry-run] [--json] [--output FILE]`, `tap list UPN`,
//! `tap revoke UPN`, `tap audit`. People read stderr; passes go to stdout (or `--output`) only;
//! the exit code says how it went (0 every user got a pass, 1 some did not, 2 bad usage).
//! SIGINT, SIGTERM and SIGHUP stop new work, let the requests in flight finish, and print every
//! result so far: a pass already issued is never lost to a kill.

mod other;
mod output;
mod signals;

use super::audit::{self, AuditEntry};
use super::bulk::{IssueEvent, IssueOptions, issue_taps};
use super::csv_input::parse_csv;
use super::input::{InputError, Place, TapRequest, check_lifetime_bounds, parse_start, parse_upn};
use super::outcome::IssueOutcome;
use hb_graph::GraphClient;
pub use other::{TapAuditArgs, TapListArgs, TapRevokeArgs, run_audit, run_list, run_revoke};
use output::{Sink, usage_error};
use std::io::Write;
use std::path::PathBuf;

/// Exit code: every user got a pass.
pub const EXIT_OK: i32 = 0;
/// Exit code: at least one user got no pass (skipped or failed).
pub const EXIT_FAILED: i32 = 1;
/// Exit code: the command line or the file as a whole was wrong; nothing was sent.
pub const EXIT_BAD_INPUT: i32 = 2;

/// The `tap` subcommands, ready to embed in the main CLI.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum TapArgs {
    /// Issue a TAP to one or more users, or to every user of a CSV file; shown once.
    Issue(TapIssueArgs),
    /// A user's Temporary Access Pass (start, lifetime, one-time; never the code).
    List(TapListArgs),
    /// Delete a user's Temporary Access Pass.
    Revoke(TapRevokeArgs),
    /// The local audit trail of passes issued and revoked on this machine.
    Audit(TapAuditArgs),
}

/// The arguments of `tap issue`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TapIssueArgs {
    /// Users to issue a pass for, by sign-in name (e.g. adele.vance@contoso.com).
    #[arg(value_name = "UPN")]
    pub upns: Vec<String>,
    /// A CSV file (comma or semicolon): header with upn, and optionally lifetime_minutes,
    /// usable_once, start.
    #[arg(long, value_name = "FILE", conflicts_with = "upns")]
    pub csv: Option<PathBuf>,
    /// Lifetime in minutes for users without their own (default: the policy's).
    #[arg(long, value_name = "MIN")]
    pub lifetime: Option<u32>,
    /// Make the passes usable once (for users without their own choice).
    #[arg(long)]
    pub once: bool,
    /// When the passes start working, ISO 8601 (e.g. 2026-06-05T08:00:00Z; default: now).
    #[arg(long, value_name = "ISO8601")]
    pub start: Option<String>,
    /// Issue a new pass to users who hold one (the current one stops working).
    #[arg(long)]
    pub replace: bool,
    /// Also issue to users who hold a privileged directory role (e.g. Global Administrator).
    #[arg(long)]
    pub allow_privileged: bool,
    /// Check the policy and every user, issue nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document on stdout instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Write the passes to this new file (created readable by you only) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// `$batch` calls in flight at most (default 8; fewer when Graph throttles).
    #[arg(long, value_name = "N", hide = true)]
    pub concurrency: Option<usize>,
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

/// What the command line and the file ask for: requests to send, and rows set aside (each
/// already a skipped result with its line).
#[derive(Debug)]
pub struct ReadInput {
    pub requests: Vec<TapRequest>,
    pub rejected: Vec<IssueOutcome>,
    pub start: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads the users named on the command line or in the CSV. `Err` only for usage errors (no
/// users, both sources, a bad option, a file that cannot be used); bad rows or arguments are
/// set aside with their place and the rest go ahead.
pub fn read_requests(args: &TapIssueArgs) -> Result<ReadInput, Vec<InputError>> {
    let mut errors = Vec::new();
    if let Some(minutes) = args.lifetime
        && let Err(m) = check_lifetime_bounds(minutes)
    {
        errors.push(InputError::new(Place::Flag("--lifetime"), None, m));
    }
    let start = match args.start.as_deref().map(parse_start).transpose() {
        Ok(s) => s,
        Err(m) => {
            errors.push(InputError::new(Place::Flag("--start"), None, m));
            None
        }
    };
    let mut input = ReadInput {
        requests: Vec::new(),
        rejected: Vec::new(),
        start,
    };
    match (&args.csv, args.upns.is_empty()) {
        (Some(_), false) => errors.push(InputError::new(
            Place::Command,
            None,
            "give either UPNs or --csv FILE, not both",
        )),
        (None, true) => errors.push(InputError::new(
            Place::Command,
            None,
            "name at least one user (tap issue adele@contoso.com) or a file (tap issue --csv users.csv)",
        )),
        (None, false) => {
            for (i, raw) in args.upns.iter().enumerate() {
                let place = Place::Argument(i + 1);
                match parse_upn(raw) {
                    Ok(upn) => match super::input::find_duplicate(&input.requests, &upn) {
                        Some(Place::Argument(first)) => input.rejected.push(IssueOutcome::skipped(
                            None,
                            raw.clone(),
                            format!("UPN argument {}: '{upn}' is already argument {first}; each user gets one pass", i + 1),
                        )),
                        _ => input.requests.push(TapRequest::new(upn, place)),
                    },
                    Err(m) => input.rejected.push(IssueOutcome::skipped(
                        None,
                        raw.clone(),
                        InputError::new(place, None, m).to_string(),
                    )),
                }
            }
        }
        (Some(path), true) => match std::fs::File::open(path) {
            Ok(file) => match parse_csv(std::io::BufReader::new(file)) {
                Ok(csv) => {
                    input.requests = csv.requests;
                    input.rejected = csv
                        .rejected
                        .iter()
                        .map(|r| IssueOutcome::skipped(Some(r.line), r.upn.clone(), r.reason()))
                        .collect();
                }
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(InputError::new(
                Place::Command,
                None,
                format!("cannot open the CSV file {}: {e}", path.display()),
            )),
        },
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// The signed-in account for the audit trail.
async fn actor(graph: &GraphClient) -> String {
    match hb_graph::api::directory::me(graph).await {
        Ok(me) => me.user_principal_name,
        Err(_) => "unknown (the signed-in account could not be read)".into(),
    }
}

/// `tap issue` with its output streams given, so tests can read both.
pub async fn run(
    args: &TapIssueArgs,
    graph: &GraphClient,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let input = match read_requests(args) {
        Ok(input) => input,
        Err(errors) => return usage_error(args.json, out, err, &errors),
    };
    let mut sink = match Sink::new(args, out, err) {
        Ok(sink) => sink,
        Err(errors) => return usage_error(args.json, out, err, &errors),
    };
    let options = IssueOptions {
        default_lifetime: args.lifetime,
        default_usable_once: args.once.then_some(true),
        default_start: input.start,
        replace_existing: args.replace,
        allow_privileged: args.allow_privileged,
        dry_run: args.dry_run,
        concurrency: args.concurrency.unwrap_or(0),
        cancel: Default::default(),
    };
    let total = input.requests.len() + input.rejected.len();
    sink.begin(total, input.requests.len());
    for rejected in input.rejected {
        sink.result(rejected);
    }
    let mut signals = signals::Signals::listen();
    let actor = if args.dry_run || input.requests.is_empty() {
        String::new()
    } else {
        actor(graph).await
    };
    let cancel = options.cancel.clone();
    let mut finished = false;
    {
        let sink_ref = &mut sink;
        let mut work = Box::pin(issue_taps(
            graph,
            &input.requests,
            &options,
            |event| match event {
                IssueEvent::Note(note) => sink_ref.note(&note),
                IssueEvent::Result { outcome, .. } => sink_ref.result(outcome),
            },
        ));
        tokio::select! {
            _ = &mut work => finished = true,
            name = signals.next() => {
                cancel.cancel();
                signals::say_stopping(name);
                tokio::select! {
                    _ = &mut work => finished = true,
                    name = signals.next() => signals::say_abandoning(name),
                }
            }
        }
    }
    if !finished {
        sink.abandon(&input.requests);
    }
    let entries: Vec<AuditEntry> = sink
        .outcomes()
        .iter()
        .filter_map(|o| AuditEntry::of_outcome(&actor, o, chrono::Utc::now()))
        .collect();
    if let Err(e) = audit::append(&audit::default_path(), &entries) {
        sink.note(&format!("warning: {e}"));
    }
    sink.finish(&input.requests)
}

#[cfg(test)]
mod tests;
