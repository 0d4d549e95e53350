//! What each step does and why, in short plain words.

use hb_lab::Step;

/// The words of one step page.
#[derive(Clone, Copy, Debug)]
pub struct StepText {
    /// What the step changes.
    pub what: &'static str,
    /// Why the lab needs it.
    pub why: &'static str,
    /// What the person does when the step needs them.
    pub hint: &'static str,
}

/// The words for a step.
pub fn text(step: Step) -> StepText {
    match step {
        Step::MdmUserScope => StepText {
            what: "Turns on Intune automatic enrollment for all users (MDM user scope = All).",
            why: "When the lab user joins the VM to Entra, Windows enrolls it in Intune on its own. Intune then delivers the Windows Hello for Business policy.",
            hint: "Apply sets the scope to All. Revert puts back exactly what was there before.",
        },
        Step::WhfbEnrollment => StepText {
            what: "Enables the tenant-wide Windows Hello for Business enrollment policy.",
            why: "With it on, Windows asks the user to set up a PIN backed by the TPM right after the first sign-in. That PIN is the phishing-resistant credential the lab ends with.",
            hint: "Apply switches the policy to Enabled. Revert restores the previous setting.",
        },
        Step::HypervFeature => StepText {
            what: "Makes sure Hyper-V is turned on on this PC.",
            why: "The lab VM runs in Hyper-V, with a virtual TPM so Windows Hello works just as on a real PC.",
            hint: "Turning Hyper-V on needs a restart. The wizard opens on this step again after you restart.",
        },
        Step::LabVm => StepText {
            what: "Creates a Windows 11 VM (generation 2, secure boot, virtual TPM) and starts it at the out-of-box experience (OOBE).",
            why: "A fresh Windows at OOBE is where a new employee starts. A checkpoint taken there lets you run the lab again in seconds.",
            hint: "Choose a Windows 11 ISO when asked. Revert goes back to the OOBE checkpoint.",
        },
        Step::TapPolicy => StepText {
            what: "Turns on the Temporary Access Pass (TAP) authentication method for all users.",
            why: "A TAP is a time-limited passcode an admin issues. It lets a new user sign in without a password and set up Windows Hello.",
            hint: "Apply enables the method. Revert restores the previous policy.",
        },
        Step::TapIssued => StepText {
            what: "Issues a Temporary Access Pass for the lab user.",
            why: "The lab user types this pass at the VM instead of a password. It is shown once, here, and kept nowhere.",
            hint: "Copy the pass or write it down before it hides. Revert deletes it so you can issue a new one.",
        },
        Step::Bootstrap => StepText {
            what: "Signs the lab user in at the VM with the TAP, sets up a Windows Hello PIN, and checks the result.",
            why: "This is the payoff: a device that is Entra joined, Intune enrolled and signed in with Windows Hello for Business, and no password typed at any step.",
            hint: "At the VM: choose work or school account, enter the lab user and the TAP, then create a PIN. The checks below turn green as Windows finishes.",
        },
    }
}
