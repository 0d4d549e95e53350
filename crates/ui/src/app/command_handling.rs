//! Applies the commands pages, dialogs and keys pushed during the frame, once, at the end of
//! `ui`: navigation, jobs on the session (each with the form's answers as its inputs), the TAP,
//! the theme and zoom, "Reset lab", and the report export.

use super::{CLIPBOARD_SECONDS, HelloApp};
use crate::command::Command;
use crate::export::ExportState;
use crate::pages::Page;
use crate::theme;
use egui::ViewportCommand;
use hb_lab::session::{ConnectRequest, Connection, JobAction, JobInputs};
use hb_lab::{Step, Upn};

impl HelloApp {
    /// Applies this frame's commands, then asks for one more frame to show what they changed.
    pub(super) fn run_commands(&mut self, ctx: &egui::Context) {
        let commands = std::mem::take(&mut self.commands);
        if commands.is_empty() {
            return;
        }
        for cmd in commands {
            self.run_cmd(ctx, cmd);
        }
        ctx.request_repaint();
    }

    /// Applies one command.
    fn run_cmd(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::OpenHelpdesk => self.open_helpdesk(ctx),
            Command::CloseHelpdesk => self.close_helpdesk(),
            Command::CancelHelpdeskSignIn => self.cancel_helpdesk_sign_in(),
            Command::Go(page) => {
                self.close_helpdesk();
                if self.reachable(page).is_ok() {
                    self.go(page);
                }
            }
            Command::Next => {
                if let (Ok(()), Some(next)) =
                    (self.can_leave(self.saved.page), self.saved.page.next())
                {
                    self.go(next);
                }
            }
            Command::Back => {
                if let Some(prev) = self.saved.page.prev() {
                    self.go(prev);
                }
            }
            Command::Connect => self.connect(),
            Command::CancelConnect => self.session.cancel_connect(),
            Command::UseDemo(demo) => {
                if self.session.state().connection != Connection::Connected {
                    self.demo = demo;
                    self.saved.demo = Some(demo);
                }
            }
            Command::Check(step) => self.start(step, JobAction::Check),
            Command::ChooseLabUser(upn) => {
                self.saved.form.lab_user = upn.to_string();
                self.saved.form.lab_user_error = None;
                self.session.reread_readiness(upn);
                for step in [Step::TapIssued, Step::Bootstrap] {
                    self.start(step, JobAction::Check);
                }
            }
            Command::Apply(step) => self.start(step, JobAction::Apply),
            Command::Revert(step) => self.start(step, JobAction::Revert),
            Command::ReplaceTap => {
                let inputs = JobInputs {
                    tap_replace: true,
                    ..self.job_inputs()
                };
                if let Err(why) = self
                    .session
                    .start(Step::TapIssued, JobAction::Apply, inputs)
                {
                    tracing::debug!("replacing the pass not started: {why}");
                }
            }
            Command::Cancel(step) => self.session.cancel(step),
            Command::RestartDemoPc(step) => self.start(step, JobAction::RestartDemoPc),
            Command::ReplaySignIn => {
                self.replay_sign_in = true;
                self.start(Step::Bootstrap, JobAction::Revert);
            }
            Command::RestartAsAdmin(step) => {
                if let Some(restart) = &self.restart_as_admin {
                    match restart(step) {
                        Ok(()) => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
                        Err(e) => self.restart_as_admin_error = Some(e),
                    }
                }
            }
            Command::RefreshScreen => self.session.capture_screen(),
            Command::TypeUpn => self.start(Step::Bootstrap, JobAction::TypeUpn),
            Command::TypeTap => self.start(Step::Bootstrap, JobAction::TypeTap),
            Command::OpenLink(url) => self.open_link(ctx, url),
            Command::CopyText(text) => {
                ctx.copy_text(text.clone());
                if let Some((url, copied)) = &mut self.link_failed
                    && *url == text
                {
                    *copied = true;
                }
            }
            Command::DidItAnotherWay(step) => {
                self.pending_advance = Some(Page::Step(step));
                self.start(step, JobAction::Check);
            }
            Command::CopyTap => {
                if let Some(tap) = &self.session.state().tap {
                    ctx.copy_text(tap.code.expose().to_string());
                    self.tap.clipboard_clear_at = Some(Self::now(ctx) + CLIPBOARD_SECONDS);
                }
            }
            Command::HideTap => self.tap.shown_until = None,
            Command::RevealSecrets(reveal) => self.reveal_secrets = reveal,
            Command::ToggleTheme => {
                let next = if ctx.theme() == egui::Theme::Dark {
                    egui::ThemePreference::Light
                } else {
                    egui::ThemePreference::Dark
                };
                ctx.set_theme(next);
            }
            Command::ZoomIn => ctx.set_zoom_factor((ctx.zoom_factor() + 0.1).min(2.5)),
            Command::ZoomOut => ctx.set_zoom_factor((ctx.zoom_factor() - 0.1).max(0.6)),
            Command::TogglePresenter => {
                self.saved.presenter = !self.saved.presenter;
                self.reveal_secrets = false;
                self.text_scale = super::logic::presenter_scale(
                    self.saved.presenter,
                    ctx.content_rect().height(),
                );
                theme::apply_style_scaled(ctx, self.saved.presenter, self.text_scale);
            }
            Command::ToggleFullscreen => {
                let full = ctx.input(|i| i.viewport().fullscreen.unwrap_or(false));
                ctx.send_viewport_cmd(ViewportCommand::Fullscreen(!full));
            }
            Command::AskReset => self.confirm_reset = true,
            Command::ConfirmReset => {
                self.confirm_reset = false;
                let inputs = self.job_inputs();
                match self.session.reset_lab(inputs) {
                    // The reset ends on the Welcome page; it shows there behind the progress.
                    Ok(()) => self.go(Page::Welcome),
                    Err(why) => tracing::debug!("reset not started: {why}"),
                }
            }
            Command::KeepLab => self.confirm_reset = false,
            Command::StopReset => self.session.cancel_reset(),
            Command::DismissReset => self.session.dismiss_reset(),
            Command::DismissResumed => self.resumed = None,
            Command::ExportReport(path) => self.start_export(ctx, path),
        }
    }

    /// Opens a link off the UI thread (a browser launcher may wait for its child); how it ended
    /// comes back through `link_inbox`.
    fn open_link(&mut self, ctx: &egui::Context, url: String) {
        let Some(runtime) = &self.runtime else { return };
        let (tx, rx) = std::sync::mpsc::channel();
        let open = self.open_link.clone();
        let wake = ctx.clone();
        runtime.spawn_blocking(move || {
            let result = open(&url);
            let _ = tx.send((url, result));
            wake.request_repaint();
        });
        self.link_inbox = Some(rx);
    }

    /// Starts writing the lab report on the runtime (after a save dialog unless a path is known).
    fn start_export(&mut self, ctx: &egui::Context, path: Option<std::path::PathBuf>) {
        if self.export == Some(ExportState::Running) {
            return;
        }
        let Some(runtime) = &self.runtime else { return };
        let path = path.or_else(|| self.export_path.clone());
        let wake = ctx.clone();
        self.export_inbox = Some(crate::export::start(
            runtime.handle(),
            self.session.state().clone(),
            path,
            move || wake.request_repaint(),
        ));
        self.export = Some(ExportState::Running);
    }

    /// Starts the lab once the lab user typed on the Welcome page makes sense.
    pub(super) fn connect(&mut self) {
        let lab_user = self.saved.form.lab_user.trim();
        let lab_user = if lab_user.is_empty() {
            None
        } else {
            match Upn::parse(lab_user) {
                Ok(upn) => Some(upn),
                Err(e) => {
                    self.saved.form.lab_user_error =
                        Some(format!("{e}. Fix it, then start again."));
                    return;
                }
            }
        };
        if !self.demo && lab_user.is_none() {
            self.saved.form.lab_user_error = Some(
                "Enter the lab user's name (name@yourdomain.com): step 6 issues their pass.".into(),
            );
            return;
        }
        self.saved.form.lab_user_error = None;
        let inputs = JobInputs {
            lab_user,
            ..self.job_inputs()
        };
        let (connector, demo) = (self.connector.clone(), self.demo);
        self.session.connect(
            move |attempt| connector(ConnectRequest { demo, attempt }),
            inputs,
        );
    }

    /// The answers jobs need, from the form: the lab user (checked when connecting; the field is
    /// locked after that) and step 4's ISO.
    fn job_inputs(&self) -> JobInputs {
        let iso = self.saved.form.iso_path.trim();
        JobInputs {
            lab_user: Upn::parse(self.saved.form.lab_user.trim()).ok(),
            iso_path: (!iso.is_empty()).then(|| iso.into()),
            tap_replace: false,
        }
    }

    /// Starts a job on the session with the form's answers; a refusal shows on the page already.
    fn start(&mut self, step: Step, action: JobAction) {
        let inputs = self.job_inputs();
        if let Err(why) = self.session.start(step, action, inputs) {
            tracing::debug!("{action:?} of {step} not started: {why}");
        }
    }
}
