//! Tenant readiness, read before any change: the seeded demo tenant is ready on every row; a
//! tenant without an Intune plan, one that blocks personally owned Windows devices, and the other
//! not-ready states each make their row fail with the error OOBE would show and the portal page
//! that fixes it; a role that may not read a resource gives "could not check", never a pass; and
//! `run` names a not-ready tenant and stops before step 1 changes anything.

use crate::common::{admin_graph, graph_client, lab_upn};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::steps::readiness::{
    ReadinessItem, ReadinessRow, ReadinessState, check_readiness,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

async fn start() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

async fn make_not_ready(graph_url: &str, change: Value) {
    let answer = reqwest::Client::new()
        .post(format!("{graph_url}/_emulator/readiness"))
        .json(&change)
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap()
    );
}

fn row(rows: &[ReadinessRow], item: ReadinessItem) -> &ReadinessRow {
    rows.iter()
        .find(|r| r.item == item)
        .unwrap_or_else(|| panic!("no row for {item:?}: {rows:?}"))
}

#[tokio::test]
async fn the_demo_tenant_is_ready_on_every_row() {
    let emu = start().await;
    let rows = check_readiness(&admin_graph(&emu), Some(&lab_upn(&emu))).await;
    assert_eq!(rows.len(), ReadinessItem::ALL.len(), "{rows:?}");
    let not_ready: Vec<_> = rows.iter().filter(|r| !r.is_ready()).collect();
    assert!(not_ready.is_empty(), "{not_ready:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn each_not_ready_state_fails_its_row_with_the_oobe_error_and_the_fix() {
    let cases: &[(Value, ReadinessItem, &str)] = &[
        (
            json!({"intunePlan": false}),
            ReadinessItem::IntunePlan,
            "0x80180018",
        ),
        (
            json!({"entraP1Plan": false}),
            ReadinessItem::EntraP1Plan,
            "does not enroll",
        ),
        (
            json!({"unlicense": ["lab.user@contosolab.onmicrosoft.com"]}),
            ReadinessItem::LabUserLicence,
            "0x80180018",
        ),
        (
            json!({"blockPersonalWindows": true}),
            ReadinessItem::PersonalWindowsEnrollment,
            "0x80180014",
        ),
        (
            json!({"allowedToJoin": "none"}),
            ReadinessItem::JoinPolicy,
            "0x801c0003",
        ),
        (
            json!({"allowedToJoin": "selected", "joinUsers": ["admin@contosolab.onmicrosoft.com"]}),
            ReadinessItem::JoinPolicy,
            "0x801c0003",
        ),
        (
            json!({"userDeviceQuota": 0}),
            ReadinessItem::JoinPolicy,
            "0x801c0003",
        ),
        (
            json!({"securityDefaults": true}),
            ReadinessItem::SecurityDefaults,
            "Authenticator",
        ),
        (
            json!({"mamAppliesTo": "all"}),
            ReadinessItem::MamScope,
            "MAM",
        ),
    ];
    for (change, item, code) in cases {
        let emu = start().await;
        make_not_ready(&emu.graph_url, change.clone()).await;
        let rows = check_readiness(&admin_graph(&emu), Some(&lab_upn(&emu))).await;
        let r = row(&rows, *item);
        assert_eq!(r.state, ReadinessState::NotReady, "{change}: {r:?}");
        let shown = r.to_validation_row();
        let fix = shown.fix.unwrap_or_default();
        assert!(
            fix.contains(code) && fix.contains("https://"),
            "{change}: {fix}"
        );
        // Without a tenant-wide plan no user's licence can include it either.
        let follows = |o: &ReadinessRow| {
            o.item == *item
                || (*item == ReadinessItem::IntunePlan && o.item == ReadinessItem::LabUserLicence)
        };
        let others: Vec<_> = rows
            .iter()
            .filter(|o| !follows(o) && !o.is_ready())
            .collect();
        assert!(
            others.is_empty(),
            "{change} changed only its row: {others:?}"
        );
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn a_role_that_may_not_read_gives_could_not_check_naming_the_role() {
    let emu = start().await;
    let upn = format!("alex.wilber@{}", emu.admin_upn.split('@').nth(1).unwrap());
    let scopes = [
        "User.Read.All",
        "LicenseAssignment.Read.All",
        "Policy.Read.All",
        "Policy.Read.DeviceConfiguration",
        "DeviceManagementServiceConfig.Read.All",
    ];
    let graph = graph_client(&emu.graph_url, emu.mint_token(&upn, &scopes).unwrap());
    let rows = check_readiness(&graph, Some(&lab_upn(&emu))).await;
    // An Intune Administrator may read the join policy and the restrictions, not the tenant's
    // subscriptions (Directory Readers) nor security defaults (Security Reader).
    assert!(row(&rows, ReadinessItem::JoinPolicy).is_ready(), "{rows:?}");
    assert!(
        row(&rows, ReadinessItem::PersonalWindowsEnrollment).is_ready(),
        "{rows:?}"
    );
    for (item, role) in [
        (ReadinessItem::IntunePlan, "Directory Readers"),
        (ReadinessItem::SecurityDefaults, "Security Reader"),
    ] {
        let r = row(&rows, item);
        assert_eq!(
            r.state,
            ReadinessState::CouldNotCheck {
                needs: format!("the {role} role")
            },
            "{r:?}"
        );
        assert!(!r.is_ready());
    }
    emu.shutdown().await;
}

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

/// `run` against a standalone emulator made not ready by `change`: it must stop before step 1.
fn run_refuses(change: Value, named: &[&str]) {
    let mut child = Command::new(BIN)
        .args(["emulator", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("a JSON ready line");
    let field = |k: &str| ready[k].as_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(make_not_ready(&field("graph_url"), change));
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "run",
            "--graph-url",
            &field("graph_url"),
            "--login-url",
            &field("login_url"),
        ])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .env("HELLO_BOOTSTRAP_ACCESS_TOKEN", field("access_token"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let requests: Value = rt.block_on(async {
        reqwest::get(format!("{}/_emulator/requests", field("graph_url")))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Nothing was changed"), "{stderr}");
    for text in named {
        assert!(stderr.contains(text), "{text} missing in: {stderr}");
    }
    let writes: Vec<&Value> = requests["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["method"] != "GET"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| !p.starts_with("/_emulator"))
        })
        .collect();
    assert!(writes.is_empty(), "nothing may change: {writes:?}");
}

#[test]
fn check_json_lists_the_readiness_rows() {
    let out = Command::new(BIN)
        .args(["check", "--demo", "--json"])
        .env("HELLO_BOOTSTRAP_HOME", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("check --json prints JSON");
    let rows = doc["readiness"].as_array().expect("a readiness list");
    // The demo session knows its lab user, so the licence row is there too.
    assert_eq!(rows.len(), ReadinessItem::ALL.len(), "{rows:?}");
    assert!(rows.iter().all(|r| r["state"] == "ready"), "{rows:?}");
    assert_eq!(rows[0]["item"], "intune_plan");
}

#[test]
fn run_names_a_tenant_without_an_intune_plan_before_any_change() {
    run_refuses(
        json!({"intunePlan": false}),
        &["The tenant has a Microsoft Intune plan", "0x80180018"],
    );
}

#[test]
fn run_names_a_tenant_that_blocks_personal_windows_enrollment_before_any_change() {
    run_refuses(
        json!({"blockPersonalWindows": true}),
        &["personally owned Windows PC", "0x80180014"],
    );
}

/// The wizard's welcome page shows the rows once read, a failed one with the error OOBE would
/// show and the page that fixes it.
#[test]
fn the_welcome_page_shows_whether_the_tenant_is_ready() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use hello_bootstrap::lab::session::{Connection, LabState};
    use hello_bootstrap::lab::session_file::SessionKind;
    use hello_bootstrap::ui::{AppOptions, build_app};

    let rows = [
        ReadinessRow {
            item: ReadinessItem::IntunePlan,
            state: ReadinessState::Ready,
            detail: "an enabled subscription carries INTUNE_A".into(),
        },
        ReadinessRow {
            item: ReadinessItem::PersonalWindowsEnrollment,
            state: ReadinessState::NotReady,
            detail: "Windows enrollment of personally owned devices is blocked by: All users and all devices".into(),
        },
    ];
    let options = AppOptions {
        demo: true,
        connector: std::sync::Arc::new(|_| Box::pin(async { Err("offline test".to_string()) })),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size([1180.0, 1400.0])
        .build_eframe(move |cc| build_app(cc, options).expect("app builds"));
    harness.state_mut().inject_state(LabState {
        connection: Connection::Connected,
        tenant_name: Some("Contoso Lab".into()),
        account: Some("admin@contoso.example".into()),
        kind: Some(SessionKind::Demo),
        readiness: rows.iter().map(ReadinessRow::to_validation_row).collect(),
        ..LabState::default()
    });
    harness.run();
    harness.get_by_label("Is the tenant ready?");
    harness.get_by_label("The tenant has a Microsoft Intune plan: Passed");
    harness
        .get_by_label("Enrollment restrictions let a personally owned Windows PC enroll: Failed");
    harness.get_by_label_contains("0x80180014");
}
