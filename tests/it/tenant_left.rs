//! Issue 9's last pieces, as a user meets them: PIM-eligible roles named in a refusal where
//! Graph lets the account read them (and the emulator enforcing Microsoft's permission and role
//! for that read); a revert refused before it changes anything when the account lacks the role
//! (`revert` and the wizard's backend); `run --replace-tap` replacing a pass this lab did not
//! issue; and the emulator's propagation-delay flags, checked against its own clock.

use crate::common::{admin_graph, enable_tap_policy, graph_client, lab_upn};
use hello_bootstrap::auth::preflight::preflight;
use hello_bootstrap::auth::scopes::{BASE_SCOPES, all_scopes};
use hello_bootstrap::compose::revert_roles::RoleCheckedBackend;
use hello_bootstrap::emulator::roles::DirectoryRole;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::api::auth_methods;
use hello_bootstrap::lab::session::{BackendInfo, JobAction, LabBackend};
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Secret, Step, StepOptions};
use hello_bootstrap::steps::backend::ControllerBackend;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");
const HELPDESK: &str = "lee.gu";
const GLOBAL_READER: &str = "miriam.graham";
const ELIGIBILITIES: &str = "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances";

fn upn(emu: &EmulatorHandle, local: &str) -> String {
    format!("{local}@{}", emu.admin_upn.split('@').nth(1).unwrap())
}

/// Every permission the lab asks for at sign-in.
fn lab_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = all_scopes().iter().map(|s| s.to_string()).collect();
    scopes.extend(
        BASE_SCOPES
            .iter()
            .filter(|s| s.contains('.'))
            .map(|s| s.to_string()),
    );
    scopes
}

fn token(emu: &EmulatorHandle, local: &str, scopes: &[String]) -> String {
    let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    emu.mint_token(&upn(emu, local), &refs)
        .expect("a seeded user")
        .expose()
        .to_string()
}

fn make_eligible(emu: &EmulatorHandle, local: &str, role: DirectoryRole) {
    let who = upn(emu, local);
    emu.state().write(|t| {
        let user = t
            .users
            .iter_mut()
            .find(|u| u.user_principal_name == who)
            .unwrap();
        user.eligible_roles.push(role);
    });
}

async fn get(emu: &EmulatorHandle, bearer: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", emu.graph_url.trim_end_matches('/')))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn eligibilities_are_served_only_with_microsofts_permission_and_role() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    make_eligible(
        &emu,
        GLOBAL_READER,
        DirectoryRole::AuthenticationAdministrator,
    );
    let reader_id = emu.state().read(|t| {
        t.user(&upn(&emu, GLOBAL_READER))
            .unwrap()
            .id
            .as_str()
            .to_string()
    });
    let filter = format!("{ELIGIBILITIES}?$filter=principalId%20eq%20'{reader_id}'");

    // The least privileged permission plus a role of the PIM read list: the eligibility.
    let least = token(
        &emu,
        GLOBAL_READER,
        &["RoleEligibilitySchedule.Read.Directory".into()],
    );
    let (status, body) = get(&emu, &least, &filter).await;
    assert_eq!(status, 200, "{body}");
    let items = body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["principalId"], reader_id.as_str());
    assert_eq!(
        items[0]["roleDefinitionId"],
        DirectoryRole::AuthenticationAdministrator.template_id()
    );
    assert_eq!(items[0]["directoryScopeId"], "/");
    // Another principal's filter does not leak this one.
    let (_, other) = get(
        &emu,
        &least,
        &format!(
            "{ELIGIBILITIES}?$filter=principalId%20eq%20'00000000-0000-0000-0000-000000000000'"
        ),
    )
    .await;
    assert_eq!(other["value"].as_array().unwrap().len(), 0, "{other}");

    // The role but not the permission: refused, naming the least privileged permission.
    let user_read = token(&emu, GLOBAL_READER, &["User.Read".into()]);
    let (status, body) = get(&emu, &user_read, &filter).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RoleEligibilitySchedule.Read.Directory"),
        "{body}"
    );
    // The permission but not a role that may read PIM: refused too.
    let helpdesk = token(&emu, HELPDESK, &lab_scopes());
    let (status, body) = get(&emu, &helpdesk, &filter).await;
    assert_eq!(status, 403, "{body}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_pim_eligible_role_is_named_where_graph_lets_the_account_read_it() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    make_eligible(
        &emu,
        GLOBAL_READER,
        DirectoryRole::AuthenticationAdministrator,
    );
    make_eligible(&emu, HELPDESK, DirectoryRole::AuthenticationAdministrator);
    let scopes = lab_scopes();

    // A Global Reader may read PIM: step 6's refusal says how to get the role.
    let reader = graph_client(
        &emu.graph_url,
        Secret::new(token(&emu, GLOBAL_READER, &scopes)),
    );
    let refused = preflight(&reader, Some(scopes.clone()), &[Step::TapIssued])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.ends_with(
            "(you have: Global Reader); you are eligible for Authentication Administrator: activate it in PIM, then Check again"
        ),
        "{refused}"
    );
    // Eligible is not active: Graph still refuses the TAP itself.
    let (status, _) = get(
        &emu,
        &token(&emu, GLOBAL_READER, &scopes),
        &format!(
            "/v1.0/users/{}/authentication/temporaryAccessPassMethods",
            lab_upn(&emu)
        ),
    )
    .await;
    assert_eq!(status, 200, "a Global Reader may list passes");
    let identity = preflight(&reader, Some(scopes.clone()), &[Step::Bootstrap])
        .await
        .unwrap();
    assert_eq!(
        identity.eligible_roles,
        vec!["Authentication Administrator".to_string()]
    );
    assert!(
        !identity
            .roles
            .iter()
            .any(|r| r == "Authentication Administrator")
    );

    // A Helpdesk Administrator may not read PIM (Microsoft's table), so nothing is guessed.
    let helpdesk = graph_client(&emu.graph_url, Secret::new(token(&emu, HELPDESK, &scopes)));
    let refused = preflight(&helpdesk, Some(scopes), &[Step::TapIssued])
        .await
        .unwrap_err()
        .to_string();
    assert!(!refused.contains("eligible"), "{refused}");
    assert!(
        refused.contains("(you have: Helpdesk Administrator)"),
        "{refused}"
    );
    emu.shutdown().await;
}

/// Runs the CLI against `emu` with `bearer` in a home of its own, off the runtime's threads.
async fn cli(
    emu: &EmulatorHandle,
    home: &std::path::Path,
    bearer: &str,
    args: &[&str],
) -> (i32, String, String) {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .args(["--graph-url", &emu.graph_url, "--login-url", &emu.login_url])
        .env("HELLO_BOOTSTRAP_HOME", home)
        .env("HELLO_BOOTSTRAP_ACCESS_TOKEN", bearer);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_without_the_role_is_refused_whole_and_loses_nothing() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let lab = lab_upn(&emu).to_string();
    let admin = crate::common::admin_token(&emu).expose().to_string();
    let (code, _, err) = cli(
        &emu,
        home.path(),
        &admin,
        &["run", "--steps", "5,6", "--user", &lab],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let graph = admin_graph(&emu);
    assert_eq!(
        auth_methods::list_taps(&graph, &lab_upn(&emu))
            .await
            .unwrap()
            .len(),
        1
    );

    let helpdesk = token(&emu, HELPDESK, &lab_scopes());
    let (code, _, err) = cli(&emu, home.path(), &helpdesk, &["revert"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("reverting step 5 needs the Authentication Policy Administrator role to read and change the Temporary Access Pass policy (you have: Helpdesk Administrator)"),
        "{err}"
    );
    assert!(
        err.contains("Policy.ReadWrite.AuthenticationMethod"),
        "{err}"
    );
    assert!(err.contains("Nothing was reverted"), "{err}");
    // Nothing changed: the pass and the policy are as the run left them, and the journal too.
    assert_eq!(
        auth_methods::list_taps(&graph, &lab_upn(&emu))
            .await
            .unwrap()
            .len(),
        1
    );
    let (code, _, err) = cli(&emu, home.path(), &admin, &["revert"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        auth_methods::list_taps(&graph, &lab_upn(&emu))
            .await
            .unwrap()
            .is_empty()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_wizards_revert_is_refused_with_the_role_before_it_deletes_anything() {
    let home = crate::step7_verdict::private_home();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let admin = Arc::new(admin_graph(&emu));
    enable_tap_policy(&admin).await;
    let session = Arc::new(Mutex::new(SessionFile::default()));
    let backend_on = |graph| {
        RoleCheckedBackend::new(ControllerBackend {
            info: BackendInfo {
                tenant_name: "Contoso".into(),
                account: String::new(),
                kind: SessionKind::Demo,
            },
            graph: Some(graph),
            host: None,
            session: session.clone(),
            keepalive: Vec::new(),
        })
    };
    let options = || StepOptions {
        lab_user: Some(lab_upn(&emu)),
        ..StepOptions::default()
    };
    let sink = || tokio::sync::mpsc::unbounded_channel().0;
    let cancel = tokio_util::sync::CancellationToken::new;
    let as_admin = backend_on(admin.clone());
    let issued = as_admin
        .run(
            Step::TapIssued,
            JobAction::Apply,
            options(),
            sink(),
            cancel(),
        )
        .await
        .unwrap();
    assert!(issued.secret.is_some(), "{}", issued.detail);

    let helpdesk = Arc::new(graph_client(
        &emu.graph_url,
        Secret::new(token(&emu, HELPDESK, &lab_scopes())),
    ));
    let refused = backend_on(helpdesk)
        .run(
            Step::TapIssued,
            JobAction::Revert,
            options(),
            sink(),
            cancel(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("reverting step 6 needs one of the roles Authentication Administrator, Privileged Authentication Administrator to delete the lab user's Temporary Access Pass"),
        "{refused}"
    );
    assert!(refused.contains("nothing was reverted"), "{refused}");
    assert_eq!(
        auth_methods::list_taps(&admin, &lab_upn(&emu))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        session
            .lock()
            .await
            .journal
            .for_step(Step::TapIssued)
            .next()
            .is_some(),
        "the journal keeps the pass to revert later"
    );
    // The admin's revert then goes through.
    as_admin
        .run(
            Step::TapIssued,
            JobAction::Revert,
            options(),
            sink(),
            cancel(),
        )
        .await
        .unwrap();
    assert!(
        auth_methods::list_taps(&admin, &lab_upn(&emu))
            .await
            .unwrap()
            .is_empty()
    );
    drop(home);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_replace_tap_replaces_a_pass_this_lab_did_not_issue() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let graph = admin_graph(&emu);
    enable_tap_policy(&graph).await;
    let lab = lab_upn(&emu);
    let theirs = graph
        .post(
            hello_bootstrap::graph::ApiVersion::V1,
            &format!("/users/{lab}/authentication/temporaryAccessPassMethods"),
            &json!({"lifetimeInMinutes": 60}),
        )
        .await
        .unwrap();
    let admin = crate::common::admin_token(&emu).expose().to_string();
    let args = ["run", "--steps", "6", "--json", "--user", lab.as_str()];
    let (code, out, err) = cli(&emu, home.path(), &admin, &args).await;
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(doc["steps"][0]["status"], "needs_action", "{doc}");
    assert_ne!(code, 0);
    assert!(!out.contains("Temporary Access Pass:"));
    let kept = auth_methods::list_taps(&graph, &lab).await.unwrap();
    assert_eq!(
        kept[0].id.as_str(),
        theirs["id"].as_str().unwrap(),
        "kept without the flag"
    );

    let mut replace = args.to_vec();
    replace.push("--replace-tap");
    let (code, out, err) = cli(&emu, home.path(), &admin, &replace).await;
    assert_eq!(code, 0, "{out} {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["steps"][0]["status"], "applied", "{doc}");
    let now = auth_methods::list_taps(&graph, &lab).await.unwrap();
    assert_eq!(now.len(), 1);
    assert_ne!(
        now[0].id.as_str(),
        theirs["id"].as_str().unwrap(),
        "a new pass"
    );
    emu.shutdown().await;
}

/// The standalone emulator with delay flags: a new TAP is refused at OOBE until its delay has
/// passed, and the joined device never shows before its own, by the emulator's clock.
#[test]
fn the_emulators_delay_flags_hold_back_a_new_tap_and_a_new_device() {
    let mut child = Command::new(BIN)
        .args([
            "emulator",
            "--port",
            "0",
            "--tap-delay",
            "800ms",
            "--device-delay",
            "2s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    let mut banner = String::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    while !banner.contains("Propagation delays on") {
        assert!(stderr.read_line(&mut banner).unwrap() > 0, "{banner}");
    }
    assert!(
        banner.contains("device delay 2 s, TAP delay 800 ms"),
        "{banner}"
    );
    let root = ready["graph_url"]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let admin = ready["access_token"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let graph = graph_client(&root, Secret::new(admin.clone()));
        enable_tap_policy(&graph).await;
        let users: Value = graph
            .get(
                hello_bootstrap::graph::ApiVersion::V1,
                "/users?$filter=startswith(userPrincipalName,'lab.user')",
            )
            .await
            .unwrap();
        let lab = users["value"][0]["userPrincipalName"]
            .as_str()
            .unwrap()
            .to_string();
        let issued = Instant::now();
        let tap = graph
            .post(
                hello_bootstrap::graph::ApiVersion::V1,
                &format!("/users/{lab}/authentication/temporaryAccessPassMethods"),
                &json!({"lifetimeInMinutes": 60}),
            )
            .await
            .unwrap()["temporaryAccessPass"]
            .as_str()
            .unwrap()
            .to_string();
        let body = json!({"upn": lab, "tap": tap, "device_name": "DELAYED-PC"});
        let joined_at = loop {
            let tried = Instant::now();
            let answer = http
                .post(format!("{root}/_emulator/oobe-signin"))
                .json(&body)
                .send()
                .await
                .unwrap();
            if answer.status().is_success() {
                break tried;
            }
            let refusal: Value = answer.json().await.unwrap();
            assert_eq!(refusal["error"]["code"], "TapNotYetActive", "{refusal}");
            assert!(issued.elapsed() < Duration::from_secs(20), "never accepted");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(joined_at >= issued + Duration::from_millis(800) - Duration::from_millis(50));
        let joined = Instant::now();
        loop {
            let seen = Instant::now();
            let list: Value = graph
                .get(
                    hello_bootstrap::graph::ApiVersion::V1,
                    "/devices?$filter=displayName%20eq%20'DELAYED-PC'",
                )
                .await
                .unwrap();
            if !list["value"].as_array().unwrap().is_empty() {
                // It showed: never before its delay since the join answered.
                assert!(
                    seen + Duration::from_millis(50)
                        >= joined + Duration::from_secs(2) - (joined - joined_at),
                    "shown too early"
                );
                break;
            }
            assert!(
                joined.elapsed() < Duration::from_secs(20),
                "the device never showed"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let _ = child.kill();
    let _ = child.wait();
}

/// Step 6's page, rendered from the state a check of someone else's pass leaves.
fn step_six_page(
    state: hello_bootstrap::lab::session::StepState,
) -> egui_kittest::Harness<
    'static,
    (
        hello_bootstrap::lab::session::StepState,
        Vec<hello_bootstrap::ui::Command>,
    ),
> {
    egui_kittest::Harness::builder()
        .with_size([900.0, 1000.0])
        .with_context_setup(|ctx| {
            egui_extras::install_image_loaders(ctx);
            hello_bootstrap::ui::theme::apply_style(ctx, false);
        })
        .build_ui_state(
            |ui, (state, commands)| {
                let view = hello_bootstrap::ui::pages::step::StepPageView {
                    step: Step::TapIssued,
                    state,
                    connected: true,
                    demo: false,
                    tap: None,
                    secrets: vec![],
                    screen: None,
                    caption: None,
                    ids: &hello_bootstrap::lab::EvidenceIds::default(),
                    iso_path: None,
                    restart_as_admin: None,
                    typing: None,
                    link_failed: None,
                };
                hello_bootstrap::ui::pages::step::show(ui, view, commands);
            },
            (state, Vec::new()),
        )
}

#[tokio::test]
async fn step_six_page_offers_to_replace_someone_elses_pass_after_asking_once_more() {
    use egui_kittest::kittest::Queryable;
    use hello_bootstrap::lab::session::StepState;
    use hello_bootstrap::ui::Command;
    // The state comes from the real controller's check of a pass issued outside the lab.
    let home = crate::step7_verdict::private_home();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let graph = Arc::new(admin_graph(&emu));
    enable_tap_policy(&graph).await;
    graph
        .post(
            hello_bootstrap::graph::ApiVersion::V1,
            &format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                lab_upn(&emu)
            ),
            &json!({"lifetimeInMinutes": 60}),
        )
        .await
        .unwrap();
    let ctx = hello_bootstrap::steps::StepContext::new(
        Some(graph),
        None,
        Arc::new(Mutex::new(SessionFile::default())),
        SessionKind::Demo,
        StepOptions {
            lab_user: Some(lab_upn(&emu)),
            ..StepOptions::default()
        },
    );
    let report = hello_bootstrap::steps::controller(Step::TapIssued)
        .check(&ctx)
        .await
        .unwrap();
    let state = StepState {
        status: report.status,
        detail: report.detail.clone(),
        evidence: report.evidence.clone(),
        ..StepState::default()
    };
    let mut page = step_six_page(state);
    page.run();
    page.get_by_label("The lab user already has a pass this lab did not issue");
    page.get_by_label("Replace the existing pass…").click();
    page.run();
    assert!(page.state().1.is_empty(), "nothing before the confirmation");
    page.get_by_label("Keep the existing pass").click();
    page.run();
    assert!(page.state().1.is_empty());
    page.get_by_label("Replace the existing pass…").click();
    page.run();
    page.get_by_label("Yes, replace the pass").click();
    page.run();
    assert_eq!(page.state().1, vec![Command::ReplaceTap]);

    // A pass this lab issued (or none) offers no such thing.
    let mut ours = step_six_page(StepState {
        status: hello_bootstrap::lab::StepStatus::Applied,
        ..StepState::default()
    });
    ours.run();
    assert!(ours.query_by_label("Replace the existing pass…").is_none());
    drop(home);
    emu.shutdown().await;
}
