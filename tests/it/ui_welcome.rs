//! The Welcome page's first screen (issue 11): a help-desk user sees the way into help-desk
//! mode without scrolling, and the learner's own start (where the lab runs, the lab user, the
//! connection's state, the footer's start button) stays in view beside it. Checked through the
//! widgets' rects at 1366x768, in presenter mode there, and in presenter mode at 1920x1080.

use egui::Rect;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hello_bootstrap::compose::{DemoOptions, RealOptions, wizard_connectors};
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::ui::{AppOptions, HelloApp, build_app};
use std::time::{Duration, Instant};

fn app(size: [f32; 2], presenter: bool) -> Harness<'static, HelloApp> {
    let (connector, helpdesk) = wizard_connectors(
        RealOptions::default(),
        DemoOptions {
            host_time_scale: Some(0.0),
            ..DemoOptions::default()
        },
    );
    let options = AppOptions {
        demo: true,
        presenter,
        connector,
        helpdesk: Some(helpdesk),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"))
}

/// The part of the window the page scrolls in: under the top bar, above the footer.
fn page_view(harness: &Harness<'_, HelloApp>) -> Rect {
    let title = harness.get_by_label("Welcome to Hello Bootstrap").rect();
    let footer = harness.get_by_role_and_label(Role::Button, "Back").rect();
    Rect::from_min_max(
        egui::pos2(0.0, title.top()),
        egui::pos2(f32::MAX, footer.top()),
    )
}

fn assert_in_view(harness: &Harness<'_, HelloApp>, what: &str, rect: Rect, size: &str) {
    let view = page_view(harness);
    assert!(
        view.contains_rect(rect),
        "{size}: {what} at {rect:?} is out of the page's view {view:?}"
    );
}

fn wait_connected(harness: &mut Harness<'_, HelloApp>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lab = harness.state().lab();
        if lab.connection == Connection::Connected
            && !lab.busy()
            && !lab.lab_user_choices.is_empty()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the demo never settled");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(3);
}

#[test]
fn the_help_desk_card_and_the_learners_start_share_the_first_screen_at_1366x768() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut harness = app([1366.0, 768.0], false);
    harness.run();
    let size = "1366x768, not started";
    for label in [
        "Open help desk",
        "Demo tenant \"Contoso Lab\" on this PC (offline, nothing real changes)",
        "Lab user (who signs in at the VM)",
        "The demo is not started yet",
    ] {
        let rect = harness.get_by_label(label).rect();
        assert_in_view(&harness, label, rect, size);
    }
    let start = harness.get_by_label("Start the demo").rect();
    assert!(
        start.bottom() <= 768.0 && start.top() >= page_view(&harness).bottom(),
        "{size}: the start button sits in the footer, in the window: {start:?}"
    );

    harness.get_by_label("Start the demo").click();
    wait_connected(&mut harness);
    let size = "1366x768, connected";
    let help = harness.get_by_label("Open help desk").rect();
    assert_in_view(&harness, "Open help desk", help, size);
    let picker = harness.get_by_role(Role::ComboBox).rect();
    assert_in_view(&harness, "the lab user picker", picker, size);
    let connected = harness
        .get_by_label_contains("Connected as admin@contosolab.onmicrosoft.com")
        .rect();
    assert_in_view(&harness, "the connection's state", connected, size);
    // The demo tenant is ready: its checks fold into one line under the connection's state.
    assert!(
        harness
            .state()
            .lab()
            .readiness
            .iter()
            .all(|r| r.state == hello_bootstrap::lab::ValidationState::Passed),
        "the demo tenant is ready"
    );
    let folded = harness.get_by_label_contains("checks passed.").rect();
    assert!(
        folded.top() > connected.bottom(),
        "readiness sits under the connection's state"
    );
    let next = harness.get_by_role_and_label(Role::Button, "Next").rect();
    assert!(
        next.bottom() <= 768.0 && next.top() >= page_view(&harness).bottom(),
        "{size}: Next sits in the footer, in the window: {next:?}"
    );
    assert!(
        help.bottom() < picker.top() || help.top() > picker.bottom(),
        "the help-desk card does not cover the picker"
    );
}

#[test]
fn the_help_desk_card_is_in_view_in_presenter_mode() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    for (size, name) in [
        ([1366.0, 768.0], "presenter mode at 1366x768"),
        ([1920.0, 1080.0], "presenter mode at 1920x1080"),
    ] {
        let mut harness = app(size, true);
        harness.run();
        let help = harness.get_by_label("Open help desk").rect();
        assert_in_view(&harness, "Open help desk", help, name);
        let demo = harness
            .get_by_label("Demo tenant \"Contoso Lab\" on this PC (offline, nothing real changes)")
            .rect();
        assert_in_view(&harness, "where the lab runs", demo, name);
        let start = harness.get_by_label("Start the demo").rect();
        assert!(
            start.bottom() <= size[1],
            "{name}: the start button in the window"
        );
    }
}
