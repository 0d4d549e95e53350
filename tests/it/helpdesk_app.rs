//! Help-desk mode reached as a person reaches it: from the Welcome page's card and the top bar's
//! "Help desk", in demo mode (the demo tenant, shared with the lab) and on a "real" tenant (the
//! emulator behind the real-tenant path, signed in with a help-desk token), and back to the lab.

use egui::accesskit::{Role, Toggled};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::compose::{DemoCloud, DemoOptions, RealOptions};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::ui::{AppOptions, HelloApp, build_app};
use std::time::{Duration, Instant};

fn wait_for(
    harness: &mut Harness<'_, HelloApp>,
    what: &str,
    done: impl Fn(&Harness<'_, HelloApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

fn has(harness: &Harness<'_, HelloApp>, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

fn app(options: AppOptions) -> Harness<'static, HelloApp> {
    Harness::builder()
        .with_size([1180.0, 900.0])
        .build_eframe(move |cc| build_app(cc, options.clone()).expect("app builds"))
}

#[test]
fn demo_help_desk_from_the_welcome_page_and_the_top_bar_beside_the_lab() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let (connector, helpdesk) = hello_bootstrap::compose::wizard_connectors(
        RealOptions::default(),
        DemoOptions {
            host_time_scale: Some(0.0),
            ..DemoOptions::default()
        },
    );
    let mut harness = app(AppOptions {
        demo: true,
        connector,
        helpdesk: Some(helpdesk),
        ..AppOptions::default()
    });
    harness.run();
    harness.get_by_label("Open help desk").click();
    wait_for(&mut harness, "the help-desk sign-in", |h| {
        has(h, "Signed in as admin@contosolab.onmicrosoft.com")
    });
    harness.get_by_label("Help desk: Temporary Access Passes");
    let welcome_selected = |h: &Harness<'_, HelloApp>| {
        h.get_by_role_and_label(Role::Button, "Welcome")
            .accesskit_node()
            .toggled()
    };
    assert_eq!(
        welcome_selected(&harness),
        Some(Toggled::False),
        "the step list marks no wizard page while the help desk covers them"
    );
    let field = "Find a user (name or sign-in name)";
    harness.get_by_label(field).focus();
    harness.run_steps(1);
    harness.get_by_label(field).type_text("lab.user");
    wait_for(&mut harness, "the lab user found as I typed", |h| {
        has(h, "Lab User — lab.user@")
    });

    // Back to the lab: the wizard's Welcome page, the help-desk sign-in kept.
    harness
        .query_all_by_label("Back to the lab wizard")
        .next()
        .expect("the way back")
        .click();
    harness.run_steps(2);
    harness.get_by_label("Welcome to Hello Bootstrap");
    assert!(!has(&harness, "Help desk: Temporary Access Passes"));
    assert_eq!(welcome_selected(&harness), Some(Toggled::True));
    harness.get_by_label("Start the demo").click();
    wait_for(&mut harness, "the lab on the same demo tenant", |h| {
        h.state().lab().connection == Connection::Connected && !h.state().lab().busy()
    });
    harness.get_by_label("Contoso Lab");

    // The top bar opens it again at once, without a new sign-in.
    harness
        .get_by_role_and_label(Role::Button, "Help desk")
        .click();
    harness.run_steps(2);
    assert!(!has(&harness, "Signing in"), "no second sign-in");
    harness.get_by_label("Help desk: Temporary Access Passes");
    harness.get_by_label("Signed in as admin@contosolab.onmicrosoft.com");
    harness.get_by_label("Audit trail").click();
    wait_for(&mut harness, "the audit trail", |h| {
        has(h, "No passes issued or revoked from this machine yet.")
    });
    harness
        .get_by_role_and_label(Role::Button, "Help desk")
        .click();
    harness.run_steps(2);
    harness.get_by_label("Welcome to Hello Bootstrap");
}

#[test]
fn real_tenant_help_desk_signs_in_on_its_own_for_an_authentication_administrator() {
    let home = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap();
    let token = emulator
        .mint_token(
            "isaiah.langer@contosolab.onmicrosoft.com",
            hello_bootstrap::helpdesk::HELPDESK_SCOPES,
        )
        .expect("a seeded Authentication Administrator");
    // SAFETY: nextest runs each test in a process of its own; set before the app's threads start.
    unsafe {
        std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path());
        std::env::set_var(hello_bootstrap::auth::cli::ACCESS_TOKEN_ENV, token.expose());
    }
    let real = RealOptions {
        graph_url: Some(emulator.graph_url.clone()),
        login_url: Some(emulator.login_url.clone()),
        tenant: Some(emulator.tenant_id.clone()),
        ..RealOptions::default()
    };
    let helpdesk = hello_bootstrap::compose::helpdesk_connector(
        real,
        DemoOptions::default(),
        DemoCloud::default(),
    );
    let mut harness = app(AppOptions {
        demo: false,
        helpdesk: Some(helpdesk),
        ..AppOptions::default()
    });
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Help desk")
        .click();
    wait_for(&mut harness, "the help-desk sign-in", |h| {
        has(h, "Signed in as isaiah.langer@contosolab.onmicrosoft.com")
    });
    assert_eq!(
        harness.state().lab().connection,
        Connection::NotConnected,
        "help-desk mode needs no lab sign-in"
    );
    let field = "Find a user (name or sign-in name)";
    harness.get_by_label(field).focus();
    harness.run_steps(1);
    harness.get_by_label(field).type_text("admin@");
    wait_for(&mut harness, "the admin found", |h| {
        has(h, "Lab Admin — admin@contosolab.onmicrosoft.com")
    });
    harness
        .get_by_label_contains("Lab Admin — admin@contosolab.onmicrosoft.com")
        .click();
    wait_for(&mut harness, "the refusal", |h| {
        has(h, "No pass can be issued")
    });
    rt.block_on(emulator.shutdown());
}

/// Sets its flag when the sign-in future holding it is dropped.
struct DroppedFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for DroppedFlag {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_help_desk_sign_in_that_never_finishes_can_be_cancelled_and_started_again() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let dropped = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (dropped.clone(), started.clone());
    // A sign-in whose browser never comes back: it waits until it is dropped.
    let helpdesk: hello_bootstrap::ui::HelpdeskConnector = Arc::new(move |_demo, _attempt| {
        count.fetch_add(1, Ordering::SeqCst);
        let guard = DroppedFlag(flag.clone());
        Box::pin(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Err("never".to_string())
        })
    });
    let mut harness = app(AppOptions {
        demo: true,
        helpdesk: Some(helpdesk),
        ..AppOptions::default()
    });
    harness.run();
    harness.get_by_label("Open help desk").click();
    wait_for(&mut harness, "the sign-in wait", |h| {
        has(h, "Signing in to the demo tenant for help-desk work")
    });
    assert!(
        !dropped.load(Ordering::SeqCst),
        "the sign-in runs until cancelled"
    );
    harness.get_by_label("Cancel").click();
    wait_for(&mut harness, "the cancelled sign-in", |h| {
        has(h, "Sign-in cancelled")
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while !dropped.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "Cancel stops the sign-in's task");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!has(&harness, "Signing in to the demo tenant"));
    harness.get_by_label("Sign in again").click();
    wait_for(&mut harness, "a new sign-in", |h| {
        has(h, "Signing in to the demo tenant for help-desk work")
    });
    assert_eq!(started.load(Ordering::SeqCst), 2, "one sign-in per attempt");
}
