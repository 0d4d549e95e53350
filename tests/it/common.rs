//! Set-up many integration tests repeat: the real Graph client on the emulator's loopback URL
//! (with a given token or the admin's), the tenant set-up many tests start from (TAP policy on,
//! MDM scope all), the emulator's request log, and walking a folder for the files a run left.

use hello_bootstrap::emulator::EmulatorHandle;
use hello_bootstrap::graph::models::{MDM_POLICY_ID, TAP_CONFIG_TYPE};
use hello_bootstrap::graph::{ApiVersion, GraphClient, GraphConfig, StaticToken};
use hello_bootstrap::lab::{Secret, Upn};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The TAP authentication method configuration, relative to the version root.
pub const TAP_POLICY: &str =
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

/// A token from either side of the wire (ours, or one the emulator minted) as our client's secret.
pub trait ClientToken {
    fn client_secret(self) -> Secret;
}

impl ClientToken for Secret {
    fn client_secret(self) -> Secret {
        self
    }
}

impl ClientToken for hello_bootstrap::emulator::ids::Secret {
    fn client_secret(self) -> Secret {
        Secret::new(self.expose())
    }
}

/// The real Graph client on `graph_url`, sending `token` as it is.
pub fn graph_client(graph_url: &str, token: impl ClientToken) -> GraphClient {
    let config = GraphConfig::from_root(graph_url).expect("graph url");
    GraphClient::new(config, Arc::new(StaticToken(token.client_secret()))).expect("client")
}

/// The emulator's long-lived admin token, as our client's secret type (the emulator shares no
/// type with the client).
pub fn admin_token(emu: &EmulatorHandle) -> Secret {
    Secret::new(emu.access_token().expose())
}

/// The emulator's demo admin as our client's UPN type.
pub fn admin_upn(emu: &EmulatorHandle) -> Upn {
    Upn::parse(&emu.admin_upn).expect("the demo admin's UPN")
}

/// The emulator's lab user as our client's UPN type.
pub fn lab_upn(emu: &EmulatorHandle) -> Upn {
    Upn::parse(&emu.lab_user_upn).expect("the lab user's UPN")
}

/// The real Graph client signed in as the emulator's admin.
pub fn admin_graph(emu: &EmulatorHandle) -> GraphClient {
    graph_client(&emu.graph_url, admin_token(emu))
}

/// Turns the TAP policy on, as the lab's step 5 does, for tests that need passes issued.
pub async fn enable_tap_policy(graph: &GraphClient) {
    graph
        .patch(
            ApiVersion::V1,
            TAP_POLICY,
            &json!({ "@odata.type": TAP_CONFIG_TYPE, "state": "enabled" }),
        )
        .await
        .expect("TAP policy enabled");
}

/// Sets the MDM user scope to all users, as the lab's step 1 does, so a join also enrolls.
pub async fn mdm_scope_all(graph: &GraphClient) {
    graph
        .patch(
            ApiVersion::Beta,
            &format!("/policies/mobileDeviceManagementPolicies/{MDM_POLICY_ID}"),
            &json!({ "appliesTo": "all" }),
        )
        .await
        .expect("MDM user scope set to all");
}

/// The emulator's log of the Graph requests it answered, oldest first.
pub async fn emulator_requests(emu: &EmulatorHandle) -> Vec<Value> {
    let body: Value = reqwest::get(format!("{}/_emulator/requests", emu.graph_url))
        .await
        .expect("request log reachable")
        .json()
        .await
        .expect("request log is JSON");
    body["requests"]
        .as_array()
        .expect("request log has requests")
        .clone()
}

/// Every file below `dir`, at any depth (none where a folder cannot be read).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
