//! One Hello Bootstrap per lab, through the real binary in two processes: while a `run --demo`
//! works, a second `run --demo --demo-reset` is refused at once, naming the first (and deletes
//! nothing of its lab); once the first is killed with SIGKILL, the next run takes its lock over
//! with a notice and finishes.

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

#[test]
fn a_second_run_is_refused_while_one_works_and_a_dead_ones_lock_is_taken_over() {
    let home = tempfile::tempdir().unwrap();
    let owner_file = home.path().join("config/session-demo.json.run.owner");
    let mut first = Command::new(BIN)
        .args(["run", "--demo", "--demo-reset", "--latency", "400"])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    while !home.path().join("data/demo-tenant.json").exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "the first run never saved its tenant"
        );
        assert!(first.try_wait().unwrap().is_none(), "the first run ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    let owner: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&owner_file).expect("the owner file")).unwrap();
    assert_eq!(owner["pid"], first.id());

    let second = app(home.path(), &["run", "--demo", "--demo-reset"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("another Hello Bootstrap is working on this lab")
            && stderr.contains(&format!("process {}", first.id()))
            && stderr.contains("run --demo --demo-reset --latency 400")
            && stderr.contains("Wait for it to finish"),
        "{stderr}"
    );
    assert!(
        home.path().join("data/demo-tenant.json").exists(),
        "the refused reset deleted the first run's tenant"
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run was disturbed"
    );

    let _ = first.kill();
    let _ = first.wait();
    let third = app(home.path(), &["run", "--demo", "--fast"]);
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert_eq!(third.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("process {}", first.id())) && stderr.contains("no longer running"),
        "{stderr}"
    );
    assert!(!owner_file.exists(), "the finished run left its owner file");
}
