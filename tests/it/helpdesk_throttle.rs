//! Bulk issuing while Graph throttles requests inside `$batch` calls. Microsoft's throttling
//! guidance ("Throttling and batching") says to retry each throttled request of a batch after its
//! `retry-after`, in a new batch, "until it succeeds": so only the throttled requests go again
//! (no answered request is sent twice), and a request throttled more often than a lost answer is
//! retried still ends issued.

use crate::common::{admin_graph, emulator_requests, enable_tap_policy};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::api::{UserRef, auth_methods};
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use hello_bootstrap::helpdesk::{TapIssueArgs, run};
use hello_bootstrap::lab::Upn;
use serde_json::{Value, json};
use std::collections::HashMap;

fn isolate_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("HELLO_BOOTSTRAP_HOME", home.path()) };
    home
}

/// Enabled members without a role: the generated users (the named demo people come first and
/// some hold roles; guests come last).
async fn generated_users(graph: &GraphClient, n: usize) -> Vec<String> {
    let users = graph
        .get_all(
            ApiVersion::V1,
            "/users?$top=999&$select=userPrincipalName,accountEnabled,userType",
        )
        .await
        .unwrap();
    let members: Vec<String> = users
        .iter()
        .filter(|u| u["accountEnabled"] == true && u["userType"] == "Member")
        .map(|u| u["userPrincipalName"].as_str().unwrap().to_string())
        .collect();
    assert!(members.len() >= n, "the tenant has {n} generated users");
    members[members.len() - n..].to_vec()
}

async fn add_faults(emulator: &EmulatorHandle, spec: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emulator.graph_url))
        .json(&json!({ "spec": spec }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{spec}: {}", resp.status());
}

async fn issue(graph: &GraphClient, upns: &[String]) -> (i32, Value, String) {
    let args = TapIssueArgs {
        upns: upns.to_vec(),
        json: true,
        ..TapIssueArgs::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&args, graph, &mut out, &mut err).await;
    let err = String::from_utf8(err).unwrap();
    let doc = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {out:?}\n{err}"));
    (code, doc, err)
}

async fn valid(emulator: &EmulatorHandle, upn: &str, tap: &str) -> bool {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/_emulator/verify-tap", emulator.graph_url))
        .json(&json!({ "upn": upn, "temporary_access_pass": tap }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["valid"] == true
}

/// Every user issued once, with the pass they hold.
async fn assert_all_issued(emulator: &EmulatorHandle, doc: &Value, upns: &[String], err: &str) {
    assert_eq!(doc["issued"], json!(upns.len()), "{err}");
    assert_eq!(doc["failed"], json!(0), "{err}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), upns.len());
    for r in results {
        let upn = r["upn"].as_str().unwrap();
        let tap = r["temporary_access_pass"].as_str().unwrap_or_default();
        assert!(valid(emulator, upn, tap).await, "{upn}: {r}");
    }
}

#[tokio::test]
async fn under_10_percent_throttled_items_only_the_throttled_requests_go_again() {
    let _home = isolate_home();
    let emulator = Emulator::start(EmulatorConfig {
        extra_users: 60,
        seed: 12,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let graph = admin_graph(&emulator);
    enable_tap_policy(&graph).await;
    let upns = generated_users(&graph, 60).await;
    let from = emulator_requests(&emulator).await.len();
    // One Graph call in ten throttled, batch items included (retry=0: no test waits a second).
    add_faults(&emulator, "429@/v1.0/:0.10:retry=0").await;
    let (code, doc, err) = issue(&graph, &upns).await;
    assert_eq!(code, 0, "{err}");
    assert_all_issued(&emulator, &doc, &upns, &err).await;

    let log = emulator_requests(&emulator).await;
    let items: Vec<&Value> = log[from..]
        .iter()
        .filter(|r| r["in_batch"] == true)
        .collect();
    let throttled = items.iter().filter(|r| r["status"] == 429).count();
    assert!(
        throttled >= 10,
        "the fault rule throttled batch items: {throttled}"
    );
    // Each distinct request was answered (not 429) exactly once: none sent again after its answer.
    let mut answered: HashMap<(String, String), usize> = HashMap::new();
    for r in items.iter().filter(|r| r["status"] != 429) {
        let key = (
            r["method"].as_str().unwrap().to_string(),
            r["path"].as_str().unwrap().to_string(),
        );
        *answered.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = answered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "answered requests sent again: {twice:?}");
    assert!(
        answered.keys().filter(|(m, _)| m == "POST").count() == upns.len(),
        "one POST answered per user"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_request_throttled_more_often_than_a_lost_answer_is_retried_still_ends_issued() {
    let _home = isolate_home();
    let emulator = Emulator::start(EmulatorConfig {
        extra_users: 3,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let graph = admin_graph(&emulator);
    enable_tap_policy(&graph).await;
    let upns = generated_users(&graph, 3).await;
    let upn = Upn::parse(&upns[1]).unwrap();
    // Ten 429s in a row on one user's pass list, more than the six tries a lost read gets.
    let path = auth_methods::tap_methods_path(UserRef::Upn(&upn)).relative();
    add_faults(&emulator, &format!("429@/v1.0{path}:10:retry=0")).await;
    let (code, doc, err) = issue(&graph, &upns).await;
    assert_eq!(code, 0, "{err}");
    assert_all_issued(&emulator, &doc, &upns, &err).await;
    let log = emulator_requests(&emulator).await;
    let hits = log
        .iter()
        .filter(|r| r["status"] == 429 && r["path"].as_str().unwrap().ends_with(&path))
        .count();
    assert_eq!(hits, 10, "the rule throttled that read ten times");
    emulator.shutdown().await;
}
