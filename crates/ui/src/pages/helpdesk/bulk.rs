//! The CSV tab: pick a file (dialog, or type its path), preview every row with its line number
//! and problem, issue for the good rows with live progress, and read the results.

use super::files::{self, FileWork, RowAction, Target};
use super::{BulkRow, HelpdeskPage, PassChoice, PreviewRow, Reply};
use crate::widgets::{Alert, UiExt};
use egui::Ui;
use std::sync::Arc;

/// What a masked pass shows instead of its code.
pub const MASK: &str = "••••••••";

#[derive(Default)]
pub(super) struct BulkState {
    pub(super) path: String,
    /// The CSV's dialog, or why it did not choose.
    pub(super) csv_file: FileWork,
    /// The dialog chose the CSV: read it on the next frame, as "Preview" would.
    pub(super) open_requested: bool,
    bytes: Option<Vec<u8>>,
    preview: Option<Result<Vec<PreviewRow>, String>>,
    choice: PassChoice,
    running: bool,
    pub(super) progress: Option<(usize, usize)>,
    results: Option<Result<Vec<BulkRow>, String>>,
    pub(super) export_path: String,
    export_passes: bool,
    /// The results file's dialog or write.
    pub(super) exported: FileWork,
    /// The dialog chose where: write on the next frame, as "Export results" would.
    pub(super) export_requested: bool,
    /// The rows (by index) whose pass is shown in clear; every other pass is masked.
    revealed: std::collections::HashSet<usize>,
    /// The file read in flight (its number); an older read that answers late is dropped.
    loading: Option<u64>,
    loads: u64,
}

/// What reading a CSV gives: its bytes and their preview, or why the file cannot be read.
pub(crate) type Loaded = Result<(Vec<u8>, Result<Vec<PreviewRow>, String>), String>;

impl BulkState {
    pub(super) fn loaded(&mut self, id: u64, r: Loaded) {
        if self.loading != Some(id) {
            return;
        }
        self.loading = None;
        match r {
            Ok((bytes, preview)) => {
                self.preview = Some(preview);
                self.bytes = Some(bytes);
            }
            Err(e) => {
                self.bytes = None;
                self.preview = Some(Err(e));
            }
        }
    }

    pub(super) fn done(&mut self, r: Result<Vec<BulkRow>, String>) {
        self.running = false;
        self.results = Some(r);
        self.exported = FileWork::Idle;
        self.revealed.clear();
    }

    /// Drops the results and every pass in them ("Dismiss the results").
    fn dismiss(&mut self) {
        self.results = None;
        self.exported = FileWork::Idle;
        self.revealed.clear();
        self.progress = None;
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

/// The results as CSV; the passes only when asked.
fn export(rows: &[BulkRow], with_passes: bool) -> Vec<u8> {
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
    text.into_bytes()
}

/// Reads the file and previews it on the app's runtime: a CSV of thousands of rows, or a path
/// on a slow share, never stalls the window.
fn load(page: &mut HelpdeskPage, ctx: &egui::Context) {
    let path = match files::typed(&page.bulk.path, Target::Csv) {
        Ok(path) => path,
        Err(e) => {
            page.bulk.csv_file = FileWork::Failed(e);
            return;
        }
    };
    page.bulk.csv_file = FileWork::Idle;
    page.bulk.results = None;
    page.bulk.preview = None;
    page.bulk.bytes = None;
    page.bulk.loads += 1;
    let id = page.bulk.loads;
    page.bulk.loading = Some(id);
    let service = page.service.clone();
    let work = Box::pin(async move {
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            format!(
                "cannot read {}: {e}. Check the path, or pick the file with Browse.",
                path.display()
            )
        })?;
        let preview = service.preview_csv(&bytes);
        Ok((bytes, preview))
    });
    page.spawn(ctx, work, move |r| Reply::Loaded(id, r));
}

pub(super) fn show(page: &mut HelpdeskPage, ui: &mut Ui) {
    let ctx = ui.ctx().clone();
    ui.muted_label(
        "A CSV with a header: upn, and optionally lifetime_minutes, usable_once, start (comma or semicolon).",
    );
    let action = files::row(
        ui,
        "CSV file",
        &mut page.bulk.path,
        "users.csv",
        ("Browse…", "Preview"),
        &page.bulk.csv_file,
    );
    if action == RowAction::Browse {
        page.pick(&ctx, Target::Csv);
    }
    let open = action == RowAction::Act || std::mem::take(&mut page.bulk.open_requested);
    if open {
        load(page, &ctx);
    }
    if page.bulk.loading.is_some() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading the file…");
        });
        return;
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
    let mut dismiss = false;
    let mut export_job = None;
    match &page.bulk.results {
        None => {}
        Some(Err(e)) => Alert::error().show_text(ui, "Nothing was issued", Some(e)),
        Some(Ok(rows)) => {
            let issued = rows.iter().filter(|r| r.code.is_some()).count();
            ui.section_title(format!("Results: {issued} of {} issued", rows.len()));
            if issued > 0 {
                ui.muted_label(
                    "Passes are masked: show or copy one at a time. Copying clears the clipboard after 60 seconds; \"Dismiss the results\" forgets every pass.",
                );
            }
            let mut copy = None;
            egui::ScrollArea::vertical()
                .id_salt("bulk results")
                .max_height(240.0)
                .show(ui, |ui| {
                    for (i, r) in rows.iter().enumerate() {
                        let place = r.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                        match &r.code {
                            Some(code) => {
                                ui.horizontal(|ui| {
                                    let shown = page.bulk.revealed.contains(&i);
                                    ui.label(format!(
                                        "{place}{} — {} — {} until {}",
                                        crate::widgets::shown_name(&r.upn),
                                        r.status,
                                        if shown { code.expose() } else { MASK },
                                        r.end.as_deref().unwrap_or("its end")
                                    ));
                                    let (text, name) = if shown {
                                        ("Hide", format!("Hide the pass for {}", r.upn))
                                    } else {
                                        ("Show", format!("Show the pass for {}", r.upn))
                                    };
                                    let toggle = ui.small_button(text);
                                    toggle.widget_info(|| {
                                        egui::WidgetInfo::labeled(egui::Role::Button, true, &name)
                                    });
                                    if toggle.clicked() && !page.bulk.revealed.remove(&i) {
                                        page.bulk.revealed.insert(i);
                                    }
                                    let name = format!("Copy the pass for {}", r.upn);
                                    let copy_button = ui.small_button("Copy");
                                    copy_button.widget_info(|| {
                                        egui::WidgetInfo::labeled(egui::Role::Button, true, &name)
                                    });
                                    if copy_button.clicked() {
                                        copy = Some(code.expose().to_string());
                                    }
                                });
                            }
                            None => {
                                ui.error_label(format!(
                                    "{place}{} — {}: {}",
                                    crate::widgets::shown_name(&r.upn),
                                    r.status,
                                    r.reason.as_deref().unwrap_or("")
                                ));
                            }
                        };
                    }
                });
            if let Some(code) = copy {
                ctx.copy_text(code);
                let now = ui.input(|i| i.time);
                page.clipboard_clear_at = Some(now + super::CLIPBOARD_SECONDS);
            }
            let action = files::row(
                ui,
                "Export the results to",
                &mut page.bulk.export_path,
                "results.csv",
                ("Choose where…", "Export results"),
                &page.bulk.exported,
            );
            ui.checkbox(
                &mut page.bulk.export_passes,
                "Include the passes in the file (readable only by you)",
            );
            let action = if std::mem::take(&mut page.bulk.export_requested) {
                RowAction::Act
            } else {
                action
            };
            export_job =
                files::FileJob::for_save(action, Target::Results, &page.bulk.export_path, || {
                    export(rows, page.bulk.export_passes)
                });
            dismiss = ui.button("Dismiss the results").clicked();
        }
    }
    if let Some(job) = export_job {
        page.file_job(&ctx, Target::Results, job);
    }
    if dismiss {
        page.bulk.dismiss();
    }
}
