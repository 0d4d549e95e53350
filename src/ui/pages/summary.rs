//! The summary page: every step's result as rows, and the way to reset the lab.

use crate::lab::session::LabState;
use crate::lab::{Step, StepStatus};
use crate::ui::command::{Command, Commands};
use crate::ui::icons;
use crate::ui::widgets::{Alert, UiExt};
use egui::{RichText, Ui};

/// Renders the summary page.
pub fn show(ui: &mut Ui, lab: &LabState, cmds: &mut Commands) {
    ui.page_title("Summary");
    let done = Step::ALL
        .iter()
        .filter(|s| lab.status(**s) == StepStatus::Applied)
        .count();
    let skipped = Step::ALL
        .iter()
        .filter(|s| lab.status(**s) == StepStatus::NotApplicable)
        .count();
    if done == Step::ALL.len() {
        Alert::success().show_text(
            ui,
            "The lab is complete",
            Some("The VM is Entra joined, Intune enrolled and signed in with Windows Hello for Business, bootstrapped by a Temporary Access Pass."),
        );
    } else if done + skipped == Step::ALL.len() {
        Alert::info().show_text(
            ui,
            format!("{done} of {} steps done; the others do not apply here", Step::ALL.len()),
            Some("Steps marked \"Not applicable\" need a Hyper-V host (Windows 11 Pro or Enterprise) or demo mode."),
        );
    } else {
        Alert::warning().show_text(
            ui,
            format!("{done} of {} steps done", Step::ALL.len()),
            Some("Open a step from the list to finish it."),
        );
    }
    ui.add_space(8.0);
    ui.card(|ui| {
        egui::Grid::new("summary_rows")
            .striped(true)
            .num_columns(3)
            .spacing(egui::vec2(14.0, 10.0))
            .show(ui, |ui| {
                for step in Step::ALL {
                    let state = lab.step(step);
                    ui.horizontal(|ui| {
                        ui.status_icon(state.status);
                        ui.label(state.status.label());
                    });
                    if ui
                        .link(RichText::new(step.to_string()).strong())
                        .on_hover_text("Open this step")
                        .clicked()
                    {
                        cmds.push(Command::Go(super::Page::Step(step)));
                    }
                    ui.add(egui::Label::new(first_sentence(&state.detail)).truncate());
                    ui.end_row();
                }
            });
    });
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !lab.busy() && lab.connection == crate::lab::session::Connection::Connected,
                egui::Button::new((
                    icons::RESET.image(14.0, ui.visuals().text_color(), ""),
                    "Reset lab",
                )),
            )
            .on_hover_text("Revert every step, last first, so the lab can run again")
            .on_disabled_hover_text("Wait until the running steps finish (and connect first)")
            .clicked()
        {
            cmds.push(Command::AskReset);
        }
    });
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text.to_string(),
    }
}
