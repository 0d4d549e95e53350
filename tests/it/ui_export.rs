//! "Export report" on the summary page, driven by accessible labels: a failure says what to do and
//! loses nothing; with a renderer (wgpu), a finished step's page is captured for the report, and
//! step 6's page (which may show the TAP) never is.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::lab::session::{Connection, JobAction, LabState, StepCapture, StepState};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{Step, StepStatus};
use hello_bootstrap::ui::export::ExportState;
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn options(export_path: PathBuf) -> AppOptions {
    AppOptions {
        demo: true,
        connector: Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
        export_path: Some(export_path),
        ..AppOptions::default()
    }
}

fn applied_lab() -> LabState {
    let mut lab = LabState {
        connection: Connection::Connected,
        tenant_name: Some("Contoso Lab".into()),
        account: Some("admin@contoso.example".into()),
        kind: Some(SessionKind::Demo),
        ..LabState::default()
    };
    for step in Step::ALL {
        lab.steps.insert(
            step,
            StepState {
                status: StepStatus::Applied,
                detail: format!("{} is done.", step.title()),
                last_action: Some(JobAction::Apply),
                ..StepState::default()
            },
        );
        lab.captures.insert(
            step,
            StepCapture {
                started_at: Some(chrono::Utc::now()),
                finished_at: Some(chrono::Utc::now()),
                ..StepCapture::default()
            },
        );
    }
    lab
}

fn wait_for(harness: &mut Harness<'_, HelloApp>, what: &str, done: impl Fn(&HelloApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
}

#[test]
fn a_report_that_cannot_be_written_says_why_and_the_lab_stays() {
    let home = tempfile::tempdir().unwrap();
    let mut harness = Harness::builder()
        .with_size([1180.0, 820.0])
        .build_eframe(move |cc| {
            build_app(cc, options(home.path().join("lab.json"))).expect("app builds")
        });
    harness.state_mut().inject_state(applied_lab());
    harness.state_mut().show_page(Page::Summary);
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Export report")
        .click();
    harness.step();
    wait_for(&mut harness, "the export to end", |app| {
        !matches!(app.export_state(), None | Some(ExportState::Running))
    });
    match harness.state().export_state() {
        Some(ExportState::Failed(why)) => assert!(why.contains("name the report .html"), "{why}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    harness.get_by_label("The report was not saved");
    harness.get_by_label_contains("name the report .html");
    assert_eq!(
        harness.state().lab().status(Step::Bootstrap),
        StepStatus::Applied
    );
    assert!(
        !harness
            .get_by_role_and_label(Role::Button, "Export report")
            .accesskit_node()
            .is_disabled(),
        "the user can try again"
    );
}

#[cfg(feature = "snapshots")]
#[test]
fn a_finished_steps_page_is_captured_but_never_step_six() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("report.html");
    let mut harness = Harness::builder()
        .with_size([1180.0, 820.0])
        .with_pixels_per_point(1.0)
        .wgpu()
        .build_eframe(move |cc| build_app(cc, options(report)).expect("app builds"));
    harness.state_mut().inject_state(applied_lab());
    harness.state_mut().show_page(Page::Step(Step::TapIssued));
    for _ in 0..10 {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.state_mut().show_page(Page::Step(Step::LabVm));
    wait_for(&mut harness, "step 4's page capture", |app| {
        app.lab().captures[&Step::LabVm].page.is_some()
    });
    let page = harness.state().lab().captures[&Step::LabVm]
        .page
        .clone()
        .unwrap();
    assert_eq!((page.width, page.height), (1180, 820));
    let decoded = image_size(&page.png);
    assert_eq!(decoded, (1180, 820), "the page is kept as PNG bytes");
    assert!(
        harness.state().lab().captures[&Step::TapIssued]
            .page
            .is_none(),
        "step 6's page may show the TAP and is never captured"
    );
}

struct SummaryState {
    lab: hello_bootstrap::lab::session::LabState,
    export: hello_bootstrap::ui::export::ExportState,
    field: String,
    commands: Vec<hello_bootstrap::ui::Command>,
}

#[test]
fn when_no_save_dialog_gives_a_file_the_summary_offers_a_path_in_documents() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1000.0, 800.0])
        .with_context_setup(|ctx| {
            egui_extras::install_image_loaders(ctx);
            hello_bootstrap::ui::theme::apply_style(ctx, false);
        })
        .build_ui_state(
            |ui, s: &mut SummaryState| {
                hello_bootstrap::ui::pages::summary::show(
                    ui,
                    &s.lab,
                    Some(&s.export),
                    &mut s.field,
                    &mut s.commands,
                );
            },
            SummaryState {
                lab: Default::default(),
                export: hello_bootstrap::ui::export::ExportState::Cancelled,
                field: String::new(),
                commands: vec![],
            },
        );
    harness.run();
    harness.get_by_label("No file was chosen");
    let expected = home
        .path()
        .join(hello_bootstrap::ui::export::DEFAULT_FILE_NAME);
    assert_eq!(harness.state().field, expected.display().to_string());
    harness.get_by_label("Save here").click();
    harness.run();
    assert_eq!(
        harness.state().commands,
        vec![hello_bootstrap::ui::Command::ExportReport(Some(expected))]
    );
}

/// Width and height from a PNG's IHDR chunk (right after the 8-byte signature).
#[cfg(feature = "snapshots")]
fn image_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}
