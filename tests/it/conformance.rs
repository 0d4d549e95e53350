//! Schema conformance over the wire and in our types: the emulator refuses a request body with a
//! property or enum value Microsoft's schema does not have (Graph's 400, naming type and
//! property), turns an answer of its own that breaks the schema into a 500 naming them, and every
//! typed model of our client serialises to property names and enum values the schema publishes.

use crate::common::{TAP_POLICY, admin_graph, admin_token, enable_tap_policy, lab_upn};
use hello_bootstrap::emulator::api::ApiVersion as EmuVersion;
use hello_bootstrap::emulator::conformance::{Report, check_entity};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::models::*;
use hello_bootstrap::lab::{
    AuthMethodId, DeviceId, DeviceObjectId, ManagedDeviceId, TenantId, UserId,
};
use serde::Serialize;
use serde_json::{Value, json};

async fn start() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

async fn send(
    emu: &EmulatorHandle,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", emu.graph_url))
        .bearer_auth(admin_token(emu).expose())
        .json(&body)
        .send()
        .await
        .expect("emulator reachable");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_invented_request_property_is_refused_naming_the_type_and_property() {
    let emu = start().await;
    enable_tap_policy(&admin_graph(&emu)).await;
    let path = format!(
        "/v1.0/users/{}/authentication/temporaryAccessPassMethods",
        lab_upn(&emu).as_str()
    );
    let (status, body) = send(
        &emu,
        reqwest::Method::POST,
        &path,
        json!({"lifetimeInMinutes": 60, "usableOnce": true}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Property 'usableOnce' does not exist as a declared property or extension property on type 'microsoft.graph.temporaryAccessPassAuthenticationMethod'."
    );
    let (status, _) = send(
        &emu,
        reqwest::Method::POST,
        &path,
        json!({"lifetimeInMinutes": 60, "isUsableOnce": true}),
    )
    .await;
    assert_eq!(status, 201, "the published names pass");
}

#[tokio::test]
async fn an_enum_value_that_is_no_member_is_refused() {
    let emu = start().await;
    let path = format!("/beta/policies/mobileDeviceManagementPolicies/{MDM_POLICY_ID}");
    let (status, body) = send(
        &emu,
        reqwest::Method::PATCH,
        &path,
        json!({"appliesTo": "everyone"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'everyone'") && message.contains("policyScope"),
        "{message}"
    );
}

#[tokio::test]
async fn an_emulator_answer_that_breaks_the_schema_fails_loudly() {
    let emu = start().await;
    emu.state()
        .write(|t| t.tap_policy["usableOnceOnly"] = json!(true));
    let (status, body) = send(
        &emu,
        reqwest::Method::GET,
        &format!("/v1.0{TAP_POLICY}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "emulatorSchemaViolation");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'usableOnceOnly'")
            && message
                .contains("microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"),
        "{message}"
    );
}

fn check<T: Serialize>(version: EmuVersion, type_name: &str, model: &T) -> Report {
    let value = serde_json::to_value(model).expect("model serialises");
    check_entity(version, type_name, &value)
}

/// Every model, fully populated with values our client sends or expects, against its type.
#[test]
fn every_typed_model_uses_published_names_and_enum_values() {
    use EmuVersion::{Beta, V1};
    let id = || AuthMethodId::from("m1");
    let user_target = AuthMethodTarget {
        id: ALL_USERS.into(),
        target_type: "group".into(),
        is_registration_required: Some(false),
    };
    let exclude = ExcludeTarget {
        id: "g1".into(),
        target_type: "group".into(),
    };
    let checks: Vec<(&str, Report)> = vec![
        (
            "device",
            check(
                V1,
                "device",
                &Device {
                    id: DeviceObjectId::from("d1"),
                    device_id: Some(DeviceId::from("dd")),
                    display_name: Some("LAB-VM".into()),
                    trust_type: Some("AzureAd".into()),
                    is_managed: Some(true),
                    is_compliant: Some(true),
                    mdm_app_id: Some(MDM_POLICY_ID.into()),
                    registration_date_time: Some("2025-01-01T00:00:00Z".into()),
                },
            ),
        ),
        (
            "managedDevice",
            check(
                V1,
                "managedDevice",
                &ManagedDevice {
                    id: ManagedDeviceId::from("m"),
                    azure_ad_device_id: Some(DeviceId::from("dd")),
                    device_name: Some("LAB-VM".into()),
                    user_principal_name: Some("a@b".into()),
                    device_enrollment_type: Some("windowsAzureADJoin".into()),
                    management_agent: Some("mdm".into()),
                    enrolled_date_time: Some("2025-01-01T00:00:00Z".into()),
                },
            ),
        ),
        (
            "tap",
            check(
                V1,
                "temporaryAccessPassAuthenticationMethod",
                &TapMethod {
                    id: id(),
                    created_date_time: Some("2025-01-01T00:00:00Z".into()),
                    start_date_time: Some("2025-01-01T00:00:00Z".into()),
                    lifetime_in_minutes: Some(60),
                    is_usable_once: Some(true),
                    is_usable: Some(true),
                    method_usability_reason: Some("EnabledByPolicy".into()),
                },
            ),
        ),
        (
            "newTap",
            check(
                V1,
                "temporaryAccessPassAuthenticationMethod",
                &NewTap {
                    lifetime_in_minutes: Some(60),
                    is_usable_once: Some(true),
                    start_date_time: Some("2025-01-01T00:00:00Z".into()),
                },
            ),
        ),
        (
            "whfb",
            check(
                V1,
                "windowsHelloForBusinessAuthenticationMethod",
                &WhfbMethod {
                    id: id(),
                    display_name: Some("LAB-VM".into()),
                    created_date_time: Some("2025-01-01T00:00:00Z".into()),
                    key_strength: Some("normal".into()),
                    device: None,
                },
            ),
        ),
        (
            "mdm",
            check(
                Beta,
                "mobileDeviceManagementPolicy",
                &MdmPolicy {
                    id: MDM_POLICY_ID.into(),
                    applies_to: Some("selected".into()),
                    display_name: Some("Microsoft Intune".into()),
                    is_valid: Some(true),
                    included_groups: vec![DirectoryObject {
                        odata_type: Some("#microsoft.graph.group".into()),
                        id: Some("g1".into()),
                        display_name: Some("Lab devices".into()),
                        role_template_id: None,
                    }],
                },
            ),
        ),
        (
            "enrollment",
            check(
                V1,
                "deviceEnrollmentConfiguration",
                &EnrollmentConfiguration {
                    id: "c".into(),
                    odata_type: Some(WHFB_CONFIG_TYPE.into()),
                    display_name: Some("All users and all devices".into()),
                    priority: Some(0),
                },
            ),
        ),
        (
            "whfbConfig",
            check(
                V1,
                "deviceEnrollmentWindowsHelloForBusinessConfiguration",
                &WhfbConfig {
                    id: "c".into(),
                    state: Some("enabled".into()),
                    pin_minimum_length: Some(6),
                    pin_maximum_length: Some(127),
                },
            ),
        ),
        (
            "tapConfig",
            check(
                V1,
                "temporaryAccessPassAuthenticationMethodConfiguration",
                &TapMethodConfig {
                    state: "enabled".into(),
                    default_lifetime_in_minutes: Some(60),
                    minimum_lifetime_in_minutes: Some(60),
                    maximum_lifetime_in_minutes: Some(480),
                    default_length: Some(8),
                    is_usable_once: Some(false),
                    include_targets: vec![user_target.clone()],
                    exclude_targets: vec![exclude],
                },
            ),
        ),
        (
            "tapPatch",
            check(
                V1,
                "temporaryAccessPassAuthenticationMethodConfiguration",
                &TapPolicyPatch {
                    state: "enabled".into(),
                    include_targets: Some(vec![user_target]),
                },
            ),
        ),
        (
            "ca",
            check(
                V1,
                "conditionalAccessPolicy",
                &ConditionalAccessPolicy {
                    id: "p".into(),
                    display_name: Some("Require MFA".into()),
                    state: Some("enabledForReportingButNotEnforced".into()),
                    conditions: Some(ConditionalAccessConditions {
                        users: Some(ConditionalAccessUsers {
                            include_users: vec!["All".into()],
                            exclude_groups: vec!["g1".into()],
                            ..Default::default()
                        }),
                        applications: Some(ConditionalAccessApplications {
                            include_applications: vec!["All".into()],
                            exclude_applications: Vec::new(),
                        }),
                    }),
                    grant_controls: Some(GrantControls {
                        built_in_controls: vec!["mfa".into(), "compliantDevice".into()],
                        operator: Some("OR".into()),
                        authentication_strength: Some(AuthenticationStrength {
                            id: Some("00000000-0000-0000-0000-000000000002".into()),
                            display_name: Some("Multifactor authentication".into()),
                        }),
                    }),
                },
            ),
        ),
        (
            "signIn",
            check(
                Beta,
                "signIn",
                &SignIn {
                    id: "s".into(),
                    created_date_time: Some("2025-01-01T00:00:00Z".into()),
                    user_id: Some("u".into()),
                    user_principal_name: Some("a@b".into()),
                    app_display_name: Some("My Apps".into()),
                    authentication_requirement: Some("multiFactorAuthentication".into()),
                    status: Some(SignInStatus {
                        error_code: 0,
                        failure_reason: Some("Other.".into()),
                        additional_details: Some(
                            "MFA requirement satisfied by claim in the token".into(),
                        ),
                    }),
                    device_detail: Some(SignInDeviceDetail {
                        device_id: Some("dd".into()),
                        display_name: Some("LAB-VM".into()),
                        trust_type: Some("Azure AD joined".into()),
                        operating_system: Some("Windows10".into()),
                    }),
                    authentication_details: vec![AuthenticationDetail {
                        authentication_method: Some("Temporary Access Pass".into()),
                        succeeded: Some(true),
                        authentication_step_result_detail: Some(
                            "MFA requirement satisfied by claim in the token".into(),
                        ),
                        authentication_step_requirement: Some("Primary authentication".into()),
                    }],
                    sign_in_event_types: vec![
                        "interactiveUser".into(),
                        "nonInteractiveUser".into(),
                    ],
                },
            ),
        ),
        (
            "user",
            check(
                V1,
                "user",
                &User {
                    id: UserId::from("u"),
                    user_principal_name: "a@b".into(),
                    display_name: Some("A".into()),
                    account_enabled: Some(true),
                    user_type: Some("Member".into()),
                    identities: vec![ObjectIdentity {
                        sign_in_type: Some("userPrincipalName".into()),
                        issuer: Some("b".into()),
                        issuer_assigned_id: Some("a@b".into()),
                    }],
                },
            ),
        ),
        (
            "organization",
            check(
                V1,
                "organization",
                &Organization {
                    id: TenantId::from("t"),
                    display_name: Some("Contoso".into()),
                },
            ),
        ),
        (
            "directoryObject",
            check(
                V1,
                "directoryObject",
                &DirectoryObject {
                    odata_type: Some("#microsoft.graph.directoryRole".into()),
                    id: Some("r".into()),
                    display_name: Some("Global Reader".into()),
                    role_template_id: Some("f2ef992c-3afb-46b9-b7cf-a126ee74c451".into()),
                },
            ),
        ),
        (
            "directoryRole",
            check(
                V1,
                "directoryRole",
                &DirectoryRole {
                    display_name: Some("Global Reader".into()),
                    role_template_id: Some("f2ef992c-3afb-46b9-b7cf-a126ee74c451".into()),
                },
            ),
        ),
    ];
    let broken: Vec<String> = checks
        .iter()
        .flat_map(|(name, report)| {
            report
                .violations
                .iter()
                .map(move |v| format!("{name}: {v}"))
        })
        .collect();
    assert!(
        broken.is_empty(),
        "models that break Microsoft's schema:\n{}",
        broken.join("\n")
    );
    let fields: usize = checks.iter().map(|(_, r)| r.shape.len()).sum();
    assert!(fields > 60, "every field was looked at ({fields})");
}

#[test]
fn a_model_with_an_invented_field_would_fail() {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Invented {
        id: String,
        trust_kind: String,
    }
    let report = check(
        EmuVersion::V1,
        "device",
        &Invented {
            id: "d".into(),
            trust_kind: "AzureAd".into(),
        },
    );
    assert_eq!(report.violations.len(), 1);
    assert_eq!(report.violations[0].at, "trustKind");
    assert_eq!(report.violations[0].type_name, "microsoft.graph.device");
}
