//! The desktop wizard (egui/eframe): the shell, the pages, the house widgets and the theme.
//! [`run_app`] opens the window; [`build_app`] builds the same app for tests.

pub mod app;
pub mod command;
pub mod export;
pub mod first_frame;
pub mod icons;
pub mod page_capture;
pub mod pages;
pub mod plain_words;
pub mod theme;
pub mod widgets;

pub use app::HelloApp;
pub use command::Command;
pub use pages::Page;

use hb_lab::session::{ConnectRequest, Connecting};
use std::sync::Arc;

/// Connects the wizard to a lab: the request says demo or real tenant, and carries the attempt
/// through which the connector reports waits on the person and learns of Cancel.
pub type Connector = Arc<dyn Fn(ConnectRequest) -> Connecting + Send + Sync>;

/// Signs in for help-desk work (`true`: on the demo tenant) and hands back the TAP service on
/// that sign-in; the composition layer asks for the help-desk permissions only, none of the lab's.
/// It reports its waits (browser, device code) and takes Cancel through the attempt, as the
/// lab's connector does, so the page shows the same wait.
pub type HelpdeskConnector = Arc<
    dyn Fn(
            bool,
            hb_lab::session::ConnectAttempt,
        )
            -> pages::helpdesk::Pending<Result<Arc<dyn pages::helpdesk::HelpdeskService>, String>>
        + Send
        + Sync,
>;

/// Starts this app again as administrator, reopening on the given step (Windows: ShellExecute
/// with the `runas` verb); `Ok` once the elevated copy is on its way, so this one can close.
/// Set only where the app runs without elevation and a real host's steps need it.
pub type RestartAsAdmin = Arc<dyn Fn(hb_lab::Step) -> Result<(), String> + Send + Sync>;

/// Opens a link in the person's browser; `Err` says no browser opened it, so the page shows the
/// link to copy instead of failing silently.
pub type LinkOpener = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The system's browser, through the `webbrowser` crate.
pub fn system_browser() -> LinkOpener {
    Arc::new(|url| webbrowser::open(url).map_err(|e| e.to_string()))
}

/// How the wizard starts.
#[derive(Clone)]
pub struct AppOptions {
    /// Start on the demo tenant and emulated host (`--demo`).
    pub demo: bool,
    /// Start in presenter mode (`--presenter`).
    pub presenter: bool,
    /// Connect right away instead of waiting for the Welcome page's button.
    pub auto_connect: bool,
    /// How long step 6 shows the TAP before hiding it.
    pub tap_display_secs: u32,
    /// How to reach the lab; the app's composition layer provides it.
    pub connector: Connector,
    /// Where "Export report" writes, instead of asking with a save dialog (tests, scripted demos).
    pub export_path: Option<std::path::PathBuf>,
    /// The demo's injected faults and latency in words (`--faults`, `--latency`), shown on the
    /// DEMO badge so nobody mistakes a failure they asked for for a bug.
    pub demo_faults: Option<String>,
    /// Open on this step (`--resume-step`: after a restart as administrator or a reboot).
    pub start_step: Option<hb_lab::Step>,
    /// Offers "Restart as administrator" on the host steps' pages when set.
    pub restart_as_admin: Option<RestartAsAdmin>,
    /// Help-desk mode (the Welcome page's card and the top bar's "Help desk"); hidden when unset.
    pub helpdesk: Option<HelpdeskConnector>,
    /// How links (the admin centers) open.
    pub open_link: LinkOpener,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            demo: false,
            presenter: false,
            auto_connect: false,
            tap_display_secs: 60,
            connector: unwired_connector(),
            export_path: None,
            demo_faults: None,
            start_step: None,
            restart_as_admin: None,
            helpdesk: None,
            open_link: system_browser(),
        }
    }
}

impl std::fmt::Debug for AppOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppOptions")
            .field("demo", &self.demo)
            .field("presenter", &self.presenter)
            .field("auto_connect", &self.auto_connect)
            .field("tap_display_secs", &self.tap_display_secs)
            .finish_non_exhaustive()
    }
}

/// A connector with no lab behind it: the app's composition layer brings the real one; until
/// then connecting says so instead of failing silently.
pub fn unwired_connector() -> Connector {
    Arc::new(|_| Box::pin(async { Err("this build wires no lab into the wizard".to_string()) }))
}

/// Builds the wizard on a creation context (eframe's or egui_kittest's).
pub fn build_app(
    cc: &eframe::CreationContext<'_>,
    options: AppOptions,
) -> Result<HelloApp, String> {
    HelloApp::new(&cc.egui_ctx, cc.storage, options)
}

/// Opens the wizard window and runs it until it is closed. Returns the process exit code.
pub fn run_app(options: AppOptions) -> i32 {
    let icon = match app_icon() {
        Ok(icon) => Some(icon),
        Err(e) => {
            tracing::warn!("the app icon could not be loaded: {e}");
            None
        }
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Hello Bootstrap")
        .with_app_id("hello-bootstrap")
        .with_inner_size([1180.0, 780.0])
        .with_min_inner_size([820.0, 560.0]);
    if let Some(icon) = icon {
        viewport = viewport.with_icon(icon);
    }
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        persist_window: true,
        persistence_path: Some(hb_lab::paths::data_dir().join("wizard.ron")),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Hello Bootstrap",
        native,
        Box::new(move |cc| {
            build_app(cc, options)
                .map(|app| Box::new(app) as Box<dyn eframe::App>)
                .map_err(Into::into)
        }),
    );
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "Hello Bootstrap could not open its window: {e}\n\
                 It needs a desktop session with OpenGL 2 or newer. On a server or over SSH, use the \
                 command line instead (hello-bootstrap check --demo, hello-bootstrap run --demo)."
            );
            1
        }
    }
}

/// The app icon decoded for the window.
fn app_icon() -> Result<egui::IconData, String> {
    let image = image::load_from_memory_with_format(icons::APP_ICON_PNG, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?
        .into_rgba8();
    let (width, height) = image.dimensions();
    Ok(egui::IconData {
        rgba: image.into_raw(),
        width,
        height,
    })
}
