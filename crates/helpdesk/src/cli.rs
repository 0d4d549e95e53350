//! `hello-bootstrap tap issue UPN... | --csv FILE [--lifetime MIN] [--once] [--replace] [--dry-run] [--json]`:
//! people read stderr, the passes go to stdout only, and the exit code says how it went
//! (0 all issued, 1 some not, 2 bad input and nothing issued).

use super::csv_input::parse_csv;
use super::input::{InputError, Place, TapRequest, check_lifetime_bounds, requests_from_args};
use super::issue::{HelpdeskError, IssueOptions, IssueOutcome, IssueStatus, issue_taps, preflight};
use super::user_check::{PreflightRow, Verdict};
use hb_graph::GraphClient;
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

fn report_bad_input(err: &mut dyn Write, errors: &[InputError]) -> i32 {
    let _ = writeln!(err, "Nothing was issued. Fix the input and run again:");
    for e in errors {
        let _ = writeln!(err, "  {e}");
    }
    EXIT_BAD_INPUT
}

/// Stops the Ctrl-C listener when `run` returns, however it returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One user's line in the `--json` output; the pass appears here and nowhere else.
fn json_outcome(o: &IssueOutcome) -> Value {
    json!({
        "upn": o.upn.as_str(),
        "status": o.status.id(),
        "temporary_access_pass": o.tap.as_ref().map(|t| t.expose()),
        "error": o.error,
        "start_date_time": o.start_date_time,
        "lifetime_in_minutes": o.lifetime_in_minutes,
    })
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

fn describe_verdict(verdict: &Verdict) -> String {
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

fn json_preflight(row: &PreflightRow) -> Value {
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

fn print_outcomes(json: bool, outcomes: &[IssueOutcome], out: &mut dyn Write, err: &mut dyn Write) {
    let issued = outcomes.iter().filter(|o| o.status.is_issued()).count();
    for o in outcomes.iter().filter(|o| !o.status.is_issued()) {
        let _ = writeln!(
            err,
            "{}: {}",
            o.upn,
            o.error.as_deref().unwrap_or("no pass issued")
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
                    o.upn,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(upns: &[&str]) -> TapIssueArgs {
        TapIssueArgs {
            upns: upns.iter().map(|s| s.to_string()).collect(),
            ..TapIssueArgs::default()
        }
    }

    #[test]
    fn input_problems_are_all_collected() {
        let mut a = args(&["bob@", "adele@contoso.com"]);
        a.lifetime = Some(5);
        let texts: Vec<String> = read_requests(&a)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(
            texts[0].starts_with("--lifetime: 5 minutes is outside"),
            "{texts:?}"
        );
        assert!(
            texts[1].starts_with("UPN argument 1: 'bob@' has no domain"),
            "{texts:?}"
        );
        assert!(
            read_requests(&args(&[])).unwrap_err()[0]
                .message
                .contains("at least one user")
        );
        let mut both = args(&["a@b.com"]);
        both.csv = Some("x.csv".into());
        assert!(
            read_requests(&both).unwrap_err()[0]
                .message
                .contains("not both")
        );
        let mut missing = args(&[]);
        missing.csv = Some("/nonexistent/users.csv".into());
        assert!(
            read_requests(&missing).unwrap_err()[0]
                .message
                .contains("cannot open the CSV file /nonexistent/users.csv")
        );
    }

    fn unreachable_graph() -> GraphClient {
        let config = hb_graph::GraphConfig::from_root("http://127.0.0.1:9").unwrap();
        let token = hb_graph::StaticToken(hb_lab::Secret::new("unused"));
        GraphClient::new(config, std::sync::Arc::new(token)).unwrap()
    }

    #[test]
    fn run_cli_exits_2_on_bad_input_with_or_without_a_runtime() {
        assert_eq!(
            run_cli(&args(&["bob@"]), unreachable_graph()),
            EXIT_BAD_INPUT
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let code = rt.block_on(async {
            tokio::spawn(async { run_cli(&args(&[]), unreachable_graph()) })
                .await
                .unwrap()
        });
        assert_eq!(code, EXIT_BAD_INPUT);
    }

    #[test]
    fn clap_parses_the_documented_command_line() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            tap: TapIssueArgs,
        }
        let cli = Cli::try_parse_from([
            "tap",
            "a@b.com",
            "c@d.com",
            "--lifetime",
            "60",
            "--once",
            "--json",
        ])
        .unwrap();
        assert_eq!(cli.tap.upns, vec!["a@b.com", "c@d.com"]);
        assert_eq!(cli.tap.lifetime, Some(60));
        assert!(cli.tap.once && cli.tap.json && !cli.tap.replace && !cli.tap.dry_run);
        let cli = Cli::try_parse_from(["tap", "a@b.com", "--dry-run", "--replace"]).unwrap();
        assert!(cli.tap.dry_run && cli.tap.replace);
        let cli = Cli::try_parse_from(["tap", "--csv", "u.csv"]).unwrap();
        assert_eq!(cli.tap.csv, Some(PathBuf::from("u.csv")));
        assert!(Cli::try_parse_from(["tap", "a@b.com", "--csv", "u.csv"]).is_err());
    }
}
