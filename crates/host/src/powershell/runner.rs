//! Runs the fixed scripts in one long-lived PowerShell worker per app (`hb-worker.ps1`, started
//! with `-File` from the app's folder): started on first use, restarted when it crashed or had
//! to be killed, killed when the last runner clone is dropped. Requests run in lanes by kind, one
//! in flight per lane; a read-only request identical to the one in flight joins it instead of
//! queueing behind it, so the VM screen's polling never piles up.

use super::protocol::{
    Request, RequestKind, Stop, line, worker_args, worker_ended, worker_script_text,
};
use super::scripts;
use super::worker::WorkerProcess;
use crate::HostError;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Where Windows keeps itself when `SystemRoot` is unset or unusable.
pub const DEFAULT_SYSTEM_ROOT: &str = r"C:\Windows";

/// The worker script's file name, installed beside the executables.
pub const WORKER_FILE: &str = "hb-worker.ps1";

/// The worker script this build ships; the file beside the app must be exactly this text.
pub const WORKER_SCRIPT: &str = include_str!("../../worker/hb-worker.ps1");

/// How long a timed-out or cancelled request may take to stop before the worker is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(2);

/// The in-box Windows PowerShell 5.1: `<system_root>\System32\WindowsPowerShell\v1.0\powershell.exe`.
/// `system_root` is the `SystemRoot` environment variable; anything but an absolute drive path
/// (`X:\…`) falls back to [`DEFAULT_SYSTEM_ROOT`], so an empty or relative value cannot make us
/// run a `powershell.exe` from wherever we happen to be. A pure function, so it is tested on any OS.
pub fn system_powershell(system_root: Option<&std::ffi::OsStr>) -> PathBuf {
    let root = system_root
        .and_then(|r| r.to_str())
        .map(|r| r.trim().trim_end_matches(['\\', '/']))
        .filter(|r| is_absolute_drive_path(r))
        .unwrap_or(DEFAULT_SYSTEM_ROOT);
    PathBuf::from(format!(
        r"{root}\System32\WindowsPowerShell\v1.0\powershell.exe"
    ))
}

/// `C:\Windows`-like: a drive letter, a colon, a backslash, and no characters Windows forbids
/// in paths.
fn is_absolute_drive_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 4
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'\\'
        && !path[2..].contains(['"', '<', '>', '|', '?', '*', ':', '/'])
        && !path.split('\\').any(|part| part == "..")
}

/// The worker script of an installed app (beside the executable), else the one in this source
/// tree (a development build run from `target/`).
pub fn installed_worker_script() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(WORKER_FILE)))
        .filter(|path| path.is_file())
        .unwrap_or_else(source_worker_script)
}

/// `crates/host/worker/hb-worker.ps1` in the source tree this crate was built from.
pub fn source_worker_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("worker")
        .join(WORKER_FILE)
}

/// Which lane a fixed script runs in: the thumbnail in the screen lane, read-only questions in
/// the poll lane, everything else (and any script added later) among the changes.
pub fn kind_of(script: &str) -> RequestKind {
    if script == scripts::SCREENSHOT {
        RequestKind::Screen
    } else if [
        scripts::FEATURE_STATE,
        scripts::LIST_VMS,
        scripts::GET_VM,
        scripts::VM_STATE,
        scripts::LIST_CHECKPOINTS,
        scripts::GET_ENHANCED_SESSION,
    ]
    .contains(&script)
    {
        RequestKind::Poll
    } else {
        RequestKind::Change
    }
}

/// The app's PowerShell: where it is, the worker script it runs, and how long one request may
/// take. Clones share one worker process.
#[derive(Clone)]
pub struct PowerShellRunner {
    /// `powershell.exe` on Windows; tests point it at a fake.
    pub program: PathBuf,
    /// The script the worker runs (`hb-worker.ps1`).
    pub worker_script: PathBuf,
    /// How long one request may run before it is stopped.
    pub timeout: Duration,
    /// The text the worker script must have (the real app checks it; a fake has its own).
    expected_script: Option<&'static str>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PowerShellRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PowerShellRunner")
            .field("program", &self.program)
            .field("worker_script", &self.worker_script)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Shared {
    worker: tokio::sync::Mutex<Option<Arc<WorkerProcess>>>,
    next_id: AtomicU64,
    started: AtomicU64,
    lanes: [Lane; 3],
}

/// What a request that joins the one in flight waits on.
type Outcome = watch::Receiver<Option<Result<Value, HostError>>>;

#[derive(Default)]
struct Lane {
    /// Held while a request of this kind is with the worker.
    busy: tokio::sync::Mutex<()>,
    /// The read-only request in flight (its script and input, a generation, its outcome).
    joinable: Mutex<Option<(String, u64, Outcome)>>,
}

impl PowerShellRunner {
    /// Windows PowerShell 5.1 by full path under `%SystemRoot%`, with a timeout long enough for
    /// `Enable-WindowsOptionalFeature`. Never found through PATH: a `powershell.exe` planted in
    /// a folder on PATH (or the current directory) would otherwise run elevated with our scripts.
    pub fn system() -> PowerShellRunner {
        PowerShellRunner {
            program: system_powershell(std::env::var_os("SystemRoot").as_deref()),
            worker_script: installed_worker_script(),
            timeout: Duration::from_secs(600),
            expected_script: Some(WORKER_SCRIPT),
            shared: Arc::default(),
        }
    }

    /// A runner for any PowerShell executable (tests point it at a fake), with the source
    /// tree's worker script.
    pub fn new(program: impl Into<PathBuf>, timeout: Duration) -> PowerShellRunner {
        PowerShellRunner {
            program: program.into(),
            worker_script: source_worker_script(),
            timeout,
            expected_script: None,
            shared: Arc::default(),
        }
    }

    /// The same runner with the worker script at `path` (tests use a file of their own).
    pub fn with_worker_script(mut self, path: impl Into<PathBuf>) -> PowerShellRunner {
        self.worker_script = path.into();
        self
    }

    /// How many worker processes this runner (and its clones) started so far.
    pub fn workers_started(&self) -> u64 {
        self.shared.started.load(Ordering::Relaxed)
    }

    /// The live worker's process id, if one runs.
    pub async fn worker_pid(&self) -> Option<u32> {
        let worker = self.shared.worker.lock().await;
        worker
            .as_ref()
            .filter(|w| w.is_alive())
            .and_then(|w| w.pid())
    }

    /// Runs `script` with `input` as its `$in` and returns the script's `data`, in the lane
    /// [`kind_of`] chooses.
    pub async fn run(
        &self,
        script: &'static str,
        input: &Value,
        cancel: &CancellationToken,
    ) -> Result<Value, HostError> {
        self.run_as(kind_of(script), script, input, cancel).await
    }

    /// Runs `script` in the lane of `kind`: after the request of that kind in flight, or, for a
    /// read-only kind with the same script and input, with its answer.
    pub async fn run_as(
        &self,
        kind: RequestKind,
        script: &'static str,
        input: &Value,
        cancel: &CancellationToken,
    ) -> Result<Value, HostError> {
        let lane = &self.shared.lanes[kind.index()];
        let mut publish = None;
        if kind.joins_in_flight() {
            let key = format!("{}\n{input}", script.as_ptr() as usize);
            let joined = {
                let mut slot = lock(&lane.joinable);
                match slot.as_ref() {
                    Some((k, _, outcome)) if *k == key && outcome.has_changed().is_ok() => {
                        Some(outcome.clone())
                    }
                    _ => {
                        let generation = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
                        let (tx, rx) = watch::channel(None);
                        *slot = Some((key, generation, rx));
                        publish = Some((tx, generation));
                        None
                    }
                }
            };
            if let Some(mut outcome) = joined {
                tokio::select! {
                    done = outcome.wait_for(Option::is_some) => {
                        if let Ok(done) = done && let Some(result) = done.clone() {
                            return result;
                        }
                    }
                    _ = cancel.cancelled() => return Err(HostError::Cancelled),
                }
                // The request we joined was dropped unanswered: run ours.
            }
        }
        let result = {
            let _turn = tokio::select! {
                turn = lane.busy.lock() => turn,
                _ = cancel.cancelled() => return Err(HostError::Cancelled),
            };
            self.exchange(kind, script, input, cancel).await
        };
        if let Some((tx, generation)) = publish {
            let _ = tx.send(Some(result.clone()));
            let mut slot = lock(&lane.joinable);
            if slot.as_ref().is_some_and(|(_, g, _)| *g == generation) {
                *slot = None;
            }
        }
        result
    }

    /// The live worker, started (or restarted) as needed.
    async fn worker(&self) -> Result<Arc<WorkerProcess>, HostError> {
        let mut slot = self.shared.worker.lock().await;
        if let Some(worker) = slot.as_ref().filter(|w| w.is_alive()) {
            return Ok(worker.clone());
        }
        *slot = None;
        self.check_worker_script()?;
        let worker = Arc::new(WorkerProcess::spawn(
            &self.program,
            worker_args(&self.worker_script),
        )?);
        self.shared.started.fetch_add(1, Ordering::Relaxed);
        *slot = Some(worker.clone());
        Ok(worker)
    }

    /// The installed worker script must be the one this build ships: an older file beside a
    /// newer app would answer a protocol it does not speak.
    fn check_worker_script(&self) -> Result<(), HostError> {
        let Some(expected) = self.expected_script else {
            return Ok(());
        };
        let launch = |reason: String| HostError::Launch {
            program: self.worker_script.display().to_string(),
            reason,
        };
        let found = std::fs::read_to_string(&self.worker_script)
            .map_err(|e| launch(format!("{e}: reinstall Hello Bootstrap to restore it")))?;
        if found.replace("\r\n", "\n") != expected.replace("\r\n", "\n") {
            return Err(launch(
                "it is not the worker script of this version: reinstall Hello Bootstrap".into(),
            ));
        }
        Ok(())
    }

    /// One request with the worker: sent, answered within the timeout, or stopped.
    async fn exchange(
        &self,
        kind: RequestKind,
        script: &'static str,
        input: &Value,
        cancel: &CancellationToken,
    ) -> Result<Value, HostError> {
        let text = worker_script_text(script).ok_or_else(|| HostError::PowerShell {
            exit_code: None,
            message: "not one of the app's fixed scripts".into(),
        })?;
        let worker = self.worker().await?;
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let mut answer = worker
            .send(
                id,
                &line(&Request {
                    id,
                    kind,
                    script: &text,
                    input,
                }),
            )
            .await?;
        let mut guard = StopOnDrop {
            worker: Some(worker.clone()),
            id,
        };
        let outcome = tokio::select! {
            answer = &mut answer => {
                guard.worker = None;
                return answer.unwrap_or_else(|_| Err(worker_ended(None, &[])));
            }
            _ = tokio::time::sleep(self.timeout) => HostError::Timeout {
                what: "the PowerShell command".into(),
                after: self.timeout,
            },
            _ = cancel.cancelled() => HostError::Cancelled,
        };
        guard.worker = None;
        worker.notify(&line(&Stop { id, stop: true })).await;
        if tokio::time::timeout(STOP_GRACE, &mut answer).await.is_err() {
            // The script ignores the stop (a hung WMI call): end the worker; the next request
            // starts a fresh one.
            worker.kill().await;
            let mut slot = self.shared.worker.lock().await;
            if slot.as_ref().is_some_and(|w| Arc::ptr_eq(w, &worker)) {
                *slot = None;
            }
        }
        Err(outcome)
    }
}

/// Stops the worker's pipeline for a request whose caller went away before its answer.
struct StopOnDrop {
    worker: Option<Arc<WorkerProcess>>,
    id: u64,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let id = self.id;
            runtime.spawn(async move { worker.notify(&line(&Stop { id, stop: true })).await });
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn powershell_comes_from_system32_of_system_root() {
        let exe = r"\System32\WindowsPowerShell\v1.0\powershell.exe";
        assert_eq!(
            system_powershell(Some(OsStr::new(r"D:\Win"))),
            PathBuf::from(format!(r"D:\Win{exe}"))
        );
        assert_eq!(
            system_powershell(Some(OsStr::new(r"C:\WINDOWS\"))),
            PathBuf::from(format!(r"C:\WINDOWS{exe}"))
        );
        for unusable in [
            "",
            "Windows",
            r"\\server\share",
            r"C:",
            r"C:\..\x",
            "C:\\a\"b",
            "/usr",
        ] {
            assert_eq!(
                system_powershell(Some(OsStr::new(unusable))),
                PathBuf::from(format!(r"C:\Windows{exe}")),
                "{unusable:?}"
            );
        }
        assert_eq!(
            system_powershell(None),
            PathBuf::from(format!(r"C:\Windows{exe}"))
        );
    }

    #[test]
    fn the_screen_and_read_only_scripts_have_lanes_of_their_own() {
        assert_eq!(kind_of(scripts::SCREENSHOT), RequestKind::Screen);
        assert_eq!(kind_of(scripts::VM_STATE), RequestKind::Poll);
        assert_eq!(kind_of(scripts::CREATE_VM), RequestKind::Change);
        assert_eq!(kind_of(scripts::TYPE_TEXT), RequestKind::Change);
    }

    #[test]
    fn the_source_tree_worker_is_the_shipped_one() {
        let text = std::fs::read_to_string(source_worker_script()).unwrap();
        assert_eq!(text, WORKER_SCRIPT);
    }

    #[tokio::test]
    async fn a_stale_worker_script_beside_the_app_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(WORKER_FILE);
        std::fs::write(&stale, "# an older worker\n").unwrap();
        let mut runner = PowerShellRunner::system().with_worker_script(&stale);
        runner.program = PathBuf::from("/nonexistent/powershell");
        let err = runner
            .run(scripts::LIST_VMS, &Value::Null, &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("reinstall"), "{err}");
        assert_eq!(runner.workers_started(), 0);
    }
}
