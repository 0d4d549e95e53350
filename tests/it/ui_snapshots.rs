//! Pixel snapshots of the wizard's pages in light and dark (wgpu on Mesa lavapipe).
//! Run with `cargo test --features snapshots`; refresh with `UPDATE_SNAPSHOTS=true`.
#![cfg(feature = "snapshots")]

use egui_kittest::{Harness, SnapshotResults};
use hello_bootstrap::lab::session::{Connection, JobAction, LabState, StepState};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{
    Evidence, GraphRequest, PortalLink, Step, StepStatus, ValidationRow, ValidationState,
};
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::sync::Arc;

fn options() -> AppOptions {
    AppOptions {
        connector: Arc::new(|_| Box::pin(async { Err("offline snapshot".to_string()) })),
        ..AppOptions::default()
    }
}

fn harness(theme: egui::Theme) -> Harness<'static, HelloApp> {
    Harness::builder()
        .with_size([1180.0, 820.0])
        .with_pixels_per_point(1.0)
        .with_theme(theme)
        .wgpu()
        .build_eframe(|cc| build_app(cc, options()).expect("app builds"))
}

fn done(detail: &str, evidence: Evidence) -> StepState {
    StepState {
        status: StepStatus::Applied,
        detail: detail.into(),
        changed: true,
        evidence,
        last_action: Some(JobAction::Apply),
        ..StepState::default()
    }
}

fn lab() -> LabState {
    let mut lab = LabState {
        connection: Connection::Connected,
        tenant_name: Some("Contoso Lab".into()),
        account: Some("admin@contoso.example".into()),
        kind: Some(SessionKind::Demo),
        ..LabState::default()
    };
    lab.steps.insert(
        Step::MdmUserScope,
        done(
            "Intune automatic enrollment applies to all users.",
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
                    url: "https://intune.microsoft.com/".into(),
                }),
                ..Evidence::default()
            },
        ),
    );
    for step in [
        Step::WhfbEnrollment,
        Step::HypervFeature,
        Step::LabVm,
        Step::TapPolicy,
        Step::TapIssued,
    ] {
        lab.steps.insert(step, done("Done.", Evidence::default()));
    }
    let rows = [
        ("Device is Entra joined", "AzureAdJoined : YES"),
        (
            "Device is Intune enrolled",
            "A managed device with this name exists",
        ),
        (
            "Windows Hello for Business is set up",
            "A WHfB method is registered for the lab user",
        ),
        (
            "Signed in with the TAP",
            "The sign-in log shows MFA satisfied by a claim in the token",
        ),
    ];
    lab.steps.insert(
        Step::Bootstrap,
        done(
            "The VM is Entra joined, Intune enrolled and signed in with Windows Hello for Business.",
            Evidence {
                rows: rows
                    .iter()
                    .enumerate()
                    .map(|(i, (label, detail))| ValidationRow {
                        id: format!("row{i}"),
                        label: (*label).into(),
                        state: ValidationState::Passed,
                        detail: (*detail).into(),
                        fix: None,
                    })
                    .collect(),
                ..Evidence::default()
            },
        ),
    );
    lab
}

#[test]
fn pages_in_light_and_dark() {
    let mut results = SnapshotResults::new();
    for (theme, name) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
        let mut h = harness(theme);
        h.run();
        results.add(h.try_snapshot(format!("welcome_{name}")));
        h.state_mut().inject_state(lab());
        for (page, file) in [
            (Page::Step(Step::MdmUserScope), "step1"),
            (Page::Step(Step::Bootstrap), "step7"),
            (Page::Summary, "summary"),
        ] {
            h.state_mut().show_page(page);
            h.run();
            results.add(h.try_snapshot(format!("{file}_{name}")));
        }
    }
}
