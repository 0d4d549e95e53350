//! The OOBE sign-in hook: a right TAP joins the device (Entra device, Intune managed device when
//! the MDM scope covers the user, WHfB key, sign-in log entries); wrong, expired and used TAPs,
//! unknown and disabled users fail with codes and messages a person at the OOBE screen can act on.

use crate::common::{TAP_POLICY, admin_graph, enable_tap_policy, graph_client, mdm_scope_all};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::graph::models::{MDM_POLICY_ID, TAP_CONFIG_TYPE};
use hello_bootstrap::graph::{ApiVersion, GraphClient};
use serde_json::{Value, json};

struct Lab {
    emu: EmulatorHandle,
    graph: GraphClient,
    http: reqwest::Client,
}

impl Lab {
    async fn start() -> Lab {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let graph = admin_graph(&emu);
        enable_tap_policy(&graph).await;
        Lab {
            emu,
            graph,
            http: reqwest::Client::new(),
        }
    }

    fn methods(&self) -> String {
        format!(
            "/users/{}/authentication/temporaryAccessPassMethods",
            self.emu.lab_user_upn
        )
    }

    async fn issue(&self, body: Value) -> String {
        let created = self
            .graph
            .post(ApiVersion::V1, &self.methods(), &body)
            .await
            .unwrap();
        created["temporaryAccessPass"].as_str().unwrap().to_string()
    }

    async fn oobe(&self, upn: &str, tap: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/_emulator/oobe-signin", self.emu.graph_url))
            .json(&json!({ "upn": upn, "tap": tap, "device_name": "LAB-PC01" }))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test]
async fn the_right_tap_joins_the_device_and_leaves_evidence_in_graph() {
    let lab = Lab::start().await;
    mdm_scope_all(&lab.graph).await;
    let tap = lab.issue(json!({})).await;
    let upn = lab.emu.lab_user_upn.to_string();
    let (status, joined) = lab.oobe(&upn, &tap).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["tenant_id"], lab.emu.tenant_id.as_str());
    assert_eq!(joined["tenant_name"], "Contoso Lab");
    let device_id = joined["device_id"].as_str().unwrap().to_string();

    let devices = lab
        .graph
        .get_all(ApiVersion::V1, "/devices?$filter=displayName eq 'LAB-PC01'")
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["deviceId"], device_id.as_str());
    assert_eq!(devices[0]["id"], joined["device_object_id"]);
    assert_eq!(devices[0]["trustType"], "AzureAd");
    assert_eq!(devices[0]["isManaged"], true);
    assert_eq!(devices[0]["mdmAppId"], MDM_POLICY_ID);

    let managed = lab
        .graph
        .get_all(
            ApiVersion::V1,
            &format!("/deviceManagement/managedDevices?$filter=azureADDeviceId eq '{device_id}'"),
        )
        .await
        .unwrap();
    assert_eq!(managed.len(), 1);
    assert_eq!(managed[0]["id"], joined["managed_device_id"]);
    assert_eq!(managed[0]["userPrincipalName"], upn.as_str());
    assert_eq!(managed[0]["managementAgent"], "mdm");

    let keys = lab
        .graph
        .get_all(
            ApiVersion::V1,
            &format!("/users/{upn}/authentication/windowsHelloForBusinessMethods"),
        )
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], joined["whfb_method_id"]);
    assert_eq!(keys[0]["displayName"], "LAB-PC01");

    let (status, app) = {
        let r = lab
            .http
            .post(format!("{}/_emulator/app-signin", lab.emu.graph_url))
            .json(&json!({ "upn": upn, "device_id": device_id, "app": "My Apps" }))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200, "{app}");

    let user_id = joined["user_id"].as_str().unwrap();
    let filter = format!(
        "/auditLogs/signIns?$filter=userId eq '{user_id}' and createdDateTime ge 2020-01-01T00:00:00Z"
    );
    // The TAP typed at OOBE is interactive; single sign-on with the PRT is in the
    // non-interactive log, which only a signInEventTypes filter reads.
    let interactive = lab.graph.get_all(ApiVersion::Beta, &filter).await.unwrap();
    assert_eq!(interactive.len(), 1, "the TAP at OOBE: {interactive:#?}");
    let background = format!("{filter} and signInEventTypes/any(t: t eq 'nonInteractiveUser')");
    let mut beta = lab
        .graph
        .get_all(ApiVersion::Beta, &background)
        .await
        .unwrap();
    assert_eq!(beta.len(), 2, "the PRT sign-in, My Apps");
    beta.extend(interactive);
    assert_eq!(beta[0]["appDisplayName"], "My Apps", "newest first");
    assert_eq!(beta[0]["id"], app["sign_in_id"]);
    let claim = "MFA requirement satisfied by claim in the token";
    assert_eq!(
        beta[0]["authenticationDetails"][0]["authenticationStepResultDetail"],
        claim
    );
    assert_eq!(beta[0]["status"]["additionalDetails"], claim);
    assert_eq!(beta[0]["incomingTokenType"], "Primary Refresh Token");
    assert_eq!(beta[0]["deviceDetail"]["deviceId"], device_id.as_str());
    assert_eq!(beta[0]["deviceDetail"]["trustType"], "Azure AD joined");
    assert_eq!(
        beta[0]["authenticationRequirement"],
        "multiFactorAuthentication"
    );
    assert_eq!(
        beta[1]["authenticationDetails"][0]["authenticationStepResultDetail"],
        claim
    );
    assert_eq!(
        beta[2]["authenticationDetails"][0]["authenticationMethod"],
        "Temporary Access Pass"
    );
    let log = lab
        .http
        .get(format!("{}/_emulator/requests", lab.emu.graph_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("/_emulator/oobe-signin"));
    assert!(!log.contains(&tap), "the request log never holds a TAP");
    assert!(
        !log.contains(lab.emu.access_token().expose()),
        "nor a token"
    );
    // v1.0 has no signInEventTypes: its list is the interactive log.
    let v1 = lab.graph.get_all(ApiVersion::V1, &filter).await.unwrap();
    assert_eq!(v1.len(), 1);
    assert!(
        v1[0].get("authenticationDetails").is_none(),
        "v1.0 has the basic shape"
    );
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn without_the_mdm_scope_the_device_joins_but_is_not_enrolled() {
    let lab = Lab::start().await;
    let tap = lab.issue(json!({})).await;
    let (status, joined) = lab.oobe(lab.emu.lab_user_upn.as_str(), &tap).await;
    assert_eq!(status, 200);
    assert_eq!(joined["managed_device_id"], Value::Null);
    assert_eq!(joined["mdm_enrolled"], false);
    let managed = lab
        .graph
        .get_all(ApiVersion::V1, "/deviceManagement/managedDevices")
        .await
        .unwrap();
    assert!(managed.is_empty());
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_tap_is_refused_and_nothing_is_created() {
    let lab = Lab::start().await;
    let tap = lab.issue(json!({})).await;
    let wrong = format!("{tap}x");
    let (status, body) = lab.oobe(lab.emu.lab_user_upn.as_str(), &wrong).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "InvalidTap");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("isn't right")
    );
    assert!(!body.to_string().contains(&tap));
    assert!(
        lab.graph
            .get_all(ApiVersion::V1, "/devices")
            .await
            .unwrap()
            .is_empty()
    );
    // The right one still works afterwards.
    assert_eq!(lab.oobe(lab.emu.lab_user_upn.as_str(), &tap).await.0, 200);
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn an_expired_tap_is_refused_with_when_it_expired() {
    let lab = Lab::start().await;
    let start = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let tap = lab
        .issue(json!({ "startDateTime": start, "lifetimeInMinutes": 60 }))
        .await;
    let listed = lab
        .graph
        .get_all(ApiVersion::V1, &lab.methods())
        .await
        .unwrap();
    assert_eq!(listed[0]["methodUsabilityReason"], "Expired");
    let (status, body) = lab.oobe(lab.emu.lab_user_upn.as_str(), &tap).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "TapExpired");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired at")
    );
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn a_one_time_tap_works_once() {
    let lab = Lab::start().await;
    let tap = lab.issue(json!({ "isUsableOnce": true })).await;
    let upn = lab.emu.lab_user_upn.to_string();
    assert_eq!(lab.oobe(&upn, &tap).await.0, 200);
    let (status, body) = lab.oobe(&upn, &tap).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "TapAlreadyUsed");
    let listed = lab
        .graph
        .get_all(ApiVersion::V1, &lab.methods())
        .await
        .unwrap();
    assert_eq!(listed[0]["methodUsabilityReason"], "OneTimeUsed");
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn unknown_and_disabled_users_and_a_switched_off_policy_are_explained() {
    let lab = Lab::start().await;
    let (status, body) = lab
        .oobe("nobody@contosolab.onmicrosoft.com", "whatever")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "UserNotFound");
    let (status, body) = lab
        .oobe("patti.fernandez@contosolab.onmicrosoft.com", "whatever")
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "UserDisabled");
    let tap = lab.issue(json!({})).await;
    lab.graph
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "disabled" }),
        )
        .await
        .unwrap();
    let (status, body) = lab.oobe(lab.emu.lab_user_upn.as_str(), &tap).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("turned off")
    );
    // Enabled again but excluding the lab user: still refused at sign-in.
    let user_id = lab
        .emu
        .state()
        .read(|t| t.user(lab.emu.lab_user_upn.as_str()).unwrap().id.clone());
    lab.graph
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled",
                     "excludeTargets": [{ "targetType": "user", "id": user_id.as_str() }] }),
        )
        .await
        .unwrap();
    let (status, body) = lab.oobe(lab.emu.lab_user_upn.as_str(), &tap).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "InvalidTap");
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn reset_puts_the_tenant_back_to_its_seed() {
    let lab = Lab::start().await;
    let tap = lab.issue(json!({})).await;
    assert_eq!(lab.oobe(lab.emu.lab_user_upn.as_str(), &tap).await.0, 200);
    let reset = lab
        .http
        .post(format!("{}/_emulator/reset", lab.emu.graph_url))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(
        lab.graph
            .get_all(ApiVersion::V1, "/devices")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        lab.graph.get(ApiVersion::V1, TAP_POLICY).await.unwrap()["state"],
        "disabled"
    );
    assert!(
        lab.graph
            .get_all(ApiVersion::V1, &lab.methods())
            .await
            .unwrap()
            .is_empty()
    );
    lab.emu.shutdown().await;
}

#[tokio::test]
async fn step_7_clean_up_deletes_device_managed_device_and_key() {
    let lab = Lab::start().await;
    mdm_scope_all(&lab.graph).await;
    let tap = lab.issue(json!({})).await;
    let upn = lab.emu.lab_user_upn.to_string();
    let (_, joined) = lab.oobe(&upn, &tap).await;
    let key_path = format!(
        "/users/{upn}/authentication/windowsHelloForBusinessMethods/{}",
        joined["whfb_method_id"].as_str().unwrap()
    );
    let key = lab
        .graph
        .get(ApiVersion::V1, &format!("{key_path}?$expand=device"))
        .await
        .unwrap();
    assert_eq!(key["device"]["deviceId"], joined["device_id"]);

    // A Helpdesk Administrator may not delete the device; the demo admin may.
    let helpdesk = lab
        .emu
        .mint_token(
            "lee.gu@contosolab.onmicrosoft.com",
            hello_bootstrap::emulator::scopes::ALL_GRAPH_SCOPES,
        )
        .unwrap();
    let graph_helpdesk = graph_client(&lab.emu.graph_url, helpdesk);
    let device_path = format!("/devices/{}", joined["device_object_id"].as_str().unwrap());
    let err = graph_helpdesk
        .delete(ApiVersion::V1, &device_path)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));

    lab.graph.delete(ApiVersion::V1, &key_path).await.unwrap();
    lab.graph
        .delete(ApiVersion::V1, &device_path)
        .await
        .unwrap();
    lab.graph
        .delete(
            ApiVersion::V1,
            &format!(
                "/deviceManagement/managedDevices/{}",
                joined["managed_device_id"].as_str().unwrap()
            ),
        )
        .await
        .unwrap();
    assert!(
        lab.graph
            .get_all(ApiVersion::V1, "/devices")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        lab.graph
            .get_all(ApiVersion::V1, "/deviceManagement/managedDevices")
            .await
            .unwrap()
            .is_empty()
    );
    let err = lab.graph.get(ApiVersion::V1, &key_path).await.unwrap_err();
    assert_eq!(err.code(), Some("itemNotFound"));
    let err = lab
        .graph
        .delete(ApiVersion::V1, &device_path)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("Request_ResourceNotFound"));
    lab.emu.shutdown().await;
}
