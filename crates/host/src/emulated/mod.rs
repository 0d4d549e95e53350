//! A Hyper-V host for demo mode and tests: the feature install with a simulated reboot, VMs with
//! states, checkpoints and drawn screens, and a guest whose OOBE sign-in, driven by `type_text`,
//! presents the typed UPN and TAP to the emulated cloud. Timing is realistic but scaled
//! (`time_scale`, 0 in tests). The state (never a TAP or PIN) is saved to a file after each change.

pub mod cloud;
pub mod dsreg_text;
pub mod state;

use super::screens::{self, Screen};
use super::{
    Checkpoint, FeatureState, GuestCommand, HostError, HyperVHost, KeyboardText, ScreenImage,
    VmInfo, VmSpec, VmState,
};
use chrono::Utc;
use cloud::EmulatorCloud;
use hb_lab::Secret;
use state::{EmuVm, FeatureInstall, Guest, HostState, JoinRecord, SavedCheckpoint};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// How long things take on a real PC, before scaling.
mod real_time {
    use std::time::Duration;
    pub const ENABLE_FEATURE: Duration = Duration::from_secs(40);
    pub const REBOOT: Duration = Duration::from_secs(60);
    pub const CREATE_VM: Duration = Duration::from_secs(8);
    pub const START_VM: Duration = Duration::from_secs(3);
    pub const BOOT: Duration = Duration::from_secs(45);
    pub const OOBE_READY: Duration = Duration::from_secs(10);
    pub const CHECKPOINT: Duration = Duration::from_secs(3);
    pub const SIGN_IN: Duration = Duration::from_secs(20);
    pub const PIN_SETUP: Duration = Duration::from_secs(6);
    pub const KEYSTROKE: Duration = Duration::from_millis(30);
}

/// The PIN the demo sets when asked to complete PIN setup (the emulated guest keeps no PIN).
const DEMO_PIN: &str = "246810";
/// The TAP typed instead of the real one under [`EmulatedHost::with_wrong_tap`].
const WRONG_TAP: &str = "Wr0ngTap!Code";

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
    /// Text typed since the last Enter, per VM; memory only, since it may be a TAP.
    typing: Mutex<Vec<(String, Secret)>>,
}

impl EmulatedHost {
    /// Loads the saved state from `config.state_file` if there is one, else starts fresh.
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
            typing: Mutex::new(Vec::new()),
        })
    }

    /// The demo's host: state in `data_dir()/demo-host.json`, timing at [`DEMO_TIME_SCALE`],
    /// the wrong-TAP hook when [`WRONG_TAP_ENV`] is set. Step 3 asks to restart the PC and reopen
    /// Hello Bootstrap; in the demo, reopening it is that restart.
    pub fn demo(emulator_root: Url) -> Result<EmulatedHost, HostError> {
        let mut host = Self::new(EmulatedHostConfig {
            state_file: Some(hb_lab::paths::demo_host_file()),
            time_scale: DEMO_TIME_SCALE,
            emulator_root: Some(emulator_root),
        })?;
        host.update(|s| {
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

    fn scaled(&self, real: Duration) -> Duration {
        real.mul_f64(self.time_scale)
    }

    async fn wait(&self, real: Duration) {
        let d = self.scaled(real);
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `change` to the state, advances boot screens, and saves.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut HostState) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let mut state = self.lock();
        self.advance(&mut state);
        let out = change(&mut state)?;
        self.save(&state)?;
        Ok(out)
    }

    /// Reads the state after advancing boot screens (saving if they moved on).
    fn read<T>(
        &self,
        view: impl FnOnce(&HostState) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let mut state = self.lock();
        if self.advance(&mut state) {
            self.save(&state)?;
        }
        view(&state)
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

    /// Moves booting VMs through Boot → OOBE → sign-in as scaled time passes. Returns whether
    /// anything changed.
    fn advance(&self, state: &mut HostState) -> bool {
        let now = Utc::now();
        let boot = chrono::Duration::from_std(self.scaled(real_time::BOOT)).unwrap_or_default();
        let ready = boot
            + chrono::Duration::from_std(self.scaled(real_time::OOBE_READY)).unwrap_or_default();
        let mut changed = false;
        for vm in &mut state.vms {
            let Some(started) = vm.booted_at else {
                continue;
            };
            if vm.state != VmState::Running {
                continue;
            }
            let elapsed = now - started;
            let next = match &vm.guest.screen {
                Screen::Boot if elapsed >= boot => Some(vm.guest.screen_after_boot()),
                Screen::Oobe if elapsed >= ready => Some(Screen::SignIn),
                _ => None,
            };
            if let Some(next) = next {
                vm.guest.screen = next;
                changed = true;
                // Oobe may advance again in the same call.
                if vm.guest.screen == Screen::Oobe && elapsed >= ready {
                    vm.guest.screen = Screen::SignIn;
                }
            }
        }
        changed
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

    /// Simulates restarting the PC: a pending Hyper-V install completes; running VMs are saved
    /// (Hyper-V's default automatic stop action).
    pub async fn reboot(&self) -> Result<(), HostError> {
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
    }

    /// What the VM's console shows, as a value rather than pixels.
    pub fn screen(&self, vm: &str) -> Result<Screen, HostError> {
        self.read(|s| Ok(Self::find(s, vm)?.guest.screen.clone()))
    }

    /// The guest's computer name (the Entra device's display name).
    pub fn device_name(&self, vm: &str) -> Result<String, HostError> {
        self.read(|s| Ok(Self::find(s, vm)?.device_name.clone()))
    }

    /// The Entra join the guest completed, if any.
    pub fn join_record(&self, vm: &str) -> Result<Option<JoinRecord>, HostError> {
        self.read(|s| Ok(Self::find(s, vm)?.guest.join.clone()))
    }

    /// Sets a PIN at the "Set up a PIN" page, as the demo's stand-in for the person at the VM.
    pub async fn complete_pin_setup(&self, vm: &str) -> Result<(), HostError> {
        let pin = Secret::new(DEMO_PIN);
        self.type_text(vm, KeyboardText::Secret(&pin), true).await
    }

    /// The signed-in user opens https://myapps.microsoft.com in Edge: the cloud logs a sign-in
    /// whose MFA requirement is satisfied by the claim in the PRT.
    pub async fn open_my_apps(&self, vm: &str) -> Result<(), HostError> {
        let (upn, device_id) = self.read(|s| {
            let v = Self::find(s, vm)?;
            match (&v.guest.screen, &v.guest.join) {
                (Screen::Desktop { .. }, Some(j)) => Ok((j.upn.clone(), j.device_id.clone())),
                _ => Err(HostError::InvalidState(format!(
                    "the VM shows '{}', not the desktop: sign in and set up the PIN first",
                    v.guest.screen.title()
                ))),
            }
        })?;
        let cloud = self.cloud.as_ref().ok_or_else(|| {
            HostError::Cloud("the emulated host has no emulated cloud to sign in to".into())
        })?;
        cloud
            .app_signin(&upn, &device_id, "My Apps")
            .await
            .map_err(HostError::Cloud)
    }

    /// Handles Enter on the current page with what was typed since the last Enter.
    async fn submit(&self, vm: &str, typed: Secret) -> Result<(), HostError> {
        let screen = self.screen(vm)?;
        match screen {
            Screen::SignIn => {
                let upn = typed.expose().trim().to_string();
                if upn.is_empty() {
                    return Ok(());
                }
                self.set_screen(vm, Screen::Tap { upn })
            }
            Screen::Tap { upn } => self.sign_in(vm, &upn, typed).await,
            Screen::SignInError { .. } => self.set_screen(vm, Screen::SignIn),
            Screen::PinSetup { upn } => {
                let pin = typed.expose();
                if pin.len() < 6 || !pin.chars().all(|c| c.is_ascii_digit()) {
                    return Err(HostError::BadInput(
                        "the PIN must be at least 6 digits (the Windows Hello for Business default)".into(),
                    ));
                }
                self.wait(real_time::PIN_SETUP).await;
                self.update(|s| {
                    let v = Self::find_mut(s, vm)?;
                    v.guest.pin_set = true;
                    v.guest.screen = Screen::Desktop { upn };
                    Ok(())
                })
            }
            _ => Ok(()),
        }
    }

    async fn sign_in(&self, vm: &str, upn: &str, tap: Secret) -> Result<(), HostError> {
        let tap = if self.wrong_tap {
            Secret::new(WRONG_TAP)
        } else {
            tap
        };
        let device_name = self.device_name(vm)?;
        self.wait(real_time::SIGN_IN).await;
        let outcome = match &self.cloud {
            Some(cloud) => cloud.oobe_signin(upn, &tap, &device_name).await,
            None => Err(cloud::SigninRefused {
                code: "Unreachable".into(),
                message: "We couldn't connect to the sign-in service. Check the network connection and try again.".into(),
            }),
        };
        let upn = upn.to_string();
        self.update(|s| {
            let v = Self::find_mut(s, vm)?;
            match outcome {
                Ok(joined) => {
                    let record = JoinRecord {
                        upn: upn.clone(),
                        device_id: joined.device_id,
                        device_object_id: joined.device_object_id,
                        managed_device_id: joined.managed_device_id,
                        whfb_method_id: joined.whfb_method_id,
                        tenant_id: joined.tenant_id,
                        tenant_name: joined.tenant_name,
                        user_id: joined.user_id,
                        joined_at: Utc::now(),
                    };
                    v.guest.screen = if record.whfb_method_id.is_some() {
                        Screen::PinSetup { upn }
                    } else {
                        Screen::Desktop { upn }
                    };
                    v.guest.join = Some(record);
                }
                Err(refused) => {
                    v.guest.screen = Screen::SignInError {
                        upn,
                        message: refused.message,
                    };
                }
            }
            Ok(())
        })
    }

    fn set_screen(&self, vm: &str, screen: Screen) -> Result<(), HostError> {
        self.update(|s| {
            Self::find_mut(s, vm)?.guest.screen = screen;
            Ok(())
        })
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

/// A Windows-style computer name, `DESKTOP-` and seven letters or digits.
fn new_device_name() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let suffix: String = (0..7)
        .map(|_| CHARS[rand::random_range(0..CHARS.len())] as char)
        .collect();
    format!("DESKTOP-{suffix}")
}

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
    }

    async fn enable_feature(&self) -> Result<bool, HostError> {
        if self.read(|s| Ok(s.feature))? != FeatureInstall::Disabled {
            return self.restart_needed().await;
        }
        self.wait(real_time::ENABLE_FEATURE).await;
        self.update(|s| {
            s.feature = FeatureInstall::EnablePending;
            Ok(true)
        })
    }

    async fn restart_needed(&self) -> Result<bool, HostError> {
        self.read(|s| Ok(s.feature == FeatureInstall::EnablePending))
    }

    async fn list_vms(&self) -> Result<Vec<VmInfo>, HostError> {
        self.read(|s| {
            Self::require_hyperv(s)?;
            Ok(s.vms.iter().map(Self::info).collect())
        })
    }

    async fn vm(&self, name: &str) -> Result<Option<VmInfo>, HostError> {
        self.read(|s| {
            Self::require_hyperv(s)?;
            Ok(s.vm(name).map(Self::info))
        })
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
        })?;
        self.wait(real_time::CREATE_VM).await;
        self.update(|s| {
            let vm = EmuVm {
                spec: spec.clone(),
                state: VmState::Off,
                device_name: new_device_name(),
                guest: Guest::default(),
                booted_at: None,
                checkpoints: Vec::new(),
            };
            let info = Self::info(&vm);
            s.vms.push(vm);
            Ok(info)
        })
    }

    async fn start_vm(&self, name: &str) -> Result<(), HostError> {
        let state = self.update(|s| {
            let vm = Self::find_mut(s, name)?;
            let before = vm.state.clone();
            if before != VmState::Running {
                vm.state = VmState::Starting;
            }
            Ok(before)
        })?;
        if state == VmState::Running {
            return Ok(());
        }
        self.wait(real_time::START_VM).await;
        self.update(|s| {
            let vm = Self::find_mut(s, name)?;
            vm.state = VmState::Running;
            if state != VmState::Saved {
                // A cold boot; a saved VM resumes where it was.
                vm.guest.screen = Screen::Boot;
                vm.booted_at = Some(Utc::now());
            }
            Ok(())
        })
    }

    async fn stop_vm(&self, name: &str) -> Result<(), HostError> {
        self.update(|s| {
            let vm = Self::find_mut(s, name)?;
            vm.state = VmState::Off;
            vm.guest.screen = Screen::Off;
            vm.booted_at = None;
            Ok(())
        })
    }

    async fn vm_state(&self, name: &str) -> Result<VmState, HostError> {
        self.read(|s| Ok(Self::find(s, name)?.state.clone()))
    }

    async fn create_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        self.read(|s| Self::find(s, vm).map(drop))?;
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
        })?;
        self.wait(real_time::CHECKPOINT).await;
        self.typing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(v, _)| v != vm);
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
            v.state = saved.state;
            v.guest = saved.guest;
            v.booted_at = if v.state == VmState::Running {
                Some(Utc::now())
            } else {
                None
            };
            Ok(())
        })
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
    }

    async fn enhanced_session_mode(&self) -> Result<bool, HostError> {
        self.read(|s| {
            Self::require_hyperv(s)?;
            Ok(s.enhanced_session)
        })
    }

    async fn set_enhanced_session_mode(&self, enabled: bool) -> Result<(), HostError> {
        self.update(|s| {
            Self::require_hyperv(s)?;
            s.enhanced_session = enabled;
            Ok(())
        })
    }

    async fn screenshot(&self, vm: &str) -> Result<ScreenImage, HostError> {
        Ok(screens::render(&self.screen(vm)?))
    }

    async fn type_text(
        &self,
        vm: &str,
        text: KeyboardText<'_>,
        press_enter: bool,
    ) -> Result<(), HostError> {
        let state = self.vm_state(vm).await?;
        if state != VmState::Running {
            return Err(HostError::InvalidState(format!(
                "the VM is {state}: start it before typing into it"
            )));
        }
        self.wait(real_time::KEYSTROKE.saturating_mul(text.expose().chars().count() as u32))
            .await;
        let typed = {
            let mut typing = self.typing.lock().unwrap_or_else(|p| p.into_inner());
            let so_far = typing
                .iter()
                .position(|(v, _)| v == vm)
                .map(|i| typing.remove(i).1.expose().to_string())
                .unwrap_or_default();
            let all = Secret::new(so_far + text.expose());
            if !press_enter {
                typing.push((vm.to_string(), all));
                return Ok(());
            }
            all
        };
        self.submit(vm, typed).await
    }

    async fn run_in_vm(&self, vm: &str, command: GuestCommand) -> Result<String, HostError> {
        self.read(|s| {
            let v = Self::find(s, vm)?;
            if v.state != VmState::Running || v.guest.screen == Screen::Boot {
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
    }

    fn as_emulated(&self) -> Option<&EmulatedHost> {
        Some(self)
    }
}
