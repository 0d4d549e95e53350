//! An admin-center link that no browser opens (a server, a kiosk, no desktop portal) does not
//! fail silently: the evidence card says so, shows the whole link and offers "Copy link".

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hello_bootstrap::lab::session::{LabState, StepState};
use hello_bootstrap::lab::{Evidence, PortalLink, Step, StepStatus};
use hello_bootstrap::ui::widgets::COPY_LINK;
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::sync::Arc;
use std::time::{Duration, Instant};

const URL: &str =
    "https://intune.microsoft.com/#view/Microsoft_Intune_Enrollment/WindowsEnrollmentMenu";

#[test]
fn a_link_no_browser_opens_is_shown_with_copy_link() {
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1366.0, 900.0])
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    connector: Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
                    open_link: Arc::new(|_| Err("no browser was found".to_string())),
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    let mut lab = LabState::default();
    lab.steps.insert(
        Step::MdmUserScope,
        StepState {
            status: StepStatus::Applied,
            evidence: Evidence {
                portal: Some(PortalLink {
                    label: "Intune admin center: automatic enrollment".into(),
                    url: URL.into(),
                }),
                ..Evidence::default()
            },
            ..StepState::default()
        },
    );
    harness.state_mut().inject_state(lab);
    harness
        .state_mut()
        .show_page(Page::Step(Step::MdmUserScope));
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("No browser opened this link")
            .is_none()
    );
    harness
        .get_by_label("Intune admin center: automatic enrollment")
        .click_accesskit();
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness
        .query_by_label("No browser opened this link")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "no message after the browser failed"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.get_by_label(URL);
    assert!(harness.query_by_label("Copied").is_none());
    harness.get_by_label(COPY_LINK).click_accesskit();
    harness.run_steps(3);
    harness.get_by_label("Copied");
}
