//! Step 7: the bootstrap. Enhanced session mode off; the lab user signs in at OOBE with the TAP
//! (typed for them when asked, or guided) and sets a PIN; then validation, polled at the host's
//! pace until a deadline, proves the join, the Intune enrollment, Windows Hello and the MFA claim.

mod poll;
mod sign_in;
mod tap_replication;
mod validation;

pub use validation::{MFA_BY_CLAIM, MFA_EXPLANATION, Observed, is_mfa_by_claim};

use super::lab_user::{lab_user, lab_user_or_report};
use super::lab_vm::{OOBE_CHECKPOINT, revert_host, vm_name};
use crate::{StepContext, StepController};
use hb_graph::ApiVersion;
use hb_graph::api::{auth_methods, devices};
use hb_host::HyperVHost;
use hb_lab::{
    AuthMethodId, DeviceObjectId, Evidence, GraphRequest, ManagedDeviceId, PortalLink, Step,
    StepError, StepReport, StepStatus, Upn, UserId, ValidationState,
};
use serde_json::{Value, json};

const STEP: Step = Step::Bootstrap;
const KEY_ENHANCED_SESSION: &str = "enhanced_session_mode";
use validation::binding::{KEY_DEVICE, KEY_MANAGED_DEVICE, KEY_RUN_STARTED, KEY_WHFB};

/// Signs the lab user in at the VM and validates the result.
pub struct Bootstrap;

/// What a person does at the VM when the wizard does not type by itself, as a numbered
/// checklist: the buttons (or the CLI's `vm type-upn` / `vm type-tap`) type each part when its
/// page shows.
fn guidance(upn: &Upn, vm: &str) -> String {
    format!(
        "At the VM:\n1. Watch {vm}'s screen (here, or in Virtual Machine Connection, basic session).\n2. On \"Sign in with your work or school account\", press \"Type the UPN\" (it types {upn}).\n3. When it asks for the Temporary Access Pass, press \"Type the TAP\".\n4. Set up a PIN when Windows asks. The checks follow here."
    )
}

/// What every sign-in run starts with, whoever types: the run's start (cloud evidence older than
/// it is a previous run's) and enhanced session mode off, since the OOBE's sign-in happens in a
/// basic session. Returns whether it changed a host setting.
async fn begin_run(ctx: &StepContext, host: &dyn HyperVHost) -> Result<bool, StepError> {
    ctx.journal_original(
        STEP,
        KEY_RUN_STARTED,
        json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    )
    .await?;
    if !host.enhanced_session_mode().await? {
        return Ok(false);
    }
    ctx.journal_original(STEP, KEY_ENHANCED_SESSION, json!(true))
        .await?;
    ctx.progress(STEP, "Turning enhanced session mode off", Some(0.05));
    host.set_enhanced_session_mode(false).await?;
    Ok(true)
}

impl Bootstrap {
    /// "Type the UPN": types the lab user's account on the VM's sign-in page, then reports what
    /// the person does next.
    pub async fn type_upn(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let host = ctx.host()?;
        let vm = vm_name(ctx);
        let upn = lab_user(ctx).await?;
        require_vm(host, &vm).await?;
        let changed = begin_run(ctx, host).await?;
        sign_in::type_upn_now(ctx, host, &vm, &upn).await?;
        let obs = validation::observe(ctx, host, &vm, &upn).await?;
        let detail = format!(
            "Typed {upn} and pressed Enter. When the VM asks for the Temporary Access Pass, press \"Type the TAP\"."
        );
        Ok(self.report(ctx, &obs, StepStatus::NeedsAction, detail, changed))
    }

    /// "Type the TAP": types step 6's pass (memory only) on the VM's pass page, then validates
    /// the sign-in as Apply does, while the person sets up the PIN.
    pub async fn type_tap(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let host = ctx.host()?;
        let vm = vm_name(ctx);
        let upn = lab_user(ctx).await?;
        require_vm(host, &vm).await?;
        begin_run(ctx, host).await?;
        sign_in::type_tap_now(ctx, host, &vm, ctx.options.tap.as_ref()).await?;
        self.validate(ctx, host, &vm, &upn, true).await
    }

    /// Polls the checks at the host's pace until they pass or the cloud's deadline, and says
    /// how the run ended.
    async fn validate(
        &self,
        ctx: &StepContext,
        host: &dyn HyperVHost,
        vm: &str,
        upn: &Upn,
        changed: bool,
    ) -> Result<StepReport, StepError> {
        let obs = poll::poll(ctx, host, vm, upn).await?;
        let waiting = poll::still_waiting(&obs, host.pace().cloud, &guidance(upn, vm));
        let (status, detail) = poll::verdict(&obs, &waiting);
        Ok(self.report(ctx, &obs, status, detail, changed))
    }
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
        let (mut status, mut detail) = poll::verdict(&obs, &guidance(&upn, &vm));
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
        let mut changed = begin_run(ctx, host).await?;
        // A VM whose page the host sees and that is not signed in yet gets the pass typed
        // whatever the cloud says (the sign-in row cannot pass before the desktop), so the
        // before-sign-in pass would read Graph for nothing: validation follows the sign-in.
        if let Some(tap) = &ctx.options.tap
            && host
                .guest_page(&vm)
                .await?
                .is_some_and(|page| !page.is_signed_in())
        {
            sign_in::sign_in(ctx, host, &vm, &upn, tap).await?;
            return self.validate(ctx, host, &vm, &upn, true).await;
        }
        let before = validation::observe(ctx, host, &vm, &upn).await?;
        if before.all_passed() {
            poll::journal_devices(ctx, &before).await?;
            let (status, detail) = poll::verdict(&before, "");
            return Ok(self.report(ctx, &before, status, detail, changed));
        }
        let signed_in = before
            .row("signin")
            .is_some_and(|r| r.state == ValidationState::Passed);
        // Apply types by itself only where the host sees which page the VM shows (the demo's
        // PC); a real host's pages are pixels to us, so the person types with the buttons.
        let sees_pages = host.guest_page(&vm).await?.is_some();
        match &ctx.options.tap {
            _ if signed_in => {}
            Some(tap) if sees_pages => {
                sign_in::sign_in(ctx, host, &vm, &upn, tap).await?;
                changed = true;
            }
            tap => {
                let mut detail = guidance(&upn, &vm);
                if tap.is_none() {
                    detail = format!("{detail}\n{}", sign_in::TAP_GONE);
                }
                return Ok(self.report(ctx, &before, StepStatus::NeedsAction, detail, changed));
            }
        }
        self.validate(ctx, host, &vm, &upn, changed).await
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let vm = vm_name(ctx);
        // Without a running Hyper-V there is no VM or host setting of ours to touch; the device
        // objects the journal recorded live in the tenant and are deleted all the same.
        let host = revert_host(ctx).await?;
        let mut done = Vec::new();
        // A started run may have cloud objects the journal has not seen yet (looked for below).
        let has_cloud_objects = ctx.session.lock().await.journal.for_step(STEP).any(|e| {
            [KEY_DEVICE, KEY_MANAGED_DEVICE, KEY_WHFB, KEY_RUN_STARTED]
                .iter()
                .any(|k| e.key.starts_with(k))
        });
        if has_cloud_objects {
            // The deletes need more than step 7's reads: asked for now, as the revert starts.
            ctx.graph()?
                .prepare(STEP, hb_lab::session::JobAction::Revert)
                .await?;
        }
        let mut missed = String::new();
        if let Ok(host) = &host
            && let Err(why) = discover_unrecorded(ctx, *host, &vm).await
        {
            missed = format!(
                " Device objects this run created but had not recorded yet could not be looked for ({why}); check Entra devices and Intune for {vm}."
            );
        }
        if let Ok(host) = host
            && host.vm(&vm).await?.is_some()
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
            super::lab_vm::restore_and_start(host, &vm).await?;
            done.push(format!(
                "restored {vm} to '{OOBE_CHECKPOINT}' and started it"
            ));
        }
        let entries: Vec<(String, Value)> = ctx
            .session
            .lock()
            .await
            .journal
            .for_step(STEP)
            .map(|e| (e.key.clone(), e.original.clone()))
            .collect();
        let mut kept = None;
        for (key, original) in entries {
            ctx.check_cancelled()?;
            if key == KEY_ENHANCED_SESSION {
                let host = match host {
                    Ok(host) => host,
                    Err(ref why) => {
                        // Kept in the journal: a revert once Hyper-V runs again restores it.
                        kept = Some(format!(
                            " Enhanced session mode is restored by a revert once Hyper-V runs again ({why})."
                        ));
                        continue;
                    }
                };
                let enabled = original.as_bool().unwrap_or(true);
                host.set_enhanced_session_mode(enabled).await?;
                done.push(format!(
                    "enhanced session mode back {}",
                    if enabled { "on" } else { "off" }
                ));
            } else if let Some(id) = key.strip_prefix(KEY_DEVICE) {
                gone_is_fine(devices::delete(ctx.graph()?, &DeviceObjectId::from(id)).await)?;
                done.push(format!("deleted Entra device {id}"));
            } else if let Some(id) = key.strip_prefix(KEY_MANAGED_DEVICE) {
                gone_is_fine(
                    devices::delete_managed(ctx.graph()?, &ManagedDeviceId::from(id)).await,
                )?;
                done.push(format!("deleted Intune managed device {id}"));
            } else if let Some(id) = key.strip_prefix(KEY_WHFB) {
                let Some(user) = original.as_str().map(UserId::from) else {
                    ctx.journal_forget(STEP, &key).await?;
                    continue;
                };
                gone_is_fine(
                    auth_methods::delete_whfb(ctx.graph()?, &user, &AuthMethodId::from(id)).await,
                )?;
                done.push(format!("deleted the Windows Hello for Business key {id}"));
            } else if key == KEY_RUN_STARTED {
                // Not a change: the bound of the run, forgotten with it.
            } else {
                continue;
            }
            ctx.journal_forget(STEP, &key).await?;
        }
        let mut detail = match (&host, done.is_empty()) {
            (Err(why), true) => format!(
                "Nothing to revert: {why}, so there is no VM to restore, and no device objects were recorded."
            ),
            (Ok(_), true) => {
                "Nothing to revert: no OOBE checkpoint and no device objects recorded.".to_string()
            }
            (_, false) => format!(
                "Reverted: {}. The VM is kept for later labs.",
                done.join("; ")
            ),
        };
        detail.push_str(kept.as_deref().unwrap_or(""));
        detail.push_str(&missed);
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
                GraphRequest::new("GET", url(ApiVersion::V1, "/users/{upn}/authentication/windowsHelloForBusinessMethods/{id}?$expand=device"), None),
                GraphRequest::new("GET", url(ApiVersion::V1, "/identity/conditionalAccess/policies"), None),
                GraphRequest::new("GET", url(ApiVersion::V1, "/users/{userId}/transitiveMemberOf?$select=id,roleTemplateId"), None),
                GraphRequest::new("GET", url(ApiVersion::Beta, "/auditLogs/signIns?$filter=userId eq '{userId}' and createdDateTime ge {runStarted}"), None),
                GraphRequest::new("GET", url(ApiVersion::Beta, "/auditLogs/signIns?$filter=userId eq '{userId}' and createdDateTime ge {runStarted} and signInEventTypes/any(t: t eq 'nonInteractiveUser')"), None),
            ],
            powershell: Some(
                "# elevated PowerShell on the host\n\
Hyper-V\\Set-VMHost -EnableEnhancedSessionMode $false\n\
# \"Type the UPN\" and \"Type the TAP\": Hyper-V's virtual keyboard (Msvm_Keyboard.TypeText); the text travels as data\n\
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

/// A delete whose object is already gone did what the revert wanted.
/// Before a revert restores the VM (which wipes what its guest knows): one validation pass of
/// reads, bound to this run by its journaled start, which journals any device object, managed
/// device or Windows Hello key the sign-in created that a killed run never saw, so the revert
/// below deletes them too. Nothing to look for when no run of step 7 started.
async fn discover_unrecorded(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
) -> Result<(), StepError> {
    let started = ctx
        .session
        .lock()
        .await
        .journal
        .for_step(STEP)
        .any(|e| e.key == KEY_RUN_STARTED);
    if !started || host.vm(vm).await?.is_none() {
        return Ok(());
    }
    let upn = lab_user(ctx).await?;
    validation::observe(ctx, host, vm, &upn).await.map(|_| ())
}

fn gone_is_fine(result: Result<(), hb_graph::GraphError>) -> Result<(), StepError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_guidance_is_a_numbered_checklist_that_says_each_thing_once() {
        let upn = Upn::parse("adele.vance@contosolab.onmicrosoft.com").unwrap();
        let text = guidance(&upn, "LAB-VM-01");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"At the VM:"), "{text}");
        assert_eq!(lines.len(), 5, "{text}");
        for (i, line) in lines[1..].iter().enumerate() {
            assert!(line.starts_with(&format!("{}. ", i + 1)), "{text}");
        }
        for once in ["Type the UPN", "Type the TAP", "PIN", upn.as_str()] {
            assert_eq!(text.matches(once).count(), 1, "{once} in {text}");
        }
    }
}
