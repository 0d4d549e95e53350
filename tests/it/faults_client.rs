//! The Graph client against the emulator's connection faults on loopback: a GET whose
//! connection is reset, or whose answer is garbled, is retried and answers; a TAP POST whose
//! answer is lost after Graph made the pass is reconciled by reading back and leaves the user
//! with one pass and a code; a POST is never repeated blindly; `/_emulator/stats` counts it all.

use crate::common::{admin_graph, enable_tap_policy, lab_upn};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, FaultRule};
use hello_bootstrap::graph::api::{UserRef, auth_methods};
use hello_bootstrap::graph::models::NewTap;
use hello_bootstrap::graph::{ApiVersion, GraphError};
use serde_json::Value;

async fn start(spec: &str) -> hello_bootstrap::emulator::EmulatorHandle {
    Emulator::start(EmulatorConfig {
        faults: FaultRule::parse_spec(spec).unwrap(),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

async fn stats(emu: &hello_bootstrap::emulator::EmulatorHandle) -> Value {
    reqwest::get(format!("{}/_emulator/stats", emu.graph_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn resets_and_garbled_answers_on_reads_are_retried() {
    let emu = start("reset@/v1.0/organization:2,malformed@/v1.0/organization:1").await;
    let graph = admin_graph(&emu);
    let org = graph.get(ApiVersion::V1, "/organization").await.unwrap();
    assert!(
        org["value"].as_array().is_some_and(|v| !v.is_empty()),
        "{org}"
    );
    let s = stats(&emu).await;
    assert_eq!(s["faults"]["reset"], 2, "{s}");
    assert_eq!(s["faults"]["malformed"], 1, "{s}");
    assert!(s["requests"].as_u64().unwrap() >= 4, "{s}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_tap_post_whose_answer_is_lost_is_reconciled_into_one_pass_with_a_code() {
    let emu = start("").await;
    let graph = admin_graph(&emu);
    enable_tap_policy(&graph).await;
    let upn = lab_upn(&emu);
    reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emu.graph_url))
        .json(&serde_json::json!({ "spec": "reset@/v1.0/users:1:method=POST" }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let created = auth_methods::create_tap(&graph, UserRef::Upn(&upn), &NewTap::default())
        .await
        .expect("reconciled");
    assert!(created.code.expose().len() >= 8);
    let held = auth_methods::list_taps(&graph, UserRef::Upn(&upn))
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "one pass, the one whose code we hold");
    assert_eq!(held[0].id, created.method.id);
    assert_eq!(stats(&emu).await["faults"]["reset"], 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_plain_post_whose_answer_is_lost_says_so_and_is_not_repeated() {
    let emu = start("").await;
    let graph = admin_graph(&emu);
    enable_tap_policy(&graph).await;
    let path = format!(
        "/users/{}/authentication/temporaryAccessPassMethods",
        emu.lab_user_upn
    );
    reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emu.graph_url))
        .json(&serde_json::json!({ "spec": "reset@/v1.0/users:1:method=POST" }))
        .send()
        .await
        .unwrap();
    let err = graph
        .post(ApiVersion::V1, &path, &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::OutcomeUnknown { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("may or may not have been applied")
            && text.contains("Nothing was sent twice"),
        "{text}"
    );
    let posts = crate::common::emulator_requests(&emu)
        .await
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("temporaryAccessPassMethods"))
        })
        .count();
    assert_eq!(posts, 1, "the POST went out once");
    emu.shutdown().await;
}
