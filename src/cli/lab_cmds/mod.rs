//! `check`, `revert`, `tap issue` and the standalone `emulator`, and the environment every lab
//! command starts from; `run` (applying steps headless) is in [`run`].

use super::args::{EmulatorArgs, GlobalArgs, LabArgs, RunArgs};
use super::output::{Outcome, print_human};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::compose::{DemoOptions, EnvError, LabEnv, RealOptions};
use chrono::{DateTime, Utc};
use hb_emulator::{Emulator, EmulatorConfig, FaultRule};
use hb_host::{HostError, ScreenImage};
use hb_lab::StepOptions;
use hb_lab::StepReport;
use hb_lab::session_file::SessionKind;
use hb_lab::{Secret, Step, StepStatus, Upn};
use hb_report::{CapturedImage, ReportData, StepEntry};
use hb_steps as steps;
use serde_json::json;

mod run;

pub use run::{StepTiming, run, run_steps};
/// Builds the environment the flags ask for.
pub async fn environment(global: &GlobalArgs) -> Result<LabEnv, EnvError> {
    if global.demo || global.demo_reset {
        return demo_environment(global).await;
    }
    LabEnv::real(&real_options(global), None).await
}

/// The real tenant's options from the global flags.
pub fn real_options(global: &GlobalArgs) -> RealOptions {
    RealOptions {
        graph_url: global.graph_url.clone(),
        login_url: global.login_url.clone(),
        tenant: global.tenant.clone(),
        client_id: global.client_id.clone(),
        device_code: false,
    }
}

async fn demo_environment(global: &GlobalArgs) -> Result<LabEnv, EnvError> {
    let env = LabEnv::demo(DemoOptions {
        reset: global.demo_reset,
        latency_ms: 0,
        host_time_scale: global.fast.then_some(0.0),
    })
    .await?;
    eprintln!(
        "Demo mode: the offline tenant \"{}\" on this machine, signed in as {}.",
        env.tenant_name, env.account
    );
    Ok(env)
}

fn env_failure(e: EnvError) -> i32 {
    eprintln!("error: {e}");
    if e.is_usage { EXIT_USAGE } else { EXIT_FAILED }
}

/// Remembers `--user` (checked as a UPN when the command line was read, before anything was
/// sent) as the lab user.
async fn apply_user(env: &LabEnv, user: &Option<Upn>) -> Option<Upn> {
    let upn = user.clone()?;
    env.session.lock().await.lab_user = Some(upn.clone());
    Some(upn)
}

async fn save_outcomes(env: &LabEnv, outcomes: &[Outcome]) {
    let mut session = env.session.lock().await;
    for o in outcomes {
        session.remember(o.step(), o.status(), &o.detail());
    }
    if let Err(e) = session.save(env.kind) {
        eprintln!("warning: {e}");
    }
}

fn print_document(env: &LabEnv, outcomes: &[Outcome], with_evidence: bool) {
    let doc = json!({
        "tenant": env.tenant_name,
        "mode": match env.kind { SessionKind::Demo => "demo", SessionKind::Real => "real" },
        "steps": outcomes.iter().map(|o| o.to_json(with_evidence)).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

fn exit_code(outcomes: &[Outcome]) -> i32 {
    if outcomes.iter().any(Outcome::is_bad_input) {
        EXIT_USAGE
    } else if outcomes.iter().all(Outcome::ok) {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// `check`: every step's state, read only.
pub async fn check(global: &GlobalArgs, args: &LabArgs) -> i32 {
    let env = match environment(global).await {
        Ok(env) => env,
        Err(e) => return env_failure(e),
    };
    let user = apply_user(&env, &args.user).await;
    eprintln!("Checking the lab on {} (read only)…", env.tenant_name);
    let mut outcomes = Vec::new();
    for step in Step::ALL {
        let ctx = env.context(StepOptions {
            lab_user: user.clone(),
            ..StepOptions::default()
        });
        let outcome = match steps::controller(step).check(&ctx).await {
            Ok(report) => Outcome::Report(Box::new(report)),
            Err(e) => Outcome::Failed(step, e),
        };
        if !args.json {
            print_human(&outcome);
        }
        outcomes.push(outcome);
    }
    save_outcomes(&env, &outcomes).await;
    if args.json {
        print_document(&env, &outcomes, false);
    }
    // A check succeeds when every step could be read; "not applied" is an answer, not a failure.
    if outcomes.iter().any(Outcome::is_bad_input) {
        EXIT_USAGE
    } else if outcomes.iter().any(|o| matches!(o, Outcome::Failed(..))) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `revert`: undo journaled changes, last step first.
pub async fn revert(global: &GlobalArgs, args: &LabArgs) -> i32 {
    let env = match environment(global).await {
        Ok(env) => env,
        Err(e) => return env_failure(e),
    };
    let journaled: Vec<Step> = {
        let session = env.session.lock().await;
        Step::ALL
            .into_iter()
            .filter(|s| session.journal.for_step(*s).next().is_some())
            .collect()
    };
    if journaled.is_empty() && !args.json {
        eprintln!("Nothing to revert: the journal records no change of ours.");
    }
    let mut outcomes = Vec::new();
    for step in journaled.into_iter().rev() {
        let ctx = env.context(StepOptions::default());
        let outcome = match steps::controller(step).revert(&ctx).await {
            Ok(report) => Outcome::Report(Box::new(report)),
            Err(e) => Outcome::Failed(step, e),
        };
        if !args.json {
            print_human(&outcome);
        }
        outcomes.push(outcome);
    }
    if args.json {
        print_document(&env, &outcomes, true);
    }
    if outcomes.iter().any(|o| matches!(o, Outcome::Failed(..))) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `tap issue`: the help desk's TAPs for one user or a CSV of users.
pub async fn tap_issue(global: &GlobalArgs, args: &hb_helpdesk::cli::TapIssueArgs) -> i32 {
    let env = match environment(global).await {
        Ok(env) => env,
        Err(e) => return env_failure(e),
    };
    let Some(graph) = env.graph.clone() else {
        eprintln!("error: no Microsoft Graph connection");
        return EXIT_FAILED;
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    hb_helpdesk::cli::run(args, &graph, &mut out, &mut err).await
}

/// `emulator`: the emulated cloud, standalone.
pub async fn emulator(args: &EmulatorArgs) -> i32 {
    let faults = match args
        .faults
        .as_deref()
        .map(FaultRule::parse_spec)
        .transpose()
    {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: --faults: {e}");
            return EXIT_USAGE;
        }
    };
    let config = EmulatorConfig {
        port: args.port,
        extra_users: args.users,
        latency_ms: args.latency,
        faults,
        seed: args.seed,
        state_file: args.state.clone(),
    };
    let started = if args.tls {
        match hb_emulator::tls::TlsIdentity::self_signed() {
            Ok(identity) => {
                if let Some(path) = &args.tls_cert
                    && let Err(e) = std::fs::write(path, &identity.cert_pem)
                {
                    eprintln!("error: --tls-cert {}: {e}", path.display());
                    return EXIT_FAILED;
                }
                Emulator::start_tls(config, identity).await
            }
            Err(e) => Err(e),
        }
    } else {
        Emulator::start(config).await
    };
    let handle = match started {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
    };
    // The ready line is the one thing on stdout, so scripts can read it.
    println!("{}", handle.ready_line());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if let Some((fingerprint, _)) = &handle.tls {
        eprintln!("TLS certificate SHA-256 fingerprint: {fingerprint}");
        if let Some(path) = &args.tls_cert {
            eprintln!("TLS certificate (PEM) written to {}", path.display());
        }
    }
    eprintln!(
        "Emulating the tenant \"{}\" at {} (admin {}). Press Ctrl+C to stop.",
        handle.tenant_name, handle.graph_url, handle.admin_upn
    );
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    EXIT_OK
}
