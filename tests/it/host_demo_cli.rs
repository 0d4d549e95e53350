//! `hello-bootstrap run --demo` drives all seven steps on the demo tenant and the emulated host:
//! step 3 asks for the restart, the demo restarts the emulated PC for the presenter, and the same
//! run finishes the lab with every validation row passed; the wrong-TAP hook fails step 7 at the
//! sign-in row.

use serde_json::Value;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

fn run(home: &std::path::Path, args: &[&str], wrong_tap: bool) -> (i32, Value) {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("HELLO_BOOTSTRAP_HOME", home)
        .env_remove("HELLO_BOOTSTRAP_ACCESS_TOKEN");
    if wrong_tap {
        command.env(hello_bootstrap::host::emulated::WRONG_TAP_ENV, "1");
    } else {
        command.env_remove(hello_bootstrap::host::emulated::WRONG_TAP_ENV);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn step(doc: &Value, number: u64) -> &Value {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == number)
        .unwrap()
}

fn row_state<'a>(step: &'a Value, id: &str) -> &'a str {
    step["evidence"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))["state"]
        .as_str()
        .unwrap()
}

#[test]
fn the_demo_runs_all_seven_steps_after_the_simulated_restart() {
    let home = tempfile::tempdir().unwrap();
    let (code, doc) = run(home.path(), &["run", "--demo", "--json"], false);
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        step(&doc, 3)["detail"]
            .as_str()
            .unwrap()
            .contains("enabled"),
        "{}",
        step(&doc, 3)["detail"]
    );
    for n in 1..=7 {
        assert_eq!(
            step(&doc, n)["status"],
            "applied",
            "step {n}: {}",
            step(&doc, n)["detail"]
        );
    }
    let seven = step(&doc, 7);
    let rows = seven["evidence"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|r| r["state"] == "passed"), "{rows:#?}");

    let (code, doc) = run(home.path(), &["check", "--demo", "--json"], false);
    assert_eq!(code, 0);
    for n in [3, 4, 7] {
        assert_eq!(step(&doc, n)["status"], "applied", "check of step {n}");
    }
}

#[test]
fn the_wrong_tap_hook_fails_step_seven_at_the_sign_in_row() {
    let home = tempfile::tempdir().unwrap();
    let (code, doc) = run(home.path(), &["run", "--demo", "--json"], true);
    assert_eq!(code, 1);
    let seven = step(&doc, 7);
    assert_eq!(seven["status"], "error");
    assert_eq!(row_state(seven, "signin"), "failed");
    assert!(
        seven["detail"].as_str().unwrap().contains("isn't right"),
        "{}",
        seven["detail"]
    );
    for n in 1..=6 {
        assert_eq!(step(&doc, n)["status"], "applied", "step {n}");
    }
}
