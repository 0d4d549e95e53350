//! The demo's lab user picked on the Welcome page among the demo tenant's users (issue 11):
//! offered once connected, the pick reaches the steps that act for the lab user, it is locked
//! once step 6 has issued that user's pass, and step 7 signs THAT user in at the VM and checks
//! them (the emulated tenant's saved state shows whose device, enrollment and key it is).

use crate::ui_walk::wait_for;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::lab::{Step, StepStatus, ValidationState};
use hello_bootstrap::ui::{AppOptions, HelloApp, build_app};

#[test]
fn the_demo_lab_user_is_picked_and_steps_6_and_7_act_for_the_pick_to_the_end() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1180.0, 1400.0])
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    connector: hello_bootstrap::compose::default_connector(),
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    assert!(
        harness.query_by_role(Role::ComboBox).is_none(),
        "nothing to pick before the demo tenant is there"
    );
    harness.get_by_label("Start the demo").click();
    wait_for(&mut harness, "the demo and its list of users", |app| {
        app.lab().connection == Connection::Connected
            && !app.lab().busy()
            && !app.lab().lab_user_choices.is_empty()
    });
    let choices = harness.state().lab().lab_user_choices.clone();
    let first = choices[0].upn.to_string();
    assert!(
        first.starts_with("lab.user@"),
        "the demo's own lab user first: {first}"
    );
    assert!(
        choices
            .iter()
            .all(|c| !c.upn.as_str().starts_with("admin@")),
        "the signed-in administrator is not offered"
    );
    assert!(
        choices.len() > 5,
        "the demo tenant's people are offered: {choices:?}"
    );
    let chosen = choices[3].clone();
    harness.get_by_role(Role::ComboBox).click();
    harness.run_steps(2);
    harness.get_by_label_contains(chosen.upn.as_str()).click();
    wait_for(&mut harness, "steps 6 and 7 checked for the pick", |app| {
        !app.lab().busy()
    });
    // Step 6 now acts for the pick: applying it issues the pass to them.
    harness
        .state_mut()
        .show_page(hello_bootstrap::ui::Page::Step(Step::TapPolicy));
    harness.run_steps(2);
    harness.get_by_label("Apply step 5").click();
    wait_for(&mut harness, "step 5", |app| {
        app.lab().status(Step::TapPolicy) == StepStatus::Applied && !app.lab().busy()
    });
    harness
        .state_mut()
        .show_page(hello_bootstrap::ui::Page::Step(Step::TapIssued));
    harness.run_steps(2);
    harness.get_by_label("Apply step 6").click();
    wait_for(&mut harness, "step 6", |app| {
        app.lab().status(Step::TapIssued) == StepStatus::Applied && !app.lab().busy()
    });
    let detail = harness.state().lab().steps[&Step::TapIssued].detail.clone();
    assert!(
        detail.contains(chosen.upn.as_str()),
        "step 6 issued the pass to the pick: {detail}"
    );
    harness
        .state_mut()
        .show_page(hello_bootstrap::ui::Page::Welcome);
    harness.run_steps(2);
    harness.get_by_label_contains("Step 6 issued its pass to this user");

    let default_user = first;
    let pick = chosen.upn.as_str().to_string();
    assert_ne!(pick, default_user);

    // The rest of the lab, then step 7's sign-in and checks, all by the page's own buttons.
    for step in [
        Step::MdmUserScope,
        Step::WhfbEnrollment,
        Step::HypervFeature,
        Step::LabVm,
        Step::Bootstrap,
    ] {
        harness
            .state_mut()
            .show_page(hello_bootstrap::ui::Page::Step(step));
        harness.run_steps(2);
        wait_for(&mut harness, &format!("{step}'s check"), |app| {
            app.lab().step(step).running.is_none()
        });
        if harness.state().lab().status(step) != StepStatus::Applied {
            harness
                .get_by_label(&format!("Apply step {}", step.number()))
                .click();
            harness.run_steps(2);
            wait_for(&mut harness, &format!("{step} to finish"), |app| {
                app.lab().step(step).running.is_none()
            });
        }
        if step == Step::HypervFeature {
            harness.get_by_label("Restart the demo PC").click();
            harness.run_steps(2);
            wait_for(&mut harness, "the demo PC to restart", |app| {
                app.lab().step(step).running.is_none()
            });
        }
        let state = harness.state().lab().step(step);
        assert_eq!(state.status, StepStatus::Applied, "{step}: {state:?}");
    }
    harness.get_by_label_contains("Done:");

    // Step 7's checks are about the pick, and never about the demo's default lab user.
    let seven = harness.state().lab().step(Step::Bootstrap);
    let signed_in = seven
        .evidence
        .rows
        .iter()
        .find(|r| r.label.contains("signed in at OOBE"))
        .expect("step 7 checks who signed in at the VM");
    assert!(
        signed_in.label.starts_with(&pick),
        "the OOBE sign-in row names the pick: {}",
        signed_in.label
    );
    for row in &seven.evidence.rows {
        assert_eq!(row.state, ValidationState::Passed, "{row:?}");
        harness.get_by_label(&format!("{}: Passed", row.label));
        assert!(
            !format!("{} {}", row.label, row.detail).contains(&default_user),
            "a check speaks of the default lab user: {row:?}"
        );
    }
    let urls: Vec<&str> = seven
        .evidence
        .requests
        .iter()
        .map(|r| r.url.as_str())
        .collect();
    assert!(
        urls.iter().all(|u| !u.contains(&default_user)),
        "step 7 read the default lab user: {urls:?}"
    );

    // What the emulated cloud holds now: the pick's pass was used at the VM, the device,
    // its Intune enrollment, the Windows Hello key and the sign-in are the pick's; the
    // default lab user has none of them.
    let tenant: serde_json::Value = serde_json::from_slice(
        &std::fs::read(hello_bootstrap::lab::paths::demo_tenant_file())
            .expect("the demo tenant is saved"),
    )
    .expect("the demo tenant's file is JSON");
    let user = |upn: &str| {
        tenant["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["user_principal_name"] == upn)
            .unwrap_or_else(|| panic!("{upn} in the demo tenant"))
            .clone()
    };
    let (picked, default) = (user(&pick), user(&default_user));
    assert_eq!(picked["tap"]["used"], true, "the pick's pass was used");
    assert!(
        default["tap"].is_null() || default["tap"]["used"] == false,
        "the default user's pass was not used: {}",
        default["tap"]
    );
    assert_eq!(
        picked["whfb_methods"].as_array().map(Vec::len),
        Some(1),
        "the pick has the Windows Hello key"
    );
    assert_eq!(default["whfb_methods"].as_array().map(Vec::len), Some(0));
    let devices = tenant["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 1, "one joined device: {devices:?}");
    assert_eq!(devices[0]["owner_user_id"], picked["id"]);
    let managed = tenant["managed_devices"]
        .as_array()
        .expect("managed devices");
    assert_eq!(managed.len(), 1, "one enrolled device: {managed:?}");
    assert_eq!(managed[0]["user_principal_name"], pick.as_str());
    let sign_ins = tenant["sign_ins"].as_array().expect("sign-ins");
    assert!(
        sign_ins
            .iter()
            .any(|s| s["appDisplayName"] == "Windows Sign In"
                && s["userPrincipalName"] == pick.as_str()),
        "the sign-in log has the pick's Windows sign-in"
    );
    assert!(
        sign_ins
            .iter()
            .all(|s| s["userPrincipalName"] != default_user.as_str()),
        "nobody signed in as the default lab user"
    );
}
