//! Walks the whole wizard in demo mode by accessible labels only: Welcome, the seven steps, the
//! summary, then "Export report" (to a path given up front instead of the save dialog). A real
//! `LabEnv::demo` (in-process emulator on loopback) in a temporary home.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::lab::{Step, StepStatus, ValidationState};
use hello_bootstrap::ui::export::ExportState;
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::time::{Duration, Instant};

/// Steps the UI while background jobs run, until `done` holds or the time runs out.
pub(crate) fn wait_for(
    harness: &mut Harness<'_, HelloApp>,
    what: &str,
    done: impl Fn(&HelloApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

#[test]
fn the_whole_demo_lab_from_welcome_to_summary() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let report = home.path().join("lab report.html");
    let export_path = report.clone();

    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 900.0])
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    export_path: Some(export_path.clone()),
                    connector: hello_bootstrap::compose::default_connector(),
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    harness.get_by_label("Start the demo").click();
    wait_for(
        &mut harness,
        "the demo to start and every step to be checked",
        |app| app.lab().connection == Connection::Connected && !app.lab().busy(),
    );
    harness.get_by_label("Contoso Lab");
    harness.get_by_label("DEMO");
    harness.get_by_role_and_label(Role::Button, "Next").click();
    harness.run_steps(2);

    let mut tap = None;
    for step in Step::ALL {
        assert_eq!(harness.state().page(), Page::Step(step));
        // Finishing the previous step re-checks this one; let that check land first.
        wait_for(&mut harness, &format!("{step}'s re-check"), |app| {
            app.lab().step(step).running.is_none()
        });
        harness.get_by_label(step.title());
        let status = harness.state().lab().status(step);
        if status != StepStatus::Applied && status != StepStatus::NotApplicable {
            assert!(
                harness.query_by_label("Next").is_none(),
                "{step}: the footer offers Apply, not Next, before the step is applied"
            );
            if step == Step::MdmUserScope {
                // The re-check finds the step not done, so the wizard must stay here.
                let checked_at = harness.state().lab().step(step).updated_at;
                harness.get_by_label("I did this another way").click();
                harness.run_steps(2);
                wait_for(&mut harness, "the re-check", |app| {
                    let state = app.lab().step(step);
                    state.running.is_none() && state.updated_at != checked_at
                });
                assert_eq!(harness.state().lab().status(step), StepStatus::NotApplied);
                assert_eq!(harness.state().page(), Page::Step(step));
            }
            harness
                .get_by_role_and_label(Role::Button, &format!("Apply step {}", step.number()))
                .click();
            harness.run_steps(2);
            wait_for(&mut harness, &format!("{step} to finish"), |app| {
                app.lab().step(step).running.is_none()
            });
        }
        if step == Step::HypervFeature {
            assert_eq!(
                harness.state().lab().status(step),
                StepStatus::NeedsAction,
                "enabling Hyper-V asks for a restart"
            );
            harness.get_by_label("Restart the demo PC").click();
            harness.run_steps(2);
            wait_for(&mut harness, "the demo PC to restart", |app| {
                app.lab().step(step).running.is_none()
            });
        }
        let state = harness.state().lab().step(step);
        assert_eq!(state.status, StepStatus::Applied, "{step}: {state:?}");
        harness.get_by_label_contains("Done:");
        if step == Step::Bootstrap {
            assert!(!state.evidence.rows.is_empty(), "step 7 shows its checks");
            for row in &state.evidence.rows {
                assert_eq!(row.state, ValidationState::Passed, "{row:?}");
                harness.get_by_label(&format!("{}: Passed", row.label));
            }
        }
        if step == Step::LabVm || step == Step::Bootstrap {
            wait_for(&mut harness, "the VM screen", |app| {
                app.lab().vm_screen.is_some()
            });
            harness.get_by_label("The lab VM's screen");
            // The screen is live while the page is open, but a still screen is not sent again:
            // any newer frame that arrives differs from the one before it.
            let mut last = harness.state().lab().vm_screen.clone().expect("a screen");
            let until = Instant::now() + Duration::from_millis(2500);
            while Instant::now() < until {
                harness.step();
                std::thread::sleep(Duration::from_millis(20));
                let now = harness.state().lab().vm_screen.clone().expect("a screen");
                if now.captured_at != last.captured_at && now.rgba == last.rgba {
                    // The step's own capture after its apply may repeat the live frame once.
                    assert!(
                        harness.state().lab().captures[&step].vm.as_ref() == Some(&now),
                        "{step}: an unchanged VM screen was sent again"
                    );
                }
                last = now;
            }
        }
        if step == Step::TapIssued {
            assert!(
                harness.state().lab().tap.is_some(),
                "step 6 hands over a TAP"
            );
            harness.get_by_label("Copy the pass");
            tap = harness
                .state()
                .lab()
                .tap
                .as_ref()
                .map(|t| t.code.expose().to_string());
        }
        harness.get_by_role_and_label(Role::Button, "Next").click();
        harness.run_steps(2);
    }

    assert_eq!(harness.state().page(), Page::Summary);
    harness.get_by_label("The lab is complete");
    for step in Step::ALL {
        harness.get_by_label(&step.to_string());
    }

    harness
        .get_by_role_and_label(Role::Button, "Export report")
        .click();
    harness.run_steps(2);
    wait_for(&mut harness, "the report to be written", |app| {
        app.export_state() != Some(&ExportState::Running)
    });
    let json_path = report.with_extension("json");
    assert_eq!(
        harness.state().export_state(),
        Some(&ExportState::Saved {
            html: report.clone(),
            json: json_path.clone(),
        })
    );
    harness.get_by_label(&format!("Report saved to {}", report.display()));
    let html = std::fs::read_to_string(&report).expect("the HTML report");
    let json = std::fs::read_to_string(&json_path).expect("the JSON beside it");
    for step in Step::ALL {
        assert!(
            html.contains(step.title()),
            "{step}'s title is not in the report"
        );
    }
    for n in [4, 7] {
        let figure = format!(r#"<figure id="image-step-{n}-vm.png">"#);
        let at = html
            .find(&figure)
            .unwrap_or_else(|| panic!("step {n}'s VM screen is not in the report"));
        assert!(
            html[at..].contains(r#"<img src="data:image/png;base64,iVBOR"#),
            "step {n}'s VM screen is embedded as a PNG"
        );
        assert!(json.contains(&format!("step-{n}-vm.png")));
    }
    let tap = tap.expect("step 6 issued a TAP");
    assert!(tap.len() >= 8, "{tap}");
    assert!(
        !html.contains(&tap) && !json.contains(&tap),
        "the TAP leaked into the report"
    );
}
