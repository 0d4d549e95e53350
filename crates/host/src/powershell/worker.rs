//! One running worker process: its stdin for request lines, a task that reads its answer lines
//! and hands each to the request waiting for it, and the last lines of its stderr for the error
//! when it ends. Dropping it kills the process; the worker also exits by itself when its stdin
//! closes, which happens when the app exits or dies.

use super::protocol::{parse_answer, worker_ended};
use crate::HostError;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::oneshot;

/// How many stderr lines are kept for the error that explains a crash.
const STDERR_LINES: usize = 20;

type Reply = oneshot::Sender<Result<Value, HostError>>;

/// Requests waiting for their answers; closed (with the reason) once the process has ended.
#[derive(Default)]
struct Waiting {
    replies: HashMap<u64, Reply>,
    ended: Option<HostError>,
}

/// A live `powershell.exe -File hb-worker.ps1`.
pub struct WorkerProcess {
    child: Arc<tokio::sync::Mutex<Child>>,
    stdin: tokio::sync::Mutex<ChildStdin>,
    waiting: Arc<Mutex<Waiting>>,
    pid: Option<u32>,
}

impl WorkerProcess {
    /// Starts `program args…` and the tasks that read its stdout and stderr.
    pub fn spawn(program: &Path, args: Vec<OsString>) -> Result<WorkerProcess, HostError> {
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(windows)]
        {
            const CREATE_NO_WINDOW: u32 = 0x0800_0000;
            command.creation_flags(CREATE_NO_WINDOW);
        }
        let mut child = command.spawn().map_err(|e| HostError::Launch {
            program: program.display().to_string(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "not found: Windows PowerShell 5.1 ships with Windows at this path".into()
            } else {
                e.to_string()
            },
        })?;
        let launch_error = |what: &str| HostError::Launch {
            program: program.display().to_string(),
            reason: format!("no {what} pipe"),
        };
        let stdin = child.stdin.take().ok_or_else(|| launch_error("stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| launch_error("stdout"))?;
        let stderr = child.stderr.take().ok_or_else(|| launch_error("stderr"))?;
        let pid = child.id();
        let child = Arc::new(tokio::sync::Mutex::new(child));
        let waiting = Arc::new(Mutex::new(Waiting::default()));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_task = tokio::spawn(read_stderr(stderr, tail.clone()));
        tokio::spawn(read_answers(
            stdout,
            waiting.clone(),
            child.clone(),
            stderr_task,
            tail,
        ));
        Ok(WorkerProcess {
            child,
            stdin: tokio::sync::Mutex::new(stdin),
            waiting,
            pid,
        })
    }

    /// The process id, for diagnostics.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Whether the process still answers (its stdout is open).
    pub fn is_alive(&self) -> bool {
        lock(&self.waiting).ended.is_none()
    }

    /// Registers request `id`, then writes its line; the receiver gets the answer, or why the
    /// worker ended first.
    pub async fn send(
        &self,
        id: u64,
        line: &[u8],
    ) -> Result<oneshot::Receiver<Result<Value, HostError>>, HostError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut waiting = lock(&self.waiting);
            if let Some(ended) = &waiting.ended {
                return Err(ended.clone());
            }
            waiting.replies.insert(id, tx);
        }
        let mut stdin = self.stdin.lock().await;
        let written = async {
            stdin.write_all(line).await?;
            stdin.flush().await
        }
        .await;
        if let Err(e) = written {
            lock(&self.waiting).replies.remove(&id);
            return Err(HostError::PowerShell {
                exit_code: None,
                message: format!("the PowerShell worker stopped reading requests ({e})"),
            });
        }
        Ok(rx)
    }

    /// Writes a line no answer is awaited for (a stop); a worker that is gone needs none.
    pub async fn notify(&self, line: &[u8]) {
        let mut stdin = self.stdin.lock().await;
        let _ = stdin.write_all(line).await;
        let _ = stdin.flush().await;
    }

    /// Kills the process now; requests still waiting learn that it ended.
    pub async fn kill(&self) {
        let _ = self.child.lock().await.start_kill();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.try_lock() {
            let _ = child.start_kill();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn read_stderr(stderr: tokio::process::ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr);
    let mut buf = Vec::new();
    while let Ok(n) = lines.read_until(b'\n', &mut buf).await {
        if n == 0 {
            break;
        }
        let mut tail = lock(&tail);
        if tail.len() == STDERR_LINES {
            tail.pop_front();
        }
        tail.push_back(String::from_utf8_lossy(&buf).trim_end().to_string());
        buf.clear();
    }
}

async fn read_answers(
    stdout: tokio::process::ChildStdout,
    waiting: Arc<Mutex<Waiting>>,
    child: Arc<tokio::sync::Mutex<Child>>,
    stderr_task: tokio::task::JoinHandle<()>,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let mut reader = BufReader::new(stdout);
    let mut buf = Vec::new();
    while let Ok(n) = reader.read_until(b'\n', &mut buf).await {
        if n == 0 {
            break;
        }
        if let Some((id, outcome)) = parse_answer(&String::from_utf8_lossy(&buf))
            && let Some(reply) = lock(&waiting).replies.remove(&id)
        {
            let _ = reply.send(outcome);
        }
        buf.clear();
    }
    // Stdout closed: the process is ending. Its last stderr lines and exit code say why.
    let _ = tokio::time::timeout(Duration::from_secs(2), stderr_task).await;
    let exit_code = {
        let mut child = child.lock().await;
        match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => {
                let _ = child.start_kill();
                None
            }
        }
    };
    let stderr: Vec<String> = lock(&tail).iter().cloned().collect();
    let ended = worker_ended(exit_code, &stderr);
    let replies = {
        let mut waiting = lock(&waiting);
        waiting.ended = Some(ended.clone());
        std::mem::take(&mut waiting.replies)
    };
    for (_, reply) in replies {
        let _ = reply.send(Err(ended.clone()));
    }
}
