//! What a step job reports back (its report, progress and errors) and the choices a person made
//! that the job needs. The controllers themselves live in `hb-steps`; the session only sees these.

use super::{Evidence, Secret, Step, StepStatus};
use serde::Serialize;

/// What a check, apply or revert found. Serialises without the secret.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub step: Step,
    pub status: StepStatus,
    /// One or two sentences for people: what is, or what to do.
    pub detail: String,
    /// Whether this call changed anything (false on an idempotent second apply).
    pub changed: bool,
    pub evidence: Evidence,
    /// The TAP issued by step 6, handed to the caller once and kept nowhere.
    #[serde(skip)]
    pub secret: Option<Secret>,
}

impl StepReport {
    pub fn new(step: Step, status: StepStatus, detail: impl Into<String>) -> Self {
        StepReport {
            step,
            status,
            detail: detail.into(),
            changed: false,
            evidence: Evidence::default(),
            secret: None,
        }
    }

    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = evidence;
        self
    }

    pub fn changed(mut self, changed: bool) -> Self {
        self.changed = changed;
        self
    }
}

/// Why a step could not do its work; each variant's text says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Microsoft Graph refused or failed; the text is the Graph error's own explanation.
    #[error("{0}")]
    Graph(String),
    #[error("{0}")]
    Host(String),
    /// The input was wrong (unknown user, bad ISO path): exit code 2 territory.
    #[error("{0}")]
    BadInput(String),
    /// Something outside our control must be done first.
    #[error("{0}")]
    Precondition(String),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Session(String),
}

/// A progress note from a long-running step (shown as a status line or progress bar).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub step: Step,
    pub message: String,
    /// 0.0 to 1.0 where the step can tell.
    pub fraction: Option<f32>,
}

/// Choices a person made that controllers need.
#[derive(Clone, Debug, Default)]
pub struct StepOptions {
    /// TAP lifetime in minutes for step 6 (Graph's default when `None`).
    pub tap_lifetime_minutes: Option<u32>,
    pub tap_usable_once: Option<bool>,
    /// Windows 11 ISO for step 4.
    pub iso_path: Option<std::path::PathBuf>,
    /// Name of the lab VM for steps 4 and 7.
    pub vm_name: Option<String>,
    /// The lab user (step 6 issues the TAP for them, step 7 signs them in); overrides the session.
    pub lab_user: Option<crate::Upn>,
    /// The TAP step 6 just issued, handed to step 7 in memory only (demo "type it for me").
    pub tap: Option<Secret>,
    /// The code of the pass the lab user holds is gone (it lived only in a process that was
    /// killed or restarted) and step 7 still needs one: step 6 replaces that pass with a fresh
    /// one instead of keeping a pass nobody can type.
    pub reissue_tap: bool,
    /// Step 6: replace a TAP this lab did not issue (its code cannot be shown) with a new one.
    pub tap_replace: bool,
}

/// The id of step 6's check row "a pass this lab did not issue": the wizard offers to replace
/// the pass exactly when a report carries it.
pub const TAP_NOT_OURS_ROW: &str = "tap_not_ours";
