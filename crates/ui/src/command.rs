//! What the pages and the shell ask for. Widgets push commands; the app applies them once per
//! frame, so no state changes from deep inside a closure.

use super::pages::Page;
use hb_lab::Step;

/// One request from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Go(Page),
    Next,
    Back,
    /// Start the lab: the demo tenant, or sign in to a real one.
    Connect,
    /// Stop connecting (the Cancel next to "Waiting for the browser…"); the page can start again.
    CancelConnect,
    /// Choose demo or real tenant on the welcome page (before connecting).
    UseDemo(bool),
    Check(Step),
    /// The demo's lab user picked on the Welcome page; steps 6 and 7 are checked again for them.
    ChooseLabUser(hb_lab::Upn),
    Apply(Step),
    Revert(Step),
    Cancel(Step),
    /// Demo only: restart the emulated PC to finish enabling Hyper-V.
    RestartDemoPc(Step),
    /// Start the app again as administrator on this step (a real host's steps need it).
    RestartAsAdmin(Step),
    /// Fetch the VM's screen again.
    RefreshScreen,
    /// Step 7's "Type the UPN": type the lab user's account at the VM's sign-in page.
    TypeUpn,
    /// Step 7's "Type the TAP": type step 6's pass at the VM's pass page.
    TypeTap,
    /// Open a link in the browser; when none opens, the page shows the link to copy.
    OpenLink(String),
    /// Put text (a link) on the clipboard.
    CopyText(String),
    /// Demo step 7: revert to the OOBE checkpoint, then sign in again, to watch it once more.
    ReplaySignIn,
    /// "I did this another way": re-check, and move on only if the check says applied.
    DidItAnotherWay(Step),
    /// Step 6, confirmed: replace the pass this lab did not issue with a new one.
    ReplaceTap,
    CopyTap,
    HideTap,
    /// Show or mask secrets on screen in presenter mode.
    RevealSecrets(bool),
    ToggleTheme,
    ZoomIn,
    ZoomOut,
    TogglePresenter,
    ToggleFullscreen,
    /// Open the "Reset lab" confirmation.
    AskReset,
    /// "Yes, reset the lab": start the queue of reverts.
    ConfirmReset,
    /// "Keep the lab": close the confirmation without resetting.
    KeepLab,
    /// Stop a running reset: cancel the revert that runs, start no other.
    StopReset,
    /// Put away how the last reset ended (the Welcome page's result).
    DismissReset,
    DismissResumed,
    /// Open help-desk mode (signing in for it the first time).
    OpenHelpdesk,
    /// Leave help-desk mode for the lab wizard (the sign-in is kept).
    CloseHelpdesk,
    /// Stop help-desk mode's sign-in (its browser wait or device code).
    CancelHelpdeskSignIn,
    /// Write the lab report: to this path, or (`None`) where a save dialog says.
    ExportReport(Option<std::path::PathBuf>),
}

/// Where pages put their commands for this frame.
pub type Commands = Vec<Command>;
