//! Pixel snapshots of the wizard's pages in light and dark (wgpu on Mesa lavapipe).
//! Run with `cargo test --features snapshots`; refresh with `UPDATE_SNAPSHOTS=true`.
#![cfg(feature = "snapshots")]

use egui_kittest::{Harness, SnapshotResults};
use hello_bootstrap::lab::session::{Connection, JobAction, LabState, StepState, VmScreen};
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
    sized(theme, [1180.0, 820.0], options())
}

fn sized(theme: egui::Theme, size: [f32; 2], options: AppOptions) -> Harness<'static, HelloApp> {
    Harness::builder()
        .with_size(size)
        .with_pixels_per_point(1.0)
        .with_theme(theme)
        .wgpu()
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"))
}

/// A stand-in for the VM's desktop: a blue gradient with a task bar, fixed so pixels compare.
fn desktop_frame() -> VmScreen {
    let (width, height) = (640usize, 480usize);
    let mut rgba = Vec::with_capacity(width * height * 4);
    for y in 0..height {
        for _x in 0..width {
            let (r, g, b) = if y > height - 30 {
                (235, 235, 235)
            } else {
                let t = y as f32 / height as f32;
                (
                    (30.0 + 120.0 * t) as u8,
                    (110.0 + 90.0 * t) as u8,
                    (200.0 + 40.0 * t) as u8,
                )
            };
            rgba.extend_from_slice(&[r, g, b, 255]);
        }
    }
    VmScreen {
        width,
        height,
        rgba: rgba.into(),
        captured_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("a time"),
        page: Some(hello_bootstrap::lab::session::VmPage::Desktop),
    }
}

/// Step 7 after an apply where one check still waits: the checks as cards under the screen.
fn results_lab() -> LabState {
    let mut lab = lab();
    let bootstrap = lab.steps.get_mut(&Step::Bootstrap).expect("step 7");
    bootstrap.status = StepStatus::NeedsAction;
    bootstrap.detail = "3 of 4 checks passed; Intune has not listed the device yet.".into();
    if let Some(row) = bootstrap.evidence.rows.get_mut(1) {
        row.state = ValidationState::Failed;
        row.detail = "No managed device with this device id yet: Intune lists a newly enrolled device within a few minutes.".into();
        row.fix = Some("Wait a minute, then press Check again.".into());
    }
    lab.vm_screen = Some(desktop_frame());
    lab
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
    // After a complete lab the VM shows the lab user's desktop, as the emulated host reports it.
    lab.vm_screen = Some(desktop_frame());
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

#[test]
fn step_7_results_and_presenter_mode_at_1080p_in_light_and_dark() {
    let mut results = SnapshotResults::new();
    for (theme, name) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
        let mut h = sized(theme, [1366.0, 768.0], options());
        h.run();
        h.state_mut().inject_state(results_lab());
        h.state_mut().show_page(Page::Step(Step::Bootstrap));
        h.run();
        // Space scrolls to the checks beneath the VM screen, as a presenter would.
        h.key_press(egui::Key::Space);
        h.run();
        results.add(h.try_snapshot(format!("step7_results_{name}")));

        let mut p = sized(
            theme,
            [1920.0, 1080.0],
            AppOptions {
                presenter: true,
                ..options()
            },
        );
        p.run();
        p.state_mut().inject_state(results_lab());
        p.state_mut().show_page(Page::Step(Step::Bootstrap));
        p.run();
        results.add(p.try_snapshot(format!("presenter_1080p_{name}")));
    }
}
