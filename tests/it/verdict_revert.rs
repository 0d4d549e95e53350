//! Reverts that put back exactly what was there: step 1 from MDM user scope "Some" with two
//! groups (Graph refuses a PATCH back to `selected`, and `all` removed the groups), and a whole
//! demo run reverted from the command line, leaving no device, managed device or Windows Hello
//! key of the run.

use crate::common::{admin_graph, lab_upn};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::graph::ApiVersion;
use hello_bootstrap::graph::api::users;
use hello_bootstrap::graph::models::MDM_POLICY_ID;
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Step, StepOptions, StepStatus};
use hello_bootstrap::steps::{StepContext, controller};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

const MDM: &str = "/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000";

#[tokio::test]
async fn mdm_scope_some_with_two_groups_is_restored_with_both_groups() {
    let _home = crate::step7_verdict::private_home();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let graph = Arc::new(admin_graph(&emu));
    let lab_user = users::id_of(graph.as_ref(), &lab_upn(&emu)).await.unwrap();
    let mut groups = Vec::new();
    for name in ["Intune pilot", "Lab devices"] {
        let g = graph
            .post(
                ApiVersion::V1,
                "/groups",
                &json!({"displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', ""), "securityEnabled": true}),
            )
            .await
            .unwrap();
        groups.push(g["id"].as_str().unwrap().to_string());
    }
    groups.sort();
    // Graph refuses `selected` in a PATCH: "Some" is made by adding groups.
    let refused = graph
        .patch(ApiVersion::Beta, MDM, &json!({"appliesTo": "selected"}))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused}");
    for g in &groups {
        graph
            .post(
                ApiVersion::Beta,
                &format!("{MDM}/includedGroups/$ref"),
                &json!({"@odata.id": format!("https://graph.microsoft.com/beta/groups/{g}")}),
            )
            .await
            .unwrap();
    }
    graph
        .post(
            ApiVersion::V1,
            &format!("/groups/{}/members/$ref", groups[0]),
            &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", lab_user.as_str())}),
        )
        .await
        .unwrap();

    let ctx = StepContext::new(
        Some(graph.clone()),
        None,
        Arc::new(Mutex::new(SessionFile::default())),
        SessionKind::Demo,
        StepOptions::default(),
    );
    let _ = CancellationToken::new();
    let step = controller(Step::MdmUserScope);
    let before = step.check(&ctx).await.unwrap();
    assert_eq!(before.status, StepStatus::NotApplied);
    assert!(
        before.detail.contains("2 selected group"),
        "{}",
        before.detail
    );

    let applied = step.apply(&ctx).await.unwrap();
    assert_eq!(applied.status, StepStatus::Applied, "{}", applied.detail);
    let scope = |graph: Arc<hello_bootstrap::graph::GraphClient>| async move {
        let policy = graph
            .get(ApiVersion::Beta, &format!("{MDM}?$expand=includedGroups"))
            .await
            .unwrap();
        let mut ids: Vec<String> = policy["includedGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        (policy["appliesTo"].clone(), ids)
    };
    assert_eq!(
        scope(graph.clone()).await,
        (json!("all"), Vec::<String>::new()),
        "All removed the groups"
    );
    {
        let session = ctx.session.lock().await;
        let original = session
            .journal
            .original(Step::MdmUserScope, "settings")
            .unwrap();
        assert_eq!(
            original,
            &json!({"appliesTo": "selected", "includedGroups": groups})
        );
    }

    let reverted = step.revert(&ctx).await.unwrap();
    assert!(reverted.changed, "{}", reverted.detail);
    assert_eq!(
        scope(graph.clone()).await,
        (json!("selected"), groups.clone())
    );
    assert!(
        reverted.detail.contains("2 selected group"),
        "{}",
        reverted.detail
    );
    let _ = MDM_POLICY_ID;
}

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

fn cli(home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("HELLO_BOOTSTRAP_HOME", home)
        .env_remove("HELLO_BOOTSTRAP_ACCESS_TOKEN")
        .env_remove(hello_bootstrap::host::emulated::WRONG_TAP_ENV)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The saved demo tenant (the emulator's state file under the home folder).
fn demo_tenant(home: &std::path::Path) -> Value {
    let file = crate::common::files_under(home)
        .into_iter()
        .find(|p| {
            std::fs::read_to_string(p)
                .ok()
                .is_some_and(|t| t.contains("\"managed_devices\"") && t.contains("\"sign_ins\""))
        })
        .expect("the demo tenant's state file");
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn run_demo_then_revert_demo_leaves_no_device_managed_device_or_key_of_the_run() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = cli(home.path(), &["run", "--demo", "--json"]);
    assert_eq!(code, 0, "run: {err}\n{out}");
    let tenant = demo_tenant(home.path());
    assert_eq!(tenant["devices"].as_array().unwrap().len(), 1);
    assert_eq!(tenant["managed_devices"].as_array().unwrap().len(), 1);
    let keys = |t: &Value| -> usize {
        t["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["whfb_methods"].as_array().map_or(0, Vec::len))
            .sum()
    };
    assert_eq!(keys(&tenant), 1);

    let (code, out, err) = cli(home.path(), &["revert", "--demo", "--json"]);
    assert_eq!(code, 0, "revert: {err}\n{out}");
    let tenant = demo_tenant(home.path());
    assert!(
        tenant["devices"].as_array().unwrap().is_empty(),
        "{:#}",
        tenant["devices"]
    );
    assert!(tenant["managed_devices"].as_array().unwrap().is_empty());
    assert_eq!(keys(&tenant), 0);
}
