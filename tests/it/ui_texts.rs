//! The wizard's words never contradict what happened: one kittest per contradiction a new user
//! found on screen (issue 11, "Text contradicts itself").

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::lab::session::{Connection, IssuedTap, JobAction, LabState, StepState};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{Evidence, EvidenceIds, Secret, Step, StepStatus};
use hello_bootstrap::ui::pages::step::StepPageView;
use hello_bootstrap::ui::pages::tap::TapView;
use hello_bootstrap::ui::{AppOptions, Command, HelloApp, Page, build_app, theme};
use std::sync::Arc;

struct PageState {
    step: Step,
    state: StepState,
    tap: Option<Secret>,
    showing: bool,
    commands: Vec<Command>,
}

fn page(step: Step, state: StepState) -> Harness<'static, PageState> {
    page_with_tap(step, state, None, false)
}

fn page_with_tap(
    step: Step,
    state: StepState,
    tap: Option<Secret>,
    showing: bool,
) -> Harness<'static, PageState> {
    Harness::builder()
        .with_size([1100.0, 1400.0])
        .with_context_setup(|ctx| {
            egui_extras::install_image_loaders(ctx);
            theme::apply_style(ctx, false);
        })
        .build_ui_state(
            |ui, s: &mut PageState| {
                let ids = EvidenceIds::default();
                let tap = s.tap.as_ref().map(|code| {
                    if s.showing {
                        TapView::Showing {
                            code,
                            seconds_left: 42,
                            masked: false,
                            copied_for: None,
                        }
                    } else {
                        TapView::Hidden
                    }
                });
                let view = StepPageView {
                    step: s.step,
                    state: &s.state,
                    connected: true,
                    demo: true,
                    tap,
                    secrets: vec![],
                    screen: None,
                    caption: None,
                    ids: &ids,
                    iso_path: None,
                    restart_as_admin: None,
                    typing: None,
                    link_failed: None,
                };
                hello_bootstrap::ui::pages::step::show(ui, view, &mut s.commands);
            },
            PageState {
                step,
                state,
                tap,
                showing,
                commands: vec![],
            },
        )
}

/// Every text on screen, from labels and buttons alike (a label's text runs are not counted
/// again).
fn texts<S>(harness: &Harness<'_, S>) -> Vec<String> {
    harness
        .query_all(
            egui_kittest::kittest::by().predicate(|n| n.role() != egui::accesskit::Role::TextRun),
        )
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.value()))
        .collect()
}

fn count_containing<S>(harness: &Harness<'_, S>, word: &str) -> usize {
    texts(harness)
        .iter()
        .filter(|t| t.to_lowercase().contains(word))
        .count()
}

#[test]
fn a_check_shows_the_state_now_and_only_an_apply_shows_before_and_after() {
    let checked = StepState {
        status: StepStatus::NotApplied,
        detail: "Hyper-V is disabled on this PC.".into(),
        last_action: Some(JobAction::Check),
        evidence: Evidence {
            after: Some(serde_json::json!({ "state": "Disabled" })),
            ..Evidence::default()
        },
        ..StepState::default()
    };
    let mut harness = page(Step::HypervFeature, checked.clone());
    harness.run();
    harness.get_by_label("State now");
    harness.get_by_label("Now");
    assert!(
        harness.query_by_label("After").is_none(),
        "nothing was applied yet"
    );

    let applied = StepState {
        status: StepStatus::Applied,
        changed: true,
        last_action: Some(JobAction::RestartDemoPc),
        evidence: Evidence {
            before: Some(serde_json::json!({ "state": "Disabled" })),
            after: Some(serde_json::json!({ "state": "Enabled" })),
            ..Evidence::default()
        },
        ..checked
    };
    let mut harness = page(Step::HypervFeature, applied);
    harness.run();
    harness.get_by_label("Before");
    harness.get_by_label("After");
}

#[test]
fn a_revert_that_changed_nothing_does_not_claim_the_setting_came_back() {
    let state = StepState {
        status: StepStatus::NotApplied,
        detail: "We never changed this setting, so there is nothing to put back.".into(),
        last_action: Some(JobAction::Revert),
        changed: false,
        ..StepState::default()
    };
    let mut harness = page(Step::MdmUserScope, state.clone());
    harness.run();
    harness.get_by_label("Nothing to revert");
    assert!(
        harness
            .query_by_label_contains("the original setting is back")
            .is_none()
    );

    let mut harness = page(
        Step::MdmUserScope,
        StepState {
            changed: true,
            detail: "MDM user scope is None again, as it was before the lab.".into(),
            ..state
        },
    );
    harness.run();
    harness.get_by_label("Reverted: the original setting is back");
}

#[test]
fn step_6_says_note_it_now_only_while_the_pass_shows_and_never_calls_it_a_password() {
    let state = StepState {
        status: StepStatus::Applied,
        changed: true,
        detail: "Issued a Temporary Access Pass for lab.user@contoso.example, valid 60 minutes. It is shown once: note it now.".into(),
        last_action: Some(JobAction::Apply),
        ..StepState::default()
    };
    let code = Secret::new("Tq7!mZ2#pL9x");
    let mut harness = page_with_tap(Step::TapIssued, state.clone(), Some(code.clone()), true);
    harness.run();
    harness.get_by_label_contains("note it now");
    harness.get_by_label_contains("where Windows asks for the Temporary Access Pass");
    assert_eq!(count_containing(&harness, "as the password"), 0);

    let mut harness = page_with_tap(Step::TapIssued, state, Some(code), false);
    harness.run();
    harness.get_by_label("The pass was shown once and is now hidden.");
    assert_eq!(
        count_containing(&harness, "note it now"),
        0,
        "the pass is hidden: there is nothing to note any more"
    );
}

#[test]
fn step_6_before_the_pass_exists_says_what_apply_does_not_to_copy_it() {
    let state = StepState {
        status: StepStatus::NotApplied,
        detail: "lab.user@contoso.example has no usable Temporary Access Pass yet.".into(),
        last_action: Some(JobAction::Check),
        ..StepState::default()
    };
    let mut harness = page(Step::TapIssued, state);
    harness.run();
    harness.get_by_label_contains("Apply issues the pass and shows it here for 60 seconds");
    assert_eq!(count_containing(&harness, "before it hides"), 0);
}

#[test]
fn step_7_gives_its_sign_in_instructions_once_as_a_numbered_list() {
    let guidance = "At the VM: 1. choose work or school account, 2. type lab.user@contoso.example, 3. type the Temporary Access Pass, 4. set up a PIN.";
    let state = StepState {
        status: StepStatus::NeedsAction,
        detail: guidance.into(),
        last_action: Some(JobAction::Apply),
        ..StepState::default()
    };
    let mut harness = page(Step::Bootstrap, state.clone());
    harness.run();
    harness.get_by_label(guidance);
    assert_eq!(
        count_containing(&harness, "set up a pin"),
        1,
        "the instructions come once: {:?}",
        texts(&harness)
    );

    let mut harness = page(
        Step::Bootstrap,
        StepState {
            detail: String::new(),
            ..state
        },
    );
    harness.run();
    let checklist = harness.get_by_label_contains("1. Choose \"Set up for work or school\"");
    let text = checklist
        .accesskit_node()
        .label()
        .or_else(|| checklist.value())
        .unwrap_or_default();
    assert!(text.contains("\n2. ") && text.contains("\n4. "), "{text}");
}

#[test]
fn step_3_waiting_for_the_restart_says_restart_at_most_twice() {
    let state = StepState {
        status: StepStatus::NeedsAction,
        detail: "Hyper-V is enabled and waits for a restart of this PC.".into(),
        last_action: Some(JobAction::Apply),
        changed: true,
        ..StepState::default()
    };
    let mut harness = page(Step::HypervFeature, state);
    harness.run();
    assert!(
        count_containing(&harness, "restart") <= 2,
        "{:?}",
        texts(&harness)
    );
}

fn offline() -> AppOptions {
    AppOptions {
        demo: true,
        connector: Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
        ..AppOptions::default()
    }
}

fn done(detail: &str) -> StepState {
    StepState {
        status: StepStatus::Applied,
        detail: detail.into(),
        last_action: Some(JobAction::Apply),
        ..StepState::default()
    }
}

#[test]
fn the_summary_of_a_complete_lab_does_not_say_the_vm_is_back_at_oobe_and_the_footer_counts_steps() {
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1366.0, 768.0])
        .build_eframe(|cc| build_app(cc, offline()).expect("app builds"));
    harness.run();
    let mut lab = LabState {
        connection: Connection::Connected,
        tenant_name: Some("Contoso Lab".into()),
        kind: Some(SessionKind::Demo),
        ..LabState::default()
    };
    for step in Step::ALL {
        lab.steps.insert(step, done("Done."));
    }
    lab.steps.insert(
        Step::LabVm,
        done("LabVM is back at OOBE, at its first-start checkpoint. Ready for step 7."),
    );
    lab.tap = Some(IssuedTap {
        code: Secret::new("Tq7!mZ2#pL9x"),
        issued_at: chrono::Utc::now(),
    });
    harness.state_mut().inject_state(lab);
    harness.state_mut().show_page(Page::Summary);
    harness.run();
    harness.get_by_label("The lab is complete");
    assert_eq!(count_containing(&harness, "back at oobe"), 0);
    harness.get_by_label("7 of 7 steps done");
    assert!(
        !texts(&harness).iter().any(|t| t.contains(" / 9")),
        "no page counter that disagrees with 'Step n of 7'"
    );
}
