//! A Hyper-V host for demo mode and tests: the feature install with a simulated reboot, VMs with
//! states, checkpoints and drawn screens, a guest whose OOBE sign-in, driven by `type_text`,
//! presents the typed UPN and TAP to the emulated cloud, and the person at the VM, who sets the
//! PIN and opens My Apps by themselves. Timing is realistic but scaled (`time_scale`, 0 in
//! tests). The state (never a TAP or PIN) is saved to a file after each change.
//!
//! The emulated world moves on when someone looks at it: every call first catches the boot, the
//! OOBE pages and the person at the VM up with the scaled clock.

pub mod cloud;
pub mod dsreg_text;
mod hyperv;
mod keyboard;
mod kvp;
mod person;
pub mod screens;
pub mod state;
mod timeline;

pub use keyboard::TypedField;
pub use person::PersonAtVm;

use super::{GuestPage, HostError, VmInfo};
use cloud::EmulatorCloud;
use state::{EmuVm, FeatureInstall, HostState, JoinRecord};
use std::path::PathBuf;
use std::sync::Mutex;
use url::Url;

/// Set (non-empty) to make the demo's OOBE present a wrong TAP: the test hook for step 7's
/// failure path, usable from the command line.
pub const WRONG_TAP_ENV: &str = "HELLO_BOOTSTRAP_DEMO_WRONG_TAP";

/// Demo timing: a 45 s boot takes about 2 s, enabling Hyper-V about 2 s.
pub const DEMO_TIME_SCALE: f64 = 0.05;

/// How to build an emulated host.
#[derive(Clone, Debug, Default)]
pub struct EmulatedHostConfig {
    /// Where the state is kept (demo mode: `data_dir()/demo-host.json`); `None` keeps it in memory.
    pub state_file: Option<PathBuf>,
    /// Multiplies every realistic delay: 1.0 real time, 0.05 a brisk demo, 0.0 tests.
    pub time_scale: f64,
    /// The emulator's root URL (where `/_emulator/` lives); without it the OOBE sign-in fails
    /// as if offline.
    pub emulator_root: Option<Url>,
}

/// The emulated Hyper-V host.
pub struct EmulatedHost {
    state: Mutex<HostState>,
    state_file: Option<PathBuf>,
    time_scale: f64,
    cloud: Option<EmulatorCloud>,
    wrong_tap: bool,
    person: PersonAtVm,
    /// Text typed since the last Enter, per VM; memory only, since it may be a TAP.
    typing: Mutex<Vec<keyboard::Typing>>,
    /// Test hook: the guest's keyboard layout, whatever the answer file said.
    guest_layout: Option<String>,
    /// What this PC offers Hyper-V; a healthy Windows 11 Pro unless a test says otherwise.
    preflight: crate::HostPreflight,
}

impl EmulatedHost {
    /// Loads the saved state from `config.state_file` if there is one, else starts fresh. The
    /// person at the VM is present; see [`EmulatedHost::without_person`].
    pub fn new(config: EmulatedHostConfig) -> Result<EmulatedHost, HostError> {
        let state = match &config.state_file {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| HostError::Persist {
                    path: path.display().to_string(),
                    reason: format!("the file is damaged ({e}); move it aside to start afresh"),
                })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => HostState::fresh(),
                Err(e) => {
                    return Err(HostError::Persist {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    });
                }
            },
            None => HostState::fresh(),
        };
        Ok(EmulatedHost {
            state: Mutex::new(state),
            state_file: config.state_file,
            time_scale: config.time_scale.max(0.0),
            cloud: config.emulator_root.map(EmulatorCloud::new),
            wrong_tap: false,
            person: PersonAtVm::Present,
            typing: Mutex::new(Vec::new()),
            guest_layout: None,
            preflight: healthy_pc(),
        })
    }

    /// The demo's host: state in `data_dir()/demo-host.json`, timing at [`DEMO_TIME_SCALE`],
    /// the wrong-TAP hook when [`WRONG_TAP_ENV`] is set. Step 3 asks to restart the PC and reopen
    /// Hello Bootstrap; in the demo, reopening it is that restart.
    pub fn demo(emulator_root: Url) -> Result<EmulatedHost, HostError> {
        Self::demo_paced(emulator_root, DEMO_TIME_SCALE)
    }

    /// [`EmulatedHost::demo`] at another time scale: 0 for a scripted run (`--fast`) that should
    /// not sit through the stage-paced waits a presenter wants.
    pub fn demo_paced(emulator_root: Url, time_scale: f64) -> Result<EmulatedHost, HostError> {
        let mut host = Self::new(EmulatedHostConfig {
            state_file: Some(hb_lab::paths::demo_host_file()),
            time_scale,
            emulator_root: Some(emulator_root),
        })?;
        host.update_now(|s| {
            if s.feature == FeatureInstall::EnablePending {
                s.feature = FeatureInstall::Enabled;
            }
            Ok(())
        })?;
        if std::env::var_os(WRONG_TAP_ENV).is_some_and(|v| !v.is_empty()) {
            host = host.with_wrong_tap();
        }
        Ok(host)
    }

    /// An in-memory host with no delays, talking to the emulator at `emulator_root`.
    pub fn for_tests(emulator_root: Option<Url>) -> EmulatedHost {
        Self::new(EmulatedHostConfig {
            state_file: None,
            time_scale: 0.0,
            emulator_root,
        })
        .expect("an in-memory host needs no file")
    }

    /// Test hook: the OOBE sign-in presents a wrong TAP instead of the one typed.
    pub fn with_wrong_tap(mut self) -> EmulatedHost {
        self.wrong_tap = true;
        self
    }

    /// Test hook: the guest reports keyboard layout `layout` (such as `00000407`, German), as
    /// if someone had changed it after Setup.
    pub fn with_guest_layout(mut self, layout: impl Into<String>) -> EmulatedHost {
        self.guest_layout = Some(layout.into());
        self
    }

    /// Test hook: this PC as `preflight` describes it.
    pub fn with_preflight(mut self, preflight: crate::HostPreflight) -> EmulatedHost {
        self.preflight = preflight;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `change` after the pages have caught up with the clock, and saves.
    fn update_now<T>(
        &self,
        change: impl FnOnce(&mut HostState) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let mut state = self.lock();
        self.advance(&mut state);
        let out = change(&mut state)?;
        self.save(&state)?;
        Ok(out)
    }

    /// Reads the state after the pages have caught up with the clock (saving if they moved on).
    fn read_now<T>(
        &self,
        view: impl FnOnce(&HostState) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let mut state = self.lock();
        if self.advance(&mut state) {
            self.save(&state)?;
        }
        view(&state)
    }

    /// [`Self::update_now`] once the person at the VM has done what is due by now.
    async fn update<T>(
        &self,
        change: impl FnOnce(&mut HostState) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        self.person_catch_up().await?;
        self.update_now(change)
    }

    /// [`Self::read_now`] once the person at the VM has done what is due by now.
    async fn read<T>(
        &self,
        view: impl FnOnce(&HostState) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        self.person_catch_up().await?;
        self.read_now(view)
    }

    fn save(&self, state: &HostState) -> Result<(), HostError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let json = serde_json::to_vec_pretty(state).map_err(|e| HostError::Persist {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        hb_lab::paths::write_atomic(path, &json).map_err(|e| HostError::Persist {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    fn require_hyperv(state: &HostState) -> Result<(), HostError> {
        match state.feature {
            FeatureInstall::Enabled => Ok(()),
            FeatureInstall::EnablePending => Err(HostError::InvalidState(
                "Hyper-V is installed but Windows has not restarted yet: restart the PC, then retry".into(),
            )),
            FeatureInstall::Disabled => Err(HostError::InvalidState(
                "Hyper-V is not enabled on this PC: run step 3 first".into(),
            )),
        }
    }

    fn find<'a>(state: &'a HostState, name: &str) -> Result<&'a EmuVm, HostError> {
        Self::require_hyperv(state)?;
        state
            .vm(name)
            .ok_or_else(|| HostError::VmNotFound { name: name.into() })
    }

    fn find_mut<'a>(state: &'a mut HostState, name: &str) -> Result<&'a mut EmuVm, HostError> {
        Self::require_hyperv(state)?;
        state
            .vm_mut(name)
            .ok_or_else(|| HostError::VmNotFound { name: name.into() })
    }

    /// The page the VM's console shows now, without waiting on the person at the VM's calls to
    /// the cloud ([`HyperVHost::guest_page`](crate::HyperVHost::guest_page) makes those first).
    pub fn screen(&self, vm: &str) -> Result<GuestPage, HostError> {
        self.read_now(|s| Ok(Self::find(s, vm)?.guest.screen.clone()))
    }

    /// The guest's computer name (the Entra device's display name).
    pub fn device_name(&self, vm: &str) -> Result<String, HostError> {
        self.read_now(|s| Ok(Self::find(s, vm)?.device_name.clone()))
    }

    /// The Entra join the guest completed, if any.
    pub fn join_record(&self, vm: &str) -> Result<Option<JoinRecord>, HostError> {
        self.read_now(|s| Ok(Self::find(s, vm)?.guest.join.clone()))
    }

    fn info(vm: &EmuVm) -> VmInfo {
        VmInfo {
            name: vm.spec.name.clone(),
            state: vm.state.clone(),
            generation: vm.spec.generation,
            cpu_count: vm.spec.cpu_count,
            memory_bytes: vm.spec.memory_bytes,
            tpm_enabled: vm.spec.vtpm,
            secure_boot_template: Some(vm.spec.secure_boot_template.clone()),
            switch_name: Some(vm.spec.switch_name.clone()),
        }
    }
}

/// The emulated PC: Windows 11 Pro, virtualization on, 16 GB, 200 GB free.
fn healthy_pc() -> crate::HostPreflight {
    use crate::types::GB;
    crate::HostPreflight {
        edition: "Professional".into(),
        caption: "Microsoft Windows 11 Pro".into(),
        hypervisor_present: false,
        virtualization_firmware_enabled: true,
        slat: true,
        total_memory_bytes: 16 * GB,
        free_memory_bytes: 11 * GB,
        vhd_folder: r"C:\ProgramData\Microsoft\Windows\Virtual Hard Disks".into(),
        free_disk_bytes: Some(200 * GB),
    }
}

/// A Windows-style computer name, `DESKTOP-` and seven letters or digits.
fn new_device_name() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let suffix: String = (0..7)
        .map(|_| CHARS[rand::random_range(0..CHARS.len())] as char)
        .collect();
    format!("DESKTOP-{suffix}")
}
