//! The wizard's lab session: it turns requests from the UI into jobs on the app-owned tokio
//! runtime and folds their events back into [`LabState`], plain data the pages render.
//!
//! Data flows one way: UI → [`Session`] request (with its [`JobInputs`]) → job on the runtime →
//! [`JobEvent`] over a channel (every send wakes the UI) → [`Session::drain`] once per frame →
//! [`LabState`] → UI.
//!
//! - `state`: the plain data the UI renders.
//! - `reducer`: events → state, and what must follow.
//! - `jobs`: the one runner (start, cancel, time limits, panics into errors).
//! - `reset`: "Reset lab" as a queue of revert jobs on that runner.
//! - `persistence`: the session-file memo and resume.
//! - `backend` and `events`: the contract with the lab, and the channel back to the UI.

mod backend;
mod connect;
mod events;
mod jobs;
mod persistence;
mod reducer;
mod reset;
mod state;
#[cfg(test)]
mod tests;

pub use backend::{
    Backend, BackendInfo, Connecting, JobAction, LabBackend, LabUserChoice, ProgressSink,
};
pub use connect::{
    ConnectAttempt, ConnectId, ConnectProgress, ConnectRequest, ConnectWait, WaitCode,
};
pub use events::{EventSender, JobEvent};
pub use jobs::{JobId, JobInputs, NotStarted};
pub use reset::{ResetPhase, ResetRow, ResetState, RevertOutcome};
pub use state::{
    CaptureFrame, Connection, IssuedTap, LabState, RunningJob, StepCapture, StepState, VmPage,
    VmScreen,
};

use crate::Step;
use futures::FutureExt;
use jobs::Runner;
use reducer::FollowUp;
use reset::ResetNext;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// How long a cancelled connect attempt may take to tidy up (end its browser wait, close its
/// listener) before the session drops it. The page says "cancelled" at once regardless.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// The lab session the wizard drives.
pub struct Session {
    runner: Runner,
    inbox: mpsc::Receiver<JobEvent>,
    backend: Option<Backend>,
    /// What `connect` was given, for the checks that start once the lab is connected.
    connect_inputs: JobInputs,
    /// What the running reset was given, for each of its reverts and re-checks.
    reset_inputs: JobInputs,
    /// The connect attempt under way: its id (older results are ignored) and its Cancel.
    connecting: Option<(ConnectId, CancellationToken)>,
    next_attempt: u64,
    state: LabState,
    /// The running VM screen watcher ([`Session::watch_screen`]) and how often it looks.
    screen_watch: Option<(Duration, CancellationToken)>,
}

impl Session {
    /// A session whose jobs run on `runtime`; `wake` is called after every event (the UI passes
    /// `ctx.request_repaint()`).
    pub fn new(runtime: Handle, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let (events, inbox) = EventSender::channel(wake);
        Session {
            runner: Runner::new(runtime, events),
            inbox,
            backend: None,
            connect_inputs: JobInputs::default(),
            reset_inputs: JobInputs::default(),
            connecting: None,
            next_attempt: 1,
            state: LabState::default(),
            screen_watch: None,
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
        self.runner.events().clone()
    }

    /// Whether a backend is connected.
    pub fn is_connected(&self) -> bool {
        self.backend.is_some()
    }

    /// Starts connecting: `connect` gets this attempt's [`ConnectAttempt`] (where it reports
    /// waits on the person, and its Cancel) and returns the future that connects. The result
    /// arrives as an event, and then every step is checked with `inputs`. Ignored while already
    /// connecting.
    pub fn connect(
        &mut self,
        connect: impl FnOnce(ConnectAttempt) -> Connecting,
        inputs: JobInputs,
    ) {
        if self.state.connection.is_connecting() {
            return;
        }
        let id = ConnectId(self.next_attempt);
        self.next_attempt += 1;
        let cancel = CancellationToken::new();
        self.connecting = Some((id, cancel.clone()));
        self.state.connection = Connection::Connecting { wait: None };
        self.connect_inputs = inputs;
        let events = self.runner.events().clone();
        let connecting = connect(ConnectAttempt::new(id, events.clone(), cancel.clone()));
        self.runner.runtime().spawn(async move {
            let mut guarded = AssertUnwindSafe(connecting).catch_unwind();
            let outcome = tokio::select! {
                outcome = &mut guarded => outcome,
                () = cancel.cancelled() => {
                    // The connector sees the cancel too and tidies up; it gets a moment for it.
                    tokio::time::timeout(CANCEL_GRACE, guarded)
                        .await
                        .unwrap_or_else(|_| Ok(Err("cancelled".into())))
                }
            };
            let result =
                outcome.unwrap_or_else(|_| Err("starting the lab failed unexpectedly".into()));
            events.send(JobEvent::Connected {
                attempt: id,
                result,
            });
        });
    }

    /// Cancels connecting (the Cancel next to "Waiting for the browser…"): the connector is told
    /// to stop, and the page says so at once and is ready to start again. A late result of the
    /// cancelled attempt is ignored.
    pub fn cancel_connect(&mut self) {
        if let Some((_, cancel)) = self.connecting.take() {
            cancel.cancel();
            self.state.connection = Connection::Cancelled;
        }
    }

    /// Starts one job: `action` on `step` with `inputs`. One job per step at a time, and none
    /// beside a reset; a job asked for before connecting says so on its step.
    pub fn start(
        &mut self,
        step: Step,
        action: JobAction,
        inputs: JobInputs,
    ) -> Result<JobId, NotStarted> {
        if self.state.resetting() {
            return Err(NotStarted::Resetting);
        }
        self.spawn(step, action, inputs)
    }

    /// Cancels the running job of a step, if any (a reset's revert is stopped with
    /// [`Session::cancel_reset`], which also stops the queue).
    pub fn cancel(&mut self, step: Step) {
        if !self.state.resetting() {
            self.runner.cancel(step);
        }
    }

    /// "Reset lab": reverts every step, last first, as ordinary jobs one after the other, then
    /// checks every step again. Only when connected and nothing runs.
    pub fn reset_lab(&mut self, inputs: JobInputs) -> Result<(), NotStarted> {
        if self.backend.is_none() {
            return Err(NotStarted::NotConnected);
        }
        if self.state.busy() {
            return Err(NotStarted::Busy);
        }
        self.reset_inputs = inputs;
        self.state.reset = Some(ResetState::new());
        self.advance_reset();
        Ok(())
    }

    /// Stops "Reset lab": cancels the revert that runs and starts no other. Every step is still
    /// checked again before the reset ends.
    pub fn cancel_reset(&mut self) {
        if let Some(step) = self.state.reset.as_mut().and_then(ResetState::stop) {
            self.runner.cancel(step);
        }
    }

    /// Forgets how the last reset ended (the person dismissed its result).
    pub fn dismiss_reset(&mut self) {
        if !self.state.resetting() {
            self.state.reset = None;
        }
    }

    /// Reads the tenant's readiness again for `lab_user` (a new pick on the Welcome page); the
    /// rows replace the shown ones when they arrive.
    pub fn reread_readiness(&self, lab_user: crate::Upn) {
        let Some(backend) = &self.backend else {
            return;
        };
        let lab = backend.lab.clone();
        let events = self.runner.events().clone();
        self.runner.runtime().spawn(async move {
            let read =
                tokio::time::timeout(Duration::from_secs(60), lab.readiness_for(Some(&lab_user)))
                    .await;
            if let Ok(rows) = read {
                events.send(JobEvent::Readiness(rows));
            }
        });
    }

    /// Asks the host for the VM's screen; the frame arrives as an event. Quietly does nothing
    /// without a host or a VM (the page then shows no screen).
    pub fn capture_screen(&self) {
        self.capture_screen_for(None);
    }

    /// Keeps the VM's screen live while `every` is `Some`: a watcher on the runtime looks that
    /// often and sends a frame only when its pixels differ from the last one sent, so a page
    /// showing a still VM screen gets no events and repaints nothing. `None` stops it. Calling it
    /// again with the same value is free, so the UI may call it every frame.
    pub fn watch_screen(&mut self, every: Option<Duration>) {
        let every = every.filter(|_| self.backend.is_some());
        if self.screen_watch.as_ref().map(|(d, _)| *d) == every {
            return;
        }
        if let Some((_, stop)) = self.screen_watch.take() {
            stop.cancel();
        }
        let (Some(every), Some(backend)) = (every, &self.backend) else {
            return;
        };
        let stop = CancellationToken::new();
        let lab = backend.lab.clone();
        let events = self.runner.events().clone();
        let stopped = stop.clone();
        self.runner.runtime().spawn(async move {
            let mut last: Option<(usize, usize, Arc<[u8]>)> = None;
            loop {
                let shot = tokio::select! {
                    _ = stopped.cancelled() => return,
                    shot = tokio::time::timeout(Duration::from_secs(20), lab.vm_screen()) => shot,
                };
                if let Ok(Some(screen)) = shot {
                    let same = last.as_ref().is_some_and(|(w, h, px)| {
                        (*w, *h) == (screen.width, screen.height) && **px == *screen.rgba
                    });
                    if !same {
                        last = Some((screen.width, screen.height, screen.rgba.clone()));
                        events.send(JobEvent::Screen(screen));
                    }
                }
                tokio::select! {
                    _ = stopped.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        });
        self.screen_watch = Some((every, stop));
    }

    /// Records the step the wizard shows, in the session file (for resume across the CLI too).
    pub fn remember_current_step(&self, step: Option<Step>) {
        if let Some(backend) = &self.backend {
            persistence::remember_current_step(self.runner.runtime(), backend, step);
        }
    }

    /// Applies every event that arrived since the last frame. Returns whether anything changed.
    pub fn drain(&mut self) -> bool {
        let mut changed = false;
        while let Ok(event) = self.inbox.try_recv() {
            changed = true;
            self.handle(event);
        }
        changed
    }

    fn handle(&mut self, event: JobEvent) {
        match event {
            JobEvent::Connected { attempt, result } => {
                if self.connecting.as_ref().map(|(id, _)| *id) != Some(attempt) {
                    return;
                }
                self.connecting = None;
                match result {
                    Ok(backend) => self.adopt(backend),
                    Err(reason) => self.state.connection = Connection::Failed(reason),
                }
            }
            JobEvent::ConnectProgress { attempt, progress } => {
                if self.connecting.as_ref().map(|(id, _)| *id) == Some(attempt) {
                    self.state.on_connect_progress(progress);
                }
            }
            JobEvent::Progress { job, progress } => {
                if self.runner.is_current(progress.step, job) {
                    self.state.on_progress(progress);
                }
            }
            JobEvent::Finished {
                job,
                step,
                action,
                result,
            } => {
                // A late event of a job that is no longer the step's current one changes nothing.
                let Some(done) = self.runner.take_finished(step, job) else {
                    return;
                };
                for follow in self
                    .state
                    .on_finished(step, action, result, done.started_at)
                {
                    match follow {
                        FollowUp::Check(next) => {
                            let _ = self.spawn(next, JobAction::Check, done.inputs.clone());
                        }
                        FollowUp::AdvanceReset => self.advance_reset(),
                        FollowUp::CaptureScreen(step) => self.capture_screen_for(step),
                    }
                }
            }
            JobEvent::Remembered(memo) => self.state.on_remembered(memo),
            JobEvent::Readiness(rows) => self.state.readiness = rows,
            JobEvent::LabUserChoices(users) => self.state.lab_user_choices = users,
            JobEvent::Screen(screen) => self.state.on_screen(screen),
            JobEvent::StepScreen(step, screen) => self.state.on_step_screen(step, screen),
            JobEvent::PageCaptured {
                step,
                finished_at,
                frame,
            } => self.state.on_page_captured(step, finished_at, frame),
        }
    }

    /// A backend connected: remember it, read what the session file remembers, check every step.
    fn adopt(&mut self, backend: Backend) {
        self.state.on_connected(&backend.info);
        persistence::read_memo(self.runner.runtime(), &backend, self.runner.events());
        let lab = backend.lab.clone();
        let events = self.runner.events().clone();
        self.runner.runtime().spawn(async move {
            let read = tokio::time::timeout(Duration::from_secs(60), lab.readiness()).await;
            if let Ok(rows) = read {
                events.send(JobEvent::Readiness(rows));
            }
            let read = tokio::time::timeout(Duration::from_secs(60), lab.lab_user_choices()).await;
            if let Ok(users) = read {
                events.send(JobEvent::LabUserChoices(users));
            }
        });
        self.backend = Some(backend);
        // A watcher of the previous lab's VM must not feed this one's screen.
        if let Some((_, stop)) = self.screen_watch.take() {
            stop.cancel();
        }
        for step in Step::ALL {
            let _ = self.spawn(step, JobAction::Check, self.connect_inputs.clone());
        }
    }

    /// Starts a job on the runner, reset or not, and shows it running.
    fn spawn(
        &mut self,
        step: Step,
        action: JobAction,
        inputs: JobInputs,
    ) -> Result<JobId, NotStarted> {
        let Some(backend) = &self.backend else {
            self.state.on_not_connected(step);
            return Err(NotStarted::NotConnected);
        };
        let tap = self.state.tap.as_ref().map(|t| t.code.clone());
        let job = self.runner.spawn(backend, step, action, inputs, tap)?;
        self.state.on_started(step, action);
        Ok(job)
    }

    /// Starts what the reset queue names next: a revert, or the checks of every step.
    fn advance_reset(&mut self) {
        let Some(reset) = self.state.reset.as_mut() else {
            return;
        };
        match reset.advance() {
            ResetNext::Revert(step) => {
                if let Err(e) = self.spawn(step, JobAction::Revert, self.reset_inputs.clone()) {
                    // Cannot happen while the reset holds the runner; say so rather than hang.
                    if let Some(reset) = self.state.reset.as_mut() {
                        reset.record(step, RevertOutcome::Failed(e.to_string()));
                    }
                    self.advance_reset();
                }
            }
            ResetNext::RecheckAll => {
                for step in Step::ALL {
                    let _ = self.spawn(step, JobAction::Check, self.reset_inputs.clone());
                }
                // Ends the reset at once should no check have started.
                self.state.end_reset_when_rechecked();
            }
        }
    }

    /// Captures the VM's screen; with `Some(step)`, it is also kept as that step's report image.
    fn capture_screen_for(&self, step: Option<Step>) {
        let Some(backend) = &self.backend else { return };
        let lab = backend.lab.clone();
        let events = self.runner.events().clone();
        self.runner.runtime().spawn(async move {
            let shot = tokio::time::timeout(Duration::from_secs(20), lab.vm_screen()).await;
            if let Ok(Some(screen)) = shot {
                events.send(match step {
                    Some(step) => JobEvent::StepScreen(step, screen),
                    None => JobEvent::Screen(screen),
                });
            }
        });
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some((_, stop)) = self.screen_watch.take() {
            stop.cancel();
        }
        self.runner.cancel_all();
    }
}
