// Release builds on Windows are GUI programs (no console window behind the wizard); the command
// line attaches to the terminal it was started from.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

fn main() {
    #[cfg(windows)]
    hello_bootstrap::cli::attach_parent_console();
    std::process::exit(hello_bootstrap::cli::main());
}
