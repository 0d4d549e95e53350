//! Load (issue 13, item 7), measured rather than timed: 1,000 help-desk passes issued at once
//! while one Graph call in ten gets 429 end with exactly one pass per user, none lost and none
//! issued twice; and 200 large `$batch` calls at once leave the emulator holding no more than its
//! documented bound of batch bodies (its own stats say what it held at the peak).

use crate::common::{admin_token, enable_tap_policy};
use hello_bootstrap::emulator::batch_load::{MAX_BATCH_BODY_BYTES, MAX_BATCHES_IN_FLIGHT};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::graph::{ApiVersion, GraphClient, GraphConfig};
use hello_bootstrap::helpdesk::{IssueOptions, IssueStatus, TapRequest, issue_all};
use hello_bootstrap::lab::Upn;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

struct Token(hello_bootstrap::lab::Secret);

#[async_trait::async_trait]
impl hello_bootstrap::graph::TokenSource for Token {
    async fn access_token(&self) -> Result<hello_bootstrap::lab::Secret, String> {
        Ok(self.0.clone())
    }
}

async fn stats(graph_url: &str) -> Value {
    reqwest::get(format!("{graph_url}/_emulator/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_passes_at_ten_percent_429s_are_issued_once_each() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("HELLO_BOOTSTRAP_HOME", home.path()) };
    let emulator = Emulator::start(EmulatorConfig {
        extra_users: 1010,
        fault_seed: Some(13),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut config = GraphConfig::from_root(&emulator.graph_url).unwrap();
    config.retry_base = Duration::from_millis(20);
    let graph = GraphClient::new(config, Arc::new(Token(admin_token(&emulator)))).unwrap();
    enable_tap_policy(&graph).await;
    let users: Vec<String> = graph
        .get_all(
            ApiVersion::V1,
            "/users?$top=999&$select=userPrincipalName,accountEnabled,userType",
        )
        .await
        .unwrap()
        .iter()
        .filter(|u| u["accountEnabled"] == true && u["userType"] == "Member")
        .filter_map(|u| u["userPrincipalName"].as_str().map(str::to_string))
        .filter(|u| !u.starts_with("admin@"))
        .take(1000)
        .collect();
    assert_eq!(users.len(), 1000, "the tenant has 1,000 plain users");

    let http = reqwest::Client::new();
    http.post(format!("{}/_emulator/faults", emulator.graph_url))
        .json(&json!({"spec": "429:0.10:retry=0"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let requests: Vec<TapRequest> = users
        .iter()
        .map(|u| {
            TapRequest::new(
                Upn::parse(u).unwrap(),
                hello_bootstrap::helpdesk::Place::Command,
            )
        })
        .collect();
    // Privileged users are allowed so that every one of the 1,000 must end issued.
    let options = IssueOptions {
        allow_privileged: true,
        ..IssueOptions::default()
    };
    let (outcomes, _) = issue_all(&graph, &requests, &options, |_, _| {}).await;
    http.delete(format!("{}/_emulator/faults", emulator.graph_url))
        .send()
        .await
        .unwrap();

    let injected = stats(&emulator.graph_url).await["faults"]["429"]
        .as_u64()
        .unwrap_or(0);
    assert!(injected >= 50, "one call in ten got 429: {injected}");
    assert_eq!(outcomes.len(), 1000, "an issue was lost");
    let shown: HashSet<String> = outcomes
        .iter()
        .map(|o| o.upn.to_ascii_lowercase())
        .collect();
    assert_eq!(shown.len(), 1000, "a user was answered twice");
    for o in &outcomes {
        assert_eq!(o.status, IssueStatus::Issued, "{}: {:?}", o.upn, o.reason);
    }
    // Every user holds exactly the one pass we showed: none issued twice, none unseen.
    for chunk in users.chunks(20) {
        let requests = chunk
            .iter()
            .map(|u| {
                hello_bootstrap::graph::BatchRequest::get(format!(
                    "/users/{u}/authentication/temporaryAccessPassMethods"
                ))
            })
            .collect();
        for (upn, answer) in chunk
            .iter()
            .zip(graph.batch(ApiVersion::V1, requests).await.unwrap())
        {
            let held = answer.body.as_ref().unwrap()["value"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(held, 1, "{upn} holds {held} passes");
        }
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_large_batches_at_once_stay_within_the_emulators_bound() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let token = admin_token(&emulator);
    let url = format!("{}/v1.0/$batch", emulator.graph_url);
    let pad = "x".repeat(40_000);
    let requests: Vec<Value> = (0..20)
        .map(|i| {
            json!({
                "id": i.to_string(),
                "method": "GET",
                "url": "/organization",
                "headers": {"Content-Type": "application/json"},
                "body": {"pad": pad},
            })
        })
        .collect();
    let body =
        axum::body::Bytes::from(serde_json::to_vec(&json!({ "requests": requests })).unwrap());
    assert!(body.len() > 800_000 && body.len() < MAX_BATCH_BODY_BYTES);
    let http = reqwest::Client::new();
    let calls = (0..200).map(|_| {
        http.post(&url)
            .bearer_auth(token.expose())
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
    });
    let answers = futures::future::join_all(calls).await;
    let mut answered = 0;
    for answer in answers {
        let answer = answer.unwrap();
        assert_eq!(answer.status(), 200);
        let doc: Value = answer.json().await.unwrap();
        assert_eq!(doc["responses"].as_array().map_or(0, Vec::len), 20);
        answered += 1;
    }
    assert_eq!(answered, 200);
    let load = &stats(&emulator.graph_url).await["batches"];
    assert_eq!(load["served"], 200, "{load}");
    let peak = load["peak_in_flight"].as_u64().unwrap();
    assert!((1..=MAX_BATCHES_IN_FLIGHT as u64).contains(&peak), "{load}");
    let held = load["peak_held_bytes"].as_u64().unwrap();
    assert!(
        held >= body.len() as u64 && held <= (MAX_BATCHES_IN_FLIGHT * body.len()) as u64,
        "held {held} bytes at the peak: {load}"
    );

    let too_big = axum::body::Bytes::from(vec![b' '; MAX_BATCH_BODY_BYTES + 1]);
    let refused = http
        .post(&url)
        .bearer_auth(token.expose())
        .header("Content-Type", "application/json")
        .body(too_big)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 413);
    emulator.shutdown().await;
}
