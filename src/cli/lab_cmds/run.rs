//! `run`: the step controllers applied headless in lab order, with the VM's screen captured for
//! `--report`.

use super::*;

/// When a step ran, and the VM's screen when it finished (host steps, for `--report`).
#[derive(Clone, Debug)]
pub struct StepTiming {
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub vm_screen: Option<ScreenImage>,
}

impl StepTiming {
    fn now() -> StepTiming {
        StepTiming {
            started: Utc::now(),
            finished: Utc::now(),
            vm_screen: None,
        }
    }
}

fn vm_image(step: Step, screen: &ScreenImage) -> Result<CapturedImage, String> {
    let n = step.number();
    Ok(CapturedImage::new(
        format!("step-{n}-vm.png"),
        format!("The lab VM's screen when step {n} finished"),
        screen.to_png()?,
    ))
}

/// The lab VM's screen, when the environment has a host and the VM exists; `None` otherwise (a
/// report then just has no VM image for the step).
async fn vm_screen(env: &LabEnv, ctx: &hb_steps::StepContext) -> Option<ScreenImage> {
    let host = env.host.as_ref()?;
    let name = steps::lab_vm::vm_name(ctx);
    match tokio::time::timeout(std::time::Duration::from_secs(20), host.screenshot(&name)).await {
        Ok(Ok(image)) => Some(image),
        _ => None,
    }
}

/// `run`: apply the requested steps in order, stopping at the first failure.
pub async fn run(global: &GlobalArgs, args: &RunArgs) -> i32 {
    let selected = match &args.steps {
        Some(list) => match Step::parse_list(list) {
            Ok(steps) => steps,
            Err(e) => {
                eprintln!("error: --steps: {e}");
                return EXIT_USAGE;
            }
        },
        None => Step::ALL.to_vec(),
    };
    let env = match environment(global).await {
        Ok(env) => env,
        Err(e) => return env_failure(e),
    };
    let user = apply_user(&env, &args.lab.user).await;
    if let Some(graph) = &env.graph {
        // Roles, permissions and licences are checked before anything changes.
        let checked = match &env.auth {
            Some(auth) => auth.preflight(graph, &selected).await,
            None => hb_auth::preflight::preflight(graph, None, &selected).await,
        };
        match checked {
            Ok(identity) => {
                if !args.lab.json {
                    eprintln!(
                        "Signed in as {} ({}).",
                        identity.account, identity.tenant_name
                    );
                }
            }
            Err(e) => {
                eprintln!("error: {e}. Nothing was changed.");
                return EXIT_FAILED;
            }
        }
        // A tenant that would make the VM's first start fail is named before step 1 changes it.
        if selected.contains(&Step::Bootstrap)
            && let Err(e) = readiness(&env, user.as_ref(), !args.lab.json).await
        {
            eprintln!("error: {e}. Nothing was changed.");
            return EXIT_FAILED;
        }
    }
    let (outcomes, times) = run_steps(&env, &selected, user, args, !args.lab.json).await;
    save_outcomes(&env, &outcomes).await;
    if let Some(path) = &args.report {
        let mut data = ReportData::new(env.tenant_name.clone(), env.kind);
        for (outcome, timing) in outcomes.iter().zip(&times) {
            let report = match outcome {
                Outcome::Report(r) => (**r).clone(),
                other => StepReport::new(other.step(), other.status(), other.detail()),
            };
            let mut entry =
                StepEntry::from_report(&report, Some(timing.started), Some(timing.finished));
            if let Some(screen) = &timing.vm_screen {
                match vm_image(report.step, screen) {
                    Ok(image) => entry = entry.with_vm_image(image),
                    Err(e) => {
                        eprintln!("warning: the VM screen of {} is left out: {e}", report.step)
                    }
                }
            }
            data.steps.push(entry);
        }
        match hb_report::write_report(path, &data) {
            Ok((html, json)) => eprintln!(
                "Lab report written to {} and {}.",
                html.display(),
                json.display()
            ),
            Err(e) => {
                eprintln!("error: cannot write the report: {e}");
                return EXIT_FAILED;
            }
        }
    }
    if args.lab.json {
        print_document(&env, &outcomes, true);
    } else {
        for o in &outcomes {
            if let Outcome::Report(r) = o
                && let Some(tap) = &r.secret
            {
                // The TAP goes to stdout only, once.
                println!("Temporary Access Pass: {}", tap.expose());
            }
        }
        let changed = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Report(r) if r.changed))
            .count();
        if changed == 0 && outcomes.iter().all(Outcome::ok) {
            eprintln!("Nothing changed: every step was already as the lab needs it.");
        } else {
            eprintln!("{changed} step(s) changed.");
        }
    }
    exit_code(&outcomes)
}

/// Applies steps in order; the TAP from step 6 is handed to step 7 in memory.
pub async fn run_steps(
    env: &LabEnv,
    selected: &[Step],
    user: Option<Upn>,
    args: &RunArgs,
    human: bool,
) -> (Vec<Outcome>, Vec<StepTiming>) {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut times = Vec::new();
    let mut tap: Option<Secret> = None;
    for &step in selected {
        if let Some(failed) = outcomes.iter().find(|o| !o.ok()) {
            let why = format!("skipped: step {} did not succeed", failed.step().number());
            outcomes.push(Outcome::Skipped(step, why));
            times.push(StepTiming::now());
            continue;
        }
        if human {
            eprintln!("… {step}");
        }
        let options = StepOptions {
            lab_user: user.clone(),
            tap: tap.clone(),
            tap_lifetime_minutes: args.tap_lifetime,
            tap_usable_once: args.tap_once.then_some(true),
            iso_path: args.iso.clone(),
            tap_replace: args.replace_tap,
            ..StepOptions::default()
        };
        let ctx = env.context(options);
        let started = Utc::now();
        let mut result = steps::controller(step).apply(&ctx).await;
        if let Some(host) = env.host.as_deref()
            && step == Step::HypervFeature
            && matches!(&result, Ok(r) if r.status == StepStatus::NeedsAction)
        {
            // The demo PC restarts for the presenter; a real PC only by the person's hand, so
            // step 3's "restart the PC" stands.
            if human && env.kind == SessionKind::Demo {
                eprintln!("       Demo: restarting the emulated PC to finish the Hyper-V install…");
            }
            match host.restart_pc().await {
                Ok(()) => result = steps::controller(step).apply(&ctx).await,
                Err(HostError::RestartByHand) => {}
                Err(e) => result = Err(e.into()),
            }
        }
        if step == Step::Bootstrap
            && tap.is_none()
            && matches!(&result, Ok(r) if r.status == StepStatus::NeedsAction)
            && let Some(at) = outcomes
                .iter()
                .position(|o| matches!(o, Outcome::Report(r) if r.step == Step::TapIssued))
        {
            // Step 6 found a pass whose code is gone (issued by a run that was killed or a PC
            // that restarted): a fresh one replaces it, so step 7 has a code to type.
            if human {
                eprintln!(
                    "       The code of the lab user's Temporary Access Pass is gone; issuing a fresh one that replaces it…"
                );
            }
            let reissue = env.context(StepOptions {
                reissue_tap: true,
                ..ctx.options.clone()
            });
            match steps::controller(Step::TapIssued).apply(&reissue).await {
                Ok(report) if report.secret.is_some() => {
                    tap = report.secret.clone();
                    let fresh = Outcome::Report(Box::new(report));
                    if human {
                        print_human(&fresh);
                    }
                    outcomes[at] = fresh;
                    let ctx = env.context(StepOptions {
                        tap: tap.clone(),
                        ..ctx.options.clone()
                    });
                    result = steps::controller(step).apply(&ctx).await;
                }
                Ok(_) => {}
                Err(e) => result = Err(e),
            }
        }
        let outcome = match result {
            Ok(report) => {
                if report.secret.is_some() {
                    tap = report.secret.clone();
                }
                Outcome::Report(Box::new(report))
            }
            Err(e) => Outcome::Failed(step, e),
        };
        if human {
            print_human(&outcome);
        }
        let finished = Utc::now();
        let vm_screen = match (&outcome, args.report.is_some() && step.is_host_step()) {
            (Outcome::Report(_), true) => vm_screen(env, &ctx).await,
            _ => None,
        };
        outcomes.push(outcome);
        times.push(StepTiming {
            started,
            finished,
            vm_screen,
        });
    }
    (outcomes, times)
}
