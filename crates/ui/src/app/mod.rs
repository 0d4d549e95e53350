//! The wizard app, split the way rerun's viewer app is: this module holds the app's state and
//! its `eframe::App` impl; [`ui`](self::ui) draws the shell (top bar, step list, page, footer,
//! dialogs); [`logic`](self::logic) is the per-frame work that draws nothing (events in, timers,
//! keys, captures); `command_handling` applies the [`Command`]s pages and keys pushed;
//! `navigation` says where the wizard may go and why not.
//!
//! Commands are applied once per frame, at the end of [`eframe::App::ui`], after every widget
//! and `logic` (which runs first) had their say; a frame that applied any asks for one more, so
//! the result shows without waiting for input.

mod command_handling;
mod helpdesk_mode;
mod logic;
mod navigation;
mod ui;

use super::command::Commands;
use super::export::ExportState;
use super::pages::Page;
use super::pages::welcome::WelcomeForm;
use super::{AppOptions, Connector, theme};
use chrono::{DateTime, Utc};
use hb_lab::Step;
use hb_lab::session::{LabState, Session};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The key of the app's saved state in eframe storage.
pub const APP_KEY: &str = "hello_bootstrap";

/// How long a copied TAP stays on the clipboard.
pub const CLIPBOARD_SECONDS: f64 = 60.0;

/// How often an open host step page refreshes the VM's screen.
const LIVE_SCREEN_SECS: f64 = 2.0;

/// How often it looks while the page's job runs and moves the VM from screen to screen: well
/// under the demo's 2.5 s per narrated screen.
const LIVE_SCREEN_BUSY_SECS: f64 = 0.5;

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
    /// The demo's injected faults in words, for the DEMO badge.
    demo_faults: Option<String>,
    tap_display_secs: f64,
    tap: TapTimers,
    reveal_secrets: bool,
    confirm_reset: bool,
    resumed: Option<Page>,
    /// The page to leave as soon as its running work (a step's job, connecting) ends well:
    /// "I did this another way" and PageDown in presenter mode.
    pending_advance: Option<Page>,
    /// Where the page's scroll area goes next frame: to the top when a page opens, or where
    /// Space and the arrow keys scroll it.
    scroll_request: Option<f32>,
    /// The page's scroll offset and visible height as last drawn.
    page_scroll: f32,
    page_viewport: f32,
    /// "Replay the sign-in" reverted step 7 and signs in again once the revert is done.
    replay_sign_in: bool,
    /// The text scale presenter mode last applied (it follows the window's height).
    text_scale: f32,
    /// The VM screen as a texture, with the capture time it was made from.
    screen_texture: Option<(DateTime<Utc>, egui::TextureHandle)>,
    /// The apply whose page was last sent for capture, so each finished apply is captured once.
    page_captured: std::collections::HashMap<Step, DateTime<Utc>>,
    /// Where "Export report" writes without asking ([`super::AppOptions::export_path`]).
    export_path: Option<std::path::PathBuf>,
    export: Option<ExportState>,
    /// The summary's "Save the report as" field, for when no save dialog gave a file.
    export_field: String,
    export_inbox: Option<std::sync::mpsc::Receiver<ExportState>>,
    /// What pages, dialogs and keys asked for this frame; applied at the end of `ui`.
    commands: Commands,
    /// Reports the first painted frame for the start-up benchmark.
    first_frame: crate::first_frame::FirstFrameProbe,
    /// "Restart as administrator" ([`super::AppOptions::restart_as_admin`]).
    restart_as_admin: Option<super::RestartAsAdmin>,
    /// Why the last restart as administrator did not happen (declined, failed).
    restart_as_admin_error: Option<String>,
    /// Signs in for help-desk mode ([`super::AppOptions::helpdesk`]).
    helpdesk_connector: Option<super::HelpdeskConnector>,
    helpdesk: helpdesk_mode::HelpdeskMode,
    /// How links open ([`super::AppOptions::open_link`]).
    open_link: super::LinkOpener,
    /// How the last link click ended: the link, and whether a browser opened it.
    link_inbox: Option<std::sync::mpsc::Receiver<(String, Result<(), String>)>>,
    /// The link no browser opened, and whether it was copied since.
    link_failed: Option<(String, bool)>,
}

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
        if let Some(step) = options.start_step {
            saved.page = Page::Step(step);
        }
        let resumed = (saved.page != Page::Welcome).then_some(saved.page);
        let mut app = HelloApp {
            runtime: Some(runtime),
            session,
            connector: options.connector.clone(),
            saved,
            demo,
            demo_faults: options.demo_faults.clone(),
            tap_display_secs: f64::from(options.tap_display_secs),
            tap: TapTimers::default(),
            reveal_secrets: false,
            confirm_reset: false,
            resumed,
            pending_advance: None,
            scroll_request: None,
            page_scroll: 0.0,
            page_viewport: 0.0,
            text_scale: 0.0,
            replay_sign_in: false,
            screen_texture: None,
            page_captured: Default::default(),
            export_path: options.export_path.clone(),
            export: None,
            export_field: String::new(),
            export_inbox: None,
            commands: Vec::new(),
            first_frame: Default::default(),
            restart_as_admin: options.restart_as_admin.clone(),
            restart_as_admin_error: None,
            helpdesk_connector: options.helpdesk.clone(),
            helpdesk: Default::default(),
            open_link: options.open_link.clone(),
            link_inbox: None,
            link_failed: None,
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

    /// How far the page is scrolled down, in points, as last drawn.
    pub fn page_scroll_offset(&self) -> f32 {
        self.page_scroll
    }

    /// The text scale in effect: 1 normally, growing with the window in presenter mode.
    pub fn text_scale(&self) -> f32 {
        self.text_scale
    }

    /// Replaces the lab state (previews and tests without a backend).
    pub fn inject_state(&mut self, state: LabState) {
        self.session.set_state(state);
    }

    /// Shows a page directly (previews and tests).
    pub fn show_page(&mut self, page: Page) {
        self.saved.page = page;
        self.scroll_request = Some(0.0);
    }
}

impl eframe::App for HelloApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.first_frame.tick(ctx);
        self.frame_logic(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.shell_ui(ui);
        self.run_commands(ui.ctx());
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
