//! Both sign-in flows end to end against the emulator's identity endpoints over loopback HTTP,
//! with the refresh token in keyring-core's mock store.

use crate::auth_support::*;
use hello_bootstrap::auth::{
    AuthError, AuthSession, Browser, DeviceProgress, Interaction, SecretStore, scopes_for_steps,
};
use hello_bootstrap::lab::Step;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

#[tokio::test]
async fn browser_sign_in_redeems_the_code_and_keeps_only_the_refresh_token_in_the_keyring() {
    let emu = emulator().await;
    let store = store("hb-test-browser");
    let session = browser_session(&emu, store.clone(), &crate::common::admin_upn(&emu), true);

    let token = session.token().await.expect("signed in");
    let info = emu
        .state()
        .tokens
        .validate(token.expose())
        .expect("a live emulator token");
    assert_eq!(info.upn, emu.admin_upn.as_str());
    assert!(info.has_scope("Policy.ReadWrite.AuthenticationMethod"));
    assert!(info.has_scope("User.Read"));
    assert_eq!(session.interactive_sign_ins(), 1);
    assert_eq!(stat(&emu, "token:authorization_code").await, 1);

    let cached = store
        .load(&session.config().cache_key())
        .unwrap()
        .expect("refresh token saved");
    assert!(cached.refresh_token.expose().starts_with("rt."));
    assert!(cached.scopes.contains(&"AuditLog.Read.All".to_string()));

    // The access token is reused from memory: no second request.
    let again = session.token().await.unwrap();
    assert_eq!(again, token);
    assert_eq!(stat(&emu, "token:refresh_token").await, 0);

    // A new session (a new process) signs in silently from the keyring.
    let next = browser_session(&emu, store.clone(), &crate::common::admin_upn(&emu), true);
    let silent = next.token().await.expect("silent sign-in");
    assert_ne!(silent, token);
    assert_eq!(next.interactive_sign_ins(), 0);
    assert_eq!(stat(&emu, "token:refresh_token").await, 1);

    next.sign_out().await.unwrap();
    assert_eq!(store.load(&next.config().cache_key()).unwrap(), None);
    emu.shutdown().await;
}

#[tokio::test]
async fn without_a_login_hint_the_account_picker_is_used() {
    let emu = emulator().await;
    let helpdesk = upn(&format!(
        "lee.gu@{}",
        emu.admin_upn.as_str().split('@').nth(1).unwrap()
    ));
    let session = browser_session(&emu, store("hb-test-picker"), &helpdesk, false);
    let token = session.token().await.expect("signed in through the picker");
    let info = emu.state().tokens.validate(token.expose()).unwrap();
    assert_eq!(info.upn, helpdesk.as_str());
    assert_eq!(
        stat(&emu, "authorize").await,
        2,
        "the page, then the picker's POST"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn access_token_is_refreshed_before_it_expires() {
    let emu = emulator().await;
    hook(&emu, "settings", json!({"access_token_lifetime_s": 120})).await;
    let session = browser_session(
        &emu,
        store("hb-test-early"),
        &crate::common::admin_upn(&emu),
        true,
    );
    let first = session.token().await.unwrap();
    // 120 s left is inside the 5-minute margin: the next call refreshes silently.
    let second = session.token().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(stat(&emu, "token:refresh_token").await, 1);
    assert_eq!(session.interactive_sign_ins(), 1);
    assert!(emu.state().tokens.validate(second.expose()).is_ok());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_revoked_refresh_token_leads_to_one_fresh_sign_in_not_a_loop() {
    let emu = emulator().await;
    let store = store("hb-test-revoked");
    let session = browser_session(&emu, store.clone(), &crate::common::admin_upn(&emu), true);
    session.token().await.unwrap();
    let revoked = hook(
        &emu,
        "revoke",
        json!({"upn": emu.admin_upn.as_str(), "access_tokens": true}),
    )
    .await;
    assert_eq!(revoked["refresh_tokens"], 1);

    // What the Graph client does after a 401.
    assert!(
        session.renew().await,
        "a fresh sign-in replaces the dead refresh token"
    );
    assert_eq!(session.interactive_sign_ins(), 2);
    assert_eq!(
        stat(&emu, "token:refresh_token").await,
        1,
        "one refresh attempt only"
    );
    assert_eq!(stat(&emu, "token:authorization_code").await, 2);
    let token = session.token().await.unwrap();
    assert!(emu.state().tokens.validate(token.expose()).is_ok());

    // Without a way to sign in interactively, the dead sign-in is removed and reported.
    hook(
        &emu,
        "revoke",
        json!({"upn": emu.admin_upn.as_str(), "access_tokens": true}),
    )
    .await;
    let background = AuthSession::new(
        config(&emu),
        store.clone(),
        Interaction::Never,
        scopes_for_steps(&Step::ALL),
    )
    .unwrap();
    assert!(!background.renew().await);
    assert_eq!(store.load(&background.config().cache_key()).unwrap(), None);
    let e = background.token().await.unwrap_err();
    assert!(e.to_string().contains("signin"), "{e}");
    emu.shutdown().await;
}

/// A browser in which the person presses Cancel on the account picker.
struct CancellingBrowser;

#[async_trait::async_trait]
impl Browser for CancellingBrowser {
    async fn open(&self, authorize_url: &Url) -> Result<(), AuthError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = http.get(authorize_url.clone()).send().await.unwrap();
        assert_eq!(
            page.status(),
            200,
            "the picker is shown without a login_hint"
        );
        let mut form: Vec<(String, String)> = authorize_url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.push(("action".into(), "decline".into()));
        let mut action = authorize_url.clone();
        action.set_query(None);
        let answer = http.post(action).form(&form).send().await.unwrap();
        let location = answer.headers()["location"].to_str().unwrap().to_string();
        assert!(location.contains("error=access_denied"));
        http.get(location).send().await.unwrap();
        Ok(())
    }
}

#[tokio::test]
async fn cancelling_in_the_browser_is_reported_as_declined() {
    let emu = emulator().await;
    let session = AuthSession::new(
        config(&emu),
        store("hb-test-cancel"),
        Interaction::Browser(Arc::new(CancellingBrowser)),
        scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap();
    let e = session.sign_in().await.unwrap_err();
    assert!(matches!(e, AuthError::Declined(_)), "{e:?}");
    assert!(e.to_string().contains("AADSTS65004"), "{e}");
    assert!(e.to_string().contains("sign in again"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn pkce_verifier_mismatch_is_rejected_with_aadsts501481() {
    let emu = emulator().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("{}/{}/oauth2/v2.0", emu.login_url, emu.tenant_id);
    let verifier = "a-verifier-with-enough-entropy-0123456789-abcdefghijkl";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let get_code = || async {
        let answer = http
            .get(format!("{base}/authorize"))
            .query(&[
                ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
                ("response_type", "code"),
                ("redirect_uri", "http://localhost:50505/"),
                (
                    "scope",
                    "openid offline_access https://graph.microsoft.com/User.Read",
                ),
                ("state", "s-1"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("login_hint", emu.admin_upn.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
        let location = Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(
            location.port(),
            Some(50505),
            "the redirect goes to our port"
        );
        let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(pairs["state"], "s-1");
        pairs["code"].clone()
    };
    let redeem = |code: String, verifier: &'static str| {
        http.post(format!("{base}/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
                ("code", code.as_str()),
                ("redirect_uri", "http://localhost:50505/"),
                ("code_verifier", verifier),
            ])
            .send()
    };

    let wrong = redeem(
        get_code().await,
        "not-the-verifier-we-started-with-000000000000000",
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"], json!([501481]));
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS501481:")
    );
    for key in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[key].is_string(), "{key} missing from {body}");
    }

    let right = redeem(get_code().await, verifier).await.unwrap();
    assert_eq!(right.status(), 200);
    let body: Value = right.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].is_string());

    // Without PKCE the authorize endpoint refuses, back at the redirect URI.
    let no_pkce = http
        .get(format!("{base}/authorize"))
        .query(&[
            ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:50505/"),
            ("scope", "openid"),
            ("state", "s-2"),
        ])
        .send()
        .await
        .unwrap();
    let location = no_pkce.headers()["location"].to_str().unwrap();
    assert!(location.contains("error=invalid_request") && location.contains("state=s-2"));

    // A redirect URI that is not loopback gets an error page, never a redirect.
    let evil = http
        .get(format!("{base}/authorize"))
        .query(&[
            ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 400);
    assert!(evil.text().await.unwrap().contains("AADSTS50011"));
    emu.shutdown().await;
}

fn device_session(
    emu: &hello_bootstrap::emulator::EmulatorHandle,
    service: &str,
) -> (
    AuthSession,
    tokio::sync::mpsc::UnboundedReceiver<DeviceProgress>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let session = AuthSession::new(
        config(emu),
        store(service),
        Interaction::DeviceCode(Arc::new(move |p| {
            let _ = tx.send(p);
        })),
        scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap();
    (session, rx)
}

async fn user_code(rx: &mut tokio::sync::mpsc::UnboundedReceiver<DeviceProgress>) -> String {
    loop {
        match rx.recv().await.expect("progress") {
            DeviceProgress::Prompt(p) => {
                assert!(p.message.contains(&p.user_code));
                assert!(p.verification_uri.ends_with("/devicelogin"));
                return p.user_code;
            }
            _ => continue,
        }
    }
}

async fn polls(emu: &hello_bootstrap::emulator::EmulatorHandle, code: &str) -> Vec<u64> {
    let (_, info) = hook_get(emu, &format!("device/{code}")).await;
    info["polls_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn device_code_is_polled_at_the_interval_and_slow_down_adds_five_seconds() {
    let emu = emulator().await;
    hook(&emu, "settings", json!({"device_interval_s": 1})).await;
    let (session, mut rx) = device_session(&emu, "hb-test-device");
    let session = Arc::new(session);
    let signing_in = tokio::spawn({
        let session = session.clone();
        async move { session.sign_in().await }
    });
    let code = user_code(&mut rx).await;

    // Let it poll twice while pending, then ask it to slow down, then approve.
    while polls(&emu, &code).await.len() < 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    hook(&emu, "device/slow-down", json!({"user_code": code})).await;
    while polls(&emu, &code).await.len() < 3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    hook(&emu, "device/approve", json!({"user_code": code})).await;
    signing_in.await.unwrap().expect("device code sign-in");

    let times = polls(&emu, &code).await;
    assert_eq!(
        times.len(),
        4,
        "two pending polls, one slow_down, one success: {times:?}"
    );
    assert!(
        times[0] >= 1000,
        "the first poll waits one interval: {times:?}"
    );
    assert!(
        times[1] - times[0] >= 1000,
        "pending polls keep the interval: {times:?}"
    );
    assert!(times[2] - times[1] >= 1000, "{times:?}");
    assert!(times[3] - times[2] >= 6000, "slow_down adds 5 s: {times:?}");
    let mut slowed = false;
    while let Ok(p) = rx.try_recv() {
        if let DeviceProgress::SlowedDown { interval } = p {
            assert_eq!(interval, Duration::from_secs(6));
            slowed = true;
        }
    }
    assert!(slowed, "the person is told the polling slowed down");
    let token = session.token().await.unwrap();
    let info = emu.state().tokens.validate(token.expose()).unwrap();
    assert_eq!(info.upn, emu.admin_upn.as_str());
    assert!(info.has_scope("Policy.ReadWrite.AuthenticationMethod"));
    emu.shutdown().await;
}

#[tokio::test]
async fn device_code_declined_and_expired_read_clearly() {
    let emu = emulator().await;
    hook(&emu, "settings", json!({"device_interval_s": 1})).await;

    let (session, mut rx) = device_session(&emu, "hb-test-device-declined");
    let session = Arc::new(session);
    let signing_in = tokio::spawn({
        let session = session.clone();
        async move { session.sign_in().await }
    });
    let code = user_code(&mut rx).await;
    hook(&emu, "device/decline", json!({"user_code": code})).await;
    let e = signing_in.await.unwrap().unwrap_err();
    assert!(matches!(e, AuthError::Declined(_)), "{e:?}");
    assert!(e.to_string().contains("declined"), "{e}");

    hook(&emu, "settings", json!({"device_lifetime_s": 2})).await;
    let (session, mut rx) = device_session(&emu, "hb-test-device-expired");
    let signing_in = tokio::spawn(async move { session.sign_in().await });
    user_code(&mut rx).await;
    let e = signing_in.await.unwrap().unwrap_err();
    assert_eq!(e, AuthError::DeviceCodeExpired);
    assert!(e.to_string().contains("enter the new code promptly"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_device_code_is_bad_verification_code() {
    let emu = emulator().await;
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.login_url, emu.tenant_id
        ))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
            ("device_code", "dc.made-up"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "bad_verification_code");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_step_needing_new_permissions_asks_for_consent_once() {
    let emu = emulator().await;
    let store = store("hb-test-incremental");
    let narrow = AuthSession::new(
        config(&emu),
        store.clone(),
        Interaction::Browser(Arc::new(
            hello_bootstrap::auth::HeadlessBrowser::new(Some(crate::common::admin_upn(&emu)))
                .unwrap(),
        )),
        scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap()
    .with_login_hint(Some(crate::common::admin_upn(&emu)));
    narrow.token().await.unwrap();
    assert!(
        !narrow
            .granted_scopes()
            .await
            .contains(&"Policy.ReadWrite.MobilityManagement".to_string())
    );

    // A later run of step 1 starts from the saved sign-in, which lacks step 1's permission.
    let wide = browser_session(&emu, store.clone(), &crate::common::admin_upn(&emu), true);
    let token = wide.token().await.unwrap();
    assert_eq!(
        stat(&emu, "token:refresh_token").await,
        1,
        "the saved sign-in was tried first"
    );
    assert_eq!(wide.interactive_sign_ins(), 1, "one consent prompt");
    let info = emu.state().tokens.validate(token.expose()).unwrap();
    assert!(info.has_scope("Policy.ReadWrite.MobilityManagement"));
    // And after consenting, the saved sign-in covers it: no more prompts.
    let again = browser_session(&emu, store, &crate::common::admin_upn(&emu), true);
    again.token().await.unwrap();
    assert_eq!(again.interactive_sign_ins(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_browser_that_resolves_localhost_to_ipv6_still_reaches_the_listener() {
    let emu = emulator().await;
    let admin = crate::common::admin_upn(&emu);
    let browser = hello_bootstrap::auth::HeadlessBrowser::new(Some(admin.clone()))
        .unwrap()
        .resolving_localhost_to(std::net::Ipv6Addr::LOCALHOST.into())
        .unwrap();
    let session = AuthSession::new(
        config(&emu),
        store("hb-test-ipv6"),
        Interaction::Browser(Arc::new(browser)),
        scopes_for_steps(&Step::ALL),
    )
    .unwrap()
    .with_login_hint(Some(admin.clone()));
    let token = session.token().await.expect("signed in over ::1");
    let info = emu.state().tokens.validate(token.expose()).unwrap();
    assert_eq!(info.upn, admin.as_str());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_account_and_tenant_come_from_the_checked_id_token_and_client_info() {
    let emu = emulator().await;
    let store = store("hb-test-id-token");
    let session = browser_session(&emu, store.clone(), &crate::common::admin_upn(&emu), true);
    session.token().await.expect("signed in");
    // Known before any Graph call: read from the id token, not learnt from /me.
    let (account, tenant) = session.saved_account().await.unwrap();
    assert_eq!(account.as_deref(), Some(emu.admin_upn.as_str()));
    assert_eq!(tenant.as_deref(), Some(emu.tenant_id.as_str()));
    let cached = store.load(&session.config().cache_key()).unwrap().unwrap();
    assert_eq!(cached.account.as_deref(), Some(emu.admin_upn.as_str()));

    // The emulator answers client_info only when asked, as Entra does.
    let http = reqwest::Client::new();
    let refresh = |client_info: bool| {
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            (
                "client_id",
                hello_bootstrap::auth::DEFAULT_CLIENT_ID.to_string(),
            ),
            ("refresh_token", cached.refresh_token.expose().to_string()),
            (
                "scope",
                "openid profile offline_access User.Read".to_string(),
            ),
        ];
        if client_info {
            form.push(("client_info", "1".to_string()));
        }
        http.post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.login_url, emu.tenant_id
        ))
        .form(&form)
        .send()
    };
    let with: Value = refresh(true).await.unwrap().json().await.unwrap();
    for field in [
        "token_type",
        "scope",
        "expires_in",
        "ext_expires_in",
        "access_token",
        "refresh_token",
        "id_token",
        "client_info",
    ] {
        assert!(with.get(field).is_some(), "{field} missing from {with:#}");
    }
    let without: Value = refresh(false).await.unwrap().json().await.unwrap();
    assert!(without.get("client_info").is_none());
    emu.shutdown().await;
}

/// A browser showing a page that never redirects back (admin approval, a Conditional Access block).
struct StuckBrowser;

#[async_trait::async_trait]
impl Browser for StuckBrowser {
    async fn open(&self, _authorize_url: &Url) -> Result<(), AuthError> {
        Ok(())
    }
}

#[tokio::test]
async fn waiting_for_the_browser_is_reported_and_cancel_ends_it_at_once() {
    use hello_bootstrap::auth::BrowserProgress;
    let emu = emulator().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let session = Arc::new(
        AuthSession::new(
            config(&emu),
            store("hb-test-cancel-wait"),
            Interaction::Browser(Arc::new(StuckBrowser)),
            scopes_for_steps(&[Step::TapPolicy]),
        )
        .unwrap()
        .with_browser_progress(Arc::new(move |p| {
            let _ = tx.send(p);
        })),
    );
    let signing_in = tokio::spawn({
        let session = session.clone();
        async move { session.sign_in().await }
    });
    assert_eq!(
        rx.recv().await,
        Some(BrowserProgress::Waiting {
            timeout: hello_bootstrap::auth::BROWSER_TIMEOUT
        })
    );
    let started = std::time::Instant::now();
    session.cancel_sign_in();
    let e = signing_in.await.unwrap().unwrap_err();
    assert_eq!(e, AuthError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(rx.recv().await, Some(BrowserProgress::Finished));
    emu.shutdown().await;
}
