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

/// Where Windows keeps itself when `SystemRoot` is unset or unusable.
pub const DEFAULT_SYSTEM_ROOT: &str = r"C:\Windows";

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

/// Where PowerShell is and how long one script may take.
#[derive(Clone, Debug)]
pub struct PowerShellRunner {
    /// `powershell.exe` on Windows; tests point it at a fake.
    pub program: PathBuf,
    /// How long one script may run before it is killed.
    pub timeout: Duration,
}

impl PowerShellRunner {
    /// Windows PowerShell 5.1 by full path under `%SystemRoot%`, with a timeout long enough for
    /// `Enable-WindowsOptionalFeature`. Never found through PATH: a `powershell.exe` planted in
    /// a folder on PATH (or the current directory) would otherwise run elevated with our scripts.
    pub fn system() -> PowerShellRunner {
        PowerShellRunner {
            program: system_powershell(std::env::var_os("SystemRoot").as_deref()),
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
                "not found: Windows PowerShell 5.1 ships with Windows at this path".into()
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
}
