//! `check`, `revert`, `tap issue` and the standalone `emulator`, and the environment every lab
//! command starts from; `run` (applying steps headless) is in [`run`].

use super::args::{EmulatorArgs, GlobalArgs, LabArgs, RunArgs};
use super::output::{Outcome, print_human};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::compose::{DemoOptions, EnvError, LabEnv, RealOptions};
use chrono::{DateTime, Utc};
use hb_emulator::{Emulator, EmulatorConfig};
use hb_host::{HostError, ScreenImage};
use hb_lab::StepOptions;
use hb_lab::StepReport;
use hb_lab::session_file::SessionKind;
use hb_lab::{Secret, Step, StepStatus, Upn};
use hb_report::{CapturedImage, ReportData, StepEntry};
use hb_steps as steps;
use serde_json::json;

mod run;
pub mod typing;

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

/// The demo's options from the global flags (`--demo-reset`, `--faults`, `--latency`, `--seed`).
pub fn demo_options(global: &GlobalArgs) -> DemoOptions {
    let latency = global.faults.latency;
    DemoOptions {
        reset: global.demo_reset,
        latency_ms: latency.map_or(0, |l| l.min_ms),
        latency_max_ms: latency.map_or(0, |l| l.max_ms),
        faults: global
            .faults
            .faults
            .as_ref()
            .map(|f| f.rules.clone())
            .unwrap_or_default(),
        fault_seed: global.faults.seed,
        host_time_scale: global.fast.then_some(0.0),
        propagation: global.propagation.delays(),
    }
}

/// The demo's faults and latency in words, when any were asked for.
pub fn demo_fault_summary(global: &GlobalArgs) -> Option<String> {
    demo_options(global).fault_summary(global.faults.faults.as_ref().map(|f| f.spec.as_str()))
}

async fn demo_environment(global: &GlobalArgs) -> Result<LabEnv, EnvError> {
    let env = LabEnv::demo(demo_options(global)).await?;
    eprintln!(
        "Demo mode: the offline tenant \"{}\" on this machine, signed in as {}.",
        env.tenant_name, env.account
    );
    if let Some(faults) = demo_fault_summary(global) {
        eprintln!("Demo faults on: {faults}.");
    }
    if let Some(delays) = global.propagation.delays().summary() {
        eprintln!("Demo propagation delays on: {delays}.");
    }
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

/// Tenant readiness (licences, enrollment restrictions, join policy, security defaults, MAM
/// scope), printed before anything changes; `Err` names what would make OOBE fail.
async fn readiness(env: &LabEnv, user: Option<&Upn>, print: bool) -> Result<(), String> {
    readiness_rows(env, user, print).await.1
}

/// The readiness rows (empty without a tenant) and whether any would make OOBE fail.
async fn readiness_rows(
    env: &LabEnv,
    user: Option<&Upn>,
    print: bool,
) -> (Vec<steps::readiness::ReadinessRow>, Result<(), String>) {
    let Some(graph) = &env.graph else {
        return (Vec::new(), Ok(()));
    };
    let session_user = env.session.lock().await.lab_user.clone();
    let lab_user = user.cloned().or(session_user);
    let rows = steps::readiness::check_readiness(graph, lab_user.as_ref()).await;
    if print {
        eprintln!("Tenant readiness:");
        for line in steps::readiness::describe(&rows) {
            eprintln!("{line}");
        }
    }
    let blocking: Vec<&str> = rows
        .iter()
        .filter(|r| r.state == steps::readiness::ReadinessState::NotReady)
        .filter(|r| r.item != steps::readiness::ReadinessItem::SecurityDefaults)
        .map(|r| r.item.label())
        .collect();
    let verdict = if blocking.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the tenant is not ready for the lab: {}",
            blocking.join("; ")
        ))
    };
    (rows, verdict)
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
    let (ready_rows, verdict) = readiness_rows(&env, user.as_ref(), !args.json).await;
    if let Err(e) = verdict {
        eprintln!("warning: {e}.");
    }
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
        let doc = json!({
            "tenant": env.tenant_name,
            "mode": match env.kind { SessionKind::Demo => "demo", SessionKind::Real => "real" },
            "readiness": ready_rows,
            "steps": outcomes.iter().map(|o| o.to_json(false)).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
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
    // Each revert's roles are checked before the first one starts, so a revert this account
    // may not finish is refused whole and the journal keeps every change to undo later.
    if let Some(graph) = &env.graph
        && !journaled.is_empty()
        && let Err(e) = hb_auth::preflight::preflight_revert(graph, None, &journaled).await
    {
        eprintln!("error: {e}. Nothing was reverted; the journal still holds every change.");
        return EXIT_FAILED;
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

/// The help-desk commands' Graph connection, signed in for help-desk work only
/// ([`hb_helpdesk::HELPDESK_SCOPES`], none of the lab's, so an Authentication Administrator can
/// run them); `Err` is the exit code after saying why. In demo mode it keeps the emulated cloud
/// alive, which must outlive every call.
async fn helpdesk_graph(
    global: &GlobalArgs,
) -> Result<crate::compose::helpdesk::HelpdeskConnection, i32> {
    use crate::compose::helpdesk::{connect_demo, connect_real};
    let connected = if global.demo || global.demo_reset {
        connect_demo(
            &demo_options(global),
            &crate::compose::env::DemoCloud::default(),
            None,
        )
        .await
    } else {
        let real = real_options(global);
        connect_real(
            &real,
            &hb_auth::cli::AuthOptions::from_real(&real, false),
            None,
        )
        .await
    };
    let connection = connected.map_err(env_failure)?;
    if global.demo || global.demo_reset {
        eprintln!("Demo mode: the offline tenant on this machine, signed in for help-desk work.");
    }
    Ok(connection)
}

/// `tap issue`: the help desk's TAPs for one user or a CSV of users.
pub async fn tap_issue(global: &GlobalArgs, args: &hb_helpdesk::cli::TapIssueArgs) -> i32 {
    let connection = match helpdesk_graph(global).await {
        Ok(connected) => connected,
        Err(code) => return code,
    };
    let graph = &connection.graph;
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    hb_helpdesk::cli::run(args, graph, &mut out, &mut err).await
}

/// `tap list UPN`: a user's pass, never its code.
pub async fn tap_list(global: &GlobalArgs, args: &hb_helpdesk::cli::TapListArgs) -> i32 {
    let connection = match helpdesk_graph(global).await {
        Ok(connected) => connected,
        Err(code) => return code,
    };
    let graph = &connection.graph;
    hb_helpdesk::cli::run_list(args, graph, &mut std::io::stdout(), &mut std::io::stderr()).await
}

/// `tap revoke UPN`: deletes a user's pass.
pub async fn tap_revoke(global: &GlobalArgs, args: &hb_helpdesk::cli::TapRevokeArgs) -> i32 {
    let connection = match helpdesk_graph(global).await {
        Ok(connected) => connected,
        Err(code) => return code,
    };
    let graph = &connection.graph;
    hb_helpdesk::cli::run_revoke(args, graph, &mut std::io::stdout(), &mut std::io::stderr()).await
}

/// `emulator`: the emulated cloud, standalone.
pub async fn emulator(global: &GlobalArgs, args: &EmulatorArgs) -> i32 {
    let flags = &global.faults;
    let config = EmulatorConfig {
        port: args.port,
        extra_users: args.users,
        latency_ms: flags.latency.map_or(0, |l| l.min_ms),
        latency_max_ms: flags.latency.map_or(0, |l| l.max_ms),
        faults: flags
            .faults
            .as_ref()
            .map(|f| f.rules.clone())
            .unwrap_or_default(),
        seed: flags.seed.unwrap_or(42),
        fault_seed: None,
        state_file: args.state.clone(),
        ..Default::default()
    };
    // The replication lags asked for (`--device-delay`, `--sign-in-delay`, `--tap-delay`).
    let config = EmulatorConfig {
        propagation: global.propagation.delays(),
        ..config
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
    if let Some(delays) = global.propagation.delays().summary() {
        eprintln!("Propagation delays on: {delays}.");
    }
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    EXIT_OK
}
