//! What a host knows of the Windows installation inside a VM: the page its console shows.

use serde::{Deserialize, Serialize};

/// The page Windows shows in a VM, from power-off to the signed-in desktop. Controllers wait
/// for the page they type on; the emulated host keeps its guest on one and draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum GuestPage {
    /// The VM is off: Virtual Machine Connection's black panel.
    Off,
    /// Firmware and Windows boot: the logo and the spinner.
    Boot,
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
