//! The wizard as a learner reads it and a presenter drives it: step 7's checks at full width,
//! pages that open at the top, the main action in the footer, a top bar that never overlaps, and
//! the whole demo lab driven with PageDown alone in presenter mode.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};
use hello_bootstrap::lab::session::{Connection, JobAction, LabState, StepState};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{Evidence, Step, StepStatus, ValidationRow, ValidationState};
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DETAIL: &str = "dsregcmd /status on the VM reports AzureAdJoined : YES and the device id \
    0f3c2a71-5b2e-4f0e-9d6a-2c8e1b7f4a90; Entra has a device object with that id, enabled, whose \
    trust type is AzureAd, registered a moment ago by the lab user.";
const FIX: &str = "Wait a minute and press Check again: Intune can take up to 15 minutes to list \
    a newly enrolled device.";

fn offline(presenter: bool) -> AppOptions {
    AppOptions {
        demo: true,
        presenter,
        connector: Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
        ..AppOptions::default()
    }
}

fn app(size: [f32; 2], options: AppOptions) -> Harness<'static, HelloApp> {
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"))
}

fn row(id: &str, label: &str, state: ValidationState) -> ValidationRow {
    ValidationRow {
        id: id.into(),
        label: label.into(),
        state,
        detail: format!("{label}. {DETAIL}"),
        fix: Some(FIX.into()),
    }
}

/// A connected demo lab whose first six steps are done and whose step 7 found one check failing.
fn lab_with_results() -> LabState {
    let mut lab = LabState {
        connection: Connection::Connected,
        tenant_name: Some("Contoso Lab".into()),
        account: Some("admin@contosolab.onmicrosoft.com".into()),
        kind: Some(SessionKind::Demo),
        ..LabState::default()
    };
    for step in &Step::ALL[..6] {
        lab.steps.insert(
            *step,
            StepState {
                status: StepStatus::Applied,
                detail: "Done.".into(),
                ..StepState::default()
            },
        );
    }
    lab.steps.insert(
        Step::Bootstrap,
        StepState {
            status: StepStatus::NeedsAction,
            detail: "3 of 4 checks passed.".into(),
            last_action: Some(JobAction::Apply),
            evidence: Evidence {
                rows: vec![
                    row("join", "Device is Entra joined", ValidationState::Passed),
                    row("mdm", "Device is Intune enrolled", ValidationState::Failed),
                    row(
                        "whfb",
                        "Windows Hello for Business is set up",
                        ValidationState::Passed,
                    ),
                    row("tap", "Signed in with the TAP", ValidationState::Passed),
                ],
                ..Evidence::default()
            },
            ..StepState::default()
        },
    );
    lab
}

/// The page's width: from the page title's left edge to the window's right edge.
fn page_width(harness: &Harness<'_, HelloApp>, title: &str, window: f32) -> f32 {
    window - harness.get_by_label(title).rect().left()
}

fn assert_checks_use_the_width(harness: &Harness<'_, HelloApp>, window: f32) {
    let page = page_width(harness, "Sign in and set up Windows Hello", window);
    let lab = lab_with_results();
    for row in &lab.step(Step::Bootstrap).evidence.rows {
        let detail = harness.get_by_label(&row.detail).rect();
        assert!(
            detail.width() >= 0.6 * page,
            "{}: the explanation is {:.0} px wide on a {page:.0} px page",
            row.label,
            detail.width()
        );
        let title = harness.get_by_label(&row.label).rect();
        let icon = harness
            .get_by_label(&format!(
                "{}: {}",
                row.label,
                match row.state {
                    ValidationState::Passed => "Passed",
                    ValidationState::Failed => "Failed",
                    ValidationState::Waiting => "Waiting",
                    ValidationState::CouldNotCheck => "Could not check",
                }
            ))
            .rect();
        assert!(
            (icon.center().y - title.center().y).abs() < title.height(),
            "{}: the icon and the title share a line",
            row.label
        );
        assert!(
            detail.top() >= title.bottom() - 1.0,
            "{}: the explanation sits beneath the title",
            row.label
        );
    }
}

#[test]
fn step_7_shows_one_card_per_check_with_the_explanation_at_full_width() {
    let mut harness = app([1366.0, 768.0], offline(false));
    harness.run();
    harness.state_mut().inject_state(lab_with_results());
    harness.state_mut().show_page(Page::Step(Step::Bootstrap));
    harness.run();
    assert_checks_use_the_width(&harness, 1366.0);
    // A failed check says what to do; passed ones do not.
    let fixes = harness
        .query_all_by_label(&format!("What to do: {FIX}"))
        .count();
    assert_eq!(fixes, 1, "only the failed check says what to do");
}

#[test]
fn step_7_checks_use_the_width_in_presenter_mode_at_1080p() {
    let mut harness = app([1920.0, 1080.0], offline(true));
    harness.run();
    harness.state_mut().inject_state(lab_with_results());
    harness.state_mut().show_page(Page::Step(Step::Bootstrap));
    harness.run();
    assert!(
        (1.5..=2.0).contains(&harness.state().text_scale()),
        "presenter text at 1080p is {}x",
        harness.state().text_scale()
    );
    assert_checks_use_the_width(&harness, 1920.0);
    // Text grows with the window: smaller window, smaller (but still large) text.
    harness.set_size(egui::vec2(1366.0, 768.0));
    harness.run();
    let small = harness.state().text_scale();
    assert!(
        (1.2..1.5).contains(&small),
        "presenter text at 768 px is {small}x"
    );
}

#[test]
fn every_page_opens_scrolled_to_the_top() {
    let mut harness = app([1366.0, 768.0], offline(false));
    harness.run();
    harness.state_mut().inject_state(lab_with_results());
    harness.state_mut().show_page(Page::Step(Step::Bootstrap));
    harness.run();
    // Space scrolls the page (a clicker's other key).
    harness.key_press(egui::Key::Space);
    harness.run_steps(10);
    assert!(
        harness.state().page_scroll_offset() > 100.0,
        "Space scrolls down, got {}",
        harness.state().page_scroll_offset()
    );
    harness.get_by_role_and_label(Role::Button, "Back").click();
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::TapIssued));
    assert_eq!(harness.state().page_scroll_offset(), 0.0);
    let title = harness
        .get_by_label("Temporary Access Pass for the lab user")
        .rect();
    assert!(
        title.top() > 0.0 && title.bottom() < 200.0,
        "the title is in view: {title:?}"
    );
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::Bootstrap));
    assert_eq!(
        harness.state().page_scroll_offset(),
        0.0,
        "back on step 7, it opens at the top again"
    );
}

#[test]
fn the_footer_offers_the_pages_main_action_until_it_is_done_then_next() {
    let mut harness = app([1366.0, 768.0], offline(false));
    harness.run();
    let mut lab = lab_with_results();
    lab.steps.insert(
        Step::TapPolicy,
        StepState {
            status: StepStatus::NotApplied,
            detail: "The TAP method is disabled.".into(),
            ..StepState::default()
        },
    );
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Step(Step::TapPolicy));
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Apply step 5");
    assert!(harness.query_by_label("Next").is_none());
    harness.state_mut().show_page(Page::Step(Step::LabVm));
    harness.run();
    assert!(harness.query_by_label("Apply step 4").is_none());
    assert!(
        !harness
            .get_by_role_and_label(Role::Button, "Next")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn no_two_top_bar_widgets_overlap_at_800_px() {
    for presenter in [false, true] {
        let mut harness = app([800.0, 600.0], offline(presenter));
        harness.run();
        let mut lab = lab_with_results();
        lab.tenant_name = Some("Contoso Lab — a rather long tenant display name".into());
        harness.state_mut().inject_state(lab);
        harness.state_mut().show_page(Page::Step(Step::Bootstrap));
        harness.run();
        // The top bar ends where the step list begins.
        let bar_bottom = harness.get_by_label("Welcome").rect().top();
        let widgets: Vec<(String, egui::Rect)> = harness
            .query_all(by().predicate(move |node| {
                let role = node.role();
                !matches!(
                    role,
                    Role::Window
                        | Role::GenericContainer
                        | Role::Pane
                        | Role::ScrollView
                        | Role::Group
                        | Role::TextRun
                ) && node
                    .bounding_box()
                    .is_some_and(|b| (b.y1 as f32) <= bar_bottom && b.y0 >= 0.0)
            }))
            .map(|n| {
                (
                    format!(
                        "{:?} {}",
                        n.accesskit_node().role(),
                        n.accesskit_node()
                            .label()
                            .or_else(|| n.value())
                            .unwrap_or_default()
                    ),
                    n.rect(),
                )
            })
            .collect();
        assert!(
            widgets.iter().any(|(label, _)| label.contains("Menu")),
            "at 800 px the top bar folds into a menu: {widgets:?}"
        );
        assert!(widgets.len() >= 4, "{widgets:?}");
        for (i, (a, ra)) in widgets.iter().enumerate() {
            assert!(ra.right() <= 800.5, "{a} runs off the window: {ra:?}");
            for (b, rb) in &widgets[i + 1..] {
                let overlap = ra.intersect(*rb);
                assert!(
                    overlap.width() <= 0.5 || overlap.height() <= 0.5,
                    "presenter {presenter}: '{a}' {ra:?} overlaps '{b}' {rb:?}"
                );
            }
        }
        // The step list is icons only, and the page still has room.
        assert!(
            harness
                .query_by_label("7. Sign in and set up Windows Hello")
                .is_none()
        );
        harness.get_by_label("7. Sign in and set up Windows Hello (Needs you)");
    }
}

/// Steps the UI while background jobs run, until `done` holds or the time runs out.
fn wait_for(harness: &mut Harness<'_, HelloApp>, what: &str, done: impl Fn(&HelloApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

/// Whether nothing runs on the page shown now, so a PageDown means the next beat.
fn settled(app: &HelloApp) -> bool {
    let lab = app.lab();
    !lab.connection.is_connecting() && !lab.busy()
}

#[test]
fn presenter_mode_drives_the_whole_demo_lab_with_page_down_only() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1920.0, 1080.0])
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    presenter: true,
                    connector: hello_bootstrap::compose::default_connector(),
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    let mut presses = 0;
    let mut seen = vec![harness.state().page()];
    while harness.state().page() != Page::Summary {
        assert!(presses < 40, "PageDown never reached the summary: {seen:?}");
        harness.key_press(egui::Key::PageDown);
        presses += 1;
        harness.run_steps(2);
        wait_for(&mut harness, "the page's work", settled);
        if seen.last() != Some(&harness.state().page()) {
            seen.push(harness.state().page());
        }
    }
    let expected: Vec<Page> = Page::all().collect();
    assert_eq!(seen, expected, "every page in order, none skipped");
    for step in Step::ALL {
        assert_eq!(
            harness.state().lab().status(step),
            StepStatus::Applied,
            "{step}"
        );
    }
    harness.get_by_label("The lab is complete");
    assert!(
        presses <= 12,
        "one press per beat: {presses} presses for 9 pages"
    );
}

#[test]
fn copying_the_pass_says_copied_and_counts_down_to_the_clipboard_clearing() {
    let mut harness = app([1366.0, 900.0], offline(false));
    harness.run();
    let mut lab = lab_with_results();
    lab.tap = Some(hello_bootstrap::lab::session::IssuedTap {
        code: hello_bootstrap::lab::Secret::new("Tq7!mZ2#pL9x"),
        issued_at: chrono::Utc::now(),
    });
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Step(Step::TapIssued));
    harness.run_steps(3);
    assert!(harness.query_by_label_contains("Copied").is_none());
    harness.get_by_label("Copy the pass").click();
    harness.run_steps(3);
    harness.get_by_label_contains("Copied — clears in 60 s");
}

#[test]
fn the_lab_user_error_goes_once_the_name_is_valid() {
    let mut harness = app([1366.0, 900.0], offline(false));
    harness.run();
    let field = "Lab user (who signs in at the VM)";
    harness.get_by_label(field).focus();
    harness.run();
    harness.get_by_label(field).type_text("adele");
    harness.run();
    harness.get_by_label("Start the demo").click();
    harness.run();
    harness.get_by_label_contains("is not a user principal name");
    harness.get_by_label(field).focus();
    harness.run();
    harness.get_by_label(field).type_text("@contoso.example");
    harness.run();
    assert!(
        harness
            .query_by_label_contains("is not a user principal name")
            .is_none(),
        "the error stays after the field was fixed"
    );
}

#[test]
fn the_host_steps_open_without_the_tenant_steps() {
    let mut harness = app([1366.0, 900.0], offline(false));
    harness.run();
    let mut lab = lab_with_results();
    // Step 1 failed (a tenant without Intune, say): Hyper-V and the VM are still reachable.
    lab.steps.insert(
        Step::MdmUserScope,
        StepState {
            status: StepStatus::Error,
            detail: "Intune is not licensed in this tenant.".into(),
            ..StepState::default()
        },
    );
    lab.steps.insert(Step::HypervFeature, StepState::default());
    harness.state_mut().inject_state(lab);
    harness.run();
    harness.get_by_label("3. Hyper-V on this PC").click();
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::HypervFeature));
    assert!(
        harness
            .get_by_label("5. Temporary Access Pass policy")
            .accesskit_node()
            .is_disabled(),
        "cloud steps still wait for the ones before them"
    );
}
