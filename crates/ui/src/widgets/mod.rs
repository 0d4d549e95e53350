//! The house vocabulary: every control and message the pages use, implemented once on `egui::Ui`.

mod alert;
mod evidence;
mod reset_rows;
mod spinner;

pub use alert::{Alert, AlertKind, AlertText};
pub use evidence::{COPY_LINK, EvidenceView, LinkFailure, mask_secrets};
pub use spinner::Spinner;

use crate::icons::{self, Icon};
use crate::theme::{TITLE_STYLE, Tokens};
use egui::{Button, Color32, Response, RichText, TextStyle, Ui};
use hb_lab::session::{ResetState, RunningJob};
use hb_lab::{Step, StepStatus, ValidationRow, ValidationState};

/// The longest a name from outside (tenant, account, UPN, VM, CSV cell) is shown before it is cut
/// with its length: a 10 kB display name must not push the page off the screen.
pub const NAME_MAX_CHARS: usize = 200;

/// A message that may carry text from outside (a Graph error, a CSV cell, a VM name) as it may be
/// shown: control, bidi and zero-width characters escaped as `\u{…}` (see [`hb_lab::escape`]),
/// so a right-to-left override cannot reverse what the reader sees and a NUL or an escape
/// sequence cannot hide text; our own line breaks stay. Every label helper of [`UiExt`] shows its
/// text through this, and pages call it for what they render themselves.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    hb_lab::escape::for_display_lines(text)
}

/// A single name from outside as it may be shown: [`shown`] on one line (a newline in a name is
/// escaped too), cut to [`NAME_MAX_CHARS`] with its length.
pub fn shown_name(text: &str) -> String {
    hb_lab::escape::for_display_short(text, NAME_MAX_CHARS)
}

/// The icon, colour and words of a step status.
pub fn status_look(status: StepStatus, tokens: &Tokens) -> (Icon, Color32) {
    match status {
        StepStatus::Applied => (icons::SUCCESS, tokens.success.icon),
        StepStatus::NotApplied => (icons::PENDING, tokens.muted),
        StepStatus::Unknown => (icons::PENDING, tokens.muted),
        StepStatus::Error => (icons::ERROR, tokens.error.icon),
        StepStatus::NeedsAction => (icons::NEEDS_ACTION, tokens.warning.icon),
        StepStatus::NotApplicable => (icons::NOT_APPLICABLE, tokens.muted),
    }
}

/// House widgets on `egui::Ui`, so pages say what they show rather than how it looks.
pub trait UiExt {
    fn ui(&mut self) -> &mut Ui;

    /// The design tokens in effect.
    fn tokens(&mut self) -> Tokens {
        Tokens::of(self.ui().ctx())
    }

    /// Red text with an error icon, e.g. under a field that has bad input.
    fn error_label(&mut self, text: impl Into<String>) -> Response {
        let tokens = self.tokens();
        icon_label(
            self.ui(),
            icons::ERROR,
            tokens.error.icon,
            "Error",
            shown(&text.into()).into_owned(),
        )
    }

    /// Green text with a check icon.
    fn success_label(&mut self, text: impl Into<String>) -> Response {
        let tokens = self.tokens();
        icon_label(
            self.ui(),
            icons::SUCCESS,
            tokens.success.icon,
            "Success",
            shown(&text.into()).into_owned(),
        )
    }

    /// Secondary text (hints, explanations).
    fn muted_label(&mut self, text: impl Into<String>) -> Response {
        let muted = self.tokens().muted;
        self.ui()
            .add(egui::Label::new(RichText::new(shown(&text.into())).color(muted)).wrap())
    }

    /// A page title.
    fn page_title(&mut self, text: impl Into<String>) -> Response {
        self.ui().label(
            RichText::new(shown(&text.into()))
                .text_style(TextStyle::Name(TITLE_STYLE.into()))
                .strong(),
        )
    }

    /// A section heading inside a page.
    fn section_title(&mut self, text: impl Into<String>) -> Response {
        let ui = self.ui();
        ui.add_space(4.0);
        ui.label(RichText::new(shown(&text.into())).heading().strong())
    }

    /// The main action of a page: accent fill, white text.
    fn primary_button(&mut self, text: impl Into<String>) -> Response {
        let tokens = self.tokens();
        let text = text.into();
        self.ui().add(
            Button::new(RichText::new(text).color(tokens.on_accent).strong())
                .fill(tokens.accent)
                .min_size(egui::vec2(96.0, 0.0)),
        )
    }

    /// A primary button that may be disabled, with the reason shown on hover.
    fn primary_button_enabled(
        &mut self,
        enabled: bool,
        text: impl Into<String>,
        disabled_reason: &str,
    ) -> Response {
        let tokens = self.tokens();
        let text = text.into();
        // Disabled, it takes a plain button's look: white on a faded accent could not be read
        // on the light theme's pale fill ("Applying…" while step 7 works).
        let button = if enabled {
            Button::new(RichText::new(text).color(tokens.on_accent).strong()).fill(tokens.accent)
        } else {
            Button::new(RichText::new(text).strong())
        }
        .min_size(egui::vec2(96.0, 0.0));
        self.ui()
            .add_enabled(enabled, button)
            .on_disabled_hover_text(disabled_reason)
    }

    /// A button with one of our icons before its text.
    fn icon_button(&mut self, icon: Icon, text: impl Into<String>) -> Response {
        let tokens = self.tokens();
        let color = self.ui().visuals().text_color();
        let image = icon.image(tokens.icon_size * 0.8, color, "");
        self.ui().add(Button::new((image, text.into())))
    }

    /// A status icon with its words, e.g. in the step list and summary.
    fn status_icon(&mut self, status: StepStatus) -> Response {
        let tokens = self.tokens();
        let (icon, color) = status_look(status, &tokens);
        self.ui()
            .add(icon.image(tokens.icon_size, color, status.label()))
    }

    /// The header of a step page: number, title and the current status.
    fn step_header(&mut self, step: Step, status: StepStatus) {
        let tokens = self.tokens();
        let ui = self.ui();
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("Step {} of {}", step.number(), Step::ALL.len()))
                    .color(tokens.muted),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let (icon, color) = status_look(status, &tokens);
                ui.label(RichText::new(status.label()).color(color).strong());
                ui.add(icon.image(tokens.icon_size, color, ""));
            });
        });
        ui.page_title(step.title());
    }

    /// A card: a framed block grouping related content.
    fn card<R>(&mut self, add_contents: impl FnOnce(&mut Ui) -> R) -> R {
        let tokens = self.tokens();
        egui::Frame::new()
            .fill(tokens.card_fill)
            .stroke(egui::Stroke::new(1.0, tokens.card_stroke))
            .corner_radius(tokens.radius)
            .inner_margin(tokens.space_l)
            .show(self.ui(), |ui| {
                ui.set_width(ui.available_width());
                add_contents(ui)
            })
            .inner
    }

    /// The DEMO badge in the top bar.
    fn badge(&mut self, text: &str) -> Response {
        let tokens = self.tokens();
        egui::Frame::new()
            .fill(tokens.badge_fill)
            .corner_radius(egui::CornerRadius::same(4))
            .inner_margin(egui::Margin::symmetric(8, 2))
            .show(self.ui(), |ui| {
                ui.label(
                    RichText::new(shown_name(text))
                        .color(tokens.badge_text)
                        .strong()
                        .small(),
                )
            })
            .inner
    }

    /// Monospace text in a framed block with a "Copy <what>" button. `text` must already be masked.
    fn code_block(&mut self, what: &str, text: &str) {
        self.code_block_shown(what, text, text);
    }

    /// A code block that shows `shown` (e.g. with a long URL broken at path boundaries) and
    /// copies `text`, the same thing in one piece. Both must already be masked.
    fn code_block_shown(&mut self, what: &str, text: &str, shown: &str) {
        let tokens = self.tokens();
        let ui = self.ui();
        egui::Frame::new()
            .fill(tokens.code_fill)
            .corner_radius(tokens.radius)
            .inner_margin(tokens.space_m)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                    if ui
                        .icon_button(icons::COPY, format!("Copy {what}"))
                        .clicked()
                    {
                        ui.ctx().copy_text(text.to_string());
                    }
                });
                ui.horizontal_top(|ui| {
                    ui.add(egui::Label::new(RichText::new(self::shown(shown)).monospace()).wrap());
                });
            });
    }

    /// The lab VM's screen, as large as the page allows (never wider than the page, never
    /// taller than about half the window), with a caption beneath saying what it shows.
    fn vm_screen(&mut self, texture: &egui::TextureHandle, caption: Option<&str>) {
        let tokens = self.tokens();
        let ui = self.ui();
        ui.card(|ui| {
            ui.section_title("The VM screen");
            let size = texture.size_vec2();
            let max_height = (ui.ctx().content_rect().height() * 0.55).max(200.0);
            let scale = (ui.available_width() / size.x).min(max_height / size.y);
            ui.vertical_centered(|ui| {
                ui.add(
                    egui::Image::from_texture(texture)
                        .fit_to_exact_size(size * scale)
                        .alt_text("The lab VM's screen"),
                );
                if let Some(caption) = caption {
                    ui.add_space(tokens.space_s);
                    ui.label(RichText::new(shown(caption)).strong());
                }
            });
        });
    }

    /// The results of a validation list: one card per check, the verdict icon and what was
    /// checked on one line, what was found at the full width beneath, and what to do when it
    /// failed or still waits.
    fn validation_cards(&mut self, rows: &[ValidationRow]) {
        let tokens = self.tokens();
        let ui = self.ui();
        for row in rows {
            let (icon, color, word, tone) = match row.state {
                ValidationState::Passed => (
                    icons::SUCCESS,
                    tokens.success.icon,
                    "Passed",
                    tokens.success,
                ),
                ValidationState::Failed => {
                    (icons::ERROR, tokens.error.icon, "Failed", tokens.error)
                }
                ValidationState::Waiting => (icons::PENDING, tokens.muted, "Waiting", tokens.info),
                ValidationState::CouldNotCheck => (
                    icons::WARNING,
                    tokens.warning.icon,
                    "Could not check",
                    tokens.warning,
                ),
            };
            egui::Frame::new()
                .fill(tokens.card_fill)
                .stroke(egui::Stroke::new(1.0, tone.stroke))
                .corner_radius(tokens.radius)
                .inner_margin(tokens.space_m)
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.add(icon.image(
                            tokens.icon_size,
                            color,
                            format!("{}: {word}", shown(&row.label)),
                        ));
                        ui.add(egui::Label::new(RichText::new(shown(&row.label)).strong()).wrap());
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            ui.label(RichText::new(word).color(color).strong());
                        });
                    });
                    ui.add(egui::Label::new(shown(&row.detail)).wrap());
                    if let Some(fix) = row
                        .fix
                        .as_ref()
                        .filter(|_| row.state != ValidationState::Passed)
                    {
                        let what = if matches!(
                            row.state,
                            ValidationState::Failed | ValidationState::CouldNotCheck
                        ) {
                            "What to do"
                        } else {
                            "Meanwhile"
                        };
                        ui.add(
                            egui::Label::new(
                                RichText::new(format!("{what}: {}", shown(fix))).color(tone.text),
                            )
                            .wrap(),
                        );
                    }
                });
            ui.add_space(tokens.space_s);
        }
    }
    /// A running job's progress: a spinner and the note in words (what a screen reader reads),
    /// then a bar when the job can tell how far it is.
    fn job_progress(&mut self, running: &RunningJob) -> Response {
        let ui = self.ui();
        let response = ui
            .horizontal_wrapped(|ui| {
                ui.add(Spinner::new());
                ui.label(shown(&running.note()).into_owned())
            })
            .inner;
        if let Some(fraction) = running.fraction {
            ui.add(egui::ProgressBar::new(fraction).show_percentage());
        }
        response
    }

    /// One row per step of a "Reset lab", in the order they are reverted: a verdict icon, then
    /// the step and how its revert went in words. `running` is the job of the step being
    /// reverted; `details` adds each finished revert's own words on one line.
    fn reset_rows(&mut self, reset: &ResetState, running: Option<&RunningJob>, details: bool) {
        let tokens = self.tokens();
        reset_rows::show(self.ui(), &tokens, reset, running, details);
    }
}

impl UiExt for Ui {
    fn ui(&mut self) -> &mut Ui {
        self
    }
}

fn icon_label(ui: &mut Ui, icon: Icon, color: Color32, alt: &str, text: String) -> Response {
    let size = Tokens::of(ui.ctx()).icon_size;
    ui.horizontal_wrapped(|ui| {
        ui.add(icon.image(size, color, alt));
        ui.label(RichText::new(text).color(color))
    })
    .inner
}
