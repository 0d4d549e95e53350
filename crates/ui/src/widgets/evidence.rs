//! The evidence card of a step page: state before and after, the equivalent Graph request or
//! PowerShell (copyable, secrets masked), the admin center link, validation rows and the VM screen.

use super::UiExt;
use crate::icons;
use egui::{RichText, Ui};
use hb_lab::{Evidence, Secret};

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
    /// The VM screen of host steps, when the host has one.
    pub screen: Option<&'a egui::TextureHandle>,
}

impl EvidenceView<'_> {
    pub fn show(self, ui: &mut Ui) {
        let ev = self.evidence;
        ui.card(|ui| {
            ui.section_title("Evidence");
            if let Some(portal) = &ev.portal {
                ui.horizontal(|ui| {
                    let tokens = ui.tokens();
                    ui.add(icons::LINK.image(tokens.icon_size * 0.8, tokens.info.stroke, ""));
                    ui.hyperlink_to(&portal.label, &portal.url)
                        .on_hover_text(&portal.url);
                });
            }
            if ev.before.is_some() || ev.after.is_some() {
                egui::CollapsingHeader::new("State before and after")
                    .default_open(true)
                    .show(ui, |ui| {
                        let shown: Vec<_> = [("Before", &ev.before), ("After", &ev.after)]
                            .into_iter()
                            .filter_map(|(title, value)| value.as_ref().map(|v| (title, v)))
                            .collect();
                        ui.columns(shown.len(), |cols| {
                            for (ui, (title, value)) in cols.iter_mut().zip(&shown) {
                                ui.label(RichText::new(*title).strong());
                                ui.code_block(
                                    &format!("{} state", title.to_lowercase()),
                                    &self.masked_json(value),
                                );
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
                        ui.code_block(&what, &mask_secrets(&request.to_text(), &self.secrets));
                    }
                });
            }
            if let Some(ps) = &ev.powershell {
                egui::CollapsingHeader::new("Show the PowerShell").show(ui, |ui| {
                    ui.code_block("PowerShell", &mask_secrets(ps, &self.secrets));
                });
            }
            if !ev.rows.is_empty() {
                ui.section_title("Validation");
                ui.validation_rows(&ev.rows);
            }
            if let Some(texture) = self.screen {
                ui.section_title("The VM screen");
                let width = ui.available_width().min(480.0);
                ui.add(
                    egui::Image::from_texture(texture)
                        .max_width(width)
                        .alt_text("The lab VM's screen"),
                );
            }
            if ev.portal.is_none()
                && ev.before.is_none()
                && ev.after.is_none()
                && ev.requests.is_empty()
                && ev.powershell.is_none()
                && ev.rows.is_empty()
                && self.screen.is_none()
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
