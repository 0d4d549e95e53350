//! The evidence card of a step page: state before and after, the equivalent Graph request or
//! PowerShell (copyable, secrets masked) and the admin center link. Requests read as a learner
//! would send them: against Graph's public root, with this run's ids, wrapped at path boundaries.

use super::UiExt;
use crate::icons;
use egui::{RichText, Ui};
use hb_lab::{Evidence, EvidenceIds, Secret, pasteable_powershell, wrap_url};

/// Replaces every secret in `text` with its masked form; the one gate text passes before the screen
/// or the clipboard.
pub fn mask_secrets(text: &str, secrets: &[&Secret]) -> String {
    secrets
        .iter()
        .filter(|s| !s.expose().is_empty())
        .fold(text.to_string(), |acc, s| {
            acc.replace(s.expose(), &s.masked())
        })
}

/// What the evidence card shows.
pub struct EvidenceView<'a> {
    pub evidence: &'a Evidence,
    /// Secrets that must never appear in the card (the TAP).
    pub secrets: Vec<&'a Secret>,
    /// This run's ids, for the requests' placeholders.
    pub ids: &'a EvidenceIds,
    /// Whether the shown state comes from an apply or revert; after a mere check there is no
    /// "after", only the state now.
    pub changed_by_us: bool,
    /// The link that no browser opened when it was clicked: shown in full with "Copy link".
    pub link_failed: Option<LinkFailure<'a>>,
}

/// A link no browser opened, and whether it has been copied since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFailure<'a> {
    pub url: &'a str,
    pub copied: bool,
}

/// The button that copies a link no browser opened.
pub const COPY_LINK: &str = "Copy link";

impl EvidenceView<'_> {
    /// Renders the card; a click on the admin-center link asks the app to open it (the app
    /// knows whether a browser did), and "Copy link" copies it.
    pub fn show(self, ui: &mut Ui, cmds: &mut crate::command::Commands) {
        use crate::command::Command;
        let ev = self.evidence;
        ui.card(|ui| {
            ui.section_title("Evidence");
            if let Some(portal) = &ev.portal {
                ui.horizontal(|ui| {
                    let tokens = ui.tokens();
                    ui.add(icons::LINK.image(tokens.icon_size * 0.8, tokens.info.stroke, ""));
                    if ui.link(&portal.label).on_hover_text(&portal.url).clicked() {
                        cmds.push(Command::OpenLink(portal.url.clone()));
                    }
                });
                if let Some(failed) = self.link_failed.filter(|f| f.url == portal.url) {
                    super::Alert::warning().show_text(
                        ui,
                        "No browser opened this link",
                        Some("Copy it and open it in a browser, on this PC or another one:"),
                    );
                    ui.horizontal_wrapped(|ui| {
                        ui.add(
                            egui::Label::new(RichText::new(&portal.url).monospace())
                                .selectable(true),
                        );
                        if ui.button(COPY_LINK).clicked() {
                            cmds.push(Command::CopyText(portal.url.clone()));
                        }
                        if failed.copied {
                            ui.success_label("Copied");
                        }
                    });
                }
            }
            if ev.before.is_some() || ev.after.is_some() {
                let (header, shown): (&str, Vec<_>) = if self.changed_by_us {
                    (
                        "State before and after",
                        [("Before", &ev.before), ("After", &ev.after)]
                            .into_iter()
                            .filter_map(|(title, value)| value.as_ref().map(|v| (title, v)))
                            .collect(),
                    )
                } else {
                    (
                        "State now",
                        ev.after
                            .as_ref()
                            .or(ev.before.as_ref())
                            .map(|v| ("Now", v))
                            .into_iter()
                            .collect(),
                    )
                };
                egui::CollapsingHeader::new(header)
                    .default_open(true)
                    .show(ui, |ui| {
                        ui.columns(shown.len(), |cols| {
                            for (ui, (title, value)) in cols.iter_mut().zip(&shown) {
                                ui.label(RichText::new(*title).strong());
                                let what = match *title {
                                    "Now" => "the state now".to_string(),
                                    other => format!("{} state", other.to_lowercase()),
                                };
                                ui.code_block(&what, &self.masked_json(value));
                            }
                        });
                    });
            }
            if !ev.requests.is_empty() {
                egui::CollapsingHeader::new("Show the Graph request").show(ui, |ui| {
                    for (i, request) in ev.requests.iter().enumerate() {
                        let what = if ev.requests.len() == 1 {
                            "request".to_string()
                        } else {
                            format!("request {}", i + 1)
                        };
                        let copy = mask_secrets(&request.to_learner_text(self.ids), &self.secrets);
                        let width = code_columns(ui);
                        let url = request.learner_url(self.ids);
                        let shown = copy.replacen(
                            &url,
                            &wrap_url(&url, width.saturating_sub(request.method.len() + 1))
                                .join("\n    "),
                            1,
                        );
                        ui.code_block_shown(&what, &copy, &shown);
                    }
                });
            }
            if let Some(ps) = &ev.powershell {
                egui::CollapsingHeader::new("Show the PowerShell").show(ui, |ui| {
                    ui.code_block(
                        "PowerShell",
                        &mask_secrets(&pasteable_powershell(ps), &self.secrets),
                    );
                });
            }
            if ev.portal.is_none()
                && ev.before.is_none()
                && ev.after.is_none()
                && ev.requests.is_empty()
                && ev.powershell.is_none()
            {
                ui.muted_label("No evidence yet: it appears after the first check.");
            }
        });
    }

    fn masked_json(&self, value: &serde_json::Value) -> String {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        mask_secrets(&text, &self.secrets)
    }
}

/// How many monospace characters fit on a line of a code block here.
fn code_columns(ui: &Ui) -> usize {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let glyph = ui.ctx().fonts_mut(|f| f.glyph_width(&font, '0')).max(1.0);
    ((ui.available_width() - 60.0) / glyph).max(20.0) as usize
}
