//! The one job runner: every check, apply and revert (and so every revert of a "Reset lab") is a
//! job started here on the app-owned runtime, one per step at a time, with a typed [`JobId`],
//! progress forwarded to the UI, cancel, a time limit, panics turned into errors, and the
//! session-file memo of its result.

use super::backend::{Backend, JobAction, LabBackend, ProgressSink};
use super::events::{EventSender, JobEvent};
use super::persistence;
use crate::{Progress, Secret, Step, StepError, StepOptions, StepReport, Upn};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// Identifies one job, so a late event of a job that was replaced is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// What a person chose that jobs need. It travels with each request to the session (and from
/// there with each job it starts) instead of living in fields the UI sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobInputs {
    /// The lab user: step 6 issues their TAP, step 7 signs them in. `None` leaves the choice to
    /// the backend (the demo tenant's lab user, or the one the session file remembers).
    pub lab_user: Option<Upn>,
    /// The Windows 11 ISO for step 4 on a real host.
    pub iso_path: Option<PathBuf>,
    /// Step 6: the person confirmed replacing a pass this lab did not issue.
    pub tap_replace: bool,
}

/// Why the session did not start what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotStarted {
    /// No lab is connected yet, so there is nothing to run the job on.
    #[error("not connected yet: start the demo or sign in on the Welcome page")]
    NotConnected,
    /// One job per step at a time: this step's job has not finished.
    #[error("a job for this step is running already")]
    StepBusy,
    /// A reset starts only when no job runs (it must not race a running apply).
    #[error("a job is running; wait until it finishes")]
    Busy,
    /// A reset holds the runner until it ends; nothing else starts beside it.
    #[error("the lab is being reset")]
    Resetting,
}

/// The error text of a cancelled job, so the reducer can tell a cancel from a failure.
pub(super) const CANCELLED: &str = "cancelled";

/// A job the runner started and has not seen finish.
pub(super) struct Running {
    pub id: JobId,
    cancel: CancellationToken,
    /// The inputs it ran with, reused by the checks that follow it.
    pub inputs: JobInputs,
    /// When it started (the report's apply timestamps).
    pub started_at: DateTime<Utc>,
}

/// Starts jobs on the runtime and keeps one per step.
pub(super) struct Runner {
    runtime: Handle,
    events: EventSender,
    running: HashMap<Step, Running>,
    next: u64,
}

impl Runner {
    pub fn new(runtime: Handle, events: EventSender) -> Self {
        Runner {
            runtime,
            events,
            running: HashMap::new(),
            next: 1,
        }
    }

    /// The app-owned runtime (persistence and screen captures run there too).
    pub fn runtime(&self) -> &Handle {
        &self.runtime
    }

    /// Where background work sends its events.
    pub fn events(&self) -> &EventSender {
        &self.events
    }

    /// Whether `job` is the job running for `step` now.
    pub fn is_current(&self, step: Step, job: JobId) -> bool {
        self.running.get(&step).is_some_and(|r| r.id == job)
    }

    /// Starts `action` on `step` unless a job for that step runs already. `tap` is step 6's pass
    /// for step 7's sign-in (memory only).
    pub fn spawn(
        &mut self,
        backend: &Backend,
        step: Step,
        action: JobAction,
        inputs: JobInputs,
        tap: Option<Secret>,
    ) -> Result<JobId, NotStarted> {
        if self.running.contains_key(&step) {
            return Err(NotStarted::StepBusy);
        }
        let id = JobId(self.next);
        self.next += 1;
        let options = StepOptions {
            lab_user: inputs.lab_user.clone(),
            iso_path: inputs.iso_path.clone(),
            tap_replace: inputs.tap_replace && step == Step::TapIssued,
            tap: tap.filter(|_| step == Step::Bootstrap),
            ..Default::default()
        };
        let cancel = CancellationToken::new();
        self.running.insert(
            step,
            Running {
                id,
                cancel: cancel.clone(),
                inputs,
                started_at: Utc::now(),
            },
        );
        let (progress_tx, progress_rx) = tokio::sync::mpsc::unbounded_channel();
        self.runtime
            .spawn(forward_progress(id, progress_rx, self.events.clone()));
        let (lab, persist, kind) = (backend.lab.clone(), backend.persist, backend.info.kind);
        let events = self.events.clone();
        self.runtime.spawn(async move {
            let result = run_job(&*lab, step, action, options, progress_tx, cancel).await;
            if let (Ok(report), true) = (&result, persist) {
                persistence::remember_report(&lab.session_file(), kind, report).await;
            }
            events.send(JobEvent::Finished {
                job: id,
                step,
                action,
                result,
            });
        });
        Ok(id)
    }

    /// Asks the running job of `step` to stop; its `Finished` event says "cancelled".
    pub fn cancel(&self, step: Step) {
        if let Some(running) = self.running.get(&step) {
            running.cancel.cancel();
        }
    }

    /// Stops every running job (the session is going away).
    pub fn cancel_all(&self) {
        for running in self.running.values() {
            running.cancel.cancel();
        }
    }

    /// Forgets the finished `job` of `step` and hands back what it ran with; `None` for a late
    /// event of a job that is no longer the step's current one.
    pub fn take_finished(&mut self, step: Step, job: JobId) -> Option<Running> {
        if !self.is_current(step, job) {
            return None;
        }
        self.running.remove(&step)
    }
}

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
    progress: ProgressSink,
    cancel: CancellationToken,
) -> Result<StepReport, String> {
    let limit = action.time_limit(step);
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
