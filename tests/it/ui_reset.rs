//! "Reset lab" in the wizard, driven by accessible labels on the demo (in-process emulator and
//! emulated host, in a temporary home). Each revert is held at its end until the test lets it go,
//! so the progress dialog can be read one revert at a time; checks and applies run straight
//! through on the demo's own controllers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::compose::{DemoOptions, LabEnv};
use hello_bootstrap::lab::session::{
    Backend, BackendInfo, Connection, JobAction, LabBackend, ProgressSink, RevertOutcome, VmScreen,
};
use hello_bootstrap::lab::session_file::SessionFile;
use hello_bootstrap::lab::{Step, StepError, StepOptions, StepReport, StepStatus};
use hello_bootstrap::steps::backend::ControllerBackend;
use hello_bootstrap::ui::{AppOptions, Connector, HelloApp, Page, build_app};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// The demo's controllers, with each revert waiting at its end for a permit from the test; one
/// step's revert can be made to fail as a Graph permission error would.
struct Paced {
    inner: ControllerBackend,
    gate: Arc<Semaphore>,
    failing_revert: Option<(Step, String)>,
}

#[async_trait]
impl LabBackend for Paced {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }
    fn session_file(&self) -> Arc<tokio::sync::Mutex<SessionFile>> {
        self.inner.session_file()
    }
    async fn run(
        &self,
        step: Step,
        action: JobAction,
        options: StepOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<StepReport, StepError> {
        if action != JobAction::Revert {
            return self
                .inner
                .run(step, action, options, progress, cancel)
                .await;
        }
        let result = match &self.failing_revert {
            Some((failing, why)) if *failing == step => Err(StepError::Graph(why.clone())),
            _ => {
                self.inner
                    .run(step, action, options, progress, cancel)
                    .await
            }
        };
        self.gate
            .acquire()
            .await
            .expect("the gate stays open")
            .forget();
        result
    }
    async fn vm_screen(&self) -> Option<VmScreen> {
        self.inner.vm_screen().await
    }
}

/// Starts the demo as the shipped connector does, behind [`Paced`].
fn paced_connector(gate: Arc<Semaphore>, failing_revert: Option<(Step, String)>) -> Connector {
    Arc::new(move |_demo| {
        let (gate, failing_revert) = (gate.clone(), failing_revert.clone());
        Box::pin(async move {
            let env = LabEnv::demo(DemoOptions::default())
                .await
                .map_err(|e| e.message)?;
            let inner = ControllerBackend {
                info: BackendInfo {
                    tenant_name: env.tenant_name,
                    account: env.account,
                    kind: env.kind,
                },
                graph: env.graph,
                host: env.host,
                session: env.session,
                keepalive: env.keepalive,
            };
            Ok(Backend::new(Arc::new(Paced {
                inner,
                gate,
                failing_revert,
            })))
        })
    })
}

fn demo_harness(
    home: &std::path::Path,
    presenter: bool,
    connector: Connector,
) -> Harness<'static, HelloApp> {
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home) };
    Harness::builder()
        .with_size([1180.0, 900.0])
        .build_eframe(move |cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    presenter,
                    connector,
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        })
}

/// Steps the UI while background jobs run, until `done` holds or the time runs out.
fn wait_for(harness: &mut Harness<'_, HelloApp>, what: &str, done: impl Fn(&HelloApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness.state()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            harness.state().lab().reset
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

/// Steps the UI until a node with exactly this label is on screen.
fn wait_for_label(harness: &mut Harness<'_, HelloApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.query_by_label(label).is_none() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for \"{label}\" (page {:?}, reset {:?})",
            harness.state().page(),
            harness.state().lab().reset
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start_demo(harness: &mut Harness<'_, HelloApp>) {
    harness.run();
    harness.get_by_label("Start the demo").click();
    wait_for(harness, "the demo to start and be checked", |app| {
        app.lab().connection == Connection::Connected && !app.lab().busy()
    });
    harness.get_by_role_and_label(Role::Button, "Next").click();
    harness.run_steps(2);
}

/// On each step's page in turn, applies it (restarting the demo PC for Hyper-V), then Next.
fn apply(harness: &mut Harness<'_, HelloApp>, steps: &[Step]) {
    for &step in steps {
        assert_eq!(harness.state().page(), Page::Step(step));
        wait_for(harness, &format!("{step}'s re-check"), |app| {
            app.lab().step(step).running.is_none()
        });
        if !harness.state().lab().status(step).is_done() {
            harness
                .get_by_role_and_label(Role::Button, &format!("Apply step {}", step.number()))
                .click();
            harness.run_steps(2);
            wait_for(harness, &format!("{step} to finish"), |app| {
                app.lab().step(step).running.is_none()
            });
        }
        if harness.state().lab().status(step) == StepStatus::NeedsAction {
            harness.get_by_label("Restart the demo PC").click();
            harness.run_steps(2);
            wait_for(harness, "the demo PC to restart", |app| {
                app.lab().step(step).running.is_none()
            });
        }
        let state = harness.state().lab().step(step);
        assert_eq!(state.status, StepStatus::Applied, "{step}: {state:?}");
        harness.get_by_role_and_label(Role::Button, "Next").click();
        harness.run_steps(2);
    }
}

fn confirm_reset(harness: &mut Harness<'_, HelloApp>) {
    wait_for(harness, "the last checks to finish", |app| {
        !app.lab().busy()
    });
    let button = harness
        .get_all_by_role_and_label(Role::Button, "Reset lab")
        .next()
        .expect("a Reset lab button");
    assert!(
        !button.accesskit_node().is_disabled(),
        "{:?}",
        harness.state().lab()
    );
    button.click();
    // A dialog's first frame only measures it; it is on screen from the next one.
    wait_for_label(harness, "Reset the lab?");
    harness.get_by_label("Yes, reset the lab").click();
    wait_for_label(harness, "Resetting the lab");
    assert!(harness.query_by_label("Reset the lab?").is_none());
    assert_eq!(
        harness.state().page(),
        Page::Welcome,
        "the reset runs over the Welcome page it ends on"
    );
}

/// Waits until the dialog says `step` is being reverted as the `nth` of seven, and checks its
/// row says so in words.
fn see_reverting(harness: &mut Harness<'_, HelloApp>, step: Step, nth: usize) {
    wait_for_label(harness, &format!("Reverting {step} ({nth} of 7)"));
    harness.get_by_label(&format!("{step}: Reverting"));
    assert!(
        harness
            .query_all_by_label_contains("Reverting…")
            .next()
            .is_some(),
        "the running revert's progress is in words"
    );
}

/// How the reset's row says `step`'s revert ended, by the verdict icon's accessible label.
fn row_verdict(harness: &Harness<'_, HelloApp>, step: Step) -> &'static str {
    let verdicts = ["Reverted", "Failed", "Cancelled", "Not run"];
    let found: Vec<_> = verdicts
        .into_iter()
        .filter(|v| harness.query_by_label(&format!("{step}: {v}")).is_some())
        .collect();
    assert_eq!(found.len(), 1, "{step}: one verdict, got {found:?}");
    found[0]
}

/// Every step was checked after `since`, and nothing runs any more.
fn assert_every_step_rechecked(harness: &Harness<'_, HelloApp>, since: DateTime<Utc>) {
    let lab = harness.state().lab();
    assert!(!lab.busy() && !lab.resetting());
    for step in Step::ALL {
        let state = lab.step(step);
        assert_eq!(
            state.last_action,
            Some(JobAction::Check),
            "{step}: {state:?}"
        );
        assert!(state.updated_at.is_some_and(|at| at > since), "{step}");
    }
}

#[test]
fn reset_lab_after_the_whole_demo_shows_each_revert_and_ends_on_welcome_rechecked() {
    let home = tempfile::tempdir().expect("temp dir");
    let gate = Arc::new(Semaphore::new(0));
    let mut harness = demo_harness(home.path(), false, paced_connector(gate.clone(), None));
    start_demo(&mut harness);
    apply(&mut harness, &Step::ALL);
    assert_eq!(harness.state().page(), Page::Summary);
    harness.get_by_label("The lab is complete");
    assert!(harness.state().lab().tap.is_some());

    let started = Utc::now();
    confirm_reset(&mut harness);
    let last_first: Vec<Step> = Step::ALL.into_iter().rev().collect();
    for (i, &step) in last_first.iter().enumerate() {
        see_reverting(&mut harness, step, i + 1);
        if matches!(step, Step::Bootstrap | Step::LabVm) {
            // The controller's own note: the VM goes back to its OOBE checkpoint.
            wait_for(&mut harness, &format!("{step}'s progress note"), |app| {
                app.lab()
                    .step(step)
                    .running
                    .and_then(|r| r.progress)
                    .is_some_and(|p| p.starts_with("Restoring"))
            });
            harness.get_by_label_contains("Reverting… Restoring");
        }
        if let Some(&before) = i.checked_sub(1).and_then(|p| last_first.get(p)) {
            let verdict = row_verdict(&harness, before);
            assert!(
                verdict == "Reverted" || (before == Step::Bootstrap && verdict == "Failed"),
                "{before} ended {verdict} while {step} reverts"
            );
        }
        assert!(
            !harness
                .get_by_role_and_label(Role::Button, "Stop the reset")
                .accesskit_node()
                .is_disabled()
        );
        gate.add_permits(1);
    }
    wait_for(&mut harness, "the reset to finish", |app| {
        !app.lab().resetting()
    });

    assert_eq!(harness.state().page(), Page::Welcome);
    assert!(harness.query_by_label("Resetting the lab").is_none());
    assert_every_step_rechecked(&harness, started);
    let reset = harness
        .state()
        .lab()
        .reset
        .clone()
        .expect("the reset's result");
    let failures: Vec<(Step, String)> = reset
        .failures()
        .map(|(s, why)| (s, why.to_string()))
        .collect();
    match failures.as_slice() {
        [] => {
            harness.get_by_label("The lab was reset");
        }
        [(Step::Bootstrap, why)] => {
            // Step 7's delete scopes are not requested in the demo yet: the presenter reads why,
            // and every other step was still reverted.
            harness.get_by_label("The lab was reset, but 1 step could not be reverted");
            harness.get_by_label(&format!("Could not revert: {why}"));
            harness.get_by_label_contains("Fix the cause the message names");
        }
        other => panic!("unexpected failed reverts: {other:?}"),
    }
    for step in Step::ALL {
        let expected = if failures.iter().any(|(s, _)| *s == step) {
            "Failed"
        } else {
            "Reverted"
        };
        assert_eq!(row_verdict(&harness, step), expected, "{step}");
    }
    harness.get_by_label_contains("every step was checked again");
    assert!(
        harness.state().lab().tap.is_none(),
        "the reset forgets the TAP"
    );
    assert_eq!(
        harness.state().lab().status(Step::TapIssued),
        StepStatus::NotApplied,
        "the TAP was deleted"
    );
    let file: SessionFile = serde_json::from_slice(
        &std::fs::read(home.path().join("config/session-demo.json")).expect("the session file"),
    )
    .expect("session file JSON");
    for step in Step::ALL {
        let memo = &file.steps[&step];
        assert!(
            memo.updated_at.is_some_and(|at| at > started),
            "{step}: {memo:?}"
        );
        assert_eq!(memo.status, harness.state().lab().status(step), "{step}");
    }
    assert!(
        !harness
            .get_by_role_and_label(Role::Button, "Next")
            .accesskit_node()
            .is_disabled(),
        "the lab can run again"
    );
    harness.get_by_label("Dismiss").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("The lab was reset")
            .is_none()
    );
    assert!(harness.state().lab().reset.is_none());
}

#[test]
fn a_failing_revert_is_shown_and_the_reset_goes_on_until_it_is_stopped() {
    let home = tempfile::tempdir().expect("temp dir");
    let gate = Arc::new(Semaphore::new(0));
    let why = "Microsoft Graph refused the request (403 Forbidden): the signed-in app lacks Policy.ReadWrite.AuthenticationMethod.";
    let connector = paced_connector(gate.clone(), Some((Step::TapPolicy, why.to_string())));
    let mut harness = demo_harness(home.path(), true, connector);
    start_demo(&mut harness);
    apply(
        &mut harness,
        &[
            Step::MdmUserScope,
            Step::WhfbEnrollment,
            Step::HypervFeature,
        ],
    );

    let started = Utc::now();
    confirm_reset(&mut harness);
    for (nth, step) in [
        (1, Step::Bootstrap),
        (2, Step::TapIssued),
        (3, Step::TapPolicy),
    ] {
        see_reverting(&mut harness, step, nth);
        gate.add_permits(1);
    }
    see_reverting(&mut harness, Step::LabVm, 4);
    harness.get_by_label(&format!("Could not revert: {why}"));
    assert_eq!(row_verdict(&harness, Step::TapPolicy), "Failed");
    gate.add_permits(1);
    see_reverting(&mut harness, Step::HypervFeature, 5);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::Button, "Stop the reset")
        .click();
    harness.run_steps(2);
    wait_for(&mut harness, "the stopped reset to finish", |app| {
        !app.lab().resetting()
    });

    assert_eq!(harness.state().page(), Page::Welcome);
    assert_every_step_rechecked(&harness, started);
    harness.get_by_label("The lab was reset, but 1 step could not be reverted");
    harness.get_by_label(&format!("Could not revert: {why}"));
    harness.get_by_label_contains("before the reset was stopped");
    for (step, verdict) in [
        (Step::Bootstrap, "Reverted"),
        (Step::TapIssued, "Reverted"),
        (Step::TapPolicy, "Failed"),
        (Step::LabVm, "Reverted"),
        (Step::HypervFeature, "Cancelled"),
        (Step::WhfbEnrollment, "Not run"),
        (Step::MdmUserScope, "Not run"),
    ] {
        assert_eq!(row_verdict(&harness, step), verdict, "{step}");
    }
    let reset = harness.state().lab().reset.clone().unwrap();
    assert_eq!(
        reset.outcome(Step::HypervFeature),
        Some(&RevertOutcome::Cancelled)
    );
    for step in [Step::MdmUserScope, Step::WhfbEnrollment] {
        assert_eq!(
            harness.state().lab().status(step),
            StepStatus::Applied,
            "{step} was never reverted: the queue stopped"
        );
    }
    assert_eq!(
        harness.state().lab().status(Step::HypervFeature),
        StepStatus::Applied,
        "Hyper-V stays on"
    );
}
