//! The two executables of one crate: `hello-bootstrap` (the console command line) and
//! `hello-bootstrap-wizard` (the GUI program the Start menu starts), which takes the wizard's
//! options only.

use std::process::Command;

#[test]
fn the_wizard_exe_takes_the_wizard_options_and_refuses_subcommands() {
    let wizard = env!("CARGO_BIN_EXE_hello-bootstrap-wizard");
    let help = Command::new(wizard).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--resume-step"), "{text}");
    assert!(text.contains("--demo"), "{text}");
    // A subcommand belongs to the command line, not to the wizard.
    let check = Command::new(wizard).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(2));
    // Step numbers outside 1-7 are refused with a specific message.
    let bad = Command::new(wizard)
        .args(["--resume-step", "9"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--resume-step"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn the_command_line_exe_still_knows_the_wizard_options() {
    let cli = env!("CARGO_BIN_EXE_hello-bootstrap");
    let help = Command::new(cli).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--resume-step"), "{text}");
    assert!(text.contains("check"), "{text}");
}
