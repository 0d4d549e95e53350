//! The real Hyper-V host: Windows PowerShell 5.1 driving the Hyper-V module and WMI through one
//! long-lived worker process. Scripts are fixed constants; every untrusted value travels as JSON
//! data beside them. The runner and this host compile everywhere so tests can drive them with a
//! fake `powershell`; on Windows [`PowerShellHost::system`] uses the real one.

pub mod protocol;
pub mod runner;
pub mod scripts;
pub mod worker;

pub use protocol::RequestKind;
pub use runner::PowerShellRunner;

use super::{
    Checkpoint, FeatureState, GuestCommand, GuestKvp, GuestPage, HostError, HostPreflight,
    HyperVHost, InstallImage, InstallMedia, KeyboardText, Pace, ScreenImage, VmInfo, VmSpec,
    VmState,
};
use base64::Engine;
use hb_lab::Secret;
use protocol::one_or_many;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Thumbnail size requested from Hyper-V (4:3, like the OOBE console at 1024x768).
pub const THUMBNAIL: (u32, u32) = (640, 480);

/// Space-bar presses through the DVD boot prompt, a second apart: the prompt waits about five
/// seconds and comes after the firmware has passed over the empty virtual disk.
pub const BOOT_KEY_PRESSES: u32 = 15;
/// Milliseconds between boot-prompt key presses.
pub const BOOT_KEY_INTERVAL_MS: u32 = 1000;
/// Called when enabling Hyper-V leaves Windows waiting for a restart, before the step asks
/// for it: the app registers its reopening after the restart there.
pub type OnRestartNeeded = std::sync::Arc<dyn Fn() + Send + Sync>;

/// A Hyper-V host driven through PowerShell.
pub struct PowerShellHost {
    runner: PowerShellRunner,
    cancel: CancellationToken,
    /// A guest account for PowerShell Direct (`dsregcmd /status`); none exists at OOBE.
    guest: Option<(String, Secret)>,
    on_restart_needed: Option<OnRestartNeeded>,
}

impl PowerShellHost {
    /// A host that runs its scripts with `runner` (tests pass a fake `powershell`).
    pub fn new(runner: PowerShellRunner) -> PowerShellHost {
        PowerShellHost {
            runner,
            cancel: CancellationToken::new(),
            guest: None,
            on_restart_needed: None,
        }
    }

    /// Runs `hook` each time enabling Hyper-V needs a restart to finish.
    pub fn on_restart_needed(mut self, hook: OnRestartNeeded) -> PowerShellHost {
        self.on_restart_needed = Some(hook);
        self
    }

    /// The host on this Windows PC.
    #[cfg(windows)]
    pub fn system() -> PowerShellHost {
        Self::new(PowerShellRunner::system())
    }

    /// Stops the running request when `cancel` fires (e.g. the wizard's Cancel).
    pub fn with_cancel(mut self, cancel: CancellationToken) -> PowerShellHost {
        self.cancel = cancel;
        self
    }

    /// The guest account PowerShell Direct signs in with to run commands in the VM.
    pub fn with_guest_credential(mut self, user: impl Into<String>, password: Secret) -> Self {
        self.guest = Some((user.into(), password));
        self
    }

    async fn run(&self, script: &'static str, input: Value) -> Result<Value, HostError> {
        self.runner.run(script, &input, &self.cancel).await
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, HostError> {
    serde_json::from_value(value).map_err(|e| HostError::Parse {
        reason: format!("{what}: {e}"),
        excerpt: String::new(),
    })
}

/// Replaces a secret's characters in an error so a failed `type_text` never leaks it.
fn redact(err: HostError, secret: &str) -> HostError {
    if secret.is_empty() {
        return err;
    }
    match err {
        HostError::PowerShell { exit_code, message } => HostError::PowerShell {
            exit_code,
            message: message.replace(secret, "[redacted]"),
        },
        HostError::Parse { reason, excerpt } => HostError::Parse {
            reason: reason.replace(secret, "[redacted]"),
            excerpt: excerpt.replace(secret, "[redacted]"),
        },
        other => other,
    }
}

#[async_trait::async_trait]
impl HyperVHost for PowerShellHost {
    async fn feature_state(&self) -> Result<FeatureState, HostError> {
        match self.run(scripts::FEATURE_STATE, json!({})).await {
            Ok(v) => Ok(FeatureState::from_windows(
                v["state"].as_str().unwrap_or(""),
            )),
            Err(e @ HostError::EditionUnsupported { .. }) => Ok(FeatureState::Unavailable {
                reason: e.to_string(),
            }),
            Err(e) => Err(e),
        }
    }

    async fn enable_feature(&self) -> Result<bool, HostError> {
        let v = self.run(scripts::ENABLE_FEATURE, json!({})).await?;
        let restart_needed = v["restart_needed"].as_bool().unwrap_or(true);
        if restart_needed && let Some(hook) = &self.on_restart_needed {
            hook();
        }
        Ok(restart_needed)
    }

    async fn restart_needed(&self) -> Result<bool, HostError> {
        let v = self.run(scripts::FEATURE_STATE, json!({})).await?;
        Ok(v["restart_needed"].as_bool().unwrap_or(false) || v["state"] == "EnablePending")
    }

    async fn restart_pc(&self) -> Result<(), HostError> {
        Err(HostError::RestartByHand)
    }

    fn install_media(&self) -> InstallMedia {
        InstallMedia::Required
    }

    fn pace(&self) -> Pace {
        Pace::REAL
    }

    async fn list_vms(&self) -> Result<Vec<VmInfo>, HostError> {
        let v = self.run(scripts::LIST_VMS, json!({})).await?;
        one_or_many(v)
            .into_iter()
            .map(|vm| decode(vm, "a VM"))
            .collect()
    }

    async fn vm(&self, name: &str) -> Result<Option<VmInfo>, HostError> {
        let v = self.run(scripts::GET_VM, json!({ "name": name })).await?;
        if v.is_null() {
            return Ok(None);
        }
        decode(v, "the VM").map(Some)
    }

    async fn create_vm(&self, spec: &VmSpec) -> Result<VmInfo, HostError> {
        spec.validate()?;
        let input = serde_json::to_value(spec).map_err(|e| HostError::BadInput(e.to_string()))?;
        decode(self.run(scripts::CREATE_VM, input).await?, "the new VM")
    }

    async fn start_vm(&self, name: &str) -> Result<(), HostError> {
        self.run(scripts::START_VM, json!({ "name": name }))
            .await
            .map(drop)
    }

    async fn stop_vm(&self, name: &str) -> Result<(), HostError> {
        self.run(scripts::STOP_VM, json!({ "name": name }))
            .await
            .map(drop)
    }

    async fn vm_state(&self, name: &str) -> Result<VmState, HostError> {
        let v = self.run(scripts::VM_STATE, json!({ "name": name })).await?;
        Ok(VmState::parse(v.as_str().unwrap_or("Other")))
    }

    async fn create_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        self.run(
            scripts::CREATE_CHECKPOINT,
            json!({ "vm": vm, "name": checkpoint }),
        )
        .await
        .map(drop)
    }

    async fn restore_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError> {
        match self
            .run(
                scripts::RESTORE_CHECKPOINT,
                json!({ "vm": vm, "name": checkpoint }),
            )
            .await
        {
            Err(HostError::CheckpointNotFound { name, .. }) => Err(HostError::CheckpointNotFound {
                vm: vm.into(),
                name,
            }),
            other => other.map(drop),
        }
    }

    async fn list_checkpoints(&self, vm: &str) -> Result<Vec<Checkpoint>, HostError> {
        let v = self
            .run(scripts::LIST_CHECKPOINTS, json!({ "vm": vm }))
            .await?;
        one_or_many(v)
            .into_iter()
            .map(|c| decode(c, "a checkpoint"))
            .collect()
    }

    async fn enhanced_session_mode(&self) -> Result<bool, HostError> {
        let v = self.run(scripts::GET_ENHANCED_SESSION, json!({})).await?;
        Ok(v.as_bool().unwrap_or(false))
    }

    async fn set_enhanced_session_mode(&self, enabled: bool) -> Result<(), HostError> {
        self.run(scripts::SET_ENHANCED_SESSION, json!({ "enabled": enabled }))
            .await
            .map(drop)
    }

    async fn screenshot(&self, vm: &str) -> Result<ScreenImage, HostError> {
        let (width, height) = THUMBNAIL;
        let v = self
            .run(
                scripts::SCREENSHOT,
                json!({ "vm": vm, "width": width, "height": height }),
            )
            .await?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(v["rgb565"].as_str().unwrap_or(""))
            .map_err(|e| HostError::Parse {
                reason: format!("the thumbnail is not base64: {e}"),
                excerpt: String::new(),
            })?;
        ScreenImage::from_rgb565(width, height, &data)
    }

    /// Unknown: the console's pixels are all this host sees of the page; where the guest is on
    /// its way (Setup, OOBE, signed in) comes from its reporter over KVP ([`Self::guest_kvp`]).
    async fn guest_page(&self, _vm: &str) -> Result<Option<GuestPage>, HostError> {
        Ok(None)
    }

    async fn type_text(
        &self,
        vm: &str,
        text: KeyboardText<'_>,
        press_enter: bool,
    ) -> Result<(), HostError> {
        crate::typing::check_typable(&text)?;
        crate::typing::check_layout(&crate::guest_report(self, vm).await?)?;
        let input = json!({ "vm": vm, "text": text.expose(), "press_enter": press_enter });
        self.run(scripts::TYPE_TEXT, input)
            .await
            .map(drop)
            .map_err(|e| redact(e, text.expose()))
    }

    async fn install_images(&self, iso: &std::path::Path) -> Result<Vec<InstallImage>, HostError> {
        let v = self
            .run(
                scripts::INSTALL_IMAGES,
                json!({ "iso": iso.to_string_lossy() }),
            )
            .await?;
        one_or_many(v)
            .into_iter()
            .map(|i| decode(i, "a Windows image"))
            .collect()
    }

    async fn start_vm_from_dvd(&self, name: &str) -> Result<(), HostError> {
        self.run(
            scripts::START_FROM_DVD,
            json!({ "name": name, "presses": BOOT_KEY_PRESSES, "interval_ms": BOOT_KEY_INTERVAL_MS }),
        )
        .await
        .map(drop)
    }

    async fn guest_kvp(&self, vm: &str) -> Result<GuestKvp, HostError> {
        let v = self.run(scripts::GUEST_KVP, json!({ "vm": vm })).await?;
        let strings = |key: &str| -> Vec<String> {
            one_or_many(v[key].clone())
                .into_iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        };
        Ok(GuestKvp {
            intrinsic: crate::kvp::parse_items(&strings("intrinsic"))?,
            guest: crate::kvp::parse_items(&strings("guest"))?,
        })
    }

    async fn preflight(&self) -> Result<Option<HostPreflight>, HostError> {
        let v = self.run(scripts::PREFLIGHT, json!({})).await?;
        decode(v, "the PC's Hyper-V readiness").map(Some)
    }

    async fn run_in_vm(&self, vm: &str, command: GuestCommand) -> Result<String, HostError> {
        let Some((user, password)) = &self.guest else {
            return Err(HostError::GuestAccess(format!(
                "no guest account for PowerShell Direct to run `{}` (a user who signed in with a TAP and a PIN has no password): on a VM step 4 created, its reporter publishes the result over Hyper-V Data Exchange instead",
                command.command_line()
            )));
        };
        let script = match command {
            GuestCommand::DsregcmdStatus => scripts::RUN_DSREGCMD,
        };
        let input = json!({ "vm": vm, "user": user, "password": password.expose() });
        let v = self
            .run(script, input)
            .await
            .map_err(|e| redact(e, password.expose()))?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }
}
