//! With a state file the tenant survives a restart; the file never holds a TAP code or a token,
//! and tokens do not survive (a restarted emulator mints new ones).

use crate::common::{enable_tap_policy, graph_client};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::graph::ApiVersion;
use serde_json::json;

#[tokio::test]
async fn state_persists_across_a_restart_without_secrets_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    let config = EmulatorConfig {
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };

    let first = Emulator::start(config.clone()).await.unwrap();
    let old_token = crate::common::admin_token(&first);
    let graph = graph_client(&first.graph_url, old_token.clone());
    enable_tap_policy(&graph).await;
    let methods = format!(
        "/users/{}/authentication/temporaryAccessPassMethods",
        first.lab_user_upn
    );
    let created = graph
        .post(ApiVersion::V1, &methods, &json!({}))
        .await
        .unwrap();
    let tap = created["temporaryAccessPass"].as_str().unwrap().to_string();
    let lab_upn = first.lab_user_upn.to_string();
    first.shutdown().await;

    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("\"state\": \"enabled\""),
        "the change was saved"
    );
    assert!(
        saved.contains(created["id"].as_str().unwrap()),
        "the TAP method was saved"
    );
    assert!(!saved.contains(&tap), "the TAP code never reaches the file");
    assert!(
        !saved.contains(old_token.expose()),
        "tokens never reach the file"
    );
    assert!(!saved.contains("emu."), "no token of any kind in the file");

    let second = Emulator::start(config).await.unwrap();
    let stale = graph_client(&second.graph_url, old_token)
        .get(ApiVersion::V1, "/me")
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(401), "tokens do not survive a restart");
    let graph = graph_client(&second.graph_url, crate::common::admin_token(&second));
    let listed = graph.get_all(ApiVersion::V1, &methods).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);
    let signin = reqwest::Client::new()
        .post(format!("{}/_emulator/oobe-signin", second.graph_url))
        .json(&json!({ "upn": lab_upn, "tap": tap, "device_name": "LAB-PC01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        signin.status(),
        200,
        "the hash survives, so the issued TAP still works"
    );
    second.shutdown().await;
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains("LAB-PC01"));
    assert!(!saved.contains(&tap));
}

#[tokio::test]
async fn a_corrupt_state_file_is_moved_aside_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, "{ not json").unwrap();
    let emulator = Emulator::start(EmulatorConfig {
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("starts from the seed");
    emulator.shutdown().await;
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("tenant.json.damaged-"))
        .collect();
    assert_eq!(
        aside.len(),
        1,
        "the damaged file is kept beside the new one"
    );
    assert_eq!(std::fs::read_to_string(&aside[0]).unwrap(), "{ not json");
    let fresh = std::fs::read_to_string(&file).unwrap();
    assert!(fresh.contains("lab_user_upn"), "a fresh tenant was saved");
}
