//! The one-user tab: find the user, choose the pass, read the preflight, issue, and see the
//! pass large for [`super::SHOW_SECONDS`] before it is gone.

use super::files::{self, FileJob, FileWork, RowAction, Target};
use super::{FoundUser, HelpdeskPage, IssuedPass, PassChoice, Reply, Verdict};
use crate::theme::TAP_STYLE;
use crate::widgets::{Alert, UiExt};
use egui::{RichText, TextStyle, Ui};

#[derive(Default)]
pub(super) struct SingleState {
    query: String,
    search_id: u64,
    searching: bool,
    /// When the typed text is searched for (app time), once typing pauses.
    search_due: Option<f64>,
    /// The search under way, aborted when a newer one starts.
    search_task: Option<tokio::task::JoinHandle<()>>,
    results: Vec<FoundUser>,
    error: Option<String>,
    selected: Option<FoundUser>,
    choice: PassChoice,
    lifetime_text: String,
    verdict: Option<Result<Verdict, String>>,
    checking: bool,
    issuing: bool,
    /// The pass on screen and when it hides (app time).
    pub(super) shown: Option<(IssuedPass, f64)>,
    pub(super) hidden_note: bool,
    /// Where the handout goes, as typed or picked; and how its dialog or save stands.
    pub(super) handout_path: String,
    pub(super) handout: FileWork,
    /// The dialog chose where: save on the next frame, as "Save handout" would.
    pub(super) save_requested: bool,
}

impl SingleState {
    pub(super) fn found(&mut self, id: u64, r: Result<Vec<FoundUser>, String>) {
        if id != self.search_id {
            return;
        }
        self.searching = false;
        match r {
            Ok(users) => {
                self.results = users;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn checked(&mut self, upn: String, r: Result<Verdict, String>) {
        if self.selected.as_ref().is_some_and(|u| u.upn == upn) {
            self.checking = false;
            self.verdict = Some(r);
        }
    }

    /// A pass arrived: shown until `hide_at` (app time).
    pub(super) fn issued(&mut self, r: Result<IssuedPass, String>, hide_at: f64) {
        self.issuing = false;
        match r {
            Ok(pass) => {
                self.shown = Some((pass, hide_at));
                self.hidden_note = false;
                self.handout = Default::default();
                self.save_requested = false;
                self.verdict = None;
            }
            Err(e) => self.verdict = Some(Ok(Verdict::Refused(e))),
        }
    }
}

fn check(page: &mut HelpdeskPage, ctx: &egui::Context) {
    let Some(user) = page.single.selected.clone() else {
        return;
    };
    page.single.checking = true;
    page.single.verdict = None;
    let work = page.service.preflight(user.upn.clone(), page.single.choice);
    page.spawn(ctx, work, move |r| Reply::Checked(user.upn, r));
}

/// Searches for the typed text now, cancelling the search it supersedes.
fn search(page: &mut HelpdeskPage, ctx: &egui::Context) {
    page.single.search_due = None;
    if let Some(task) = page.single.search_task.take() {
        task.abort();
    }
    let text = page.single.query.trim().to_string();
    page.single.search_id += 1;
    if text.is_empty() {
        page.single.searching = false;
        page.single.results.clear();
        return;
    }
    page.single.searching = true;
    let id = page.single.search_id;
    let work = page.service.search(text);
    page.single.search_task = Some(page.spawn(ctx, work, move |r| Reply::Found(id, r)));
}

pub(super) fn show(page: &mut HelpdeskPage, ui: &mut Ui, now: f64) {
    let ctx = ui.ctx().clone();
    if let Some((_, until)) = &page.single.shown {
        if now >= *until {
            page.single.shown = None;
            page.single.hidden_note = true;
        } else {
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
    }
    if let Some((pass, until)) = &page.single.shown {
        let left = (until - now).ceil().max(0.0) as u32;
        let mut copy = false;
        let mut hide = false;
        let mut action = RowAction::None;
        let name = page
            .single
            .selected
            .as_ref()
            .filter(|u| u.upn.eq_ignore_ascii_case(&pass.upn))
            .map_or(pass.upn.clone(), |u| u.display_name.clone());
        let handout_path = &mut page.single.handout_path;
        let handout = &page.single.handout;
        Alert::info().show(ui, |ui| {
            ui.label(RichText::new(format!(
                    "Temporary Access Pass for {}",
                    crate::widgets::shown_name(&pass.upn.to_string())
                ))
                .strong());
            ui.add(
                egui::Label::new(
                    RichText::new(pass.code.expose()).text_style(TextStyle::Name(TAP_STYLE.into())),
                )
                .selectable(false),
            );
            ui.label(format!(
                "Valid from {} until {}{}.",
                pass.start.as_deref().unwrap_or("now"),
                pass.end.as_deref().unwrap_or("its end"),
                if pass.usable_once { ", one sign-in only" } else { "" }
            ));
            ui.label(format!("Hidden in {left} s"));
            ui.horizontal(|ui| {
                copy = ui.icon_button(crate::icons::COPY, "Copy the pass").clicked();
                hide = ui.button("Hide the pass now").clicked();
            });
            ui.muted_label(
                "Copying puts it on the clipboard for 60 seconds, then clears it. It is shown once and stored nowhere.",
            );
            ui.add_space(4.0);
            action = files::row(
                ui,
                "Save a printable handout as",
                handout_path,
                "handout.html",
                ("Choose where…", "Save handout"),
                handout,
            );
            if *handout == FileWork::Idle {
                ui.muted_label(
                    "The handout (name, pass, valid from and until, where to sign in) is written only if you save it, to a new file only you can read.",
                );
            }
        });
        if std::mem::take(&mut page.single.save_requested) {
            action = RowAction::Act;
        }
        // Built now, while the pass is at hand; run on the runtime below.
        let handout_job =
            FileJob::for_save(action, Target::Handout, &page.single.handout_path, || {
                super::handout::html(pass, &name).into_bytes()
            });
        if copy {
            ctx.copy_text(pass.code.expose().to_string());
            page.clipboard_clear_at = Some(now + super::CLIPBOARD_SECONDS);
        }
        if hide {
            page.single.shown = None;
            page.single.hidden_note = true;
        }
        if let Some(job) = handout_job {
            page.file_job(&ctx, Target::Handout, job);
        }
        return;
    }
    if page.single.hidden_note {
        ui.success_label("The pass was shown and is now hidden; it was kept nowhere.");
    }
    let label = ui.label("Find a user (name or sign-in name)");
    let field = ui
        .add(
            egui::TextEdit::singleline(&mut page.single.query)
                .hint_text("e.g. adele or adele.vance@contoso.com"),
        )
        .labelled_by(label.id);
    let submitted = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if field.changed() {
        // Search as you type: once typing pauses, not on every keystroke.
        page.single.search_due = Some(now + super::SEARCH_DEBOUNCE_SECONDS);
    }
    if ui.button("Search").clicked() || submitted {
        search(page, &ctx);
    } else if let Some(due) = page.single.search_due {
        if now >= due {
            search(page, &ctx);
        } else {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(due - now));
        }
    }
    if page.single.searching {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Searching…");
        });
    }
    if let Some(e) = &page.single.error {
        ui.error_label(e.clone());
    }
    let mut pick = None;
    for user in &page.single.results {
        let text = format!(
            "{} — {}{}{}",
            crate::widgets::shown_name(&user.display_name),
            crate::widgets::shown_name(&user.upn),
            if user.enabled { "" } else { " (disabled)" },
            user.pass
                .as_ref()
                .map(|p| format!(" — holds a pass: {p}"))
                .unwrap_or_default()
        );
        let selected = page
            .single
            .selected
            .as_ref()
            .is_some_and(|s| s.upn == user.upn);
        if ui.selectable_label(selected, text).clicked() {
            pick = Some(user.clone());
        }
    }
    if let Some(user) = pick {
        page.single.selected = Some(user);
        check(page, &ctx);
    }
    let Some(user) = page.single.selected.clone() else {
        return;
    };
    ui.separator();
    ui.section_title(format!("Pass for {}", user.display_name));
    let mut changed = false;
    ui.horizontal(|ui| {
        let label = ui.label("Lifetime in minutes (empty: the policy's default)");
        changed |= ui
            .add(egui::TextEdit::singleline(&mut page.single.lifetime_text).desired_width(80.0))
            .labelled_by(label.id)
            .lost_focus();
    });
    changed |= ui
        .checkbox(&mut page.single.choice.usable_once, "One sign-in only")
        .changed();
    changed |= ui
        .checkbox(
            &mut page.single.choice.allow_privileged,
            "Allow a privileged user",
        )
        .changed();
    let lifetime = page.single.lifetime_text.trim();
    let lifetime_ok = match lifetime {
        "" => {
            page.single.choice.lifetime_minutes = None;
            true
        }
        text => match text.parse::<u32>() {
            Ok(m) => {
                page.single.choice.lifetime_minutes = Some(m);
                true
            }
            Err(_) => {
                ui.error_label(format!(
                    "'{text}' is not a whole number of minutes, e.g. 60"
                ));
                false
            }
        },
    };
    if changed && lifetime_ok {
        check(page, &ctx);
    }
    if page.single.checking {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Checking…");
        });
    }
    let mut ready = false;
    match &page.single.verdict {
        Some(Ok(Verdict::Ready { replaces: None })) => {
            ui.success_label("Ready: nothing stands in the way of a pass.");
            ready = true;
        }
        Some(Ok(Verdict::Ready {
            replaces: Some(current),
        })) => {
            Alert::warning().show_text(
                ui,
                format!("{} already holds a pass ({current}).", user.display_name),
                Some("A new pass replaces it: the current one stops working."),
            );
            if ui
                .checkbox(&mut page.single.choice.replace, "Replace the current pass")
                .changed()
            {
                check(page, &ctx);
            }
            ready = page.single.choice.replace;
        }
        Some(Ok(Verdict::Refused(reason))) => {
            Alert::error().show_text(ui, "No pass can be issued", Some(reason));
        }
        Some(Err(e)) => {
            ui.error_label(e.clone());
        }
        None => {}
    }
    if page.single.issuing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Issuing…");
        });
    } else if ui
        .primary_button_enabled(
            ready && lifetime_ok,
            "Issue the pass",
            "Waiting for the checks",
        )
        .clicked()
    {
        page.single.issuing = true;
        let work = page.service.issue(user.upn.clone(), page.single.choice);
        page.spawn(&ctx, work, Reply::Issued);
    }
}
