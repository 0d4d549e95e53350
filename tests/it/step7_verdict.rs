//! Step 7's verdict means what it says, against the emulator behaving as Microsoft documents:
//! PRT single sign-on lands only in the non-interactive sign-in log (and step 7 finds it there);
//! a previous run's device, Windows Hello key and sign-in never pass a row; a Conditional Access
//! policy for admins only asks nothing of the lab user; a refused read is "could not check" and
//! the step is not applied; revert deletes this run's device, managed device and key, nothing else.

use crate::common::{admin_graph, emulator_requests, lab_upn};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::api::sign_ins::{self, SignInLog};
use hello_bootstrap::graph::api::{auth_methods, users};
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use hello_bootstrap::host::{EmulatedHost, HyperVHost};
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{
    Progress, Step, StepOptions, StepReport, StepStatus, ValidationRow, ValidationState,
};
use hello_bootstrap::steps::lab_vm::{DEFAULT_VM_NAME, OOBE_CHECKPOINT};
use hello_bootstrap::steps::{StepContext, controller};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

/// A home folder of this test's own, so the session file each journal entry saves never races
/// another test's.
pub(crate) fn private_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    home
}

struct Lab {
    _home: tempfile::TempDir,
    emu: EmulatorHandle,
    host: Arc<EmulatedHost>,
    graph: Arc<GraphClient>,
    session: Arc<Mutex<SessionFile>>,
}

fn row<'a>(report: &'a StepReport, id: &str) -> &'a ValidationRow {
    report
        .evidence
        .rows
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no row {id}: {:#?}", report.evidence.rows))
}

impl Lab {
    async fn start() -> Lab {
        Lab::start_with(EmulatorConfig::default()).await
    }

    async fn start_with(config: EmulatorConfig) -> Lab {
        let home = private_home();
        let emu = Emulator::start(config).await.unwrap();
        let graph = Arc::new(admin_graph(&emu));
        let host = Arc::new(EmulatedHost::for_tests(Some(
            Url::parse(&emu.graph_url).unwrap(),
        )));
        Lab {
            _home: home,
            emu,
            host,
            graph,
            session: Arc::new(Mutex::new(SessionFile::default())),
        }
    }

    fn ctx(&self, options: StepOptions) -> StepContext {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        std::mem::forget(rx);
        StepContext {
            graph: Some(self.graph.clone()),
            host: Some(self.host.clone()),
            session: self.session.clone(),
            kind: SessionKind::Demo,
            options: StepOptions {
                lab_user: Some(lab_upn(&self.emu)),
                ..options
            },
            cancel: CancellationToken::new(),
            progress: Some(tx),
        }
    }

    /// Steps 1 to 6 applied (with the reboot of step 3); the context step 7 gets, with the TAP.
    async fn ready_for_step_seven(&self) -> StepContext {
        let ctx = self.ctx(StepOptions::default());
        for step in [Step::MdmUserScope, Step::WhfbEnrollment] {
            let r = controller(step).apply(&ctx).await.unwrap();
            assert_eq!(r.status, StepStatus::Applied, "{step}: {}", r.detail);
        }
        let hyperv = controller(Step::HypervFeature);
        hyperv.apply(&ctx).await.unwrap();
        self.host.restart_pc().await.unwrap();
        assert_eq!(
            hyperv.apply(&ctx).await.unwrap().status,
            StepStatus::Applied
        );
        for step in [Step::LabVm, Step::TapPolicy] {
            let r = controller(step).apply(&ctx).await.unwrap();
            assert_eq!(r.status, StepStatus::Applied, "{step}: {}", r.detail);
        }
        self.new_tap().await
    }

    /// A fresh TAP from step 6 (replacing any), in a context for step 7.
    async fn new_tap(&self) -> StepContext {
        let ctx = self.ctx(StepOptions::default());
        let r = controller(Step::TapIssued).apply(&ctx).await.unwrap();
        let tap = r.secret.expect("step 6 hands over the TAP");
        self.ctx(StepOptions {
            tap: Some(tap),
            ..StepOptions::default()
        })
    }

    async fn set_tenant(&self, body: Value) {
        let status = reqwest::Client::new()
            .post(format!("{}/_emulator/tenant", self.emu.graph_url))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{status}");
    }

    async fn add_faults(&self, spec: &str) {
        let status = reqwest::Client::new()
            .post(format!("{}/_emulator/faults", self.emu.graph_url))
            .json(&json!({ "spec": spec }))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{status}");
    }

    fn tenant(&self) -> Value {
        self.emu.state().read(|t| serde_json::to_value(t).unwrap())
    }
}

/// The PRT sign-in of My Apps on the joined VM is only in the non-interactive log: the default
/// (interactive) list does not show it, and step 7 still finds it, asking for both logs.
#[tokio::test]
async fn a_prt_sign_in_only_in_the_non_interactive_log_passes_the_mfa_row() {
    let lab = Lab::start().await;
    let ctx = lab.ready_for_step_seven().await;
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    let mfa = row(&report, "graph_mfa_signin");
    assert_eq!(mfa.state, ValidationState::Passed, "{}", mfa.detail);
    let device_id = report.evidence.after.as_ref().unwrap()["device_id"]
        .as_str()
        .unwrap()
        .to_string();

    let user = users::id_of(lab.graph.as_ref(), &lab_upn(&lab.emu))
        .await
        .unwrap();
    let interactive = sign_ins::recent_by_user(&lab.graph, &user, None, 50)
        .await
        .unwrap();
    assert!(
        interactive
            .iter()
            .all(|e| e.sign_in_event_types == ["interactiveUser"]),
        "{interactive:#?}"
    );
    let claim = |e: &hello_bootstrap::graph::models::SignIn| {
        serde_json::to_value(e)
            .is_ok_and(|v| hello_bootstrap::steps::bootstrap::is_mfa_by_claim(&v, Some(&device_id)))
    };
    assert!(
        !interactive.iter().any(claim),
        "the interactive log has no PRT sign-in"
    );
    let background =
        sign_ins::recent_in_log(&lab.graph, &user, None, 50, SignInLog::NonInteractive)
            .await
            .unwrap();
    assert!(background.iter().any(claim), "{background:#?}");
    assert!(
        background
            .iter()
            .all(|e| e.sign_in_event_types == ["nonInteractiveUser"])
    );
    let asked = emulator_requests(&lab.emu).await;
    assert!(
        asked.iter().any(|r| r["path"]
            .as_str()
            .is_some_and(|p| p.contains("auditLogs/signIns"))),
        "{asked:?}"
    );
}

/// After a checkpoint restore the previous run's device, Windows Hello key and sign-ins are still
/// in the tenant; a new run that started after them does not pass on them.
#[tokio::test]
async fn a_previous_runs_sign_in_and_key_do_not_pass() {
    let lab = Lab::start().await;
    let ctx = lab.ready_for_step_seven().await;
    let first = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(first.status, StepStatus::Applied, "{}", first.detail);

    // Back to OOBE without the revert's clean-up: the cloud keeps the old objects, and the new
    // session knows nothing of them (a new session file after a checkpoint restore).
    lab.host
        .restore_checkpoint(DEFAULT_VM_NAME, OOBE_CHECKPOINT)
        .await
        .unwrap();
    // A restored checkpoint comes back saved, as Hyper-V brings it; the VM runs again at OOBE.
    lab.host.start_vm(DEFAULT_VM_NAME).await.unwrap();
    *lab.session.lock().await = SessionFile::default();
    let keys = auth_methods::list_whfb(lab.graph.as_ref(), &lab_upn(&lab.emu))
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "the old key is still there");
    // That run was an hour ago.
    lab.emu.state().write(|t| {
        let hour = chrono::Duration::hours(1);
        for d in &mut t.devices {
            d.registered -= hour;
        }
        for m in &mut t.managed_devices {
            m.enrolled -= hour;
        }
        for u in &mut t.users {
            for k in &mut u.whfb_methods {
                k.created -= hour;
            }
        }
        for e in &mut t.sign_ins {
            let at = chrono::DateTime::parse_from_rfc3339(e["createdDateTime"].as_str().unwrap())
                .unwrap()
                - hour;
            e["createdDateTime"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
    });

    // The new run starts (a guided apply: no TAP typed, nobody signs in yet).
    let guided = controller(Step::Bootstrap)
        .apply(&lab.ctx(StepOptions::default()))
        .await
        .unwrap();
    assert_ne!(guided.status, StepStatus::Applied, "{}", guided.detail);
    let report = controller(Step::Bootstrap)
        .check(&lab.ctx(StepOptions::default()))
        .await
        .unwrap();
    assert_ne!(report.status, StepStatus::Applied, "{}", report.detail);
    for id in ["graph_device", "graph_managed_device", "graph_whfb"] {
        let r = row(&report, id);
        assert_ne!(r.state, ValidationState::Passed, "{id}: {}", r.detail);
    }
    if let Some(mfa) = report
        .evidence
        .rows
        .iter()
        .find(|r| r.id == "graph_mfa_signin")
    {
        assert_ne!(mfa.state, ValidationState::Passed, "{}", mfa.detail);
    }
    assert!(report.evidence.after.as_ref().unwrap()["whfb_method_id"].is_null());
}

/// "Require MFA for admins": the lab user is not an admin, so step 7 expects no MFA claim, says
/// so, and passes on the rest; a policy for all users that excludes the lab user's group is the
/// same.
#[tokio::test]
async fn a_conditional_access_policy_for_admins_only_asks_nothing_of_the_lab_user() {
    let lab = Lab::start().await;
    let global_admin = "62e90394-69f5-4237-9190-012177145e10";
    let admins_only = json!({
        "id": "5b8f1d2a-0c3e-4f6a-9b7d-1e2f3a4b5c6d",
        "displayName": "Require MFA for administrators",
        "state": "enabled",
        "conditions": {
            "users": { "includeUsers": [], "excludeUsers": [], "includeGroups": [], "excludeGroups": [],
                       "includeRoles": [global_admin], "excludeRoles": [] },
            "applications": { "includeApplications": ["All"], "excludeApplications": [] },
            "clientAppTypes": ["all"]
        },
        "grantControls": { "operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": [] }
    });
    let report_only = json!({
        "id": "6c9f2e3b-1d4f-4a7b-8c8e-2f3a4b5c6d7e",
        "displayName": "MFA for everyone (report-only)",
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "users": { "includeUsers": ["All"] },
            "applications": { "includeApplications": ["All"] },
            "clientAppTypes": ["all"]
        },
        "grantControls": { "operator": "OR", "builtInControls": ["mfa"] }
    });
    lab.set_tenant(json!({ "conditional_access_policies": [admins_only, report_only] }))
        .await;
    let ctx = lab.ready_for_step_seven().await;
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    assert!(
        report
            .evidence
            .rows
            .iter()
            .all(|r| r.id != "graph_mfa_signin"),
        "{:#?}",
        report.evidence.rows
    );
    assert_eq!(
        report.evidence.after.as_ref().unwrap()["conditional_access_requires_mfa"],
        json!(false)
    );
    assert!(
        report
            .detail
            .contains("No enforced Conditional Access policy requires MFA"),
        "{}",
        report.detail
    );
    // The emulator agrees: the lab user's PRT sign-ins needed a single factor.
    let tenant = lab.tenant();
    let entries = tenant["sign_ins"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["signInEventTypes"] == json!(["nonInteractiveUser"])
                && e["authenticationRequirement"] == "singleFactorAuthentication")
    );
}

/// An "all users" MFA policy that excludes a group the lab user is in does not apply to them;
/// a group-targeted one that includes them does, and the MFA row is required again.
#[tokio::test]
async fn group_exclusions_and_inclusions_decide_whether_mfa_is_expected() {
    let lab = Lab::start().await;
    let user = users::id_of(lab.graph.as_ref(), &lab_upn(&lab.emu))
        .await
        .unwrap();
    let group = lab
        .graph
        .post(
            ApiVersion::V1,
            "/groups",
            &json!({"displayName": "Lab users", "mailEnabled": false, "mailNickname": "labusers", "securityEnabled": true}),
        )
        .await
        .unwrap();
    let group_id = group["id"].as_str().unwrap().to_string();
    lab.graph
        .post(
            ApiVersion::V1,
            &format!("/groups/{group_id}/members/$ref"),
            &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", user.as_str())}),
        )
        .await
        .unwrap();
    let policy = |users: Value| {
        json!({
            "id": "7d0a3f4c-2e5a-4b8c-9d9f-3a4b5c6d7e8f",
            "displayName": "MFA policy",
            "state": "enabled",
            "conditions": { "users": users, "applications": { "includeApplications": ["All"] }, "clientAppTypes": ["all"] },
            "grantControls": { "operator": "OR", "builtInControls": [],
                               "authenticationStrength": { "id": "00000000-0000-0000-0000-000000000002", "displayName": "Multifactor authentication" } }
        })
    };
    lab.set_tenant(json!({ "conditional_access_policies": [
        policy(json!({"includeUsers": ["All"], "excludeGroups": [group_id]}))
    ]}))
    .await;
    let ctx = lab.ready_for_step_seven().await;
    let report = controller(Step::Bootstrap).check(&ctx).await.unwrap();
    assert_eq!(
        report.evidence.after.as_ref().unwrap()["conditional_access_requires_mfa"],
        json!(false),
        "{}",
        report.detail
    );

    lab.set_tenant(json!({ "conditional_access_policies": [
        policy(json!({"includeGroups": [group_id]}))
    ]}))
    .await;
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(
        report.evidence.after.as_ref().unwrap()["conditional_access_requires_mfa"],
        json!(true)
    );
    let mfa = row(&report, "graph_mfa_signin");
    assert_eq!(mfa.state, ValidationState::Passed, "{}", mfa.detail);
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
}

/// Graph refuses the Conditional Access read: the row says it could not check and what it needs,
/// and the step ends "needs action", never "applied".
#[tokio::test]
async fn a_refused_conditional_access_read_is_could_not_check_and_not_applied() {
    let lab = Lab::start().await;
    let ctx = lab.ready_for_step_seven().await;
    lab.add_faults("403@/v1.0/identity/conditionalAccess:method=GET")
        .await;
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::NeedsAction, "{}", report.detail);
    let mfa = row(&report, "graph_mfa_signin");
    assert_eq!(mfa.state, ValidationState::CouldNotCheck);
    assert!(
        mfa.detail
            .starts_with("Could not check: needs Security Reader"),
        "{}",
        mfa.detail
    );
    assert!(
        report.detail.contains("Could not check"),
        "{}",
        report.detail
    );
    for id in ["graph_device", "graph_managed_device", "graph_whfb"] {
        assert_eq!(row(&report, id).state, ValidationState::Passed, "{id}");
    }
}

/// Signed in as a Reports Reader: the sign-in log is readable but Conditional Access, the
/// managed device and the Windows Hello keys are not; each of those rows names what it needs.
#[tokio::test]
async fn a_reports_reader_sees_could_not_check_rows_naming_the_roles() {
    let lab = Lab::start().await;
    let ctx = lab.ready_for_step_seven().await;
    let applied = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(applied.status, StepStatus::Applied, "{}", applied.detail);
    let scopes = [
        "UserAuthenticationMethod.Read.All",
        "Device.Read.All",
        "DeviceManagementManagedDevices.Read.All",
        "AuditLog.Read.All",
        "Directory.Read.All",
        "Policy.Read.All",
        "User.Read",
    ];
    let token = lab
        .emu
        .mint_token("lynne.robbins@contosolab.onmicrosoft.com", &scopes)
        .expect("the seeded Reports Reader");
    let mut reader_ctx = lab.ctx(StepOptions::default());
    reader_ctx.graph = Some(Arc::new(crate::common::graph_client(
        &lab.emu.graph_url,
        token,
    )));
    let report = controller(Step::Bootstrap)
        .check(&reader_ctx)
        .await
        .unwrap();
    assert_eq!(report.status, StepStatus::NeedsAction, "{}", report.detail);
    let needs = |id: &str, role: &str| {
        let r = row(&report, id);
        assert_eq!(
            r.state,
            ValidationState::CouldNotCheck,
            "{id}: {}",
            r.detail
        );
        assert!(r.detail.contains(role), "{id}: {}", r.detail);
    };
    needs("graph_mfa_signin", "Security Reader");
    needs("graph_managed_device", "Intune Administrator");
    needs("graph_whfb", "Global Reader");
    assert_eq!(row(&report, "graph_device").state, ValidationState::Passed);
}

/// Revert deletes exactly this run's device, managed device and Windows Hello key (journaled
/// when first seen), and leaves another device of the tenant alone.
#[tokio::test]
async fn revert_deletes_this_runs_device_managed_device_and_key_only() {
    let lab = Lab::start().await;
    let ctx = lab.ready_for_step_seven().await;
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    let after = report.evidence.after.clone().unwrap();
    let key = after["whfb_method_id"].as_str().unwrap().to_string();
    {
        let session = lab.session.lock().await;
        let keys: Vec<&str> = session
            .journal
            .for_step(Step::Bootstrap)
            .map(|e| e.key.as_str())
            .collect();
        assert!(keys.contains(&format!("whfb:{key}").as_str()), "{keys:?}");
    }
    // Someone else's device, joined before: not ours to delete.
    lab.emu.state().write(|t| {
        let mut other = t.devices[0].clone();
        other.id = "11111111-2222-3333-4444-555555555555".into();
        other.device_id = "66666666-7777-8888-9999-000000000000".into();
        other.display_name = "FRONT-DESK".into();
        t.devices.push(other);
    });
    let reverted = controller(Step::Bootstrap).revert(&ctx).await.unwrap();
    assert!(
        reverted.detail.contains("Windows Hello"),
        "{}",
        reverted.detail
    );
    let tenant = lab.tenant();
    let devices = tenant["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{devices:#?}");
    assert_eq!(devices[0]["display_name"], "FRONT-DESK");
    assert!(tenant["managed_devices"].as_array().unwrap().is_empty());
    let keys = auth_methods::list_whfb(lab.graph.as_ref(), &lab_upn(&lab.emu))
        .await
        .unwrap();
    assert!(keys.is_empty(), "{keys:?}");
    assert!(
        lab.session
            .lock()
            .await
            .journal
            .for_step(Step::Bootstrap)
            .next()
            .is_none()
    );
}

/// With propagation delays the new device, key and sign-in show only after a while; validation
/// waits for them (it polls) and then passes.
#[tokio::test]
async fn validation_waits_out_propagation_delays() {
    let config = EmulatorConfig {
        propagation: hello_bootstrap::emulator::Propagation {
            device: std::time::Duration::from_secs(2),
            managed_device: std::time::Duration::from_secs(3),
            whfb: std::time::Duration::from_secs(2),
            sign_in: std::time::Duration::from_secs(3),
            tap: std::time::Duration::ZERO,
        },
        ..EmulatorConfig::default()
    };
    let home = private_home();
    let emu = Emulator::start(config).await.unwrap();
    let lab = Lab {
        _home: home,
        graph: Arc::new(admin_graph(&emu)),
        host: Arc::new(EmulatedHost::for_tests(Some(
            Url::parse(&emu.graph_url).unwrap(),
        ))),
        emu,
        session: Arc::new(Mutex::new(SessionFile::default())),
    };
    let ctx = lab.ready_for_step_seven().await;
    let started = std::time::Instant::now();
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A TAP typed at OOBE before Entra has replicated it is refused as not active yet; step 7
/// says so, waits, signs in again and ends applied (the pass works once its delay is over).
#[tokio::test]
async fn the_sign_in_waits_out_a_pass_that_is_not_active_yet() {
    let config = EmulatorConfig {
        propagation: hello_bootstrap::emulator::Propagation {
            tap: std::time::Duration::from_secs(3),
            ..Default::default()
        },
        ..EmulatorConfig::default()
    };
    let home = private_home();
    let emu = Emulator::start(config).await.unwrap();
    let lab = Lab {
        _home: home,
        graph: Arc::new(admin_graph(&emu)),
        host: Arc::new(EmulatedHost::for_tests(Some(
            Url::parse(&emu.graph_url).unwrap(),
        ))),
        emu,
        session: Arc::new(Mutex::new(SessionFile::default())),
    };
    let mut ctx = lab.ready_for_step_seven().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    ctx.progress = Some(tx);
    let report = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    let mut messages = Vec::new();
    while let Ok(p) = rx.try_recv() {
        messages.push(p.message);
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains("isn't active at the sign-in service yet")
                && m.contains("attempt 2")),
        "{messages:#?}"
    );
}

/// One validation pass reads Graph in two dependent levels: everything that needs no other
/// answer at once (the memberships by UPN, not after the user's id), then each key's linked
/// device and both sign-in logs together. At 250 ms a Graph call the pass must beat three plain
/// dependent GETs on the same emulator, which a pass chaining three or more levels cannot
/// (a level costs at least the latency), whatever the machine's speed.
#[tokio::test]
async fn a_validation_pass_reads_graph_in_two_dependent_levels() {
    let lab = Lab::start_with(EmulatorConfig {
        latency_ms: 250,
        ..EmulatorConfig::default()
    })
    .await;
    let ctx = lab.ready_for_step_seven().await;
    let applied = controller(Step::Bootstrap).apply(&ctx).await.unwrap();
    assert_eq!(applied.status, StepStatus::Applied, "{}", applied.detail);
    let upn = lab_upn(&lab.emu);
    let user = users::id_of(lab.graph.as_ref(), &upn).await.unwrap();

    let before = emulator_requests(&lab.emu).await.len();
    let started = std::time::Instant::now();
    let checked = controller(Step::Bootstrap).check(&ctx).await.unwrap();
    let pass = started.elapsed();
    assert_eq!(checked.status, StepStatus::Applied, "{}", checked.detail);
    let asked: Vec<String> = emulator_requests(&lab.emu)
        .await
        .into_iter()
        .skip(before)
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect();
    let memberships: Vec<&String> = asked
        .iter()
        .filter(|p| p.ends_with("/transitiveMemberOf"))
        .collect();
    assert_eq!(memberships.len(), 1, "{asked:#?}");
    assert!(
        !memberships[0].contains(user.as_str()),
        "the memberships are read by UPN, not after the user's id: {}",
        memberships[0]
    );
    assert_eq!(
        asked
            .iter()
            .filter(|p| p.contains("auditLogs/signIns"))
            .count(),
        2,
        "both sign-in logs: {asked:#?}"
    );

    let started = std::time::Instant::now();
    for _ in 0..3 {
        users::get(lab.graph.as_ref(), &upn).await.unwrap();
    }
    let three = started.elapsed();
    assert!(
        pass < three,
        "a validation pass took {pass:?}, three dependent GETs {three:?}: the pass chains more than two levels of reads"
    );
}
