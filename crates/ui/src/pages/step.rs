//! The page of one lab step: what and why, the current state, the action, progress, the result
//! and the evidence.

use super::step_text;
use super::tap::{self, TapView};
use crate::command::{Command, Commands};
use crate::widgets::{Alert, EvidenceView, UiExt};
use egui::Ui;
use hb_lab::session::{JobAction, StepState};
use hb_lab::{EvidenceIds, Secret, Step, StepStatus};

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
    /// What the VM screen shows now and what the person does there, under the screen.
    pub caption: Option<String>,
    /// This run's ids, filled into the evidence's requests.
    pub ids: &'a EvidenceIds,
    /// Step 4 on a real host: the Windows 11 ISO path being typed.
    pub iso_path: Option<&'a mut String>,
    /// The app runs without elevation on a real host: offer "Restart as administrator", with
    /// why the last attempt did not happen, if it did not.
    pub restart_as_admin: Option<Option<&'a str>>,
    /// Step 7: "Type the UPN" and "Type the TAP", with what enables them.
    pub typing: Option<super::typing::TypingView>,
    /// The link no browser opened when it was clicked, shown to copy instead.
    pub link_failed: Option<crate::widgets::LinkFailure<'a>>,
}

/// Renders a step page. The page's main action (Apply, "Restart the demo PC") is the footer's
/// primary button; the page holds the rest: Check again, Revert, the VM screen, the checks.
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
    if step == Step::TapIssued && super::tap_replace::offered(state) {
        super::tap_replace::show(ui, state, view.connected, cmds);
        ui.add_space(8.0);
    }
    let pass_showing = matches!(view.tap, Some(TapView::Showing { .. }));
    result(
        ui,
        state,
        &text,
        pass_showing,
        demo_restart(step, state, view.demo),
    );
    if let Some(tap_view) = view.tap {
        ui.add_space(8.0);
        tap::show(ui, tap_view, cmds);
    }
    if let Some(texture) = view.screen.filter(|_| step.is_host_step()) {
        ui.add_space(8.0);
        ui.vm_screen(texture, view.caption.as_deref());
    }
    if let Some(typing) = &view.typing {
        ui.add_space(8.0);
        super::typing::show(ui, typing, cmds);
    }
    // The last checks would speak of the VM before this Apply (enhanced session still on, not
    // joined yet): they come back, fresh, when it ends.
    let applying = state
        .running
        .as_ref()
        .is_some_and(|r| r.action.applies() || r.action == JobAction::Revert);
    if !state.evidence.rows.is_empty() && !applying {
        ui.add_space(8.0);
        ui.section_title("The checks");
        ui.validation_cards(&state.evidence.rows);
    }
    ui.add_space(8.0);
    EvidenceView {
        evidence: &state.evidence,
        secrets: view.secrets,
        ids: view.ids,
        changed_by_us: state
            .last_action
            .is_some_and(|a| a.applies() || a == JobAction::Revert),
        link_failed: view.link_failed,
    }
    .show(ui, cmds);
}

/// The page's secondary actions, or the running job's progress with Cancel.
fn actions(ui: &mut Ui, view: &StepPageView<'_>, cmds: &mut Commands) {
    let step = view.step;
    let state = view.state;
    if let Some(running) = &state.running {
        ui.horizontal(|ui| {
            ui.add(crate::widgets::Spinner::new());
            ui.label(crate::widgets::shown(&running.note()).into_owned());
            if ui.button("Cancel").clicked() {
                cmds.push(Command::Cancel(step));
            }
        });
        if let Some(fraction) = running.fraction {
            ui.add(egui::ProgressBar::new(fraction).show_percentage());
        }
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let enabled = view.connected;
        let reason = "Not connected: start the lab on the Welcome page first.";
        let done = state.status == StepStatus::Applied;
        if ui
            .add_enabled(enabled, egui::Button::new("Check again"))
            .on_hover_text("Read the current state again; changes nothing")
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
        if step == Step::Bootstrap
            && view.demo
            && done
            && ui
                .add_enabled(enabled, egui::Button::new("Replay the sign-in"))
                .on_hover_text(
                    "Go back to the OOBE checkpoint and watch the sign-in again, screen by screen",
                )
                .clicked()
        {
            cmds.push(Command::ReplaySignIn);
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

/// The step's outcome in one alert: a heading that matches what happened and what the step
/// found, then what to do next when anything is left.
fn result(
    ui: &mut Ui,
    state: &StepState,
    text: &step_text::StepText,
    pass_showing: bool,
    instead: Option<&str>,
) {
    if let Some(error) = &state.error {
        let error = &crate::plain_words::for_people(error).text;
        if state.status == StepStatus::Error {
            Alert::error().show_text(ui, "This step failed", Some(error));
        } else {
            Alert::warning().show_text(ui, error.as_str(), None);
        }
        return;
    }
    // While Apply or Revert works, the progress line says what happens; the state found before
    // ("not done yet", and its to-do) would contradict it.
    if let Some(running) = &state.running
        && (state.detail.is_empty()
            || running.action.applies()
            || running.action == JobAction::Revert)
    {
        return;
    }
    let heading = match (state.status, state.last_action) {
        (StepStatus::Applied, Some(action)) if action.applies() && state.changed => {
            "Done: the change is in place"
        }
        (StepStatus::Applied, _) => "Done: already as the lab needs it",
        (StepStatus::NotApplied, Some(JobAction::Revert)) if state.changed => {
            "Reverted: the original setting is back"
        }
        (StepStatus::NotApplied, Some(JobAction::Revert)) => "Nothing to revert",
        (StepStatus::NotApplied, _) => "This step is not done yet",
        (StepStatus::NeedsAction, _) => "This step needs you",
        (StepStatus::NotApplicable, _) => "Not applicable here",
        (StepStatus::Error, _) => "This step failed",
        (StepStatus::Unknown, _) => "Not checked yet",
    };
    let own = instead.map_or_else(
        || without_stale_advice(&state.detail, pass_showing),
        str::to_string,
    );
    let detail = if own.is_empty() {
        None
    } else {
        Some(own.as_str())
    };
    match state.status {
        StepStatus::Applied => Alert::success().show_text(ui, heading, detail),
        StepStatus::NotApplied if state.last_action == Some(JobAction::Revert) => {
            Alert::info().show_text(ui, heading, detail);
        }
        StepStatus::NotApplied => {
            let details = format!("{own} {}", text.todo);
            Alert::warning().show_text(ui, heading, Some(details.trim()));
        }
        // What the step found already says what to do; the page's own checklist is for when
        // it says nothing, so the instructions never come twice.
        StepStatus::NeedsAction => {
            Alert::warning().show_text(ui, heading, Some(detail.unwrap_or(text.needs_you)));
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

/// In the demo, step 3's restart is the footer's "Restart the demo PC", not a restart of this PC
/// and a reopening of the app, which the host's own words ask for.
fn demo_restart(step: Step, state: &StepState, demo: bool) -> Option<&'static str> {
    (demo && step == Step::HypervFeature && state.status == StepStatus::NeedsAction).then_some(
        "Hyper-V is enabled and needs a restart. Press \"Restart the demo PC\" at the bottom right (or PageDown): the emulated PC restarts and the wizard carries on here.",
    )
}

/// The step's own words minus advice that no longer holds: "note it now" once the pass has been
/// hidden.
fn without_stale_advice(detail: &str, pass_showing: bool) -> String {
    if pass_showing {
        return detail.to_string();
    }
    detail
        .split_inclusive(". ")
        .filter(|sentence| !sentence.to_lowercase().contains("note it now"))
        .collect::<String>()
        .trim()
        .to_string()
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
