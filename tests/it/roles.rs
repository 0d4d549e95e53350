//! Roles as Microsoft's tables give them, end to end: seeded Helpdesk, Authentication, Global
//! Reader and Intune administrators each pass or fail preflight per step (the check `run` makes
//! before changing anything), the refusal naming the least privileged role that would work, and
//! the emulator enforces the same per call. Directory roles are recognised by template id, read
//! from role assignments where the token allows, and a token that may not read roles gets
//! Graph's limited information, which preflight reports instead of guessing.

use crate::common::graph_client;
use hello_bootstrap::auth::preflight::{PreflightError, preflight};
use hello_bootstrap::auth::scopes::{BASE_SCOPES, all_scopes};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::GraphClient;
use hello_bootstrap::lab::Step;
use serde_json::{Value, json};

const HELPDESK: &str = "lee.gu";
const AUTH_ADMIN: &str = "isaiah.langer";
const GLOBAL_READER: &str = "miriam.graham";
const INTUNE_ADMIN: &str = "alex.wilber";

async fn start() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

fn upn(emu: &EmulatorHandle, local: &str) -> String {
    format!("{local}@{}", emu.admin_upn.split('@').nth(1).unwrap())
}

/// Every permission the lab asks for at sign-in, as the login side would grant them.
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

fn signed_in(emu: &EmulatorHandle, local: &str, scopes: &[String]) -> GraphClient {
    let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let token = emu
        .mint_token(&upn(emu, local), &refs)
        .expect("a seeded user");
    graph_client(&emu.graph_url, token)
}

/// Preflight of one step: `Ok` or the refusal's text.
async fn step_verdict(emu: &EmulatorHandle, local: &str, step: Step) -> Result<(), String> {
    let scopes = lab_scopes();
    let graph = signed_in(emu, local, &scopes);
    preflight(&graph, Some(scopes), &[step])
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn each_seeded_admin_passes_or_fails_each_step_as_microsofts_tables_say() {
    let emu = start().await;
    use Step::*;
    // (user, step, None = proceeds / Some(text the refusal must hold))
    let cases: &[(&str, Step, Option<&str>)] = &[
        (
            HELPDESK,
            MdmUserScope,
            Some(
                "step 1 needs one of the roles Global Administrator, Intune Administrator (you have: Helpdesk Administrator)",
            ),
        ),
        (
            HELPDESK,
            TapPolicy,
            Some(
                "step 5 needs the Authentication Policy Administrator role (you have: Helpdesk Administrator)",
            ),
        ),
        (
            HELPDESK,
            TapIssued,
            Some(
                "step 6 needs one of the roles Authentication Administrator, Privileged Authentication Administrator (you have: Helpdesk Administrator)",
            ),
        ),
        (
            HELPDESK,
            Bootstrap,
            Some("step 7 needs the Global Reader role (you have: Helpdesk Administrator)"),
        ),
        (HELPDESK, HypervFeature, None),
        (AUTH_ADMIN, TapIssued, None),
        (
            AUTH_ADMIN,
            TapPolicy,
            Some(
                "step 5 needs the Authentication Policy Administrator role (you have: Authentication Administrator)",
            ),
        ),
        (
            AUTH_ADMIN,
            WhfbEnrollment,
            Some(
                "step 2 needs the Intune Administrator role (you have: Authentication Administrator)",
            ),
        ),
        (
            AUTH_ADMIN,
            Bootstrap,
            Some("step 7 needs the Global Reader role (you have: Authentication Administrator)"),
        ),
        (GLOBAL_READER, Bootstrap, None),
        (
            GLOBAL_READER,
            TapPolicy,
            Some(
                "step 5 needs the Authentication Policy Administrator role (you have: Global Reader)",
            ),
        ),
        (
            GLOBAL_READER,
            WhfbEnrollment,
            Some("step 2 needs the Intune Administrator role (you have: Global Reader)"),
        ),
        (
            GLOBAL_READER,
            TapIssued,
            Some(
                "step 6 needs one of the roles Authentication Administrator, Privileged Authentication Administrator (you have: Global Reader)",
            ),
        ),
        (INTUNE_ADMIN, MdmUserScope, None),
        (INTUNE_ADMIN, WhfbEnrollment, None),
        (
            INTUNE_ADMIN,
            TapPolicy,
            Some(
                "step 5 needs the Authentication Policy Administrator role (you have: Intune Administrator)",
            ),
        ),
        (
            INTUNE_ADMIN,
            Bootstrap,
            Some("step 7 needs the Global Reader role (you have: Intune Administrator)"),
        ),
    ];
    let mut wrong = Vec::new();
    for (user, step, expected) in cases {
        let got = step_verdict(&emu, user, *step).await;
        let ok = match (expected, &got) {
            (None, Ok(())) => true,
            (Some(text), Err(e)) => e == text,
            _ => false,
        };
        if !ok {
            wrong.push(format!("{user} {step}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    emu.shutdown().await;
}

async fn call(
    emu: &EmulatorHandle,
    local: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let scopes = lab_scopes();
    let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let token = emu.mint_token(&upn(emu, local), &refs).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", emu.graph_url))
        .bearer_auth(token.expose())
        .header("ConsistencyLevel", "eventual");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_emulator_refuses_each_call_naming_the_least_privileged_role() {
    let emu = start().await;
    let lab = emu.lab_user_upn.clone();
    let taps = format!("/v1.0/users/{lab}/authentication/temporaryAccessPassMethods");
    let policy = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";
    // The TAP policy must be on for anyone to issue one.
    let admin = reqwest::Client::new()
        .patch(format!("{}{policy}", emu.graph_url))
        .bearer_auth(emu.access_token().expose())
        .json(&json!({"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "state": "enabled"}))
        .send()
        .await
        .unwrap();
    assert!(admin.status().is_success());

    // An Authentication Administrator issues a TAP but may not read the TAP policy.
    let (status, body) = call(
        &emu,
        AUTH_ADMIN,
        reqwest::Method::POST,
        &taps,
        Some(json!({"lifetimeInMinutes": 60})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(&emu, AUTH_ADMIN, reqwest::Method::GET, policy, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        message(&body).contains("needs the Global Reader or Authentication Policy Administrator"),
        "{body}"
    );

    // A Helpdesk Administrator may not issue one.
    let (status, body) = call(
        &emu,
        HELPDESK,
        reqwest::Method::POST,
        &taps,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        message(&body).contains("Authentication Administrator"),
        "{body}"
    );

    // Conditional Access: Global Reader reads, Intune Administrator does not.
    let ca = "/v1.0/identity/conditionalAccess/policies";
    assert_eq!(
        call(&emu, GLOBAL_READER, reqwest::Method::GET, ca, None)
            .await
            .0,
        200
    );
    let (status, body) = call(&emu, INTUNE_ADMIN, reqwest::Method::GET, ca, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        message(&body).contains("needs the Security Reader or"),
        "{body}"
    );

    // A Global Reader reads the TAP policy but may not change it.
    assert_eq!(
        call(&emu, GLOBAL_READER, reqwest::Method::GET, policy, None)
            .await
            .0,
        200
    );
    let (status, body) = call(&emu, GLOBAL_READER, reqwest::Method::PATCH, policy,
        Some(json!({"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "state": "disabled"}))).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        message(&body).contains("Authentication Policy Administrator"),
        "{body}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn roles_are_read_by_template_id_from_role_assignments_where_the_token_allows() {
    let emu = start().await;
    let me = signed_in(&emu, GLOBAL_READER, &lab_scopes());
    let id = me
        .get(hello_bootstrap::graph::ApiVersion::V1, "/me")
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!(
        "/beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=principalId%20eq%20'{id}'"
    );
    let (status, body) = call(&emu, GLOBAL_READER, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["value"][0]["roleDefinitionId"],
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
    );
    // A Helpdesk Administrator may not list role assignments (Directory Readers is the least
    // privileged role that may); preflight then falls back to memberships and still names roles.
    let (status, body) = call(&emu, HELPDESK, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(message(&body).contains("Directory Readers"), "{body}");
    let scopes = lab_scopes();
    let identity = preflight(&signed_in(&emu, HELPDESK, &scopes), Some(scopes), &[])
        .await
        .unwrap();
    assert_eq!(identity.roles, ["Helpdesk Administrator"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn with_user_read_only_roles_come_back_limited_and_preflight_says_so() {
    let emu = start().await;
    let only = vec!["User.Read".to_string()];
    let graph = signed_in(&emu, INTUNE_ADMIN, &only);
    let roles = graph
        .get(
            hello_bootstrap::graph::ApiVersion::V1,
            "/me/transitiveMemberOf",
        )
        .await
        .unwrap();
    let role = &roles["value"][0];
    assert_eq!(role["@odata.type"], "#microsoft.graph.directoryRole");
    assert!(role["id"].is_string());
    assert!(
        role["displayName"].is_null() && role["roleTemplateId"].is_null(),
        "{role}"
    );
    let e = preflight(&graph, Some(only), &[Step::WhfbEnrollment])
        .await
        .unwrap_err();
    assert!(matches!(e, PreflightError::RolesUnreadable { .. }), "{e:?}");
    assert!(
        e.to_string().contains("RoleManagement.Read.Directory"),
        "{e}"
    );
    emu.shutdown().await;
}
