//! The real Graph client against the emulator on loopback: Graph's error shape surfaced with code,
//! message and request-id; 401 and 403s; retry after `Retry-After`; `$batch` chunking; paging.

use crate::common::{TAP_POLICY, admin_graph, emulator_requests, enable_tap_policy, graph_client};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::models::TAP_CONFIG_TYPE;
use hello_bootstrap::graph::{ApiVersion, BatchRequest, GraphError};
use hello_bootstrap::lab::Secret;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn start(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("emulator starts")
}

fn api(err: &GraphError) -> &hello_bootstrap::graph::ApiError {
    match err {
        GraphError::Api(api) => api,
        other => panic!("expected a Graph API error, got {other}"),
    }
}

#[tokio::test]
async fn tap_policy_patch_without_odata_type_is_rejected_with_graphs_shape() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let err = graph
        .patch(ApiVersion::V1, TAP_POLICY, &json!({ "state": "enabled" }))
        .await
        .unwrap_err();
    let api = api(&err);
    assert_eq!(api.status, 400);
    assert_eq!(api.code, "BadRequest");
    assert!(api.message.contains("@odata.type"), "{}", api.message);
    let request_id = api.request_id.clone().expect("request-id in innerError");
    assert!(uuid::Uuid::parse_str(&request_id).is_ok());
    assert!(api.client_request_id.is_some());
    assert!(api.date.is_some());
    assert!(err.to_string().contains(&request_id));
    // Nothing changed.
    let policy = graph.get(ApiVersion::V1, TAP_POLICY).await.unwrap();
    assert_eq!(policy["state"], "disabled");
    // With the type it goes through as 204 and sticks.
    let done = graph
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled" }),
        )
        .await
        .unwrap();
    assert_eq!(done, None, "PATCH answers 204 without a body");
    let policy = graph.get(ApiVersion::Beta, "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/temporaryaccesspass").await.unwrap();
    assert_eq!(policy["state"], "enabled");
    assert_eq!(policy["includeTargets"][0]["id"], "all_users");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_error_echoes_the_client_request_id_and_sets_a_request_id_header() {
    let emu = start(EmulatorConfig::default()).await;
    let response = reqwest::Client::new()
        .get(format!("{}/v1.0/users", emu.graph_url))
        .header("client-request-id", "0f0e0d0c-1111-2222-3333-444455556666")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let header_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");
    assert_eq!(
        body["error"]["innerError"]["request-id"],
        header_id.as_str()
    );
    assert_eq!(
        body["error"]["innerError"]["client-request-id"],
        "0f0e0d0c-1111-2222-3333-444455556666"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn missing_or_unknown_token_is_401_invalid_authentication_token() {
    let emu = start(EmulatorConfig::default()).await;
    for token in ["", "emu.not-a-token"] {
        let err = graph_client(&emu.graph_url, Secret::new(token))
            .get(ApiVersion::V1, "/users")
            .await
            .unwrap_err();
        assert_eq!(api(&err).status, 401);
        assert_eq!(api(&err).code, "InvalidAuthenticationToken");
        assert!(err.to_string().contains("Sign in again"));
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_token_lacking_the_scope_gets_403_naming_the_permission() {
    let emu = start(EmulatorConfig::default()).await;
    let admin = emu.admin_upn.to_string();
    let read_only = emu.mint_token(&admin, &["Policy.Read.All"]).unwrap();
    let graph = graph_client(&emu.graph_url, read_only);
    assert_eq!(
        graph.get(ApiVersion::V1, TAP_POLICY).await.unwrap()["id"],
        "TemporaryAccessPass"
    );
    let err = graph
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled" }),
        )
        .await
        .unwrap_err();
    assert_eq!(api(&err).status, 403);
    assert_eq!(api(&err).code, "Authorization_RequestDenied");
    assert!(
        api(&err)
            .message
            .contains("Missing scope: Policy.ReadWrite.AuthenticationMethod")
    );

    let user_read = emu
        .mint_token(&admin, &["https://graph.microsoft.com/User.Read"])
        .unwrap();
    let err = graph_client(&emu.graph_url, user_read)
        .get(
            ApiVersion::Beta,
            "/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000",
        )
        .await
        .unwrap_err();
    assert!(
        api(&err).message.contains("Missing scope: Policy.Read.All"),
        "{}",
        api(&err).message
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn writes_need_the_directory_role_the_contract_names() {
    let emu = start(EmulatorConfig::default()).await;
    let all = hello_bootstrap::emulator::scopes::ALL_GRAPH_SCOPES;
    let helpdesk = graph_client(
        &emu.graph_url,
        emu.mint_token("lee.gu@contosolab.onmicrosoft.com", all)
            .unwrap(),
    );
    let err = helpdesk
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled" }),
        )
        .await
        .unwrap_err();
    assert_eq!(api(&err).status, 403);
    assert!(
        api(&err)
            .message
            .contains("Authentication Policy Administrator")
    );

    let policy_admin = graph_client(
        &emu.graph_url,
        emu.mint_token("pradeep.gupta@contosolab.onmicrosoft.com", all)
            .unwrap(),
    );
    policy_admin
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled" }),
        )
        .await
        .expect("Authentication Policy Administrator may change the TAP policy");

    // An Authentication Administrator issues TAPs for users but not for admins.
    let auth_admin = graph_client(
        &emu.graph_url,
        emu.mint_token("isaiah.langer@contosolab.onmicrosoft.com", all)
            .unwrap(),
    );
    let path = |upn: &str| format!("/users/{upn}/authentication/temporaryAccessPassMethods");
    let created = auth_admin
        .post(ApiVersion::V1, &path(emu.lab_user_upn.as_str()), &json!({}))
        .await
        .unwrap();
    assert!(
        created["temporaryAccessPass"]
            .as_str()
            .is_some_and(|t| t.len() == 8)
    );
    let err = auth_admin
        .post(
            ApiVersion::V1,
            &path("miriam.graham@contosolab.onmicrosoft.com"),
            &json!({}),
        )
        .await
        .unwrap_err();
    assert!(
        api(&err)
            .message
            .contains("Privileged Authentication Administrator")
    );

    // Intune writes need Intune Administrator.
    let whfb = format!(
        "/deviceManagement/deviceEnrollmentConfigurations/{}_DefaultWindowsHelloForBusiness",
        emu.tenant_id
    );
    let body = json!({ "@odata.type": hello_bootstrap::graph::models::WHFB_CONFIG_TYPE, "state": "enabled" });
    let err = policy_admin
        .patch(ApiVersion::V1, &whfb, &body)
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("Intune Administrator"));
    let intune = graph_client(
        &emu.graph_url,
        emu.mint_token("alex.wilber@contosolab.onmicrosoft.com", all)
            .unwrap(),
    );
    let updated = intune
        .patch(ApiVersion::V1, &whfb, &body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated["state"], "enabled");
    assert!(
        updated.get("deviceEnrollmentConfigurationType").is_none(),
        "beta-only field on v1.0"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_at_least_that_long() {
    let emu = start(EmulatorConfig::default()).await;
    let added = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emu.graph_url))
        .json(&json!({ "spec": "429@/v1.0/organization:1:retry=1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    let graph = admin_graph(&emu);
    let started = Instant::now();
    let org = graph.get(ApiVersion::V1, "/organization").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(org["value"][0]["displayName"], "Contoso Lab");
    let calls: Vec<u64> = emulator_requests(&emu)
        .await
        .iter()
        .filter(|r| r["path"] == "/v1.0/organization")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(calls, vec![429, 200]);
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_from_the_config_spec_apply_and_run_out() {
    let config = EmulatorConfig {
        faults: hello_bootstrap::emulator::FaultRule::parse_spec("503@/beta/users:2").unwrap(),
        ..EmulatorConfig::default()
    };
    let emu = start(config).await;
    let raw = reqwest::Client::new();
    let url = format!("{}/beta/users?$top=1", emu.graph_url);
    let token = crate::common::admin_token(&emu);
    for expected in [503, 503, 200] {
        let status = raw
            .get(&url)
            .bearer_auth(token.expose())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), expected);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_batch_of_45_goes_out_as_3_batch_calls_with_answers_in_order() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let users = graph
        .get_all(ApiVersion::V1, "/users?$select=id")
        .await
        .unwrap();
    assert!(users.len() >= 45);
    let ids: Vec<String> = users
        .iter()
        .take(45)
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let requests_sent: Vec<BatchRequest> = ids
        .iter()
        .map(|id| BatchRequest::get(format!("/users/{id}")))
        .collect();
    let answers = graph.batch(ApiVersion::V1, requests_sent).await.unwrap();
    assert_eq!(answers.len(), 45);
    for (answer, id) in answers.iter().zip(&ids) {
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body.as_ref().unwrap()["id"], id.as_str());
    }
    let batch_calls = emulator_requests(&emu)
        .await
        .iter()
        .filter(|r| r["path"] == "/v1.0/$batch" && r["in_batch"] == false)
        .count();
    assert_eq!(batch_calls, 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn batch_items_fail_individually_and_oversized_batches_are_rejected() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let answers = graph
        .batch(
            ApiVersion::V1,
            vec![
                BatchRequest::get("/users/nobody@contosolab.onmicrosoft.com"),
                BatchRequest::with_body("PATCH", TAP_POLICY, json!({ "state": "enabled" })),
                BatchRequest::get("/organization"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(answers[0].status, 404);
    assert_eq!(
        answers[0].error().unwrap().code(),
        Some("Request_ResourceNotFound")
    );
    assert_eq!(answers[1].status, 400);
    assert_eq!(answers[2].status, 200);
    let items: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/me"}))
        .collect();
    let raw = reqwest::Client::new()
        .post(format!("{}/beta/$batch", emu.graph_url))
        .bearer_auth(emu.access_token().expose())
        .json(&json!({ "requests": items }))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 20")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn paging_through_users_with_top_10_follows_next_links_to_the_end() {
    let emu = start(EmulatorConfig {
        extra_users: 25,
        ..EmulatorConfig::default()
    })
    .await;
    let graph = admin_graph(&emu);
    let total = emu.state().read(|t| t.users.len());
    assert!(total >= 70);
    let all = graph
        .get_all(
            ApiVersion::V1,
            "/users?$top=10&$select=id,userPrincipalName",
        )
        .await
        .unwrap();
    assert_eq!(all.len(), total);
    let unique: std::collections::HashSet<_> = all
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unique.len(), total);
    assert!(
        all.iter().all(|u| u.as_object().unwrap().len() == 2),
        "$select kept on every page"
    );
    let pages = emulator_requests(&emu)
        .await
        .iter()
        .filter(|r| r["path"] == "/v1.0/users")
        .count();
    assert_eq!(pages, total.div_ceil(10));
    emu.shutdown().await;
}

#[tokio::test]
async fn user_filters_and_search_behave_like_graph() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let disabled = graph
        .get_all(ApiVersion::V1, "/users?$filter=accountEnabled eq false")
        .await
        .unwrap();
    assert!(disabled.len() >= 2 && disabled.iter().all(|u| u["accountEnabled"] == false));
    let lab = graph
        .get_all(
            ApiVersion::V1,
            &format!("/users?$filter=userPrincipalName eq '{}'", emu.lab_user_upn),
        )
        .await
        .unwrap();
    assert_eq!(lab.len(), 1);
    let starts = graph
        .get_all(
            ApiVersion::V1,
            "/users?$filter=startswith(displayName,'Lab ')",
        )
        .await
        .unwrap();
    assert_eq!(starts.len(), 2);
    let token = crate::common::admin_token(&emu);
    for query in ["$count=true", "$search=\"displayName:lab\""] {
        let without_header = reqwest::Client::new()
            .get(format!("{}/v1.0/users?{query}", emu.graph_url))
            .bearer_auth(token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(without_header.status(), 400);
        let body: Value = without_header.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ConsistencyLevel")
        );
    }
    let counted = graph
        .get(ApiVersion::V1, "/users?$count=true&$top=5")
        .await
        .unwrap();
    assert!(
        counted["@odata.count"].as_u64().unwrap() >= 45,
        "the client sends ConsistencyLevel"
    );
    let searched = graph
        .get_all(ApiVersion::V1, "/users?$search=\"displayName:lab\"&$top=1")
        .await
        .unwrap();
    assert_eq!(
        searched.len(),
        2,
        "ConsistencyLevel is resent on every page"
    );
    let found: Value = reqwest::Client::new()
        .get(format!(
            "{}/v1.0/users?$search=\"displayName:gupta\"",
            emu.graph_url
        ))
        .bearer_auth(token.expose())
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        found["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["displayName"] == "Pradeep Gupta")
    );
    let err = graph
        .get(ApiVersion::V1, "/users/nobody@contosolab.onmicrosoft.com")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some("Request_ResourceNotFound"));
    emu.shutdown().await;
}

#[tokio::test]
async fn the_mdm_policy_exists_only_on_beta() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let path = "/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000";
    let err = graph.get(ApiVersion::V1, path).await.unwrap_err();
    assert_eq!(api(&err).status, 400);
    assert!(api(&err).message.contains("mobileDeviceManagementPolicies"));
    assert_eq!(
        graph.get(ApiVersion::Beta, path).await.unwrap()["appliesTo"],
        "none"
    );
    let err = graph
        .patch(
            ApiVersion::Beta,
            path,
            &json!({ "appliesTo": "all", "description": "x" }),
        )
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("appliesTo"));
    assert_eq!(
        graph
            .patch(ApiVersion::Beta, path, &json!({ "appliesTo": "all" }))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        graph.get(ApiVersion::Beta, path).await.unwrap()["appliesTo"],
        "all"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn tap_creation_follows_the_policy_and_returns_the_code_only_once() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let methods = format!(
        "/users/{}/authentication/temporaryAccessPassMethods",
        emu.lab_user_upn
    );
    let err = graph
        .post(ApiVersion::V1, &methods, &json!({}))
        .await
        .unwrap_err();
    assert_eq!(api(&err).status, 400);
    assert!(api(&err).message.contains("Converged UserCredentialPolicy"));
    enable_tap_policy(&graph).await;
    let err = graph
        .post(ApiVersion::V1, &methods, &json!({ "lifetimeInMinutes": 5 }))
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("lifetimeInMinutes"));
    let created = graph
        .post(
            ApiVersion::V1,
            &methods,
            &json!({ "lifetimeInMinutes": 60, "isUsableOnce": true }),
        )
        .await
        .unwrap();
    assert!(created["temporaryAccessPass"].is_string());
    assert_eq!(created["methodUsabilityReason"], "EnabledByPolicy");
    let listed = graph.get_all(ApiVersion::V1, &methods).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);
    assert_eq!(listed[0]["temporaryAccessPass"], Value::Null);
    // A second TAP replaces the first (one TAP per user).
    let second = graph
        .post(ApiVersion::V1, &methods, &json!({}))
        .await
        .unwrap();
    let listed = graph.get_all(ApiVersion::V1, &methods).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], second["id"]);
    // Disabled users get none.
    let err = graph
        .post(ApiVersion::V1, "/users/patti.fernandez@contosolab.onmicrosoft.com/authentication/temporaryAccessPassMethods", &json!({}))
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("disabled"));
    graph
        .delete(
            ApiVersion::V1,
            &format!("{methods}/{}", second["id"].as_str().unwrap()),
        )
        .await
        .unwrap();
    assert!(
        graph
            .get_all(ApiVersion::V1, &methods)
            .await
            .unwrap()
            .is_empty()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn whfb_configuration_is_listed_and_filtered_on_beta() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let beta = graph
        .get_all(ApiVersion::Beta, "/deviceManagement/deviceEnrollmentConfigurations?$filter=deviceEnrollmentConfigurationType eq 'windowsHelloForBusiness'")
        .await
        .unwrap();
    assert_eq!(beta.len(), 1);
    assert_eq!(
        beta[0]["id"],
        format!("{}_DefaultWindowsHelloForBusiness", emu.tenant_id)
    );
    assert_eq!(beta[0]["state"], "notConfigured");
    let v1 = graph
        .get_all(
            ApiVersion::V1,
            "/deviceManagement/deviceEnrollmentConfigurations",
        )
        .await
        .unwrap();
    assert!(
        v1.len() > 1
            && v1
                .iter()
                .all(|c| c.get("deviceEnrollmentConfigurationType").is_none())
    );
    let err = graph
        .get(ApiVersion::V1, "/deviceManagement/deviceEnrollmentConfigurations?$filter=deviceEnrollmentConfigurationType eq 'windowsHelloForBusiness'")
        .await
        .unwrap_err();
    assert_eq!(api(&err).status, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn me_and_roles_read_like_the_preflight_expects() {
    let emu = start(EmulatorConfig::default()).await;
    let token = emu
        .mint_token(
            "lee.gu@contosolab.onmicrosoft.com",
            // With User.Read alone Graph lists roles with limited information (tests/it/roles.rs).
            &["User.Read", "RoleManagement.Read.Directory"],
        )
        .unwrap();
    let graph = graph_client(&emu.graph_url, token);
    let me = graph.get(ApiVersion::V1, "/me").await.unwrap();
    assert_eq!(me["userPrincipalName"], "lee.gu@contosolab.onmicrosoft.com");
    let roles = graph
        .get_all(ApiVersion::V1, "/me/transitiveMemberOf")
        .await
        .unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["@odata.type"], "#microsoft.graph.directoryRole");
    assert_eq!(roles[0]["displayName"], "Helpdesk Administrator");
    let org = graph.get(ApiVersion::V1, "/organization").await.unwrap();
    assert_eq!(org["value"][0]["id"], emu.tenant_id.as_str());
    let ca = admin_graph(&emu)
        .get_all(ApiVersion::V1, "/identity/conditionalAccess/policies")
        .await
        .unwrap();
    assert_eq!(ca[0]["displayName"], "Require MFA for all users");
    assert_eq!(ca[0]["state"], "enabled");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_ready_line_has_what_the_cli_prints() {
    let emu = start(EmulatorConfig::default()).await;
    let line: Value = serde_json::from_str(&emu.ready_line()).unwrap();
    assert_eq!(line["graph_url"], emu.graph_url.as_str());
    assert!(!line["graph_url"].as_str().unwrap().ends_with("v1.0"));
    assert_eq!(line["tenant_id"], emu.tenant_id.as_str());
    assert_eq!(line["admin_upn"], "admin@contosolab.onmicrosoft.com");
    let token = Secret::new(line["access_token"].as_str().unwrap());
    let me = graph_client(&emu.graph_url, token)
        .get(ApiVersion::Beta, "/me")
        .await
        .unwrap();
    assert_eq!(me["userPrincipalName"], "admin@contosolab.onmicrosoft.com");
    assert!(!format!("{emu:?}").contains(emu.access_token().expose()));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_throttled_batch_item_is_retried_alone() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    let ids: Vec<String> = graph
        .get_all(ApiVersion::V1, "/users?$top=3&$select=id")
        .await
        .unwrap()
        .iter()
        .take(3)
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let rule = format!("429@/v1.0/users/{}:1:retry=1", ids[1]);
    reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emu.graph_url))
        .json(&json!({ "spec": rule }))
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let answers = graph
        .batch(
            ApiVersion::V1,
            ids.iter()
                .map(|id| BatchRequest::get(format!("/users/{id}")))
                .collect(),
        )
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(answers.iter().all(|a| a.status == 200));
    assert_eq!(answers[1].body.as_ref().unwrap()["id"], ids[1].as_str());
    let log = emulator_requests(&emu).await;
    assert_eq!(
        log.iter().filter(|r| r["path"] == "/v1.0/$batch").count(),
        2
    );
    let inner: Vec<u64> = log
        .iter()
        .filter(|r| r["in_batch"] == true && r["path"] == format!("/v1.0/users/{}", ids[1]))
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(inner, vec![429, 200]);
    emu.shutdown().await;
}

#[tokio::test]
async fn sign_in_logs_need_entra_id_p1() {
    let emu = start(EmulatorConfig::default()).await;
    let graph = admin_graph(&emu);
    assert!(
        graph
            .get_all(ApiVersion::Beta, "/auditLogs/signIns")
            .await
            .unwrap()
            .is_empty()
    );
    let off = reqwest::Client::new()
        .post(format!("{}/_emulator/tenant", emu.graph_url))
        .json(&json!({ "has_premium": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 204);
    let err = graph
        .get(ApiVersion::Beta, "/auditLogs/signIns")
        .await
        .unwrap_err();
    assert_eq!(api(&err).status, 403);
    assert_eq!(
        api(&err).code,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    );
    assert!(err.to_string().contains("Entra ID P1"));
    emu.shutdown().await;
}

#[tokio::test]
async fn latency_is_added_to_graph_calls() {
    let emu = start(EmulatorConfig {
        latency_ms: 300,
        ..EmulatorConfig::default()
    })
    .await;
    let graph = admin_graph(&emu);
    let started = Instant::now();
    graph.get(ApiVersion::V1, "/organization").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn batch_depends_on_gives_424_after_a_failed_dependency() {
    let emu = start(EmulatorConfig::default()).await;
    let body = json!({ "requests": [
        { "id": "1", "method": "PATCH", "url": TAP_POLICY, "headers": {"Content-Type": "application/json"}, "body": {"state": "enabled"} },
        { "id": "2", "dependsOn": ["1"], "method": "GET", "url": TAP_POLICY },
        { "id": "3", "method": "PATCH", "url": TAP_POLICY, "headers": {"Content-Type": "application/json"}, "body": {"@odata.type": TAP_CONFIG_TYPE, "state": "enabled"} },
        { "id": "4", "dependsOn": ["3"], "method": "GET", "url": TAP_POLICY },
    ]});
    let reply: Value = reqwest::Client::new()
        .post(format!("{}/v1.0/$batch", emu.graph_url))
        .bearer_auth(emu.access_token().expose())
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<(String, u64)> = reply["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("1".into(), 400),
            ("2".into(), 424),
            ("3".into(), 204),
            ("4".into(), 200)
        ]
    );
    assert_eq!(reply["responses"][3]["body"]["state"], "enabled");
    emu.shutdown().await;
}

#[tokio::test]
async fn framework_errors_still_come_in_graphs_shape() {
    let emu = start(EmulatorConfig::default()).await;
    let response = reqwest::Client::new()
        .put(format!("{}/v1.0/organization", emu.graph_url))
        .bearer_auth(emu.access_token().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    emu.shutdown().await;
}

#[tokio::test]
async fn reads_need_the_roles_the_contract_names_except_about_oneself() {
    let emu = start(EmulatorConfig::default()).await;
    let all = hello_bootstrap::emulator::scopes::ALL_GRAPH_SCOPES;
    let lab = emu.lab_user_upn.to_string();
    let as_user = |upn: &str| graph_client(&emu.graph_url, emu.mint_token(upn, all).unwrap());
    let own_keys = format!("/users/{lab}/authentication/windowsHelloForBusinessMethods");
    assert!(
        as_user(&lab)
            .get_all(ApiVersion::V1, &own_keys)
            .await
            .unwrap()
            .is_empty()
    );
    let other_keys =
        "/users/admin@contosolab.onmicrosoft.com/authentication/windowsHelloForBusinessMethods";
    let err = as_user(&lab)
        .get_all(ApiVersion::V1, other_keys)
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("Authentication Administrator"));
    assert!(
        as_user("miriam.graham@contosolab.onmicrosoft.com")
            .get_all(ApiVersion::V1, other_keys)
            .await
            .is_ok()
    );

    let err = as_user(&lab)
        .get_all(ApiVersion::Beta, "/auditLogs/signIns")
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("Reports Reader"));
    assert!(
        as_user("lynne.robbins@contosolab.onmicrosoft.com")
            .get_all(ApiVersion::Beta, "/auditLogs/signIns")
            .await
            .is_ok()
    );

    let err = as_user("lee.gu@contosolab.onmicrosoft.com")
        .get(ApiVersion::V1, TAP_POLICY)
        .await
        .unwrap_err();
    assert!(
        api(&err)
            .message
            .contains("Authentication Policy Administrator")
    );
    let err = as_user(&lab)
        .get_all(ApiVersion::V1, "/deviceManagement/managedDevices")
        .await
        .unwrap_err();
    assert!(api(&err).message.contains("Intune Administrator"));
    emu.shutdown().await;
}
