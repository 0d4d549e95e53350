//! The help-desk sign-in as the `tap` commands run it on a real tenant, against the emulator's
//! login endpoints: a seeded Authentication Administrator signs in for exactly the help-desk
//! scopes, `tap issue`, `tap list` and `tap revoke` work with that token, and what the role or
//! the permissions do not allow is refused with the role or permission named.

use crate::common::{admin_graph, enable_tap_policy};
use hello_bootstrap::auth::cli::{AuthOptions, BrowserChoice, RealOptions, StoreChoice};
use hello_bootstrap::compose::helpdesk::connect_real;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::ApiVersion;
use hello_bootstrap::helpdesk::cli::{TapListArgs, TapRevokeArgs, run_list, run_revoke};
use hello_bootstrap::helpdesk::{HELPDESK_SCOPES, TapIssueArgs, run};
use hello_bootstrap::lab::Upn;
use serde_json::{Value, json};

const AUTH_ADMIN: &str = "isaiah.langer@contosolab.onmicrosoft.com";

async fn verify(emulator: &EmulatorHandle, upn: &str, tap: &str) -> bool {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/_emulator/verify-tap", emulator.graph_url))
        .json(&json!({"upn": upn, "temporary_access_pass": tap}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["valid"] == true
}

/// The options `tap` builds from `--graph-url/--login-url/--tenant`, with the headless browser
/// signing in as `upn` in place of the person at the browser.
fn real_sign_in(emulator: &EmulatorHandle, upn: &str) -> (RealOptions, AuthOptions) {
    let real = RealOptions {
        graph_url: Some(emulator.graph_url.clone()),
        login_url: Some(emulator.login_url.clone()),
        tenant: Some(emulator.tenant_id.clone()),
        ..RealOptions::default()
    };
    let auth = AuthOptions {
        browser: BrowserChoice::Headless,
        login_hint: Some(Upn::parse(upn).unwrap()),
        store: StoreChoice::InMemory,
        ..AuthOptions::from_real(&real, false)
    };
    (real, auth)
}

#[tokio::test]
async fn an_authentication_administrator_signs_in_for_helpdesk_scopes_only_and_issues_lists_revokes()
 {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; set before any thread reads it.
    unsafe {
        std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path());
        std::env::remove_var(hello_bootstrap::auth::cli::ACCESS_TOKEN_ENV);
    }
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let admin = admin_graph(&emulator);
    enable_tap_policy(&admin).await;
    let users = admin
        .get_all(
            ApiVersion::V1,
            "/users?$filter=jobTitle eq 'Accountant'&$select=userPrincipalName,accountEnabled",
        )
        .await
        .unwrap();
    let plain = users
        .iter()
        .find(|u| u["accountEnabled"] == true)
        .and_then(|u| u["userPrincipalName"].as_str())
        .expect("a regular user")
        .to_string();

    let (real, auth) = real_sign_in(&emulator, AUTH_ADMIN);
    let connection = connect_real(&real, &auth, None)
        .await
        .expect("signed in")
        .with_account()
        .await
        .expect("who is signed in");
    assert_eq!(connection.account, AUTH_ADMIN);
    let session = connection.session.as_ref().expect("our own sign-in");
    let mut granted: Vec<String> = session
        .granted_scopes()
        .await
        .into_iter()
        .map(|s| s.to_ascii_lowercase())
        .filter(|s| !["openid", "profile", "offline_access", "email"].contains(&s.as_str()))
        .collect();
    granted.sort();
    let mut asked: Vec<String> = HELPDESK_SCOPES
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    asked.sort();
    assert_eq!(
        granted, asked,
        "the token carries the help-desk scopes and nothing else"
    );
    let graph = &connection.graph;

    // Issue, list, revoke with that token.
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = TapIssueArgs {
        upns: vec![plain.clone()],
        json: true,
        ..TapIssueArgs::default()
    };
    let code = run(&args, graph, &mut out, &mut err).await;
    let err_text = String::from_utf8_lossy(&err).to_string();
    assert_eq!(code, 0, "{err_text}");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let tap = doc["results"][0]["temporary_access_pass"]
        .as_str()
        .expect("a pass")
        .to_string();
    assert!(verify(&emulator, &plain, &tap).await);

    let mut out = Vec::new();
    let mut err = Vec::new();
    let list = TapListArgs {
        upn: plain.clone(),
        json: true,
    };
    assert_eq!(run_list(&list, graph, &mut out, &mut err).await, 0);
    let listed = String::from_utf8(out).unwrap();
    let listed_doc: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        listed_doc["passes"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    assert!(!listed.contains(&tap), "list never shows the code");

    let mut out = Vec::new();
    let mut err = Vec::new();
    let revoke = TapRevokeArgs {
        upn: plain.clone(),
        json: true,
    };
    assert_eq!(run_revoke(&revoke, graph, &mut out, &mut err).await, 0);
    assert_eq!(serde_json::from_slice::<Value>(&out).unwrap()["revoked"], 1);
    assert!(!verify(&emulator, &plain, &tap).await, "revoked");

    // An administrator's pass needs Privileged Authentication Administrator: even allowed, the
    // refusal names the role, and nothing is issued.
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = TapIssueArgs {
        upns: vec![emulator.admin_upn.to_string()],
        allow_privileged: true,
        json: true,
        ..TapIssueArgs::default()
    };
    let code = run(&args, graph, &mut out, &mut err).await;
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let result = &doc["results"][0];
    assert_eq!(result["status"], "failed", "{doc}");
    assert!(result["temporary_access_pass"].is_null());
    let reason = result["reason"].as_str().unwrap();
    assert!(
        reason.contains("Privileged Authentication Administrator"),
        "{reason}"
    );

    // Lab work is outside the help-desk scopes: changing the TAP policy is refused with the
    // missing permission named.
    let refused = graph
        .patch(
            ApiVersion::V1,
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
            &json!({"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "state": "enabled"}),
        )
        .await
        .expect_err("the help-desk token may not change policies");
    let text = refused.to_string();
    assert!(
        text.contains("Policy.ReadWrite.AuthenticationMethod"),
        "{text}"
    );
    emulator.shutdown().await;
}
