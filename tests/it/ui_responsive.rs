//! The UI thread never blocks: with the demo tenant answering after 2 s, frames stay fast while
//! calls are in flight, and once everything is done the wizard stops repainting.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hello_bootstrap::compose::lab_connector;
use hello_bootstrap::compose::{DemoOptions, RealOptions};
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::lab::{Step, StepStatus};
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::time::{Duration, Instant};

#[test]
fn frames_stay_fast_while_slow_calls_run_and_idle_means_no_repaint() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let connector = lab_connector(
        RealOptions::default(),
        DemoOptions {
            reset: false,
            latency_ms: 2000,
            host_time_scale: None,
        },
    );
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 900.0])
        .build_eframe(move |cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    connector,
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    harness.get_by_label("Start the demo").click();

    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut frames_while_busy = 0;
    loop {
        let lab = harness.state().lab();
        if lab.connection == Connection::Connected && !lab.busy() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the demo never settled"
        );
        let frame = Instant::now();
        harness.step();
        slowest = slowest.max(frame.elapsed());
        frames_while_busy += 1;
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the 2 s latency must have applied, or this test proves nothing"
    );
    assert!(
        frames_while_busy > 40,
        "the UI kept rendering while calls were in flight"
    );
    assert!(
        slowest < Duration::from_millis(500),
        "a frame took {slowest:?}: something blocks the UI thread"
    );
    assert_eq!(
        harness.state().lab().status(Step::MdmUserScope),
        StepStatus::NotApplied
    );

    // Idle: nothing runs, so the wizard settles and asks for no more frames.
    harness.get_by_role_and_label(Role::Button, "Next").click();
    let steps = harness.try_run().expect("an idle wizard stops repainting");
    assert!(steps <= 4, "took {steps} frames to settle");
    assert_eq!(harness.state().page(), Page::Step(Step::MdmUserScope));
}
