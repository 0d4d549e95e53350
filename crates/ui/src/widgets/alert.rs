//! An alert: an icon and a message in a frame tinted by its kind (success, info, warning, error).

use crate::icons::{self, Icon};
use crate::theme::{Tokens, Tone};
use egui::{Response, RichText, Ui, Widget};

/// The kind of an alert, which picks its icon and colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    Success,
    Info,
    Warning,
    Error,
}

impl AlertKind {
    fn tone(self, tokens: &Tokens) -> Tone {
        match self {
            AlertKind::Success => tokens.success,
            AlertKind::Info => tokens.info,
            AlertKind::Warning => tokens.warning,
            AlertKind::Error => tokens.error,
        }
    }

    fn icon(self) -> Icon {
        match self {
            AlertKind::Success => icons::SUCCESS,
            AlertKind::Info => icons::INFO,
            AlertKind::Warning => icons::WARNING,
            AlertKind::Error => icons::ERROR,
        }
    }

    /// The word a screen reader says before the message.
    fn name(self) -> &'static str {
        match self {
            AlertKind::Success => "Success",
            AlertKind::Info => "Information",
            AlertKind::Warning => "Warning",
            AlertKind::Error => "Error",
        }
    }
}

/// A tinted frame with an icon, for results and inline validation.
#[derive(Clone, Copy, Debug)]
pub struct Alert {
    kind: AlertKind,
}

impl Alert {
    pub fn success() -> Self {
        Alert {
            kind: AlertKind::Success,
        }
    }

    pub fn info() -> Self {
        Alert {
            kind: AlertKind::Info,
        }
    }

    pub fn warning() -> Self {
        Alert {
            kind: AlertKind::Warning,
        }
    }

    pub fn error() -> Self {
        Alert {
            kind: AlertKind::Error,
        }
    }

    pub fn of(kind: AlertKind) -> Self {
        Alert { kind }
    }

    /// Shows any content beside the icon.
    pub fn show<R>(self, ui: &mut Ui, add_contents: impl FnOnce(&mut Ui) -> R) -> R {
        let tokens = Tokens::of(ui.ctx());
        let tone = self.kind.tone(&tokens);
        egui::Frame::new()
            .fill(tone.fill)
            .stroke(egui::Stroke::new(1.0, tone.stroke))
            .corner_radius(tokens.radius)
            .inner_margin(tokens.space_m)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal_top(|ui| {
                    ui.add(
                        self.kind
                            .icon()
                            .image(tokens.icon_size, tone.icon, self.kind.name()),
                    );
                    ui.vertical(|ui| {
                        ui.visuals_mut().override_text_color = Some(tone.text);
                        add_contents(ui)
                    })
                    .inner
                })
                .inner
            })
            .inner
    }

    /// Shows a message in strong text and optional details below it.
    pub fn show_text(self, ui: &mut Ui, message: impl Into<String>, details: Option<&str>) {
        let message = message.into();
        self.show(ui, |ui| {
            ui.add(AlertText::strong(&message));
            if let Some(details) = details.filter(|d| !d.is_empty()) {
                ui.add(AlertText::plain(details));
            }
        });
    }
}

/// Wrapping text inside an alert, readable as one label by screen readers and tests.
pub struct AlertText<'a> {
    text: &'a str,
    strong: bool,
}

impl<'a> AlertText<'a> {
    pub fn strong(text: &'a str) -> Self {
        AlertText { text, strong: true }
    }

    pub fn plain(text: &'a str) -> Self {
        AlertText {
            text,
            strong: false,
        }
    }
}

impl Widget for AlertText<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let shown = super::shown(self.text);
        let text = if self.strong {
            RichText::new(shown).strong()
        } else {
            RichText::new(shown)
        };
        ui.add(egui::Label::new(text).wrap())
    }
}
