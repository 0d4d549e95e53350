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
