//! What each step does and why, in short plain words.

use hb_lab::session::{StepState, VmPage};
use hb_lab::{Step, StepStatus};

/// The words of one step page.
#[derive(Clone, Copy, Debug)]
pub struct StepText {
    /// What the step changes.
    pub what: &'static str,
    /// Why the lab needs it.
    pub why: &'static str,
    /// What Apply does (and Revert undoes), shown while the step is not done.
    pub todo: &'static str,
    /// What the person does when the step needs them and the step itself said nothing.
    pub needs_you: &'static str,
}

/// The words for a step.
pub fn text(step: Step) -> StepText {
    match step {
        Step::MdmUserScope => StepText {
            what: "Turns on Intune automatic enrollment for all users (MDM user scope = All).",
            why: "When the lab user joins the VM to Entra, Windows enrolls it in Intune on its own. Intune then delivers the Windows Hello for Business policy.",
            todo: "Apply sets the scope to All. Revert puts back exactly what was there before.",
            needs_you: "Press \"Check again\" once the scope is All in the Intune admin center.",
        },
        Step::WhfbEnrollment => StepText {
            what: "Enables the tenant-wide Windows Hello for Business enrollment policy.",
            why: "With it on, Windows asks the user to set up a PIN backed by the TPM right after the first sign-in. That PIN is the phishing-resistant credential the lab ends with.",
            todo: "Apply switches the policy to Enabled. Revert restores the previous setting.",
            needs_you: "Press \"Check again\" once the policy is Enabled in the Intune admin center.",
        },
        Step::HypervFeature => StepText {
            what: "Makes sure Hyper-V is turned on on this PC.",
            why: "The lab VM runs in Hyper-V, with a virtual TPM so Windows Hello works just as on a real PC.",
            todo: "Apply turns Hyper-V on. Windows then needs one restart; the wizard opens on this step again afterwards.",
            needs_you: "Restart this PC to finish turning Hyper-V on. The wizard opens on this step again afterwards.",
        },
        Step::LabVm => StepText {
            what: "Creates a Windows 11 VM (generation 2, secure boot, virtual TPM) and starts it at the out-of-box experience (OOBE).",
            why: "A fresh Windows at OOBE is where a new employee starts. A checkpoint taken there lets you run the lab again in seconds.",
            todo: "Apply creates the VM and its OOBE checkpoint. Revert goes back to that checkpoint.",
            needs_you: "1. Choose a Windows 11 ISO above.\n2. Apply again.",
        },
        Step::TapPolicy => StepText {
            what: "Turns on the Temporary Access Pass (TAP) authentication method for all users.",
            why: "A TAP is a time-limited passcode an admin issues. It lets a new user sign in without a password and set up Windows Hello.",
            todo: "Apply enables the method. Revert restores the previous policy.",
            needs_you: "Press \"Check again\" once the method is enabled in the Entra admin center.",
        },
        Step::TapIssued => StepText {
            what: "Issues a Temporary Access Pass for the lab user.",
            why: "The lab user types this pass at the VM instead of a password. It is shown once, here, and kept nowhere.",
            todo: "Apply issues the pass and shows it here for 60 seconds. Revert deletes it so you can issue a new one.",
            needs_you: "Press \"Check again\" once the lab user has a usable pass.",
        },
        Step::Bootstrap => StepText {
            what: "Signs the lab user in at the VM with the TAP, sets up a Windows Hello PIN, and checks the result.",
            why: "This is the payoff: a device that is Entra joined, Intune enrolled and signed in with Windows Hello for Business, and no password typed at any step.",
            todo: "Apply signs the lab user in at the VM with the pass, then checks the result.",
            needs_you: "At the VM:\n1. Choose \"Set up for work or school\".\n2. Type the lab user's name.\n3. Type the Temporary Access Pass where Windows asks for it.\n4. Set up a PIN when Windows asks.\nThe checks below turn green as Windows finishes.",
        },
    }
}

/// The caption under the VM screen: what the screen shows now and, when it waits on the
/// person at the VM, what they do there right now. On step 7 it follows the page the VM's frame
/// shows, so each caption stays as long as its screen does.
pub fn screen_caption(
    step: Step,
    state: &StepState,
    demo: bool,
    page: Option<VmPage>,
) -> Option<String> {
    let typing = state.running.is_some();
    let caption = match step {
        Step::LabVm => match state.status {
            StepStatus::Applied => "Windows waits at the first-start (OOBE) sign-in page.",
            _ if state.running.is_some() => "The VM is being created and started.",
            _ => return None,
        },
        Step::Bootstrap => match page {
            Some(VmPage::Oobe) => "1. Windows starts its first-start setup (OOBE).",
            Some(VmPage::SignIn) if typing => {
                "1. The sign-in page of the first start (OOBE); the lab user's name (UPN) goes in now."
            }
            Some(VmPage::SignIn) if demo => {
                "The VM waits at the sign-in page of its first start (OOBE). Apply signs in, or press \"Type the UPN\"."
            }
            Some(VmPage::SignIn) => {
                "At the VM now: the sign-in page shows. Press \"Type the UPN\"."
            }
            Some(VmPage::Tap) if typing => {
                "2. The lab user's name was accepted; Windows asks for the Temporary Access Pass, which goes in now (shown as dots)."
            }
            Some(VmPage::Tap) => {
                "Windows asks for the Temporary Access Pass. Press \"Type the TAP\"."
            }
            Some(VmPage::SignInError) => {
                "Windows refused the sign-in: the message on the VM's screen says why."
            }
            Some(VmPage::PinSetup) => {
                "3. Signed in with the pass. Windows asks to set up a PIN (Windows Hello for Business)."
            }
            Some(VmPage::Desktop) => {
                "4. The desktop: signed in with Windows Hello, no password typed."
            }
            Some(VmPage::Unseen { at_oobe: true }) => {
                "At the VM now: press \"Type the UPN\" on the sign-in page, \"Type the TAP\" when Windows asks for the pass, then set up a PIN."
            }
            Some(VmPage::Unseen { at_oobe: false }) if state.status == StepStatus::Applied => {
                "The desktop: signed in with Windows Hello, no password typed."
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(caption.to_string())
}
