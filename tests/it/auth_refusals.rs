//! Every way Entra can refuse a sign-in that the emulator can make: the client's message names
//! the AADSTS code and the fix, the saved sign-in stays when it is not the cause, and no wait runs
//! to its timeout.

use crate::auth_support::*;
use hello_bootstrap::auth::{
    AuthError, AuthSession, DeviceProgress, Interaction, SecretStore, scopes_for_steps,
};
use hello_bootstrap::lab::Step;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What each refusal's message must say it is about.
const FIXES: &[(u32, &str)] = &[
    (65001, "adminconsent?client_id="),
    (90094, "adminconsent?client_id="),
    (50105, "not assigned"),
    (700016, "--client-id"),
    (7000112, "disabled"),
    (50076, "multi-factor"),
    (50079, "multi-factor"),
    (53003, "Conditional Access"),
    (50055, "password has expired"),
    (50053, "locked"),
];

fn fix_for(code: u32) -> &'static str {
    FIXES.iter().find(|(c, _)| *c == code).unwrap().1
}

fn assert_refused(e: &AuthError, code: u32) {
    match e {
        AuthError::Refused { code: got, .. } => assert_eq!(*got, code, "{e}"),
        other => panic!("expected refusal {code}, got {other:?}"),
    }
    let text = e.to_string();
    assert!(text.contains(&format!("AADSTS{code}")), "{text}");
    assert!(text.contains(fix_for(code)), "{text}");
    assert!(!text.contains("Trace ID"), "{text}");
}

async fn refuse(emu: &hello_bootstrap::emulator::EmulatorHandle, code: u32, only: &str) {
    hook(emu, "refuse", json!({"code": code, "only": only})).await;
}

#[tokio::test]
async fn refusals_on_refresh_are_explained_and_keep_the_saved_sign_in() {
    let emu = emulator().await;
    let store = store("hb-test-refuse-refresh");
    let admin = crate::common::admin_upn(&emu);
    browser_session(&emu, store.clone(), &admin, true)
        .token()
        .await
        .expect("signed in");
    let key = config(&emu).cache_key();
    let saved = store.load(&key).unwrap().expect("saved");
    for code in [
        65001, 50105, 700016, 7000112, 50076, 50079, 53003, 50055, 50053,
    ] {
        refuse(&emu, code, "refresh_token").await;
        let background = AuthSession::new(
            config(&emu),
            store.clone(),
            Interaction::Never,
            scopes_for_steps(&Step::ALL),
        )
        .unwrap();
        let e = background.token().await.unwrap_err();
        assert_refused(&e, code);
        assert_eq!(
            store.load(&key).unwrap().as_ref(),
            Some(&saved),
            "AADSTS{code} must not wipe the saved sign-in"
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn refusals_on_the_sign_in_page_end_the_wait_at_once() {
    let emu = emulator().await;
    let admin = crate::common::admin_upn(&emu);
    for code in [90094, 50105, 700016, 7000112, 53003, 50055, 50053] {
        refuse(&emu, code, "authorize").await;
        let session = browser_session(&emu, store("hb-test-refuse-page"), &admin, true);
        let started = Instant::now();
        let e = session.sign_in().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "AADSTS{code}");
        assert_refused(&e, code);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn refusals_when_the_code_is_redeemed_are_explained() {
    let emu = emulator().await;
    let admin = crate::common::admin_upn(&emu);
    for code in [65001, 50076, 53003] {
        refuse(&emu, code, "authorization_code").await;
        let session = browser_session(&emu, store("hb-test-refuse-code"), &admin, true);
        let e = session.sign_in().await.unwrap_err();
        assert_refused(&e, code);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn mfa_required_on_refresh_leads_to_one_interactive_sign_in() {
    let emu = emulator().await;
    hook(&emu, "settings", json!({"access_token_lifetime_s": 60})).await;
    let admin = crate::common::admin_upn(&emu);
    let session = browser_session(&emu, store("hb-test-refuse-mfa"), &admin, true);
    session.token().await.unwrap();
    refuse(&emu, 50076, "refresh_token").await;
    // 60 s left is inside the refresh margin: the refresh meets 50076, the browser completes MFA.
    session
        .token()
        .await
        .expect("interactive sign-in after 50076");
    assert_eq!(session.interactive_sign_ins(), 2);
    assert_eq!(stat(&emu, "token:refresh_token").await, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_device_code_flow_blocked_by_policy_says_to_use_the_browser() {
    let emu = emulator().await;
    hook(&emu, "settings", json!({"device_interval_s": 1})).await;
    refuse(&emu, 53003, "device_code").await;
    let session = AuthSession::new(
        config(&emu),
        store("hb-test-refuse-device"),
        Interaction::DeviceCode(Arc::new(|_: DeviceProgress| {})),
        scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap();
    let started = Instant::now();
    let e = session.sign_in().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_refused(&e, 53003);
    assert!(e.to_string().contains("without --device-code"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_cleared_refusal_lets_the_sign_in_through() {
    let emu = emulator().await;
    refuse(&emu, 53003, "authorize").await;
    hook(&emu, "refuse", json!({"code": null})).await;
    let session = browser_session(
        &emu,
        store("hb-test-refuse-cleared"),
        &crate::common::admin_upn(&emu),
        true,
    );
    session.sign_in().await.expect("no refusal in force");
    emu.shutdown().await;
}

/// Microsoft does not document which `error` an MFA refusal arrives with at `/token`; real
/// tenants answer `interaction_required` and `invalid_grant`, both with `suberror: basic_action`.
/// Either way the body carries the code, and the client's answer is the same.
#[tokio::test]
async fn an_mfa_refusal_is_handled_the_same_with_either_undocumented_error() {
    let emu = emulator().await;
    let token_url = format!("{}/{}/oauth2/v2.0/token", emu.login_url, emu.tenant_id);
    for error in ["interaction_required", "invalid_grant"] {
        hook(
            &emu,
            "refuse",
            json!({"code": 50076, "only": "refresh_token", "error": error}),
        )
        .await;
        let body: serde_json::Value = reqwest::Client::new()
            .post(&token_url)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
                ("refresh_token", "rt.any"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["error"], error);
        assert_eq!(body["suberror"], "basic_action");
        assert_eq!(body["error_codes"][0], 50076);

        let session = browser_session(
            &emu,
            store(&format!("hb-test-mfa-{error}")),
            &crate::common::admin_upn(&emu),
            true,
        );
        session.sign_in().await.expect("signed in");
        let background = AuthSession::new(
            config(&emu),
            store(&format!("hb-test-mfa-{error}")),
            Interaction::Never,
            scopes_for_steps(&Step::ALL),
        )
        .unwrap();
        assert_refused(&background.token().await.unwrap_err(), 50076);
    }
    // A made-up error is refused by the hook, so a typo cannot pass as a shape.
    let bad = reqwest::Client::new()
        .post(format!("{}/_emulator/login/refuse", emu.login_url))
        .json(&json!({"code": 50076, "error": "mfa_please"}))
        .send()
        .await
        .unwrap();
    assert!(!bad.status().is_success());
    emu.shutdown().await;
}

/// The password-expired refusal carries MSAL's `user_password_expired` suberror.
#[tokio::test]
async fn an_expired_password_on_refresh_carries_the_user_password_expired_suberror() {
    let emu = emulator().await;
    refuse(&emu, 50055, "refresh_token").await;
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.login_url, emu.tenant_id
        ))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
            ("refresh_token", "rt.any"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["suberror"], "user_password_expired");
    emu.shutdown().await;
}

/// Incremental consent as Entra does it: a refresh that asks for a permission never consented
/// to is refused with AADSTS65001 (not narrowed); a session that may not interact says so and
/// keeps the saved sign-in, and one that may interact asks once in the browser.
#[tokio::test]
async fn a_refresh_for_new_permissions_is_refused_with_65001_and_keeps_the_saved_sign_in() {
    let emu = emulator().await;
    let store = store("hb-test-consent-refresh");
    let admin = crate::common::admin_upn(&emu);
    let narrow = AuthSession::new(
        config(&emu),
        store.clone(),
        Interaction::Browser(Arc::new(
            hello_bootstrap::auth::HeadlessBrowser::new(Some(admin.clone())).unwrap(),
        )),
        scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap()
    .with_login_hint(Some(admin.clone()));
    narrow.token().await.unwrap();
    let key = config(&emu).cache_key();
    let saved = store.load(&key).unwrap().expect("saved");

    // At the wire: invalid_grant, AADSTS65001, consent_required.
    let token_url = format!("{}/{}/oauth2/v2.0/token", emu.login_url, emu.tenant_id);
    let refresh = |scope: &'static str| {
        reqwest::Client::new()
            .post(&token_url)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", hello_bootstrap::auth::DEFAULT_CLIENT_ID),
                ("refresh_token", saved.refresh_token.expose()),
                ("scope", scope),
            ])
            .send()
    };
    let wider = refresh("openid offline_access Policy.ReadWrite.MobilityManagement")
        .await
        .unwrap();
    assert_eq!(wider.status(), 400);
    let body: serde_json::Value = wider.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["suberror"], "consent_required");
    assert_eq!(body["error_codes"][0], 65001);
    // The refresh token itself is fine for what was consented.
    let same = refresh("openid offline_access Policy.ReadWrite.AuthenticationMethod")
        .await
        .unwrap();
    assert_eq!(same.status(), 200, "consented permissions still refresh");

    // A background session (no interaction) gets the refusal and the fix; nothing is wiped.
    let background = AuthSession::new(
        config(&emu),
        store.clone(),
        Interaction::Never,
        scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap();
    let e = background
        .require_scopes(hello_bootstrap::auth::scopes_for(Step::MdmUserScope))
        .await
        .unwrap_err();
    assert_refused(&e, 65001);
    assert_eq!(
        store.load(&key).unwrap().map(|c| c.refresh_token),
        Some(saved.refresh_token.clone()),
        "the saved sign-in is kept"
    );

    // An interactive session asks once in the browser for the new permission, then refreshes.
    let refused_before = stat(&emu, "token:refresh_token").await;
    narrow
        .require_scopes(hello_bootstrap::auth::scopes_for(Step::MdmUserScope))
        .await
        .expect("consented in the browser");
    assert_eq!(narrow.interactive_sign_ins(), 2, "one more browser sign-in");
    assert!(stat(&emu, "token:refresh_token").await > refused_before);
    let token = narrow.token().await.unwrap();
    let info = emu.state().tokens.validate(token.expose()).unwrap();
    assert!(info.has_scope("Policy.ReadWrite.MobilityManagement"));
    emu.shutdown().await;
}
