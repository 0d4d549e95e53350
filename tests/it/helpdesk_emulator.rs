//! `tap issue` end to end: the real Graph client over loopback HTTP against the emulated tenant.

use crate::common::{admin_graph, enable_tap_policy};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle, FaultRule};
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use hello_bootstrap::helpdesk::{
    IssueOptions, IssueStatus, TapIssueArgs, TapRequest, issue_taps, parse_csv, run,
};
use serde_json::{Value, json};

async fn start(extra_users: usize) -> (EmulatorHandle, GraphClient) {
    start_with(EmulatorConfig {
        extra_users,
        ..EmulatorConfig::default()
    })
    .await
}

async fn start_with(config: EmulatorConfig) -> (EmulatorHandle, GraphClient) {
    let emulator = Emulator::start(config).await.expect("emulator starts");
    let graph = admin_graph(&emulator);
    (emulator, graph)
}

async fn passes_of(graph: &GraphClient, upn: &str) -> Vec<Value> {
    graph
        .get_all(
            ApiVersion::V1,
            &format!("/users/{upn}/authentication/temporaryAccessPassMethods"),
        )
        .await
        .unwrap()
}

async fn disabled_user(graph: &GraphClient) -> String {
    let users = graph
        .get_all(ApiVersion::V1, "/users?$filter=accountEnabled eq false")
        .await
        .unwrap();
    users[0]["userPrincipalName"].as_str().unwrap().to_string()
}

async fn cli(graph: &GraphClient, args: &TapIssueArgs) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(args, graph, &mut out, &mut err).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn args(upns: &[&str]) -> TapIssueArgs {
    TapIssueArgs {
        upns: upns.iter().map(|s| s.to_string()).collect(),
        json: true,
        ..TapIssueArgs::default()
    }
}

#[tokio::test]
async fn issues_passes_shown_once_on_stdout_only() {
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let (code, out, err) = cli(&graph, &args(&[&lab, "lee.gu@contosolab.onmicrosoft.com"])).await;
    assert_eq!(code, 0, "stderr: {err}");
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["upn"], lab.as_str());
    for r in &results {
        assert_eq!(r["status"], "issued", "{r}");
        assert_eq!(r["error"], Value::Null);
        assert_eq!(r["lifetime_in_minutes"], 60, "the policy's default");
        let tap = r["temporary_access_pass"].as_str().unwrap();
        assert!(tap.len() >= 8, "{r}");
        assert!(!err.contains(tap), "a pass reached stderr");
    }
    assert!(err.contains("[2/2]"), "{err}");
    assert!(err.contains("Issued 2 of 2"), "{err}");

    // Graph keeps no code: later reads show null, and the pass is there.
    let stored = passes_of(&graph, &lab).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["temporaryAccessPass"], Value::Null);

    // The pass really works: the emulated OOBE sign-in accepts it.
    let tap = results[0]["temporary_access_pass"].as_str().unwrap();
    let signin = reqwest::Client::new()
        .post(format!("{}/_emulator/oobe-signin", emulator.graph_url))
        .json(&json!({"upn": lab, "tap": tap, "device_name": "LAB-PC01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn human_output_puts_only_the_passes_on_stdout() {
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let mut a = args(&[&lab]);
    a.json = false;
    a.lifetime = Some(120);
    a.once = true;
    let (code, out, err) = cli(&graph, &a).await;
    assert_eq!(code, 0, "{err}");
    let fields: Vec<&str> = out.trim_end().split('\t').collect();
    assert_eq!(fields[0], lab);
    assert!(fields[1].len() >= 8);
    assert_eq!(fields[2], "120 min");
    assert!(!err.contains(fields[1]));
    let stored = passes_of(&graph, &lab).await;
    assert_eq!(stored[0]["lifetimeInMinutes"], 120);
    assert_eq!(stored[0]["isUsableOnce"], true);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_disabled_policy_issues_nothing() {
    let (emulator, graph) = start(0).await;
    let lab = emulator.lab_user_upn.to_string();
    let (code, out, err) = cli(&graph, &args(&[&lab])).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("No pass was issued: the Temporary Access Pass policy is disabled: enable it"),
        "{err}"
    );
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["status"], "failed");
    assert_eq!(results[0]["temporary_access_pass"], Value::Null);
    assert!(passes_of(&graph, &lab).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_bad_csv_row_or_lifetime_issues_nothing() {
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, format!("upn,lifetime_minutes\n{lab},60\nbob@,60\n")).unwrap();
    let mut a = args(&[]);
    a.csv = Some(csv.clone());
    let (code, out, err) = cli(&graph, &a).await;
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("row 3, field upn: 'bob@' has no domain"),
        "{err}"
    );
    assert!(passes_of(&graph, &lab).await.is_empty());

    // Well-formed, but shorter than the policy allows (seeded minimum: 60 minutes).
    std::fs::write(&csv, format!("upn,lifetime_minutes\n{lab},30\n")).unwrap();
    let (code, _, err) = cli(&graph, &a).await;
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "row 2, field lifetime_minutes: 30 minutes is shorter than the policy's minimum of 60"
        ),
        "{err}"
    );
    assert!(passes_of(&graph, &lab).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn each_user_gets_their_own_verdict() {
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let disabled = disabled_user(&graph).await;
    let nobody = "nobody@contosolab.onmicrosoft.com";
    let (code, out, err) = cli(&graph, &args(&[&lab, nobody, &disabled])).await;
    assert_eq!(code, 1, "{err}");
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["status"], "issued");
    assert_eq!(results[1]["status"], "failed");
    assert!(
        results[1]["error"]
            .as_str()
            .unwrap()
            .contains("no such user")
    );
    assert_eq!(results[2]["status"], "failed");
    assert!(results[2]["error"].as_str().unwrap().contains("disabled"));
    assert!(
        err.contains(&format!("{nobody}: there is no such user")),
        "{err}"
    );

    // A second run leaves the pass alone and says so; --replace issues a new one.
    let first = results[0]["temporary_access_pass"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, _) = cli(&graph, &args(&[&lab])).await;
    assert_eq!(code, 1);
    let again: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(again[0]["status"], "already_has_tap");
    assert!(again[0]["error"].as_str().unwrap().contains("--replace"));
    let mut replace = args(&[&lab]);
    replace.replace = true;
    let (code, out, err) = cli(&graph, &replace).await;
    assert_eq!(code, 0, "{err}");
    let replaced: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(replaced[0]["status"], "replaced");
    assert_ne!(
        replaced[0]["temporary_access_pass"].as_str().unwrap(),
        first
    );
    assert_eq!(passes_of(&graph, &lab).await.len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_class_list_is_issued_concurrently_with_progress() {
    let (emulator, graph) = start(12).await;
    enable_tap_policy(&graph).await;
    let users = graph
        .get_all(
            ApiVersion::V1,
            "/users?$filter=accountEnabled eq true&$top=50",
        )
        .await
        .unwrap();
    let upns: Vec<String> = users
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .filter(|u| !u.starts_with("admin@"))
        .take(10)
        .map(str::to_string)
        .collect();
    assert_eq!(upns.len(), 10);
    let csv = format!("upn\n{}\n", upns.join("\n"));
    let requests: Vec<TapRequest> = parse_csv(csv.as_bytes()).unwrap();
    let mut seen = Vec::new();
    let outcomes = issue_taps(
        &graph,
        requests,
        &IssueOptions {
            concurrency: 3,
            ..IssueOptions::default()
        },
        |p| seen.push((p.done, p.total, p.upn.to_string())),
    )
    .await
    .unwrap();
    assert_eq!(outcomes.len(), 10);
    for (outcome, upn) in outcomes.iter().zip(&upns) {
        assert_eq!(outcome.upn.as_str(), upn, "results keep request order");
        assert_eq!(outcome.status, IssueStatus::Issued, "{:?}", outcome.error);
        assert!(outcome.tap.is_some());
        assert!(!format!("{outcome:?}").contains(outcome.tap.as_ref().unwrap().expose()));
    }
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert!(seen.iter().all(|s| s.1 == 10));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_checks_everyone_and_issues_nothing() {
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let holder = "lee.gu@contosolab.onmicrosoft.com";
    let disabled = disabled_user(&graph).await;
    let (code, _, err) = cli(&graph, &args(&[holder])).await;
    assert_eq!(code, 0, "{err}");

    let mut dry = args(&[&lab, holder, &disabled]);
    dry.dry_run = true;
    let (code, out, err) = cli(&graph, &dry).await;
    assert_eq!(code, 1, "not everyone is ready");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ready", "has_tap", "blocked"]);
    assert_eq!(rows[1]["lifetime_in_minutes"], 60);
    assert!(rows[2]["error"].as_str().unwrap().contains("disabled"));
    assert!(rows.iter().all(|r| r["temporary_access_pass"].is_null()));
    assert!(err.contains("Dry run: 1 of 3 ready"), "{err}");
    assert!(
        passes_of(&graph, &lab).await.is_empty(),
        "a dry run issued a pass"
    );

    let mut ready_only = args(&[&lab]);
    ready_only.dry_run = true;
    let (code, _, _) = cli(&graph, &ready_only).await;
    assert_eq!(code, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn throttled_issuing_waits_and_still_issues_everyone() {
    let (emulator, graph) = start_with(EmulatorConfig {
        faults: FaultRule::parse_spec("429@/v1.0/users:2:retry=1:method=POST").unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let started = std::time::Instant::now();
    let (code, out, err) = cli(&graph, &args(&[&lab, "lee.gu@contosolab.onmicrosoft.com"])).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After honoured"
    );
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(
        results.iter().all(|r| r["status"] == "issued"),
        "{results:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_failing_graph_fails_each_user_with_graphs_words() {
    let (emulator, graph) = start_with(EmulatorConfig {
        faults: FaultRule::parse_spec("500@/v1.0/users:method=POST").unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let (code, out, err) = cli(&graph, &args(&[&lab])).await;
    assert_eq!(code, 1);
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["status"], "failed");
    assert_eq!(results[0]["temporary_access_pass"], Value::Null);
    let error = results[0]["error"].as_str().unwrap();
    assert!(error.contains("500"), "{error}");
    assert!(err.contains("Issued 0 of 1"), "{err}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_run_issues_to_nobody_not_yet_started() {
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let lab = emulator.lab_user_upn.to_string();
    let cancel = tokio_util::sync::CancellationToken::new();
    cancel.cancel();
    let requests = parse_csv(format!("upn\n{lab}\n").as_bytes()).unwrap();
    let outcomes = issue_taps(
        &graph,
        requests,
        &IssueOptions {
            cancel: Some(cancel),
            ..IssueOptions::default()
        },
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(outcomes[0].status, IssueStatus::Failed);
    assert!(outcomes[0].error.as_deref().unwrap().contains("cancelled"));
    assert!(passes_of(&graph, &lab).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_authentication_administrator_issues_passes_without_reading_the_policy() {
    let (emulator, admin) = start(0).await;
    enable_tap_policy(&admin).await;
    let token = emulator
        .mint_token(
            "isaiah.langer@contosolab.onmicrosoft.com",
            hello_bootstrap::emulator::scopes::ALL_GRAPH_SCOPES,
        )
        .expect("the seeded Authentication Administrator");
    let agent = crate::common::graph_client(&emulator.graph_url, token);
    let policy_read = hello_bootstrap::graph::api::policies::tap_policy(&agent).await;
    assert_eq!(
        policy_read.unwrap_err().status(),
        Some(403),
        "Graph keeps the policy from an Authentication Administrator"
    );
    let lab = emulator.lab_user_upn.to_string();
    let (code, out, err) = cli(&agent, &args(&[&lab])).await;
    assert_eq!(code, 0, "{err}");
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["status"], "issued", "{}", results[0]);
    // Admins need a Privileged Authentication Administrator: Graph's refusal comes back per user.
    let (code, out, _) = cli(&agent, &args(&["miriam.graham@contosolab.onmicrosoft.com"])).await;
    assert_eq!(code, 1);
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["status"], "failed");
    assert!(
        results[0]["error"]
            .as_str()
            .unwrap()
            .contains("Privileged Authentication Administrator"),
        "{}",
        results[0]
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn internal_guests_get_a_pass_and_external_ones_are_told_why_not() {
    use hello_bootstrap::emulator::seed::{DEMO_EXTERNAL_GUEST, DEMO_INTERNAL_GUEST};
    let (emulator, graph) = start(0).await;
    enable_tap_policy(&graph).await;
    let mut dry = args(&[DEMO_INTERNAL_GUEST, DEMO_EXTERNAL_GUEST]);
    dry.dry_run = true;
    let (code, out, _) = cli(&graph, &dry).await;
    assert_eq!(code, 1);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["status"], "ready", "{}", rows[0]);
    assert_eq!(rows[1]["status"], "blocked");
    assert!(rows[1]["error"].as_str().unwrap().contains("external user"));

    let (code, out, err) = cli(&graph, &args(&[DEMO_INTERNAL_GUEST, DEMO_EXTERNAL_GUEST])).await;
    assert_eq!(code, 1, "{err}");
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["status"], "issued", "{}", results[0]);
    assert_eq!(results[1]["status"], "failed");
    assert!(
        err.contains(&format!(
            "{DEMO_EXTERNAL_GUEST}: this is an external user, who signs in at their home organization"
        )),
        "{err}"
    );
    let held = emulator.state().read(|t| {
        (
            t.user(DEMO_INTERNAL_GUEST).unwrap().tap.is_some(),
            t.user(DEMO_EXTERNAL_GUEST).unwrap().tap.is_some(),
        )
    });
    assert_eq!(held, (true, false));
    emulator.shutdown().await;
}
