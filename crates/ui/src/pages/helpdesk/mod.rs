//! Help-desk mode: issue a Temporary Access Pass to one user (search, options, the preflight in
//! plain words, the pass large with a countdown, copy with the clipboard cleared) or to every
//! user of a CSV file (preview with line numbers, issue, progress, results). The page owns its
//! state; work runs on the app's runtime through [`HelpdeskService`] and comes back through an
//! inbox that wakes the UI, so the UI thread never waits on the network.

mod audit;
mod bulk;
mod files;
pub mod handout;
pub mod service;
mod single;

pub use bulk::MASK;
pub use service::{
    AuditRow, BulkProgress, BulkRow, FoundUser, HelpdeskService, IssuedPass, PassChoice, Pending,
    PreviewRow, Verdict,
};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// How long an issued pass stays on screen.
pub const SHOW_SECONDS: f64 = 60.0;
/// How long typing must pause before the search runs: a search per pause, not per keystroke.
pub const SEARCH_DEBOUNCE_SECONDS: f64 = 0.3;
/// How long a copied pass stays on the clipboard.
pub const CLIPBOARD_SECONDS: f64 = 60.0;

/// Which tab is open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    OneUser,
    Bulk,
    Audit,
}

/// What finished work hands back to the page.
pub(crate) enum Reply {
    Found(u64, Result<Vec<FoundUser>, String>),
    Checked(String, Result<Verdict, String>),
    Issued(Result<IssuedPass, String>),
    Progress(usize, usize),
    BulkDone(Result<Vec<BulkRow>, String>),
    Audit(Result<Vec<AuditRow>, String>),
    /// A CSV file read off the UI thread: the load it answers, and its bytes and preview.
    Loaded(u64, bulk::Loaded),
    /// A file dialog closed.
    Picked(files::Target, files::Picked),
    /// A file was written (its path) or why not.
    Written(files::Target, Result<std::path::PathBuf, String>),
}

/// The help-desk page's state.
pub struct HelpdeskPage {
    service: Arc<dyn HelpdeskService>,
    runtime: tokio::runtime::Handle,
    tab: Tab,
    inbox: Receiver<Reply>,
    outbox: Sender<Reply>,
    single: single::SingleState,
    bulk: bulk::BulkState,
    audit: audit::AuditState,
    clipboard_clear_at: Option<f64>,
    show_seconds: f64,
}

impl HelpdeskPage {
    /// A page that runs its work on `runtime` through `service`.
    pub fn new(service: Arc<dyn HelpdeskService>, runtime: tokio::runtime::Handle) -> Self {
        let (outbox, inbox) = channel();
        HelpdeskPage {
            service,
            runtime,
            tab: Tab::default(),
            inbox,
            outbox,
            single: Default::default(),
            bulk: Default::default(),
            audit: Default::default(),
            clipboard_clear_at: None,
            show_seconds: SHOW_SECONDS,
        }
    }

    /// Shows an issued pass for `seconds` instead of [`SHOW_SECONDS`] (demos, tests).
    pub fn with_show_seconds(mut self, seconds: f64) -> Self {
        self.show_seconds = seconds;
        self
    }

    /// Runs `work` on the runtime; its reply wakes the UI. The handle aborts work that was
    /// superseded (a search the next keystroke replaced).
    fn spawn<T: Send + 'static>(
        &self,
        ctx: &egui::Context,
        work: Pending<T>,
        reply: impl FnOnce(T) -> Reply + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let outbox = self.outbox.clone();
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let value = work.await;
            let _ = outbox.send(reply(value));
            ctx.request_repaint();
        })
    }

    /// Opens `target`'s file dialog on the runtime; [`Reply::Picked`] says how it closed.
    fn pick(&mut self, ctx: &egui::Context, target: files::Target) {
        *self.file_work(target) = files::FileWork::Choosing;
        self.spawn(ctx, Box::pin(files::pick(target)), move |p| {
            Reply::Picked(target, p)
        });
    }

    /// Writes `bytes` as a new private file at `path` on the runtime; [`Reply::Written`] says
    /// how it went.
    fn write(
        &mut self,
        ctx: &egui::Context,
        target: files::Target,
        path: std::path::PathBuf,
        bytes: Vec<u8>,
    ) {
        *self.file_work(target) = files::FileWork::Busy(path.clone());
        let work = Box::pin(files::write_new_private(path, bytes));
        self.spawn(ctx, work, move |r| Reply::Written(target, r));
    }

    /// Runs what a file row asked for.
    fn file_job(&mut self, ctx: &egui::Context, target: files::Target, job: files::FileJob) {
        match job {
            files::FileJob::Pick => self.pick(ctx, target),
            files::FileJob::Write(path, bytes) => self.write(ctx, target, path, bytes),
            files::FileJob::Refused(e) => *self.file_work(target) = files::FileWork::Failed(e),
        }
    }

    fn file_work(&mut self, target: files::Target) -> &mut files::FileWork {
        match target {
            files::Target::Csv => &mut self.bulk.csv_file,
            files::Target::Handout => &mut self.single.handout,
            files::Target::Results => &mut self.bulk.exported,
        }
    }

    /// A dialog's choice fills the path field and goes on as the action button would.
    fn picked(&mut self, target: files::Target, picked: files::Picked) {
        let files::Picked::Path(path) = picked else {
            *self.file_work(target) = files::FileWork::Picked(picked);
            return;
        };
        *self.file_work(target) = files::FileWork::Idle;
        let text = path.display().to_string();
        match target {
            files::Target::Csv => {
                self.bulk.path = text;
                self.bulk.open_requested = true;
            }
            files::Target::Handout => {
                self.single.handout_path = text;
                self.single.save_requested = true;
            }
            files::Target::Results => {
                self.bulk.export_path = text;
                self.bulk.export_requested = true;
            }
        }
    }

    fn written(&mut self, target: files::Target, r: Result<std::path::PathBuf, String>) {
        *self.file_work(target) = match r {
            Ok(path) => files::FileWork::Done(match target {
                files::Target::Handout => format!(
                    "Handout saved to {}. Open it in a browser to print it, then delete the file.",
                    path.display()
                ),
                _ => format!("Results written to {}", path.display()),
            }),
            Err(e) => files::FileWork::Failed(e),
        };
    }

    /// Whether a pass is on screen now (tests and the shell ask).
    pub fn showing_pass(&self) -> bool {
        self.single.shown.is_some()
    }

    /// Hides what must not outlive the person's attention: the pass on screen (leaving
    /// help-desk mode).
    pub fn hide_secrets(&mut self) {
        if self.single.shown.take().is_some() {
            self.single.hidden_note = true;
        }
    }

    /// Draws the page.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let now = ui.input(|i| i.time);
        while let Ok(reply) = self.inbox.try_recv() {
            match reply {
                Reply::Found(id, r) => self.single.found(id, r),
                Reply::Checked(upn, r) => self.single.checked(upn, r),
                Reply::Issued(r) => self.single.issued(r, now + self.show_seconds),
                Reply::Progress(done, total) => self.bulk.progress = Some((done, total)),
                Reply::BulkDone(r) => self.bulk.done(r),
                Reply::Audit(r) => self.audit.loaded(r),
                Reply::Loaded(id, r) => self.bulk.loaded(id, r),
                Reply::Picked(target, picked) => self.picked(target, picked),
                Reply::Written(target, r) => self.written(target, r),
            }
        }
        if let Some(at) = self.clipboard_clear_at {
            if now >= at {
                ui.ctx().copy_text(String::new());
                self.clipboard_clear_at = None;
            } else {
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_secs_f64(at - now));
            }
        }
        use crate::widgets::UiExt;
        ui.page_title("Help desk: Temporary Access Passes");
        ui.muted_label(format!("Signed in as {}", self.service.account()));
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::OneUser, "One user");
            ui.selectable_value(&mut self.tab, Tab::Bulk, "Many users (CSV)");
            ui.selectable_value(&mut self.tab, Tab::Audit, "Audit trail");
        });
        ui.separator();
        if self.tab != Tab::Audit {
            self.audit.stale();
        }
        match self.tab {
            Tab::OneUser => single::show(self, ui, now),
            Tab::Bulk => bulk::show(self, ui),
            Tab::Audit => audit::show(self, ui),
        }
    }
}
