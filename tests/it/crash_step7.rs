//! Step 7 killed mid-way, then reverted, through the real binary: the moment the OOBE sign-in's
//! device object appears in the demo tenant, the run is killed with SIGKILL (`Child::kill` on
//! Unix), before it may have read it; `revert --demo` must still delete the device, the managed
//! device and the Windows Hello key the sign-in created (journaled when first seen, or found by
//! the revert's own pass bound to the run's journaled start), leaving no object of the lab.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

fn app(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HELLO_BOOTSTRAP_HOME", home)
        .output()
        .expect("the binary runs")
}

/// The demo tenant's device objects, managed devices and Windows Hello keys, as saved.
fn lab_objects(home: &Path) -> (usize, usize, usize) {
    let Ok(bytes) = std::fs::read(home.join("data/demo-tenant.json")) else {
        return (0, 0, 0);
    };
    // Written atomically, so a read sees a whole file.
    let state: serde_json::Value = serde_json::from_slice(&bytes).expect("a whole tenant file");
    let count = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len);
    let keys = state["users"].as_array().map_or(0, |users| {
        users.iter().map(|u| count(&u["whfb_methods"])).sum()
    });
    (
        count(&state["devices"]),
        count(&state["managed_devices"]),
        keys,
    )
}

#[test]
fn a_run_killed_as_its_device_appears_is_reverted_without_leaving_it() {
    let home = tempfile::tempdir().unwrap();
    let setup = app(
        home.path(),
        &[
            "run",
            "--demo",
            "--demo-reset",
            "--fast",
            "--steps",
            "1,2,3,4,5",
        ],
    );
    assert_eq!(
        setup.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    assert_eq!(lab_objects(home.path()), (0, 0, 0), "a fresh tenant");

    let mut run = Command::new(BIN)
        .args(["run", "--demo", "--steps", "6,7"])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    while lab_objects(home.path()).0 == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(180),
            "the sign-in never created a device"
        );
        assert!(
            run.try_wait().unwrap().is_none(),
            "step 7 ended before any device appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = run.kill();
    let _ = run.wait();
    let left = lab_objects(home.path());
    assert!(left.0 > 0, "{left:?}");

    let revert = app(home.path(), &["revert", "--demo", "--fast"]);
    let stderr = String::from_utf8_lossy(&revert.stderr);
    assert_eq!(revert.status.code(), Some(0), "{stderr}");
    assert_eq!(
        lab_objects(home.path()),
        (0, 0, 0),
        "the revert left objects of the killed run: {stderr}"
    );
}
