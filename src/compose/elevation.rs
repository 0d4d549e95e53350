//! Elevation and the resume after the Hyper-V restart, on Windows.
//!
//! The choice: both executables run as the invoking user (`asInvoker` in the manifest), so the
//! demo, the cloud steps and the CLI's read-only commands never raise a User Account Control
//! prompt. The host steps (3, 4, 7) need an elevated token (`Get-WindowsOptionalFeature -Online`
//! does; membership of Hyper-V Administrators alone does not). The wizard then offers "Restart as
//! administrator": it starts `hello-bootstrap-wizard.exe --resume-step N` through ShellExecuteEx
//! with the `runas` verb and closes, and the elevated copy opens on that step with the session
//! file as it was. The CLI cannot elevate the terminal it runs in, so it prints the exact command
//! to run again from a terminal opened as administrator.
//!
//! Before step 3 asks for the restart, a `HKCU\…\RunOnce` value is written: at the next sign-in
//! Windows starts `hello-bootstrap-wizard.exe --resume-step 3` once, deleting the value before it
//! runs it, so nothing is left behind. RunOnce starts programs without elevation, so the wizard
//! reopens unelevated on step 3 and offers "Restart as administrator" there.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The wizard executable's file name, beside `hello-bootstrap.exe`.
pub const WIZARD_EXE: &str = "hello-bootstrap-wizard.exe";

/// The per-user key whose values Windows runs once at the next sign-in.
pub const RUN_ONCE_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\RunOnce";

/// Our value under [`RUN_ONCE_KEY`].
pub const RUN_ONCE_VALUE: &str = "HelloBootstrapResume";

/// The longest command line a Run or RunOnce value may hold (Microsoft's "Run and RunOnce
/// Registry Keys" page).
pub const RUN_ONCE_MAX_CHARS: usize = 260;

/// The wizard beside the running executable.
pub fn wizard_exe() -> PathBuf {
    std::env::current_exe()
        .map(|exe| exe.with_file_name(WIZARD_EXE))
        .unwrap_or_else(|_| PathBuf::from(WIZARD_EXE))
}

/// Quotes one argument the way `CommandLineToArgvW` and the C runtime read it back: in quotes
/// when it is empty or holds a space, tab or quote; backslashes doubled only before a quote.
pub fn quote_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '"']) {
        return arg.to_string();
    }
    let mut out = String::from('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            other => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(other);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

/// A whole command line: the program and its arguments, each quoted as needed.
pub fn command_line<'a>(program: &'a Path, args: impl IntoIterator<Item = &'a OsStr>) -> String {
    std::iter::once(program.as_os_str())
        .chain(args)
        .map(|a| quote_arg(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The arguments that reopen the wizard on `step` (1-7).
pub fn resume_args(step: u8) -> String {
    format!("--resume-step {step}")
}

/// What the RunOnce value holds: the wizard, reopening on `step`; refused when the install
/// folder is so deep that the command line would pass Windows' limit for these values.
pub fn run_once_command(wizard: &Path, step: u8) -> Result<String, String> {
    let command = format!(
        "{} {}",
        quote_arg(&wizard.to_string_lossy()),
        resume_args(step)
    );
    if command.encode_utf16().count() > RUN_ONCE_MAX_CHARS {
        return Err(format!(
            "the wizard's path is too long for Windows to reopen it after the restart ({} characters, at most {RUN_ONCE_MAX_CHARS}): after the restart, open Hello Bootstrap yourself; it resumes on step 3",
            command.encode_utf16().count()
        ));
    }
    Ok(command)
}

/// What the CLI prints when it runs without elevation and a host step needs it: the exact
/// command to run again, from a terminal opened as administrator.
pub fn rerun_elevated_hint(command: &str) -> String {
    format!(
        "Hyper-V needs administrator rights, and this terminal has none. Open Terminal as \
         administrator (right-click Terminal > Run as administrator) and run:\n  {command}"
    )
}

/// What the CLI prints when step 3 leaves Windows waiting for a restart.
pub fn resume_notice(command: &str) -> String {
    format!(
        "Restart Windows to finish enabling Hyper-V. At your next sign-in, Windows reopens the \
         wizard on step 3 once (HKCU RunOnce: {command}); Windows deletes that entry as it runs it."
    )
}

#[cfg(windows)]
mod windows {
    use super::*;
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Foundation::{CloseHandle, ERROR_CANCELLED, GetLastError, HANDLE};
    use windows_sys::Win32::Security::{
        GetTokenInformation, TOKEN_ELEVATION, TOKEN_QUERY, TokenElevation,
    };
    use windows_sys::Win32::System::Registry::{HKEY_CURRENT_USER, REG_SZ, RegSetKeyValueW};
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
    use windows_sys::Win32::UI::Shell::{SEE_MASK_NOASYNC, SHELLEXECUTEINFOW, ShellExecuteExW};
    use windows_sys::Win32::UI::WindowsAndMessaging::SW_SHOWNORMAL;

    fn wide(text: &OsStr) -> Vec<u16> {
        text.encode_wide().chain(std::iter::once(0)).collect()
    }

    /// Whether this process holds an elevated token (`TokenElevation`).
    pub fn is_elevated() -> bool {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo handle; `token` is a valid out pointer.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return false;
        }
        let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
        let mut size = 0u32;
        // SAFETY: the buffer is a TOKEN_ELEVATION of the size passed; the token is open.
        let ok = unsafe {
            GetTokenInformation(
                token,
                TokenElevation,
                (&mut elevation as *mut TOKEN_ELEVATION).cast(),
                std::mem::size_of::<TOKEN_ELEVATION>() as u32,
                &mut size,
            )
        };
        // SAFETY: the token was opened above and is closed once.
        unsafe { CloseHandle(token) };
        ok != 0 && elevation.TokenIsElevated != 0
    }

    /// Starts the wizard elevated on `step` (Windows shows its consent prompt).
    pub fn restart_as_admin(step: u8) -> Result<(), String> {
        let verb = wide(OsStr::new("runas"));
        let file = wide(wizard_exe().as_os_str());
        let params = wide(OsStr::new(&resume_args(step)));
        // SAFETY: an all-zero SHELLEXECUTEINFOW is its documented empty value.
        let mut info: SHELLEXECUTEINFOW = unsafe { std::mem::zeroed() };
        info.cbSize = std::mem::size_of::<SHELLEXECUTEINFOW>() as u32;
        info.fMask = SEE_MASK_NOASYNC;
        info.lpVerb = verb.as_ptr();
        info.lpFile = file.as_ptr();
        info.lpParameters = params.as_ptr();
        info.nShow = SW_SHOWNORMAL;
        // SAFETY: every string outlives the call and is NUL-terminated.
        if unsafe { ShellExecuteExW(&mut info) } != 0 {
            return Ok(());
        }
        // SAFETY: reads the calling thread's last error.
        match unsafe { GetLastError() } {
            ERROR_CANCELLED => Err(
                "you declined the administrator prompt: choose Restart as administrator again and select Yes"
                    .into(),
            ),
            code => Err(format!(
                "Windows could not start {} as administrator (error {code})",
                wizard_exe().display()
            )),
        }
    }

    /// Writes the RunOnce value that reopens the wizard on `step` at the next sign-in; returns
    /// the command it holds.
    pub fn register_resume(step: u8) -> Result<String, String> {
        let command = run_once_command(&wizard_exe(), step)?;
        let key = wide(OsStr::new(RUN_ONCE_KEY));
        let name = wide(OsStr::new(RUN_ONCE_VALUE));
        let data = wide(OsStr::new(&command));
        // SAFETY: the strings are NUL-terminated; cbData counts the data's bytes with its NUL.
        let status = unsafe {
            RegSetKeyValueW(
                HKEY_CURRENT_USER,
                key.as_ptr(),
                name.as_ptr(),
                REG_SZ,
                data.as_ptr().cast(),
                (data.len() * 2) as u32,
            )
        };
        if status == 0 {
            Ok(command)
        } else {
            Err(format!(
                "cannot register the wizard to reopen after the restart (error {status}): reopen it yourself on step 3"
            ))
        }
    }
}

#[cfg(windows)]
pub use windows::{is_elevated, register_resume, restart_as_admin};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_as_windows_reads_them_back() {
        assert_eq!(quote_arg("run"), "run");
        assert_eq!(quote_arg(""), r#""""#);
        assert_eq!(
            quote_arg(r"C:\Program Files\Hello Bootstrap\hello-bootstrap.exe"),
            r#""C:\Program Files\Hello Bootstrap\hello-bootstrap.exe""#
        );
        assert_eq!(quote_arg(r#"a "b""#), r#""a \"b\"""#);
        assert_eq!(quote_arg(r"C:\dir with space\"), r#""C:\dir with space\\""#);
        assert_eq!(quote_arg(r"C:\José\x"), r"C:\José\x");
    }

    #[test]
    fn the_resume_entry_reopens_the_wizard_on_step_3() {
        let wizard = Path::new(r"C:\Program Files\Hello Bootstrap").join(WIZARD_EXE);
        let command = run_once_command(&wizard, 3).unwrap();
        assert!(command.starts_with('"'), "{command}");
        let deep = Path::new("C:\\").join("x".repeat(250)).join(WIZARD_EXE);
        let err = run_once_command(&deep, 3).unwrap_err();
        assert!(err.contains("open Hello Bootstrap yourself"), "{err}");
        assert!(
            command.ends_with("hello-bootstrap-wizard.exe\" --resume-step 3"),
            "{command}"
        );
        assert!(resume_notice(&command).contains(&command));
        let line = command_line(
            Path::new(r"C:\Program Files\Hello Bootstrap\hello-bootstrap.exe"),
            ["run", "--steps", "3", "--user", "José Zoë@x"].map(OsStr::new),
        );
        assert_eq!(
            line,
            r#""C:\Program Files\Hello Bootstrap\hello-bootstrap.exe" run --steps 3 --user "José Zoë@x""#
        );
        assert!(rerun_elevated_hint(&line).contains("Run as administrator"));
    }
}
