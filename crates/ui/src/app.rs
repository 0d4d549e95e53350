//! The shell: top bar, step list, the current page, footer with Back / Next, presenter keys, the
//! "Reset lab" confirmation. It applies the commands the pages push, once per frame.

use super::command::{Command, Commands};
use super::export::ExportState;
use super::pages::step::StepPageView;
use super::pages::tap::TapView;
use super::pages::welcome::{WelcomeForm, WelcomeView};
use super::pages::{self, Page};
use super::theme::{self, Tokens};
use super::widgets::{Alert, UiExt};
use super::{AppOptions, Connector, icons};
use chrono::{DateTime, Utc};
use egui::{Key, RichText, Ui, ViewportCommand};
use hb_lab::session::{Connection, JobAction, JobInputs, LabState, Session};
use hb_lab::session_file::SessionKind;
use hb_lab::{Step, StepStatus, Upn};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The key of the app's saved state in eframe storage.
pub const APP_KEY: &str = "hello_bootstrap";

/// How long a copied TAP stays on the clipboard.
pub const CLIPBOARD_SECONDS: f64 = 60.0;

/// What survives a restart: where the wizard was and the answers given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    pub page: Page,
    pub presenter: bool,
    pub demo: Option<bool>,
    pub form: WelcomeForm,
}

/// The TAP countdown and clipboard timers, in egui time (seconds).
#[derive(Clone, Debug, Default)]
struct TapTimers {
    /// Which issued pass the countdown belongs to.
    issued_at: Option<DateTime<Utc>>,
    shown_until: Option<f64>,
    clipboard_clear_at: Option<f64>,
}

/// The wizard app.
pub struct HelloApp {
    runtime: Option<tokio::runtime::Runtime>,
    session: Session,
    connector: Connector,
    saved: Saved,
    demo: bool,
    tap_display_secs: f64,
    tap: TapTimers,
    reveal_secrets: bool,
    confirm_reset: bool,
    resumed: Option<Page>,
    pending_advance: Option<Step>,
    /// The VM screen as a texture, with the capture time it was made from.
    screen_texture: Option<(DateTime<Utc>, egui::TextureHandle)>,
    /// When the open host step page next fetches the VM's screen (app time, seconds).
    next_screen_at: f64,
    /// The apply whose page was last sent for capture, so each finished apply is captured once.
    page_captured: std::collections::HashMap<Step, DateTime<Utc>>,
    /// Where "Export report" writes without asking ([`super::AppOptions::export_path`]).
    export_path: Option<std::path::PathBuf>,
    export: Option<ExportState>,
    export_inbox: Option<std::sync::mpsc::Receiver<ExportState>>,
    commands: Commands,
}

/// How often an open host step page refreshes the VM's screen.
const LIVE_SCREEN_SECS: f64 = 2.0;

impl HelloApp {
    /// Builds the app on an egui context: style, image loaders, runtime, saved state, resume.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        options: AppOptions,
    ) -> Result<Self, String> {
        egui_extras::install_image_loaders(ctx);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hello-bootstrap-jobs")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the background runtime: {e}"))?;
        let repaint = ctx.clone();
        let session = Session::new(
            runtime.handle().clone(),
            Arc::new(move || repaint.request_repaint()),
        );
        let mut saved: Saved = storage
            .and_then(|s| eframe::get_value(s, APP_KEY))
            .unwrap_or_default();
        saved.presenter |= options.presenter;
        let demo = if options.demo {
            true
        } else {
            saved.demo.unwrap_or(false)
        };
        theme::apply_style(ctx, saved.presenter);
        let resumed = (saved.page != Page::Welcome).then_some(saved.page);
        let mut app = HelloApp {
            runtime: Some(runtime),
            session,
            connector: options.connector.clone(),
            saved,
            demo,
            tap_display_secs: f64::from(options.tap_display_secs),
            tap: TapTimers::default(),
            reveal_secrets: false,
            confirm_reset: false,
            resumed,
            pending_advance: None,
            screen_texture: None,
            next_screen_at: 0.0,
            page_captured: Default::default(),
            export_path: options.export_path.clone(),
            export: None,
            export_inbox: None,
            commands: Vec::new(),
        };
        if resumed.is_some() || options.auto_connect {
            app.connect();
        }
        Ok(app)
    }

    /// The lab state the pages render.
    pub fn lab(&self) -> &LabState {
        self.session.state()
    }

    /// Where the last "Export report" stands, if one was started.
    pub fn export_state(&self) -> Option<&ExportState> {
        self.export.as_ref()
    }

    /// The page shown now.
    pub fn page(&self) -> Page {
        self.saved.page
    }

    /// Replaces the lab state (previews and tests without a backend).
    pub fn inject_state(&mut self, state: LabState) {
        self.session.set_state(state);
    }

    /// Shows a page directly (previews and tests).
    pub fn show_page(&mut self, page: Page) {
        self.saved.page = page;
    }

    fn connect(&mut self) {
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
        self.session.connect((self.connector)(self.demo), inputs);
    }

    /// The answers jobs need, from the form: the lab user (checked when connecting; the field is
    /// locked after that) and step 4's ISO.
    fn job_inputs(&self) -> JobInputs {
        let iso = self.saved.form.iso_path.trim();
        JobInputs {
            lab_user: Upn::parse(self.saved.form.lab_user.trim()).ok(),
            iso_path: (!iso.is_empty()).then(|| iso.into()),
        }
    }

    /// Starts a job on the session with the form's answers; a refusal shows on the page already.
    fn start(&mut self, step: Step, action: JobAction) {
        let inputs = self.job_inputs();
        if let Err(why) = self.session.start(step, action, inputs) {
            tracing::debug!("{action:?} of {step} not started: {why}");
        }
    }

    /// Whether the wizard may leave a page forward, and if not, why.
    fn can_leave(&self, page: Page) -> Result<(), String> {
        let lab = self.session.state();
        match page {
            Page::Welcome => match lab.connection {
                Connection::Connected => Ok(()),
                Connection::Connecting => Err("Wait until the lab has started.".into()),
                _ => Err(if self.demo {
                    "Start the lab first: press \"Start the demo\".".into()
                } else {
                    "Start the lab first: press \"Sign in and start\".".into()
                }),
            },
            Page::Step(step) => {
                let state = lab.step(step);
                if state.running.is_some() {
                    return Err("Wait until this step finishes.".into());
                }
                match state.status {
                    StepStatus::Applied | StepStatus::NotApplicable => Ok(()),
                    StepStatus::NotApplied => Err(
                        "Apply this step first, or choose \"I did this another way\" if you did it yourself.".into(),
                    ),
                    StepStatus::NeedsAction => {
                        Err("This step needs you: follow the instructions on the page, then \"Check again\".".into())
                    }
                    StepStatus::Error => {
                        Err("This step failed: read the message, fix the cause, then try again.".into())
                    }
                    StepStatus::Unknown => Err("This step has not been checked yet.".into()),
                }
            }
            Page::Summary => Err("This is the last page.".into()),
        }
    }

    /// Whether every page before `page` may be left, so `page` can be opened from the list.
    fn reachable(&self, page: Page) -> Result<(), String> {
        for before in Page::all().take_while(|p| *p != page) {
            self.can_leave(before)
                .map_err(|why| format!("Finish {before} first. {why}"))?;
        }
        Ok(())
    }

    fn go(&mut self, page: Page) {
        if self.saved.page != page {
            self.saved.page = page;
            self.resumed = None;
            self.reveal_secrets = false;
            self.session.remember_current_step(page.step());
        }
    }

    /// Keeps the VM screen live on the pages that show it (steps 4 and 7): a fresh capture every few
    /// seconds while such a page is open and a VM exists; other pages ask for no frames.
    fn live_screen(&mut self, ctx: &egui::Context) {
        let Page::Step(step) = self.saved.page else {
            return;
        };
        let lab = self.session.state();
        if !matches!(step, Step::LabVm | Step::Bootstrap)
            || lab.connection != Connection::Connected
            || lab.vm_screen.is_none()
        {
            return;
        }
        let now = Self::now(ctx);
        if now >= self.next_screen_at {
            self.next_screen_at = now + LIVE_SCREEN_SECS;
            self.session.capture_screen();
        }
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(
            (self.next_screen_at - now).max(0.1),
        ));
    }

    fn now(ctx: &egui::Context) -> f64 {
        ctx.input(|i| i.time)
    }

    fn run_cmd(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::Go(page) => {
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
            Command::UseDemo(demo) => {
                if self.session.state().connection != Connection::Connected {
                    self.demo = demo;
                    self.saved.demo = Some(demo);
                }
            }
            Command::Check(step) => self.start(step, JobAction::Check),
            Command::Apply(step) => self.start(step, JobAction::Apply),
            Command::Revert(step) => self.start(step, JobAction::Revert),
            Command::Cancel(step) => self.session.cancel(step),
            Command::RestartDemoPc(step) => self.start(step, JobAction::RestartDemoPc),
            Command::RefreshScreen => self.session.capture_screen(),
            Command::DidItAnotherWay(step) => {
                self.pending_advance = Some(step);
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
                theme::apply_style(ctx, self.saved.presenter);
            }
            Command::ToggleFullscreen => {
                let full = ctx.input(|i| i.viewport().fullscreen.unwrap_or(false));
                ctx.send_viewport_cmd(ViewportCommand::Fullscreen(!full));
            }
            Command::AskReset => self.confirm_reset = true,
            Command::ConfirmReset => {
                self.confirm_reset = false;
                let inputs = self.job_inputs();
                if let Err(why) = self.session.reset_lab(inputs) {
                    tracing::debug!("reset not started: {why}");
                }
            }
            Command::CancelReset => self.confirm_reset = false,
            Command::DismissResumed => self.resumed = None,
            Command::ExportReport(path) => self.start_export(ctx, path),
        }
    }

    /// Starts writing the lab report on the runtime (after a save dialog unless a path is known).
    fn start_export(&mut self, ctx: &egui::Context, path: Option<std::path::PathBuf>) {
        if self.export == Some(ExportState::Running) {
            return;
        }
        let Some(runtime) = &self.runtime else { return };
        let path = path.or_else(|| self.export_path.clone());
        let wake = ctx.clone();
        self.export_inbox = Some(super::export::start(
            runtime.handle(),
            self.session.state().clone(),
            path,
            move || wake.request_repaint(),
        ));
        self.export = Some(ExportState::Running);
    }

    fn receive_export(&mut self) {
        if let Some(outcome) = self.export_inbox.as_ref().and_then(|rx| rx.try_recv().ok()) {
            self.export = Some(outcome);
            self.export_inbox = None;
        }
    }

    /// Once a step's apply has finished and its page shows the result, asks for a screenshot of
    /// it for the report. Step 6's page is never captured: it may show the TAP.
    fn capture_finished_pages(&mut self, ctx: &egui::Context) {
        let Page::Step(step) = self.saved.page else {
            return;
        };
        if step == Step::TapIssued {
            return;
        }
        let Some(finished_at) = self
            .session
            .state()
            .captures
            .get(&step)
            .filter(|c| c.page.is_none())
            .and_then(|c| c.finished_at)
        else {
            return;
        };
        if self.page_captured.get(&step) == Some(&finished_at) {
            return;
        }
        let Some(runtime) = &self.runtime else { return };
        self.page_captured.insert(step, finished_at);
        super::page_capture::request(
            ctx,
            runtime.handle().clone(),
            self.session.events(),
            step,
            finished_at,
        );
    }

    fn run_commands(&mut self, ctx: &egui::Context) {
        let commands = std::mem::take(&mut self.commands);
        if commands.is_empty() {
            return;
        }
        for cmd in commands {
            self.run_cmd(ctx, cmd);
        }
        ctx.request_repaint();
    }

    /// Keyboard and clicker keys: PageDown / → for Next, PageUp / ← for Back, F11 full screen.
    fn keys(&mut self, ctx: &egui::Context) {
        if ctx.memory(|m| m.focused().is_some()) {
            return;
        }
        let (next, back, full) = ctx.input(|i| {
            (
                i.key_pressed(Key::PageDown) || i.key_pressed(Key::ArrowRight),
                i.key_pressed(Key::PageUp) || i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::F11),
            )
        });
        if next {
            self.commands.push(Command::Next);
        }
        if back {
            self.commands.push(Command::Back);
        }
        if full {
            self.commands.push(Command::ToggleFullscreen);
        }
    }

    /// Starts and ends the TAP countdown and clears the clipboard when its time is up.
    fn tap_timers(&mut self, ctx: &egui::Context) {
        let now = Self::now(ctx);
        let issued = self.session.state().tap.as_ref().map(|t| t.issued_at);
        if issued != self.tap.issued_at {
            self.tap.issued_at = issued;
            self.tap.shown_until = issued.map(|_| now + self.tap_display_secs);
        }
        if let Some(until) = self.tap.shown_until {
            if now >= until {
                self.tap.shown_until = None;
            } else {
                ctx.request_repaint_after(Duration::from_secs_f64((until - now).clamp(0.05, 1.0)));
            }
        }
        if let Some(at) = self.tap.clipboard_clear_at {
            if now >= at {
                ctx.copy_text(String::new());
                self.tap.clipboard_clear_at = None;
            } else {
                ctx.request_repaint_after(Duration::from_secs_f64(at - now));
            }
        }
    }

    /// "I did this another way": once the re-check is in, move on if it says applied.
    fn advance_after_recheck(&mut self) {
        let Some(step) = self.pending_advance else {
            return;
        };
        let state = self.session.state().step(step);
        if state.running.is_some() {
            return;
        }
        self.pending_advance = None;
        if state.status.is_done() && self.saved.page == Page::Step(step) {
            self.commands.push(Command::Next);
        }
    }

    /// Keeps the VM screen texture in step with the latest frame.
    fn update_screen_texture(&mut self, ctx: &egui::Context) {
        let Some(screen) = &self.session.state().vm_screen else {
            self.screen_texture = None;
            return;
        };
        if self
            .screen_texture
            .as_ref()
            .is_some_and(|(at, _)| *at == screen.captured_at)
        {
            return;
        }
        if screen.rgba.len() != screen.width * screen.height * 4 {
            tracing::warn!("ignoring a VM screen frame of the wrong size");
            return;
        }
        let image =
            egui::ColorImage::from_rgba_unmultiplied([screen.width, screen.height], &screen.rgba);
        let texture = ctx.load_texture("vm_screen", image, egui::TextureOptions::LINEAR);
        self.screen_texture = Some((screen.captured_at, texture));
    }

    fn tap_view(&self, ctx: &egui::Context) -> Option<TapView<'_>> {
        let tap = self.session.state().tap.as_ref()?;
        Some(match self.tap.shown_until {
            Some(until) => TapView::Showing {
                code: &tap.code,
                seconds_left: (until - Self::now(ctx)).ceil().max(0.0) as u32,
                masked: self.saved.presenter && !self.reveal_secrets,
            },
            None => TapView::Hidden,
        })
    }

    fn top_bar(&mut self, ui: &mut Ui) {
        let tokens = Tokens::of(ui.ctx());
        let lab = self.session.state();
        ui.horizontal(|ui| {
            ui.add(
                egui::Image::new(egui::ImageSource::Bytes {
                    uri: "bytes://hello-bootstrap/icon.png".into(),
                    bytes: icons::APP_ICON_PNG.into(),
                })
                .fit_to_exact_size(egui::vec2(22.0, 22.0))
                .alt_text("Hello Bootstrap"),
            );
            ui.label(RichText::new("Hello Bootstrap").strong());
            let demo = lab.kind.map_or(self.demo, |k| k == SessionKind::Demo);
            if demo {
                ui.badge("DEMO");
            }
            if let Some(tenant) = &lab.tenant_name {
                ui.separator();
                ui.label(tenant);
            }
            if let Some(account) = lab.account.as_ref().filter(|_| !self.saved.presenter) {
                ui.label(RichText::new(account).color(tokens.muted));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let plus = ui.button("+").on_hover_text("Zoom in");
                plus.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Zoom in"));
                if plus.clicked() {
                    self.commands.push(Command::ZoomIn);
                }
                ui.label(format!("{:.0}%", ui.ctx().zoom_factor() * 100.0));
                let minus = ui.button("−").on_hover_text("Zoom out");
                minus.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, "Zoom out")
                });
                if minus.clicked() {
                    self.commands.push(Command::ZoomOut);
                }
                let dark = ui.ctx().theme() == egui::Theme::Dark;
                let (icon, text) = if dark {
                    (icons::SUN, "Light theme")
                } else {
                    (icons::MOON, "Dark theme")
                };
                if ui.icon_button(icon, text).clicked() {
                    self.commands.push(Command::ToggleTheme);
                }
                let presenter = self.saved.presenter;
                if ui
                    .add(
                        egui::Button::new((
                            icons::PRESENTER.image(14.0, ui.visuals().text_color(), ""),
                            "Presenter mode",
                        ))
                        .selected(presenter),
                    )
                    .on_hover_text(
                        "Large text, high contrast, PageDown/PageUp to move, F11 full screen",
                    )
                    .clicked()
                {
                    self.commands.push(Command::TogglePresenter);
                }
                if presenter
                    && ui
                        .add_enabled(
                            lab.connection == Connection::Connected && !lab.busy(),
                            egui::Button::new((
                                icons::RESET.image(14.0, ui.visuals().text_color(), ""),
                                "Reset lab",
                            )),
                        )
                        .clicked()
                {
                    self.commands.push(Command::AskReset);
                }
            });
        });
    }

    fn step_list(&mut self, ui: &mut Ui) {
        let tokens = Tokens::of(ui.ctx());
        ui.add_space(tokens.space_m);
        for page in Page::all() {
            let selected = self.saved.page == page;
            let reachable = self.reachable(page);
            let lab = self.session.state();
            ui.horizontal(|ui| {
                match page.step() {
                    Some(step) if lab.step(step).running.is_some() => {
                        ui.add(egui::Spinner::new().size(tokens.icon_size));
                    }
                    Some(step) => {
                        ui.status_icon(lab.status(step));
                    }
                    None => {
                        ui.add_space(tokens.icon_size + ui.spacing().item_spacing.x);
                    }
                }
                let label = match page {
                    Page::Step(step) => format!("{}. {}", step.number(), step.title()),
                    other => other.to_string(),
                };
                let response = ui
                    .add_enabled(reachable.is_ok(), egui::Button::selectable(selected, label))
                    .on_disabled_hover_text(reachable.err().unwrap_or_default());
                if response.clicked() {
                    self.commands.push(Command::Go(page));
                }
            });
        }
        if self.demo || self.session.state().kind == Some(SessionKind::Demo) {
            ui.add_space(tokens.space_l);
            ui.muted_label(
                "Demo mode: a simulated tenant and Hyper-V host on this PC. Nothing real changes.",
            );
        }
    }

    fn footer(&mut self, ui: &mut Ui) {
        let page = self.saved.page;
        let position = Page::all().position(|p| p == page).unwrap_or(0) + 1;
        let total = Page::all().count();
        ui.horizontal(|ui| {
            let back = ui.add_enabled(
                page.prev().is_some(),
                egui::Button::new((
                    icons::BACK.image(14.0, ui.visuals().text_color(), ""),
                    "Back",
                )),
            );
            if back.clicked() {
                self.commands.push(Command::Back);
            }
            ui.label(RichText::new(format!("{position} / {total}")).weak());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if page.next().is_none() {
                    return;
                }
                let can_leave = self.can_leave(page);
                let next = ui.primary_button_enabled(
                    can_leave.is_ok(),
                    "Next",
                    can_leave.as_ref().err().map_or("", String::as_str),
                );
                if next.clicked() {
                    self.commands.push(Command::Next);
                }
                if let (Err(why), Some(step)) = (&can_leave, page.step()) {
                    let state = self.session.state().step(step);
                    if state.running.is_none()
                        && self.session.state().connection == Connection::Connected
                        && ui
                            .button("I did this another way")
                            .on_hover_text("Check again, and move on if the check finds it done")
                            .clicked()
                    {
                        self.commands.push(Command::DidItAnotherWay(step));
                    }
                    ui.add(egui::Label::new(RichText::new(why).weak()).truncate());
                }
            });
        });
    }

    fn page_ui(&mut self, ui: &mut Ui) {
        if let Some(page) = self.resumed {
            Alert::info().show(ui, |ui| {
                ui.label(RichText::new(format!("Resumed at {page}")).strong());
                ui.label(
                    "The wizard reopened where you left off and is checking every step again.",
                );
                if ui.button("Dismiss").clicked() {
                    self.commands.push(Command::DismissResumed);
                }
            });
            ui.add_space(8.0);
        }
        match self.saved.page {
            Page::Welcome => {
                let connection = self.session.state().connection.clone();
                pages::welcome::show(
                    ui,
                    WelcomeView {
                        demo: self.demo,
                        connection: &connection,
                        form: &mut self.saved.form,
                    },
                    &mut self.commands,
                );
            }
            Page::Step(step) => {
                let ctx = ui.ctx().clone();
                // Taken out for the frame so the page can edit it while the view borrows `self`.
                let mut iso_path = std::mem::take(&mut self.saved.form.iso_path);
                let lab = self.session.state();
                let state = lab.step(step);
                let view = StepPageView {
                    step,
                    state: &state,
                    connected: lab.connection == Connection::Connected,
                    demo: lab.kind == Some(SessionKind::Demo),
                    tap: if step == Step::TapIssued {
                        self.tap_view(&ctx)
                    } else {
                        None
                    },
                    secrets: lab.tap.iter().map(|t| &t.code).collect(),
                    screen: self
                        .screen_texture
                        .as_ref()
                        .filter(|_| step.is_host_step())
                        .map(|(_, texture)| texture),
                    iso_path: (step == Step::LabVm && lab.kind != Some(SessionKind::Demo))
                        .then_some(&mut iso_path),
                };
                let mut commands = Vec::new();
                pages::step::show(ui, view, &mut commands);
                self.saved.form.iso_path = iso_path;
                self.commands.extend(commands);
            }
            Page::Summary => {
                let mut commands = Vec::new();
                pages::summary::show(
                    ui,
                    self.session.state(),
                    self.export.as_ref(),
                    &mut commands,
                );
                self.commands.extend(commands);
            }
        }
    }

    fn reset_dialog(&mut self, ctx: &egui::Context) {
        if !self.confirm_reset {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("reset_lab_confirm")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.section_title("Reset the lab?");
            ui.label("This reverts every step, last first: the TAP is deleted, the policies go back to what they were before the lab, and the VM returns to its first-start checkpoint.");
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.primary_button("Yes, reset the lab").clicked() {
                    self.commands.push(Command::ConfirmReset);
                }
                if ui.button("Keep the lab").clicked() {
                    self.commands.push(Command::CancelReset);
                }
            });
        });
        if modal.should_close() {
            self.commands.push(Command::CancelReset);
        }
    }
}

impl eframe::App for HelloApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.session.drain();
        self.receive_export();
        self.capture_finished_pages(ctx);
        self.update_screen_texture(ctx);
        self.live_screen(ctx);
        self.tap_timers(ctx);
        self.advance_after_recheck();
        self.keys(ctx);
        self.run_commands(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            self.top_bar(ui);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("footer").show(ui, |ui| {
            ui.add_space(6.0);
            self.footer(ui);
            ui.add_space(4.0);
        });
        egui::Panel::left("steps")
            .resizable(false)
            .exact_size(if self.saved.presenter { 440.0 } else { 350.0 })
            .show(ui, |ui| self.step_list(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| {
                    ui.set_max_width((ui.available_width() - 18.0).min(900.0));
                    self.page_ui(ui);
                });
        });
        self.reset_dialog(&ctx);
        self.run_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, APP_KEY, &self.saved);
    }
}

impl Drop for HelloApp {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
