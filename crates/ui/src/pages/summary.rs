//! The summary page: every step's result as rows, the lab report export, and the way to reset
//! the lab.

use crate::command::{Command, Commands};
use crate::export::ExportState;
use crate::icons;
use crate::widgets::{Alert, UiExt};
use egui::{RichText, Ui};
use hb_lab::session::LabState;
use hb_lab::{Step, StepStatus};

/// Renders the summary page.
pub fn show(ui: &mut Ui, lab: &LabState, export: Option<&ExportState>, cmds: &mut Commands) {
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
    export_result(ui, export);
    ui.horizontal(|ui| {
        let exporting = export == Some(&ExportState::Running);
        if ui
            .add_enabled(
                !exporting,
                egui::Button::new((
                    icons::EXPORT.image(14.0, ui.visuals().text_color(), ""),
                    "Export report",
                )),
            )
            .on_hover_text(
                "Save an HTML report (and JSON beside it) with each step's result, evidence and screens; no secret goes in it",
            )
            .on_disabled_hover_text("The report is being written")
            .clicked()
        {
            cmds.push(Command::ExportReport(None));
        }
        if exporting {
            ui.add(crate::widgets::Spinner::new());
        }
        if ui
            .add_enabled(
                !lab.busy() && lab.connection == hb_lab::session::Connection::Connected,
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

fn export_result(ui: &mut Ui, export: Option<&ExportState>) {
    match export {
        Some(ExportState::Saved { html, json }) => {
            Alert::success().show_text(
                ui,
                format!("Report saved to {}", html.display()),
                Some(&format!("The JSON copy is at {}.", json.display())),
            );
            ui.add_space(8.0);
        }
        Some(ExportState::Failed(why)) => {
            Alert::error().show_text(ui, "The report was not saved", Some(why));
            ui.add_space(8.0);
        }
        Some(ExportState::Running | ExportState::Cancelled) | None => {}
    }
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text.to_string(),
    }
}
