//! The page of one lab step: what and why, the current state, the action, progress, the result
//! and the evidence.

use super::step_text;
use super::tap::{self, TapView};
use crate::command::{Command, Commands};
use crate::widgets::{Alert, EvidenceView, UiExt};
use egui::Ui;
use hb_lab::session::{JobAction, StepState};
use hb_lab::{Secret, Step, StepStatus};

/// What a step page needs to render.
pub struct StepPageView<'a> {
    pub step: Step,
    pub state: &'a StepState,
    /// Whether the lab is connected (actions need it).
    pub connected: bool,
    /// Whether this is the demo (the demo PC can be restarted from here).
    pub demo: bool,
    /// Step 6's pass panel, when a pass was issued in this session.
    pub tap: Option<TapView<'a>>,
    /// Secrets to mask in evidence.
    pub secrets: Vec<&'a Secret>,
    /// The VM screen (host steps), when there is one.
    pub screen: Option<&'a egui::TextureHandle>,
    /// Step 4 on a real host: the Windows 11 ISO path being typed.
    pub iso_path: Option<&'a mut String>,
    /// The app runs without elevation on a real host: offer "Restart as administrator", with
    /// why the last attempt did not happen, if it did not.
    pub restart_as_admin: Option<Option<&'a str>>,
}

/// Renders a step page.
pub fn show(ui: &mut Ui, mut view: StepPageView<'_>, cmds: &mut Commands) {
    let step = view.step;
    let state = view.state;
    let text = step_text::text(step);
    ui.step_header(step, state.status);
    ui.add_space(4.0);
    ui.card(|ui| {
        ui.label(text.what);
        ui.muted_label(format!("Why: {}", text.why));
    });
    if let Some(iso) = view.iso_path.as_deref_mut() {
        ui.add_space(8.0);
        iso_field(ui, iso);
    }
    ui.add_space(8.0);
    if let Some(last_error) = view.restart_as_admin.filter(|_| step.is_host_step()) {
        restart_as_admin(ui, step, last_error, cmds);
        ui.add_space(8.0);
    }
    actions(ui, &view, cmds);
    ui.add_space(8.0);
    result(ui, state, text.hint);
    if let Some(tap_view) = view.tap {
        ui.add_space(8.0);
        tap::show(ui, tap_view, cmds);
    }
    ui.add_space(8.0);
    EvidenceView {
        evidence: &state.evidence,
        secrets: view.secrets,
        screen: view.screen,
    }
    .show(ui);
}

fn actions(ui: &mut Ui, view: &StepPageView<'_>, cmds: &mut Commands) {
    let step = view.step;
    let state = view.state;
    if let Some(running) = &state.running {
        ui.horizontal(|ui| {
            ui.spinner();
            let note = running
                .progress
                .as_deref()
                .map(|p| format!("{}… {p}", running.action.running_text()))
                .unwrap_or_else(|| format!("{}…", running.action.running_text()));
            ui.label(note);
            if ui.button("Cancel").clicked() {
                cmds.push(Command::Cancel(step));
            }
        });
        if let Some(fraction) = running.fraction {
            ui.add(egui::ProgressBar::new(fraction).show_percentage());
        }
        return;
    }
    ui.horizontal(|ui| {
        let enabled = view.connected;
        let reason = "Not connected: start the lab on the Welcome page first.";
        let done = state.status == StepStatus::Applied;
        let na = state.status == StepStatus::NotApplicable;
        let restart =
            view.demo && step == Step::HypervFeature && state.status == StepStatus::NeedsAction;
        if restart {
            if ui
                .primary_button_enabled(enabled, "Restart the demo PC", reason)
                .on_hover_text("The emulated PC restarts in seconds and the step finishes")
                .clicked()
            {
                cmds.push(Command::RestartDemoPc(step));
            }
        } else if !done
            && !na
            && ui
                .primary_button_enabled(enabled, "Apply", reason)
                .clicked()
        {
            cmds.push(Command::Apply(step));
        }
        if ui
            .add_enabled(enabled, egui::Button::new("Check again"))
            .on_disabled_hover_text(reason)
            .clicked()
        {
            cmds.push(Command::Check(step));
        }
        if step.is_host_step()
            && step != Step::HypervFeature
            && view.screen.is_some()
            && ui
                .add_enabled(enabled, egui::Button::new("Refresh the VM screen"))
                .clicked()
        {
            cmds.push(Command::RefreshScreen);
        }
        if (done || state.changed)
            && ui
                .add_enabled(enabled, egui::Button::new("Revert"))
                .on_hover_text("Put back what was there before the lab changed it")
                .on_disabled_hover_text(reason)
                .clicked()
        {
            cmds.push(Command::Revert(step));
        }
    });
}

/// Host steps change Windows itself and need an administrator's token, which this copy of the
/// app does not hold.
fn restart_as_admin(ui: &mut Ui, step: Step, last_error: Option<&str>, cmds: &mut Commands) {
    let detail = "Hyper-V and the lab VM need an elevated app. Windows asks you to confirm, \
                  then the wizard reopens on this step; what you did so far is kept.";
    Alert::warning().show_text(ui, "This step needs administrator rights", Some(detail));
    if ui
        .button("Restart as administrator")
        .on_hover_text("Windows shows its User Account Control prompt")
        .clicked()
    {
        cmds.push(Command::RestartAsAdmin(step));
    }
    if let Some(error) = last_error {
        Alert::error().show_text(ui, "The wizard did not restart", Some(error));
    }
}

fn result(ui: &mut Ui, state: &StepState, hint: &str) {
    if let Some(error) = &state.error {
        if state.status == StepStatus::Error {
            Alert::error().show_text(ui, "This step failed", Some(error));
        } else {
            Alert::warning().show_text(ui, error.as_str(), None);
        }
        return;
    }
    if state.running.is_some() && state.detail.is_empty() {
        return;
    }
    let heading = match (state.status, state.last_action) {
        (StepStatus::Applied, Some(JobAction::Apply)) if state.changed => {
            "Done: the change is in place"
        }
        (StepStatus::Applied, _) => "Done: already as the lab needs it",
        (StepStatus::NotApplied, Some(JobAction::Revert)) => {
            "Reverted: the original setting is back"
        }
        (StepStatus::NotApplied, _) => "This step is not done yet",
        (StepStatus::NeedsAction, _) => "This step needs you",
        (StepStatus::NotApplicable, _) => "Not applicable here",
        (StepStatus::Error, _) => "This step failed",
        (StepStatus::Unknown, _) => "Not checked yet",
    };
    let detail = if state.detail.is_empty() {
        None
    } else {
        Some(state.detail.as_str())
    };
    match state.status {
        StepStatus::Applied => Alert::success().show_text(ui, heading, detail),
        StepStatus::NotApplied => {
            let details = format!("{} {hint}", state.detail);
            Alert::warning().show_text(ui, heading, Some(details.trim()));
        }
        StepStatus::NeedsAction => {
            let details = format!("{} {hint}", state.detail);
            Alert::warning().show_text(ui, heading, Some(details.trim()));
        }
        StepStatus::Error => Alert::error().show_text(ui, heading, detail),
        StepStatus::NotApplicable | StepStatus::Unknown => Alert::info().show_text(
            ui,
            heading,
            Some(
                detail.unwrap_or("Connect on the Welcome page; the wizard checks every step then."),
            ),
        ),
    }
}

/// Step 4 on a real host: where the Windows 11 ISO is. The gallery image was retired in 2024, so
/// the person downloads the evaluation ISO first; the step checks the file when it runs.
fn iso_field(ui: &mut Ui, iso: &mut String) {
    ui.card(|ui| {
        let label = ui.label("Windows 11 ISO file");
        ui.add(
            egui::TextEdit::singleline(iso)
                .hint_text(r"C:\ISO\Win11_Enterprise_Eval.iso")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.muted_label(
            "Download the Windows 11 Enterprise evaluation ISO from the Microsoft Evaluation Center, then paste its full path here.",
        );
    });
}
