//! Step 7's "Type the UPN" and "Type the TAP": two user-paced actions, each enabled only while
//! the VM shows the page it types into, so a presenter (or the learner at the VM) decides when
//! the keys go. Each runs as a job of step 7; a disabled button says why beside it, in words a
//! screen reader reads too.

use crate::command::{Command, Commands};
use crate::widgets::UiExt;
use egui::Ui;
use hb_lab::Step;
use hb_lab::session::VmPage;

/// The button that types the lab user's account.
pub const TYPE_UPN: &str = "Type the UPN";
/// The button that types step 6's pass.
pub const TYPE_TAP: &str = "Type the TAP";
/// The way back to step 6 when the pass is no longer in memory.
pub const FRESH_PASS: &str = "Issue a fresh pass on step 6";

/// What the two buttons need to know.
#[derive(Clone, Debug, PartialEq)]
pub struct TypingView {
    pub connected: bool,
    /// A job of step 7 runs (Apply typing by itself, or one of these buttons).
    pub busy: bool,
    /// The page the VM's latest frame shows; `None` without a frame or when the host cannot tell.
    pub page: Option<VmPage>,
    /// Whether step 6's pass is in this app's memory.
    pub tap_held: bool,
}

impl TypingView {
    /// Why "Type the UPN" cannot be pressed now, or `None` when it can.
    pub fn upn_blocked(&self) -> Option<String> {
        self.common_block().or_else(|| match self.page? {
            VmPage::SignIn | VmPage::Unseen { at_oobe: true } => None,
            page => Some(wrong_page(page, VmPage::SignIn)),
        })
    }

    /// Why "Type the TAP" cannot be pressed now, or `None` when it can.
    pub fn tap_blocked(&self) -> Option<String> {
        if !self.tap_held {
            return Some(
                "The pass from step 6 is not in this app's memory any more (it is never saved). Issue a fresh one on step 6, or type it by hand in the VM."
                    .into(),
            );
        }
        self.common_block().or_else(|| match self.page? {
            VmPage::Tap | VmPage::Unseen { at_oobe: true } => None,
            page => Some(wrong_page(page, VmPage::Tap)),
        })
    }

    fn common_block(&self) -> Option<String> {
        if !self.connected {
            return Some("Not connected: start the lab on the Welcome page first.".into());
        }
        if self.busy {
            return Some("Step 7 is busy: wait until its job ends.".into());
        }
        if self.page.is_none() {
            return Some(
                "The wizard cannot tell yet which page the VM shows: apply step 4, then press \"Refresh the VM screen\"."
                    .into(),
            );
        }
        None
    }
}

/// Why a button waits: the page the VM shows is not the page it types into.
fn wrong_page(shown: VmPage, wanted: VmPage) -> String {
    match shown {
        VmPage::Unseen { .. } => format!(
            "The VM is not waiting at its first-start (OOBE) sign-in, as its reporter tells: the keys go only to \"{}\".",
            wanted.title()
        ),
        _ => format!(
            "The VM shows \"{}\", not \"{}\": press it when that page shows.",
            shown.title(),
            wanted.title()
        ),
    }
}

/// Renders the card with the two buttons.
pub fn show(ui: &mut Ui, view: &TypingView, cmds: &mut Commands) {
    ui.card(|ui| {
        ui.section_title("Type at the VM");
        ui.muted_label(
            "Each button types into the VM through Hyper-V's virtual keyboard (US layout) and presses Enter. Press it when the VM shows its page; you set up the PIN in the VM yourself.",
        );
        let upn = view.upn_blocked();
        let tap = view.tap_blocked();
        ui.horizontal_wrapped(|ui| {
            let b = ui
                .add_enabled(upn.is_none(), egui::Button::new(TYPE_UPN))
                .on_hover_text("Types the lab user's account on \"Sign in with your work or school account\"");
            if let Some(why) = &upn {
                b.clone().on_disabled_hover_text(why);
            }
            if b.clicked() {
                cmds.push(Command::TypeUpn);
            }
            let b = ui
                .add_enabled(tap.is_none(), egui::Button::new(TYPE_TAP))
                .on_hover_text("Types the pass from step 6 on \"Enter Temporary Access Pass\"; it is never shown or logged");
            if let Some(why) = &tap {
                b.clone().on_disabled_hover_text(why);
            }
            if b.clicked() {
                cmds.push(Command::TypeTap);
            }
            if !view.tap_held && ui.button(FRESH_PASS).clicked() {
                cmds.push(Command::Go(super::Page::Step(Step::TapIssued)));
            }
        });
        if matches!(view.page, Some(VmPage::PinSetup | VmPage::Desktop)) {
            // Past both pages: one plain line, not two refusals.
            ui.muted_label("The lab user is signed in: nothing is left to type.");
            return;
        }
        for (button, why) in [(TYPE_UPN, &upn), (TYPE_TAP, &tap)] {
            if let Some(why) = why {
                ui.muted_label(format!("{button}: {why}"));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(page: Option<VmPage>) -> TypingView {
        TypingView {
            connected: true,
            busy: false,
            page,
            tap_held: true,
        }
    }

    #[test]
    fn each_button_waits_for_its_own_page() {
        let sign_in = view(Some(VmPage::SignIn));
        assert_eq!(sign_in.upn_blocked(), None);
        assert!(
            sign_in
                .tap_blocked()
                .unwrap()
                .contains("Enter Temporary Access Pass")
        );
        let tap = view(Some(VmPage::Tap));
        assert_eq!(tap.tap_blocked(), None);
        assert!(
            tap.upn_blocked()
                .unwrap()
                .contains("Sign in with your work or school account")
        );
        let pin = view(Some(VmPage::PinSetup));
        assert!(pin.upn_blocked().unwrap().contains("Set up a PIN"));
        assert!(pin.tap_blocked().is_some());
    }

    #[test]
    fn a_host_that_cannot_read_pages_allows_both_at_oobe_only() {
        let at_oobe = view(Some(VmPage::Unseen { at_oobe: true }));
        assert_eq!((at_oobe.upn_blocked(), at_oobe.tap_blocked()), (None, None));
        let past = view(Some(VmPage::Unseen { at_oobe: false }));
        assert!(past.upn_blocked().unwrap().contains("reporter"));
    }

    #[test]
    fn a_lost_pass_a_busy_step_and_no_screen_each_say_why() {
        let mut v = view(Some(VmPage::Tap));
        v.tap_held = false;
        assert!(v.tap_blocked().unwrap().contains("step 6"));
        let mut v = view(Some(VmPage::SignIn));
        v.busy = true;
        assert!(v.upn_blocked().unwrap().contains("busy"));
        assert!(view(None).upn_blocked().unwrap().contains("apply step 4"));
    }
}
