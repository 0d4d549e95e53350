//! The foundation's acceptance, as a user runs it: a standalone emulator, then `check`, `run`,
//! `revert` and a second `run` through the real binary, confirmed by plain GETs on the emulator.

use crate::common::files_under;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

/// A standalone emulator process, killed on drop.
struct Emulator {
    child: Child,
    ready: Value,
}

impl Emulator {
    fn start() -> Emulator {
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
        Emulator { child, ready }
    }

    fn field(&self, name: &str) -> String {
        self.ready[name]
            .as_str()
            .unwrap_or_else(|| panic!("ready line lacks {name}"))
            .to_string()
    }

    /// Runs the CLI against this emulator with a fresh home.
    fn cli(&self, home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(BIN)
            .args(args)
            .args([
                "--graph-url",
                &self.field("graph_url"),
                "--login-url",
                &self.field("login_url"),
            ])
            .env("HELLO_BOOTSTRAP_HOME", home)
            .env("HELLO_BOOTSTRAP_ACCESS_TOKEN", self.field("access_token"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None)
    }

    /// One request to the emulator as its admin; `path` is sent exactly as written.
    fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.field("graph_url").trim_end_matches('/'), path);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut request = reqwest::Client::new()
                .request(method, &url)
                .bearer_auth(self.field("access_token"));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            response.json::<Value>().await.unwrap_or(Value::Null)
        })
    }

    /// The Graph requests the emulator answered, with their raw (still encoded) paths.
    fn graph_requests(&self) -> Vec<Value> {
        self.get("/_emulator/requests")["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/v1.0/") || p.starts_with("/beta/"))
            })
            .cloned()
            .collect()
    }

    fn enable_tap_policy(&self) {
        self.send(
            reqwest::Method::PATCH,
            TAP_POLICY,
            Some(serde_json::json!({
                "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
                "state": "enabled",
            })),
        );
        assert_eq!(self.get(TAP_POLICY)["state"], "enabled");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn statuses(doc: &Value) -> Vec<(u64, String)> {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_u64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status_of(doc: &Value, step: u64) -> String {
    statuses(doc)
        .into_iter()
        .find(|(n, _)| *n == step)
        .map(|(_, s)| s)
        .unwrap()
}

const MDM: &str =
    "/beta/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000";
const TAP_POLICY: &str = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

fn whfb_state(emu: &Emulator) -> String {
    let list = emu.get("/v1.0/deviceManagement/deviceEnrollmentConfigurations");
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["id"]
                .as_str()
                .unwrap()
                .ends_with("_DefaultWindowsHelloForBusiness")
        })
        .map(|c| c["state"].as_str().unwrap().to_string())
        .unwrap()
}

fn lab_user_taps(emu: &Emulator, upn: &str) -> usize {
    let list = emu.get(&format!(
        "/v1.0/users/{upn}/authentication/temporaryAccessPassMethods"
    ));
    list["value"].as_array().unwrap().len()
}

#[test]
fn check_run_revert_and_rerun_against_the_standalone_emulator() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let user = emu.ready["lab_user_upn"]
        .as_str()
        .unwrap_or("lab.user@contosolab.onmicrosoft.com")
        .to_string();

    let (code, out, err) = emu.cli(home.path(), &["check", "--json", "--user", &user]);
    assert_eq!(code, 0, "check failed: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<_> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "mdm_user_scope",
            "whfb_enrollment",
            "hyperv_feature",
            "lab_vm",
            "tap_policy",
            "tap_issued",
            "bootstrap"
        ]
    );
    for step in [1, 2, 5, 6] {
        assert_eq!(
            status_of(&doc, step),
            "not_applied",
            "step {step} before run"
        );
    }

    let (code, out, err) = emu.cli(
        home.path(),
        &["run", "--json", "--steps", "1,2,5,6", "--user", &user],
    );
    assert_eq!(code, 0, "run failed: {err}\n{out}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    for step in [1, 2, 5, 6] {
        assert_eq!(status_of(&doc, step), "applied", "step {step} after run");
    }
    let tap = doc["steps"][3]["temporary_access_pass"]
        .as_str()
        .expect("run prints the TAP once");
    assert!(tap.len() >= 8);
    assert!(!err.contains(tap), "the TAP must not reach stderr");
    for file in files_under(home.path()) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(!text.contains(tap), "TAP leaked into {}", file.display());
    }

    assert_eq!(emu.get(MDM)["appliesTo"], "all");
    assert_eq!(whfb_state(&emu), "enabled");
    let tap_policy = emu.get(TAP_POLICY);
    assert_eq!(tap_policy["state"], "enabled");
    assert!(
        tap_policy["includeTargets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "all_users")
    );
    assert_eq!(lab_user_taps(&emu, &user), 1);

    let (code, _, err) = emu.cli(home.path(), &["run", "--steps", "1,2,5,6", "--user", &user]);
    assert_eq!(code, 0, "second run failed: {err}");
    assert!(
        err.contains("Nothing changed"),
        "second run should say nothing changed: {err}"
    );
    assert_eq!(
        lab_user_taps(&emu, &user),
        1,
        "a second run must not issue another TAP"
    );

    let (code, _, err) = emu.cli(home.path(), &["revert"]);
    assert_eq!(code, 0, "revert failed: {err}");
    assert_eq!(emu.get(MDM)["appliesTo"], "none");
    assert_eq!(whfb_state(&emu), "notConfigured");
    assert_eq!(emu.get(TAP_POLICY)["state"], "disabled");
    assert_eq!(lab_user_taps(&emu, &user), 0);

    let (code, _, err) = emu.cli(home.path(), &["revert"]);
    assert_eq!(code, 0);
    assert!(err.contains("Nothing to revert"), "{err}");
}

#[test]
fn bad_input_gets_a_specific_message_and_leaves_the_journal_alone() {
    let emu = Emulator::start();
    let home = tempfile::tempdir().unwrap();
    let session = home.path().join("config/session.json");

    let (code, _, err) = emu.cli(
        home.path(),
        &[
            "run",
            "--steps",
            "6",
            "--user",
            "nobody@contosolab.onmicrosoft.com",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nobody@contosolab.onmicrosoft.com: there is no such user in this tenant"),
        "{err}"
    );

    let (code, _, err) = emu.cli(home.path(), &["run", "--steps", "1", "--user", "not-a-upn"]);
    assert_eq!(code, 2);
    assert!(err.contains("no '@'"), "{err}");

    let (code, _, err) = emu.cli(home.path(), &["run", "--steps", "9"]);
    assert_eq!(code, 2);
    assert!(err.contains("'9' is not a step"), "{err}");
    let journal = || -> Value {
        std::fs::read_to_string(&session)
            .map(|t| serde_json::from_str::<Value>(&t).unwrap()["journal"].clone())
            .unwrap_or(Value::Null)
    };
    let journal_before = journal();

    let out = Command::new(BIN)
        .args(["check", "--graph-url", "definitely not a url"])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .env("HELLO_BOOTSTRAP_ACCESS_TOKEN", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid URL"));

    // Nothing listens on port 9 of loopback in the test environment.
    let out = Command::new(BIN)
        .args(["run", "--steps", "1", "--graph-url", "http://127.0.0.1:9"])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .env("HELLO_BOOTSTRAP_ACCESS_TOKEN", "x")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach Microsoft Graph"), "{err}");
    assert!(!err.contains("panicked"));
    assert_eq!(journal(), journal_before, "journal touched");
    assert!(
        journal_before["entries"]
            .as_array()
            .is_none_or(|e| e.is_empty())
    );
}

#[test]
fn the_demo_tenant_survives_a_restart_and_demo_reset_starts_fresh() {
    let home = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env("HELLO_BOOTSTRAP_HOME", home.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, _) = cli(&["run", "--demo", "--steps", "1,5"]);
    assert_eq!(code, 0);
    let (code, out) = cli(&["check", "--demo", "--json"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["mode"], "demo");
    assert_eq!(
        status_of(&doc, 1),
        "applied",
        "a restarted demo finds the tenant as it left it"
    );
    assert_eq!(status_of(&doc, 5), "applied");
    assert_eq!(status_of(&doc, 2), "not_applied");
    let (_, out) = cli(&["check", "--demo-reset", "--json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        status_of(&doc, 1),
        "not_applied",
        "--demo-reset starts afresh"
    );
}

#[test]
fn demo_run_writes_a_report_without_the_tap_and_the_help_desk_issues_passes() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("lab report.html");
    let out = Command::new(BIN)
        .args(["run", "--demo", "--steps", "5,6", "--report"])
        .arg(&report)
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tap = stdout.trim().rsplit(' ').next().unwrap().to_string();
    assert!(
        stdout.starts_with("Temporary Access Pass: ") && tap.len() >= 8,
        "{stdout}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    let json = std::fs::read_to_string(report.with_extension("json")).unwrap();
    assert!(html.contains("Temporary Access Pass policy") && json.contains("tap_issued"));
    assert!(
        !html.contains(&tap) && !json.contains(&tap),
        "the TAP leaked into the report"
    );

    let out = Command::new(BIN)
        .args([
            "tap",
            "issue",
            "--demo",
            "--json",
            "lynne.robbins@contosolab.onmicrosoft.com",
            "--lifetime",
            "60",
        ])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let doc = &doc["results"];
    assert_eq!(doc[0]["status"], "issued", "{doc}");
    assert!(
        doc[0]["temporary_access_pass"]
            .as_str()
            .is_some_and(|t| t.len() >= 8)
    );
}

#[test]
fn a_helpdesk_administrator_is_stopped_before_step_five_changes_anything() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt
        .block_on(hello_bootstrap::emulator::Emulator::start(
            Default::default(),
        ))
        .unwrap();
    let upn = format!(
        "lee.gu@{}",
        handle.admin_upn.as_str().split('@').nth(1).unwrap()
    );
    let token = handle
        .mint_token(
            &upn,
            &[
                "Policy.Read.All",
                "Policy.ReadWrite.AuthenticationMethod",
                "User.Read",
                // Asked at every sign-in: without it Graph hides the roles' names and ids.
                "RoleManagement.Read.Directory",
            ],
        )
        .expect("the seeded Helpdesk Administrator");
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["run", "--steps", "5", "--graph-url", &handle.graph_url])
        .env("HELLO_BOOTSTRAP_HOME", home.path())
        .env("HELLO_BOOTSTRAP_ACCESS_TOKEN", token.expose())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("step 5 needs")
            && err.contains("Authentication Policy Administrator")
            && err.contains("Helpdesk Administrator"),
        "{err}"
    );
    let policy = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{}{TAP_POLICY}", handle.graph_url))
            .bearer_auth(handle.access_token().expose())
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    assert_eq!(policy["state"], "disabled", "nothing may change");
}

/// The demo tenant's guests (B2B users, `#EXT#` in their UPNs): Jane signs in with this tenant's
/// credentials, Sam at his own organization.
const JANE: &str = "jane_fabrikam.com#EXT#@contosolab.onmicrosoft.com";
const JANE_ON_THE_WIRE: &str = "jane_fabrikam.com%23EXT%23@contosolab.onmicrosoft.com";
const SAM: &str = "sam_northwind.com#EXT#@contosolab.onmicrosoft.com";

#[test]
fn tap_issue_gives_a_guest_with_ext_in_the_upn_a_pass_and_tells_an_external_one_why_not() {
    let emu = Emulator::start();
    emu.enable_tap_policy();
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = emu.cli(home.path(), &["tap", "issue", JANE, SAM, "--json"]);
    assert_eq!(code, 1, "one of two got no pass: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results[0]["upn"], JANE);
    assert_eq!(results[0]["status"], "issued", "{}", results[0]);
    let tap = results[0]["temporary_access_pass"].as_str().unwrap();
    assert!(tap.len() >= 8);
    assert!(!err.contains(tap), "the pass reached stderr");
    assert_eq!(results[1]["status"], "skipped");
    assert!(
        results[1]["reason"]
            .as_str()
            .unwrap()
            .contains("external user, who signs in at their home organization"),
        "{}",
        results[1]
    );

    // The # crossed as %23 (a raw # would have cut the path at a fragment), and Graph has the pass.
    let listed = emu.get(&format!(
        "/v1.0/users/{JANE_ON_THE_WIRE}/authentication/temporaryAccessPassMethods"
    ));
    assert_eq!(listed["value"].as_array().unwrap().len(), 1, "{listed}");
    let requests = emu.graph_requests();
    assert!(
        requests
            .iter()
            .any(|r| r["path"] == format!("/v1.0/users/{JANE_ON_THE_WIRE}") && r["status"] == 200),
        "{requests:?}"
    );
    let posts: Vec<&Value> = requests
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/temporaryAccessPassMethods"))
        })
        .collect();
    assert_eq!(posts.len(), 1, "only Jane's pass was asked for: {posts:?}");
    assert_eq!(posts[0]["status"], 201);
}

#[test]
fn a_upn_with_a_slash_is_refused_with_a_clear_message_and_nothing_is_sent() {
    let emu = Emulator::start();
    emu.enable_tap_policy();
    let home = tempfile::tempdir().unwrap();
    let before = emu.graph_requests().len();
    let evil = "x/../../users/admin@contosolab.onmicrosoft.com";

    let (code, out, err) = emu.cli(home.path(), &["tap", "issue", evil, "--json"]);
    assert_eq!(code, 1, "the one user was skipped: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["skipped"], 1, "{doc}");
    assert_eq!(doc["results"][0]["temporary_access_pass"], Value::Null);
    assert!(
        err.contains(&format!("UPN argument 1: '{evil}' contains '/'")),
        "{err}"
    );
    assert!(
        err.contains("' . - _ ! # ^ ~"),
        "says what is allowed: {err}"
    );

    let (code, out, err) = emu.cli(
        home.path(),
        &["run", "--json", "--steps", "6", "--user", evil],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--user"), "{err}");
    assert!(err.contains("contains '/'"), "{err}");

    assert_eq!(
        emu.graph_requests().len(),
        before,
        "nothing reached Graph: {:?}",
        &emu.graph_requests()[before..]
    );
    let admin = emu.field("admin_upn");
    assert_eq!(
        lab_user_taps(&emu, &admin),
        0,
        "the administrator got no pass"
    );
    assert!(
        !home.path().join("config/session.json").exists(),
        "nothing was remembered"
    );
}
