//! "Reset lab" as the presenter sees it: a question first; then, while it runs, a dialog with one
//! row per step (last first) saying how each revert goes, the running one with its progress, and
//! a way to stop; at the end the Welcome page says how the reset went.
//!
//! A revert that fails turns its row red with the reason and the reset goes on with the next
//! step; the Welcome page then warns that this step could not be reverted, names it with the
//! reason, and says what to do. Stopping cancels the running revert and starts no other. Every
//! step is checked again before the dialog closes, stopped or not.

use crate::command::{Command, Commands};
use crate::widgets::{Alert, AlertText, UiExt};
use egui::Context;
use hb_lab::session::{LabState, ResetPhase, ResetState, RevertOutcome};

/// The question before a reset.
pub fn confirm(ctx: &Context, cmds: &mut Commands) {
    let modal = egui::Modal::new(egui::Id::unique("reset_lab_confirm")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.section_title("Reset the lab?");
        ui.label("This reverts every step, last first: the TAP is deleted, the policies go back to what they were before the lab, and the VM returns to its first-start checkpoint.");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.primary_button("Yes, reset the lab").clicked() {
                cmds.push(Command::ConfirmReset);
            }
            if ui.button("Keep the lab").clicked() {
                cmds.push(Command::KeepLab);
            }
        });
    });
    if modal.should_close() {
        cmds.push(Command::KeepLab);
    }
}

/// The dialog while a reset runs. It cannot be closed, only stopped: nothing else may start
/// beside a reset.
pub fn progress(ctx: &Context, lab: &LabState, cmds: &mut Commands) {
    let Some(reset) = lab.reset.as_ref().filter(|r| r.is_running()) else {
        return;
    };
    // Pinned near the top at a fixed width, so the dialog and its Stop button stay put while
    // the rows below change.
    let id = egui::Id::unique("reset_lab_progress");
    let area = egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, [0.0, 60.0]);
    egui::Modal::new(id).area(area).show(ctx, |ui| {
        ui.set_width(620.0);
        ui.section_title("Resetting the lab");
        let total = reset.rows.len();
        let ended = reset.ended();
        ui.label(headline(reset));
        ui.add(
            egui::ProgressBar::new(ended as f32 / total.max(1) as f32)
                .text(format!("{ended} of {total} reverts done")),
        );
        ui.add_space(8.0);
        let can_stop = reset.phase == ResetPhase::Reverting && !reset.stopped;
        let why = if reset.stopped {
            "Stopping: the revert that runs is being cancelled"
        } else {
            "Every revert has ended; the checks finish on their own"
        };
        if ui
            .add_enabled(can_stop, egui::Button::new("Stop the reset"))
            .on_hover_text("Cancel the revert that runs and revert no further step")
            .on_disabled_hover_text(why)
            .clicked()
        {
            cmds.push(Command::StopReset);
        }
        ui.add_space(8.0);
        let running = reset.current().and_then(|step| lab.step(step).running);
        ui.reset_rows(reset, running.as_ref(), true);
    });
}

/// The line a screen reader announces as the reset moves on.
fn headline(reset: &ResetState) -> String {
    match (reset.phase, reset.current()) {
        (ResetPhase::Reverting, Some(step)) if reset.stopped => {
            format!("Stopping: cancelling the revert of {step}…")
        }
        (ResetPhase::Reverting, Some(step)) => format!(
            "Reverting {step} ({} of {})",
            reset.ended() + 1,
            reset.rows.len()
        ),
        (ResetPhase::Reverting, None) => "Starting the reset…".into(),
        (ResetPhase::Rechecking, _) => "Checking every step again…".into(),
        (ResetPhase::Done, _) => "The reset has finished.".into(),
    }
}

/// How the last reset ended, on the Welcome page, until dismissed.
pub fn result(ui: &mut egui::Ui, reset: &ResetState, cmds: &mut Commands) {
    if reset.is_running() {
        return;
    }
    let failures = reset.failures().count();
    let reverted = reset
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, RevertOutcome::Reverted(_)))
        .count();
    let total = reset.rows.len();
    let alert = if failures > 0 {
        Alert::warning()
    } else if reset.stopped {
        Alert::info()
    } else {
        Alert::success()
    };
    alert.show(ui, |ui| {
        let heading = match (failures, reset.stopped) {
            (0, false) => "The lab was reset".to_string(),
            (0, true) => "The reset was stopped".to_string(),
            (1, _) => "The lab was reset, but 1 step could not be reverted".to_string(),
            (n, _) => format!("The lab was reset, but {n} steps could not be reverted"),
        };
        ui.add(AlertText::strong(&heading));
        ui.reset_rows(reset, None, false);
        let summary = format!(
            "{reverted} of {total} steps were reverted{}, and every step was checked again: the list on the left shows where each stands.",
            if reset.stopped {
                " before the reset was stopped; the others were left as they were"
            } else {
                ""
            }
        );
        ui.add(AlertText::plain(&summary));
        if failures > 0 {
            ui.add(AlertText::plain(
                "Fix the cause the message names, then open that step and press Revert, or remove what is left in the admin portal.",
            ));
        }
        if ui.button("Dismiss").clicked() {
            cmds.push(Command::DismissReset);
        }
    });
    ui.add_space(8.0);
}
