//! The audit-trail tab: who issued, replaced or revoked what kind of pass to whom and when, from
//! this machine — the trail `tap audit` prints, read when the tab opens and on "Refresh", never
//! holding a code.

use super::{AuditRow, HelpdeskPage, Reply};
use crate::widgets::{Alert, UiExt};
use egui::Ui;

#[derive(Default)]
pub(super) struct AuditState {
    /// Whether a read was asked for since the tab last opened (or "Refresh").
    asked: bool,
    loading: bool,
    rows: Option<Result<Vec<AuditRow>, String>>,
}

impl AuditState {
    /// The tab was left: read the trail again when it opens next.
    pub(super) fn stale(&mut self) {
        self.asked = false;
    }

    pub(super) fn loaded(&mut self, r: Result<Vec<AuditRow>, String>) {
        self.loading = false;
        self.rows = Some(r);
    }
}

fn load(page: &mut HelpdeskPage, ctx: &egui::Context) {
    page.audit.asked = true;
    page.audit.loading = true;
    let work = page.service.audit();
    page.spawn(ctx, work, Reply::Audit);
}

pub(super) fn show(page: &mut HelpdeskPage, ui: &mut Ui) {
    let ctx = ui.ctx().clone();
    if !page.audit.asked {
        load(page, &ctx);
    }
    ui.horizontal(|ui| {
        ui.muted_label("Passes issued, replaced and revoked from this machine, newest first. No pass is kept here.");
        if ui.button("Refresh").clicked() {
            load(page, &ctx);
        }
    });
    if page.audit.loading {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading the audit trail…");
        });
    }
    match &page.audit.rows {
        None => {}
        Some(Err(e)) => Alert::error().show_text(ui, "The audit trail cannot be read", Some(e)),
        Some(Ok(rows)) if rows.is_empty() => {
            ui.label("No passes issued or revoked from this machine yet.");
        }
        Some(Ok(rows)) => {
            ui.label(format!("{} entries", rows.len()));
            egui::ScrollArea::vertical()
                .id_salt("audit trail")
                .max_height(420.0)
                .show(ui, |ui| {
                    for r in rows {
                        ui.label(format!(
                            "{} — {} {} {} — {}",
                            r.time, r.actor, r.action, r.upn, r.detail
                        ));
                    }
                });
        }
    }
}
