//! What a host knows of the Windows installation inside a VM: the page its console shows.

use serde::{Deserialize, Serialize};

/// The page Windows shows in a VM, from power-off to the signed-in desktop. Controllers wait
/// for the page they type on; the emulated host keeps its guest on one and draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum GuestPage {
    /// The VM is off: Virtual Machine Connection's black panel.
    Off,
    /// Firmware and Windows boot: the logo and the spinner (on a VM booting its installation
    /// DVD, the "Press any key to boot from CD or DVD" prompt comes first).
    Boot,
    /// Windows Setup installs Windows (answered by the answer file, or waiting for a person).
    Setup,
    /// Nobody pressed a key at the DVD's prompt and the disk is empty: the firmware's
    /// "No operating system was loaded" page.
    NoBootDevice,
    /// OOBE has started: "Let's set things up for your work or school", getting ready.
    Oobe,
    /// The OOBE sign-in page asking for the work or school email.
    SignIn,
    /// "Enter Temporary Access Pass" for the typed account.
    Tap { upn: String },
    /// The sign-in failed; the message is the cloud's.
    SignInError { upn: String, message: String },
    /// "Set up a PIN" (Windows Hello for Business provisioning).
    PinSetup { upn: String },
    /// Signed in: the Windows desktop.
    Desktop { upn: String },
}

impl GuestPage {
    /// The page's main text, as a person would describe the screen.
    pub fn title(&self) -> &'static str {
        match self {
            GuestPage::Off => "The virtual machine is turned off",
            GuestPage::Boot => "Starting Windows",
            GuestPage::Setup => "Installing Windows",
            GuestPage::NoBootDevice => "No operating system was loaded",
            GuestPage::Oobe => "Let's set things up for your work or school",
            GuestPage::SignIn => "Sign in with your work or school account",
            GuestPage::Tap { .. } => "Enter Temporary Access Pass",
            GuestPage::SignInError { .. } => "Something went wrong",
            GuestPage::PinSetup { .. } => "Set up a PIN",
            GuestPage::Desktop { .. } => "Windows desktop",
        }
    }

    /// Whether Windows is still in OOBE, waiting for someone to sign in.
    pub fn is_oobe(&self) -> bool {
        matches!(
            self,
            GuestPage::Oobe
                | GuestPage::SignIn
                | GuestPage::Tap { .. }
                | GuestPage::SignInError { .. }
        )
    }

    /// Whether someone has signed in on this VM (the PIN page or the desktop shows).
    pub fn is_signed_in(&self) -> bool {
        matches!(self, GuestPage::PinSetup { .. } | GuestPage::Desktop { .. })
    }
}

/// Where the VM is on its way from the ISO to a signed-in desktop, as `check` tells a person:
/// from the VM's power state and what the guest reports over KVP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestPhase {
    /// The VM is not running.
    Off,
    /// Running, and Windows is not up yet: firmware, Windows Setup, or the boots between.
    InSetup,
    /// The reporter's marker says OOBE (not specialize) and nobody has signed in.
    AtOobe,
    /// Someone has signed in (the reporter publishes their `dsregcmd /status`).
    PastOobe,
    /// Windows is up but publishes nothing of ours: a VM we did not create.
    NoReporter,
}

impl GuestPhase {
    /// Reads the phase from the VM's state and its KVP report.
    pub fn from_report(running: bool, report: &crate::kvp::GuestReport) -> GuestPhase {
        use crate::kvp::UserReportState;
        if !running {
            return GuestPhase::Off;
        }
        if report.user != UserReportState::None {
            return GuestPhase::PastOobe;
        }
        if let Some(marker) = &report.marker {
            return if marker.phase == crate::kvp::PHASE_OOBE {
                GuestPhase::AtOobe
            } else {
                GuestPhase::InSetup
            };
        }
        if report.windows_up() {
            GuestPhase::NoReporter
        } else {
            GuestPhase::InSetup
        }
    }

    /// How `check` says it.
    pub fn describe(self) -> &'static str {
        match self {
            GuestPhase::Off => "VM off",
            GuestPhase::InSetup => "in Setup",
            GuestPhase::AtOobe => "at OOBE",
            GuestPhase::PastOobe => "past OOBE",
            GuestPhase::NoReporter => "running without the Hello Bootstrap reporter",
        }
    }
}
