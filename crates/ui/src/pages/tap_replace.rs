//! Step 6 when the lab user already holds a Temporary Access Pass this lab did not issue: its
//! code cannot be shown, so the page explains that and offers to replace it, asking once more
//! before doing so, because replacing stops the old pass from working for whoever holds it.

use crate::command::{Command, Commands};
use crate::widgets::{Alert, UiExt};
use egui::Ui;
use hb_lab::TAP_NOT_OURS_ROW;
use hb_lab::session::StepState;

/// Whether step 6's last report found a pass someone else issued.
pub fn offered(state: &StepState) -> bool {
    state.running.is_none() && state.evidence.rows.iter().any(|r| r.id == TAP_NOT_OURS_ROW)
}

/// The explanation and the two-stage "Replace the existing pass" control.
pub fn show(ui: &mut Ui, state: &StepState, connected: bool, cmds: &mut Commands) {
    if !offered(state) {
        return;
    }
    let confirming_id = egui::Id::unique("tap_replace_confirming");
    let confirming = ui.data(|d| d.get_temp::<bool>(confirming_id).unwrap_or(false));
    Alert::warning().show_text(
        ui,
        "The lab user already has a pass this lab did not issue",
        Some(
            "Its code cannot be shown here, so it cannot be typed at the VM. Replacing it issues a new pass, shown here once. Whoever holds the old pass can no longer sign in with it.",
        ),
    );
    if !confirming {
        if ui
            .add_enabled(connected, egui::Button::new("Replace the existing pass…"))
            .on_hover_text("Asks once more before anything changes")
            .on_disabled_hover_text("Not connected: start the lab on the Welcome page first.")
            .clicked()
        {
            ui.data_mut(|d| d.insert_temp(confirming_id, true));
        }
        return;
    }
    ui.card(|ui| {
        ui.label("Replace the lab user's pass? The old pass stops working at once.");
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(connected, egui::Button::new("Yes, replace the pass"))
                .clicked()
            {
                cmds.push(Command::ReplaceTap);
                ui.data_mut(|d| d.insert_temp(confirming_id, false));
            }
            if ui.button("Keep the existing pass").clicked() {
                ui.data_mut(|d| d.insert_temp(confirming_id, false));
            }
        });
    });
}
