//! A report of a real lab run against the emulated tenant: the step controllers' own reports,
//! including step 6 which holds a freshly issued TAP, go into the files, and neither the TAP nor
//! the access token does.

use crate::common::graph_client;
use chrono::Utc;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::lab::StepOptions;
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Step, StepStatus};
use hello_bootstrap::report::{CapturedImage, ReportData, StepEntry, write_report};
use hello_bootstrap::steps::StepContext;
use hello_bootstrap::steps::controller;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_real_step_six_report_keeps_its_tap_out_of_the_files() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };

    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let token = crate::common::admin_token(&emulator);
    let graph = graph_client(&emulator.graph_url, token.clone());
    let ctx = StepContext {
        graph: Some(Arc::new(graph)),
        host: None,
        session: Arc::new(Mutex::new(SessionFile::default())),
        kind: SessionKind::Demo,
        options: StepOptions {
            lab_user: Some(crate::common::lab_upn(&emulator)),
            ..StepOptions::default()
        },
        cancel: CancellationToken::new(),
        progress: None,
    };

    let mut data = ReportData::new(emulator.tenant_name.clone(), SessionKind::Demo);
    let mut tap = None;
    for step in [Step::TapPolicy, Step::TapIssued] {
        let started = Utc::now();
        let report = controller(step).apply(&ctx).await.unwrap();
        assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
        if step == Step::TapIssued {
            tap = report.secret.clone();
        }
        let page = CapturedImage::from_rgba(
            format!("step-{}-page.png", step.number()),
            format!("The {} page", step.title()),
            2,
            2,
            vec![200; 16],
        )
        .unwrap();
        data.steps.push(
            StepEntry::from_report(&report, Some(started), Some(Utc::now())).with_page_image(page),
        );
    }
    let tap = tap.expect("step 6 hands its TAP to the caller");

    let (html, json) = write_report(&home.path().join("lab.html"), &data).unwrap();
    for path in [html, json] {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(tap.expose()),
            "{} holds the TAP",
            path.display()
        );
        assert!(
            !text.contains(token.expose()),
            "{} holds the token",
            path.display()
        );
        assert!(
            text.contains(emulator.lab_user_upn.as_str()),
            "the report names the lab user"
        );
        assert!(
            text.contains("temporaryAccessPassMethods"),
            "the Graph request is shown"
        );
    }
    emulator.shutdown().await;
}
