//! The Hyper-V host behind one trait: PowerShell on Windows, an emulated host for demo mode and tests.

pub mod dsregcmd;
pub mod emulated;
pub mod error;
pub mod guest;
pub mod iso9660;
pub mod kvp;
pub mod pace;
pub mod powershell;
pub mod preflight;
pub mod reporter;
pub mod types;
pub mod typing;
pub mod unattend;

pub use emulated::{EmulatedHost, EmulatedHostConfig, PersonAtVm};
pub use error::HostError;
pub use guest::{GuestPage, GuestPhase};
pub use kvp::{GuestKvp, GuestReport};
pub use pace::Pace;
pub use preflight::HostPreflight;
pub use types::{
    Checkpoint, FeatureState, GuestCommand, InstallMedia, KeyboardText, ScreenImage, VmInfo,
    VmSpec, VmState,
};
pub use unattend::InstallImage;

/// A Hyper-V host: the Windows feature, the lab VM's life cycle, its screen and keyboard, and a
/// command channel into the guest. Implemented by the PowerShell host (Windows) and the emulated
/// host (demo mode and tests), so step controllers never know which one they drive: what they
/// must decide is asked here, in terms that hold for a real PC.
#[async_trait::async_trait]
pub trait HyperVHost: Send + Sync {
    /// The state of the Hyper-V optional feature, or why Hyper-V cannot run here.
    async fn feature_state(&self) -> Result<FeatureState, HostError>;

    /// Enables Hyper-V; returns whether Windows needs a restart before Hyper-V works.
    async fn enable_feature(&self) -> Result<bool, HostError>;

    /// Whether a restart is pending before Hyper-V can be used.
    async fn restart_needed(&self) -> Result<bool, HostError>;

    /// Restarts this PC to finish enabling Hyper-V, for the wizard's "Restart the demo PC".
    /// The app never restarts a real Windows under the person's open work, so a real host
    /// answers [`HostError::RestartByHand`]: the person restarts and reopens the app, which
    /// resumes at step 3.
    async fn restart_pc(&self) -> Result<(), HostError>;

    /// Whether creating a VM needs a Windows installation ISO, so step 4 asks for one only where
    /// Windows Setup really runs.
    fn install_media(&self) -> InstallMedia;

    /// How long the guest and the cloud behind this host take, so controllers wait as long as a
    /// real PC and tenant need (minutes) without making the demo wait that long.
    fn pace(&self) -> Pace;

    /// Every VM this host shows the caller.
    async fn list_vms(&self) -> Result<Vec<VmInfo>, HostError>;

    /// One VM by exact name (no wildcards), or `None`.
    async fn vm(&self, name: &str) -> Result<Option<VmInfo>, HostError>;

    /// Creates a VM as the spec says (it stays off).
    async fn create_vm(&self, spec: &VmSpec) -> Result<VmInfo, HostError>;

    async fn start_vm(&self, name: &str) -> Result<(), HostError>;

    /// Turns the VM off (hard stop: the lab VM has nothing to save at OOBE).
    async fn stop_vm(&self, name: &str) -> Result<(), HostError>;

    async fn vm_state(&self, name: &str) -> Result<VmState, HostError>;

    async fn create_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError>;

    /// Restores a checkpoint; the VM comes back in the state it was saved in.
    async fn restore_checkpoint(&self, vm: &str, checkpoint: &str) -> Result<(), HostError>;

    async fn list_checkpoints(&self, vm: &str) -> Result<Vec<Checkpoint>, HostError>;

    /// Host-wide enhanced session mode policy.
    async fn enhanced_session_mode(&self) -> Result<bool, HostError>;

    async fn set_enhanced_session_mode(&self, enabled: bool) -> Result<(), HostError>;

    /// What the VM's console shows now, as an RGBA image.
    async fn screenshot(&self, vm: &str) -> Result<ScreenImage, HostError>;

    /// The page Windows shows in the VM, so a controller waits for the page it types on (and
    /// sees a refused sign-in) instead of typing blind. `None` when the host cannot tell.
    async fn guest_page(&self, vm: &str) -> Result<Option<GuestPage>, HostError>;

    /// Types text through Hyper-V's virtual keyboard, then presses Enter when asked. Secret text
    /// travels as data and is never logged.
    async fn type_text(
        &self,
        vm: &str,
        text: KeyboardText<'_>,
        press_enter: bool,
    ) -> Result<(), HostError>;

    /// Runs a known command in the guest and returns its text output.
    async fn run_in_vm(&self, vm: &str, command: GuestCommand) -> Result<String, HostError>;

    /// The Windows images on an installation ISO, so step 4 picks the edition Setup installs.
    async fn install_images(&self, iso: &std::path::Path) -> Result<Vec<InstallImage>, HostError> {
        Err(HostError::BadInput(format!(
            "this host cannot read the Windows editions on {}",
            iso.display()
        )))
    }

    /// Starts the VM and presses a key through the firmware's "Press any key to boot from CD or
    /// DVD" window (`Msvm_Keyboard.TypeKey`, as Packer's Hyper-V builder types its boot
    /// command), so Windows Setup starts from the installation DVD with nobody at the console.
    async fn start_vm_from_dvd(&self, name: &str) -> Result<(), HostError> {
        self.start_vm(name).await
    }

    /// What the guest publishes over Hyper-V Data Exchange (KVP). A host that cannot read it
    /// reports nothing, which reads as a VM without the reporter.
    async fn guest_kvp(&self, _vm: &str) -> Result<GuestKvp, HostError> {
        Ok(GuestKvp::default())
    }

    /// What this PC offers Hyper-V and the lab VM (edition, virtualization, memory, disk), or
    /// `None` when the host cannot tell.
    async fn preflight(&self) -> Result<Option<HostPreflight>, HostError> {
        Ok(None)
    }
}

/// The VM's report over KVP as of now.
pub async fn guest_report(host: &dyn HyperVHost, vm: &str) -> Result<GuestReport, HostError> {
    let kvp = host.guest_kvp(vm).await?;
    Ok(GuestReport::from_kvp(&kvp, chrono::Utc::now()))
}
