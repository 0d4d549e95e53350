//! Step 6 against the TAP policy and a pass it did not issue: a lifetime outside the policy's
//! bounds and a user the policy excludes (through a group) are named before anything is sent;
//! a pass someone else issued is never "applied" (its code cannot be shown) and can be replaced.

use crate::common::{TAP_POLICY, admin_graph, enable_tap_policy, lab_upn};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::graph::ApiVersion;
use hello_bootstrap::graph::api::users;
use hello_bootstrap::graph::models::TAP_CONFIG_TYPE;
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Step, StepError, StepOptions, StepStatus};
use hello_bootstrap::steps::{StepContext, controller};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Mutex;

#[tokio::test]
async fn step_six_checks_the_policy_and_never_calls_someone_elses_pass_applied() {
    let _home = crate::step7_verdict::private_home();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let graph = Arc::new(admin_graph(&emu));
    enable_tap_policy(&graph).await;
    let upn = lab_upn(&emu);
    let session = Arc::new(Mutex::new(SessionFile::default()));
    let ctx = |options: StepOptions| {
        StepContext::new(
            Some(graph.clone()),
            None,
            session.clone(),
            SessionKind::Demo,
            StepOptions {
                lab_user: Some(upn.clone()),
                ..options
            },
        )
    };
    let step = controller(Step::TapIssued);

    // 30 minutes is below the policy's 60-minute minimum: said before any POST.
    let short = step
        .apply(&ctx(StepOptions {
            tap_lifetime_minutes: Some(30),
            ..StepOptions::default()
        }))
        .await;
    match short {
        Err(StepError::BadInput(m)) => assert!(m.contains("60 to 480"), "{m}"),
        other => panic!("{other:?}"),
    }

    // A pass someone else issued: it exists, but it is not this lab's to show.
    let user = users::id_of(graph.as_ref(), &upn).await.unwrap();
    graph
        .post(
            ApiVersion::V1,
            &format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                user.as_str()
            ),
            &json!({"lifetimeInMinutes": 60}),
        )
        .await
        .unwrap();
    let checked = step.check(&ctx(StepOptions::default())).await.unwrap();
    assert_eq!(
        checked.status,
        StepStatus::NeedsAction,
        "{}",
        checked.detail
    );
    assert!(
        checked.detail.contains("did not issue"),
        "{}",
        checked.detail
    );
    let kept = step.apply(&ctx(StepOptions::default())).await.unwrap();
    assert_eq!(kept.status, StepStatus::NeedsAction, "{}", kept.detail);
    assert!(kept.secret.is_none());
    let replaced = step
        .apply(&ctx(StepOptions {
            tap_replace: true,
            ..StepOptions::default()
        }))
        .await
        .unwrap();
    assert_eq!(replaced.status, StepStatus::Applied, "{}", replaced.detail);
    assert!(replaced.secret.is_some());
    let again = step.check(&ctx(StepOptions::default())).await.unwrap();
    assert_eq!(
        again.status,
        StepStatus::Applied,
        "ours now: {}",
        again.detail
    );
    step.revert(&ctx(StepOptions::default())).await.unwrap();

    // Excluded through a group: named, nothing issued.
    let group = graph
        .post(
            ApiVersion::V1,
            "/groups",
            &json!({"displayName": "No TAP", "mailEnabled": false, "mailNickname": "notap", "securityEnabled": true}),
        )
        .await
        .unwrap();
    let group_id = group["id"].as_str().unwrap();
    graph
        .post(
            ApiVersion::V1,
            &format!("/groups/{group_id}/members/$ref"),
            &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", user.as_str())}),
        )
        .await
        .unwrap();
    graph
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({"@odata.type": TAP_CONFIG_TYPE, "excludeTargets": [{"id": group_id, "targetType": "group"}]}),
        )
        .await
        .unwrap();
    match step.apply(&ctx(StepOptions::default())).await {
        Err(StepError::Precondition(m)) => {
            assert!(m.contains("excludes") && m.contains(group_id), "{m}")
        }
        other => panic!("{other:?}"),
    }
}
