//! The emulated host's answers to the [`HyperVHost`] trait: the same operations the PowerShell
//! host runs on Windows, on the emulated state.

use super::state::{Answered, EmuVm, FeatureInstall, Guest, SavedCheckpoint};
use super::timeline::real_time;
use super::{EmulatedHost, new_device_name};
use super::{dsreg_text, screens};
use crate::{
    Checkpoint, FeatureState, GuestCommand, GuestKvp, GuestPage, HostError, HostPreflight,
    HyperVHost, InstallImage, InstallMedia, KeyboardText, Pace, ScreenImage, VmInfo, VmSpec,
    VmState,
};
use chrono::Utc;
use std::time::Duration;

#[async_trait::async_trait]
impl HyperVHost for EmulatedHost {
    async fn feature_state(&self) -> Result<FeatureState, HostError> {
        self.read(|s| {
            Ok(match s.feature {
                FeatureInstall::Disabled => FeatureState::Disabled,
                FeatureInstall::EnablePending => FeatureState::EnablePending,
                FeatureInstall::Enabled => FeatureState::Enabled,
            })
        })
        .await
    }

    async fn enable_feature(&self) -> Result<bool, HostError> {
        if self.read(|s| Ok(s.feature)).await? != FeatureInstall::Disabled {
            return self.restart_needed().await;
        }
        self.wait(real_time::ENABLE_FEATURE).await;
        self.update(|s| {
            s.feature = FeatureInstall::EnablePending;
            Ok(true)
        })
        .await
    }

    async fn restart_needed(&self) -> Result<bool, HostError> {
        self.read(|s| Ok(s.feature == FeatureInstall::EnablePending))
            .await
    }

    /// The simulated restart: a pending Hyper-V install completes; running VMs are saved
    /// (Hyper-V's default automatic stop action).
    async fn restart_pc(&self) -> Result<(), HostError> {
        self.wait(real_time::REBOOT).await;
        self.update(|s| {
            if s.feature == FeatureInstall::EnablePending {
                s.feature = FeatureInstall::Enabled;
            }
            for vm in &mut s.vms {
                if vm.state == VmState::Running {
                    vm.state = VmState::Saved;
                }
            }
            Ok(())
        })
        .await
    }

    /// The emulated VM comes with Windows installed and boots straight to OOBE.
    fn install_media(&self) -> InstallMedia {
        InstallMedia::Optional
    }

    /// The emulated cloud shows what the guest did the moment it did it, so the deadlines cover
    /// the guest's scaled time and the person's at it, with room to spare.
    fn pace(&self) -> Pace {
        Pace {
            poll_interval: self.poll_interval(),
            setup: Duration::from_secs(300),
            page: Duration::from_secs(60),
            cloud: Duration::from_secs(30) + self.person_time(),
            narrate: self.narrated_screen(),
        }
    }

    async fn list_vms(&self) -> Result<Vec<VmInfo>, HostError> {
        self.read(|s| {
            Self::require_hyperv(s)?;
            Ok(s.vms.iter().map(Self::info).collect())
        })
        .await
    }

    async fn vm(&self, name: &str) -> Result<Option<VmInfo>, HostError> {
        self.read(|s| {
            Self::require_hyperv(s)?;
            Ok(s.vm(name).map(Self::info))
        })
        .await
    }

    async fn create_vm(&self, spec: &VmSpec) -> Result<VmInfo, HostError> {
        spec.validate()?;
        self.read(|s| {
            Self::require_hyperv(s)?;
            if s.vm(&spec.name).is_some() {
                return Err(HostError::BadInput(format!(
                    "a VM named '{}' already exists: choose another name",
                    spec.name
                )));
            }
            Ok(())
        })
        .await?;
        let answers = spec
            .answer_iso
            .as_deref()
            .map(read_answer_disc)
            .transpose()?;
        if let Some(iso) = &spec.iso_path
            && !iso.is_file()
        {
            return Err(HostError::BadInput(format!(
                "the ISO file was not found: {}",
                iso.display()
            )));
        }
        self.wait(real_time::CREATE_VM).await;
        self.update(|s| {
            let vm = EmuVm {
                spec: spec.clone(),
                state: VmState::Off,
                device_name: new_device_name(),
                guest: Guest {
                    installed: spec.iso_path.is_none(),
                    marker_at: spec.iso_path.is_none().then(Utc::now),
                    answers,
                    ..Guest::default()
                },
                checkpoints: Vec::new(),
            };
            let info = Self::info(&vm);
            s.vms.push(vm);
            Ok(info)
        })
        .await
    }

    async fn start_vm(&self, name: &str) -> Result<(), HostError> {
        self.start(name, false).await
    }

    async fn stop_vm(&self, name: &str) -> Result<(), HostError> {
        self.update(|s| {
            let vm = Self::find_mut(s, name)?;
            vm.state = VmState::Off;
            vm.guest.show(GuestPage::Off, Utc::now());
            Ok(())
        })
        .await
    }

    async fn vm_state(&self, name: &str) -> Result<VmState, HostError> {
        self.read(|s| Ok(Self::find(s, name)?.state.clone())).await
    }

    async fn create_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        self.read(|s| Self::find(s, vm).map(drop)).await?;
        self.wait(real_time::CHECKPOINT).await;
        self.update(|s| {
            let v = Self::find_mut(s, vm)?;
            let saved = SavedCheckpoint {
                name: checkpoint.to_string(),
                created: Utc::now(),
                state: v.state.clone(),
                guest: v.guest.clone(),
            };
            v.checkpoints.push(saved);
            Ok(())
        })
        .await
    }

    async fn restore_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        self.read(|s| {
            let v = Self::find(s, vm)?;
            if v.checkpoints.iter().any(|c| c.name == checkpoint) {
                Ok(())
            } else {
                Err(HostError::CheckpointNotFound {
                    vm: vm.into(),
                    name: checkpoint.into(),
                })
            }
        })
        .await?;
        self.wait(real_time::CHECKPOINT).await;
        self.forget_typing(vm);
        self.update(|s| {
            let v = Self::find_mut(s, vm)?;
            let saved = v
                .checkpoints
                .iter()
                .rev()
                .find(|c| c.name == checkpoint)
                .cloned()
                .ok_or_else(|| HostError::CheckpointNotFound {
                    vm: vm.into(),
                    name: checkpoint.into(),
                })?;
            // Hyper-V brings a VM checkpointed while running back saved: it resumes on
            // Start-VM, which whoever restores must call.
            v.state = if saved.state == VmState::Running {
                VmState::Saved
            } else {
                saved.state
            };
            v.guest = saved.guest;
            v.guest.shown_at = Some(Utc::now());
            Ok(())
        })
        .await
    }

    async fn list_checkpoints(&self, vm: &str) -> Result<Vec<Checkpoint>, HostError> {
        self.read(|s| {
            Ok(Self::find(s, vm)?
                .checkpoints
                .iter()
                .map(|c| Checkpoint {
                    name: c.name.clone(),
                    created: Some(c.created.to_rfc3339()),
                })
                .collect())
        })
        .await
    }

    async fn enhanced_session_mode(&self) -> Result<bool, HostError> {
        self.read(|s| {
            Self::require_hyperv(s)?;
            Ok(s.enhanced_session)
        })
        .await
    }

    async fn set_enhanced_session_mode(&self, enabled: bool) -> Result<(), HostError> {
        self.update(|s| {
            Self::require_hyperv(s)?;
            s.enhanced_session = enabled;
            Ok(())
        })
        .await
    }

    async fn screenshot(&self, vm: &str) -> Result<ScreenImage, HostError> {
        let page = self
            .read(|s| Ok(Self::find(s, vm)?.guest.screen.clone()))
            .await?;
        Ok(screens::render_typed(&page, self.typed_so_far(vm)))
    }

    async fn guest_page(&self, vm: &str) -> Result<Option<GuestPage>, HostError> {
        self.read(|s| Ok(Some(Self::find(s, vm)?.guest.screen.clone())))
            .await
    }

    async fn type_text(
        &self,
        vm: &str,
        text: KeyboardText<'_>,
        press_enter: bool,
    ) -> Result<(), HostError> {
        self.type_keys(vm, text, press_enter).await
    }

    /// Any ISO offers the editions of Microsoft's Windows 11 ISO; the emulated VM installs the
    /// one chosen the same way whichever it is.
    async fn install_images(&self, iso: &std::path::Path) -> Result<Vec<InstallImage>, HostError> {
        if !iso.is_file() {
            return Err(HostError::BadInput(format!(
                "the ISO file was not found: {}",
                iso.display()
            )));
        }
        Ok([
            "Windows 11 Home",
            "Windows 11 Education",
            "Windows 11 Pro",
            "Windows 11 Enterprise Evaluation",
        ]
        .iter()
        .enumerate()
        .map(|(i, name)| InstallImage {
            index: i as u32 + 1,
            name: name.to_string(),
        })
        .collect())
    }

    async fn start_vm_from_dvd(&self, name: &str) -> Result<(), HostError> {
        self.start(name, true).await
    }

    async fn guest_kvp(&self, vm: &str) -> Result<GuestKvp, HostError> {
        let v = self.read(|s| Ok(Self::find(s, vm)?.clone())).await?;
        self.kvp_now(&v)
    }

    async fn preflight(&self) -> Result<Option<HostPreflight>, HostError> {
        Ok(Some(self.preflight.clone()))
    }

    async fn run_in_vm(&self, vm: &str, command: GuestCommand) -> Result<String, HostError> {
        self.read(|s| {
            let v = Self::find(s, vm)?;
            if v.state != VmState::Running || v.guest.screen == GuestPage::Boot {
                return Err(HostError::InvalidState(format!(
                    "the VM is {} and Windows is not up: start it and wait for it to boot",
                    v.state
                )));
            }
            Ok(match command {
                GuestCommand::DsregcmdStatus => {
                    dsreg_text::status_text(&v.device_name, v.guest.join.as_ref(), v.guest.pin_set)
                }
            })
        })
        .await
    }
}

/// The emulated Setup reads the answer disc as Windows Setup would: `autounattend.xml` at the
/// root of a DVD; a disc without one (or not an ISO) leaves Setup asking a person.
fn read_answer_disc(path: &std::path::Path) -> Result<Answered, HostError> {
    let bytes = std::fs::read(path).map_err(|e| {
        HostError::BadInput(format!(
            "the answer disc {} cannot be read: {e}",
            path.display()
        ))
    })?;
    let disc = crate::iso9660::read(&bytes)
        .map_err(|e| HostError::BadInput(format!("the answer disc {}: {e}", path.display())))?;
    let xml = disc
        .files
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(crate::unattend::FILE_NAME))
        .map(|(_, data)| String::from_utf8_lossy(data).into_owned())
        .ok_or_else(|| {
            HostError::BadInput(format!(
                "the answer disc {} has no {} at its root",
                path.display(),
                crate::unattend::FILE_NAME
            ))
        })?;
    let read = crate::unattend::read_answers(&xml)?;
    Ok(Answered {
        reporter: read.has_reporter,
        layout: read
            .oobe_input_locale
            .as_deref()
            .and_then(|l| l.split_once(':'))
            .map(|(_, layout)| layout.to_string()),
        vm_label: read.vm_label,
    })
}

impl EmulatedHost {
    /// Starts a VM; `press_keys` presses a key through the DVD's boot prompt as it shows.
    async fn start(&self, name: &str, press_keys: bool) -> Result<(), HostError> {
        let state = self
            .update(|s| {
                let vm = Self::find_mut(s, name)?;
                let before = vm.state.clone();
                if before != VmState::Running {
                    vm.state = VmState::Starting;
                }
                Ok(before)
            })
            .await?;
        if state == VmState::Running {
            return Ok(());
        }
        self.wait(real_time::START_VM).await;
        self.update(|s| {
            let vm = Self::find_mut(s, name)?;
            vm.state = VmState::Running;
            if state == VmState::Saved {
                // A saved VM resumes on the page it was on; its clock restarts now.
                vm.guest.shown_at = Some(Utc::now());
            } else if !vm.guest.installed && vm.spec.iso_path.is_some() && press_keys {
                // The key lands in the "Press any key to boot from CD or DVD" window.
                vm.guest.show(GuestPage::Setup, Utc::now());
            } else {
                vm.guest.show(GuestPage::Boot, Utc::now());
            }
            Ok(())
        })
        .await
    }
}
