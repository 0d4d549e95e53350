//! The summary page: every step's result as rows, the lab report export, and the way to reset
//! the lab.

use crate::command::{Command, Commands};
use crate::export::ExportState;
use crate::icons;
use crate::theme::Tokens;
use crate::widgets::{Alert, UiExt};
use egui::{RichText, Ui};
use hb_lab::session::LabState;
use hb_lab::{Step, StepStatus};

/// The space between the summary's columns.
const COLUMN_GAP: f32 = 14.0;

/// What is left of the card's width for each step's result once the status and the step's name
/// are laid out, measured from their texts (at least a readable column).
fn detail_width(ui: &Ui, lab: &LabState) -> f32 {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let width = |text: String| {
        ui.painter()
            .layout_no_wrap(text, font.clone(), egui::Color32::WHITE)
            .size()
            .x
    };
    let status = Step::ALL
        .iter()
        .map(|s| width(lab.status(*s).label().to_string()))
        .fold(0.0, f32::max)
        + Tokens::of(ui.ctx()).icon_size
        + ui.spacing().item_spacing.x;
    // Strong text is the same font in a brighter colour, so it measures the same.
    let name = Step::ALL
        .iter()
        .map(|s| width(s.to_string()))
        .fold(0.0, f32::max);
    (ui.available_width() - status - name - 2.0 * COLUMN_GAP).max(160.0)
}

/// Renders the summary page.
pub fn show(
    ui: &mut Ui,
    lab: &LabState,
    export: Option<&ExportState>,
    export_path: &mut String,
    cmds: &mut Commands,
) {
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
        // The result column gets a width known before the first frame is drawn: a wrapped label
        // in a grid that measures itself would be laid out tall, then short, and a click aimed
        // at "Export report" in between would land elsewhere.
        let detail_width = detail_width(ui, lab);
        egui::Grid::new("summary_rows")
            .striped(true)
            .num_columns(3)
            .spacing(egui::vec2(COLUMN_GAP, 10.0))
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
                    ui.scope(|ui| {
                        ui.set_width(detail_width);
                        ui.add(
                            egui::Label::new(crate::widgets::shown(&summary_line(
                                lab,
                                step,
                                &state.detail,
                            )))
                            .wrap(),
                        );
                    });
                    ui.end_row();
                }
            });
    });
    ui.add_space(8.0);
    export_result(ui, export, export_path, cmds);
    ui.horizontal(|ui| {
        let exporting = export == Some(&ExportState::Running);
        if ui
            .add_enabled(
                !exporting,
                egui::Button::new((
                    icons::EXPORT.image(Tokens::of(ui.ctx()).icon_size * 0.8, ui.visuals().text_color(), ""),
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
                    icons::RESET.image(Tokens::of(ui.ctx()).icon_size * 0.8, ui.visuals().text_color(), ""),
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

fn export_result(
    ui: &mut Ui,
    export: Option<&ExportState>,
    export_path: &mut String,
    cmds: &mut Commands,
) {
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
            save_here(ui, export_path, cmds);
            ui.add_space(8.0);
        }
        Some(ExportState::Cancelled) => {
            Alert::info().show_text(
                ui,
                "No file was chosen",
                Some("The save dialog was closed, or none could open on this desktop. Save the report here instead, or export again."),
            );
            save_here(ui, export_path, cmds);
            ui.add_space(8.0);
        }
        Some(ExportState::Running) | None => {}
    }
}

/// A step's line in the table: the first sentence of what it found, except that step 4's "at
/// OOBE" is history once step 7 has signed the VM in.
fn summary_line(lab: &LabState, step: Step, detail: &str) -> String {
    if step == Step::LabVm
        && lab.status(step) == StepStatus::Applied
        && lab.status(Step::Bootstrap) == StepStatus::Applied
    {
        return "The VM was created at OOBE with a checkpoint there; step 7 then signed it in."
            .into();
    }
    first_sentence(detail)
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text.to_string(),
    }
}

/// A path field (pre-filled with the Documents folder) and "Save here", for when the save
/// dialog gave no file.
fn save_here(ui: &mut Ui, export_path: &mut String, cmds: &mut Commands) {
    if export_path.is_empty() {
        *export_path = crate::export::fallback_path().display().to_string();
    }
    ui.horizontal(|ui| {
        let label = ui.label("Save the report as");
        ui.add(egui::TextEdit::singleline(export_path).desired_width(ui.available_width() - 140.0))
            .labelled_by(label.id);
        let path = export_path.trim();
        if ui
            .add_enabled(!path.is_empty(), egui::Button::new("Save here"))
            .clicked()
        {
            cmds.push(Command::ExportReport(Some(path.into())));
        }
    });
}
