//! The session file as the wizard's memory: each job's result is remembered in it (so the CLI and
//! a restarted wizard know where each step stood), the page on screen is recorded, and on connect
//! the remembered statuses are shown while the fresh checks run (resume). All file work runs on
//! the runtime, never on the UI thread.

use super::backend::Backend;
use super::events::{EventSender, JobEvent};
use super::state::LabState;
use crate::session_file::{SessionFile, SessionKind};
use crate::{Step, StepReport, StepStatus};
use std::collections::BTreeMap;
use tokio::runtime::Handle;

/// Keeps the session file's memory of step statuses current, for resume and the CLI.
pub(super) async fn remember_report(
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

/// Reads the step statuses the session file remembers; they arrive as [`JobEvent::Remembered`].
pub(super) fn read_memo(runtime: &Handle, backend: &Backend, events: &EventSender) {
    let file = backend.lab.session_file();
    let events = events.clone();
    runtime.spawn(async move {
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

/// Records the step the wizard shows, unless the backend is ephemeral.
pub(super) fn remember_current_step(runtime: &Handle, backend: &Backend, step: Option<Step>) {
    if !backend.persist {
        return;
    }
    let (file, kind) = (backend.lab.session_file(), backend.info.kind);
    runtime.spawn(async move {
        let mut file = file.lock().await;
        if file.current_step != step {
            file.current_step = step;
            if let Err(e) = file.save(kind) {
                tracing::warn!("could not remember the current step: {e}");
            }
        }
    });
}

impl LabState {
    /// Resume: a step whose first check still runs shows what the file remembered meanwhile.
    pub(super) fn on_remembered(&mut self, memo: BTreeMap<Step, StepStatus>) {
        for (step, status) in memo {
            let state = self.step_mut(step);
            if state.status == StepStatus::Unknown && state.running.is_some() {
                state.status = status;
            }
        }
    }
}
