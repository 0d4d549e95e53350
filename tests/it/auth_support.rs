//! Shared set-up for the sign-in tests: an emulator on loopback, keyring-core's mock store, and
//! small calls to the emulator's `/_emulator/login/` hooks.

use hello_bootstrap::auth::{
    AuthConfig, AuthSession, DEFAULT_CLIENT_ID, HeadlessBrowser, Interaction, KeyringStore,
    SecretStore,
};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::lab::{Step, Upn};
use serde_json::Value;
use std::sync::{Arc, Once};

/// Installs keyring-core's mock store as the default store, once per test binary.
pub fn mock_keyring() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        keyring_core::set_default_store(keyring_core::mock::Store::new().expect("mock store"));
    });
}

pub async fn emulator() -> EmulatorHandle {
    mock_keyring();
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

/// A token cache on the default (mock) store under a service name unique to the test.
pub fn store(service: &str) -> Arc<KeyringStore> {
    mock_keyring();
    Arc::new(KeyringStore::default_store(service).expect("default store"))
}

pub fn config(emu: &EmulatorHandle) -> AuthConfig {
    AuthConfig::new(&emu.login_url, &emu.tenant_id, DEFAULT_CLIENT_ID).expect("config")
}

pub fn upn(s: &str) -> Upn {
    Upn::parse(s).expect("upn")
}

/// A session that signs in through the headless browser as `user`.
pub fn browser_session(
    emu: &EmulatorHandle,
    store: Arc<dyn SecretStore>,
    user: &Upn,
    hint: bool,
) -> AuthSession {
    let browser = HeadlessBrowser::new(Some(user.clone())).expect("browser");
    AuthSession::new(
        config(emu),
        store,
        Interaction::Browser(Arc::new(browser)),
        hello_bootstrap::auth::scopes_for_steps(&Step::ALL),
    )
    .expect("session")
    .with_login_hint(hint.then(|| user.clone()))
}

pub async fn hook(emu: &EmulatorHandle, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/_emulator/login/{path}", emu.login_url))
        .json(&body)
        .send()
        .await
        .expect("hook reachable");
    assert!(
        response.status().is_success(),
        "hook {path} failed: {}",
        response.status()
    );
    response.json().await.expect("hook json")
}

pub async fn hook_get(emu: &EmulatorHandle, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/_emulator/login/{path}", emu.login_url))
        .send()
        .await
        .expect("hook reachable");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// How often an event happened at the login side (`authorize`, `token:refresh_token`, …).
pub async fn stat(emu: &EmulatorHandle, event: &str) -> u64 {
    let (_, stats) = hook_get(emu, "stats").await;
    stats.get(event).and_then(Value::as_u64).unwrap_or(0)
}
