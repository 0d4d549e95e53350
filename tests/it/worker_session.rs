//! The one long-lived PowerShell worker over a whole session, with the fake worker of
//! tests/fake_powershell: one process answers a demo-length session, names in any script arrive
//! byte for byte as UTF-8, the VM screen never has more than one thumbnail request in flight,
//! and the worker dies with the app.

#![cfg(unix)]

use hello_bootstrap::host::HyperVHost;
use hello_bootstrap::host::powershell::{PowerShellHost, PowerShellRunner, scripts};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A runner on the fake whose log (`hb-worker.log`) lands in `dir`.
fn runner_in(dir: &Path) -> PowerShellRunner {
    PowerShellRunner::new(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fake_powershell/powershell"),
        Duration::from_secs(20),
    )
    .with_worker_script(dir.join("hb-worker.ps1"))
}

fn log_lines(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join("hb-worker.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn one_worker_answers_a_demo_length_session() {
    let dir = tempfile::tempdir().unwrap();
    let runner = runner_in(dir.path());
    let host = PowerShellHost::new(runner.clone());
    let cancel = CancellationToken::new();
    let mut pids = std::collections::BTreeSet::new();
    // A walk through the lab polls the VM's state and screen every 2 s for many minutes:
    // hundreds of requests, some of them at the same time.
    for round in 0..60 {
        let (lab, checkpoint) = (
            json!({ "name": "Lab 2" }),
            json!({ "vm": "Lab", "name": format!("round {round}") }),
        );
        let state = runner.run(scripts::VM_STATE, &lab, &cancel);
        let change = runner.run(scripts::CREATE_CHECKPOINT, &checkpoint, &cancel);
        let (state, change) = tokio::join!(state, change);
        for answer in [state.unwrap(), change.unwrap()] {
            pids.insert(answer["pid"].as_u64().unwrap());
        }
        if round % 10 == 0 {
            assert!(host.vm("Lab").await.unwrap().is_some());
            let screen = host.screenshot("Lab").await.unwrap();
            assert_eq!((screen.width, screen.height), (640, 480));
        }
    }
    assert_eq!(pids.len(), 1, "answered by {pids:?}");
    assert_eq!(runner.workers_started(), 1);
    assert_eq!(log_lines(dir.path(), "start").len(), 1);
    assert_eq!(log_lines(dir.path(), "req").len(), 60 * 2 + 6 * 2);
}

#[tokio::test]
async fn names_in_any_script_arrive_as_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let runner = runner_in(dir.path());
    let cancel = CancellationToken::new();
    for name in [
        "José",
        "Zoë",
        "名前のラボ",
        "实验室",
        "실험실",
        "C:\\Users\\José\\Downloads\\Win11.iso",
    ] {
        let input = json!({ "name": name });
        let out = runner.run(scripts::GET_VM, &input, &cancel).await.unwrap();
        assert_eq!(out["input"]["name"], name);
        // The bytes the worker read are the UTF-8 of the line: "é" is 2 bytes, "名" 3.
        assert_eq!(
            out["input_bytes"].as_u64(),
            Some(input.to_string().len() as u64),
            "{name}"
        );
        assert!(input.to_string().len() > name.chars().count() + 10);
    }
}

#[tokio::test]
async fn the_screen_never_has_more_than_one_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let host = std::sync::Arc::new(PowerShellHost::new(runner_in(dir.path())));
    // Eight polls of the same VM's screen while one takes half a second (the fake sleeps for
    // a VM named "Slow"): they all get the one thumbnail, and the worker saw one request.
    let polls: Vec<_> = (0..8)
        .map(|_| {
            let host = host.clone();
            tokio::spawn(async move { host.screenshot("Slow").await })
        })
        .collect();
    for poll in polls {
        let screen = poll.await.unwrap().unwrap();
        assert_eq!(screen.width, 640);
    }
    assert_eq!(log_lines(dir.path(), "req screen").len(), 1);
    // Once it is answered, the next poll is a new request.
    host.screenshot("Slow").await.unwrap();
    assert_eq!(log_lines(dir.path(), "req screen").len(), 2);
}

fn process_is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn the_worker_dies_with_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let runner = runner_in(dir.path());
    let clone = runner.clone();
    let out = runner
        .run(scripts::LIST_VMS, &json!({}), &CancellationToken::new())
        .await
        .unwrap();
    let pid = out["pid"].as_u64().unwrap() as u32;
    assert_eq!(runner.worker_pid().await, Some(pid));
    drop(runner);
    // A clone still holds the worker: it keeps running.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!process_is_gone(pid), "the worker died with a clone alive");
    drop(clone);
    let mut gone = false;
    for _ in 0..50 {
        if process_is_gone(pid) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "worker {pid} outlived the app's runner");
}
