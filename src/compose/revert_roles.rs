//! The wizard's reverts ("Reset lab", a step's Revert) checked for roles before they start: a
//! revert the signed-in account may not finish is refused with the role and the permissions
//! named, before it deletes anything, so its journal entries stay for a later try.

use hb_graph::GraphClient;
use hb_lab::session::{BackendInfo, JobAction, LabBackend, ProgressSink, VmScreen};
use hb_lab::session_file::SessionFile;
use hb_lab::{Step, StepError, StepOptions, StepReport};
use hb_steps::backend::ControllerBackend;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// The shipped controllers, with a role check in front of each revert of a cloud step.
pub struct RoleCheckedBackend {
    inner: ControllerBackend,
}

impl RoleCheckedBackend {
    /// Wraps the controllers' backend.
    pub fn new(inner: ControllerBackend) -> RoleCheckedBackend {
        RoleCheckedBackend { inner }
    }
}

/// Refuses a revert of `step` the account may not do; `Ok` when allowed or not a cloud step.
pub async fn check_revert(graph: &GraphClient, step: Step) -> Result<(), StepError> {
    if hb_auth::preflight::revert_role_needs(step).is_empty() {
        return Ok(());
    }
    match hb_auth::preflight::preflight_revert(graph, None, &[step]).await {
        Ok(_) => Ok(()),
        Err(hb_auth::PreflightError::Graph(e)) => Err(e.into()),
        Err(refused) => Err(StepError::Precondition(format!(
            "{refused}; nothing was reverted"
        ))),
    }
}

#[async_trait::async_trait]
impl LabBackend for RoleCheckedBackend {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }

    fn session_file(&self) -> Arc<Mutex<SessionFile>> {
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
        if action == JobAction::Revert
            && let Some(graph) = &self.inner.graph
        {
            check_revert(graph, step).await?;
        }
        self.inner
            .run(step, action, options, progress, cancel)
            .await
    }

    async fn vm_screen(&self) -> Option<VmScreen> {
        self.inner.vm_screen().await
    }

    async fn readiness(&self) -> Vec<hb_lab::ValidationRow> {
        self.inner.readiness().await
    }

    async fn readiness_for(&self, lab_user: Option<&hb_lab::Upn>) -> Vec<hb_lab::ValidationRow> {
        self.inner.readiness_for(lab_user).await
    }

    async fn lab_user_choices(&self) -> Vec<hb_lab::session::LabUserChoice> {
        self.inner.lab_user_choices().await
    }
}
