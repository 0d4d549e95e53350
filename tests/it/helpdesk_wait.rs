//! Help-desk mode's sign-in waits as the lab's do, against the emulator's login endpoints and
//! driven by accessible labels: a browser that opens the sign-in page and never finishes (what to
//! do, the time left, Cancel closing the loopback listener, "Sign in again"), and a device code
//! that runs out (the code, its countdown, then an error naming what failed and "Sign in again").

use crate::auth_support::hook;
use crate::auth_wizard::{
    WalkedAwayBrowser, browser_wait_is_shown, countdown, emulator_on_own_runtime,
    listener_closed_and_nothing_redeemed, listening, loopback_port, real_options,
    shown_code_is_pending,
};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::auth::cli::{AuthOptions, BrowserChoice, GivenBrowser};
use hello_bootstrap::compose::{RealOptions, real_helpdesk_connector};
use hello_bootstrap::ui::{AppOptions, HelloApp, build_app};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn helpdesk_on_real_tenant(real: RealOptions, auth: AuthOptions) -> Harness<'static, HelloApp> {
    let options = AppOptions {
        demo: false,
        helpdesk: Some(real_helpdesk_connector(real, auth)),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size([1180.0, 1600.0])
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"));
    harness.run();
    harness.get_by_label("Open help desk").click();
    harness
}

fn step_until_shown(harness: &mut Harness<'static, HelloApp>, secs: u64, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while harness.query_by_label_contains(text).is_none() {
        assert!(Instant::now() < deadline, "timed out waiting for {text:?}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
}

fn sign_in_again_is_offered(harness: &Harness<'static, HelloApp>) {
    let again = harness.get_by_role_and_label(Role::Button, "Sign in again");
    assert!(!again.accesskit_node().is_disabled());
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Cancel")
            .is_none()
    );
}

#[test]
fn a_help_desk_browser_sign_in_shows_what_to_do_and_the_time_left_and_cancel_ends_it() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let (rt, emu) = emulator_on_own_runtime();
    let browser = Arc::new(WalkedAwayBrowser::default());
    let (real, mut auth) = real_options(&emu, false);
    auth.browser = BrowserChoice::Given(GivenBrowser(browser.clone()));
    let mut harness = helpdesk_on_real_tenant(real, auth);
    step_until_shown(&mut harness, 20, "Waiting for the browser…");

    harness.get_by_label("Help desk: Temporary Access Passes");
    browser_wait_is_shown(&harness);
    // The page the browser got asks for the help-desk permissions, and the listener waits.
    let opened = browser.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1, "one sign-in page");
    let scope = opened[0]
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .expect("a scope");
    assert!(
        scope.contains("UserAuthenticationMethod.ReadWrite.All"),
        "{scope}"
    );
    assert!(!scope.contains("DeviceManagement"), "no lab scope: {scope}");
    let port = loopback_port(&opened[0]);
    assert!(
        listening(port),
        "the loopback listener waits for the redirect"
    );

    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    step_until_shown(&mut harness, 2, "Sign-in cancelled");
    assert!(
        harness
            .query_by_label_contains("It gives up by itself")
            .is_none()
    );
    sign_in_again_is_offered(&harness);
    listener_closed_and_nothing_redeemed(&rt, &emu, port);

    // "Sign in again" opens a new sign-in page with its own wait.
    harness
        .get_by_role_and_label(Role::Button, "Sign in again")
        .click();
    step_until_shown(&mut harness, 20, "Waiting for the browser…");
    assert_eq!(
        browser.opened.lock().unwrap().len(),
        2,
        "a second sign-in page"
    );
    rt.block_on(emu.shutdown());
}

#[test]
fn a_help_desk_device_code_shows_the_code_and_its_countdown_and_says_when_it_ran_out() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let (rt, emu) = emulator_on_own_runtime();
    rt.block_on(hook(
        &emu,
        "settings",
        json!({"device_interval_s": 1, "device_lifetime_s": 4}),
    ));
    let (real, auth) = real_options(&emu, true);
    let mut harness = helpdesk_on_real_tenant(real, auth);
    step_until_shown(&mut harness, 20, "Enter the code on another device");

    harness.get_by_label(&format!("{}/devicelogin", emu.login_url));
    let code = shown_code_is_pending(&mut harness, &rt, &emu);
    let left = countdown(&harness, "The code expires in ");
    assert!(
        ["0:04", "0:03", "0:02"].contains(&left.as_str()),
        "counts down from the code's expires_in: {left}"
    );

    // Nobody enters it: the code runs out, and the page says what failed and offers a new one.
    step_until_shown(&mut harness, 20, "Help-desk sign-in failed");
    harness.get_by_label_contains("the device code expired before the sign-in was approved");
    assert!(
        harness.query_by_label(&code).is_none(),
        "the dead code is gone"
    );
    sign_in_again_is_offered(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Sign in again")
        .click();
    step_until_shown(&mut harness, 20, "Enter the code on another device");
    assert!(
        harness.query_by_label(&code).is_none(),
        "a new code, not the expired one"
    );
    rt.block_on(emu.shutdown());
}
