//! The session against a scripted lab: the runner (one job per step, cancel, panics), connecting,
//! and "Reset lab" as a queue of reverts on that runner (order, progress, a failing revert,
//! stopping).

use super::*;
use crate::session_file::{SessionFile, SessionKind};
use crate::{Progress, StepError, StepOptions, StepReport, StepStatus};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;

/// A lab whose apply waits until cancelled (or panics, for the panic test); check and revert
/// answer at once unless told otherwise. It records every call, and exercises the runner, not a
/// backend.
#[derive(Default)]
struct Slow {
    file: Arc<tokio::sync::Mutex<SessionFile>>,
    applies: Arc<AtomicUsize>,
    panic_on_apply: bool,
    /// The revert of this step fails as a Graph permission error would.
    failing_revert: Option<Step>,
    /// The revert of this step reports progress, then waits until cancelled.
    stuck_revert: Option<Step>,
    calls: Arc<Mutex<Vec<(Step, JobAction)>>>,
}

const NO_PERMISSION: &str = "Microsoft Graph refused (403): the app lacks Device.ReadWrite.All";

#[async_trait::async_trait]
impl LabBackend for Slow {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            tenant_name: "Test".into(),
            account: "tester".into(),
            kind: SessionKind::Demo,
        }
    }
    fn session_file(&self) -> Arc<tokio::sync::Mutex<SessionFile>> {
        self.file.clone()
    }
    async fn run(
        &self,
        step: Step,
        action: JobAction,
        _options: StepOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<StepReport, StepError> {
        self.calls.lock().unwrap().push((step, action));
        let note = |message: &str| {
            let _ = progress.send(Progress {
                step,
                message: message.into(),
                fraction: Some(0.5),
            });
        };
        match action {
            JobAction::Check => Ok(StepReport::new(step, StepStatus::NotApplied, "not yet")),
            JobAction::Revert if self.failing_revert == Some(step) => {
                Err(StepError::Graph(NO_PERMISSION.into()))
            }
            JobAction::Revert if self.stuck_revert == Some(step) => {
                note("deleting");
                cancel.cancelled().await;
                Err(StepError::Cancelled)
            }
            JobAction::Revert => Ok(StepReport::new(step, StepStatus::NotApplied, "reverted")),
            JobAction::TypeUpn => Ok(StepReport::new(step, StepStatus::NeedsAction, "typed")),
            JobAction::Apply | JobAction::RestartDemoPc | JobAction::TypeTap => {
                self.applies.fetch_add(1, Ordering::SeqCst);
                note("working");
                if self.panic_on_apply {
                    panic!("boom");
                }
                cancel.cancelled().await;
                Err(StepError::Cancelled)
            }
        }
    }
    async fn vm_screen(&self) -> Option<VmScreen> {
        None
    }
}

fn connected_session(runtime: &tokio::runtime::Runtime, lab: Slow) -> (Session, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let mut session = Session::new(
        runtime.handle().clone(),
        Arc::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }),
    );
    let backend = Backend::new(Arc::new(lab)).ephemeral();
    session.connect(
        |_| Box::pin(async move { Ok(backend) }),
        JobInputs::default(),
    );
    (session, wakes)
}

fn session_with(
    runtime: &tokio::runtime::Runtime,
    panic_on_apply: bool,
) -> (Session, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let applies = Arc::new(AtomicUsize::new(0));
    let lab = Slow {
        applies: applies.clone(),
        panic_on_apply,
        ..Slow::default()
    };
    let (session, wakes) = connected_session(runtime, lab);
    (session, applies, wakes)
}

fn wait_until(session: &mut Session, done: impl Fn(&LabState) -> bool) {
    for _ in 0..500 {
        session.drain();
        if done(session.state()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out; state: {:?}", session.state());
}

fn settled(s: &LabState) -> bool {
    !s.busy() && s.connection == Connection::Connected
}

#[test]
fn connecting_checks_every_step_and_wakes_the_ui() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut session, _, wakes) = session_with(&rt, false);
    wait_until(&mut session, |s| {
        Step::ALL
            .iter()
            .all(|step| s.status(*step) == StepStatus::NotApplied)
    });
    assert_eq!(session.state().connection, Connection::Connected);
    assert_eq!(session.state().tenant_name.as_deref(), Some("Test"));
    assert!(wakes.load(Ordering::SeqCst) >= 8);
}

#[test]
fn one_job_per_step_and_cancel_stops_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut session, applies, _) = session_with(&rt, false);
    let step = Step::TapPolicy;
    wait_until(&mut session, |s| s.status(step) == StepStatus::NotApplied);
    let first = session.start(step, JobAction::Apply, JobInputs::default());
    assert!(first.is_ok(), "{first:?}");
    assert_eq!(
        session.start(step, JobAction::Apply, JobInputs::default()),
        Err(NotStarted::StepBusy)
    );
    wait_until(&mut session, |s| {
        s.step(step)
            .running
            .is_some_and(|r| r.progress.as_deref() == Some("working"))
    });
    assert_eq!(applies.load(Ordering::SeqCst), 1);
    session.cancel(step);
    wait_until(&mut session, |s| s.step(step).running.is_none());
    let state = session.state().step(step);
    assert!(state.error.unwrap().starts_with("Cancelled"));
    assert_eq!(
        state.status,
        StepStatus::NotApplied,
        "cancel is not a failure"
    );
}

#[test]
fn a_panicking_controller_becomes_an_error_not_a_crash() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut session, _, _) = session_with(&rt, true);
    let step = Step::MdmUserScope;
    wait_until(&mut session, |s| s.status(step) == StepStatus::NotApplied);
    let _ = session.start(step, JobAction::Apply, JobInputs::default());
    wait_until(&mut session, |s| s.status(step) == StepStatus::Error);
    assert!(
        session
            .state()
            .step(step)
            .error
            .unwrap()
            .contains("internal error")
    );
}

/// The reverts the lab saw during a reset, in order, and the checks that followed them.
fn reset_calls(calls: &Mutex<Vec<(Step, JobAction)>>) -> (Vec<Step>, Vec<Step>) {
    let calls = calls.lock().unwrap();
    let first_revert = calls
        .iter()
        .position(|(_, a)| *a == JobAction::Revert)
        .expect("a revert ran");
    let after: Vec<_> = calls[first_revert..].to_vec();
    let reverts = after
        .iter()
        .filter(|(_, a)| *a == JobAction::Revert)
        .map(|(s, _)| *s)
        .collect();
    let last_revert = after
        .iter()
        .rposition(|(_, a)| *a == JobAction::Revert)
        .unwrap();
    let mut checks: Vec<_> = after[last_revert..]
        .iter()
        .filter(|(_, a)| *a == JobAction::Check)
        .map(|(s, _)| *s)
        .collect();
    checks.sort();
    (reverts, checks)
}

fn last_first() -> Vec<Step> {
    Step::ALL.into_iter().rev().collect()
}

#[test]
fn reset_lab_reverts_every_step_last_first() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lab = Slow::default();
    let calls = lab.calls.clone();
    let (mut session, _) = connected_session(&rt, lab);
    wait_until(&mut session, settled);
    assert_eq!(session.reset_lab(JobInputs::default()), Ok(()));
    assert!(session.state().resetting());
    assert_eq!(
        session.start(Step::MdmUserScope, JobAction::Apply, JobInputs::default()),
        Err(NotStarted::Resetting),
        "nothing else starts beside a reset"
    );
    wait_until(&mut session, |s| !s.resetting());
    let (reverts, checks) = reset_calls(&calls);
    assert_eq!(reverts, last_first(), "one revert per step, last first");
    assert_eq!(checks, Step::ALL.to_vec(), "then every step is checked");
    let reset = session.state().reset.clone().expect("the reset's result");
    assert_eq!(reset.phase, ResetPhase::Done);
    for step in Step::ALL {
        assert_eq!(
            reset.outcome(step),
            Some(&RevertOutcome::Reverted("reverted".into()))
        );
        assert_eq!(
            session.state().step(step).last_action,
            Some(JobAction::Check),
            "{step} was checked again after its revert"
        );
    }
    session.dismiss_reset();
    assert!(session.state().reset.is_none());
}

#[test]
fn a_failing_revert_is_kept_with_its_reason_and_the_reset_goes_on() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lab = Slow {
        failing_revert: Some(Step::Bootstrap),
        ..Slow::default()
    };
    let calls = lab.calls.clone();
    let (mut session, _) = connected_session(&rt, lab);
    wait_until(&mut session, settled);
    session.reset_lab(JobInputs::default()).unwrap();
    wait_until(&mut session, |s| !s.resetting());
    let (reverts, _) = reset_calls(&calls);
    assert_eq!(reverts, last_first(), "the failure did not stop the queue");
    let reset = session.state().reset.clone().unwrap();
    assert_eq!(
        reset.failures().collect::<Vec<_>>(),
        vec![(Step::Bootstrap, NO_PERMISSION)]
    );
    assert_eq!(
        reset.outcome(Step::TapIssued),
        Some(&RevertOutcome::Reverted("reverted".into()))
    );
    assert_eq!(
        session.state().status(Step::Bootstrap),
        StepStatus::NotApplied,
        "the re-check shows where step 7 stands now"
    );
}

#[test]
fn stopping_the_reset_cancels_the_running_revert_and_the_rest_of_the_queue() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lab = Slow {
        stuck_revert: Some(Step::TapIssued),
        ..Slow::default()
    };
    let calls = lab.calls.clone();
    let (mut session, _) = connected_session(&rt, lab);
    wait_until(&mut session, settled);
    session.reset_lab(JobInputs::default()).unwrap();
    wait_until(&mut session, |s| {
        s.step(Step::TapIssued).running.is_some_and(|r| {
            r.action == JobAction::Revert && r.progress.as_deref() == Some("deleting")
        })
    });
    let reset = session.state().reset.clone().unwrap();
    assert_eq!(reset.current(), Some(Step::TapIssued));
    assert_eq!(reset.ended(), 1, "step 7 is done, step 6 is reverting");
    assert_eq!(
        session
            .state()
            .step(Step::TapIssued)
            .running
            .unwrap()
            .note(),
        "Reverting… deleting",
        "each revert's progress reaches the state"
    );
    session.cancel_reset();
    wait_until(&mut session, |s| !s.resetting());
    let (reverts, checks) = reset_calls(&calls);
    assert_eq!(reverts, vec![Step::Bootstrap, Step::TapIssued]);
    assert_eq!(
        checks,
        Step::ALL.to_vec(),
        "a stopped reset still re-checks"
    );
    let reset = session.state().reset.clone().unwrap();
    assert!(reset.stopped);
    assert_eq!(
        reset.outcome(Step::Bootstrap),
        Some(&RevertOutcome::Reverted("reverted".into()))
    );
    assert_eq!(
        reset.outcome(Step::TapIssued),
        Some(&RevertOutcome::Cancelled)
    );
    for step in [Step::TapPolicy, Step::LabVm, Step::MdmUserScope] {
        assert_eq!(reset.outcome(step), Some(&RevertOutcome::NotRun), "{step}");
    }
}

#[test]
fn a_reset_needs_a_connected_idle_lab() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut idle = Session::new(rt.handle().clone(), Arc::new(|| {}));
    assert_eq!(
        idle.reset_lab(JobInputs::default()),
        Err(NotStarted::NotConnected)
    );
    let (mut session, _, _) = session_with(&rt, false);
    wait_until(&mut session, settled);
    session
        .start(Step::TapPolicy, JobAction::Apply, JobInputs::default())
        .unwrap();
    assert_eq!(
        session.reset_lab(JobInputs::default()),
        Err(NotStarted::Busy)
    );
    assert!(session.state().reset.is_none());
}

#[test]
fn cancelling_a_browser_wait_says_so_at_once_ignores_the_late_result_and_can_start_again() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut session = Session::new(rt.handle().clone(), Arc::new(|| {}));
    let saw_cancel = Arc::new(AtomicUsize::new(0));
    let saw = saw_cancel.clone();
    session.connect(
        move |attempt| {
            Box::pin(async move {
                attempt.waiting(
                    "Waiting for the browser…",
                    "Finish signing in in the browser tab that opened.",
                    Duration::from_secs(300),
                );
                attempt.cancelled().await;
                saw.fetch_add(1, Ordering::SeqCst);
                Err("the sign-in was cancelled".into())
            })
        },
        JobInputs::default(),
    );
    wait_until(&mut session, |s| {
        matches!(&s.connection, Connection::Connecting { wait: Some(w) }
            if w.headline == "Waiting for the browser…"
                && w.remaining(std::time::Instant::now()) > Duration::from_secs(290))
    });
    session.cancel_connect();
    assert_eq!(session.state().connection, Connection::Cancelled);
    for _ in 0..100 {
        if saw_cancel.load(Ordering::SeqCst) == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        saw_cancel.load(Ordering::SeqCst),
        1,
        "the connector saw the cancel"
    );
    std::thread::sleep(Duration::from_millis(50));
    session.drain();
    assert_eq!(
        session.state().connection,
        Connection::Cancelled,
        "the cancelled attempt's late error changes nothing"
    );
    let backend = Backend::new(Arc::new(Slow::default())).ephemeral();
    session.connect(
        |_| Box::pin(async move { Ok(backend) }),
        JobInputs::default(),
    );
    wait_until(&mut session, settled);
}

/// A lab whose VM screen is whatever `pixels` holds; it counts how often it was asked.
struct Screens {
    file: Arc<tokio::sync::Mutex<SessionFile>>,
    pixels: Arc<Mutex<Vec<u8>>>,
    asked: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl LabBackend for Screens {
    fn info(&self) -> BackendInfo {
        Slow::default().info()
    }
    fn session_file(&self) -> Arc<tokio::sync::Mutex<SessionFile>> {
        self.file.clone()
    }
    async fn run(
        &self,
        step: Step,
        _action: JobAction,
        _options: StepOptions,
        _progress: ProgressSink,
        _cancel: CancellationToken,
    ) -> Result<StepReport, StepError> {
        Ok(StepReport::new(step, StepStatus::Applied, "done"))
    }
    async fn vm_screen(&self) -> Option<VmScreen> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Some(VmScreen {
            width: 1,
            height: 1,
            rgba: self.pixels.lock().unwrap().clone().into(),
            captured_at: chrono::Utc::now(),
            page: None,
        })
    }
}

#[test]
fn a_watched_vm_screen_wakes_the_ui_only_when_its_pixels_change() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pixels = Arc::new(Mutex::new(vec![1, 2, 3, 255]));
    let asked = Arc::new(AtomicUsize::new(0));
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let mut session = Session::new(
        rt.handle().clone(),
        Arc::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }),
    );
    let backend = Backend::new(Arc::new(Screens {
        file: Arc::default(),
        pixels: pixels.clone(),
        asked: asked.clone(),
    }))
    .ephemeral();
    session.connect(
        |_| Box::pin(async move { Ok(backend) }),
        JobInputs::default(),
    );
    wait_until(&mut session, settled);
    // Let the connect's last events (the checks, the session file's memo) land first.
    let mut before = wakes.load(Ordering::SeqCst);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        session.drain();
        let now = wakes.load(Ordering::SeqCst);
        if now == before {
            break;
        }
        before = now;
    }
    session.watch_screen(Some(Duration::from_millis(10)));
    wait_until(&mut session, |_| asked.load(Ordering::SeqCst) >= 6);
    session.drain();
    assert_eq!(
        wakes.load(Ordering::SeqCst) - before,
        1,
        "six looks at a still screen send it once"
    );
    assert_eq!(
        session.state().vm_screen.as_ref().map(|s| s.rgba.to_vec()),
        Some(vec![1, 2, 3, 255])
    );

    *pixels.lock().unwrap() = vec![9, 9, 9, 255];
    wait_until(&mut session, |s| {
        s.vm_screen
            .as_ref()
            .is_some_and(|v| *v.rgba == [9, 9, 9, 255])
    });
    assert_eq!(wakes.load(Ordering::SeqCst) - before, 2);

    session.watch_screen(None);
    std::thread::sleep(Duration::from_millis(50));
    let stopped_at = asked.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        asked.load(Ordering::SeqCst) <= stopped_at + 1,
        "a stopped watcher looks no more"
    );
}
