//! The VM reporting its own state over Hyper-V Data Exchange, on the emulated host: the answer
//! disc read by the emulated Setup, the boot prompt that needs a key, the KVP items at the same
//! moments a real guest publishes them (nothing in Setup, the OOBE marker at OOBE, the user's
//! `dsregcmd /status` after the sign-in), and typing refused on a guest with another keyboard
//! layout. Also the reporter script's output format against the reader's.

use hello_bootstrap::host::kvp::{GuestKvp, UserReport, UserReportState};
use hello_bootstrap::host::unattend::{AnswerFile, InstallImage};
use hello_bootstrap::host::{
    EmulatedHost, EmulatedHostConfig, GuestPage, GuestPhase, HostError, HyperVHost, KeyboardText,
    VmSpec, VmState, guest_report, reporter,
};
use hello_bootstrap::lab::Secret;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const VM: &str = "Lab VM";

fn answer_disc(dir: &Path) -> PathBuf {
    let answer = AnswerFile::new(
        InstallImage {
            index: 4,
            name: "Windows 11 Enterprise Evaluation".into(),
        },
        VM,
    );
    let path = dir.join("answers.iso");
    std::fs::write(&path, answer.to_iso().unwrap()).unwrap();
    path
}

fn install_iso(dir: &Path) -> PathBuf {
    let path = dir.join("Win11_Eval.iso");
    std::fs::write(&path, b"not really Windows").unwrap();
    path
}

async fn hyperv(host: &EmulatedHost) {
    host.enable_feature().await.unwrap();
    host.restart_pc().await.unwrap();
}

async fn phase(host: &EmulatedHost) -> GuestPhase {
    let running = host.vm_state(VM).await.unwrap() == VmState::Running;
    GuestPhase::from_report(running, &guest_report(host, VM).await.unwrap())
}

#[tokio::test]
async fn setup_runs_from_the_answer_disc_and_the_vm_reports_each_phase() {
    let dir = tempfile::tempdir().unwrap();
    // A little real time, so Setup is seen while it runs.
    let host = EmulatedHost::new(EmulatedHostConfig {
        time_scale: 0.002,
        ..EmulatedHostConfig::default()
    })
    .unwrap();
    hyperv(&host).await;
    let mut spec = VmSpec::lab(VM, Some(install_iso(dir.path())));
    spec.answer_iso = Some(answer_disc(dir.path()));
    host.create_vm(&spec).await.unwrap();
    assert_eq!(phase(&host).await, GuestPhase::Off);
    host.start_vm_from_dvd(VM).await.unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::Setup);
    // In Setup nothing answers over KVP: not even the integration services.
    assert_eq!(host.guest_kvp(VM).await.unwrap(), GuestKvp::default());
    assert_eq!(phase(&host).await, GuestPhase::InSetup);
    let started = Instant::now();
    while phase(&host).await != GuestPhase::AtOobe {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no OOBE marker"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = guest_report(&host, VM).await.unwrap();
    let marker = report.marker.clone().unwrap();
    assert_eq!(marker.phase, "oobe");
    assert_eq!(marker.vm.as_deref(), Some(VM));
    assert_eq!(report.layout(), Some("00000409"));
    assert_eq!(report.user, UserReportState::None);
    assert!(report.intrinsic.contains_key("OSName"));
}

#[tokio::test]
async fn without_a_key_at_the_boot_prompt_the_vm_finds_no_operating_system() {
    let dir = tempfile::tempdir().unwrap();
    let host = EmulatedHost::for_tests(None);
    hyperv(&host).await;
    let mut spec = VmSpec::lab(VM, Some(install_iso(dir.path())));
    spec.answer_iso = Some(answer_disc(dir.path()));
    host.create_vm(&spec).await.unwrap();
    host.start_vm(VM).await.unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::NoBootDevice);
    assert_eq!(phase(&host).await, GuestPhase::InSetup);
}

#[tokio::test]
async fn a_vm_without_the_reporter_is_up_but_reports_nothing_of_ours() {
    let host = EmulatedHost::for_tests(None);
    hyperv(&host).await;
    host.create_vm(&VmSpec::lab(VM, None)).await.unwrap();
    host.start_vm(VM).await.unwrap();
    let report = guest_report(&host, VM).await.unwrap();
    assert!(report.windows_up());
    assert!(!report.has_reporter());
    assert_eq!(phase(&host).await, GuestPhase::NoReporter);
}

#[tokio::test]
async fn a_broken_answer_disc_is_refused_when_the_vm_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let host = EmulatedHost::for_tests(None);
    hyperv(&host).await;
    let junk = dir.path().join("junk.iso");
    std::fs::write(&junk, vec![0u8; 50 * 2048]).unwrap();
    let mut spec = VmSpec::lab(VM, None);
    spec.answer_iso = Some(junk);
    let err = host.create_vm(&spec).await.unwrap_err();
    assert!(err.to_string().contains("answer disc"), "{err}");
    assert!(host.vm(VM).await.unwrap().is_none());
}

#[tokio::test]
async fn typing_is_refused_with_a_reason_on_another_keyboard_layout() {
    let dir = tempfile::tempdir().unwrap();
    let host = EmulatedHost::for_tests(None).with_guest_layout("00000407");
    hyperv(&host).await;
    let mut spec = VmSpec::lab(VM, None);
    spec.answer_iso = Some(answer_disc(dir.path()));
    host.create_vm(&spec).await.unwrap();
    host.start_vm(VM).await.unwrap();
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
    let tap = Secret::new("Zy@#+*=&'Tap");
    let err = host
        .type_text(VM, KeyboardText::Secret(&tap), true)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, HostError::InvalidState(_)), "{err:?}");
    assert!(text.contains("00000407") && text.contains("US"), "{text}");
    assert!(!text.contains("Zy@#"), "the TAP leaked: {text}");
    let err = hello_bootstrap::host::typing::type_upn(&host, VM, "adele@contoso.com")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("00000407"), "{err}");
    // Nothing was typed: the page is still the sign-in page.
    assert_eq!(host.screen(VM).unwrap(), GuestPage::SignIn);
}

#[tokio::test]
async fn type_the_tap_waits_for_its_page() {
    let dir = tempfile::tempdir().unwrap();
    let host = EmulatedHost::for_tests(None);
    hyperv(&host).await;
    let mut spec = VmSpec::lab(VM, None);
    spec.answer_iso = Some(answer_disc(dir.path()));
    host.create_vm(&spec).await.unwrap();
    host.start_vm(VM).await.unwrap();
    let tap = Secret::new("Secret#Tap1");
    let err = hello_bootstrap::host::typing::type_tap(&host, VM, &tap)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not \"Enter Temporary Access Pass\""),
        "{err}"
    );
    assert!(!err.to_string().contains("Secret#"));
    hello_bootstrap::host::typing::type_upn(&host, VM, "adele@contoso.com")
        .await
        .unwrap();
    assert!(matches!(host.screen(VM).unwrap(), GuestPage::Tap { .. }));
}

/// The field names the reporter's user task writes (the `[ordered]@{ … }` keys of
/// `USER_REPORT`), each one the host's reader knows, and a document shaped like Windows
/// PowerShell 5.1's `ConvertTo-Json -Compress` output of it reads back.
#[test]
fn the_reporter_writes_the_format_the_host_reads() {
    let body = reporter::USER_REPORT
        .split_once("$report = [ordered]@{")
        .unwrap()
        .1
        .split_once("\n}")
        .unwrap()
        .0;
    let keys: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().split_once(" = ").map(|(k, _)| k))
        .collect();
    assert!(keys.len() >= 12, "{keys:?}");
    let known = serde_json::to_value(UserReport::default()).unwrap();
    for key in &keys {
        assert!(
            *key == "v" || known.get(*key).is_some(),
            "the reporter writes {key}, which the host does not read"
        );
    }
    // ConvertTo-Json on 5.1: 7 fractional digits, nulls for missing dsregcmd keys.
    let written = r#"{"v":1,"at":"2026-12-01T13:40:02.1234567Z","user":"AzureAD\\AdeleVance","upn":"adele@contoso.com","layout":"00000409","azure_ad_joined":true,"workplace_joined":false,"ngc_set":true,"azure_ad_prt":true,"device_id":"0f6f6a9e-5f7a-4f55-9e4e-8d1b1c7e3a11","tenant_id":"6d3a1b2c-0000-4000-8000-000000000001","tenant_name":null}"#;
    let items = hello_bootstrap::host::kvp::report_items(written, "638686896021234567");
    let report = hello_bootstrap::host::GuestReport::from_kvp(
        &GuestKvp {
            intrinsic: Vec::new(),
            guest: items,
        },
        chrono::DateTime::parse_from_rfc3339("2026-12-01T13:41:00Z")
            .unwrap()
            .into(),
    );
    let user = report.user_report().expect("the report reads back");
    assert_eq!(user.upn.as_deref(), Some("adele@contoso.com"));
    let summary = user.summary();
    assert_eq!(
        (
            summary.azure_ad_joined,
            summary.ngc_set,
            summary.azure_ad_prt
        ),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(summary.tenant_name, None);
}
