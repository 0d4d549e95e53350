//! The emulated Hyper-V host: the feature install and its simulated reboot, VM life cycle,
//! checkpoints, enhanced session mode, drawn screens, persistence, the OOBE sign-in driven by the
//! virtual keyboard against the real emulator over loopback HTTP, and the person at the VM, who
//! sets the PIN and opens My Apps by themselves.

use crate::common::{admin_graph, mdm_scope_all};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::models::TAP_CONFIG_TYPE;
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use hello_bootstrap::host::dsregcmd;
use hello_bootstrap::host::{
    EmulatedHost, EmulatedHostConfig, FeatureState, GuestCommand, GuestPage, HostError, HyperVHost,
    InstallMedia, KeyboardText, VmSpec, VmState,
};
use hello_bootstrap::lab::Secret;
use serde_json::json;
use std::time::{Duration, Instant};
use url::Url;

const VM: &str = "Lab VM";

async fn hyperv_ready(host: &EmulatedHost) {
    assert!(host.enable_feature().await.unwrap());
    host.restart_pc().await.unwrap();
    assert_eq!(host.feature_state().await.unwrap(), FeatureState::Enabled);
}

async fn vm_at_oobe(host: &EmulatedHost) {
    hyperv_ready(host).await;
    host.create_vm(&VmSpec::lab(VM, None)).await.unwrap();
    host.start_vm(VM).await.unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
}

#[tokio::test]
async fn enabling_hyperv_needs_the_simulated_reboot() {
    let host = EmulatedHost::for_tests(None);
    assert_eq!(host.feature_state().await.unwrap(), FeatureState::Disabled);
    assert!(!host.restart_needed().await.unwrap());
    assert!(host.enable_feature().await.unwrap());
    assert_eq!(
        host.feature_state().await.unwrap(),
        FeatureState::EnablePending
    );
    assert!(host.restart_needed().await.unwrap());
    // Hyper-V does not run before the restart.
    let err = host.create_vm(&VmSpec::lab(VM, None)).await.unwrap_err();
    assert!(err.to_string().contains("restart"), "{err}");
    // Enabling again changes nothing and still asks for the restart.
    assert!(host.enable_feature().await.unwrap());
    host.restart_pc().await.unwrap();
    assert_eq!(host.feature_state().await.unwrap(), FeatureState::Enabled);
    assert!(!host.restart_needed().await.unwrap());
    assert!(host.list_vms().await.unwrap().is_empty());
}

#[tokio::test]
async fn vms_start_stop_and_come_back_from_checkpoints() {
    let host = EmulatedHost::for_tests(None);
    hyperv_ready(&host).await;
    let mut bad = VmSpec::lab(VM, None);
    bad.cpu_count = 1;
    assert!(
        matches!(host.create_vm(&bad).await.unwrap_err(), HostError::BadInput(m) if m.contains("2 virtual processors"))
    );
    let created = host.create_vm(&VmSpec::lab(VM, None)).await.unwrap();
    assert_eq!(created.state, VmState::Off);
    assert_eq!(created.generation, 2);
    assert!(created.tpm_enabled);
    assert_eq!(created.switch_name.as_deref(), Some("Default Switch"));
    assert!(matches!(
        host.create_vm(&VmSpec::lab(VM, None)).await.unwrap_err(),
        HostError::BadInput(_)
    ));
    assert!(matches!(
        host.vm_state("nope").await.unwrap_err(),
        HostError::VmNotFound { .. }
    ));
    // Exact names only: a wildcard is not a VM.
    assert!(host.vm("*").await.unwrap().is_none());

    let off_screen = host.screenshot(VM).await.unwrap();
    let err = host
        .type_text(VM, KeyboardText::Plain("x"), true)
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::InvalidState(_)), "{err:?}");

    host.start_vm(VM).await.unwrap();
    assert_eq!(host.vm_state(VM).await.unwrap(), VmState::Running);
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
    let oobe_screen = host.screenshot(VM).await.unwrap();
    assert_ne!(off_screen.pixels, oobe_screen.pixels);

    host.create_checkpoint(VM, "at-oobe").await.unwrap();
    host.type_text(
        VM,
        KeyboardText::Plain("someone@contosolab.onmicrosoft.com"),
        true,
    )
    .await
    .unwrap();
    assert!(
        matches!(host.screen(VM).unwrap(), GuestPage::Tap { upn } if upn == "someone@contosolab.onmicrosoft.com")
    );
    host.restore_checkpoint(VM, "at-oobe").await.unwrap();
    // Hyper-V brings a checkpoint of a running VM back saved; Start-VM resumes it.
    assert_eq!(host.vm_state(VM).await.unwrap(), VmState::Saved);
    host.start_vm(VM).await.unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
    assert_eq!(host.list_checkpoints(VM).await.unwrap()[0].name, "at-oobe");
    assert!(matches!(
        host.restore_checkpoint(VM, "missing").await.unwrap_err(),
        HostError::CheckpointNotFound { .. }
    ));

    assert!(
        host.enhanced_session_mode().await.unwrap(),
        "Windows' default is on"
    );
    host.set_enhanced_session_mode(false).await.unwrap();
    assert!(!host.enhanced_session_mode().await.unwrap());

    host.stop_vm(VM).await.unwrap();
    assert_eq!(host.vm_state(VM).await.unwrap(), VmState::Off);
    assert_eq!(host.screen(VM).unwrap(), GuestPage::Off);
    assert!(matches!(
        host.run_in_vm(VM, GuestCommand::DsregcmdStatus)
            .await
            .unwrap_err(),
        HostError::InvalidState(_)
    ));
}

#[tokio::test]
async fn booting_takes_scaled_time_through_the_boot_and_oobe_screens() {
    let host = EmulatedHost::new(EmulatedHostConfig {
        state_file: None,
        time_scale: 0.02, // a 45 s boot takes 0.9 s
        emulator_root: None,
    })
    .unwrap();
    hyperv_ready(&host).await;
    host.create_vm(&VmSpec::lab(VM, None)).await.unwrap();
    host.start_vm(VM).await.unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::Boot);
    let mut seen = vec![GuestPage::Boot];
    for _ in 0..100 {
        let s = host.screen(VM).unwrap();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == GuestPage::SignIn {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen,
        vec![GuestPage::Boot, GuestPage::Oobe, GuestPage::SignIn]
    );
}

#[tokio::test]
async fn the_state_survives_a_restart_of_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo-host.json");
    let config = EmulatedHostConfig {
        state_file: Some(file.clone()),
        time_scale: 0.0,
        emulator_root: None,
    };
    {
        let host = EmulatedHost::new(config.clone()).unwrap();
        vm_at_oobe(&host).await;
        host.create_checkpoint(VM, "hello-bootstrap-oobe")
            .await
            .unwrap();
        host.set_enhanced_session_mode(false).await.unwrap();
    }
    let host = EmulatedHost::new(config.clone()).unwrap();
    assert_eq!(host.feature_state().await.unwrap(), FeatureState::Enabled);
    assert_eq!(host.vm_state(VM).await.unwrap(), VmState::Running);
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
    assert!(!host.enhanced_session_mode().await.unwrap());
    assert_eq!(host.list_checkpoints(VM).await.unwrap().len(), 1);
    // A damaged file is an error that says what to do, not a silent reset.
    std::fs::write(&file, b"{ not json").unwrap();
    let err = EmulatedHost::new(config)
        .err()
        .expect("a damaged file is refused");
    assert!(err.to_string().contains("move it aside"), "{err}");
}

struct Cloud {
    emu: EmulatorHandle,
    graph: GraphClient,
}

impl Cloud {
    /// The emulator with the tenant ready for the lab: MDM scope all, TAP policy on, a TAP issued.
    async fn ready() -> (Cloud, Secret) {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let graph = admin_graph(&emu);
        mdm_scope_all(&graph).await;
        graph
            .patch(
                ApiVersion::V1,
                "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
                &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled",
                         "includeTargets": [{"id": "all_users", "targetType": "group", "isRegistrationRequired": false}] }),
            )
            .await
            .unwrap();
        let created = graph
            .post(
                ApiVersion::V1,
                &format!(
                    "/users/{}/authentication/temporaryAccessPassMethods",
                    emu.lab_user_upn
                ),
                &json!({}),
            )
            .await
            .unwrap();
        let tap = Secret::new(created["temporaryAccessPass"].as_str().unwrap());
        (Cloud { emu, graph }, tap)
    }

    fn root(&self) -> Option<Url> {
        Some(Url::parse(&self.emu.graph_url).unwrap())
    }
}

fn dsreg(text: &str) -> dsregcmd::DsregSummary {
    dsregcmd::parse(text).unwrap().summary
}

#[tokio::test]
async fn typing_the_upn_and_tap_at_oobe_joins_and_the_pin_reaches_the_desktop() {
    let (cloud, tap) = Cloud::ready().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo-host.json");
    // The test plays the person at the VM, so nobody else sets the PIN.
    let host = EmulatedHost::new(EmulatedHostConfig {
        state_file: Some(file.clone()),
        time_scale: 0.0,
        emulator_root: cloud.root(),
    })
    .unwrap()
    .without_person();
    vm_at_oobe(&host).await;
    let before = dsreg(
        &host
            .run_in_vm(VM, GuestCommand::DsregcmdStatus)
            .await
            .unwrap(),
    );
    assert_eq!(before.azure_ad_joined, Some(false));
    assert_eq!(before.ngc_set, Some(false));
    assert_eq!(before.azure_ad_prt, Some(false));

    let upn = cloud.emu.lab_user_upn.to_string();
    // Typed in two parts, then Enter, like a person would.
    let (a, b) = upn.split_at(4);
    host.type_text(VM, KeyboardText::Plain(a), false)
        .await
        .unwrap();
    host.type_text(VM, KeyboardText::Plain(b), true)
        .await
        .unwrap();
    assert!(matches!(host.screen(VM).unwrap(), GuestPage::Tap { upn: u } if u == upn));
    host.type_text(VM, KeyboardText::Secret(&tap), true)
        .await
        .unwrap();
    assert!(matches!(
        host.screen(VM).unwrap(),
        GuestPage::PinSetup { .. }
    ));

    let joined = dsreg(
        &host
            .run_in_vm(VM, GuestCommand::DsregcmdStatus)
            .await
            .unwrap(),
    );
    assert_eq!(joined.azure_ad_joined, Some(true));
    assert_eq!(joined.ngc_set, Some(false), "no PIN yet");
    assert_eq!(
        joined.tenant_name.as_deref(),
        Some(cloud.emu.tenant_name.as_str())
    );
    let device_id = joined.device_id.clone().expect("a joined device has an id");

    // A too-short PIN is refused; a six-digit PIN reaches the desktop.
    let short = Secret::new("12");
    assert!(matches!(
        host.type_text(VM, KeyboardText::Secret(&short), true)
            .await
            .unwrap_err(),
        HostError::BadInput(_)
    ));
    let pin = Secret::new("246810");
    host.type_text(VM, KeyboardText::Secret(&pin), true)
        .await
        .unwrap();
    assert!(matches!(
        host.screen(VM).unwrap(),
        GuestPage::Desktop { .. }
    ));
    let done = dsreg(
        &host
            .run_in_vm(VM, GuestCommand::DsregcmdStatus)
            .await
            .unwrap(),
    );
    assert_eq!(
        (done.azure_ad_joined, done.ngc_set, done.azure_ad_prt),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(done.device_id.as_deref(), Some(device_id.as_str()));

    // The cloud has the device the guest reports.
    let devices = cloud
        .graph
        .get_all(
            ApiVersion::V1,
            &format!("/devices?$filter=deviceId eq '{device_id}'"),
        )
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(
        devices[0]["displayName"],
        json!(host.device_name(VM).unwrap())
    );

    // Opening My Apps logs a sign-in whose MFA is satisfied by the token's claim.
    host.open_my_apps(VM).await.unwrap();
    let user_id = host.join_record(VM).unwrap().unwrap().user_id;
    let log = cloud
        .graph
        .get_all(
            ApiVersion::Beta,
            // Single sign-on with the PRT is in the non-interactive log.
            &format!(
                "/auditLogs/signIns?$filter=userId eq '{user_id}' and signInEventTypes/any(t: t eq 'nonInteractiveUser')"
            ),
        )
        .await
        .unwrap();
    assert!(log.iter().any(|e| e["appDisplayName"] == "My Apps"
        && hello_bootstrap::steps::bootstrap::is_mfa_by_claim(e, Some(&device_id))));

    // The saved state names the device but never the TAP or the PIN.
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains(&device_id));
    assert!(!saved.contains(tap.expose()));
    assert!(!saved.contains("246810"));
}

#[tokio::test]
async fn a_wrong_tap_shows_the_error_page_with_the_clouds_message() {
    let (cloud, tap) = Cloud::ready().await;
    let host = EmulatedHost::for_tests(cloud.root()).with_wrong_tap();
    vm_at_oobe(&host).await;
    host.type_text(
        VM,
        KeyboardText::Plain(cloud.emu.lab_user_upn.as_str()),
        true,
    )
    .await
    .unwrap();
    host.type_text(VM, KeyboardText::Secret(&tap), true)
        .await
        .unwrap();
    match host.screen(VM).unwrap() {
        GuestPage::SignInError { message, .. } => {
            assert!(message.contains("Temporary Access Pass"), "{message}")
        }
        other => panic!("expected the error page, got {other:?}"),
    }
    let status = dsreg(
        &host
            .run_in_vm(VM, GuestCommand::DsregcmdStatus)
            .await
            .unwrap(),
    );
    assert_eq!(status.azure_ad_joined, Some(false));
    // Enter on the error page ("Try again") goes back to the sign-in page.
    host.type_text(VM, KeyboardText::Plain(""), true)
        .await
        .unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
}

#[tokio::test]
async fn without_a_cloud_the_sign_in_fails_as_if_offline() {
    let host = EmulatedHost::for_tests(None);
    vm_at_oobe(&host).await;
    host.type_text(VM, KeyboardText::Plain("a@contoso.com"), true)
        .await
        .unwrap();
    let tap = Secret::new("Any#Tap123");
    host.type_text(VM, KeyboardText::Secret(&tap), true)
        .await
        .unwrap();
    assert!(
        matches!(host.screen(VM).unwrap(), GuestPage::SignInError { message, .. } if message.contains("couldn't connect"))
    );
    assert!(host.open_my_apps(VM).await.is_err());
}

/// Waits for the VM to show a page `want` accepts, only looking, as a poller does.
async fn wait_for_page(host: &EmulatedHost, want: impl Fn(&GuestPage) -> bool) -> GuestPage {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = host
            .guest_page(VM)
            .await
            .unwrap()
            .expect("the emulated host sees its page");
        if want(&page) {
            return page;
        }
        assert!(Instant::now() < deadline, "still at {page:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn my_apps_sign_ins(cloud: &Cloud, user_id: &str) -> Vec<serde_json::Value> {
    cloud
        .graph
        .get_all(
            ApiVersion::Beta,
            // Single sign-on with the PRT is in the non-interactive log.
            &format!(
                "/auditLogs/signIns?$filter=userId eq '{user_id}' and signInEventTypes/any(t: t eq 'nonInteractiveUser')"
            ),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e["appDisplayName"] == "My Apps")
        .collect()
}

#[tokio::test]
async fn the_person_at_the_vm_sets_the_pin_and_opens_my_apps_by_themselves() {
    let (cloud, tap) = Cloud::ready().await;
    // A 20 s think at the desktop takes 0.2 s here.
    let scale = 0.01;
    let host = EmulatedHost::new(EmulatedHostConfig {
        state_file: None,
        time_scale: scale,
        emulator_root: cloud.root(),
    })
    .unwrap();
    hyperv_ready(&host).await;
    host.create_vm(&VmSpec::lab(VM, None)).await.unwrap();
    host.start_vm(VM).await.unwrap();
    wait_for_page(&host, |p| *p == GuestPage::SignIn).await;
    host.type_text(
        VM,
        KeyboardText::Plain(cloud.emu.lab_user_upn.as_str()),
        true,
    )
    .await
    .unwrap();
    host.type_text(VM, KeyboardText::Secret(&tap), true)
        .await
        .unwrap();
    let signed_in = Instant::now();
    // The last key anyone types is the TAP's Enter.
    assert!(matches!(
        host.guest_page(VM).await.unwrap(),
        Some(GuestPage::PinSetup { .. })
    ));

    // The person reads the page and sets a PIN (15 s), Windows provisions it (6 s).
    wait_for_page(&host, |p| matches!(p, GuestPage::Desktop { .. })).await;
    let pin_after = signed_in.elapsed();
    assert!(
        pin_after >= Duration::from_secs(21).mul_f64(scale),
        "the PIN took {pin_after:?}: a person needs a while"
    );
    let status = dsreg(
        &host
            .run_in_vm(VM, GuestCommand::DsregcmdStatus)
            .await
            .unwrap(),
    );
    assert_eq!(
        (status.ngc_set, status.azure_ad_prt),
        (Some(true), Some(true))
    );

    // At the desktop they open My Apps, once: the sign-in MFA satisfied by the token's claim.
    let join = host.join_record(VM).unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while my_apps_sign_ins(&cloud, &join.user_id).await.is_empty() {
        assert!(Instant::now() < deadline, "nobody opened My Apps");
        host.guest_page(VM).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        signed_in.elapsed() >= Duration::from_secs(41).mul_f64(scale),
        "My Apps came {:?} after the sign-in",
        signed_in.elapsed()
    );
    for _ in 0..5 {
        host.screenshot(VM).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let entries = my_apps_sign_ins(&cloud, &join.user_id).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert!(hello_bootstrap::steps::bootstrap::is_mfa_by_claim(
        &entries[0],
        Some(&join.device_id)
    ));
}

#[tokio::test]
async fn restarting_the_demo_pc_saves_running_vms_and_the_page_survives() {
    let host = EmulatedHost::for_tests(None);
    vm_at_oobe(&host).await;
    host.restart_pc().await.unwrap();
    assert_eq!(host.vm_state(VM).await.unwrap(), VmState::Saved);
    host.start_vm(VM).await.unwrap();
    assert_eq!(host.guest_page(VM).await.unwrap(), Some(GuestPage::SignIn));
    assert_eq!(host.install_media(), InstallMedia::Optional);
    let pace = host.pace();
    assert!(pace.cloud >= Duration::from_secs(30) && pace.cloud < Duration::from_secs(60));
    assert!(pace.poll_interval < Duration::from_secs(1));
}
