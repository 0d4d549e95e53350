//! The help-desk page's files: the pickers (rfd's async dialogs) and the private writes run on
//! the app's runtime, so the UI thread never waits on a dialog or a disk. A button pushes the
//! job, its outcome comes back as a [`super::Reply`] that wakes the UI, and the field row shows
//! where it stands. The typed path field always stays; when no dialog can open (no desktop
//! portal, as under Xvfb), the row says so and the field is the way.

use crate::widgets::{Alert, UiExt};
use egui::Ui;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Which file field a job belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The CSV to preview and issue for (opened).
    Csv,
    /// The printable handout of one pass (saved).
    Handout,
    /// The bulk results (saved).
    Results,
}

/// How a picker ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Picked {
    Path(PathBuf),
    /// The person closed the dialog without a choice.
    Cancelled,
    /// No dialog could open here (why).
    Unavailable(String),
}

/// Where one file field's work stands, as its row shows it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) enum FileWork {
    #[default]
    Idle,
    /// The dialog is open.
    Choosing,
    /// Reading or writing this path on the runtime.
    Busy(PathBuf),
    /// Done, in words (names the path).
    Done(String),
    /// Failed, in words (names the path and the OS error).
    Failed(String),
    Picked(Picked),
}

/// What the person pressed on a file row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowAction {
    None,
    Browse,
    Act,
}

/// What a file row asks for, built while the page's data is at hand and run once the frame's
/// borrows are over.
pub(crate) enum FileJob {
    Pick,
    /// Write these bytes to this path.
    Write(PathBuf, Vec<u8>),
    /// The typed path cannot be used (why).
    Refused(String),
}

impl FileJob {
    /// The job for a save row's `action`, `bytes` built only when there is something to write.
    pub(crate) fn for_save(
        action: RowAction,
        target: Target,
        path: &str,
        bytes: impl FnOnce() -> Vec<u8>,
    ) -> Option<FileJob> {
        match action {
            RowAction::None => None,
            RowAction::Browse => Some(FileJob::Pick),
            RowAction::Act => Some(match typed(path, target) {
                Ok(path) => FileJob::Write(path, bytes()),
                Err(e) => FileJob::Refused(e),
            }),
        }
    }
}

/// A returned `None` this soon means the dialog never showed: nobody closes one this fast.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(300);

/// Asks with a dialog where `target`'s file is (or goes), off the UI thread.
pub(crate) async fn pick(target: Target) -> Picked {
    if let Some(why) = no_dialog_here() {
        return Picked::Unavailable(why);
    }
    let started = Instant::now();
    // What the dialog says, and the name a save proposes (`None`: open an existing file).
    let (title, kind, extensions, save_as) = match target {
        Target::Csv => ("Open a CSV of users", "CSV", &["csv", "txt"][..], None),
        Target::Handout => (
            "Save the printable handout",
            "Web page",
            &["html"][..],
            Some("handout.html"),
        ),
        Target::Results => (
            "Export the results",
            "CSV",
            &["csv"][..],
            Some("results.csv"),
        ),
    };
    let dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(kind, extensions);
    let chosen = match save_as {
        None => dialog.pick_file().await,
        Some(name) => dialog.set_file_name(name).save_file().await,
    };
    closed(chosen.map(|h| h.path().to_path_buf()), started.elapsed())
}

/// rfd answers `None` both when the person cancels and when no dialog could open; only the
/// time it took tells them apart.
fn closed(chosen: Option<PathBuf>, after: Duration) -> Picked {
    match chosen {
        Some(path) => Picked::Path(path),
        None if cfg!(all(unix, not(target_os = "macos"))) && after < NO_DIALOG_WITHIN => {
            Picked::Unavailable(
                "the file dialog closed at once without showing (no desktop file chooser portal or zenity answered)".into(),
            )
        }
        None => Picked::Cancelled,
    }
}

/// Why no dialog can open here, known before trying: on Linux and the BSDs rfd needs a session
/// bus (for the desktop portal) or zenity. Windows and macOS always have their own.
fn no_dialog_here() -> Option<String> {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return None;
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| Path::new(&dir).join("bus").exists())
        || on_path("dbus-launch");
    (!bus && !on_path("zenity"))
        .then(|| "no desktop session bus for the file chooser portal, and no zenity".to_string())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Writes `bytes` as a new file at `path` that only its owner may read, off the UI thread:
/// written whole to a private temp file beside it, flushed, then linked into place only if
/// nothing is there, so a crash leaves no half file and an existing file is never replaced.
pub(crate) async fn write_new_private(path: PathBuf, bytes: Vec<u8>) -> Result<PathBuf, String> {
    tokio::task::spawn_blocking(move || write_private(&path, &bytes).map(|()| path))
        .await
        .unwrap_or_else(|_| Err("writing stopped on an internal error; try again".into()))
}

/// [`write_new_private`] on the calling thread.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), unique()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let placed = written.and_then(|()| place_new(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    placed.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} already exists: choose a new file name", path.display())
        } else {
            failed(e)
        }
    })
}

/// Puts the finished temp file at `path` only if nothing is there: a hard link fails when the
/// name is taken, so nothing is replaced even by a racing writer. Where the file system has no
/// hard links (FAT), a checked rename stands in.
fn place_new(tmp: &Path, path: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(tmp, path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists && !path.exists() => {
            std::fs::rename(tmp, path)
        }
        other => other,
    }
}

/// A number no other write of this process uses at the same time.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One file row: the label and the path field (the fallback that always works), the dialog
/// button and the action button; then where its work stands.
pub(crate) fn row(
    ui: &mut Ui,
    label: &str,
    path: &mut String,
    hint: &str,
    buttons: (&str, &str),
    work: &FileWork,
) -> RowAction {
    let busy = matches!(work, FileWork::Choosing | FileWork::Busy(_));
    let mut action = RowAction::None;
    ui.horizontal(|ui| {
        let label = ui.label(label);
        let field = ui
            .add(
                egui::TextEdit::singleline(path)
                    .desired_width(320.0)
                    .hint_text(hint),
            )
            .labelled_by(label.id);
        if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !busy {
            action = RowAction::Act;
        }
        ui.add_enabled_ui(!busy, |ui| {
            if ui.button(buttons.0).clicked() {
                action = RowAction::Browse;
            }
            if ui.button(buttons.1).clicked() {
                action = RowAction::Act;
            }
        });
    });
    status(ui, work);
    action
}

fn status(ui: &mut Ui, work: &FileWork) {
    match work {
        FileWork::Idle => {}
        FileWork::Choosing => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("The file dialog is open…");
            });
        }
        FileWork::Busy(path) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Writing {}…", path.display()));
            });
        }
        FileWork::Done(text) => {
            ui.success_label(text.clone());
        }
        FileWork::Failed(text) => {
            ui.error_label(text.clone());
        }
        FileWork::Picked(Picked::Cancelled) => {
            ui.muted_label("No file was chosen. Type the path in the field, or choose again.");
        }
        FileWork::Picked(Picked::Unavailable(why)) => {
            Alert::warning().show_text(
                ui,
                "No file dialog can open here",
                Some(&format!("{why}. Type the path in the field instead.")),
            );
        }
        FileWork::Picked(Picked::Path(_)) => {}
    }
}

/// The typed path, or why it cannot be used.
pub(crate) fn typed(path: &str, target: Target) -> Result<PathBuf, String> {
    let path = path.trim();
    if path.is_empty() {
        return Err(match target {
            Target::Csv => "Type the CSV file's path, or pick it with Browse…".into(),
            Target::Handout => "Type where the handout goes, e.g. handout.html".into(),
            Target::Results => "Type where the results go, e.g. results.csv".into(),
        });
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_private_file_is_written_whole_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("handout.html");
        write_private(&path, b"x").unwrap();
        let again = write_private(&path, b"y").unwrap_err();
        assert_eq!(
            again,
            format!("{} already exists: choose a new file name", path.display())
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_failed_write_names_the_path_and_the_os_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no such folder").join("results.csv");
        let e = write_private(&path, b"x").unwrap_err();
        assert!(
            e.starts_with(&format!("cannot write {}: ", path.display())),
            "{e}"
        );
        assert!(e.contains("os error"), "{e}");
    }

    #[test]
    fn a_dialog_closed_at_once_could_not_open_and_one_closed_later_was_cancelled() {
        let later = closed(None, Duration::from_secs(2));
        assert_eq!(later, Picked::Cancelled);
        let at_once = closed(None, Duration::from_millis(5));
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert!(matches!(at_once, Picked::Unavailable(_)), "{at_once:?}");
        } else {
            assert_eq!(at_once, Picked::Cancelled);
        }
        let p = PathBuf::from("a.csv");
        assert_eq!(closed(Some(p.clone()), Duration::ZERO), Picked::Path(p));
    }
}
