//! "Export report": choose where (a save dialog, or a path given up front), then build and write
//! the HTML and JSON report on the runtime. The UI only starts it and renders [`ExportState`].

use hb_lab::session::LabState;
use hb_report::{ReportData, write_report};
use std::path::PathBuf;
use std::sync::mpsc;
use tokio::runtime::Handle;

/// The file name the save dialog proposes.
pub const DEFAULT_FILE_NAME: &str = "hello-bootstrap-report.html";

/// Where the summary proposes to save the report when no save dialog is used: the Documents
/// folder (or the home folder), or under `HELLO_BOOTSTRAP_HOME` when that keeps every file of ours.
pub fn fallback_path() -> PathBuf {
    let dir = if let Some(home) = std::env::var_os(hb_lab::paths::HOME_ENV) {
        PathBuf::from(home)
    } else {
        let home = std::env::var_os("USERPROFILE")
            .or_else(|| std::env::var_os("HOME"))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let documents = home.join("Documents");
        if documents.is_dir() { documents } else { home }
    };
    dir.join(DEFAULT_FILE_NAME)
}

/// Where an export stands, as the summary page shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportState {
    /// The dialog is open or the report is being written.
    Running,
    Saved {
        html: PathBuf,
        json: PathBuf,
    },
    /// The save dialog was closed without a choice, or could not open at all (no desktop
    /// portal): the dialog does not tell which, so the page offers a path field either way.
    Cancelled,
    /// Why the report was not written, with what to do.
    Failed(String),
}

/// Starts an export on `runtime`: with `path`, writes there; without, asks with a save dialog
/// first. The outcome arrives on the returned receiver, and `wake` is called when it does.
pub fn start(
    runtime: &Handle,
    lab: LabState,
    path: Option<PathBuf>,
    wake: impl Fn() + Send + 'static,
) -> mpsc::Receiver<ExportState> {
    let (tx, rx) = mpsc::channel();
    runtime.spawn(async move {
        let outcome = export(lab, path).await;
        let _ = tx.send(outcome);
        wake();
    });
    rx
}

async fn export(lab: LabState, path: Option<PathBuf>) -> ExportState {
    let path = match path {
        Some(path) => path,
        None => match rfd::AsyncFileDialog::new()
            .set_title("Export the lab report")
            .set_file_name(DEFAULT_FILE_NAME)
            .add_filter("HTML report", &["html"])
            .save_file()
            .await
        {
            Some(handle) => handle.path().to_path_buf(),
            None => return ExportState::Cancelled,
        },
    };
    let written = tokio::task::spawn_blocking(move || {
        let data = ReportData::from_lab(&lab)?;
        write_report(&path, &data)
    })
    .await;
    match written {
        Ok(Ok((html, json))) => ExportState::Saved { html, json },
        Ok(Err(e)) => ExportState::Failed(e.to_string()),
        Err(_) => ExportState::Failed(
            "writing the report stopped on an internal error; try again, and report it if it repeats."
                .into(),
        ),
    }
}
