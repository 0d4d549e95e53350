//! The lead's cloud step controllers (1, 2, 5, 6) against the emulator over loopback: check says
//! not applied on the seed, apply makes Graph read as the lab needs, a second apply changes
//! nothing, revert restores the seed values exactly.

use crate::common::admin_graph;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::models::MDM_POLICY_ID;
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use hello_bootstrap::lab::StepOptions;
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Step, StepStatus};
use hello_bootstrap::steps::StepContext;
use serde_json::Value;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const CLOUD_STEPS: [Step; 4] = [
    Step::MdmUserScope,
    Step::WhfbEnrollment,
    Step::TapPolicy,
    Step::TapIssued,
];

fn context(emu: &EmulatorHandle) -> StepContext {
    let graph = admin_graph(emu);
    StepContext {
        graph: Some(Arc::new(graph)),
        host: None,
        session: Arc::new(tokio::sync::Mutex::new(SessionFile::default())),
        kind: SessionKind::Demo,
        options: StepOptions {
            lab_user: Some(crate::common::lab_upn(emu)),
            ..StepOptions::default()
        },
        cancel: CancellationToken::new(),
        progress: None,
    }
}

async fn graph_state(emu: &EmulatorHandle, graph: &GraphClient) -> (String, String, String, usize) {
    let mdm = graph
        .get(
            ApiVersion::Beta,
            &format!("/policies/mobileDeviceManagementPolicies/{MDM_POLICY_ID}"),
        )
        .await
        .unwrap();
    let whfb = graph
        .get(
            ApiVersion::V1,
            &format!("/deviceManagement/deviceEnrollmentConfigurations/{}_DefaultWindowsHelloForBusiness", emu.tenant_id),
        )
        .await
        .unwrap();
    let tap = graph
        .get(ApiVersion::V1, "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass")
        .await
        .unwrap();
    let taps = graph
        .get_all(
            ApiVersion::V1,
            &format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                emu.lab_user_upn
            ),
        )
        .await
        .unwrap();
    (
        mdm["appliesTo"].as_str().unwrap().to_string(),
        whfb["state"].as_str().unwrap().to_string(),
        tap["state"].as_str().unwrap().to_string(),
        taps.len(),
    )
}

#[tokio::test]
async fn cloud_steps_check_apply_and_revert_against_the_emulator() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let ctx = context(&emu);
    let graph = ctx.graph.clone().unwrap();
    let seed = graph_state(&emu, &graph).await;
    assert_eq!(
        seed,
        ("none".into(), "notConfigured".into(), "disabled".into(), 0)
    );

    for step in CLOUD_STEPS {
        let report = hello_bootstrap::steps::controller(step)
            .check(&ctx)
            .await
            .unwrap();
        assert_ne!(
            report.status,
            StepStatus::Applied,
            "{step:?}: {}",
            report.detail
        );
    }
    for step in CLOUD_STEPS {
        let report = hello_bootstrap::steps::controller(step)
            .apply(&ctx)
            .await
            .unwrap_or_else(|e| panic!("{step:?} apply failed: {e}"));
        assert_eq!(
            report.status,
            StepStatus::Applied,
            "{step:?}: {}",
            report.detail
        );
        assert!(report.changed, "{step:?} changed something");
        if step == Step::TapIssued {
            assert!(report.secret.is_some(), "step 6 hands the TAP over once");
        }
    }
    assert_eq!(
        graph_state(&emu, &graph).await,
        ("all".into(), "enabled".into(), "enabled".into(), 1)
    );
    for step in CLOUD_STEPS {
        let report = hello_bootstrap::steps::controller(step)
            .apply(&ctx)
            .await
            .unwrap();
        assert!(
            !report.changed,
            "{step:?} second apply changes nothing: {}",
            report.detail
        );
    }
    for step in CLOUD_STEPS.iter().rev() {
        hello_bootstrap::steps::controller(*step)
            .revert(&ctx)
            .await
            .unwrap_or_else(|e| panic!("{step:?} revert failed: {e}"));
    }
    assert_eq!(graph_state(&emu, &graph).await, seed);
    emu.shutdown().await;
}

/// Step 6 for a B2B guest: the `#EXT#` UPN crosses the wire as `%23EXT%23`, the emulator decodes
/// it as Graph does, and the guest gets a pass (an internal guest, who signs in with this
/// tenant's credentials) or a specific refusal before any write (an external guest).
#[tokio::test]
async fn step_6_issues_a_pass_to_a_guest_with_ext_in_the_upn() {
    use hello_bootstrap::emulator::seed::{DEMO_EXTERNAL_GUEST, DEMO_INTERNAL_GUEST};
    use hello_bootstrap::lab::{StepError, Upn};
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut ctx = context(&emu);
    crate::common::enable_tap_policy(ctx.graph.as_deref().unwrap()).await;
    ctx.options.lab_user = Some(Upn::parse(DEMO_INTERNAL_GUEST).unwrap());
    let step6 = hello_bootstrap::steps::controller(Step::TapIssued);

    let report = step6.apply(&ctx).await.expect("the guest gets a pass");
    assert_eq!(report.status, StepStatus::Applied, "{}", report.detail);
    assert!(report.changed);
    let tap = report.secret.as_ref().expect("handed over once");
    assert!(!report.detail.contains(tap.expose()));
    let held = emu.state().read(|t| {
        t.user(DEMO_INTERNAL_GUEST)
            .and_then(|u| u.tap.as_ref().map(|p| p.id.clone()))
    });
    assert!(held.is_some(), "the emulator holds the guest's pass");
    let lookups: Vec<Value> = crate::common::emulator_requests(&emu)
        .await
        .into_iter()
        .filter(|r| {
            r["path"] == "/v1.0/users/jane_fabrikam.com%23EXT%23@contosolab.onmicrosoft.com"
        })
        .collect();
    assert!(
        !lookups.is_empty() && lookups.iter().all(|r| r["status"] == 200),
        "{lookups:?}"
    );
    let check = step6.check(&ctx).await.unwrap();
    assert_eq!(check.status, StepStatus::Applied, "{}", check.detail);
    let again = step6.apply(&ctx).await.unwrap();
    assert!(!again.changed && again.secret.is_none(), "{}", again.detail);
    step6.revert(&ctx).await.unwrap();
    assert!(
        emu.state()
            .read(|t| t.user(DEMO_INTERNAL_GUEST).unwrap().tap.is_none()),
        "revert deleted the guest's pass"
    );

    ctx.options.lab_user = Some(Upn::parse(DEMO_EXTERNAL_GUEST).unwrap());
    let before = crate::common::emulator_requests(&emu).await.len();
    let err = step6.apply(&ctx).await.unwrap_err();
    assert!(matches!(err, StepError::BadInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("{DEMO_EXTERNAL_GUEST}: this is an external user")),
        "{err}"
    );
    let writes: Vec<Value> = crate::common::emulator_requests(&emu).await[before..]
        .iter()
        .filter(|r| r["method"] != "GET")
        .cloned()
        .collect();
    assert!(writes.is_empty(), "refused before any write: {writes:?}");
    emu.shutdown().await;
}
