//! The help desk's TAP service end to end: the real Graph client over loopback HTTP against the
//! emulated tenant, `tap issue` driven as the CLI runs it, and every reported pass proved with
//! the emulator's `verify-tap` (the one valid pass the user holds).

use crate::common::{admin_graph, emulator_requests, enable_tap_policy, graph_client};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::{ApiVersion, BatchRequest, GraphClient};
use hello_bootstrap::helpdesk::{
    IssueOptions, IssueStatus, TapIssueArgs, TapRequest, issue_all, run,
};
use hello_bootstrap::lab::Upn;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Named demo users who hold a directory role (refused unless --allow-privileged).
const WITH_ROLES: &[&str] = &[
    "admin",
    "lee.gu",
    "isaiah.langer",
    "pradeep.gupta",
    "alex.wilber",
    "nestor.wilke",
    "lynne.robbins",
    "miriam.graham",
];

/// Points every file of ours at a fresh folder (each test runs in its own process).
fn isolate_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("HELLO_BOOTSTRAP_HOME", home.path()) };
    home
}

async fn start(extra_users: usize) -> (EmulatorHandle, GraphClient) {
    let emulator = Emulator::start(EmulatorConfig {
        extra_users,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let graph = admin_graph(&emulator);
    enable_tap_policy(&graph).await;
    (emulator, graph)
}

/// Enabled members without a directory role, as many as asked for.
async fn plain_users(graph: &GraphClient, n: usize) -> Vec<String> {
    let users = graph
        .get_all(
            ApiVersion::V1,
            "/users?$top=999&$select=userPrincipalName,accountEnabled,userType",
        )
        .await
        .unwrap();
    let plain: Vec<String> = users
        .iter()
        .filter(|u| u["accountEnabled"] == true && u["userType"] == "Member")
        .map(|u| u["userPrincipalName"].as_str().unwrap().to_string())
        .filter(|upn| !WITH_ROLES.contains(&upn.split('@').next().unwrap()))
        .take(n)
        .collect();
    assert_eq!(plain.len(), n, "the tenant has {n} plain users");
    plain
}

async fn verify(emulator: &EmulatorHandle, upn: &str, tap: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/_emulator/verify-tap", emulator.graph_url))
        .json(&json!({"upn": upn, "temporary_access_pass": tap}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// How many of `upns` hold a pass now (read through `$batch`, so latency is paid once a call).
async fn holders(graph: &GraphClient, upns: &[String]) -> HashSet<String> {
    let requests = upns
        .iter()
        .map(|u| {
            BatchRequest::get(format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                u.replace('#', "%23")
            ))
        })
        .collect();
    let answers = graph.batch(ApiVersion::V1, requests).await.unwrap();
    upns.iter()
        .zip(answers)
        .filter(|(_, a)| {
            a.body.as_ref().unwrap()["value"]
                .as_array()
                .is_some_and(|v| !v.is_empty())
        })
        .map(|(u, _)| u.to_ascii_lowercase())
        .collect()
}

async fn cli(graph: &GraphClient, args: &TapIssueArgs) -> (i32, Value, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(args, graph, &mut out, &mut err).await;
    let err = String::from_utf8(err).unwrap();
    let doc = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {out:?}\n{err}"));
    (code, doc, err)
}

fn args(upns: &[&str]) -> TapIssueArgs {
    TapIssueArgs {
        upns: upns.iter().map(|s| s.to_string()).collect(),
        json: true,
        ..TapIssueArgs::default()
    }
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["results"].as_array().expect("results array")
}

/// `(direct TAP POSTs, $batch calls)` in the emulator's log since `from`.
async fn traffic(emulator: &EmulatorHandle, from: usize) -> (usize, usize) {
    let log = emulator_requests(emulator).await;
    let log = &log[from..];
    let direct = log
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["in_batch"] == false
                && r["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("/temporaryAccessPassMethods")
        })
        .count();
    let batches = log
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/$batch"))
        .count();
    (direct, batches)
}

#[tokio::test]
async fn two_users_on_the_command_line_get_one_valid_pass_each_through_batch() {
    let _home = isolate_home();
    let (emulator, graph) = start(0).await;
    let users = plain_users(&graph, 2).await;
    let before = emulator_requests(&emulator).await.len();
    let (code, doc, err) = cli(&graph, &args(&[&users[0], &users[1]])).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (
            &doc["issued"],
            &doc["replaced"],
            &doc["skipped"],
            &doc["failed"]
        ),
        (&json!(2), &json!(0), &json!(0), &json!(0))
    );
    for (r, upn) in results(&doc).iter().zip(&users) {
        assert_eq!(r["upn"], upn.as_str());
        assert_eq!(r["line"], Value::Null, "command-line users have no line");
        assert_eq!(r["status"], "issued", "{r}");
        assert_eq!(r["reason"], Value::Null);
        assert!(r["start"].is_string() && r["end"].is_string(), "{r}");
        assert_eq!(r["usable_once"], false, "the policy's default");
        let tap = r["temporary_access_pass"].as_str().unwrap();
        assert!(!err.contains(tap), "a pass reached stderr");
        assert_eq!(
            verify(&emulator, upn, tap).await,
            json!({"valid": true, "reason": "EnabledByPolicy"})
        );
    }
    let (direct, batches) = traffic(&emulator, before).await;
    assert_eq!(direct, 0, "issuing went through $batch");
    assert!(batches >= 2, "reads and writes are batched: {batches}");
    // verify-tap says no to a wrong code and does not use up a one-time pass.
    assert_eq!(
        verify(&emulator, &users[0], "WRONGCODE").await["reason"],
        "WrongCode"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_csv_of_500_with_10_bad_rows_issues_every_good_row_and_names_every_bad_line() {
    let _home = isolate_home();
    let (emulator, graph) = start(520).await;
    let users = plain_users(&graph, 502).await;
    let (good, extra) = users.split_at(500);
    let mut csv = String::from("upn,lifetime_minutes,usable_once\n");
    let mut bad_lines = Vec::new();
    let bad_rows = [
        "not-a-upn,60,".to_string(),
        "bob@,60,".to_string(),
        "nobody.here@contosolab.onmicrosoft.com,,".to_string(),
        "ghost@contosolab.onmicrosoft.com,,".to_string(),
        format!("{},abc,", extra[0]),
        format!("{},1h,", extra[1]),
        format!("{},30,", extra[0].to_uppercase()),
        "outofbounds@contosolab.onmicrosoft.com,100000,".to_string(),
        format!("{},,", good[0].to_uppercase()),
        format!("{},,", good[1]),
    ];
    let mut line = 1;
    for (i, upn) in good.iter().enumerate() {
        line += 1;
        csv.push_str(&format!("{upn},,\n"));
        if i % 50 == 0 {
            line += 1;
            csv.push_str(&bad_rows[i / 50]);
            csv.push('\n');
            bad_lines.push(line);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    std::fs::write(&path, &csv).unwrap();
    let before = emulator_requests(&emulator).await.len();
    let mut a = args(&[]);
    a.csv = Some(path);
    let (code, doc, err) = cli(&graph, &a).await;
    assert_eq!(code, 1, "bad rows make the exit code 1");
    assert_eq!(doc["issued"], 500, "{err}");
    assert_eq!(doc["skipped"], 10, "{err}");
    assert_eq!(doc["failed"], 0, "{err}");
    let all = results(&doc);
    assert_eq!(all.len(), 510);
    let lines: Vec<u64> = all.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert!(
        lines.windows(2).all(|w| w[0] < w[1]),
        "results in file order"
    );
    let skipped: Vec<&Value> = all.iter().filter(|r| r["status"] == "skipped").collect();
    let skipped_lines: Vec<usize> = skipped
        .iter()
        .map(|r| r["line"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(skipped_lines, bad_lines);
    let reasons: Vec<&str> = skipped
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    let expect = [
        "field upn: 'not-a-upn' is not a user principal name: it has no '@'",
        "field upn: 'bob@' has no domain",
        "there is no such user",
        "there is no such user",
        "field lifetime_minutes: 'abc' is not a whole number",
        "field lifetime_minutes: '1h' is not a whole number",
        "field lifetime_minutes: 30 minutes is shorter than the policy's minimum of 60",
        "field lifetime_minutes: 100000 minutes is outside what Microsoft Graph accepts",
        "is already in line 2",
        "is already in line",
    ];
    for ((reason, want), line) in reasons.iter().zip(expect).zip(&bad_lines) {
        assert!(
            reason.contains(want),
            "line {line}: {reason} (wanted {want})"
        );
        if !want.starts_with("there is") {
            assert!(reason.starts_with(&format!("line {line}")), "{reason}");
        }
    }
    for r in all.iter().filter(|r| r["status"] == "issued") {
        let upn = r["upn"].as_str().unwrap();
        let tap = r["temporary_access_pass"].as_str().unwrap();
        assert_eq!(verify(&emulator, upn, tap).await["valid"], true, "{upn}");
    }
    let (direct, batches) = traffic(&emulator, before).await;
    assert_eq!(direct, 0);
    // 500 users: reads 6 a call (84), writes 20 a call (25).
    assert!((100..=140).contains(&batches), "{batches} $batch calls");
    let held = holders(&graph, extra).await;
    assert!(held.is_empty(), "bad rows got nothing: {held:?}");

    // The same users in a semicolon-separated file with --replace: each gets a new pass.
    let semi = dir.path().join("semi.csv");
    std::fs::write(
        &semi,
        format!("upn;lifetime_minutes\n{};120\n{};\n", good[0], good[1]),
    )
    .unwrap();
    let mut a = args(&[]);
    a.csv = Some(semi);
    a.replace = true;
    let (code, doc, err) = cli(&graph, &a).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["replaced"], 2);
    let first = &results(&doc)[0];
    assert_eq!(first["line"], 2);
    let tap = first["temporary_access_pass"].as_str().unwrap();
    assert_eq!(verify(&emulator, &good[0], tap).await["valid"], true);
    emulator.shutdown().await;
}

#[tokio::test]
async fn outside_the_targets_disabled_and_administrators_get_their_own_refusal() {
    let _home = isolate_home();
    let (emulator, graph) = start(0).await;
    let users = plain_users(&graph, 1).await;
    let outsider = &users[0];
    let outsider_id = graph
        .get(ApiVersion::V1, &format!("/users/{outsider}?$select=id"))
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    graph
        .patch(
            ApiVersion::V1,
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
            &json!({"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
                "excludeTargets": [{"id": outsider_id, "targetType": "user"}]}),
        )
        .await
        .unwrap();
    let admin = emulator.admin_upn.clone();
    let disabled = "patti.fernandez@contosolab.onmicrosoft.com";
    let helpdesk = "lee.gu@contosolab.onmicrosoft.com";
    let (code, doc, err) = cli(&graph, &args(&[outsider, disabled, &admin, helpdesk])).await;
    assert_eq!(code, 1, "{err}");
    let reasons: Vec<&str> = results(&doc)
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "skipped", "{r}");
            assert_eq!(r["temporary_access_pass"], Value::Null);
            r["reason"].as_str().unwrap()
        })
        .collect();
    assert!(
        reasons[0].contains("excluded from the Temporary Access Pass policy"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("the account is disabled"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("holds the privileged role Global Administrator")
            && reasons[2].contains("--allow-privileged"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("Helpdesk Administrator"), "{reasons:?}");
    let everyone: Vec<String> = [outsider.as_str(), disabled, &admin, helpdesk]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(
        holders(&graph, &everyone).await.is_empty(),
        "nothing issued"
    );

    let mut a = args(&[&admin]);
    a.allow_privileged = true;
    let (code, doc, err) = cli(&graph, &a).await;
    assert_eq!(code, 0, "{err}");
    let r = &results(&doc)[0];
    assert_eq!(r["status"], "issued");
    let tap = r["temporary_access_pass"].as_str().unwrap();
    assert_eq!(verify(&emulator, &admin, tap).await["valid"], true);

    // Held already: skipped without --replace, and the pass is kept.
    let (code, doc, _) = cli(&graph, &a).await;
    assert_eq!(code, 1);
    assert!(
        results(&doc)[0]["reason"]
            .as_str()
            .unwrap()
            .contains("already holds a reusable Temporary Access Pass")
    );
    assert_eq!(verify(&emulator, &admin, tap).await["valid"], true);
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_authentication_administrator_with_only_helpdesk_scopes_issues_single_and_bulk() {
    let _home = isolate_home();
    let (emulator, admin) = start(40).await;
    let users = plain_users(&admin, 31).await;
    let token = emulator
        .mint_token(
            "isaiah.langer@contosolab.onmicrosoft.com",
            hello_bootstrap::helpdesk::HELPDESK_SCOPES,
        )
        .expect("a seeded Authentication Administrator");
    let graph = graph_client(&emulator.graph_url, token);
    let (code, doc, err) = cli(&graph, &args(&[&users[0]])).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err.matches("may not read the Temporary Access Pass policy")
            .count(),
        1,
        "said once: {err}"
    );
    let tap = results(&doc)[0]["temporary_access_pass"].as_str().unwrap();
    assert_eq!(verify(&emulator, &users[0], tap).await["valid"], true);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.csv");
    let mut csv = String::from("upn\n");
    for u in &users[1..] {
        csv.push_str(&format!("{u}\n"));
    }
    csv.push_str(&format!("{}\n", emulator.admin_upn));
    std::fs::write(&path, csv).unwrap();
    let mut a = args(&[]);
    a.csv = Some(path);
    let (code, doc, err) = cli(&graph, &a).await;
    assert_eq!(code, 1, "the administrator is refused: {err}");
    assert_eq!(doc["issued"], 30, "{err}");
    let last = results(&doc).last().unwrap();
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .contains("Global Administrator"),
        "{last}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn under_2_percent_lost_answers_1000_users_end_with_1000_shown_passes_and_none_unseen() {
    let _home = isolate_home();
    let (emulator, graph) = start(1010).await;
    let users = plain_users(&graph, 1000).await;
    reqwest::Client::new()
        .post(format!("{}/_emulator/lost-answers", emulator.graph_url))
        .json(&json!({"path_contains": ["/temporaryAccessPassMethods", "/$batch"], "rate": 0.02, "seed": 7}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let requests: Vec<TapRequest> = users
        .iter()
        .map(|u| {
            TapRequest::new(
                Upn::parse(u).unwrap(),
                hello_bootstrap::helpdesk::Place::Command,
            )
        })
        .collect();
    let (outcomes, _) = issue_all(&graph, &requests, &IssueOptions::default(), |_, _| {}).await;
    let lost: Value = reqwest::Client::new()
        .delete(format!("{}/_emulator/lost-answers", emulator.graph_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        lost["lost"].as_u64().unwrap() >= 1,
        "some answers were lost: {lost}"
    );
    assert_eq!(outcomes.len(), 1000);
    let reconciled = outcomes.iter().filter(|o| o.reconciled).count();
    assert!(reconciled >= 1, "a lost write was reconciled");
    for o in &outcomes {
        assert_eq!(o.status, IssueStatus::Issued, "{}: {:?}", o.upn, o.reason);
        let tap = o.tap.as_ref().unwrap().expose();
        assert_eq!(
            verify(&emulator, &o.upn, tap).await["valid"],
            true,
            "{} holds the pass we showed",
            o.upn
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn broken_answer_bodies_are_reconciled_too() {
    let _home = isolate_home();
    let (emulator, graph) = start(60).await;
    let users = plain_users(&graph, 60).await;
    reqwest::Client::new()
        .post(format!("{}/_emulator/lost-answers", emulator.graph_url))
        .json(&json!({"path_contains": ["/temporaryAccessPassMethods", "/$batch"], "rate": 0.2, "seed": 3, "kind": "garbage"}))
        .send()
        .await
        .unwrap();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let (code, doc, err) = cli(&graph, &args(&refs)).await;
    assert_eq!(code, 0, "{err}");
    for r in results(&doc) {
        let upn = r["upn"].as_str().unwrap();
        let tap = r["temporary_access_pass"].as_str().unwrap();
        assert_eq!(verify(&emulator, upn, tap).await["valid"], true, "{upn}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn output_file_is_private_and_stdout_keeps_no_pass() {
    let home = isolate_home();
    let (emulator, graph) = start(0).await;
    let users = plain_users(&graph, 1).await;
    let file = home.path().join("passes.txt");
    let mut a = args(&[&users[0]]);
    a.output = Some(file.clone());
    a.once = true;
    let (code, doc, err) = cli(&graph, &a).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: the passes go to"), "{err}");
    let r = &results(&doc)[0];
    assert_eq!(r["temporary_access_pass"], Value::Null);
    assert_eq!(r["usable_once"], true);
    let text = std::fs::read_to_string(&file).unwrap();
    let tap = text.split('\t').nth(1).unwrap();
    assert_eq!(verify(&emulator, &users[0], tap).await["valid"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never written over: a second run with the same file is a usage error.
    let (code, doc, _) = cli(&graph, &a).await;
    assert_eq!(code, 2);
    assert!(doc["error"].as_str().unwrap().contains("already exists"));

    // The audit trail has the pass, never its code.
    let audit = std::fs::read_to_string(home.path().join("data/helpdesk-audit.json")).unwrap();
    assert!(!audit.contains(tap));
    let entries: Vec<Value> = serde_json::from_str(&audit).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["upn"], users[0].as_str());
    assert_eq!(entries[0]["action"], "issued");
    assert_eq!(entries[0]["actor"], emulator.admin_upn.as_str());
    assert_eq!(entries[0]["usable_once"], true);
    emulator.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_run_prints_every_pass_issued_so_far() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(EmulatorConfig {
        extra_users: 130,
        latency_ms: 150,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let graph = admin_graph(&emulator);
    enable_tap_policy(&graph).await;
    let users = plain_users(&graph, 120).await;
    let csv = home.path().join("users.csv");
    std::fs::write(&csv, format!("upn\n{}\n", users.join("\n"))).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hello-bootstrap"))
        .args(["tap", "issue", "--csv"])
        .arg(&csv)
        .args(["--concurrency", "1", "--graph-url", &emulator.graph_url])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .env(
            "HELLO_BOOTSTRAP_ACCESS_TOKEN",
            crate::common::admin_token(&emulator).expose(),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let (lines, status) = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 {
            if lines.is_empty() {
                // The first pass is out: the run is mid-way through issuing.
                std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .unwrap();
            }
            lines.push(std::mem::take(&mut line));
        }
        (lines, child.wait().unwrap())
    })
    .await
    .unwrap();
    let err = err_reader.join().unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("SIGTERM: issuing no more passes"), "{err}");
    assert!(
        !lines.is_empty() && lines.len() < users.len(),
        "stopped mid-run: {} of {}\n{err}",
        lines.len(),
        users.len()
    );
    let mut printed = HashSet::new();
    for line in &lines {
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        let (upn, tap) = (fields[0], fields[1]);
        assert_eq!(verify(&emulator, upn, tap).await["valid"], true, "{line}");
        printed.insert(upn.to_ascii_lowercase());
    }
    assert_eq!(
        holders(&graph, &users).await,
        printed,
        "every user holding a pass had it printed"
    );
    assert!(err.contains("stopped before this user's turn"), "{err}");
    // The audit trail lists exactly the passes printed.
    let audit: Vec<Value> = serde_json::from_slice(
        &std::fs::read(home.path().join("data/helpdesk-audit.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(audit.len(), printed.len());
    emulator.shutdown().await;
}
