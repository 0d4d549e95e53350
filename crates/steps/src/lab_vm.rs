//! Step 4: the Windows 11 lab VM (Gen 2, 2+ vCPU, 4 GB+, vTPM, Secure Boot, Default Switch, the
//! user's ISO), installed to OOBE with no clicks (an answer disc as second DVD, a key pressed
//! through the boot prompt) and checkpointed there once the VM itself reports OOBE, so a
//! presenter can rerun the lab.

use crate::{StepContext, StepController};
use hb_host::unattend::{AnswerFile, InstallImage, choose_image};
use hb_host::{
    FeatureState, GuestPage, GuestPhase, GuestReport, HostError, HyperVHost, InstallMedia, VmInfo,
    VmSpec, VmState,
};
use hb_lab::{Evidence, Step, StepError, StepReport, StepStatus};
use serde_json::json;
use std::path::{Path, PathBuf};
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

/// The edition installed when the host brings Windows along and no ISO was read.
pub fn default_image() -> InstallImage {
    InstallImage {
        index: 1,
        name: "Windows 11 Enterprise Evaluation".into(),
    }
}

/// The answer file step 4 gives Windows Setup for the VM named `vm`.
pub fn answer_file(vm: &str, image: InstallImage) -> AnswerFile {
    AnswerFile::new(image, vm)
}

/// Where the answer disc of the VM named `vm` is kept (it stays attached, so it must stay).
pub fn answer_dir(vm: &str) -> PathBuf {
    let safe: String = vm
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    hb_lab::paths::data_dir().join("answers").join(safe)
}

/// Writes `autounattend.xml` and, with `iso`, the answer disc into `dir`; returns the disc's
/// path (or the XML's when there is no disc).
pub fn write_answer_media(
    dir: &Path,
    answer: &AnswerFile,
    iso: bool,
) -> Result<PathBuf, StepError> {
    let fail = |what: &Path, e: std::io::Error| {
        StepError::Precondition(format!(
            "cannot write {} ({e}): check that the folder is writable",
            what.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let xml_path = dir.join(hb_host::unattend::FILE_NAME);
    hb_lab::paths::write_atomic(&xml_path, answer.to_xml().as_bytes())
        .map_err(|e| fail(&xml_path, e))?;
    if !iso {
        return Ok(xml_path);
    }
    let iso_path = dir.join("hello-bootstrap-answers.iso");
    let bytes = answer.to_iso()?;
    hb_lab::paths::write_atomic(&iso_path, &bytes).map_err(|e| fail(&iso_path, e))?;
    Ok(iso_path)
}

/// The edition to install: read from the ISO when there is one.
async fn choose_edition(
    host: &dyn HyperVHost,
    iso: Option<&Path>,
) -> Result<InstallImage, StepError> {
    match iso {
        Some(iso) => Ok(choose_image(&host.install_images(iso).await?)?.clone()),
        None => Ok(default_image()),
    }
}

/// Where the VM is, from its state and its report over KVP.
async fn phase_of(
    host: &dyn HyperVHost,
    vm: &VmInfo,
) -> Result<(GuestPhase, GuestReport), StepError> {
    let report = hb_host::guest_report(host, &vm.name).await?;
    let phase = GuestPhase::from_report(vm.state == VmState::Running, &report);
    Ok((phase, report))
}

/// What step 4 shows of the guest's report.
fn report_evidence(phase: GuestPhase, report: &GuestReport) -> serde_json::Value {
    json!({
        "phase": phase,
        "phase_text": phase.describe(),
        "windows_up": report.windows_up(),
        "reporter": report.has_reporter(),
        "oobe_marker": report.marker,
        "keyboard_layout": report.layout(),
    })
}

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

/// Restores the OOBE checkpoint and starts the VM: Hyper-V brings a VM checkpointed while
/// running back saved, and a saved VM shows nobody the OOBE page.
pub(crate) async fn restore_and_start(host: &dyn HyperVHost, vm: &str) -> Result<(), HostError> {
    host.restore_checkpoint(vm, OOBE_CHECKPOINT).await?;
    if host.vm_state(vm).await? != VmState::Running {
        host.start_vm(vm).await?;
    }
    Ok(())
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

/// How waiting for OOBE ended.
enum OobeWait {
    /// The reporter's marker is there (and, where the host sees the page, the sign-in page).
    Reached,
    /// Windows is up without our reporter and the host cannot see the page: the person knows.
    Unseen,
}

/// Waits until the VM reports OOBE: the reporter's marker over KVP, and the sign-in page where
/// the host sees pages. A VM without the reporter is given a grace period (its items may lag
/// the intrinsic ones), then left to the person watching it.
async fn wait_for_oobe(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
) -> Result<OobeWait, StepError> {
    let pace = host.pace();
    let started = Instant::now();
    let mut without_reporter: Option<Instant> = None;
    loop {
        ctx.check_cancelled()?;
        let report = hb_host::guest_report(host, vm).await?;
        let page = host.guest_page(vm).await?;
        let phase = GuestPhase::from_report(true, &report);
        if phase == GuestPhase::PastOobe || page.as_ref().is_some_and(GuestPage::is_signed_in) {
            return Err(StepError::Precondition(format!(
                "{vm} is past OOBE (someone has signed in), so the OOBE checkpoint cannot be taken: choose another VM name to create a fresh VM"
            )));
        }
        if page == Some(GuestPage::NoBootDevice) {
            return Err(StepError::Precondition(format!(
                "{vm} did not boot from the installation DVD (nobody pressed a key at \"Press any key to boot from CD or DVD\"): turn it off and apply this step again"
            )));
        }
        let at_sign_in = page.as_ref().is_none_or(|p| *p == GuestPage::SignIn);
        match phase {
            GuestPhase::AtOobe if at_sign_in => return Ok(OobeWait::Reached),
            GuestPhase::NoReporter if page == Some(GuestPage::SignIn) => {
                return Ok(OobeWait::Reached);
            }
            GuestPhase::NoReporter if page.is_none() => {
                let since = *without_reporter.get_or_insert_with(Instant::now);
                if since.elapsed() >= pace.page {
                    return Ok(OobeWait::Unseen);
                }
            }
            _ => {}
        }
        if started.elapsed() > pace.setup {
            return Err(HostError::Timeout {
                what: format!("Windows Setup in {vm} (now {})", phase.describe()),
                after: pace.setup,
            }
            .into());
        }
        let what = match (&page, phase) {
            (Some(p), _) => format!("Waiting for Windows Setup: {}", p.title()),
            (None, GuestPhase::InSetup) => {
                "Windows Setup is installing Windows (no clicks needed; this takes a while)".into()
            }
            (None, _) => "Waiting for the VM to report OOBE".into(),
        };
        ctx.progress(STEP, what, Some(0.6));
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
        let (phase, report) = phase_of(host, &vm).await?;
        evidence.after = Some(json!({ "vm": vm, "guest": report_evidence(phase, &report) }));
        let state = &vm.state;
        let (status, detail) = match (checkpoint, phase) {
            (true, GuestPhase::Off) => (
                StepStatus::NotApplied,
                format!(
                    "{name}: VM off ({state}), with its OOBE checkpoint '{OOBE_CHECKPOINT}'; applying this step starts it."
                ),
            ),
            (true, phase) => (
                StepStatus::Applied,
                format!(
                    "{name} is running, {}; its OOBE checkpoint '{OOBE_CHECKPOINT}' lets you rerun the lab.",
                    phase.describe()
                ),
            ),
            (false, GuestPhase::Off) => (
                StepStatus::NotApplied,
                format!(
                    "{name}: VM off ({state}); applying this step starts it, waits for OOBE and takes the OOBE checkpoint."
                ),
            ),
            (false, GuestPhase::InSetup) => (
                StepStatus::NotApplied,
                format!(
                    "{name} is in Setup; applying this step waits for OOBE and takes the checkpoint."
                ),
            ),
            (false, GuestPhase::AtOobe) => (
                StepStatus::NotApplied,
                format!(
                    "{name} is at OOBE but has no OOBE checkpoint yet; applying this step takes it."
                ),
            ),
            (false, GuestPhase::PastOobe) => (
                StepStatus::NeedsAction,
                format!(
                    "{name} is past OOBE (someone signed in) and has no OOBE checkpoint: choose another VM name to create a fresh VM."
                ),
            ),
            (false, GuestPhase::NoReporter) => (
                StepStatus::NotApplied,
                format!(
                    "{name} is running but has no OOBE checkpoint yet (it has no Hello Bootstrap reporter, so only the screen tells where it is); applying this step takes it."
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
        let mut from_dvd = false;
        let vm = match existing {
            Some(vm) => vm,
            None => {
                let iso = check_iso(ctx, host.install_media())?;
                let mut spec = VmSpec::lab(&name, iso.clone());
                spec.validate()?;
                if let Some(pc) = host.preflight().await? {
                    let problems = pc.vm_problems(&spec);
                    if !problems.is_empty() {
                        return Err(StepError::Precondition(format!(
                            "this PC cannot run the lab VM yet: {}",
                            problems.join("; ")
                        )));
                    }
                }
                ctx.check_cancelled()?;
                ctx.progress(
                    STEP,
                    "Choosing the Windows edition and writing the answer file",
                    Some(0.1),
                );
                let image = choose_edition(host, iso.as_deref()).await?;
                let answer = answer_file(&name, image);
                spec.answer_iso = Some(write_answer_media(&answer_dir(&name), &answer, true)?);
                ctx.check_cancelled()?;
                ctx.progress(
                    STEP,
                    format!("Creating the VM {name} ({})", answer.image.name),
                    Some(0.2),
                );
                let vm = host.create_vm(&spec).await?;
                changed = true;
                from_dvd = spec.iso_path.is_some();
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
        let was_running = vm.state == VmState::Running;
        if has_checkpoint(host, &name).await? {
            if !was_running {
                ctx.progress(STEP, format!("Starting {name}"), Some(0.5));
                host.start_vm(&name).await?;
                changed = true;
            }
            let vm = host.vm(&name).await?;
            if let Some(vm) = &vm {
                let (phase, report) = phase_of(host, vm).await?;
                evidence.after =
                    Some(json!({ "vm": vm, "guest": report_evidence(phase, &report) }));
            }
            return Ok(StepReport::new(
                STEP,
                StepStatus::Applied,
                format!("{name} is running with its OOBE checkpoint '{OOBE_CHECKPOINT}'."),
            )
            .changed(changed)
            .with_evidence(evidence));
        }
        if !was_running {
            ctx.check_cancelled()?;
            if from_dvd {
                ctx.progress(
                    STEP,
                    format!("Starting {name} and pressing a key at the DVD's boot prompt"),
                    Some(0.4),
                );
                host.start_vm_from_dvd(&name).await?;
            } else {
                ctx.progress(STEP, format!("Starting {name}"), Some(0.4));
                host.start_vm(&name).await?;
            }
            changed = true;
        }
        if let OobeWait::Unseen = wait_for_oobe(ctx, host, &name).await?
            && !was_running
        {
            // Without the reporter (a VM we did not create), only the person sees OOBE.
            evidence.after = Some(json!(host.vm(&name).await?));
            return Ok(StepReport::new(
                STEP,
                StepStatus::NeedsAction,
                format!("{name} is running but does not report where it is (it has no Hello Bootstrap reporter). In Virtual Machine Connection, finish Windows Setup; when the page \"Let's set things up for your work or school\" appears, apply this step again to take the OOBE checkpoint."),
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
        if let Some(vm) = host.vm(&name).await? {
            let (phase, report) = phase_of(host, &vm).await?;
            evidence.after = Some(json!({ "vm": vm, "guest": report_evidence(phase, &report) }));
        }
        Ok(StepReport::new(
            STEP,
            StepStatus::Applied,
            format!("{name} is running at the OOBE sign-in page, with the checkpoint '{OOBE_CHECKPOINT}' to come back to."),
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
        restore_and_start(host, &name).await?;
        Ok(StepReport::new(
            STEP,
            StepStatus::Applied,
            format!("{name} is back at OOBE and running (checkpoint '{OOBE_CHECKPOINT}'). The VM itself is kept for later labs; delete it in Hyper-V Manager if you no longer need it."),
        )
        .changed(true)
        .with_evidence(self.evidence(ctx)))
    }

    fn evidence(&self, ctx: &StepContext) -> Evidence {
        let name = vm_name(ctx);
        let mut spec = VmSpec::lab(&name, ctx.options.iso_path.clone());
        spec.answer_iso = Some(answer_dir(&name).join("hello-bootstrap-answers.iso"));
        let data = serde_json::to_string(&spec).unwrap_or_default();
        Evidence {
            powershell: Some(format!(
                "# elevated PowerShell; the values travel as JSON data on stdin, never inside the script:\n\
# {data}\n\
$in = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), [System.Text.UTF8Encoding]::new($false)).ReadToEnd() | ConvertFrom-Json\n\
$vm = Hyper-V\\New-VM -Name $in.name -Generation 2 -MemoryStartupBytes 4GB -NewVHDPath $vhd -NewVHDSizeBytes 80GB -SwitchName $in.switch_name\n\
Hyper-V\\Set-VMProcessor -VM $vm -Count 2\n\
Hyper-V\\Set-VMMemory -VM $vm -DynamicMemoryEnabled $false\n\
$dvd = Hyper-V\\Add-VMDvdDrive -VM $vm -Path $in.iso_path -Passthru\n\
# the answer disc (autounattend.xml; hello-bootstrap vm unattend --iso writes the same one):\n\
$null = Hyper-V\\Add-VMDvdDrive -VM $vm -Path $in.answer_iso -Passthru\n\
# the empty disk first: the firmware passes over it to the DVD until Setup has written Windows to it\n\
Hyper-V\\Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate MicrosoftWindows -BootOrder @((Hyper-V\\Get-VMHardDiskDrive -VM $vm), $dvd)\n\
Hyper-V\\Set-VMKeyProtector -VM $vm -NewLocalKeyProtector\n\
Hyper-V\\Enable-VMTPM -VM $vm\n\
Hyper-V\\Set-VM -VM $vm -CheckpointType Standard -AutomaticCheckpointsEnabled $false\n\
Hyper-V\\Start-VM -VM $vm\n\
# \"Press any key to boot from CD or DVD\": the space bar through the virtual keyboard\n\
$cs = CimCmdlets\\Get-CimInstance -Namespace 'root\\virtualization\\v2' -ClassName Msvm_ComputerSystem | Where-Object Name -eq $vm.Id.ToString()\n\
$kb = CimCmdlets\\Get-CimAssociatedInstance -InputObject $cs -ResultClassName Msvm_Keyboard\n\
1..15 | ForEach-Object {{ Start-Sleep -Seconds 1; $null = CimCmdlets\\Invoke-CimMethod -InputObject $kb -MethodName TypeKey -Arguments @{{ keyCode = [uint32]32 }} }}\n\
# once the VM reports OOBE over KVP (HelloBootstrap.Marker in Msvm_KvpExchangeComponent.GuestExchangeItems):\n\
Hyper-V\\Checkpoint-VM -VM $vm -SnapshotName '{OOBE_CHECKPOINT}'"
            )),
            ..Evidence::default()
        }
    }
}
