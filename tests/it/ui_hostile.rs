//! Hostile text on screen: names and messages from outside (tenant and account names, a step's
//! detail carrying Graph's error text or a VM name, validation rows) with a right-to-left
//! override, NUL, newlines, an escape sequence and 10 kB of text. The wizard, driven by kittest,
//! must show each escaped (`\u{202e}`, found by label) and never the raw character.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::lab::session::{Connection, JobAction, LabState, StepState};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{Evidence, Step, StepStatus, ValidationRow, ValidationState};
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::sync::Arc;

const TENANT: &str = "Contoso\u{202E}baL";
const ACCOUNT: &str = "admin\0@contoso.example\nroot";
const VM_ERROR: &str = "the VM 'lab\u{1b}[2Jvm' refused: \u{202E}evil";

fn app() -> Harness<'static, HelloApp> {
    let options = AppOptions {
        demo: true,
        connector: Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size([1180.0, 900.0])
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"))
}

fn lab(tenant: &str) -> LabState {
    let mut lab = LabState {
        connection: Connection::Connected,
        tenant_name: Some(tenant.into()),
        account: Some(ACCOUNT.into()),
        kind: Some(SessionKind::Demo),
        ..LabState::default()
    };
    lab.steps.insert(
        Step::Bootstrap,
        StepState {
            status: StepStatus::Error,
            detail: VM_ERROR.into(),
            last_action: Some(JobAction::Apply),
            evidence: Evidence {
                rows: vec![ValidationRow {
                    id: "device_joined".into(),
                    label: "Device lab\u{202E}vm is joined".into(),
                    state: ValidationState::Failed,
                    detail: "Graph said: name\0with NUL".into(),
                    fix: Some("Rename \u{202E}it".into()),
                }],
                ..Evidence::default()
            },
            ..StepState::default()
        },
    );
    lab
}

/// Every text the accessibility tree exposes (labels and values).
fn texts(harness: &Harness<'_, HelloApp>) -> Vec<String> {
    harness
        .query_all(egui_kittest::kittest::by().predicate(|_| true))
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.value()))
        .collect()
}

fn assert_no_raw(harness: &Harness<'_, HelloApp>) {
    for text in texts(harness) {
        assert!(
            !text
                .chars()
                .any(|c| matches!(c, '\u{202E}' | '\0' | '\u{1b}')),
            "raw hostile text on screen: {text:?}"
        );
    }
}

fn find(harness: &Harness<'_, HelloApp>, part: &str) -> usize {
    texts(harness).iter().filter(|t| t.contains(part)).count()
}

#[test]
fn names_details_and_rows_from_outside_are_shown_escaped() {
    let mut harness = app();
    harness.state_mut().inject_state(lab(TENANT));
    harness.state_mut().show_page(Page::Step(Step::Bootstrap));
    harness.run();
    assert_no_raw(&harness);
    assert!(
        find(&harness, "Contoso\\u{202e}baL") > 0,
        "{:?}",
        texts(&harness)
    );
    assert!(find(&harness, "admin\\u{0000}@contoso.example\\u{000a}root") > 0);
    assert!(
        find(&harness, "lab\\u{001b}[2Jvm") > 0,
        "{:?}",
        texts(&harness)
    );
    assert!(find(&harness, "Device lab\\u{202e}vm is joined") > 0);
    assert!(find(&harness, "name\\u{0000}with NUL") > 0);
    assert!(find(&harness, "Rename \\u{202e}it") > 0);

    harness.state_mut().show_page(Page::Welcome);
    harness.run();
    assert_no_raw(&harness);
    assert!(
        find(&harness, "Contoso\\u{202e}baL") > 0,
        "{:?}",
        texts(&harness)
    );
}

#[test]
fn a_ten_kilobyte_tenant_name_is_cut_with_its_length() {
    let long = format!("{}\u{202E}", "T".repeat(10_000));
    let mut harness = app();
    harness.state_mut().inject_state(lab(&long));
    harness.state_mut().show_page(Page::Welcome);
    harness.run();
    assert_no_raw(&harness);
    assert!(
        find(&harness, "(10001 characters)") > 0,
        "{:?}",
        texts(&harness)
    );
    assert_eq!(find(&harness, &"T".repeat(1_000)), 0, "shown whole");
}
