//! Sign-in meets Graph: silent refresh after a 401, `whoami`, and preflight naming a missing role,
//! permission or licence before anything is changed. Real HTTP to the emulator on loopback.

use crate::auth_support::*;
use crate::common::emulator_requests;
use hello_bootstrap::auth::cli::{AuthOptions, BrowserChoice, SignedIn, StoreChoice, whoami_to};
use hello_bootstrap::auth::{AuthSession, HeadlessBrowser, Interaction, PreflightError};
use hello_bootstrap::emulator::EmulatorHandle;
use hello_bootstrap::graph::{ApiVersion, GraphClient, GraphConfig};
use hello_bootstrap::lab::{Step, Upn};
use serde_json::{Value, json};
use std::sync::Arc;

fn options(emu: &EmulatorHandle, user: &Upn, service: &str) -> AuthOptions {
    AuthOptions {
        login_url: emu.login_url.clone(),
        graph_url: emu.graph_url.clone(),
        tenant: emu.tenant_id.clone(),
        login_hint: Some(user.clone()),
        browser: BrowserChoice::Headless,
        store: StoreChoice::Default {
            service: service.into(),
        },
        ..AuthOptions::default()
    }
}

fn domain(emu: &EmulatorHandle) -> String {
    emu.admin_upn
        .as_str()
        .split('@')
        .nth(1)
        .unwrap()
        .to_string()
}

async fn graph_requests(emu: &EmulatorHandle) -> Vec<Value> {
    emulator_requests(emu)
        .await
        .into_iter()
        .filter(|r| {
            !r["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/_emulator")
        })
        .collect()
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_silently_and_the_call_retried_once() {
    let emu = emulator().await;
    let session = Arc::new(browser_session(
        &emu,
        store("hb-graph-401"),
        &crate::common::admin_upn(&emu),
        true,
    ));
    let graph = GraphClient::new(
        GraphConfig::from_root(&emu.graph_url).unwrap(),
        session.clone(),
    )
    .unwrap();
    graph.get(ApiVersion::V1, "/me").await.expect("first call");

    // The server stops accepting the access token; the refresh token still works.
    let revoked = hook(
        &emu,
        "revoke",
        json!({"upn": emu.admin_upn.as_str(), "keep_refresh_tokens": true}),
    )
    .await;
    assert!(revoked["access_tokens"].as_u64().unwrap() >= 1);

    let me = graph
        .get(ApiVersion::V1, "/me")
        .await
        .expect("retried after refresh");
    assert_eq!(me["userPrincipalName"], emu.admin_upn.as_str());
    let statuses: Vec<u64> = graph_requests(&emu)
        .await
        .iter()
        .filter(|r| r["path"] == "/v1.0/me")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200, 401, 200], "one 401, one retry");
    assert_eq!(stat(&emu, "token:refresh_token").await, 1);
    assert_eq!(
        session.interactive_sign_ins(),
        1,
        "no new interactive sign-in"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn whoami_json_names_the_demo_admin_the_tenant_and_the_roles() {
    let emu = emulator().await;
    let opts = options(&emu, &crate::common::admin_upn(&emu), "hb-graph-whoami");
    let mut out = Vec::new();
    assert_eq!(whoami_to(&opts, true, &mut out).await, 0);
    let who: Value = serde_json::from_slice(&out).expect("JSON output");
    assert_eq!(who["account"], emu.admin_upn.as_str());
    assert_eq!(who["tenant_id"], emu.tenant_id.as_str());
    assert_eq!(who["tenant_name"], emu.tenant_name.as_str());
    assert_eq!(who["roles"], json!(["Global Administrator"]));
    let scopes: Vec<&str> = who["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&"Policy.ReadWrite.AuthenticationMethod"),
        "{scopes:?}"
    );

    let mut text = Vec::new();
    assert_eq!(whoami_to(&opts, false, &mut text).await, 0);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(&format!("Account: {}", emu.admin_upn)),
        "{text}"
    );
    assert!(text.contains("Roles:   Global Administrator"), "{text}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_helpdesk_administrator_is_stopped_before_step_5_with_the_missing_role_named() {
    let emu = emulator().await;
    let helpdesk = upn(&format!("lee.gu@{}", domain(&emu)));
    let opts = options(&emu, &helpdesk, "hb-graph-helpdesk");
    let signed_in = hello_bootstrap::auth::cli::token_source(&opts, &[Step::TapPolicy]).unwrap();
    let graph = signed_in.graph(&opts.graph_url).unwrap();
    let e = signed_in
        .preflight(&graph, &[Step::TapPolicy])
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "step 5 needs the Authentication Policy Administrator role (you have: Helpdesk Administrator)"
    );
    let requests = graph_requests(&emu).await;
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r["method"] == "GET"),
        "preflight only reads: {requests:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_token_without_the_step_permission_is_reported_before_anything_runs() {
    let emu = emulator().await;
    let session = Arc::new(
        AuthSession::new(
            config(&emu),
            store("hb-graph-scope"),
            Interaction::Browser(Arc::new(
                HeadlessBrowser::new(Some(crate::common::admin_upn(&emu))).unwrap(),
            )),
            hello_bootstrap::auth::scopes_for_steps(&[Step::TapPolicy]),
        )
        .unwrap()
        .with_login_hint(Some(crate::common::admin_upn(&emu))),
    );
    let signed_in = SignedIn {
        tokens: session.clone(),
        session: Some(session),
    };
    let graph = signed_in.graph(&emu.graph_url).unwrap();
    let identity = signed_in
        .preflight(&graph, &[Step::TapPolicy])
        .await
        .unwrap();
    assert!(identity.has_role("Global Administrator"));
    let e = signed_in
        .preflight(&graph, &[Step::MdmUserScope])
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "step 1 needs the permission Policy.ReadWrite.MobilityManagement; sign in again to consent"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn sign_in_logs_without_entra_id_p1_are_reported_as_a_licence_gap() {
    let emu = emulator().await;
    let set = reqwest::Client::new()
        .post(format!("{}/_emulator/tenant", emu.graph_url))
        .json(&json!({"has_premium": false}))
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success());
    let opts = options(&emu, &crate::common::admin_upn(&emu), "hb-graph-p1");
    let signed_in = hello_bootstrap::auth::cli::token_source(&opts, &Step::ALL).unwrap();
    let graph = signed_in.graph(&opts.graph_url).unwrap();
    let e = signed_in
        .preflight(&graph, &[Step::Bootstrap])
        .await
        .unwrap_err();
    assert!(matches!(e, PreflightError::NeedsPremium { .. }), "{e:?}");
    assert!(e.to_string().contains("Entra ID P1"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn demo_mode_signs_in_through_the_emulator_endpoints_and_passes_preflight() {
    let emu = emulator().await;
    let mut opts = hello_bootstrap::compose::env::demo_auth(&emu).unwrap();
    assert_eq!(opts.store, StoreChoice::InMemory);
    opts.store = StoreChoice::Default {
        service: "hb-graph-demo".into(),
    };
    let signed_in = hello_bootstrap::auth::cli::token_source(&opts, &Step::ALL).unwrap();
    let graph = signed_in.graph(&opts.graph_url).unwrap();
    let identity = signed_in
        .preflight(&graph, &Step::ALL)
        .await
        .expect("the demo admin may run every step");
    assert_eq!(identity.account.as_str(), emu.admin_upn);
    assert_eq!(
        stat(&emu, "token:authorization_code").await,
        1,
        "a real code redemption"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn signin_and_signout_commands_keep_and_remove_the_saved_sign_in() {
    let emu = emulator().await;
    let opts = options(&emu, &crate::common::admin_upn(&emu), "hb-graph-signin");
    assert_eq!(hello_bootstrap::auth::cli::signin(&opts).await, 0);
    let store = store("hb-graph-signin");
    let key = config(&emu).cache_key();
    let saved = hello_bootstrap::auth::SecretStore::load(store.as_ref(), &key)
        .unwrap()
        .expect("saved after signin");
    assert_eq!(saved.account.as_deref(), Some(emu.admin_upn.as_str()));
    assert_eq!(saved.tenant_id.as_deref(), Some(emu.tenant_id.as_str()));

    assert_eq!(hello_bootstrap::auth::cli::signout(&opts).await, 0);
    assert_eq!(
        hello_bootstrap::auth::SecretStore::load(store.as_ref(), &key).unwrap(),
        None
    );

    let bad = AuthOptions {
        tenant: "common".into(),
        ..opts.clone()
    };
    assert_eq!(
        hello_bootstrap::auth::cli::signin(&bad).await,
        2,
        "bad input exits 2"
    );
    emu.shutdown().await;
}
