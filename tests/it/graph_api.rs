//! The typed Graph layer (`hb_graph::api`, `hb_graph::tap_issue`) against the emulator over
//! loopback: values from outside stay one encoded path segment on the wire (the emulator's
//! request log shows the raw path), answers come back as typed models, and the reads and deletes
//! step 7 will adopt find the objects an OOBE sign-in creates.

use crate::common::{admin_graph, emulator_requests, enable_tap_policy, lab_upn, mdm_scope_all};
use hello_bootstrap::emulator::seed::{DEMO_EXTERNAL_GUEST, DEMO_INTERNAL_GUEST};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::api::{
    UserRef, auth_methods, conditional_access, devices, directory, policies, sign_ins, users,
};
use hello_bootstrap::graph::tap_issue::{self, IssueError, IssueTap, Issued, WhenHeld};
use hello_bootstrap::graph::{ApiVersion, BatchRequest, GraphPath};
use hello_bootstrap::lab::{DeviceId, Upn, UserId};
use serde_json::{Value, json};

async fn start() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

/// The raw paths (still percent-encoded) of the Graph requests the emulator answered.
async fn paths(emu: &EmulatorHandle) -> Vec<String> {
    emulator_requests(emu)
        .await
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_guest_upn_and_a_slash_stay_inside_one_encoded_segment() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    let jane = Upn::parse(DEMO_INTERNAL_GUEST).unwrap();
    let user = users::get(&graph, &jane).await.expect("the guest is found");
    assert_eq!(user.user_principal_name, DEMO_INTERNAL_GUEST);
    assert!(user.is_guest());
    assert!(!user.signs_in_elsewhere(), "{:?}", user.identities);
    assert!(
        paths(&emu)
            .await
            .contains(&"/v1.0/users/jane_fabrikam.com%23EXT%23@contosolab.onmicrosoft.com".into()),
        "the # travels as %23"
    );

    let sam = users::get(&graph, &Upn::parse(DEMO_EXTERNAL_GUEST).unwrap())
        .await
        .unwrap();
    assert!(
        sam.is_guest() && sam.signs_in_elsewhere(),
        "{:?}",
        sam.identities
    );

    // An id with a slash (never a Upn: those refuse '/') is still one segment: no traversal.
    let traversal = UserId::from("x/../../users/admin@contosolab.onmicrosoft.com");
    let err = users::get(&graph, &traversal).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(
        paths(&emu)
            .await
            .contains(&"/v1.0/users/x%2F..%2F..%2Fusers%2Fadmin@contosolab.onmicrosoft.com".into()),
        "{:?}",
        paths(&emu).await
    );
    let dots = users::get(&graph, &UserId::from("..")).await.unwrap_err();
    assert!(dots.to_string().contains("cannot name a user"), "{dots}");
    emu.shutdown().await;
}

#[tokio::test]
async fn step_7_finds_a_guest_user_id_by_upn_with_only_the_id_selected() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    let jane = Upn::parse(DEMO_INTERNAL_GUEST).unwrap();
    let id = users::id_of(&graph, &jane)
        .await
        .expect("the guest is found");
    assert_eq!(id, users::get(&graph, &jane).await.unwrap().id);
    let asked = paths(&emu).await;
    assert_eq!(
        asked.first().map(String::as_str),
        Some("/v1.0/users/jane_fabrikam.com%23EXT%23@contosolab.onmicrosoft.com"),
        "the # travels as %23: {asked:?}"
    );
    let missing = Upn::parse("nobody@contosolab.onmicrosoft.com").unwrap();
    let err = users::id_of(&graph, &missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    emu.shutdown().await;
}

/// Step 2 reads the default WHfB configuration's state from the list item (Graph's list
/// answers every property of the derived type), so it is one GET, not a list and a GET by id.
#[tokio::test]
async fn the_default_whfb_configuration_is_read_from_the_list_in_one_get() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    let before = paths(&emu).await.len();
    let whfb = policies::whfb_default_configuration(&graph)
        .await
        .unwrap()
        .expect("the demo tenant has the default configuration");
    assert_eq!(
        whfb.id,
        format!("{}_DefaultWindowsHelloForBusiness", emu.tenant_id)
    );
    assert_eq!(whfb.state.as_deref(), Some("notConfigured"));
    let made: Vec<String> = paths(&emu)
        .await
        .into_iter()
        .skip(before)
        .filter(|p| !p.starts_with("/_emulator"))
        .collect();
    assert_eq!(
        made,
        vec!["/v1.0/deviceManagement/deviceEnrollmentConfigurations".to_string()],
        "one list read, no GET by id"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn policies_directory_and_conditional_access_read_as_typed_models() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    let mdm = policies::mdm_policy(&graph).await.unwrap();
    assert_eq!(mdm.applies_to.as_deref(), Some("none"));
    let configs = policies::enrollment_configurations(&graph).await.unwrap();
    let default = configs.iter().find(|c| c.is_whfb_default()).unwrap();
    assert_eq!(
        default.id,
        format!("{}_DefaultWindowsHelloForBusiness", emu.tenant_id)
    );
    let whfb = policies::whfb_configuration(&graph, &default.id)
        .await
        .unwrap();
    assert_eq!(whfb.state.as_deref(), Some("notConfigured"));
    let tap = policies::tap_policy(&graph).await.unwrap();
    assert!(!tap.is_enabled());

    let me = directory::me(&graph).await.unwrap();
    assert_eq!(me.user_principal_name, emu.admin_upn);
    let org = directory::organization(&graph).await.unwrap().unwrap();
    assert_eq!(org.id.as_str(), emu.tenant_id);
    let roles = directory::my_directory_roles(&graph).await.unwrap();
    assert!(
        roles
            .iter()
            .any(|r| r.role_template_id.as_deref() == Some("62e90394-69f5-4237-9190-012177145e10")),
        "{roles:?}"
    );
    let ca = conditional_access::policies(&graph).await.unwrap();
    assert!(ca.iter().any(|p| p.requires_mfa()), "{ca:?}");
    sign_ins::probe(&graph)
        .await
        .expect("the demo tenant has P1");
    emu.shutdown().await;
}

#[tokio::test]
async fn step_7_reads_and_deletes_find_what_an_oobe_sign_in_created() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    enable_tap_policy(&graph).await;
    mdm_scope_all(&graph).await;
    let upn = lab_upn(&emu);
    let Issued::New(tap) = tap_issue::issue_for(&graph, &upn, &IssueTap::default())
        .await
        .unwrap()
    else {
        panic!("a first pass is new");
    };
    let started = chrono::Utc::now() - chrono::Duration::minutes(1);
    let joined: Value = reqwest::Client::new()
        .post(format!("{}/_emulator/oobe-signin", emu.graph_url))
        .json(&json!({ "upn": upn.as_str(), "tap": tap.code.expose(), "device_name": "LAB-PC01" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_id = DeviceId::from(joined["device_id"].as_str().expect("joined"));

    let keys = auth_methods::list_whfb(&graph, &upn).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].display_name.as_deref(), Some("LAB-PC01"));
    let named = devices::by_display_name(&graph, "LAB-PC01").await.unwrap();
    assert_eq!(named.len(), 1);
    let device = devices::by_device_id(&graph, &device_id)
        .await
        .unwrap()
        .expect("the Entra device");
    assert!(device.is_entra_joined());
    assert_eq!(device.id, named[0].id);
    let managed = devices::managed_by_device_id(&graph, &device_id)
        .await
        .unwrap()
        .expect("the managed device");
    assert_eq!(managed.azure_ad_device_id.as_ref(), Some(&device_id));
    let logged = sign_ins::recent_by_user(&graph, &tap.user_id, Some(started), 50)
        .await
        .unwrap();
    assert!(!logged.is_empty(), "the OOBE sign-in is logged");
    assert!(
        logged
            .iter()
            .all(|s| s.user_id.as_deref() == Some(tap.user_id.as_str()))
    );

    devices::delete_managed(&graph, &managed.id).await.unwrap();
    devices::delete(&graph, &device.id).await.unwrap();
    assert_eq!(
        devices::by_device_id(&graph, &device_id).await.unwrap(),
        None
    );
    assert_eq!(
        devices::managed_by_device_id(&graph, &device_id)
            .await
            .unwrap(),
        None
    );
    let err = devices::delete(&graph, &device.id).await.unwrap_err();
    assert!(err.is_not_found());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_one_issue_function_keeps_replaces_and_refuses_like_entra() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    let upn = lab_upn(&emu);
    let refused = tap_issue::issue_for(&graph, &upn, &IssueTap::default())
        .await
        .unwrap_err();
    assert!(matches!(refused, IssueError::PolicyRefuses(_)), "{refused}");
    enable_tap_policy(&graph).await;

    let first = match tap_issue::issue_for(&graph, &upn, &IssueTap::default()).await {
        Ok(Issued::New(tap)) => tap,
        other => panic!("{other:?}"),
    };
    assert!(
        !format!("{first:?}").contains(first.code.expose()),
        "Debug hides the code"
    );
    let kept = tap_issue::issue_for(&graph, &upn, &IssueTap::default()).await;
    assert!(
        matches!(&kept, Ok(Issued::Kept(m)) if m.id == first.method.id),
        "{kept:?}"
    );
    let replace = IssueTap {
        when_held: WhenHeld::Replace,
        lifetime_minutes: Some(120),
        ..IssueTap::default()
    };
    let (second, previous) = match tap_issue::issue_for(&graph, &upn, &replace).await {
        Ok(Issued::Replaced { tap, previous }) => (tap, previous),
        other => panic!("{other:?}"),
    };
    assert_eq!(previous.id, first.method.id);
    assert_ne!(second.code.expose(), first.code.expose());
    let listed = auth_methods::list_taps(&graph, &upn).await.unwrap();
    assert_eq!(listed.len(), 1, "Graph keeps one pass per user");
    assert_eq!(listed[0].id, second.method.id);
    assert_eq!(listed[0].lifetime_in_minutes, Some(120));

    let lifetime = IssueTap {
        lifetime_minutes: Some(5),
        when_held: WhenHeld::Replace,
        ..IssueTap::default()
    };
    let before = paths(&emu).await.len();
    let err = tap_issue::issue_for(&graph, &upn, &lifetime)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10 to 43200"), "{err}");
    let posts: Vec<Value> = emulator_requests(&emu).await[before..]
        .iter()
        .filter(|r| r["method"] == "POST")
        .cloned()
        .collect();
    assert!(
        posts.is_empty(),
        "a lifetime Graph never takes is not sent: {posts:?}"
    );

    let sam = Upn::parse(DEMO_EXTERNAL_GUEST).unwrap();
    let err = tap_issue::issue_for(&graph, &sam, &IssueTap::default())
        .await
        .unwrap_err();
    assert!(matches!(err, IssueError::ExternalUser), "{err}");
    let nobody = Upn::parse("nobody@contosolab.onmicrosoft.com").unwrap();
    let err = tap_issue::issue_for(&graph, &nobody, &IssueTap::default())
        .await
        .unwrap_err();
    assert!(matches!(err, IssueError::NoSuchUser), "{err}");

    auth_methods::delete_tap(&graph, &upn, &second.method.id)
        .await
        .unwrap();
    assert!(
        auth_methods::list_taps(&graph, UserRef::Upn(&upn))
            .await
            .unwrap()
            .is_empty()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_emulator_refuses_a_pass_for_an_external_guest_as_entra_does() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    enable_tap_policy(&graph).await;
    // Straight to Graph, past our own check: the emulator is the one refusing.
    let path =
        auth_methods::tap_methods_path(UserRef::Upn(&Upn::parse(DEMO_EXTERNAL_GUEST).unwrap()));
    let err = graph
        .post(ApiVersion::V1, &path.relative(), &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(
        err.to_string()
            .contains("Temporary Access Pass cannot be added to an external guest user"),
        "{err}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn batch_items_built_from_typed_paths_keep_their_keys_encoded() {
    let emu = start().await;
    let graph = admin_graph(&emu);
    let jane = Upn::parse(DEMO_INTERNAL_GUEST).unwrap();
    let lab = lab_upn(&emu);
    let answers = graph
        .batch(
            ApiVersion::V1,
            vec![
                BatchRequest::get_path(&UserRef::Upn(&jane).path()),
                BatchRequest::get_path(&UserRef::Upn(&lab).path()),
                BatchRequest::get_path(
                    &GraphPath::v1()
                        .seg("users")
                        .key("a/b@contosolab.onmicrosoft.com"),
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(answers[0].status, 200, "{:?}", answers[0].body);
    assert_eq!(
        answers[0].body.as_ref().unwrap()["userPrincipalName"],
        DEMO_INTERNAL_GUEST
    );
    assert_eq!(answers[1].status, 200);
    assert_eq!(answers[2].status, 404, "one segment, no such user");
    emu.shutdown().await;
}
