//! The one channel from the runtime back to the UI thread: background work sends [`JobEvent`]s
//! through an [`EventSender`], whose every send wakes the UI; the session drains them once a frame.

use super::backend::{Backend, JobAction};
use super::connect::{ConnectId, ConnectProgress};
use super::jobs::JobId;
use super::state::{CaptureFrame, VmScreen};
use crate::{Progress, Step, StepReport, StepStatus};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;

/// What a background job reports. Sent over the session's channel; each send wakes the UI.
#[derive(Debug)]
pub enum JobEvent {
    /// How connect attempt `attempt` ended (ignored once that attempt was cancelled).
    Connected {
        attempt: ConnectId,
        result: Result<Backend, String>,
    },
    /// Connect attempt `attempt` waits on the person, or no longer does.
    ConnectProgress {
        attempt: ConnectId,
        progress: ConnectProgress,
    },
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
    /// The tenant's readiness rows, read after connecting.
    Readiness(Vec<crate::ValidationRow>),
    /// The users the demo offers as its lab user, read after connecting.
    LabUserChoices(Vec<super::backend::LabUserChoice>),
}

/// The sending half of the event channel: every send wakes the UI.
#[derive(Clone)]
pub struct EventSender {
    tx: mpsc::Sender<JobEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl EventSender {
    /// A channel whose sender calls `wake` after each event, and the receiver the session drains.
    pub(super) fn channel(wake: Arc<dyn Fn() + Send + Sync>) -> (Self, mpsc::Receiver<JobEvent>) {
        let (tx, rx) = mpsc::channel();
        (EventSender { tx, wake }, rx)
    }

    /// Sends an event and wakes the UI; a closed channel (app closing) is fine to ignore.
    pub fn send(&self, event: JobEvent) {
        if self.tx.send(event).is_ok() {
            (self.wake)();
        }
    }
}
