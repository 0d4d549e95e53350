//! The wizard's lab session: it turns requests from the UI into controller jobs on the app-owned
//! tokio runtime and folds their events back into [`LabState`], plain data the pages render.
//!
//! Data flows one way: UI → [`Session`] method → job on the runtime → [`JobEvent`] over a channel
//! (every send wakes the UI) → [`Session::drain`] once per frame → [`LabState`] → UI.

use super::session_file::{SessionFile, SessionKind};
use super::{
    Evidence, Progress, Secret, Step, StepError, StepOptions, StepReport, StepStatus, Upn,
};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// What a job does with its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobAction {
    Check,
    Apply,
    Revert,
    /// Demo only: restart the emulated PC (Hyper-V's restart), then apply again.
    RestartDemoPc,
}

impl JobAction {
    /// Words for a progress line ("Checking…").
    pub fn running_text(self) -> &'static str {
        match self {
            JobAction::Check => "Checking",
            JobAction::Apply => "Applying",
            JobAction::Revert => "Reverting",
            JobAction::RestartDemoPc => "Restarting the demo PC",
        }
    }

    /// How long a job may take before it is stopped with a clear error. Step 7 waits for a person
    /// to sign in at the VM, so its apply gets longer.
    pub fn time_limit(self, step: Step) -> Duration {
        match (self, step) {
            (JobAction::Check, _) => Duration::from_secs(90),
            (
                JobAction::Apply | JobAction::RestartDemoPc,
                Step::Bootstrap | Step::LabVm | Step::HypervFeature,
            ) => Duration::from_secs(30 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }
}

/// Where the connection to the tenant and host stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Connection {
    #[default]
    NotConnected,
    Connecting,
    Connected,
    /// Connecting failed; the text says why and what to do.
    Failed(String),
}

/// A job that is running now, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningJob {
    pub action: JobAction,
    /// The last progress note, if the controller sent one.
    pub progress: Option<String>,
    pub fraction: Option<f32>,
}

/// Everything the wizard knows about one step: plain data, cheap to clone, safe to show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepState {
    pub status: StepStatus,
    /// What the last check/apply/revert said, for people.
    pub detail: String,
    /// Whether the last apply or revert changed anything.
    pub changed: bool,
    /// The evidence of the last report (before/after, requests, link, validation rows).
    pub evidence: Evidence,
    /// The action of the last finished job, so the page can say "Applied" vs "Checked".
    pub last_action: Option<JobAction>,
    pub running: Option<RunningJob>,
    /// Why the last job failed (what to do), when it did.
    pub error: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl StepState {
    /// Whether the wizard may move on from this step.
    pub fn is_done(&self) -> bool {
        self.status.is_done()
    }
}

/// The TAP step 6 issued, kept in memory only for showing it once and for step 7's sign-in.
#[derive(Clone, Debug)]
pub struct IssuedTap {
    pub code: Secret,
    pub issued_at: DateTime<Utc>,
}

/// One frame of the lab VM's screen (RGBA, row-major), as the host captured it.
#[derive(Clone, Debug, PartialEq)]
pub struct VmScreen {
    pub width: usize,
    pub height: usize,
    pub rgba: Arc<[u8]>,
    pub captured_at: DateTime<Utc>,
}

/// A still frame of RGBA pixels (row-major) kept for the lab report, such as the wizard page.
#[derive(Clone, PartialEq)]
pub struct CaptureFrame {
    pub width: usize,
    pub height: usize,
    pub rgba: Arc<[u8]>,
}

impl std::fmt::Debug for CaptureFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaptureFrame({}x{})", self.width, self.height)
    }
}

/// What the lab report keeps of a step's last successful apply: when it ran and how the page and
/// the VM looked when it finished. Never a secret: step 6's page is not captured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepCapture {
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The wizard page (when a renderer could capture it).
    pub page: Option<CaptureFrame>,
    /// The VM's screen (host steps, when the host could capture it).
    pub vm: Option<VmScreen>,
}

/// The lab as the UI renders it.
#[derive(Clone, Debug, Default)]
pub struct LabState {
    pub connection: Connection,
    pub tenant_name: Option<String>,
    pub account: Option<String>,
    pub kind: Option<SessionKind>,
    pub steps: BTreeMap<Step, StepState>,
    /// The TAP from step 6 (never saved, never logged).
    pub tap: Option<IssuedTap>,
    /// Whether "Reset lab" is running now.
    pub resetting: bool,
    /// The latest frame of the VM's screen, when a host sends one (host steps show it).
    pub vm_screen: Option<VmScreen>,
    /// Per step, what its last successful apply left for the lab report.
    pub captures: BTreeMap<Step, StepCapture>,
}

impl LabState {
    /// The state of one step (a default one when nothing is known yet).
    pub fn step(&self, step: Step) -> StepState {
        self.steps.get(&step).cloned().unwrap_or_default()
    }

    /// The status of one step.
    pub fn status(&self, step: Step) -> StepStatus {
        self.steps.get(&step).map(|s| s.status).unwrap_or_default()
    }

    /// Whether any job runs now.
    pub fn busy(&self) -> bool {
        self.resetting || self.steps.values().any(|s| s.running.is_some())
    }

    fn step_mut(&mut self, step: Step) -> &mut StepState {
        self.steps.entry(step).or_default()
    }
}

/// Who and what a connected session talks to, shown in the top bar.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendInfo {
    pub tenant_name: String,
    pub account: String,
    pub kind: SessionKind,
}

/// Where progress notes of a running job go (the session forwards them to the UI).
pub type ProgressSink = tokio::sync::mpsc::UnboundedSender<Progress>;

/// What the session needs from a connected lab: run one action of one step, show the VM's
/// screen, and the session file. The composition layer builds it (step controllers on a real
/// tenant and host, or on the demo tenant and emulated host); the session never knows which.
#[async_trait::async_trait]
pub trait LabBackend: Send + Sync {
    /// Who and what this backend talks to.
    fn info(&self) -> BackendInfo;

    /// The session file the jobs journal into and the session remembers statuses in.
    fn session_file(&self) -> Arc<tokio::sync::Mutex<SessionFile>>;

    /// Runs one action of one step; sends progress notes to `progress`; stops when `cancel` is
    /// cancelled. The session adds the time limit and turns panics into errors.
    async fn run(
        &self,
        step: Step,
        action: JobAction,
        options: StepOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<StepReport, StepError>;

    /// The lab VM's screen now, when the host can capture it.
    async fn vm_screen(&self) -> Option<VmScreen>;
}

/// A connected lab: where the steps run and who we are.
#[derive(Clone)]
pub struct Backend {
    pub info: BackendInfo,
    lab: Arc<dyn LabBackend>,
    /// Whether step results and the current step are written to the session file.
    persist: bool,
}

impl Backend {
    /// A backend that runs its jobs on `lab`.
    pub fn new(lab: Arc<dyn LabBackend>) -> Self {
        Backend {
            info: lab.info(),
            lab,
            persist: true,
        }
    }

    /// A backend that never writes the session file (previews, and tests without a temp home).
    pub fn ephemeral(mut self) -> Self {
        self.persist = false;
        self
    }
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("info", &self.info).finish()
    }
}

/// A future that connects to a lab (starts the demo tenant, or signs in to a real one).
pub type Connecting = Pin<Box<dyn Future<Output = Result<Backend, String>> + Send>>;

/// Identifies one job so a late event of a replaced job is ignored.
type JobId = u64;

/// What a background job reports. Sent over the session's channel; each send wakes the UI.
#[derive(Debug)]
pub enum JobEvent {
    Connected(Result<Backend, String>),
    Progress {
        job: JobId,
        progress: Progress,
    },
    Finished {
        job: JobId,
        step: Step,
        action: JobAction,
        result: Result<StepReport, String>,
    },
    /// A new frame of the VM's screen from the host.
    Screen(VmScreen),
    /// The VM's screen taken when a host step's apply finished, for the report.
    StepScreen(Step, VmScreen),
    /// The wizard page captured after the apply of `step` that finished at `finished_at`.
    PageCaptured {
        step: Step,
        finished_at: DateTime<Utc>,
        frame: CaptureFrame,
    },
    /// What the session file remembered about each step (for resume), read after connecting.
    Remembered(BTreeMap<Step, StepStatus>),
    ResetDone,
}

/// The sending half of the event channel: every send wakes the UI.
#[derive(Clone)]
pub struct EventSender {
    tx: mpsc::Sender<JobEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl EventSender {
    /// Sends an event and wakes the UI; a closed channel (app closing) is fine to ignore.
    pub fn send(&self, event: JobEvent) {
        if self.tx.send(event).is_ok() {
            (self.wake)();
        }
    }
}

/// The lab session the wizard drives.
pub struct Session {
    runtime: Handle,
    events: EventSender,
    inbox: mpsc::Receiver<JobEvent>,
    backend: Option<Backend>,
    jobs: HashMap<Step, (JobId, CancellationToken)>,
    reset_cancel: Option<CancellationToken>,
    next_job: JobId,
    /// When the running apply of each step started (for the report's timestamps).
    apply_started: HashMap<Step, DateTime<Utc>>,
    /// Answers that controllers need (the lab user), set by the welcome page.
    pub lab_user: Option<Upn>,
    /// The Windows 11 ISO for step 4 on a real host, set on that step's page.
    pub iso_path: Option<std::path::PathBuf>,
    state: LabState,
}

impl Session {
    /// A session whose jobs run on `runtime`; `wake` is called after every event (the UI passes
    /// `ctx.request_repaint()`).
    pub fn new(runtime: Handle, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let (tx, inbox) = mpsc::channel();
        Session {
            runtime,
            events: EventSender { tx, wake },
            inbox,
            backend: None,
            jobs: HashMap::new(),
            reset_cancel: None,
            next_job: 1,
            apply_started: HashMap::new(),
            lab_user: None,
            iso_path: None,
            state: LabState::default(),
        }
    }

    /// What the UI renders.
    pub fn state(&self) -> &LabState {
        &self.state
    }

    /// Replaces the state wholesale (tests and previews inject a state without any backend).
    pub fn set_state(&mut self, state: LabState) {
        self.state = state;
    }

    /// A sender for events from outside a job, such as a host watcher sending VM screens.
    pub fn events(&self) -> EventSender {
        self.events.clone()
    }

    /// Whether a backend is connected.
    pub fn is_connected(&self) -> bool {
        self.backend.is_some()
    }

    /// Starts connecting; the result arrives as an event. Ignored while already connecting.
    pub fn connect(&mut self, connecting: Connecting) {
        if self.state.connection == Connection::Connecting {
            return;
        }
        self.state.connection = Connection::Connecting;
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let result = AssertUnwindSafe(connecting)
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err("starting the lab failed unexpectedly".into()));
            events.send(JobEvent::Connected(result));
        });
    }

    /// Applies every event that arrived since the last frame. Returns whether anything changed.
    pub fn drain(&mut self) -> bool {
        let mut changed = false;
        while let Ok(event) = self.inbox.try_recv() {
            changed = true;
            self.apply_event(event);
        }
        changed
    }

    fn apply_event(&mut self, event: JobEvent) {
        match event {
            JobEvent::Connected(Ok(backend)) => {
                self.state.connection = Connection::Connected;
                self.state.tenant_name = Some(backend.info.tenant_name.clone());
                self.state.account = Some(backend.info.account.clone());
                self.state.kind = Some(backend.info.kind);
                self.backend = Some(backend);
                self.remember_from_file();
                for step in Step::ALL {
                    self.check(step);
                }
            }
            JobEvent::Connected(Err(reason)) => {
                self.state.connection = Connection::Failed(reason);
            }
            JobEvent::Progress { job, progress } => {
                if self.is_current(progress.step, job)
                    && let Some(running) = &mut self.state.step_mut(progress.step).running
                {
                    running.progress = Some(progress.message);
                    running.fraction = progress.fraction;
                }
            }
            JobEvent::Finished {
                job,
                step,
                action,
                result,
            } => {
                if job != 0 && !self.is_current(step, job) {
                    return;
                }
                self.jobs.remove(&step);
                let changed_something = action != JobAction::Check && result.is_ok();
                let applied =
                    matches!(action, JobAction::Apply | JobAction::RestartDemoPc) && result.is_ok();
                let started_at = self.apply_started.remove(&step);
                self.finish(step, action, result);
                if applied {
                    self.state.captures.insert(
                        step,
                        StepCapture {
                            started_at,
                            finished_at: Some(Utc::now()),
                            page: None,
                            vm: None,
                        },
                    );
                }
                // The next step's last check may predate this change (step 4 needs step 3).
                if changed_something
                    && !self.state.resetting
                    && let Some(next) = step.next()
                {
                    self.check(next);
                }
                if step.is_host_step() {
                    self.capture_screen_for(applied.then_some(step));
                }
            }
            JobEvent::Remembered(memo) => {
                for (step, status) in memo {
                    let state = self.state.step_mut(step);
                    if state.status == StepStatus::Unknown && state.running.is_some() {
                        state.status = status;
                    }
                }
            }
            JobEvent::Screen(screen) => self.state.vm_screen = Some(screen),
            JobEvent::StepScreen(step, screen) => {
                if let Some(capture) = self.state.captures.get_mut(&step) {
                    capture.vm = Some(screen.clone());
                }
                self.state.vm_screen = Some(screen);
            }
            JobEvent::PageCaptured {
                step,
                finished_at,
                frame,
            } => {
                if let Some(capture) = self.state.captures.get_mut(&step)
                    && capture.finished_at == Some(finished_at)
                {
                    capture.page = Some(frame);
                }
            }
            JobEvent::ResetDone => {
                self.state.resetting = false;
                self.reset_cancel = None;
                self.state.tap = None;
            }
        }
    }

    fn is_current(&self, step: Step, job: JobId) -> bool {
        self.jobs.get(&step).is_some_and(|(id, _)| *id == job)
    }

    fn finish(&mut self, step: Step, action: JobAction, result: Result<StepReport, String>) {
        let state = self.state.step_mut(step);
        state.running = None;
        state.last_action = Some(action);
        state.updated_at = Some(Utc::now());
        match result {
            Ok(mut report) => {
                state.status = report.status;
                state.detail = report.detail.clone();
                state.changed = report.changed;
                state.evidence = report.evidence.clone();
                state.error = None;
                if let Some(code) = report.secret.take() {
                    self.state.tap = Some(IssuedTap {
                        code,
                        issued_at: Utc::now(),
                    });
                }
                if step == Step::TapIssued && action == JobAction::Revert {
                    self.state.tap = None;
                }
            }
            Err(reason) if reason == CANCELLED => {
                state.error = Some(
                    "Cancelled. Nothing more was changed; check again to see where it stands."
                        .into(),
                );
            }
            Err(reason) => {
                state.status = StepStatus::Error;
                state.error = Some(reason);
            }
        }
    }

    /// Reads the step statuses the session file remembers, so a resumed wizard shows them while
    /// the fresh checks run.
    fn remember_from_file(&self) {
        let Some(backend) = &self.backend else { return };
        let file = backend.lab.session_file();
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let memo = file
                .lock()
                .await
                .steps
                .iter()
                .map(|(step, memo)| (*step, memo.status))
                .collect();
            events.send(JobEvent::Remembered(memo));
        });
    }

    /// Asks the host for the VM's screen; the frame arrives as an event. Quietly does nothing
    /// without a host or a VM (the page then shows no screen).
    pub fn capture_screen(&self) {
        self.capture_screen_for(None);
    }

    /// Captures the VM's screen; with `Some(step)`, it is also kept as that step's report image.
    fn capture_screen_for(&self, step: Option<Step>) {
        let Some(backend) = &self.backend else { return };
        let lab = backend.lab.clone();
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let shot = tokio::time::timeout(Duration::from_secs(20), lab.vm_screen()).await;
            if let Ok(Some(screen)) = shot {
                events.send(match step {
                    Some(step) => JobEvent::StepScreen(step, screen),
                    None => JobEvent::Screen(screen),
                });
            }
        });
    }

    /// Demo only: restarts the emulated PC for step 3, then applies it again.
    pub fn restart_demo_pc(&mut self, step: Step) {
        self.start(step, JobAction::RestartDemoPc);
    }

    /// Runs the read-only check of a step.
    pub fn check(&mut self, step: Step) {
        self.start(step, JobAction::Check);
    }

    /// Applies a step.
    pub fn apply(&mut self, step: Step) {
        self.start(step, JobAction::Apply);
    }

    /// Reverts a step to its journaled original.
    pub fn revert(&mut self, step: Step) {
        self.start(step, JobAction::Revert);
    }

    /// Cancels the running job of a step, if any.
    pub fn cancel(&mut self, step: Step) {
        if let Some((_, cancel)) = self.jobs.get(&step) {
            cancel.cancel();
        }
    }

    /// Records the step the wizard shows, in the session file (for resume across the CLI too).
    pub fn remember_current_step(&self, step: Option<Step>) {
        let Some(backend) = self.backend.as_ref().filter(|b| b.persist) else {
            return;
        };
        let (file, kind) = (backend.lab.session_file(), backend.info.kind);
        self.runtime.spawn(async move {
            let mut file = file.lock().await;
            if file.current_step != step {
                file.current_step = step;
                if let Err(e) = file.save(kind) {
                    tracing::warn!("could not remember the current step: {e}");
                }
            }
        });
    }

    fn options(&self, step: Step) -> StepOptions {
        StepOptions {
            lab_user: self.lab_user.clone(),
            tap: (step == Step::Bootstrap)
                .then(|| self.state.tap.as_ref().map(|t| t.code.clone()))
                .flatten(),
            iso_path: self.iso_path.clone(),
            ..Default::default()
        }
    }

    /// Starts one job for a step unless one already runs for it (one job per step at a time).
    fn start(&mut self, step: Step, action: JobAction) {
        if self.jobs.contains_key(&step) || self.state.resetting {
            return;
        }
        let Some(backend) = &self.backend else {
            self.state.step_mut(step).error =
                Some("Not connected yet: start the demo or sign in on the Welcome page.".into());
            return;
        };
        let job = self.next_job;
        self.next_job += 1;
        let (progress_tx, progress_rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let options = self.options(step);
        let (lab, persist, kind) = (backend.lab.clone(), backend.persist, backend.info.kind);
        self.jobs.insert(step, (job, cancel.clone()));
        if matches!(action, JobAction::Apply | JobAction::RestartDemoPc) {
            self.apply_started.insert(step, Utc::now());
        }
        let state = self.state.step_mut(step);
        state.running = Some(RunningJob {
            action,
            progress: None,
            fraction: None,
        });
        state.error = None;
        self.runtime
            .spawn(forward_progress(job, progress_rx, self.events.clone()));
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let file = lab.session_file();
            let result = run_job(&*lab, step, action, options, Some(progress_tx), cancel).await;
            if let (Ok(report), true) = (&result, persist) {
                remember_in_file(&file, kind, report).await;
            }
            events.send(JobEvent::Finished {
                job,
                step,
                action,
                result,
            });
        });
    }

    /// Reverts every step in reverse lab order, one after the other ("Reset lab").
    pub fn reset_lab(&mut self) {
        if self.state.busy() {
            return;
        }
        let Some(backend) = self.backend.clone() else {
            return;
        };
        self.state.resetting = true;
        let cancel = CancellationToken::new();
        self.reset_cancel = Some(cancel.clone());
        let events = self.events.clone();
        let lab_user = self.lab_user.clone();
        self.runtime.spawn(async move {
            for step in Step::ALL.into_iter().rev() {
                if cancel.is_cancelled() {
                    break;
                }
                let options = StepOptions {
                    lab_user: lab_user.clone(),
                    ..Default::default()
                };
                let result = run_job(
                    &*backend.lab,
                    step,
                    JobAction::Revert,
                    options,
                    None,
                    cancel.child_token(),
                )
                .await;
                events.send(JobEvent::Finished {
                    job: 0,
                    step,
                    action: JobAction::Revert,
                    result,
                });
            }
            events.send(JobEvent::ResetDone);
        });
    }

    /// Stops "Reset lab" after the step it is reverting now.
    pub fn cancel_reset(&mut self) {
        if let Some(cancel) = &self.reset_cancel {
            cancel.cancel();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for (_, cancel) in self.jobs.values() {
            cancel.cancel();
        }
        self.cancel_reset();
    }
}

const CANCELLED: &str = "cancelled";

async fn forward_progress(
    job: JobId,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Progress>,
    events: EventSender,
) {
    while let Some(progress) = rx.recv().await {
        events.send(JobEvent::Progress { job, progress });
    }
}

/// Runs one job on the backend, cancellable and time-limited; a panic becomes an error, never a
/// crash.
async fn run_job(
    lab: &dyn LabBackend,
    step: Step,
    action: JobAction,
    options: StepOptions,
    progress: Option<ProgressSink>,
    cancel: CancellationToken,
) -> Result<StepReport, String> {
    let limit = action.time_limit(step);
    let progress = progress.unwrap_or_else(|| tokio::sync::mpsc::unbounded_channel().0);
    let work = lab.run(step, action, options, progress, cancel.clone());
    let guarded = AssertUnwindSafe(tokio::time::timeout(limit, work)).catch_unwind();
    tokio::select! {
        _ = cancel.cancelled() => Err(CANCELLED.to_string()),
        outcome = guarded => match outcome {
            Ok(Ok(Ok(report))) => Ok(report),
            Ok(Ok(Err(StepError::Cancelled))) => Err(CANCELLED.to_string()),
            Ok(Ok(Err(e))) => Err(e.to_string()),
            Ok(Err(_elapsed)) => Err(format!(
                "{} took longer than {} minutes and was stopped; check again, then retry.",
                step,
                limit.as_secs() / 60
            )),
            Err(_panic) => Err(format!(
                "{step} stopped on an internal error; check again, and report it if it repeats."
            )),
        },
    }
}

/// Keeps the session file's memory of step statuses current, for resume and the CLI.
async fn remember_in_file(
    file: &tokio::sync::Mutex<SessionFile>,
    kind: SessionKind,
    report: &StepReport,
) {
    let mut file = file.lock().await;
    file.remember(report.step, report.status, &report.detail);
    if let Err(e) = file.save(kind) {
        tracing::warn!("could not remember {}: {e}", report.step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StepStatus;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A lab whose apply waits until cancelled (or panics, for the panic test); check and revert
    /// answer at once. It exercises the runner, not a backend.
    struct Slow {
        file: Arc<tokio::sync::Mutex<SessionFile>>,
        applies: Arc<AtomicUsize>,
        panic_on_apply: bool,
    }

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
            match action {
                JobAction::Check => Ok(StepReport::new(step, StepStatus::NotApplied, "not yet")),
                JobAction::Revert => Ok(StepReport::new(step, StepStatus::NotApplied, "reverted")),
                JobAction::Apply | JobAction::RestartDemoPc => {
                    self.applies.fetch_add(1, Ordering::SeqCst);
                    let _ = progress.send(Progress {
                        step,
                        message: "working".into(),
                        fraction: Some(0.5),
                    });
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

    fn session_with(
        runtime: &tokio::runtime::Runtime,
        panic_on_apply: bool,
    ) -> (Session, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        let mut session = Session::new(
            runtime.handle().clone(),
            Arc::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let applies = Arc::new(AtomicUsize::new(0));
        let backend = Backend::new(Arc::new(Slow {
            file: Arc::new(tokio::sync::Mutex::new(SessionFile::default())),
            applies: applies.clone(),
            panic_on_apply,
        }))
        .ephemeral();
        session.connect(Box::pin(async move { Ok(backend) }));
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
        session.apply(step);
        session.apply(step);
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
        session.apply(step);
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

    #[test]
    fn reset_lab_reverts_every_step_last_first() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (mut session, _, _) = session_with(&rt, false);
        wait_until(&mut session, |s| {
            !s.busy() && s.connection == Connection::Connected
        });
        session.reset_lab();
        assert!(session.state().resetting);
        wait_until(&mut session, |s| !s.resetting);
        for step in Step::ALL {
            assert_eq!(
                session.state().step(step).last_action,
                Some(JobAction::Revert)
            );
        }
    }
}
