//! The two executables of one crate: `hello-bootstrap` (the console command line) and
//! `hello-bootstrap-wizard` (the GUI program the Start menu starts), which takes the wizard's
//! options only. The wizard executable is a launcher that starts the command line beside it, so
//! these tests also prove the two agree on the argument that hands over.

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

#[test]
fn the_wizard_exe_is_a_launcher_that_carries_none_of_the_app() {
    let size = |p: &str| std::fs::metadata(p).unwrap().len();
    let wizard = size(env!("CARGO_BIN_EXE_hello-bootstrap-wizard"));
    let cli = size(env!("CARGO_BIN_EXE_hello-bootstrap"));
    assert!(
        wizard * 10 < cli,
        "the wizard executable ({wizard} bytes) should be a small launcher beside the command line ({cli} bytes)"
    );
}

#[test]
fn the_wizard_exe_alone_says_what_it_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("hello-bootstrap-wizard");
    std::fs::copy(env!("CARGO_BIN_EXE_hello-bootstrap-wizard"), &alone).unwrap();
    let out = Command::new(&alone).arg("--demo").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot start")
            && err.contains("hello-bootstrap")
            && err.contains("Reinstall"),
        "{err}"
    );
}
