//! The session's backend made of the shipped step controllers, on whichever Graph client and
//! Hyper-V host the composition layer chose (a real tenant and host, or the demo's).

use crate::{StepContext, controller, lab_vm};
use chrono::Utc;
use hb_graph::GraphClient;
use hb_host::HyperVHost;
use hb_lab::session::{BackendInfo, JobAction, LabBackend, ProgressSink, VmScreen};
use hb_lab::session_file::SessionFile;
use hb_lab::{Step, StepError, StepOptions, StepReport};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// Runs each job with the step's controller in a fresh [`StepContext`].
pub struct ControllerBackend {
    pub info: BackendInfo,
    pub graph: Option<Arc<GraphClient>>,
    pub host: Option<Arc<dyn HyperVHost>>,
    pub session: Arc<Mutex<SessionFile>>,
    /// Whatever must live as long as the backend (the demo's in-process emulator).
    pub keepalive: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

impl ControllerBackend {
    /// A context for one job, with its own cancel token and no progress listener.
    pub fn context(&self, options: StepOptions) -> StepContext {
        StepContext::new(
            self.graph.clone(),
            self.host.clone(),
            self.session.clone(),
            self.info.kind,
            options,
        )
    }
}

#[async_trait::async_trait]
impl LabBackend for ControllerBackend {
    async fn readiness(&self) -> Vec<hb_lab::ValidationRow> {
        let Some(graph) = &self.graph else {
            return Vec::new();
        };
        let lab_user = self.session.lock().await.lab_user.clone();
        crate::readiness::check_readiness(graph, lab_user.as_ref())
            .await
            .iter()
            .map(crate::readiness::ReadinessRow::to_validation_row)
            .collect()
    }

    fn info(&self) -> BackendInfo {
        self.info.clone()
    }

    fn session_file(&self) -> Arc<Mutex<SessionFile>> {
        self.session.clone()
    }

    async fn run(
        &self,
        step: Step,
        action: JobAction,
        options: StepOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<StepReport, StepError> {
        let mut ctx = self.context(options);
        ctx.cancel = cancel;
        ctx.progress = Some(progress);
        let controller = controller(step);
        if let Some(graph) = &self.graph
            && !matches!(step, Step::HypervFeature | Step::LabVm)
        {
            // Incremental consent: the permissions of this action, asked for as it starts.
            graph.prepare(step, action).await?;
        }
        match action {
            JobAction::Check => controller.check(&ctx).await,
            JobAction::Apply => controller.apply(&ctx).await,
            JobAction::Revert => controller.revert(&ctx).await,
            JobAction::RestartDemoPc => {
                // A real PC answers that the person restarts it; the demo PC restarts here.
                ctx.host()?.restart_pc().await?;
                controller.apply(&ctx).await
            }
        }
    }

    async fn vm_screen(&self) -> Option<VmScreen> {
        let host = self.host.as_ref()?;
        let name = lab_vm::vm_name(&self.context(StepOptions::default()));
        let image = host.screenshot(&name).await.ok()?;
        Some(VmScreen {
            width: image.width as usize,
            height: image.height as usize,
            rgba: image.pixels.into(),
            captured_at: Utc::now(),
        })
    }
}
