// `hello-bootstrap-wizard.exe`: the wizard alone, a GUI-subsystem program on Windows (no console
// window behind it), the Start menu shortcut's target. It takes the global options only
// (`--demo`, `--presenter`, ...); the command line is `hello-bootstrap.exe`.
#![cfg_attr(windows, windows_subsystem = "windows")]

fn main() {
    std::process::exit(hello_bootstrap::cli::wizard_main());
}
