// `hello-bootstrap-wizard.exe`: the wizard alone, a GUI-subsystem program on Windows (no console
// window behind it), the Start menu shortcut's target. It takes the global options only
// (`--demo`, `--presenter`, ...); the command line is `hello-bootstrap.exe`.
//
// It is a launcher a few hundred kilobytes small: it starts `hello-bootstrap.exe` beside it with
// `--as-hello-bootstrap-wizard` first (hello_bootstrap::cli::AS_WIZARD_EXE_ARG), which reads the
// rest as this program's command line, so the MSI carries the app's code once. On Windows the
// console program starts with CREATE_NO_WINDOW, so no console window shows; elsewhere this
// process becomes it (exec). It links nothing of the app on purpose (one fat-LTO link, not two),
// which is why the argument is spelled here again; tests/it/cli_wizard_exe.rs fails if the two
// disagree.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::path::PathBuf;
use std::process::Command;

const AS_WIZARD_EXE_ARG: &str = "--as-hello-bootstrap-wizard";
const CLI_EXE: &str = if cfg!(windows) {
    "hello-bootstrap.exe"
} else {
    "hello-bootstrap"
};

fn main() {
    let cli = std::env::current_exe()
        .map(|exe| exe.with_file_name(CLI_EXE))
        .unwrap_or_else(|_| PathBuf::from(CLI_EXE));
    let mut command = Command::new(&cli);
    command
        .arg(AS_WIZARD_EXE_ARG)
        .args(std::env::args_os().skip(1));
    std::process::exit(run(&cli, command));
}

#[cfg(unix)]
fn run(cli: &std::path::Path, mut command: Command) -> i32 {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    eprintln!(
        "hello-bootstrap-wizard: cannot start {}: {error}. Reinstall Hello Bootstrap, or run hello-bootstrap from the same folder.",
        cli.display()
    );
    1
}

#[cfg(windows)]
fn run(cli: &std::path::Path, mut command: Command) -> i32 {
    use std::os::windows::process::CommandExt;
    use windows_sys::Win32::System::Threading::CREATE_NO_WINDOW;
    command.creation_flags(CREATE_NO_WINDOW);
    match command.status() {
        Ok(status) => status.code().unwrap_or(1),
        Err(error) => {
            // No console to print to: the person who clicked the shortcut sees a message box.
            show_error(&format!(
                "Hello Bootstrap cannot start {}: {error}.\n\nRepair or reinstall Hello Bootstrap from Settings > Apps.",
                cli.display()
            ));
            1
        }
    }
}

#[cfg(windows)]
fn show_error(text: &str) {
    use windows_sys::Win32::UI::WindowsAndMessaging::{MB_ICONERROR, MB_OK, MessageBoxW};
    let wide = |s: &str| s.encode_utf16().chain([0]).collect::<Vec<u16>>();
    let (text, title) = (wide(text), wide("Hello Bootstrap"));
    // SAFETY: both strings are NUL-terminated and outlive the call; no owner window.
    unsafe {
        MessageBoxW(
            std::ptr::null_mut(),
            text.as_ptr(),
            title.as_ptr(),
            MB_OK | MB_ICONERROR,
        )
    };
}

#[cfg(not(any(unix, windows)))]
fn run(_cli: &std::path::Path, mut command: Command) -> i32 {
    match command.status() {
        Ok(status) => status.code().unwrap_or(1),
        Err(error) => {
            eprintln!("hello-bootstrap-wizard: {error}");
            1
        }
    }
}
