//! The rows of a "Reset lab": one per step, last first, each with a verdict icon (its accessible
//! label says "Step 7: …: Failed") and how its revert went in words.

use crate::icons;
use crate::theme::Tokens;
use crate::widgets::UiExt;
use egui::{RichText, Ui};
use hb_lab::session::{ResetState, RevertOutcome, RunningJob};

/// Draws the rows; see [`UiExt::reset_rows`].
pub(super) fn show(
    ui: &mut Ui,
    tokens: &Tokens,
    reset: &ResetState,
    running: Option<&RunningJob>,
    details: bool,
) {
    for row in &reset.rows {
        let (icon, color, word) = match &row.outcome {
            RevertOutcome::Waiting => (icons::PENDING, tokens.muted, "Waiting"),
            RevertOutcome::Reverting => (icons::RUNNING, tokens.info.icon, "Reverting"),
            RevertOutcome::Reverted(_) => (icons::SUCCESS, tokens.success.icon, "Reverted"),
            RevertOutcome::Failed(_) => (icons::ERROR, tokens.error.icon, "Failed"),
            RevertOutcome::Cancelled => (icons::WARNING, tokens.warning.icon, "Cancelled"),
            RevertOutcome::NotRun => (icons::NOT_APPLICABLE, tokens.muted, "Not run"),
        };
        let title = RichText::new(row.step.to_string()).strong();
        ui.horizontal_top(|ui| {
            ui.add(icon.image(tokens.icon_size, color, format!("{}: {word}", row.step)));
            if matches!(
                row.outcome,
                RevertOutcome::Reverting | RevertOutcome::Failed(_)
            ) {
                // Progress, or the reason it failed, on lines of their own under the step.
                ui.vertical(|ui| {
                    ui.label(title);
                    outcome(ui, tokens, &row.outcome, running, details);
                });
            } else {
                ui.label(title);
                outcome(ui, tokens, &row.outcome, running, details);
            }
        });
        ui.add_space(tokens.space_s);
    }
}

fn outcome(
    ui: &mut Ui,
    tokens: &Tokens,
    outcome: &RevertOutcome,
    running: Option<&RunningJob>,
    details: bool,
) {
    match outcome {
        RevertOutcome::Waiting => {
            ui.label(RichText::new("Waiting").color(tokens.muted));
        }
        RevertOutcome::Reverting => match running {
            Some(running) => {
                ui.job_progress(running);
            }
            None => {
                ui.label("Reverting…");
            }
        },
        RevertOutcome::Reverted(detail) if details && !detail.is_empty() => {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("Reverted: {}", super::shown(detail)))
                        .color(tokens.success.icon),
                )
                .truncate(),
            );
        }
        RevertOutcome::Reverted(_) => {
            ui.label(RichText::new("Reverted").color(tokens.success.icon));
        }
        RevertOutcome::Failed(why) => {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("Could not revert: {}", super::shown(why)))
                        .color(tokens.error.icon),
                )
                .wrap(),
            );
        }
        RevertOutcome::Cancelled => {
            ui.label(
                RichText::new("Stopped while reverting: the fresh check shows where it stands")
                    .color(tokens.warning.icon),
            );
        }
        RevertOutcome::NotRun => {
            ui.muted_label("Not reverted: the reset was stopped first");
        }
    }
}
