//! Step 6's Temporary Access Pass panel: the pass large and readable for a short while, then gone.

use crate::command::{Command, Commands};
use crate::theme::TAP_STYLE;
use crate::widgets::{Alert, UiExt};
use egui::{RichText, TextStyle, Ui};
use hb_lab::Secret;

/// How the pass is shown this frame.
#[derive(Clone, Copy, Debug)]
pub enum TapView<'a> {
    /// Shown for `seconds_left` more seconds; `masked` in presenter mode until revealed.
    Showing {
        code: &'a Secret,
        seconds_left: u32,
        masked: bool,
        /// Seconds until the copied pass leaves the clipboard, after "Copy the pass".
        copied_for: Option<u32>,
    },
    /// It was shown and is hidden now.
    Hidden,
}

/// Renders the TAP panel.
pub fn show(ui: &mut Ui, view: TapView<'_>, cmds: &mut Commands) {
    match view {
        TapView::Showing {
            code,
            seconds_left,
            masked,
            copied_for,
        } => {
            Alert::info().show(ui, |ui| {
                ui.label(RichText::new("Temporary Access Pass").strong());
                let text = if masked {
                    code.masked()
                } else {
                    code.expose().to_string()
                };
                ui.add(
                    egui::Label::new(
                        RichText::new(text).text_style(TextStyle::Name(TAP_STYLE.into())),
                    )
                    .selectable(false),
                );
                ui.label(format!(
                    "Hidden in {seconds_left} s. At the VM, type it where Windows asks for the Temporary Access Pass."
                ));
                ui.horizontal(|ui| {
                    if ui.icon_button(crate::icons::COPY, "Copy the pass").clicked() {
                        cmds.push(Command::CopyTap);
                    }
                    if masked {
                        if ui.button("Reveal the pass").clicked() {
                            cmds.push(Command::RevealSecrets(true));
                        }
                    } else if ui.button("Hide the pass now").clicked() {
                        cmds.push(Command::HideTap);
                    }
                });
                match copied_for {
                    Some(left) => {
                        ui.success_label(format!("Copied — clears in {left} s"));
                    }
                    None => {
                        ui.muted_label(
                            "Copying puts it on the clipboard for 60 seconds, then clears it.",
                        );
                    }
                }
            });
        }
        TapView::Hidden => {
            Alert::info().show_text(
                ui,
                "The pass was shown once and is now hidden.",
                Some("It stays in memory only for step 7's sign-in. To see a new one, revert this step and apply it again."),
            );
        }
    }
}
