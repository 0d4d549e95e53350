//! The demo's lab user picked on the Welcome page among the demo tenant's users (issue 11):
//! offered once connected, the pick reaches the steps that act for the lab user, and it is
//! locked once step 6 has issued that user's pass.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::lab::{Step, StepStatus};
use hello_bootstrap::ui::{AppOptions, HelloApp, build_app};
use std::time::{Duration, Instant};

fn wait_for(harness: &mut Harness<'_, HelloApp>, what: &str, done: impl Fn(&HelloApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

#[test]
fn the_demo_lab_user_is_picked_among_the_demo_tenants_users_until_step_6_issues_a_pass() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 1400.0])
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    connector: hello_bootstrap::compose::default_connector(),
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    assert!(
        harness.query_by_role(Role::ComboBox).is_none(),
        "nothing to pick before the demo tenant is there"
    );
    harness.get_by_label("Start the demo").click();
    wait_for(&mut harness, "the demo and its list of users", |app| {
        app.lab().connection == Connection::Connected
            && !app.lab().busy()
            && !app.lab().lab_user_choices.is_empty()
    });
    let choices = harness.state().lab().lab_user_choices.clone();
    let first = choices[0].upn.to_string();
    assert!(
        first.starts_with("lab.user@"),
        "the demo's own lab user first: {first}"
    );
    assert!(
        choices
            .iter()
            .all(|c| !c.upn.as_str().starts_with("admin@")),
        "the signed-in administrator is not offered"
    );
    assert!(
        choices.len() > 5,
        "the demo tenant's people are offered: {choices:?}"
    );
    let chosen = choices[3].clone();
    harness.get_by_role(Role::ComboBox).click();
    harness.run_steps(2);
    harness.get_by_label_contains(chosen.upn.as_str()).click();
    wait_for(&mut harness, "steps 6 and 7 checked for the pick", |app| {
        !app.lab().busy()
    });
    // Step 6 now acts for the pick: applying it issues the pass to them.
    harness
        .state_mut()
        .show_page(hello_bootstrap::ui::Page::Step(Step::TapPolicy));
    harness.run_steps(2);
    harness.get_by_label("Apply step 5").click();
    wait_for(&mut harness, "step 5", |app| {
        app.lab().status(Step::TapPolicy) == StepStatus::Applied && !app.lab().busy()
    });
    harness
        .state_mut()
        .show_page(hello_bootstrap::ui::Page::Step(Step::TapIssued));
    harness.run_steps(2);
    harness.get_by_label("Apply step 6").click();
    wait_for(&mut harness, "step 6", |app| {
        app.lab().status(Step::TapIssued) == StepStatus::Applied && !app.lab().busy()
    });
    let detail = harness.state().lab().steps[&Step::TapIssued].detail.clone();
    assert!(
        detail.contains(chosen.upn.as_str()),
        "step 6 issued the pass to the pick: {detail}"
    );
    harness
        .state_mut()
        .show_page(hello_bootstrap::ui::Page::Welcome);
    harness.run_steps(2);
    harness.get_by_label_contains("Step 6 issued its pass to this user");
}
