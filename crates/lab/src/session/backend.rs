//! What the session needs from a connected lab ([`LabBackend`]) and what a job does with its step
//! ([`JobAction`]). The composition layer builds the backend; the session never knows whether a
//! real tenant or the demo is behind it.

use super::state::VmScreen;
use crate::session_file::{SessionFile, SessionKind};
use crate::{Progress, Step, StepError, StepOptions, StepReport};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
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
    /// Step 7's "Type the UPN": the lab user's account typed on the VM's sign-in page, when the
    /// person at the VM (or a presenter) says the page shows.
    TypeUpn,
    /// Step 7's "Type the TAP": step 6's pass typed on the VM's pass page, then the sign-in
    /// validated as Apply does.
    TypeTap,
}

impl JobAction {
    /// Words for a progress line ("Checking…").
    pub fn running_text(self) -> &'static str {
        match self {
            JobAction::Check => "Checking",
            JobAction::Apply => "Applying",
            JobAction::Revert => "Reverting",
            JobAction::RestartDemoPc => "Restarting the demo PC",
            JobAction::TypeUpn => "Typing the account",
            JobAction::TypeTap => "Typing the pass",
        }
    }

    /// Whether a job that ends well leaves the step done by the lab (an apply, or the sign-in
    /// the typed pass completed), so the page says "Done" and the report keeps the run.
    pub fn applies(self) -> bool {
        matches!(
            self,
            JobAction::Apply | JobAction::RestartDemoPc | JobAction::TypeTap
        )
    }

    /// How long a job may take before it is stopped with a clear error. Step 7 waits for a person
    /// to sign in at the VM, so its apply gets longer.
    pub fn time_limit(self, step: Step) -> Duration {
        match (self, step) {
            (JobAction::Check, _) => Duration::from_secs(90),
            (
                JobAction::Apply | JobAction::RestartDemoPc | JobAction::TypeTap,
                Step::Bootstrap | Step::LabVm | Step::HypervFeature,
            ) => Duration::from_secs(30 * 60),
            _ => Duration::from_secs(5 * 60),
        }
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

    /// Whether the tenant is ready for the lab (licences, enrollment restrictions, join policy,
    /// security defaults, MAM scope), read once after connecting for the welcome page; empty
    /// when this backend has no tenant to read.
    async fn readiness(&self) -> Vec<crate::ValidationRow> {
        Vec::new()
    }

    /// [`Self::readiness`] for a lab user other than the session's (the demo's pick on the
    /// Welcome page), so the licence and join checks speak of the user who will sign in.
    async fn readiness_for(&self, lab_user: Option<&crate::Upn>) -> Vec<crate::ValidationRow> {
        let _ = lab_user;
        self.readiness().await
    }

    /// The users a learner may pick as the lab user, read once after connecting; only the demo
    /// offers a list (a real tenant's lab user is typed), so the default is none.
    async fn lab_user_choices(&self) -> Vec<LabUserChoice> {
        Vec::new()
    }
}

/// A user the Welcome page offers as the demo's lab user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabUserChoice {
    pub upn: crate::Upn,
    pub display_name: String,
}

/// A connected lab: where the steps run and who we are.
#[derive(Clone)]
pub struct Backend {
    pub info: BackendInfo,
    pub(super) lab: Arc<dyn LabBackend>,
    /// Whether step results and the current step are written to the session file.
    pub(super) persist: bool,
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
