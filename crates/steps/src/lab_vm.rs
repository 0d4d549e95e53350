//! Step 4: the Windows 11 lab VM (Gen 2, 2+ vCPU, 4 GB+, vTPM, Secure Boot, Default Switch, the
//! user's ISO), started to OOBE and checkpointed there so a presenter can rerun the lab.

use crate::{StepContext, StepController};
use hb_host::{
    FeatureState, GuestPage, HostError, HyperVHost, InstallMedia, VmInfo, VmSpec, VmState,
};
use hb_lab::{Evidence, Step, StepError, StepReport, StepStatus};
use serde_json::json;
use std::time::Instant;

const STEP: Step = Step::LabVm;
/// The checkpoint taken at the OOBE sign-in page; step 7's revert returns to it.
pub const OOBE_CHECKPOINT: &str = "hello-bootstrap-oobe";
/// The VM name when the person chose none.
pub const DEFAULT_VM_NAME: &str = "HelloBootstrap-Lab";

/// Where to get Windows 11 now that the ready-made dev-environment VMs are gone.
pub const ISO_HELP: &str = "Download the Windows 11 Enterprise evaluation ISO (90 days) from the Microsoft Evaluation Center (it asks for a short registration), or the Windows 11 ISO from https://www.microsoft.com/software-download/windows11, then choose that file. (The ready-made Windows 11 dev-environment VM that Hyper-V Quick Create offered was retired in 2024.)";

/// Creates and prepares the lab VM.
pub struct LabVm;

/// The lab VM's name: the person's choice or the default.
pub fn vm_name(ctx: &StepContext) -> String {
    ctx.options
        .vm_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_VM_NAME)
        .to_string()
}

/// Checks the chosen ISO: required where the host installs Windows from it, readable wherever
/// it is given.
fn check_iso(
    ctx: &StepContext,
    media: InstallMedia,
) -> Result<Option<std::path::PathBuf>, StepError> {
    let Some(path) = ctx.options.iso_path.clone() else {
        if media == InstallMedia::Optional {
            return Ok(None);
        }
        return Err(StepError::BadInput(format!(
            "choose a Windows 11 ISO for the lab VM (CLI: --iso FILE). {ISO_HELP}"
        )));
    };
    let readable = std::fs::File::open(&path).and_then(|f| f.metadata());
    match readable {
        Ok(meta) if meta.is_file() => Ok(Some(path)),
        Ok(_) => Err(StepError::BadInput(format!(
            "{} is a folder, not an ISO file. {ISO_HELP}",
            path.display()
        ))),
        Err(e) => Err(StepError::BadInput(format!(
            "cannot read the ISO {} ({e}). {ISO_HELP}",
            path.display()
        ))),
    }
}

/// What is wrong with an existing VM for Windows 11, if anything.
fn shortcomings(vm: &VmInfo) -> Vec<String> {
    let mut out = Vec::new();
    if vm.generation != 2 {
        out.push(format!("generation {} (needs 2)", vm.generation));
    }
    if vm.cpu_count < 2 {
        out.push(format!("{} virtual processor(s) (needs 2)", vm.cpu_count));
    }
    if vm.memory_bytes < 4 * hb_host::types::GB {
        out.push(format!(
            "{} MB of memory (needs 4096)",
            vm.memory_bytes / (1024 * 1024)
        ));
    }
    if !vm.tpm_enabled {
        out.push("no virtual TPM".into());
    }
    out
}

async fn has_checkpoint(host: &dyn HyperVHost, vm: &str) -> Result<bool, HostError> {
    Ok(host
        .list_checkpoints(vm)
        .await?
        .iter()
        .any(|c| c.name == OOBE_CHECKPOINT))
}

/// The Hyper-V host a revert can ask about VMs, or why there is none: no host at all, or Hyper-V
/// not running on it (a VM, its checkpoints and enhanced session mode exist only while it runs).
/// Steps 4 and 7 revert on a partial lab, so "no Hyper-V" means "nothing of theirs", not a failure.
pub(crate) async fn revert_host(
    ctx: &StepContext,
) -> Result<Result<&dyn HyperVHost, String>, StepError> {
    let Ok(host) = ctx.host() else {
        return Ok(Err("there is no Hyper-V host here".into()));
    };
    Ok(match host.feature_state().await? {
        // Until the restart that turns it off, Hyper-V still runs its VMs.
        FeatureState::Enabled | FeatureState::DisablePending => Ok(host),
        FeatureState::Disabled => Err("Hyper-V is not enabled on this PC".into()),
        FeatureState::Unavailable { .. } => Err("Hyper-V cannot run on this PC".into()),
        FeatureState::EnablePending => Err("Hyper-V does not run until Windows restarts".into()),
    })
}

/// Waits until the VM shows the OOBE sign-in page. Returns `false` at once when the host cannot
/// see the guest's page: then the person watching the VM knows when it is there.
async fn wait_for_oobe(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
) -> Result<bool, StepError> {
    let pace = host.pace();
    let started = Instant::now();
    loop {
        ctx.check_cancelled()?;
        let Some(page) = host.guest_page(vm).await? else {
            return Ok(false);
        };
        if page == GuestPage::SignIn {
            return Ok(true);
        }
        if page.is_signed_in() {
            return Err(StepError::Precondition(format!(
                "{vm} is past OOBE (it shows '{}'), so the OOBE checkpoint cannot be taken: choose another VM name to create a fresh VM",
                page.title()
            )));
        }
        if started.elapsed() > pace.setup {
            return Err(HostError::Timeout {
                what: format!("Windows setup in {vm} (now at '{}')", page.title()),
                after: pace.setup,
            }
            .into());
        }
        ctx.progress(
            STEP,
            format!("Waiting for Windows setup: {}", page.title()),
            Some(0.6),
        );
        ctx.sleep(pace.poll_interval).await?;
    }
}

#[async_trait::async_trait]
impl StepController for LabVm {
    fn step(&self) -> Step {
        STEP
    }

    async fn check(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        ctx.check_cancelled()?;
        if let Some(report) = super::hyperv_feature::without_host(STEP, ctx) {
            return Ok(report);
        }
        let host = ctx.host()?;
        let name = vm_name(ctx);
        let mut evidence = self.evidence(ctx);
        if host.feature_state().await? != hb_host::FeatureState::Enabled {
            return Ok(StepReport::new(
                STEP,
                StepStatus::NotApplied,
                "Hyper-V is not running yet: apply step 3 first; this step then creates the VM.",
            )
            .with_evidence(evidence));
        }
        let Some(vm) = host.vm(&name).await? else {
            return Ok(StepReport::new(
                STEP,
                StepStatus::NotApplied,
                format!("There is no VM named {name} yet; applying this step creates it."),
            )
            .with_evidence(evidence));
        };
        evidence.after = Some(json!(vm));
        let problems = shortcomings(&vm);
        if !problems.is_empty() {
            return Ok(StepReport::new(
                STEP,
                StepStatus::NeedsAction,
                format!(
                    "The VM {name} exists but does not meet Windows 11's needs ({}): fix it in Hyper-V Manager or choose another VM name.",
                    problems.join(", ")
                ),
            )
            .with_evidence(evidence));
        }
        let checkpoint = has_checkpoint(host, &name).await?;
        let at_oobe = host.guest_page(&name).await?.map(|p| p.is_oobe());
        let (status, detail) = match (checkpoint, &vm.state, at_oobe) {
            (true, _, Some(false)) => (
                StepStatus::Applied,
                format!(
                    "{name} is {} and past OOBE; its OOBE checkpoint '{OOBE_CHECKPOINT}' lets you rerun the lab.",
                    vm.state
                ),
            ),
            (true, _, _) => (
                StepStatus::Applied,
                format!(
                    "{name} is {} with the OOBE checkpoint '{OOBE_CHECKPOINT}'.",
                    vm.state
                ),
            ),
            (false, VmState::Running, _) => (
                StepStatus::NotApplied,
                format!(
                    "{name} is running but has no OOBE checkpoint yet; applying this step takes it."
                ),
            ),
            (false, state, _) => (
                StepStatus::NotApplied,
                format!(
                    "{name} exists ({state}); applying this step starts it and takes the OOBE checkpoint."
                ),
            ),
        };
        Ok(StepReport::new(STEP, status, detail).with_evidence(evidence))
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let host = ctx.host()?;
        let name = vm_name(ctx);
        let mut evidence = self.evidence(ctx);
        let existing = host.vm(&name).await?;
        evidence.before = Some(json!(existing));
        let mut changed = false;
        let vm = match existing {
            Some(vm) => vm,
            None => {
                let iso = check_iso(ctx, host.install_media())?;
                let spec = VmSpec::lab(&name, iso);
                spec.validate()?;
                ctx.check_cancelled()?;
                ctx.progress(STEP, format!("Creating the VM {name}"), Some(0.2));
                let vm = host.create_vm(&spec).await?;
                changed = true;
                vm
            }
        };
        let problems = shortcomings(&vm);
        if !problems.is_empty() {
            return Err(StepError::Precondition(format!(
                "the VM {name} exists but does not meet Windows 11's needs ({}): fix it in Hyper-V Manager or choose another VM name",
                problems.join(", ")
            )));
        }
        if has_checkpoint(host, &name).await? {
            evidence.after = Some(json!(host.vm(&name).await?));
            return Ok(StepReport::new(
                STEP,
                StepStatus::Applied,
                format!("{name} is ready with its OOBE checkpoint '{OOBE_CHECKPOINT}'."),
            )
            .changed(changed)
            .with_evidence(evidence));
        }
        let was_running = vm.state == VmState::Running;
        if !was_running {
            ctx.check_cancelled()?;
            ctx.progress(STEP, format!("Starting {name}"), Some(0.4));
            host.start_vm(&name).await?;
            changed = true;
        }
        if !wait_for_oobe(ctx, host, &name).await? && !was_running {
            // Unseen, Windows setup is the person's (boot key, installation, region, keyboard).
            evidence.after = Some(json!(host.vm(&name).await?));
            return Ok(StepReport::new(
                STEP,
                StepStatus::NeedsAction,
                format!("{name} is starting. In Virtual Machine Connection press a key to boot from the DVD and install Windows 11; when the page \"Let's set things up for your work or school\" appears, apply this step again to take the OOBE checkpoint."),
            )
            .changed(changed)
            .with_evidence(evidence));
        }
        ctx.check_cancelled()?;
        ctx.progress(
            STEP,
            format!("Taking the checkpoint '{OOBE_CHECKPOINT}'"),
            Some(0.9),
        );
        host.create_checkpoint(&name, OOBE_CHECKPOINT).await?;
        evidence.after = Some(json!(host.vm(&name).await?));
        Ok(StepReport::new(
            STEP,
            StepStatus::Applied,
            format!("{name} is at the OOBE sign-in page, with the checkpoint '{OOBE_CHECKPOINT}' to come back to."),
        )
        .changed(true)
        .with_evidence(evidence))
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let name = vm_name(ctx);
        let host = match revert_host(ctx).await? {
            Ok(host) => host,
            Err(why) => {
                return Ok(StepReport::new(
                    STEP,
                    StepStatus::NotApplied,
                    format!("Nothing to revert: {why}, so there is no VM named {name}."),
                ));
            }
        };
        if host.vm(&name).await?.is_none() {
            return Ok(StepReport::new(
                STEP,
                StepStatus::NotApplied,
                format!("There is no VM named {name}: nothing to revert."),
            ));
        }
        if !has_checkpoint(host, &name).await? {
            return Ok(StepReport::new(
                STEP,
                StepStatus::NotApplied,
                format!(
                    "{name} has no OOBE checkpoint: nothing to restore. The VM is kept for later labs."
                ),
            ));
        }
        ctx.progress(
            STEP,
            format!("Restoring {name} to '{OOBE_CHECKPOINT}'"),
            Some(0.5),
        );
        host.restore_checkpoint(&name, OOBE_CHECKPOINT).await?;
        Ok(StepReport::new(
            STEP,
            StepStatus::Applied,
            format!("{name} is back at OOBE (checkpoint '{OOBE_CHECKPOINT}'). The VM itself is kept for later labs; delete it in Hyper-V Manager if you no longer need it."),
        )
        .changed(true)
        .with_evidence(self.evidence(ctx)))
    }

    fn evidence(&self, ctx: &StepContext) -> Evidence {
        let spec = VmSpec::lab(vm_name(ctx), ctx.options.iso_path.clone());
        let data = serde_json::to_string(&spec).unwrap_or_default();
        Evidence {
            powershell: Some(format!(
                "# elevated PowerShell; the values travel as JSON data on stdin, never inside the script:\n\
# {data}\n\
$in = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false)).ReadToEnd() | ConvertFrom-Json\n\
$vm = Hyper-V\\New-VM -Name $in.name -Generation 2 -MemoryStartupBytes 4GB -NewVHDPath $vhd -NewVHDSizeBytes 80GB -SwitchName $in.switch_name\n\
Hyper-V\\Set-VMProcessor -VM $vm -Count 2\n\
Hyper-V\\Set-VMMemory -VM $vm -DynamicMemoryEnabled $false\n\
Hyper-V\\Add-VMDvdDrive -VM $vm -Path $in.iso_path\n\
Hyper-V\\Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate MicrosoftWindows -FirstBootDevice (Hyper-V\\Get-VMDvdDrive -VM $vm)\n\
Hyper-V\\Set-VMKeyProtector -VM $vm -NewLocalKeyProtector\n\
Hyper-V\\Enable-VMTPM -VM $vm\n\
Hyper-V\\Set-VM -VM $vm -CheckpointType Standard -AutomaticCheckpointsEnabled $false\n\
Hyper-V\\Start-VM -VM $vm\n\
# at the OOBE page \"Let's set things up for your work or school\":\n\
Hyper-V\\Checkpoint-VM -VM $vm -SnapshotName '{OOBE_CHECKPOINT}'"
            )),
            ..Evidence::default()
        }
    }
}
