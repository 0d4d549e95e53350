//! The CSV tab: pick a file (dialog, or type its path), preview every row with its line number
//! and problem, issue for the good rows with live progress, and read the results.

use super::{BulkRow, HelpdeskPage, PassChoice, PreviewRow, Reply};
use crate::widgets::{Alert, UiExt};
use egui::Ui;
use std::sync::Arc;

#[derive(Default)]
pub(super) struct BulkState {
    path: String,
    bytes: Option<Vec<u8>>,
    preview: Option<Result<Vec<PreviewRow>, String>>,
    choice: PassChoice,
    running: bool,
    pub(super) progress: Option<(usize, usize)>,
    results: Option<Result<Vec<BulkRow>, String>>,
    export_path: String,
    export_passes: bool,
    exported: Option<Result<String, String>>,
}

impl BulkState {
    pub(super) fn done(&mut self, r: Result<Vec<BulkRow>, String>) {
        self.running = false;
        self.results = Some(r);
        self.exported = None;
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes the results as CSV to a new file only its owner may read; the passes only when asked.
fn export(path: &str, rows: &[BulkRow], with_passes: bool) -> Result<String, String> {
    let mut text = String::from("line,upn,status,reason,end");
    text.push_str(if with_passes {
        ",temporary_access_pass\n"
    } else {
        "\n"
    });
    for r in rows {
        let line = r.line.map(|l| l.to_string()).unwrap_or_default();
        text.push_str(&format!(
            "{line},{},{},{},{}",
            field(&r.upn),
            r.status,
            field(r.reason.as_deref().unwrap_or("")),
            r.end.as_deref().unwrap_or("")
        ));
        if with_passes {
            text.push(',');
            text.push_str(&field(r.code.as_ref().map(|c| c.expose()).unwrap_or("")));
        }
        text.push('\n');
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{path} already exists: choose a new file name")
        } else {
            format!("cannot create {path}: {e}")
        }
    })?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| format!("cannot write {path}: {e}"))?;
    Ok(format!("Results written to {path}"))
}

fn load(page: &mut HelpdeskPage) {
    let path = page.bulk.path.trim().to_string();
    page.bulk.results = None;
    match std::fs::read(&path) {
        Ok(bytes) => {
            page.bulk.preview = Some(page.service.preview_csv(&bytes));
            page.bulk.bytes = Some(bytes);
        }
        Err(e) => {
            page.bulk.bytes = None;
            page.bulk.preview = Some(Err(format!(
                "cannot read {path}: {e}. Check the path, or pick the file with Browse."
            )));
        }
    }
}

pub(super) fn show(page: &mut HelpdeskPage, ui: &mut Ui) {
    let ctx = ui.ctx().clone();
    ui.muted_label(
        "A CSV with a header: upn, and optionally lifetime_minutes, usable_once, start (comma or semicolon).",
    );
    let mut open = false;
    ui.horizontal(|ui| {
        let label = ui.label("CSV file");
        let field = ui
            .add(egui::TextEdit::singleline(&mut page.bulk.path).desired_width(360.0))
            .labelled_by(label.id);
        open |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Browse…").clicked()
            && let Some(path) = rfd::FileDialog::new()
                .add_filter("CSV", &["csv", "txt"])
                .pick_file()
        {
            page.bulk.path = path.display().to_string();
            open = true;
        }
        open |= ui.button("Preview").clicked();
    });
    if open {
        load(page);
    }
    match &page.bulk.preview {
        None => return,
        Some(Err(e)) => {
            Alert::error().show_text(ui, "The file cannot be used", Some(e));
            return;
        }
        Some(Ok(rows)) => {
            let bad = rows.iter().filter(|r| r.problem.is_some()).count();
            ui.label(format!(
                "{} rows: {} to issue, {bad} with a problem (they are skipped).",
                rows.len(),
                rows.len() - bad
            ));
            egui::ScrollArea::vertical()
                .id_salt("csv preview")
                .max_height(160.0)
                .show(ui, |ui| {
                    for row in rows {
                        match &row.problem {
                            None => ui.label(format!(
                                "line {}: {}",
                                row.line,
                                crate::widgets::shown_name(&row.upn)
                            )),
                            Some(p) => ui.error_label(format!(
                                "line {}: {}: {p}",
                                row.line,
                                crate::widgets::shown_name(&row.upn)
                            )),
                        };
                    }
                });
        }
    }
    ui.checkbox(&mut page.bulk.choice.usable_once, "One sign-in only");
    ui.checkbox(
        &mut page.bulk.choice.replace,
        "Replace passes users already hold",
    );
    ui.checkbox(
        &mut page.bulk.choice.allow_privileged,
        "Allow privileged users",
    );
    if page.bulk.running {
        let (done, total) = page.bulk.progress.unwrap_or((0, 0));
        let fraction = if total == 0 {
            0.0
        } else {
            done as f32 / total as f32
        };
        ui.add(egui::ProgressBar::new(fraction).text(format!("{done} of {total} users")));
    } else if ui.primary_button("Issue for the good rows").clicked()
        && let Some(bytes) = page.bulk.bytes.clone()
    {
        page.bulk.running = true;
        page.bulk.progress = None;
        let outbox = page.outbox.clone();
        let waker = ctx.clone();
        let progress: super::BulkProgress = Arc::new(move |done, total| {
            let _ = outbox.send(Reply::Progress(done, total));
            waker.request_repaint();
        });
        let work = page.service.issue_csv(bytes, page.bulk.choice, progress);
        page.spawn(&ctx, work, Reply::BulkDone);
    }
    match &page.bulk.results {
        None => {}
        Some(Err(e)) => Alert::error().show_text(ui, "Nothing was issued", Some(e)),
        Some(Ok(rows)) => {
            let issued = rows.iter().filter(|r| r.code.is_some()).count();
            ui.section_title(format!("Results: {issued} of {} issued", rows.len()));
            egui::ScrollArea::vertical()
                .id_salt("bulk results")
                .max_height(240.0)
                .show(ui, |ui| {
                    for r in rows {
                        let place = r.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                        match &r.code {
                            Some(code) => ui.label(format!(
                                "{place}{} — {} — {} until {}",
                                crate::widgets::shown_name(&r.upn),
                                r.status,
                                code.expose(),
                                r.end.as_deref().unwrap_or("its end")
                            )),
                            None => ui.error_label(format!(
                                "{place}{} — {}: {}",
                                crate::widgets::shown_name(&r.upn),
                                r.status,
                                r.reason.as_deref().unwrap_or("")
                            )),
                        };
                    }
                });
            let mut write = false;
            ui.horizontal(|ui| {
                let label = ui.label("Export the results to");
                ui.add(
                    egui::TextEdit::singleline(&mut page.bulk.export_path)
                        .desired_width(300.0)
                        .hint_text("results.csv"),
                )
                .labelled_by(label.id);
                write = ui.button("Export results").clicked();
            });
            ui.checkbox(
                &mut page.bulk.export_passes,
                "Include the passes in the file (readable only by you)",
            );
            if write {
                let path = page.bulk.export_path.trim().to_string();
                page.bulk.exported = Some(if path.is_empty() {
                    Err("Type where the results go, e.g. results.csv".into())
                } else {
                    export(&path, rows, page.bulk.export_passes)
                });
            }
            match &page.bulk.exported {
                Some(Ok(done)) => {
                    ui.success_label(done.clone());
                }
                Some(Err(e)) => {
                    ui.error_label(e.clone());
                }
                None => {}
            }
        }
    }
}
