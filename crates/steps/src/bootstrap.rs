//! Step 7: the bootstrap. Enhanced session mode off; the lab user signs in at OOBE with the TAP
//! (typed for them when asked, or guided) and sets a PIN; then validation, polled with progress
//! until a deadline, proves the join, the Intune enrollment, Windows Hello and the MFA claim.

mod validation;

pub use validation::{MFA_BY_CLAIM, MFA_EXPLANATION, Observed, is_mfa_by_claim};

use super::lab_user::{lab_user, lab_user_or_report};
use super::lab_vm::{OOBE_CHECKPOINT, vm_name};
use crate::{StepContext, StepController};
use hb_graph::ApiVersion;
use hb_host::screens::Screen;
use hb_host::{HostError, HyperVHost, KeyboardText};
use hb_lab::{
    Evidence, GraphRequest, PortalLink, Secret, Step, StepError, StepReport, StepStatus, Upn,
    ValidationState,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const STEP: Step = Step::Bootstrap;
const KEY_ENHANCED_SESSION: &str = "enhanced_session_mode";
const KEY_DEVICE: &str = "device:";
const KEY_MANAGED_DEVICE: &str = "managed_device:";

/// How long validation keeps polling, and how often, on each kind of host.
struct Polling {
    deadline: Duration,
    interval: Duration,
}

impl Polling {
    fn for_host(host: &dyn HyperVHost) -> Polling {
        if host.as_emulated().is_some() {
            Polling {
                deadline: Duration::from_secs(30),
                interval: Duration::from_millis(100),
            }
        } else {
            // Enrollment and the sign-in log lag minutes behind the VM.
            Polling {
                deadline: Duration::from_secs(20 * 60),
                interval: Duration::from_secs(15),
            }
        }
    }
}

/// Signs the lab user in at the VM and validates the result.
pub struct Bootstrap;

/// What a person does at the VM when nobody types for them.
fn guidance(upn: &Upn, vm: &str) -> String {
    format!(
        "In {vm}'s window (Virtual Machine Connection, basic session), at \"Let's set things up for your work or school\", sign in as {upn}; when asked, enter the Temporary Access Pass from step 6; then set up a PIN when Windows asks. Validation follows here."
    )
}

async fn require_vm(host: &dyn HyperVHost, vm: &str) -> Result<(), StepError> {
    match host.vm(vm).await? {
        None => Err(StepError::Precondition(format!(
            "there is no VM named {vm}: apply step 4 first"
        ))),
        Some(info) if info.state != hb_host::VmState::Running => {
            Err(StepError::Precondition(format!(
                "{vm} is {}: start it (apply step 4) so Windows shows the OOBE page",
                info.state
            )))
        }
        Some(_) => Ok(()),
    }
}

/// The report for a validation pass.
fn verdict(obs: &Observed, waiting_text: &str) -> (StepStatus, String) {
    let total = obs.rows.len();
    let passed = obs.passed_count();
    if obs.all_passed() {
        return (
            StepStatus::Applied,
            format!(
                "All {total} checks passed: the VM is Entra joined, enrolled in Intune and signed in with Windows Hello for Business, bootstrapped by the Temporary Access Pass."
            ),
        );
    }
    if let Some(failed) = obs.rows.iter().find(|r| r.state == ValidationState::Failed) {
        return (
            StepStatus::Error,
            format!(
                "{}: {} ({passed} of {total} checks passed)",
                failed.label, failed.detail
            ),
        );
    }
    (
        StepStatus::NeedsAction,
        format!("{waiting_text} ({passed} of {total} checks passed)"),
    )
}

impl Bootstrap {
    /// Types the UPN and the TAP at the OOBE sign-in page; on the emulated host also waits for
    /// the page and sets the PIN.
    async fn sign_in(
        &self,
        ctx: &StepContext,
        host: &dyn HyperVHost,
        vm: &str,
        upn: &Upn,
        tap: &Secret,
    ) -> Result<(), StepError> {
        if let Some(emulated) = host.as_emulated() {
            let started = Instant::now();
            loop {
                ctx.check_cancelled()?;
                match emulated.screen(vm)? {
                    Screen::SignIn => break,
                    // A previous attempt failed: "Try again" goes back to the sign-in page.
                    Screen::SignInError { .. } => {
                        host.type_text(vm, KeyboardText::Plain(""), true).await?
                    }
                    Screen::Tap { .. } => {
                        // The UPN was typed before; only the TAP is missing.
                        self.type_tap(ctx, host, vm, tap).await?;
                        return self.finish_pin(ctx, host, vm).await;
                    }
                    Screen::PinSetup { .. } => return self.finish_pin(ctx, host, vm).await,
                    Screen::Desktop { .. } => return Ok(()),
                    Screen::Off => {
                        return Err(StepError::Precondition(format!(
                            "{vm} is off: apply step 4 first"
                        )));
                    }
                    Screen::Boot | Screen::Oobe => {
                        if started.elapsed() > Duration::from_secs(60) {
                            return Err(HostError::Timeout {
                                what: "Windows setup".into(),
                                after: Duration::from_secs(60),
                            }
                            .into());
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
        ctx.progress(
            STEP,
            format!("Typing {upn} at the OOBE sign-in page"),
            Some(0.1),
        );
        host.type_text(vm, KeyboardText::Plain(upn.as_str()), true)
            .await?;
        if host.as_emulated().is_none() {
            // Give the real OOBE time to load the password/TAP page.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = ctx.cancel.cancelled() => return Err(StepError::Cancelled),
            }
        }
        self.type_tap(ctx, host, vm, tap).await?;
        self.finish_pin(ctx, host, vm).await
    }

    async fn type_tap(
        &self,
        ctx: &StepContext,
        host: &dyn HyperVHost,
        vm: &str,
        tap: &Secret,
    ) -> Result<(), StepError> {
        ctx.check_cancelled()?;
        ctx.progress(STEP, "Typing the Temporary Access Pass", Some(0.2));
        host.type_text(vm, KeyboardText::Secret(tap), true).await?;
        Ok(())
    }

    /// On the emulated host, sets the PIN once the "Set up a PIN" page shows; a real person
    /// sets their own PIN.
    async fn finish_pin(
        &self,
        ctx: &StepContext,
        host: &dyn HyperVHost,
        vm: &str,
    ) -> Result<(), StepError> {
        let Some(emulated) = host.as_emulated() else {
            ctx.progress(STEP, "Set up a PIN in the VM when Windows asks", Some(0.3));
            return Ok(());
        };
        if let Screen::PinSetup { .. } = emulated.screen(vm)? {
            ctx.progress(STEP, "Setting up the Windows Hello PIN", Some(0.3));
            emulated.complete_pin_setup(vm).await?;
        }
        Ok(())
    }

    /// Records the device objects the sign-in created, so revert can delete them.
    async fn journal_devices(&self, ctx: &StepContext, obs: &Observed) -> Result<(), StepError> {
        if let Some(id) = &obs.device_object_id {
            ctx.journal_original(STEP, &format!("{KEY_DEVICE}{id}"), Value::Null)
                .await?;
        }
        if let Some(id) = &obs.managed_device_id {
            ctx.journal_original(STEP, &format!("{KEY_MANAGED_DEVICE}{id}"), Value::Null)
                .await?;
        }
        Ok(())
    }

    /// Polls validation until every row passes, one fails for good, or the deadline passes.
    async fn poll(
        &self,
        ctx: &StepContext,
        host: &dyn HyperVHost,
        vm: &str,
        upn: &Upn,
    ) -> Result<Observed, StepError> {
        let polling = Polling::for_host(host);
        let started = Instant::now();
        let mut opened_my_apps = false;
        loop {
            ctx.check_cancelled()?;
            let obs = validation::observe(ctx, host, vm, upn).await?;
            self.journal_devices(ctx, &obs).await?;
            let total = obs.rows.len().max(1);
            ctx.progress(
                STEP,
                format!(
                    "Validating: {} of {} checks passed",
                    obs.passed_count(),
                    obs.rows.len()
                ),
                Some(0.4 + 0.6 * obs.passed_count() as f32 / total as f32),
            );
            // Demo: the person at the VM opens My Apps once the desktop shows.
            if let (Some(emulated), true, Some(true), false) = (
                host.as_emulated(),
                obs.at_desktop,
                obs.mfa_required,
                opened_my_apps,
            ) {
                ctx.progress(STEP, "Opening My Apps in Edge in the VM", None);
                emulated.open_my_apps(vm).await?;
                opened_my_apps = true;
                continue;
            }
            let signin_failed = obs
                .row("signin")
                .is_some_and(|r| r.state == ValidationState::Failed);
            if obs.all_passed() || signin_failed || started.elapsed() >= polling.deadline {
                return Ok(obs);
            }
            tokio::select! {
                _ = tokio::time::sleep(polling.interval) => {}
                _ = ctx.cancel.cancelled() => return Err(StepError::Cancelled),
            }
        }
    }

    fn report(
        &self,
        ctx: &StepContext,
        obs: &Observed,
        status: StepStatus,
        detail: String,
        changed: bool,
    ) -> StepReport {
        let mut evidence = self.evidence(ctx);
        evidence.rows = obs.rows.clone();
        evidence.after = Some(json!({
            "device_id": obs.device_id,
            "device_object_id": obs.device_object_id,
            "managed_device_id": obs.managed_device_id,
            "conditional_access_requires_mfa": obs.mfa_required,
        }));
        let detail = match &obs.note {
            Some(note) => format!("{detail} {note}"),
            None => detail,
        };
        StepReport::new(STEP, status, detail)
            .changed(changed)
            .with_evidence(evidence)
    }
}

#[async_trait::async_trait]
impl StepController for Bootstrap {
    fn step(&self) -> Step {
        STEP
    }

    async fn check(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        ctx.check_cancelled()?;
        if let Some(report) = super::hyperv_feature::without_host(STEP, ctx) {
            return Ok(report);
        }
        let host = ctx.host()?;
        let vm = vm_name(ctx);
        let upn = match lab_user_or_report(STEP, ctx).await? {
            Ok(upn) => upn,
            Err(report) => return Ok(report.with_evidence(self.evidence(ctx))),
        };
        let hyperv_on = host.feature_state().await? == hb_host::FeatureState::Enabled;
        if !hyperv_on || require_vm(host, &vm).await.is_err() {
            return Ok(StepReport::new(
                STEP,
                StepStatus::NotApplied,
                format!("{vm} is not running at OOBE yet: apply steps 3 and 4 first."),
            )
            .with_evidence(self.evidence(ctx)));
        }
        let obs = validation::observe(ctx, host, &vm, &upn).await?;
        let (mut status, mut detail) = verdict(&obs, &guidance(&upn, &vm));
        if obs
            .row("signin")
            .is_some_and(|r| r.state == ValidationState::Waiting)
        {
            // Nobody has signed in yet: apply (or the person at the VM) has everything left to do.
            status = StepStatus::NotApplied;
            detail = format!("Not signed in yet. {}", guidance(&upn, &vm));
        }
        Ok(self.report(ctx, &obs, status, detail, false))
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let host = ctx.host()?;
        let vm = vm_name(ctx);
        let upn = lab_user(ctx).await?;
        require_vm(host, &vm).await?;
        let mut changed = false;
        if host.enhanced_session_mode().await? {
            ctx.journal_original(STEP, KEY_ENHANCED_SESSION, json!(true))
                .await?;
            ctx.progress(STEP, "Turning enhanced session mode off", Some(0.05));
            host.set_enhanced_session_mode(false).await?;
            changed = true;
        }
        let before = validation::observe(ctx, host, &vm, &upn).await?;
        if before.all_passed() {
            self.journal_devices(ctx, &before).await?;
            let (status, detail) = verdict(&before, "");
            return Ok(self.report(ctx, &before, status, detail, changed));
        }
        let signed_in = before
            .row("signin")
            .is_some_and(|r| r.state == ValidationState::Passed);
        match &ctx.options.tap {
            Some(tap) if !signed_in => {
                self.sign_in(ctx, host, &vm, &upn, tap).await?;
                changed = true;
            }
            Some(_) => self.finish_pin(ctx, host, &vm).await?,
            None if !signed_in => {
                return Ok(self.report(
                    ctx,
                    &before,
                    StepStatus::NeedsAction,
                    guidance(&upn, &vm),
                    changed,
                ));
            }
            None => {}
        }
        let obs = self.poll(ctx, host, &vm, &upn).await?;
        let waiting = if host.as_emulated().is_some() {
            "Validation timed out with checks still waiting.".to_string()
        } else {
            format!("Still waiting after 20 minutes. {}", guidance(&upn, &vm))
        };
        let (status, detail) = verdict(&obs, &waiting);
        Ok(self.report(ctx, &obs, status, detail, changed))
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let host = ctx.host()?;
        let vm = vm_name(ctx);
        let mut done = Vec::new();
        if host.vm(&vm).await?.is_some()
            && host
                .list_checkpoints(&vm)
                .await?
                .iter()
                .any(|c| c.name == OOBE_CHECKPOINT)
        {
            ctx.progress(
                STEP,
                format!("Restoring {vm} to its OOBE checkpoint"),
                Some(0.2),
            );
            host.restore_checkpoint(&vm, OOBE_CHECKPOINT).await?;
            done.push(format!("restored {vm} to '{OOBE_CHECKPOINT}'"));
        }
        let entries: Vec<(String, Value)> = ctx
            .session
            .lock()
            .await
            .journal
            .for_step(STEP)
            .map(|e| (e.key.clone(), e.original.clone()))
            .collect();
        for (key, original) in entries {
            ctx.check_cancelled()?;
            if key == KEY_ENHANCED_SESSION {
                let enabled = original.as_bool().unwrap_or(true);
                host.set_enhanced_session_mode(enabled).await?;
                done.push(format!(
                    "enhanced session mode back {}",
                    if enabled { "on" } else { "off" }
                ));
            } else if let Some(id) = key.strip_prefix(KEY_DEVICE) {
                delete(ctx, &format!("/devices/{id}")).await?;
                done.push(format!("deleted Entra device {id}"));
            } else if let Some(id) = key.strip_prefix(KEY_MANAGED_DEVICE) {
                delete(ctx, &format!("/deviceManagement/managedDevices/{id}")).await?;
                done.push(format!("deleted Intune managed device {id}"));
            } else {
                continue;
            }
            ctx.journal_forget(STEP, &key).await?;
        }
        let detail = if done.is_empty() {
            "Nothing to revert: no OOBE checkpoint and no device objects recorded.".to_string()
        } else {
            format!(
                "Reverted: {}. The VM is kept for later labs.",
                done.join("; ")
            )
        };
        Ok(StepReport::new(STEP, StepStatus::NotApplied, detail)
            .changed(!done.is_empty())
            .with_evidence(self.evidence(ctx)))
    }

    fn evidence(&self, ctx: &StepContext) -> Evidence {
        let url = |version: ApiVersion, path: &str| ctx.graph_url(version, path);
        Evidence {
            requests: vec![
                GraphRequest::new("GET", url(ApiVersion::V1, "/devices?$filter=deviceId eq '{deviceId}'"), None),
                GraphRequest::new("GET", url(ApiVersion::V1, "/deviceManagement/managedDevices?$filter=azureADDeviceId eq '{deviceId}'"), None),
                GraphRequest::new("GET", url(ApiVersion::V1, "/users/{upn}/authentication/windowsHelloForBusinessMethods"), None),
                GraphRequest::new("GET", url(ApiVersion::V1, "/identity/conditionalAccess/policies"), None),
                GraphRequest::new("GET", url(ApiVersion::Beta, "/auditLogs/signIns?$filter=userId eq '{userId}'"), None),
            ],
            powershell: Some(
                "# elevated PowerShell on the host\n\
Set-VMHost -EnableEnhancedSessionMode $false\n\
# \"Type it for me\": Hyper-V's virtual keyboard (Msvm_Keyboard.TypeText); the text travels as data\n\
# in the VM, after signing in:\n\
dsregcmd /status"
                    .into(),
            ),
            portal: Some(PortalLink {
                label: "Entra admin center: devices".into(),
                url: "https://entra.microsoft.com/#view/Microsoft_AAD_Devices/DevicesMenuBlade/~/Devices".into(),
            }),
            ..Evidence::default()
        }
    }
}

async fn delete(ctx: &StepContext, path: &str) -> Result<(), StepError> {
    match ctx.graph()?.delete(ApiVersion::V1, path).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into()),
    }
}
