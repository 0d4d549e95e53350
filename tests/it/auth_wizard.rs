//! The wizard's real-tenant connect (the composition layer's own `real_connector`) against the
//! emulator's login endpoints, driven by accessible labels: a browser that opens the sign-in page
//! and never finishes, and a device code sign-in, each with its countdown and Cancel.

use crate::auth_support::{emulator, hook, hook_get};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::auth::Browser;
use hello_bootstrap::auth::cli::{AuthOptions, BrowserChoice, GivenBrowser, StoreChoice};
use hello_bootstrap::compose::{RealOptions, real_connector};
use hello_bootstrap::emulator::EmulatorHandle;
use hello_bootstrap::lab::session::{Connection, LabState};
use hello_bootstrap::ui::{AppOptions, HelloApp, build_app};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

const LAB_USER_FIELD: &str = "Lab user (who signs in at the VM)";
const TYPED_USER: &str = "adele@contoso.example";

/// A person's browser that loads the sign-in page and then never signs in (they walked away, or
/// the page shows something they cannot get past). It only opens the URL, as a browser does.
#[derive(Default)]
pub(crate) struct WalkedAwayBrowser {
    pub(crate) opened: Mutex<Vec<Url>>,
}

#[async_trait::async_trait]
impl Browser for WalkedAwayBrowser {
    async fn open(&self, url: &Url) -> Result<(), hello_bootstrap::auth::AuthError> {
        self.opened.lock().unwrap().push(url.clone());
        let page = reqwest::get(url.clone()).await.expect("the sign-in page");
        assert!(page.status().is_success(), "the account picker shows");
        Ok(())
    }
}

/// The emulator on a runtime of its own, so the harness may block this thread while it serves.
pub(crate) fn emulator_on_own_runtime() -> (tokio::runtime::Runtime, EmulatorHandle) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(emulator());
    (rt, emu)
}

pub(crate) fn real_options(emu: &EmulatorHandle, device_code: bool) -> (RealOptions, AuthOptions) {
    let real = RealOptions {
        graph_url: Some(emu.graph_url.clone()),
        login_url: Some(emu.login_url.clone()),
        tenant: Some(emu.tenant_id.clone()),
        client_id: None,
        device_code,
    };
    let auth = AuthOptions {
        store: StoreChoice::InMemory,
        ..AuthOptions::from_real(&real, device_code)
    };
    (real, auth)
}

fn wizard(real: RealOptions, auth: AuthOptions) -> Harness<'static, HelloApp> {
    let options = AppOptions {
        demo: false,
        connector: real_connector(real, auth),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size([1180.0, 1600.0])
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"))
}

/// Steps the app until `done` holds, or fails after about `secs` seconds.
fn step_until(
    harness: &mut Harness<'static, HelloApp>,
    secs: u64,
    done: impl Fn(&LabState) -> bool,
) {
    for _ in 0..secs * 50 {
        harness.step();
        if done(harness.state().lab()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "timed out; connection: {:?}",
        harness.state().lab().connection
    );
}

fn type_lab_user_and_sign_in(harness: &mut Harness<'static, HelloApp>) {
    harness.run();
    harness.get_by_label(LAB_USER_FIELD).focus();
    harness.run();
    harness.get_by_label(LAB_USER_FIELD).type_text(TYPED_USER);
    harness.run();
    harness.get_by_label("Sign in and start").click();
    step_until(harness, 10, |lab| {
        matches!(lab.connection, Connection::Connecting { wait: Some(_) })
    });
    harness.step();
}

/// The countdown's "m:ss" after `prefix`.
pub(crate) fn countdown(harness: &Harness<'static, HelloApp>, prefix: &str) -> String {
    let node = harness.get_by_label_contains(prefix);
    let text = node
        .accesskit_node()
        .label()
        .or_else(|| node.value())
        .unwrap_or_default();
    text.trim_start_matches(prefix)
        .trim_end_matches('.')
        .to_string()
}

fn cancel_and_check_the_page_is_ready_again(harness: &mut Harness<'static, HelloApp>) {
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    step_until(harness, 2, |lab| lab.connection == Connection::Cancelled);
    harness.step();
    harness.get_by_label("Sign-in was cancelled");
    let again = harness.get_by_role_and_label(Role::Button, "Sign in and start");
    assert!(!again.accesskit_node().is_disabled());
    assert_eq!(
        harness.get_by_label(LAB_USER_FIELD).value().as_deref(),
        Some(TYPED_USER),
        "the typed lab user is kept"
    );
}

#[test]
fn a_browser_that_never_finishes_shows_the_countdown_and_cancel_closes_the_loopback_listener() {
    let (rt, emu) = emulator_on_own_runtime();
    let browser = Arc::new(WalkedAwayBrowser::default());
    let (real, mut auth) = real_options(&emu, false);
    auth.browser = BrowserChoice::Given(GivenBrowser(browser.clone()));
    let mut harness = wizard(real, auth);
    type_lab_user_and_sign_in(&mut harness);

    // The browser was sent to the emulator's authorize endpoint with a loopback redirect.
    let opened = browser.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1, "one sign-in page");
    let authorize = &opened[0];
    assert!(
        authorize.as_str().starts_with(&format!(
            "{}/{}/oauth2/v2.0/authorize?",
            emu.login_url, emu.tenant_id
        )),
        "{authorize}"
    );
    let port = loopback_port(authorize);
    assert!(
        listening(port),
        "the loopback listener waits for the redirect"
    );

    browser_wait_is_shown(&harness);
    assert!(harness.query_by_label("Sign in and start").is_none());

    cancel_and_check_the_page_is_ready_again(&mut harness);
    listener_closed_and_nothing_redeemed(&rt, &emu, port);
    rt.block_on(emu.shutdown());
}

/// The port of the loopback listener a sign-in page redirects to (checked to be `localhost`).
pub(crate) fn loopback_port(authorize: &Url) -> u16 {
    let redirect = authorize
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| Url::parse(&v).unwrap())
        .expect("a redirect_uri");
    assert_eq!(redirect.host_str(), Some("localhost"));
    redirect.port().expect("the listener's port")
}

pub(crate) fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The browser wait: what to do, and the countdown from the sign-in's five minutes.
pub(crate) fn browser_wait_is_shown(harness: &Harness<'static, HelloApp>) {
    harness.get_by_label("Waiting for the browser…");
    harness.get_by_label_contains("Finish signing in in the browser tab that opened");
    let left = countdown(harness, "It gives up by itself in ");
    assert!(
        ["5:00", "4:59", "4:58", "4:57"].contains(&left.as_str()),
        "the countdown starts at the sign-in's five minutes: {left}"
    );
}

/// Cancel ended the sign-in itself, not just the page's wait: the listener is gone and no code
/// was redeemed.
pub(crate) fn listener_closed_and_nothing_redeemed(
    rt: &tokio::runtime::Runtime,
    emu: &EmulatorHandle,
    port: u16,
) {
    for _ in 0..150 {
        if !listening(port) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!listening(port), "Cancel closes the loopback listener");
    let (_, stats) = rt.block_on(hook_get(emu, "stats"));
    assert_eq!(
        stats.get("token:authorization_code"),
        None,
        "nothing redeemed"
    );
}

/// The shown device code, copied with its button: the one the emulator issued and is waiting for.
pub(crate) fn shown_code_is_pending(
    harness: &mut Harness<'static, HelloApp>,
    rt: &tokio::runtime::Runtime,
    emu: &EmulatorHandle,
) -> String {
    let code = copied(harness, "Copy the code");
    harness.get_by_label(&code);
    let (status, info) = rt.block_on(hook_get(emu, &format!("device/{code}")));
    assert_eq!(status, 200, "the shown code is the emulator's");
    assert_eq!(info["status"], "pending");
    code
}

/// Presses `button` and returns what it put on the clipboard.
pub(crate) fn copied(harness: &mut Harness<'static, HelloApp>, button: &str) -> String {
    harness.get_by_role_and_label(Role::Button, button).click();
    harness.step();
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{button} copies"))
}

#[test]
fn a_device_code_sign_in_shows_the_code_the_address_and_a_countdown_and_cancel_stops_polling() {
    let (rt, emu) = emulator_on_own_runtime();
    rt.block_on(hook(&emu, "settings", json!({"device_interval_s": 1})));
    let (real, auth) = real_options(&emu, true);
    let mut harness = wizard(real, auth);
    type_lab_user_and_sign_in(&mut harness);

    harness.get_by_label("Enter the code on another device");
    harness.get_by_label_contains("open the address below, enter the code");
    // The address, and Copy puts exactly it on the clipboard.
    let address = format!("{}/devicelogin", emu.login_url);
    harness.get_by_label(&address);
    assert_eq!(copied(&mut harness, "Copy the address"), address);
    let code = shown_code_is_pending(&mut harness, &rt, &emu);
    // The countdown runs to the code's expires_in (the emulator's 15 minutes).
    let left = countdown(&harness, "The code expires in ");
    assert!(
        ["15:00", "14:59", "14:58", "14:57"].contains(&left.as_str()),
        "counts down from expires_in: {left}"
    );
    assert!(
        harness
            .query_by_label_contains("It gives up by itself")
            .is_none()
    );

    cancel_and_check_the_page_is_ready_again(&mut harness);
    // Cancel stops the polling at once, not at the next check of a flag.
    std::thread::sleep(Duration::from_millis(300));
    let polls = |rt: &tokio::runtime::Runtime| {
        let (_, info) = rt.block_on(hook_get(&emu, &format!("device/{code}")));
        info["polls_ms"].as_array().map(Vec::len).unwrap_or(0)
    };
    let after_cancel = polls(&rt);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(polls(&rt), after_cancel, "no poll after Cancel");
    rt.block_on(emu.shutdown());
}

/// Incremental consent cancelled halfway: the refresh for the new permission is refused
/// (AADSTS65001), the browser opens for consent and never finishes, the person cancels, and the
/// saved sign-in is exactly as it was.
#[tokio::test]
async fn a_cancelled_consent_prompt_keeps_the_saved_sign_in() {
    use hello_bootstrap::auth::{
        AuthError, AuthSession, BrowserProgress, Interaction, SecretStore,
    };
    use hello_bootstrap::lab::Step;
    let emu = emulator().await;
    let store = crate::auth_support::store("hb-test-consent-cancelled");
    let admin = crate::common::admin_upn(&emu);
    let narrow = AuthSession::new(
        crate::auth_support::config(&emu),
        store.clone(),
        Interaction::Browser(Arc::new(
            hello_bootstrap::auth::HeadlessBrowser::new(Some(admin.clone())).unwrap(),
        )),
        hello_bootstrap::auth::scopes_for_steps(&[Step::TapPolicy]),
    )
    .unwrap()
    .with_login_hint(Some(admin.clone()));
    narrow.token().await.unwrap();
    let key = crate::auth_support::config(&emu).cache_key();
    let saved = store.load(&key).unwrap().expect("saved");

    let (waiting_tx, mut waiting_rx) = tokio::sync::mpsc::unbounded_channel();
    let browser = Arc::new(WalkedAwayBrowser::default());
    let session = Arc::new(
        AuthSession::new(
            crate::auth_support::config(&emu),
            store.clone(),
            Interaction::Browser(browser.clone()),
            hello_bootstrap::auth::scopes_for_steps(&[Step::TapPolicy]),
        )
        .unwrap()
        .with_browser_progress(Arc::new(move |p| {
            if matches!(p, BrowserProgress::Waiting { .. }) {
                let _ = waiting_tx.send(());
            }
        })),
    );
    let asking = {
        let session = session.clone();
        tokio::spawn(async move {
            session
                .require_scopes(hello_bootstrap::auth::scopes_for(Step::MdmUserScope))
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(10), waiting_rx.recv())
        .await
        .expect("the consent prompt opens")
        .unwrap();
    assert_eq!(browser.opened.lock().unwrap().len(), 1);
    session.cancel_sign_in();
    let e = tokio::time::timeout(Duration::from_secs(5), asking)
        .await
        .expect("Cancel ends the wait")
        .unwrap()
        .unwrap_err();
    assert_eq!(e, AuthError::Cancelled);
    assert_eq!(
        store.load(&key).unwrap().as_ref(),
        Some(&saved),
        "the saved sign-in is kept"
    );
    emu.shutdown().await;
}
