//! The emulated tenant's state (serialisable, persisted when a state file is set) and the shared
//! server state around it (token registry, fault rules, request log). A TAP code is kept only as a
//! salted SHA-256 hash; tokens live in the registry, never in [`TenantState`].

use super::config::{EmulatorConfig, FaultRule};
pub use super::records::{
    DeviceRecord, ManagedDeviceRecord, TapRecord, UserRecord, WhfbRecord, graph_time,
};
use super::tokens::TokenRegistry;
use crate::ids::TenantId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// The tenant's identity.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TenantInfo {
    pub id: TenantId,
    pub display_name: String,
    /// The initial `onmicrosoft.com` domain, used in every seeded UPN.
    pub domain: String,
}

/// Everything the emulated tenant holds. Serialisable for the state file; holds no secret.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TenantState {
    pub tenant: TenantInfo,
    pub admin_upn: String,
    pub lab_user_upn: String,
    /// Entra ID P1 (sign-in logs need it).
    pub has_premium: bool,
    pub users: Vec<UserRecord>,
    /// `mobileDeviceManagementPolicies` (beta), as Graph objects.
    pub mdm_policies: Vec<Value>,
    /// `deviceEnrollmentConfigurations`, as beta Graph objects.
    pub enrollment_configurations: Vec<Value>,
    /// `authenticationMethodConfigurations/TemporaryAccessPass`, as a Graph object.
    pub tap_policy: Value,
    pub conditional_access_policies: Vec<Value>,
    pub devices: Vec<DeviceRecord>,
    pub managed_devices: Vec<ManagedDeviceRecord>,
    /// Sign-in log entries in the beta shape, oldest first.
    pub sign_ins: Vec<Value>,
}

impl TenantState {
    /// A user by object id or UPN (case-insensitive, like Graph).
    pub fn user(&self, id_or_upn: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| user_matches(u, id_or_upn))
    }

    /// Like [`TenantState::user`], for changes.
    pub fn user_mut(&mut self, id_or_upn: &str) -> Option<&mut UserRecord> {
        self.users.iter_mut().find(|u| user_matches(u, id_or_upn))
    }

    /// Whether the TAP policy is on.
    pub fn tap_policy_enabled(&self) -> bool {
        self.tap_policy.get("state").and_then(Value::as_str) == Some("enabled")
    }

    /// Whether the TAP policy targets `user` (all_users or the user itself, minus exclusions).
    pub fn tap_policy_targets(&self, user: &UserRecord) -> bool {
        let listed = |key: &str| {
            self.tap_policy
                .get(key)
                .and_then(Value::as_array)
                .map(|targets| {
                    targets.iter().any(|t| {
                        let id = t.get("id").and_then(Value::as_str).unwrap_or_default();
                        id.eq_ignore_ascii_case("all_users")
                            || id.eq_ignore_ascii_case(user.id.as_str())
                    })
                })
                .unwrap_or(false)
        };
        listed("includeTargets") && !listed("excludeTargets")
    }

    /// The MDM policy's `appliesTo` (none | all | selected).
    pub fn mdm_applies_to(&self) -> String {
        self.mdm_policies
            .iter()
            .find(|p| p.get("id").and_then(Value::as_str) == Some(crate::api::MDM_POLICY_ID))
            .and_then(|p| p.get("appliesTo"))
            .and_then(Value::as_str)
            .unwrap_or("none")
            .to_string()
    }

    /// The id of the tenant-wide default WHfB enrollment configuration.
    pub fn whfb_config_id(&self) -> String {
        format!("{}_DefaultWindowsHelloForBusiness", self.tenant.id)
    }

    /// The default WHfB configuration's `state`.
    pub fn whfb_state(&self) -> String {
        let id = self.whfb_config_id();
        self.enrollment_configurations
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .and_then(|c| c.get("state"))
            .and_then(Value::as_str)
            .unwrap_or("notConfigured")
            .to_string()
    }
}

fn user_matches(user: &UserRecord, id_or_upn: &str) -> bool {
    user.id.as_str().eq_ignore_ascii_case(id_or_upn)
        || user.user_principal_name.eq_ignore_ascii_case(id_or_upn)
}

/// One line of the request log that tests read through `GET /_emulator/requests`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RequestLogEntry {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// True for requests dispatched from inside a `$batch`.
    pub in_batch: bool,
}

/// A fault rule with its remaining count.
#[derive(Clone, Debug)]
pub(crate) struct ActiveFault {
    pub rule: FaultRule,
    pub remaining: Option<u32>,
}

/// State shared by every handler: the tenant, the token registry, fault rules and the request log.
pub struct EmulatorState {
    tenant: Mutex<TenantState>,
    /// Access tokens (memory only).
    pub tokens: TokenRegistry,
    /// The login side's own state (authorization codes, device codes, refresh tokens).
    pub login: super::login::LoginState,
    config: EmulatorConfig,
    faults: Mutex<Vec<ActiveFault>>,
    requests: Mutex<Vec<RequestLogEntry>>,
    root_url: OnceLock<String>,
    dispatcher: Mutex<Option<axum::Router>>,
    /// Answers to lose after applying the request (tests of a client's reconcile).
    pub(crate) lost_answers: crate::lost_answers::LostAnswers,
}

/// The handle handlers get.
pub type SharedState = Arc<EmulatorState>;

impl EmulatorState {
    /// Builds the state: loads `config.state_file` when present, else seeds the demo tenant.
    pub fn new(config: EmulatorConfig) -> Result<SharedState, String> {
        let tenant = match &config.state_file {
            Some(path) if path.exists() => load(path)?,
            _ => super::seed::seed_tenant(config.seed, config.extra_users),
        };
        let faults = config
            .faults
            .iter()
            .map(|rule| ActiveFault {
                rule: rule.clone(),
                remaining: rule.count,
            })
            .collect();
        let state = Arc::new(EmulatorState {
            tenant: Mutex::new(tenant),
            tokens: TokenRegistry::default(),
            login: Default::default(),
            config,
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
            root_url: OnceLock::new(),
            dispatcher: Mutex::new(None),
            lost_answers: Default::default(),
        });
        state.save();
        Ok(state)
    }

    /// Reads the tenant.
    pub fn read<R>(&self, f: impl FnOnce(&TenantState) -> R) -> R {
        f(&lock(&self.tenant))
    }

    /// Changes the tenant and saves it to the state file (atomically) when one is set.
    pub fn write<R>(&self, f: impl FnOnce(&mut TenantState) -> R) -> R {
        let mut guard = lock(&self.tenant);
        let result = f(&mut guard);
        self.save_locked(&guard);
        result
    }

    /// Puts the tenant back to its seed.
    pub fn reset(&self) {
        let fresh = super::seed::seed_tenant(self.config.seed, self.config.extra_users);
        self.write(|t| *t = fresh);
        lock(&self.requests).clear();
    }

    /// The configuration the emulator was started with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// The server's root URL (`http://127.0.0.1:PORT`), known once it is bound.
    pub fn root_url(&self) -> &str {
        self.root_url.get().map(String::as_str).unwrap_or("")
    }

    pub(crate) fn set_root_url(&self, url: String) {
        let _ = self.root_url.set(url);
    }

    /// The router `$batch` dispatches inner requests through (set by `router()`, cleared on
    /// shutdown to break the state-router cycle).
    pub(crate) fn set_dispatcher(&self, router: Option<axum::Router>) {
        *lock(&self.dispatcher) = router;
    }

    pub(crate) fn dispatcher(&self) -> Option<axum::Router> {
        lock(&self.dispatcher).clone()
    }

    /// The tenant id (fixed per seed).
    pub fn tenant_id(&self) -> TenantId {
        self.read(|t| t.tenant.id.clone())
    }

    pub(crate) fn add_faults(&self, rules: Vec<FaultRule>) {
        lock(&self.faults).extend(rules.into_iter().map(|rule| ActiveFault {
            remaining: rule.count,
            rule,
        }));
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// The first fault matching a request, consuming one of its count.
    pub(crate) fn take_fault(&self, method: &str, path: &str) -> Option<FaultRule> {
        let mut faults = lock(&self.faults);
        let hit = faults
            .iter_mut()
            .find(|f| f.remaining != Some(0) && f.rule.matches(method, path))?;
        if let Some(n) = hit.remaining.as_mut() {
            *n -= 1;
        }
        Some(hit.rule.clone())
    }

    pub(crate) fn log_request(&self, entry: RequestLogEntry) {
        let mut log = lock(&self.requests);
        if log.len() >= 10_000 {
            log.remove(0);
        }
        log.push(entry);
    }

    /// The request log.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        lock(&self.requests).clone()
    }

    fn save(&self) {
        let guard = lock(&self.tenant);
        self.save_locked(&guard);
    }

    fn save_locked(&self, tenant: &TenantState) {
        let Some(path) = &self.config.state_file else {
            return;
        };
        match serde_json::to_vec_pretty(tenant) {
            Ok(bytes) => {
                if let Err(e) = crate::ids::write_atomic(path, &bytes) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot save the emulator state");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot serialise the emulator state"),
        }
    }
}

fn load(path: &PathBuf) -> Result<TenantState, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read the emulator state file {}: {e}",
            path.display()
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "the emulator state file {} is not valid ({e}); delete it or start with a fresh state (--demo-reset)",
            path.display()
        )
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
