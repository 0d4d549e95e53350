//! The wizard's pages and shell driven by accessible labels with injected state: no network, no
//! backend. The whole demo walk lives in `ui_walk.rs`.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::lab::session::{Connection, IssuedTap, JobAction, LabState, StepState};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{
    Evidence, EvidenceIds, GraphRequest, PortalLink, Secret, Step, StepStatus, ValidationRow,
    ValidationState,
};
use hello_bootstrap::ui::pages::step::StepPageView;
use hello_bootstrap::ui::{AppOptions, Command, HelloApp, Page, build_app, theme};
use std::sync::Arc;

const TAP_CODE: &str = "Tq7!mZ2#pL9x";

fn offline_options() -> AppOptions {
    AppOptions {
        demo: true,
        connector: Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
        ..AppOptions::default()
    }
}

fn app_harness(options: AppOptions) -> Harness<'static, HelloApp> {
    Harness::builder()
        .with_size([1180.0, 820.0])
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"))
}

fn connected_lab() -> LabState {
    LabState {
        connection: Connection::Connected,
        tenant_name: Some("Contoso Lab".into()),
        account: Some("admin@contoso.example".into()),
        kind: Some(SessionKind::Demo),
        ..LabState::default()
    }
}

fn with_status(mut lab: LabState, step: Step, status: StepStatus, detail: &str) -> LabState {
    lab.steps.insert(
        step,
        StepState {
            status,
            detail: detail.into(),
            last_action: Some(JobAction::Check),
            ..StepState::default()
        },
    );
    lab
}

fn policy_evidence() -> Evidence {
    Evidence {
        before: Some(serde_json::json!({ "appliesTo": "none" })),
        after: Some(serde_json::json!({ "appliesTo": "all" })),
        requests: vec![GraphRequest::new(
            "PATCH",
            "https://graph.microsoft.com/beta/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000",
            Some(serde_json::json!({ "appliesTo": "all" })),
        )],
        portal: Some(PortalLink {
            label: "Open in the Intune admin center".into(),
            url: "https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesWindowsMenu/~/windowsEnrollment".into(),
        }),
        ..Evidence::default()
    }
}

#[test]
fn welcome_page_rejects_a_malformed_lab_user_and_keeps_what_was_typed() {
    let mut harness = app_harness(offline_options());
    harness.run();
    harness.get_by_label("Welcome to Hello Bootstrap");
    harness
        .get_by_label("Lab user (who signs in at the VM)")
        .focus();
    harness.run();
    harness
        .get_by_label("Lab user (who signs in at the VM)")
        .type_text("adele");
    harness.run();
    harness.get_by_label("Start the demo").click();
    harness.run();
    harness.get_by_label_contains("'adele' is not a user principal name");
    assert_eq!(harness.state().lab().connection, Connection::NotConnected);
    assert_eq!(
        harness
            .get_by_label("Lab user (who signs in at the VM)")
            .value()
            .as_deref(),
        Some("adele")
    );
    assert!(
        harness.query_by_label("Next").is_none(),
        "not started, so the footer offers the start, not Next"
    );
    harness.get_by_role_and_label(Role::Button, "Start the demo");
}

#[test]
fn welcome_page_says_why_starting_failed() {
    let mut harness = app_harness(offline_options());
    harness.run();
    harness.get_by_label("Start the demo").click();
    for _ in 0..200 {
        harness.step();
        if matches!(harness.state().lab().connection, Connection::Failed(_)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run();
    harness.get_by_label("The demo could not start");
    harness.get_by_label("offline test");
    harness.get_by_role_and_label(Role::Button, "Try again");
}

#[test]
fn next_stays_disabled_with_a_reason_until_the_step_validates() {
    let mut harness = app_harness(offline_options());
    let lab = with_status(
        connected_lab(),
        Step::MdmUserScope,
        StepStatus::NotApplied,
        "Automatic enrollment applies to no users.",
    );
    harness.state_mut().inject_state(lab.clone());
    harness
        .state_mut()
        .show_page(Page::Step(Step::MdmUserScope));
    harness.run();

    // Until the step is done the footer offers its main action instead of Next.
    assert!(
        harness.query_by_label("Next").is_none(),
        "Next must wait for the step"
    );
    harness.get_by_role_and_label(Role::Button, "Apply step 1");
    harness.get_by_label("I did this another way");
    harness.key_press(egui::Key::ArrowRight);
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::MdmUserScope));

    let lab = with_status(
        lab,
        Step::MdmUserScope,
        StepStatus::Applied,
        "Applies to all users.",
    );
    harness.state_mut().inject_state(lab);
    harness.run();
    let next = harness.get_by_label("Next");
    assert!(!next.accesskit_node().is_disabled());
    next.click();
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::WhfbEnrollment));
}

#[test]
fn presenter_keys_move_between_pages_only_when_allowed() {
    let mut harness = app_harness(AppOptions {
        presenter: true,
        ..offline_options()
    });
    let lab = with_status(
        connected_lab(),
        Step::MdmUserScope,
        StepStatus::Applied,
        "ok",
    );
    harness.state_mut().inject_state(lab);
    harness.run();
    harness.key_press(egui::Key::PageDown);
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::MdmUserScope));
    harness.key_press(egui::Key::PageDown);
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::WhfbEnrollment));
    harness.key_press(egui::Key::PageDown);
    harness.run();
    assert_eq!(
        harness.state().page(),
        Page::Step(Step::WhfbEnrollment),
        "step 2 is not done, so PageDown must not move on"
    );
    harness.key_press(egui::Key::PageUp);
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::MdmUserScope));
}

#[test]
fn the_tap_shows_large_then_leaves_the_ui_tree_and_the_clipboard() {
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 900.0])
        .with_step_dt(0.5)
        .build_eframe(|cc| build_app(cc, offline_options()).expect("app builds"));
    let mut lab = with_status(
        connected_lab(),
        Step::TapIssued,
        StepStatus::Applied,
        "adele@contoso.example has a Temporary Access Pass.",
    );
    lab.tap = Some(IssuedTap {
        code: Secret::new(TAP_CODE),
        issued_at: chrono::Utc::now(),
    });
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Step(Step::TapIssued));
    harness.run();

    harness.get_by_label(TAP_CODE);
    harness.get_by_label_contains("Hidden in");
    harness.get_by_label("Copy the pass").click();
    harness.step();
    let copied = copied_texts(&harness);
    assert_eq!(copied, vec![TAP_CODE.to_string()]);

    harness.run_steps(124);
    assert!(
        harness.query_by_label(TAP_CODE).is_none(),
        "the pass must be gone from the UI tree after the countdown"
    );
    assert!(harness.query_by_label_contains(TAP_CODE).is_none());
    harness.get_by_label("The pass was shown once and is now hidden.");
}

#[test]
fn the_clipboard_is_cleared_a_minute_after_copying_the_tap() {
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 900.0])
        .with_step_dt(0.5)
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    tap_display_secs: 600,
                    ..offline_options()
                },
            )
            .expect("app builds")
        });
    let mut lab = connected_lab();
    lab.tap = Some(IssuedTap {
        code: Secret::new(TAP_CODE),
        issued_at: chrono::Utc::now(),
    });
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Step(Step::TapIssued));
    harness.run();
    harness.get_by_label("Copy the pass").click();
    harness.step();
    assert_eq!(copied_texts(&harness), vec![TAP_CODE.to_string()]);
    let mut cleared = false;
    for _ in 0..130 {
        harness.step();
        if copied_texts(&harness) == vec![String::new()] {
            cleared = true;
            break;
        }
    }
    assert!(cleared, "the clipboard must be overwritten after 60 s");
}

fn copied_texts(harness: &Harness<'_, HelloApp>) -> Vec<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn presenter_mode_masks_the_tap_until_revealed() {
    let mut harness = app_harness(AppOptions {
        presenter: true,
        ..offline_options()
    });
    let mut lab = connected_lab();
    lab.tap = Some(IssuedTap {
        code: Secret::new(TAP_CODE),
        issued_at: chrono::Utc::now(),
    });
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Step(Step::TapIssued));
    harness.run();
    assert!(harness.query_by_label(TAP_CODE).is_none());
    harness.get_by_label("Reveal the pass").click();
    harness.run();
    harness.get_by_label(TAP_CODE);
}

struct StepPageState {
    step: Step,
    state: StepState,
    commands: Vec<Command>,
    iso: String,
    /// The app runs unelevated on a real host (offers "Restart as administrator").
    unelevated: bool,
}

fn step_page_harness(step: Step, state: StepState) -> Harness<'static, StepPageState> {
    Harness::builder()
        .with_size([900.0, 1000.0])
        .with_context_setup(|ctx| {
            egui_extras::install_image_loaders(ctx);
            theme::apply_style(ctx, false);
        })
        .build_ui_state(
            |ui, s: &mut StepPageState| {
                let view = StepPageView {
                    step: s.step,
                    state: &s.state,
                    connected: true,
                    demo: false,
                    tap: None,
                    secrets: vec![],
                    screen: None,
                    caption: None,
                    ids: &EvidenceIds::default(),
                    iso_path: (s.step == Step::LabVm).then_some(&mut s.iso),
                    restart_as_admin: s.unelevated.then_some(None),
                    typing: None,
                    link_failed: None,
                };
                hello_bootstrap::ui::pages::step::show(ui, view, &mut s.commands);
            },
            StepPageState {
                step,
                state,
                commands: vec![],
                iso: String::new(),
                unelevated: false,
            },
        )
}

#[test]
fn an_unelevated_app_offers_restart_as_administrator_on_host_steps_only() {
    let mut harness = step_page_harness(Step::HypervFeature, StepState::default());
    harness.state_mut().unelevated = true;
    harness.run();
    harness.get_by_label("This step needs administrator rights");
    harness
        .get_by_role_and_label(Role::Button, "Restart as administrator")
        .click();
    harness.run();
    assert_eq!(
        harness.state().commands,
        vec![Command::RestartAsAdmin(Step::HypervFeature)]
    );
    // A cloud step needs no elevation: no such offer there.
    let mut cloud = step_page_harness(Step::TapPolicy, StepState::default());
    cloud.state_mut().unelevated = true;
    cloud.run();
    assert!(cloud.query_by_label("Restart as administrator").is_none());
    // An elevated app (or the demo) never offers it.
    let mut elevated = step_page_harness(Step::HypervFeature, StepState::default());
    elevated.run();
    assert!(
        elevated
            .query_by_label("Restart as administrator")
            .is_none()
    );
}

#[test]
fn a_cloud_step_page_explains_offers_apply_and_shows_its_evidence() {
    let state = StepState {
        status: StepStatus::NotApplied,
        detail: "Automatic enrollment applies to no users.".into(),
        // A check's evidence: the state now, no "after" yet.
        evidence: Evidence {
            after: None,
            ..policy_evidence()
        },
        last_action: Some(JobAction::Check),
        ..StepState::default()
    };
    let mut harness = step_page_harness(Step::MdmUserScope, state);
    harness.run();
    harness.get_by_label("Intune automatic enrollment");
    harness.get_by_label_contains("Turns on Intune automatic enrollment");
    harness.get_by_label("This step is not done yet");
    harness.get_by_label("Open in the Intune admin center");
    harness.get_by_label_contains("\"appliesTo\": \"none\"");
    assert!(harness.query_by_label("Copy request").is_none());
    harness.get_by_label("Show the Graph request").click();
    harness.run();
    harness.get_by_label_contains("PATCH https://graph.microsoft.com/beta");
    // The main action lives in the footer ("Apply step 1"); the page keeps the read-only one.
    assert!(harness.query_by_label("Apply").is_none());
    harness
        .get_by_role_and_label(Role::Button, "Check again")
        .click();
    harness.run();
    assert_eq!(
        harness.state().commands,
        vec![Command::Check(Step::MdmUserScope)]
    );
}

#[test]
fn a_running_step_shows_progress_and_can_be_cancelled() {
    let state = StepState {
        status: StepStatus::NotApplied,
        running: Some(hello_bootstrap::lab::session::RunningJob {
            action: JobAction::Apply,
            progress: Some("Creating the VM".into()),
            fraction: Some(0.4),
        }),
        ..StepState::default()
    };
    let mut harness = step_page_harness(Step::LabVm, state);
    harness.run_steps(3);
    harness.get_by_label("Applying… Creating the VM");
    assert!(harness.query_by_label("Apply").is_none());
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert_eq!(harness.state().commands, vec![Command::Cancel(Step::LabVm)]);
}

#[test]
fn step_seven_shows_each_validation_row_with_its_verdict_and_fix() {
    let rows = vec![
        row(
            "device_joined",
            "Device is Entra joined",
            ValidationState::Passed,
            "AzureAdJoined : YES",
            None,
        ),
        row(
            "intune",
            "Device is Intune enrolled",
            ValidationState::Passed,
            "managed device found",
            None,
        ),
        row(
            "whfb",
            "Windows Hello for Business is set up",
            ValidationState::Failed,
            "no WHfB method registered yet",
            Some("Finish the PIN setup at the VM, then check again."),
        ),
    ];
    let state = StepState {
        status: StepStatus::NeedsAction,
        detail: "Two of three checks passed.".into(),
        evidence: Evidence {
            rows,
            ..Evidence::default()
        },
        ..StepState::default()
    };
    let mut harness = step_page_harness(Step::Bootstrap, state);
    harness.run();
    harness.get_by_label("Device is Entra joined: Passed");
    harness.get_by_label("Device is Intune enrolled: Passed");
    harness.get_by_label("Windows Hello for Business is set up: Failed");
    harness.get_by_label("What to do: Finish the PIN setup at the VM, then check again.");
    harness.get_by_label("This step needs you");
}

fn row(
    id: &str,
    label: &str,
    state: ValidationState,
    detail: &str,
    fix: Option<&str>,
) -> ValidationRow {
    ValidationRow {
        id: id.into(),
        label: label.into(),
        state,
        detail: detail.into(),
        fix: fix.map(Into::into),
    }
}

#[test]
fn evidence_never_shows_the_tap_even_if_a_request_echoes_it() {
    let secret = Secret::new(TAP_CODE);
    let text = hello_bootstrap::ui::widgets::mask_secrets(
        &format!("POST /x\n\n{{\"temporaryAccessPass\":\"{TAP_CODE}\"}}"),
        &[&secret],
    );
    assert!(!text.contains(TAP_CODE));
    assert!(text.contains(&secret.masked()));
}

#[test]
fn the_app_resumes_on_the_saved_page_and_says_so() {
    let mut storage = MemoryStorage::default();
    eframe::set_value(
        &mut storage,
        hello_bootstrap::ui::app::APP_KEY,
        &hello_bootstrap::ui::app::Saved {
            page: Page::Step(Step::LabVm),
            ..Default::default()
        },
    );
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 820.0])
        .build_eframe(move |cc| {
            HelloApp::new(&cc.egui_ctx, Some(&storage), offline_options()).expect("app builds")
        });
    harness.run();
    assert_eq!(harness.state().page(), Page::Step(Step::LabVm));
    harness.get_by_label("Resumed at Step 4: Windows 11 lab VM");
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert!(
        harness
            .query_by_label("Resumed at Step 4: Windows 11 lab VM")
            .is_none()
    );
}

#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.into(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn reset_lab_asks_once_before_reverting() {
    let mut harness = app_harness(AppOptions {
        presenter: true,
        ..offline_options()
    });
    harness.state_mut().inject_state(connected_lab());
    harness.state_mut().show_page(Page::Summary);
    harness.run();
    harness
        .get_all_by_label("Reset lab")
        .next()
        .expect("a Reset lab button")
        .click();
    harness.run();
    harness.get_by_label("Reset the lab?");
    harness.get_by_label("Keep the lab").click();
    harness.run();
    assert!(harness.query_by_label("Reset the lab?").is_none());
    assert!(!harness.state().lab().resetting());
}

#[test]
fn host_steps_show_the_vm_screen_when_the_host_sends_one() {
    let mut harness = app_harness(offline_options());
    let mut lab = with_status(
        connected_lab(),
        Step::LabVm,
        StepStatus::NeedsAction,
        "At OOBE.",
    );
    lab.vm_screen = Some(hello_bootstrap::lab::session::VmScreen {
        width: 4,
        height: 3,
        rgba: vec![40u8; 4 * 3 * 4].into(),
        captured_at: chrono::Utc::now(),
        page: None,
    });
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Step(Step::LabVm));
    harness.run();
    harness.get_by_label("The lab VM's screen");
    harness.state_mut().show_page(Page::Step(Step::TapPolicy));
    harness.run();
    assert!(harness.query_by_label("The lab VM's screen").is_none());
}

#[test]
fn step_four_on_a_real_host_asks_for_the_windows_iso() {
    let mut harness = step_page_harness(Step::LabVm, StepState::default());
    harness.run();
    harness.get_by_label("Windows 11 ISO file");
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Windows 11 ISO file")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Windows 11 ISO file")
        .type_text(r"D:\iso\win11.iso");
    harness.run();
    assert_eq!(harness.state().iso, r"D:\iso\win11.iso");

    let mut cloud = step_page_harness(Step::TapPolicy, StepState::default());
    cloud.run();
    assert!(cloud.query_by_label("Windows 11 ISO file").is_none());
}

/// Steps the app until `done` holds for its lab, or fails the test after about two seconds.
fn step_until(harness: &mut Harness<'static, HelloApp>, done: impl Fn(&LabState) -> bool) {
    for _ in 0..200 {
        harness.step();
        if done(harness.state().lab()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!(
        "timed out; connection: {:?}",
        harness.state().lab().connection
    );
}

#[test]
fn waiting_for_the_browser_counts_down_and_cancel_leaves_the_page_ready_to_sign_in_again() {
    use hello_bootstrap::lab::session::ConnectRequest;
    use std::sync::atomic::{AtomicBool, Ordering};
    let connector_saw_cancel = Arc::new(AtomicBool::new(false));
    let saw = connector_saw_cancel.clone();
    let options = AppOptions {
        demo: false,
        // Reports a browser wait as the real sign-in does, then blocks until cancelled.
        connector: Arc::new(move |request: ConnectRequest| {
            let saw = saw.clone();
            Box::pin(async move {
                request.attempt.waiting(
                    "Waiting for the browser…",
                    "Finish signing in in the browser tab that opened.",
                    std::time::Duration::from_secs(300),
                );
                request.attempt.cancelled().await;
                saw.store(true, Ordering::SeqCst);
                Err("the sign-in was cancelled".to_string())
            })
        }),
        ..AppOptions::default()
    };
    let mut harness = app_harness(options);
    harness.run();
    let field = "Lab user (who signs in at the VM)";
    harness.get_by_label(field).focus();
    harness.run();
    harness
        .get_by_label(field)
        .type_text("adele@contoso.example");
    harness.run();
    harness.get_by_label("Sign in and start").click();
    step_until(&mut harness, |lab| {
        matches!(lab.connection, Connection::Connecting { wait: Some(_) })
    });
    harness.step();

    harness.get_by_label("Waiting for the browser…");
    harness.get_by_label("Finish signing in in the browser tab that opened.");
    let node = harness.get_by_label_contains("It gives up by itself in ");
    let countdown = node
        .accesskit_node()
        .label()
        .or_else(|| node.value())
        .unwrap_or_default();
    let left = countdown
        .trim_start_matches("It gives up by itself in ")
        .trim_end_matches('.')
        .to_string();
    assert!(
        ["5:00", "4:59", "4:58"].contains(&left.as_str()),
        "the countdown starts at the sign-in's five minutes: {countdown}"
    );
    assert!(
        harness.query_by_label("Sign in and start").is_none(),
        "no second sign-in while one waits"
    );

    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.step();
    harness.step();
    assert_eq!(
        harness.state().lab().connection,
        Connection::Cancelled,
        "Cancel ends the wait at once"
    );
    harness.get_by_label("Sign-in was cancelled");
    assert!(harness.query_by_label("Waiting for the browser…").is_none());
    let again = harness.get_by_role_and_label(Role::Button, "Sign in and start");
    assert!(!again.accesskit_node().is_disabled());
    assert_eq!(
        harness.get_by_label(field).value().as_deref(),
        Some("adele@contoso.example"),
        "what was typed is kept"
    );
    for _ in 0..200 {
        if connector_saw_cancel.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        connector_saw_cancel.load(Ordering::SeqCst),
        "the connector was told to stop"
    );
    step_until(&mut harness, |lab| lab.connection == Connection::Cancelled);
}
