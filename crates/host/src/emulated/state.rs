//! The emulated host's persistent state: the Hyper-V feature, enhanced session mode, and each
//! VM with its guest (page, Entra join, PIN, My Apps) and checkpoints. It never holds a TAP or a
//! PIN.

use crate::{GuestPage, VmSpec, VmState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The Hyper-V feature as the emulated Windows knows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureInstall {
    #[default]
    Disabled,
    /// Enabled, waiting for the simulated reboot.
    EnablePending,
    Enabled,
}

/// What the emulated cloud answered at the OOBE sign-in; ids only, never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRecord {
    pub upn: String,
    pub device_id: String,
    pub device_object_id: String,
    pub managed_device_id: Option<String>,
    /// None when Windows Hello for Business is not provisioned for this user and device.
    pub whfb_method_id: Option<String>,
    pub tenant_id: String,
    pub tenant_name: String,
    pub user_id: String,
    pub joined_at: DateTime<Utc>,
}

/// The Windows installation inside a VM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    pub screen: GuestPage,
    /// When the page appeared: boot, OOBE and the person at the VM move on from it. `None` in
    /// files saved before it was kept; the clock then starts when the host next looks.
    #[serde(default)]
    pub shown_at: Option<DateTime<Utc>>,
    pub join: Option<JoinRecord>,
    pub pin_set: bool,
    /// Whether the signed-in user has opened My Apps in Edge, the sign-in step 7 looks for.
    #[serde(default)]
    pub my_apps_opened: bool,
    /// Windows is on the VM's disk: the emulated VM brings it along unless it installs from an
    /// ISO, when Setup puts it there.
    #[serde(default = "yes")]
    pub installed: bool,
    /// What the answer disc answered, when the VM has one: Setup runs by itself and plants the
    /// reporter.
    #[serde(default)]
    pub answers: Option<Answered>,
    /// When the reporter published its OOBE marker (from the specialize pass).
    #[serde(default)]
    pub marker_at: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

/// What the emulated Windows Setup took from the answer file on the VM's second DVD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    /// The answer file plants the guest reporter.
    pub reporter: bool,
    /// The keyboard layout of the oobeSystem input locale (`00000409` for `0409:00000409`).
    pub layout: Option<String>,
    /// The VM name the answer file carries for the reporter.
    pub vm_label: Option<String>,
}

impl Default for Guest {
    fn default() -> Self {
        Guest {
            screen: GuestPage::Off,
            shown_at: None,
            join: None,
            pin_set: false,
            my_apps_opened: false,
            installed: true,
            answers: None,
            marker_at: None,
        }
    }
}

impl Guest {
    /// Puts `page` on the console, shown since `at`.
    pub fn show(&mut self, page: GuestPage, at: DateTime<Utc>) {
        self.screen = page;
        self.shown_at = Some(at);
    }

    /// Where Windows lands after booting: OOBE until someone has signed in and set a PIN.
    pub fn screen_after_boot(&self) -> GuestPage {
        match (&self.join, self.pin_set) {
            (Some(j), true) => GuestPage::Desktop { upn: j.upn.clone() },
            (Some(j), false) if j.whfb_method_id.is_some() => {
                GuestPage::PinSetup { upn: j.upn.clone() }
            }
            (Some(j), false) => GuestPage::Desktop { upn: j.upn.clone() },
            (None, _) => GuestPage::Oobe,
        }
    }
}

/// A saved VM state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedCheckpoint {
    pub name: String,
    pub created: DateTime<Utc>,
    pub state: VmState,
    pub guest: Guest,
}

/// One emulated VM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmuVm {
    pub spec: VmSpec,
    pub state: VmState,
    /// The guest's computer name, also the Entra device's display name.
    pub device_name: String,
    pub guest: Guest,
    pub checkpoints: Vec<SavedCheckpoint>,
}

/// Everything the emulated host remembers across restarts of the app.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostState {
    pub feature: FeatureInstall,
    pub enhanced_session: bool,
    pub vms: Vec<EmuVm>,
}

impl HostState {
    /// A fresh Windows 11 Pro: Hyper-V off, enhanced session mode on (the client default).
    pub fn fresh() -> HostState {
        HostState {
            feature: FeatureInstall::Disabled,
            enhanced_session: true,
            vms: Vec::new(),
        }
    }

    /// A VM by exact name.
    pub fn vm(&self, name: &str) -> Option<&EmuVm> {
        self.vms.iter().find(|v| v.spec.name == name)
    }

    /// A VM by exact name, to change it.
    pub fn vm_mut(&mut self, name: &str) -> Option<&mut EmuVm> {
        self.vms.iter_mut().find(|v| v.spec.name == name)
    }
}
