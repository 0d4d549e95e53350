//! Steps 3, 4 and 7 end to end on the emulated host against the real emulator, through the same
//! controllers the CLI and the wizard use: every validation row passes with the right TAP; with
//! the wrong-TAP hook step 7 fails at the sign-in row with the cloud's reason; revert restores
//! the OOBE checkpoint and deletes the device objects the sign-in created. The PIN is the
//! person's: with nobody at the VM nobody sets it. On a host that sees only the VM's KVP items
//! (how the PowerShell host sees a real PC), step 4 needs the ISO, installs Windows with no clicks
//! and checkpoints at the VM's own OOBE marker, and the restart job leaves the restart to the
//! person; on a VM without the reporter, step 7 rests on the cloud rows.

use crate::common::admin_graph;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::api::{auth_methods, devices};
use hello_bootstrap::graph::models::NewTap;
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use hello_bootstrap::host::{
    Checkpoint, EmulatedHost, FeatureState, GuestCommand, GuestPage, HostError, HyperVHost,
    InstallMedia, KeyboardText, Pace, ScreenImage, VmInfo, VmSpec, VmState,
};
use hello_bootstrap::lab::session::{BackendInfo, JobAction, LabBackend};
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{
    DeviceId, Step, StepError, StepReport, StepStatus, ValidationRow, ValidationState,
};
use hello_bootstrap::lab::{Progress, StepOptions};
use hello_bootstrap::steps::StepContext;
use hello_bootstrap::steps::backend::ControllerBackend;
use hello_bootstrap::steps::controller;
use hello_bootstrap::steps::hyperv_feature::RESTART_PENDING_KEY;
use hello_bootstrap::steps::lab_vm::{DEFAULT_VM_NAME, OOBE_CHECKPOINT};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The validation row `id` of a step 7 report.
fn row<'a>(report: &'a StepReport, id: &str) -> &'a ValidationRow {
    report
        .evidence
        .rows
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

struct Lab {
    emu: EmulatorHandle,
    host: Arc<EmulatedHost>,
    graph: Arc<GraphClient>,
    session: Arc<Mutex<SessionFile>>,
}

impl Lab {
    async fn start(wrong_tap: bool) -> Lab {
        Self::start_with(|host| {
            if wrong_tap {
                host.with_wrong_tap()
            } else {
                host
            }
        })
        .await
    }

    /// A lab whose emulated host `configure` adjusts (a wrong TAP, nobody at the VM).
    async fn start_with(configure: impl FnOnce(EmulatedHost) -> EmulatedHost) -> Lab {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let graph = admin_graph(&emu);
        let host = configure(EmulatedHost::for_tests(Some(
            Url::parse(&emu.graph_url).unwrap(),
        )));
        Lab {
            emu,
            host: Arc::new(host),
            graph: Arc::new(graph),
            session: Arc::new(Mutex::new(SessionFile::default())),
        }
    }

    fn ctx(
        &self,
        options: StepOptions,
    ) -> (StepContext, tokio::sync::mpsc::UnboundedReceiver<Progress>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let ctx = StepContext {
            graph: Some(self.graph.clone()),
            host: Some(self.host.clone()),
            session: self.session.clone(),
            kind: SessionKind::Demo,
            options: StepOptions {
                lab_user: Some(crate::common::lab_upn(&self.emu)),
                ..options
            },
            cancel: CancellationToken::new(),
            progress: Some(tx),
        };
        (ctx, rx)
    }

    /// Runs steps 1 to 6 (with the reboot step 3 asks for) and returns the context step 7 gets.
    async fn through_step_six(&self) -> StepContext {
        self.through_step_six_with(&[Step::MdmUserScope, Step::WhfbEnrollment])
            .await
    }

    /// Like `through_step_six`, with a choice of the Graph policy steps 1 and 2.
    async fn through_step_six_with(&self, policies: &[Step]) -> StepContext {
        let (ctx, _rx) = self.ctx(StepOptions::default());
        for &step in policies {
            let r = controller(step).apply(&ctx).await.unwrap();
            assert_eq!(r.status, StepStatus::Applied, "{step}: {}", r.detail);
        }

        // Step 3: enable, restart needed, remembered in the session; after the reboot, done.
        let hyperv = controller(Step::HypervFeature);
        assert_eq!(
            hyperv.check(&ctx).await.unwrap().status,
            StepStatus::NotApplied
        );
        let r = hyperv.apply(&ctx).await.unwrap();
        assert_eq!(r.status, StepStatus::NeedsAction);
        assert!(r.detail.contains("when the PC restarts"), "{}", r.detail);
        assert!(r.changed);
        {
            let s = self.session.lock().await;
            assert_eq!(s.host[RESTART_PENDING_KEY], true);
            assert_eq!(s.current_step, Some(Step::HypervFeature));
        }
        assert_eq!(
            hyperv.check(&ctx).await.unwrap().status,
            StepStatus::NeedsAction
        );
        self.host.restart_pc().await.unwrap();
        let r = hyperv.apply(&ctx).await.unwrap();
        assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
        assert!(!r.changed);
        assert_eq!(self.session.lock().await.host[RESTART_PENDING_KEY], false);
        let revert = hyperv.revert(&ctx).await.unwrap();
        assert!(revert.detail.contains("stays on"), "{}", revert.detail);
        assert_eq!(
            hyperv.check(&ctx).await.unwrap().status,
            StepStatus::Applied
        );

        // Step 4: a Windows 11 VM at OOBE with its checkpoint; a second apply changes nothing.
        let vm = controller(Step::LabVm);
        assert_eq!(vm.check(&ctx).await.unwrap().status, StepStatus::NotApplied);
        let r = vm.apply(&ctx).await.unwrap();
        assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
        assert!(r.changed);
        let info = self.host.vm(DEFAULT_VM_NAME).await.unwrap().unwrap();
        assert_eq!(
            (info.generation, info.cpu_count, info.tpm_enabled),
            (2, 2, true)
        );
        assert_eq!(
            info.secure_boot_template.as_deref(),
            Some("MicrosoftWindows")
        );
        assert_eq!(
            self.host.screen(DEFAULT_VM_NAME).unwrap(),
            GuestPage::SignIn
        );
        let again = vm.apply(&ctx).await.unwrap();
        assert_eq!(again.status, StepStatus::Applied);
        assert!(!again.changed);
        assert!(
            vm.evidence(&ctx)
                .powershell
                .unwrap()
                .contains("Enable-VMTPM")
        );

        // Steps 5 and 6: the TAP policy and a TAP for the lab user.
        let r = controller(Step::TapPolicy).apply(&ctx).await.unwrap();
        assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
        let r = controller(Step::TapIssued).apply(&ctx).await.unwrap();
        assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
        let tap = r.secret.expect("step 6 hands over the TAP");
        let (ctx7, _rx) = self.ctx(StepOptions {
            tap: Some(tap),
            ..StepOptions::default()
        });
        ctx7
    }
}

async fn device_count(lab: &Lab, device_id: &str) -> usize {
    lab.graph
        .get_all(
            ApiVersion::V1,
            &format!("/devices?$filter=deviceId eq '{device_id}'"),
        )
        .await
        .unwrap()
        .len()
}

async fn the_whole_lab_passes_every_validation_row() {
    let lab = Lab::start(false).await;
    let ctx = lab.through_step_six().await;
    let bootstrap = controller(Step::Bootstrap);

    // Before anyone signs in, check reads without typing and finds nothing joined.
    let before = bootstrap.check(&ctx).await.unwrap();
    assert_eq!(before.status, StepStatus::NotApplied, "{}", before.detail);
    assert_eq!(lab.host.screen(DEFAULT_VM_NAME).unwrap(), GuestPage::SignIn);

    // Without a TAP to type, apply guides the person instead.
    let (guided_ctx, _rx) = lab.ctx(StepOptions::default());
    let guided = bootstrap.apply(&guided_ctx).await.unwrap();
    assert_eq!(guided.status, StepStatus::NeedsAction);
    assert!(
        guided.detail.contains("Temporary Access Pass") && guided.detail.contains("PIN"),
        "{}",
        guided.detail
    );

    let (ctx, mut progress) = {
        let (c, rx) = lab.ctx(ctx.options.clone());
        (c, rx)
    };
    let report = bootstrap.apply(&ctx).await.unwrap();
    let rows: Vec<_> = report
        .evidence
        .rows
        .iter()
        .map(|r| (r.id.as_str(), r.state))
        .collect();
    assert_eq!(
        report.status,
        StepStatus::Applied,
        "{}: {rows:?}",
        report.detail
    );
    for id in [
        "signin",
        "enhanced_session",
        "dsreg_joined",
        "dsreg_ngc",
        "dsreg_prt",
        "graph_device",
        "graph_managed_device",
        "graph_whfb",
        "graph_mfa_signin",
    ] {
        let row = row(&report, id);
        assert_eq!(row.state, ValidationState::Passed, "{id}: {}", row.detail);
        assert!(row.fix.is_none());
    }
    let mfa = row(&report, "graph_mfa_signin");
    assert!(
        mfa.detail
            .contains("MFA requirement satisfied by claim in the token")
    );
    assert!(
        mfa.detail.contains("Temporary Access Pass"),
        "explains why: {}",
        mfa.detail
    );
    assert!(!lab.host.enhanced_session_mode().await.unwrap());
    let mut notes = Vec::new();
    while let Ok(p) = progress.try_recv() {
        notes.push(p.message);
    }
    assert!(
        notes.iter().any(|m| m.starts_with("Validating:")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|m| m.contains("My Apps")), "{notes:?}");

    // Neither the report nor the session holds the TAP.
    let tap = ctx.options.tap.as_ref().unwrap().expose().to_string();
    assert!(!serde_json::to_string(&report).unwrap().contains(&tap));
    assert!(
        !serde_json::to_string(&*lab.session.lock().await)
            .unwrap()
            .contains(&tap)
    );

    // check agrees, read only; a second apply changes nothing.
    let checked = bootstrap.check(&ctx).await.unwrap();
    assert_eq!(checked.status, StepStatus::Applied, "{}", checked.detail);
    let again = bootstrap.apply(&ctx).await.unwrap();
    assert_eq!(again.status, StepStatus::Applied);
    assert!(!again.changed);

    // Revert: back to the OOBE checkpoint, the device objects gone, enhanced session restored.
    let device_id = lab
        .host
        .join_record(DEFAULT_VM_NAME)
        .unwrap()
        .unwrap()
        .device_id;
    assert_eq!(device_count(&lab, &device_id).await, 1);
    let reverted = bootstrap.revert(&ctx).await.unwrap();
    assert!(reverted.changed);
    assert!(
        reverted.detail.contains(OOBE_CHECKPOINT),
        "{}",
        reverted.detail
    );
    assert_eq!(lab.host.screen(DEFAULT_VM_NAME).unwrap(), GuestPage::SignIn);
    assert_eq!(device_count(&lab, &device_id).await, 0);
    let managed = devices::managed_by_device_id(&lab.graph, &DeviceId::from(device_id.as_str()))
        .await
        .unwrap();
    assert!(managed.is_none(), "{managed:?}");
    assert!(lab.host.enhanced_session_mode().await.unwrap());
    assert!(
        lab.session
            .lock()
            .await
            .journal
            .for_step(Step::Bootstrap)
            .next()
            .is_none()
    );
    // The VM itself is kept.
    assert!(lab.host.vm(DEFAULT_VM_NAME).await.unwrap().is_some());
}

async fn a_wrong_tap_fails_at_the_sign_in_row() {
    let lab = Lab::start(true).await;
    let ctx = lab.through_step_six().await;
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Error);
    let signin = row(&report, "signin");
    assert_eq!(signin.state, ValidationState::Failed);
    assert!(signin.detail.contains("isn't right"), "{}", signin.detail);
    assert!(
        signin
            .fix
            .as_deref()
            .unwrap()
            .contains("new Temporary Access Pass")
    );
    assert!(
        report.detail.contains("signed in at OOBE"),
        "{}",
        report.detail
    );
    let joined = row(&report, "dsreg_joined");
    assert_eq!(joined.state, ValidationState::Waiting);
}

async fn without_intune_scope_validation_waits_and_can_be_cancelled() {
    let lab = Lab::start(false).await;
    // Step 1 skipped: the MDM user scope stays None, so the join enrolls nothing in Intune.
    let ctx = lab.through_step_six_with(&[Step::WhfbEnrollment]).await;
    let cancel = ctx.cancel.clone();
    let job = tokio::spawn(async move { controller(Step::Bootstrap).apply(&ctx).await });
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        !job.is_finished(),
        "validation keeps polling while a row waits"
    );
    cancel.cancel();
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), job)
        .await
        .expect("cancel stops the polling")
        .unwrap();
    assert!(matches!(result, Err(StepError::Cancelled)), "{result:?}");

    // check tells which row waits and what to do about it.
    let (ctx, _rx) = lab.ctx(StepOptions::default());
    let report = controller(Step::Bootstrap).check(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::NeedsAction, "{}", report.detail);
    let managed = row(&report, "graph_managed_device");
    assert_eq!(managed.state, ValidationState::Waiting);
    let fix = managed.fix.as_deref().unwrap();
    assert!(
        fix.contains("0x80180014") && fix.contains("8018000a") && fix.contains("MAM"),
        "{fix}"
    );
    let joined = row(&report, "dsreg_joined");
    assert_eq!(joined.state, ValidationState::Passed);
}

/// The emulated machine seen the way the PowerShell host sees a real one: no guest account, so
/// no `dsregcmd`, no view of the guest's page, an ISO to install Windows from, and a PC only the
/// person restarts; everything else (the emulated pace included) is the emulated Hyper-V.
/// `sees_pages` keeps the emulated host's view of the page; `reporter` passes the VM's KVP
/// items through (a real host reads them; a VM without our reporter publishes none).
struct WithoutGuestAccess {
    inner: Arc<EmulatedHost>,
    sees_pages: bool,
    reporter: bool,
}

impl WithoutGuestAccess {
    /// A real host on a VM without the reporter: no page, no KVP items, no PowerShell Direct.
    fn blind(host: Arc<EmulatedHost>) -> WithoutGuestAccess {
        WithoutGuestAccess {
            inner: host,
            sees_pages: false,
            reporter: false,
        }
    }

    /// A real host on the VM step 4 created: no page, but the reporter's KVP items.
    fn with_reporter(host: Arc<EmulatedHost>, sees_pages: bool) -> WithoutGuestAccess {
        WithoutGuestAccess {
            inner: host,
            sees_pages,
            reporter: true,
        }
    }
}

#[async_trait::async_trait]
impl HyperVHost for WithoutGuestAccess {
    async fn feature_state(&self) -> Result<FeatureState, HostError> {
        self.inner.feature_state().await
    }
    async fn enable_feature(&self) -> Result<bool, HostError> {
        self.inner.enable_feature().await
    }
    async fn restart_needed(&self) -> Result<bool, HostError> {
        self.inner.restart_needed().await
    }
    async fn restart_pc(&self) -> Result<(), HostError> {
        Err(HostError::RestartByHand)
    }
    fn install_media(&self) -> InstallMedia {
        InstallMedia::Required
    }
    fn pace(&self) -> Pace {
        self.inner.pace()
    }
    async fn list_vms(&self) -> Result<Vec<VmInfo>, HostError> {
        self.inner.list_vms().await
    }
    async fn vm(&self, name: &str) -> Result<Option<VmInfo>, HostError> {
        self.inner.vm(name).await
    }
    async fn create_vm(&self, spec: &VmSpec) -> Result<VmInfo, HostError> {
        self.inner.create_vm(spec).await
    }
    async fn start_vm(&self, name: &str) -> Result<(), HostError> {
        self.inner.start_vm(name).await
    }
    async fn stop_vm(&self, name: &str) -> Result<(), HostError> {
        self.inner.stop_vm(name).await
    }
    async fn vm_state(&self, name: &str) -> Result<VmState, HostError> {
        self.inner.vm_state(name).await
    }
    async fn create_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        self.inner.create_checkpoint(vm, checkpoint).await
    }
    async fn restore_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        self.inner.restore_checkpoint(vm, checkpoint).await
    }
    async fn list_checkpoints(&self, vm: &str) -> Result<Vec<Checkpoint>, HostError> {
        self.inner.list_checkpoints(vm).await
    }
    async fn enhanced_session_mode(&self) -> Result<bool, HostError> {
        self.inner.enhanced_session_mode().await
    }
    async fn set_enhanced_session_mode(&self, enabled: bool) -> Result<(), HostError> {
        self.inner.set_enhanced_session_mode(enabled).await
    }
    async fn screenshot(&self, vm: &str) -> Result<ScreenImage, HostError> {
        self.inner.screenshot(vm).await
    }
    async fn guest_page(&self, vm: &str) -> Result<Option<GuestPage>, HostError> {
        if self.sees_pages {
            self.inner.guest_page(vm).await
        } else {
            Ok(None)
        }
    }
    async fn start_vm_from_dvd(&self, name: &str) -> Result<(), HostError> {
        self.inner.start_vm_from_dvd(name).await
    }
    async fn install_images(
        &self,
        iso: &std::path::Path,
    ) -> Result<Vec<hello_bootstrap::host::InstallImage>, HostError> {
        self.inner.install_images(iso).await
    }
    async fn guest_kvp(&self, vm: &str) -> Result<hello_bootstrap::host::GuestKvp, HostError> {
        if self.reporter {
            self.inner.guest_kvp(vm).await
        } else {
            Ok(hello_bootstrap::host::GuestKvp::default())
        }
    }
    async fn type_text(
        &self,
        vm: &str,
        text: KeyboardText<'_>,
        press_enter: bool,
    ) -> Result<(), HostError> {
        self.inner.type_text(vm, text, press_enter).await
    }
    async fn run_in_vm(&self, _vm: &str, _command: GuestCommand) -> Result<String, HostError> {
        Err(HostError::GuestAccess(
            "no guest account for PowerShell Direct: run dsregcmd /status in the VM".into(),
        ))
    }
}

async fn without_dsregcmd_graph_still_finds_the_device() {
    let lab = Lab::start(false).await;
    let ctx = lab.through_step_six().await;
    let tap = ctx.options.tap.clone().unwrap();
    // The sign-in is typed here; the person at the VM sets the PIN, then opens My Apps.
    let host = &lab.host;
    host.set_enhanced_session_mode(false).await.unwrap();
    host.type_text(
        DEFAULT_VM_NAME,
        KeyboardText::Plain(lab.emu.lab_user_upn.as_str()),
        true,
    )
    .await
    .unwrap();
    host.type_text(DEFAULT_VM_NAME, KeyboardText::Secret(&tap), true)
        .await
        .unwrap();
    host.open_my_apps(DEFAULT_VM_NAME).await.unwrap();

    let (mut ctx, _rx) = lab.ctx(StepOptions::default());
    ctx.host = Some(Arc::new(WithoutGuestAccess::blind(lab.host.clone())));
    let report = controller(Step::Bootstrap).check(&ctx).await.unwrap();
    let state = |id: &str| row(&report, id).state;
    for id in [
        "signin",
        "enhanced_session",
        "graph_device",
        "graph_managed_device",
        "graph_whfb",
        "graph_mfa_signin",
    ] {
        assert_eq!(state(id), ValidationState::Passed, "{id}");
    }
    // No reporter and no guest account: the device rows cannot come, so they are not waited
    // for; the verdict rests on the cloud rows, and says so.
    for id in ["dsreg_joined", "dsreg_ngc", "dsreg_prt"] {
        assert!(
            report.evidence.rows.iter().all(|r| r.id != id),
            "{id} is still a row"
        );
    }
    assert!(
        report
            .detail
            .contains("not available for this VM: cloud evidence only"),
        "{}",
        report.detail
    );
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
}

/// Step 7 on a host that reads only the VM's KVP items (no PowerShell Direct): the device rows
/// come from the reporter.
async fn device_rows_come_from_the_vms_own_report() {
    let lab = Lab::start(false).await;
    let ctx = lab.through_step_six().await;
    let (mut ctx7, _rx) = lab.ctx(ctx.options.clone());
    ctx7.host = Some(Arc::new(WithoutGuestAccess::with_reporter(
        lab.host.clone(),
        true,
    )));
    let report = controller(Step::Bootstrap).apply(&ctx7).await.unwrap();
    for id in ["dsreg_joined", "dsreg_ngc", "dsreg_prt"] {
        assert_eq!(row(&report, id).state, ValidationState::Passed, "{id}");
    }
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    // Step 4's check now reads the user's report: the VM is past OOBE, checkpoint kept.
    let check = controller(Step::LabVm).check(&ctx7).await.unwrap();
    assert_eq!(check.status, StepStatus::Applied, "{}", check.detail);
    assert!(check.detail.contains("past OOBE"), "{}", check.detail);
}

async fn missing_prerequisites_are_clear_errors() {
    let lab = Lab::start(false).await;
    let (ctx, _rx) = lab.ctx(StepOptions::default());
    // Step 4 before Hyper-V runs.
    let err = controller(Step::LabVm).apply(&ctx).await.unwrap_err();
    assert!(err.to_string().contains("step 3"), "{err}");
    // A given ISO that does not exist is bad input with the way to get one.
    lab.host.enable_feature().await.unwrap();
    lab.host.restart_pc().await.unwrap();
    let (iso_ctx, _rx) = lab.ctx(StepOptions {
        iso_path: Some("/nonexistent/Win11_Eval.iso".into()),
        ..StepOptions::default()
    });
    match controller(Step::LabVm).apply(&iso_ctx).await.unwrap_err() {
        StepError::BadInput(m) => assert!(
            m.contains("Evaluation Center") && m.contains("retired"),
            "{m}"
        ),
        other => panic!("expected bad input, got {other:?}"),
    }
    // Step 7 before step 4.
    let err = controller(Step::Bootstrap).apply(&ctx).await.unwrap_err();
    assert!(err.to_string().contains("step 4"), "{err}");
}

/// The reverts of a lab that never got past step 3 (Reset lab runs every one, last first).
async fn reverts_of_a_partial_lab_have_nothing_to_do(ctx: &StepContext) {
    for step in [Step::Bootstrap, Step::LabVm] {
        let r = controller(step).revert(ctx).await.unwrap();
        assert_eq!(r.status, StepStatus::NotApplied, "{step}: {}", r.detail);
        assert!(!r.changed, "{step}: {}", r.detail);
        assert!(
            r.detail.starts_with("Nothing to revert"),
            "{step}: {}",
            r.detail
        );
    }
}

/// Resetting a lab where Hyper-V is off, or where there is no host at all, reverts steps 7 and 4
/// to "nothing to revert" instead of failing on the missing Hyper-V; step 7 still deletes the
/// device objects its journal recorded, and keeps the enhanced session entry for when Hyper-V
/// runs again.
async fn a_partial_lab_resets_without_hyper_v() {
    let lab = Lab::start(false).await;
    let (ctx, _rx) = lab.ctx(StepOptions::default());
    assert_eq!(
        lab.host.feature_state().await.unwrap(),
        FeatureState::Disabled
    );
    reverts_of_a_partial_lab_have_nothing_to_do(&ctx).await;
    let r = controller(Step::LabVm).revert(&ctx).await.unwrap();
    assert!(r.detail.contains("Hyper-V is not enabled"), "{}", r.detail);

    let (mut no_host, _rx) = lab.ctx(StepOptions::default());
    no_host.host = None;
    reverts_of_a_partial_lab_have_nothing_to_do(&no_host).await;
    let r = controller(Step::Bootstrap).revert(&no_host).await.unwrap();
    assert!(r.detail.contains("no Hyper-V host"), "{}", r.detail);

    // A device joined (through the emulator's OOBE hook) and journalled by step 7 earlier.
    crate::common::enable_tap_policy(&lab.graph).await;
    crate::common::mdm_scope_all(&lab.graph).await;
    let upn = crate::common::lab_upn(&lab.emu);
    let tap = auth_methods::create_tap(&lab.graph, &upn, &NewTap::default())
        .await
        .unwrap();
    let joined: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/_emulator/oobe-signin", lab.emu.graph_url))
        .json(&serde_json::json!({
            "upn": upn.as_str(), "tap": tap.code.expose(), "device_name": "LAB-PC01"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_id = DeviceId::from(joined["device_id"].as_str().expect("joined"));
    let device = devices::by_device_id(&lab.graph, &device_id)
        .await
        .unwrap()
        .expect("the join made an Entra device");
    let managed = devices::managed_by_device_id(&lab.graph, &device_id)
        .await
        .unwrap()
        .expect("the join enrolled the device");
    for key in [
        format!("device:{}", device.id),
        format!("managed_device:{}", managed.id),
        "enhanced_session_mode".to_string(),
    ] {
        no_host
            .journal_original(Step::Bootstrap, &key, serde_json::json!(true))
            .await
            .unwrap();
    }
    let r = controller(Step::Bootstrap).revert(&no_host).await.unwrap();
    assert_eq!(r.status, StepStatus::NotApplied, "{}", r.detail);
    assert!(r.changed, "{}", r.detail);
    assert!(
        r.detail
            .contains(&format!("deleted Entra device {}", device.id))
            && r.detail
                .contains(&format!("deleted Intune managed device {}", managed.id))
            && r.detail.contains("once Hyper-V runs again"),
        "{}",
        r.detail
    );
    assert!(
        devices::by_device_id(&lab.graph, &device_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        devices::managed_by_device_id(&lab.graph, &device_id)
            .await
            .unwrap()
            .is_none()
    );
    let left: Vec<String> = lab
        .session
        .lock()
        .await
        .journal
        .for_step(Step::Bootstrap)
        .map(|e| e.key.clone())
        .collect();
    assert_eq!(left, ["enhanced_session_mode"]);
}

/// The backend the wizard's jobs run on, over `host`.
fn backend(lab: &Lab, host: Arc<dyn HyperVHost>) -> ControllerBackend {
    ControllerBackend {
        info: BackendInfo {
            tenant_name: lab.emu.tenant_name.clone(),
            account: "admin".into(),
            kind: SessionKind::Demo,
        },
        graph: Some(lab.graph.clone()),
        host: Some(host),
        session: lab.session.clone(),
        keepalive: Vec::new(),
    }
}

async fn restart_job(backend: &ControllerBackend) -> Result<StepReport, StepError> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    backend
        .run(
            Step::HypervFeature,
            JobAction::RestartDemoPc,
            StepOptions::default(),
            tx,
            CancellationToken::new(),
        )
        .await
}

async fn the_demo_pc_restart_job_finishes_step_three() {
    let lab = Lab::start(false).await;
    let (ctx, _rx) = lab.ctx(StepOptions::default());
    let r = controller(Step::HypervFeature).apply(&ctx).await.unwrap();
    assert_eq!(r.status, StepStatus::NeedsAction, "{}", r.detail);
    let report = restart_job(&backend(&lab, lab.host.clone())).await.unwrap();
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    assert_eq!(
        lab.host.feature_state().await.unwrap(),
        FeatureState::Enabled
    );
}

async fn a_host_that_cannot_see_the_guest_leaves_setup_and_the_restart_to_the_person() {
    let lab = Lab::start(false).await;
    let unseen: Arc<dyn HyperVHost> = Arc::new(WithoutGuestAccess::blind(lab.host.clone()));
    let (mut ctx, _rx) = lab.ctx(StepOptions::default());
    ctx.host = Some(unseen.clone());

    // Step 3: the restart is the person's; the job says so and restarts nothing.
    let r = controller(Step::HypervFeature).apply(&ctx).await.unwrap();
    assert_eq!(r.status, StepStatus::NeedsAction, "{}", r.detail);
    match restart_job(&backend(&lab, unseen.clone())).await {
        Err(StepError::Precondition(m)) => {
            assert!(m.contains("restart this PC yourself"), "{m}")
        }
        other => panic!("expected a precondition, got {other:?}"),
    }
    assert_eq!(
        lab.host.feature_state().await.unwrap(),
        FeatureState::EnablePending
    );
    lab.host.restart_pc().await.unwrap();

    // Step 4: the ISO is required; then Setup runs from the answer disc with nobody at the
    // console, and the checkpoint waits for the VM's own OOBE marker (the host sees no page).
    match controller(Step::LabVm).apply(&ctx).await.unwrap_err() {
        StepError::BadInput(m) => assert!(m.contains("ISO"), "{m}"),
        other => panic!("expected bad input, got {other:?}"),
    }
    let iso = tempfile::NamedTempFile::new().unwrap();
    ctx.options.iso_path = Some(iso.path().to_path_buf());
    let reporting: Arc<dyn HyperVHost> =
        Arc::new(WithoutGuestAccess::with_reporter(lab.host.clone(), false));
    ctx.host = Some(reporting);
    let r = controller(Step::LabVm).apply(&ctx).await.unwrap();
    assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
    let checkpoints = |host: Arc<EmulatedHost>| async move {
        host.list_checkpoints(DEFAULT_VM_NAME).await.unwrap().len()
    };
    assert_eq!(checkpoints(lab.host.clone()).await, 1);
    assert_eq!(lab.host.screen(DEFAULT_VM_NAME).unwrap(), GuestPage::SignIn);
    let check = controller(Step::LabVm).check(&ctx).await.unwrap();
    assert_eq!(check.status, StepStatus::Applied, "{}", check.detail);
    assert!(check.detail.contains("at OOBE"), "{}", check.detail);
}

/// Step 4 from an ISO on the host that sees pages: the answer disc is written, Setup runs, the
/// checkpoint is taken at the sign-in page; `check` tells "VM off" from "at OOBE"; revert
/// brings the VM back at OOBE and running.
async fn step_four_goes_from_the_iso_to_oobe_and_reset_leaves_it_running() {
    let lab = Lab::start(false).await;
    lab.host.enable_feature().await.unwrap();
    lab.host.restart_pc().await.unwrap();
    let iso = tempfile::NamedTempFile::new().unwrap();
    let (ctx, _rx) = lab.ctx(StepOptions {
        iso_path: Some(iso.path().to_path_buf()),
        ..StepOptions::default()
    });
    let vm = controller(Step::LabVm);
    let r = vm.apply(&ctx).await.unwrap();
    assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
    let disc = hello_bootstrap::steps::lab_vm::answer_dir(DEFAULT_VM_NAME)
        .join("hello-bootstrap-answers.iso");
    let read = hello_bootstrap::host::iso9660::read(&std::fs::read(&disc).unwrap()).unwrap();
    assert_eq!(read.files[0].0, "autounattend.xml");
    let guest = &r.evidence.after.as_ref().unwrap()["guest"];
    assert_eq!(guest["phase"], "at_oobe", "{guest}");
    assert_eq!(guest["keyboard_layout"], "00000409");

    lab.host.stop_vm(DEFAULT_VM_NAME).await.unwrap();
    let off = vm.check(&ctx).await.unwrap();
    assert_eq!(off.status, StepStatus::NotApplied, "{}", off.detail);
    assert!(off.detail.contains("VM off"), "{}", off.detail);
    let r = vm.apply(&ctx).await.unwrap();
    assert_eq!(r.status, StepStatus::Applied, "{}", r.detail);
    assert_eq!(
        lab.host.vm_state(DEFAULT_VM_NAME).await.unwrap(),
        VmState::Running
    );

    // Someone types at OOBE; revert comes back to the checkpoint, running at the sign-in page.
    lab.host
        .type_text(
            DEFAULT_VM_NAME,
            KeyboardText::Plain("someone@contoso.com"),
            true,
        )
        .await
        .unwrap();
    let reverted = vm.revert(&ctx).await.unwrap();
    assert!(reverted.detail.contains("running"), "{}", reverted.detail);
    assert_eq!(
        lab.host.vm_state(DEFAULT_VM_NAME).await.unwrap(),
        VmState::Running
    );
    assert_eq!(lab.host.screen(DEFAULT_VM_NAME).unwrap(), GuestPage::SignIn);
    let check = vm.check(&ctx).await.unwrap();
    assert_eq!(check.status, StepStatus::Applied, "{}", check.detail);
    assert!(check.detail.contains("at OOBE"), "{}", check.detail);
}

/// Preflight: a PC without enough memory is told so before a VM is created, and a Home PC
/// before Hyper-V is enabled.
async fn preflight_names_what_the_pc_lacks() {
    let lab = Lab::start_with(|h| {
        h.with_preflight(hello_bootstrap::host::HostPreflight {
            edition: "Core".into(),
            caption: "Microsoft Windows 11 Home".into(),
            hypervisor_present: false,
            virtualization_firmware_enabled: true,
            slat: true,
            total_memory_bytes: 4 * 1024 * 1024 * 1024,
            free_memory_bytes: 2 * 1024 * 1024 * 1024,
            vhd_folder: "C:\\VMs".into(),
            free_disk_bytes: Some(100 * 1024 * 1024 * 1024),
        })
    })
    .await;
    let (ctx, _rx) = lab.ctx(StepOptions::default());
    let check = controller(Step::HypervFeature).check(&ctx).await.unwrap();
    assert_eq!(check.status, StepStatus::Error, "{}", check.detail);
    assert!(check.detail.contains("Home"), "{}", check.detail);
    match controller(Step::HypervFeature)
        .apply(&ctx)
        .await
        .unwrap_err()
    {
        StepError::Precondition(m) => assert!(m.contains("Pro"), "{m}"),
        other => panic!("expected a precondition, got {other:?}"),
    }
    assert_eq!(
        lab.host.feature_state().await.unwrap(),
        FeatureState::Disabled
    );
    lab.host.enable_feature().await.unwrap();
    lab.host.restart_pc().await.unwrap();
    match controller(Step::LabVm).apply(&ctx).await.unwrap_err() {
        StepError::Precondition(m) => assert!(m.contains("memory"), "{m}"),
        other => panic!("expected a precondition, got {other:?}"),
    }
    assert!(lab.host.vm(DEFAULT_VM_NAME).await.unwrap().is_none());
}

async fn without_the_person_at_the_vm_nobody_sets_the_pin() {
    let lab = Lab::start_with(EmulatedHost::without_person).await;
    let ctx = lab.through_step_six().await;
    let cancel = ctx.cancel.clone();
    let job = tokio::spawn(async move { controller(Step::Bootstrap).apply(&ctx).await });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !matches!(
        lab.host.screen(DEFAULT_VM_NAME).unwrap(),
        GuestPage::PinSetup { .. }
    ) {
        assert!(
            std::time::Instant::now() < deadline,
            "step 7 types the sign-in"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Validation polls on, but the PIN is the person's: step 7 never types one.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(!job.is_finished());
    assert!(matches!(
        lab.host.screen(DEFAULT_VM_NAME).unwrap(),
        GuestPage::PinSetup { .. }
    ));
    cancel.cancel();
    let result = job.await.unwrap();
    assert!(matches!(result, Err(StepError::Cancelled)), "{result:?}");
}

/// One test in this binary, so setting the config directory for session saves is race-free.
#[tokio::test]
async fn steps_three_four_and_seven_end_to_end() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    the_whole_lab_passes_every_validation_row().await;
    a_wrong_tap_fails_at_the_sign_in_row().await;
    without_intune_scope_validation_waits_and_can_be_cancelled().await;
    without_dsregcmd_graph_still_finds_the_device().await;
    missing_prerequisites_are_clear_errors().await;
    the_demo_pc_restart_job_finishes_step_three().await;
    a_host_that_cannot_see_the_guest_leaves_setup_and_the_restart_to_the_person().await;
    without_the_person_at_the_vm_nobody_sets_the_pin().await;
    a_partial_lab_resets_without_hyper_v().await;
    device_rows_come_from_the_vms_own_report().await;
    step_four_goes_from_the_iso_to_oobe_and_reset_leaves_it_running().await;
    preflight_names_what_the_pc_lacks().await;
}
