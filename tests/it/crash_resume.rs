//! Crash safety through the real binary: a demo run killed with SIGKILL (`Child::kill` on Unix)
//! part way, then `run --demo` again, ends with all seven steps applied and every journaled
//! change recorded once; a lab whose pass was issued by a process that is gone (its code with
//! it) gets a fresh pass instead of waiting at step 7 for a code nobody has.
//! `scripts/crash-acceptance` does the same 20 times at random moments.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

fn app(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HELLO_BOOTSTRAP_HOME", home)
        .output()
        .expect("the binary runs")
}

fn applied_steps(home: &Path) -> Vec<String> {
    let out = app(home, &["check", "--demo", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --json");
    doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| format!("{}={}", s["step"], s["status"].as_str().unwrap_or("?")))
        .collect()
}

fn assert_all_applied_once(home: &Path) {
    let steps = applied_steps(home);
    assert_eq!(
        steps.iter().filter(|s| s.ends_with("=applied")).count(),
        7,
        "{steps:?}"
    );
    let session: serde_json::Value = serde_json::from_slice(
        &std::fs::read(home.join("config/session-demo.json")).expect("session file"),
    )
    .expect("the session file is whole");
    let entries = session["journal"]["entries"].as_array().expect("journal");
    let keys: BTreeSet<String> = entries
        .iter()
        .map(|e| format!("{}/{}", e["step"], e["key"]))
        .collect();
    assert_eq!(keys.len(), entries.len(), "a change journaled twice");
}

fn killed_then_rerun(after: Duration) {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["run", "--demo", "--demo-reset"])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
    let rerun = app(home.path(), &["run", "--demo"]);
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert_all_applied_once(home.path());
}

#[test]
fn a_lab_whose_pass_code_is_gone_gets_a_fresh_pass_and_finishes() {
    let home = tempfile::tempdir().unwrap();
    let first = app(
        home.path(),
        &["run", "--demo", "--demo-reset", "--steps", "1,2,3,4,5,6"],
    );
    assert_eq!(first.status.code(), Some(0));
    let old = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(old.contains("Temporary Access Pass: "), "{old}");
    // That process is gone, and the code with it.
    let second = app(home.path(), &["run", "--demo"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("issuing a fresh one"), "{stderr}");
    let new = String::from_utf8_lossy(&second.stdout).into_owned();
    let codes: Vec<&str> = new
        .lines()
        .filter_map(|l| l.strip_prefix("Temporary Access Pass: "))
        .collect();
    assert_eq!(codes.len(), 1, "the fresh pass is shown once: {new}");
    assert!(!old.contains(codes[0]), "a new code, not the old one");
    assert_all_applied_once(home.path());
}

#[test]
fn killed_early_the_rerun_finishes_the_lab() {
    killed_then_rerun(Duration::from_millis(2500));
}

#[test]
fn killed_around_step_seven_the_rerun_finishes_the_lab() {
    killed_then_rerun(Duration::from_millis(13_000));
}
