//! Why a host operation failed; each message says what to do about it.

use hb_lab::StepError;
use std::time::Duration;

/// A Hyper-V host failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HostError {
    #[error(
        "Hyper-V needs administrator rights: in the wizard choose Restart as administrator; on the command line run the same command again from a terminal opened as administrator"
    )]
    NotElevated,
    #[error(
        "Hyper-V needs Windows 11 Pro/Enterprise/Education; this PC runs {edition}. Use another PC or upgrade the edition"
    )]
    EditionUnsupported { edition: String },
    #[error("there is no VM named '{name}' on this host: create it in step 4 first")]
    VmNotFound { name: String },
    #[error("VM '{vm}' has no checkpoint named '{name}': rerun step 4 to take it")]
    CheckpointNotFound { vm: String, name: String },
    #[error("{what} did not finish within {} s: check Hyper-V Manager, then retry", after.as_secs())]
    Timeout { what: String, after: Duration },
    /// Only the person can restart this PC; the app never restarts Windows under their work.
    #[error(
        "restart this PC yourself (save your work first), then reopen Hello Bootstrap: it resumes where you left off"
    )]
    RestartByHand,
    #[error("cancelled")]
    Cancelled,
    /// The request itself was wrong (a bad VM spec, a missing ISO).
    #[error("{0}")]
    BadInput(String),
    /// The VM is not in a state that allows the operation.
    #[error("{0}")]
    InvalidState(String),
    #[error("PowerShell failed{}: {message}", exit_code.map(|c| format!(" (exit code {c})")).unwrap_or_default())]
    PowerShell {
        exit_code: Option<i32>,
        message: String,
    },
    #[error("cannot read PowerShell's output ({reason}); first line: {excerpt}")]
    Parse { reason: String, excerpt: String },
    #[error("cannot start {program}: {reason}")]
    Launch { program: String, reason: String },
    /// No command channel into the guest (PowerShell Direct needs a guest account).
    #[error("{0}")]
    GuestAccess(String),
    /// The emulated cloud did not answer the emulated OOBE.
    #[error("{0}")]
    Cloud(String),
    #[error("cannot save the emulated host state to {path}: {reason}")]
    Persist { path: String, reason: String },
}

impl From<HostError> for StepError {
    fn from(e: HostError) -> Self {
        match e {
            HostError::Cancelled => StepError::Cancelled,
            HostError::BadInput(m) => StepError::BadInput(m),
            HostError::NotElevated
            | HostError::EditionUnsupported { .. }
            | HostError::RestartByHand => StepError::Precondition(e.to_string()),
            other => StepError::Host(other.to_string()),
        }
    }
}
