//! Runs one fixed script in a child PowerShell process: input on stdin, answer on stdout, stderr
//! captured, killed on timeout, cancellation, or when the caller drops the future.

use super::protocol::{command_args, parse_output, stdin_payload};
use crate::HostError;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

/// Where PowerShell is and how long one script may take.
#[derive(Clone, Debug)]
pub struct PowerShellRunner {
    /// `powershell.exe` on Windows; tests point it at a fake.
    pub program: PathBuf,
    pub timeout: Duration,
}

impl PowerShellRunner {
    /// Windows PowerShell 5.1 (found on PATH), with a timeout long enough for `Enable-WindowsOptionalFeature`.
    pub fn system() -> PowerShellRunner {
        PowerShellRunner {
            program: PathBuf::from("powershell.exe"),
            timeout: Duration::from_secs(600),
        }
    }

    /// A runner for any PowerShell executable (tests point it at a fake).
    pub fn new(program: impl Into<PathBuf>, timeout: Duration) -> PowerShellRunner {
        PowerShellRunner {
            program: program.into(),
            timeout,
        }
    }

    /// Runs `script` with `input` on stdin and returns the script's `data`.
    pub async fn run(
        &self,
        script: &'static str,
        input: &Value,
        cancel: &CancellationToken,
    ) -> Result<Value, HostError> {
        let program = self.program.display().to_string();
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(command_args(script))
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
            program: program.clone(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "not found: Windows PowerShell 5.1 is part of Windows; check PATH".into()
            } else {
                e.to_string()
            },
        })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A script that exits without reading stdin closes the pipe; its answer tells why.
            let _ = stdin.write_all(stdin_payload(input).as_bytes()).await;
            let _ = stdin.shutdown().await;
        }
        tokio::select! {
            output = child.wait_with_output() => {
                let output = output.map_err(|e| HostError::Launch { program, reason: e.to_string() })?;
                parse_output(&output.stdout, &output.stderr, output.status.code())
            }
            _ = tokio::time::sleep(self.timeout) => Err(HostError::Timeout {
                what: "the PowerShell command".into(),
                after: self.timeout,
            }),
            _ = cancel.cancelled() => Err(HostError::Cancelled),
        }
    }
}
