//! The session's backend made of the shipped step controllers, on whichever Graph client and
//! Hyper-V host the composition layer chose (a real tenant and host, or the demo's).

use crate::{StepContext, controller, lab_vm};
use chrono::Utc;
use hb_graph::GraphClient;
use hb_host::HyperVHost;
use hb_lab::session::{BackendInfo, JobAction, LabBackend, ProgressSink, VmPage, VmScreen};
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
    async fn lab_user_choices(&self) -> Vec<hb_lab::session::LabUserChoice> {
        // Only the demo offers a list: on a real tenant the lab user is typed, and listing a
        // directory to offer its people would read far more than the lab needs.
        let (Some(graph), hb_lab::session_file::SessionKind::Demo) = (&self.graph, self.info.kind)
        else {
            return Vec::new();
        };
        let current = self.session.lock().await.lab_user.clone();
        let Ok(users) = hb_graph::api::users::first_page(graph, 100).await else {
            return Vec::new();
        };
        let mut choices: Vec<hb_lab::session::LabUserChoice> = users
            .iter()
            .filter(|u| u.account_enabled == Some(true))
            .filter(|u| u.user_type.as_deref() == Some("Member"))
            .filter(|u| {
                !u.user_principal_name
                    .eq_ignore_ascii_case(&self.info.account)
            })
            .filter_map(|u| {
                Some(hb_lab::session::LabUserChoice {
                    upn: u.upn().ok()?,
                    display_name: u.display_name.clone().unwrap_or_default(),
                })
            })
            .collect();
        // The lab user the demo starts with comes first, then the others by name.
        choices.sort_by_key(|c| {
            (
                Some(&c.upn) != current.as_ref(),
                c.display_name.to_lowercase(),
            )
        });
        choices
    }

    async fn readiness(&self) -> Vec<hb_lab::ValidationRow> {
        self.readiness_for(None).await
    }

    async fn readiness_for(&self, lab_user: Option<&hb_lab::Upn>) -> Vec<hb_lab::ValidationRow> {
        let Some(graph) = &self.graph else {
            return Vec::new();
        };
        let lab_user = match lab_user {
            Some(upn) => Some(upn.clone()),
            None => self.session.lock().await.lab_user.clone(),
        };
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
            && action != JobAction::TypeUpn
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
            JobAction::TypeUpn | JobAction::TypeTap if step != Step::Bootstrap => Err(
                StepError::BadInput(format!("only step 7 types at the VM, not {step}")),
            ),
            JobAction::TypeUpn => crate::bootstrap::Bootstrap.type_upn(&ctx).await,
            JobAction::TypeTap => crate::bootstrap::Bootstrap.type_tap(&ctx).await,
        }
    }

    async fn vm_screen(&self) -> Option<VmScreen> {
        let host = self.host.as_ref()?;
        let name = lab_vm::vm_name(&self.context(StepOptions::default()));
        let image = host.screenshot(&name).await.ok()?;
        let page = vm_page(&**host, &name).await;
        Some(VmScreen {
            width: image.width as usize,
            height: image.height as usize,
            rgba: image.pixels.into(),
            captured_at: Utc::now(),
            page,
        })
    }
}

/// Which page the VM shows, for the wizard's typing buttons and screen caption: the host's
/// reading of the page where it has one, else whether the guest's reporter says it waits at
/// OOBE (a real host sees pixels only).
async fn vm_page(host: &dyn HyperVHost, vm: &str) -> Option<VmPage> {
    use hb_host::GuestPage as G;
    Some(match host.guest_page(vm).await.ok()? {
        Some(G::Off) => VmPage::Off,
        Some(G::Boot) => VmPage::Boot,
        Some(G::Setup) => VmPage::Setup,
        Some(G::NoBootDevice) => VmPage::NoBootDevice,
        Some(G::Oobe) => VmPage::Oobe,
        Some(G::SignIn) => VmPage::SignIn,
        Some(G::Tap { .. }) => VmPage::Tap,
        Some(G::SignInError { .. }) => VmPage::SignInError,
        Some(G::PinSetup { .. }) => VmPage::PinSetup,
        Some(G::Desktop { .. }) => VmPage::Desktop,
        None => {
            let report = hb_host::guest_report(host, vm).await.ok()?;
            let phase = hb_host::GuestPhase::from_report(true, &report);
            VmPage::Unseen {
                at_oobe: phase == hb_host::GuestPhase::AtOobe,
            }
        }
    })
}
