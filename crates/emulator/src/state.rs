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
    /// Licences, join policy, security defaults and MAM scope (ready unless a test changes it).
    #[serde(default)]
    pub readiness: super::readiness::Readiness,
    /// Security groups with their members.
    #[serde(default)]
    pub groups: Vec<crate::groups::GroupRecord>,
    /// Each MDM policy's `includedGroups` (group ids), by policy id.
    #[serde(default)]
    pub mdm_included_groups: std::collections::BTreeMap<String, Vec<String>>,
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

    /// Whether the TAP policy targets `user` (all_users, the user itself or a group the user is
    /// a member of, minus exclusions, which win).
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
                            || self.is_member(id, &user.id)
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
    /// The raw (still encoded) query string, when there was one: a read names the ids it
    /// depends on there too (`$filter=principalId eq '{id}'`), and a reader of the log that
    /// judges what waited for what needs to see them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub status: u16,
    /// True for requests dispatched from inside a `$batch`.
    pub in_batch: bool,
}

/// State shared by every handler: the tenant, the token registry, fault rules and the request log.
pub struct EmulatorState {
    tenant: Mutex<TenantState>,
    /// Access tokens (memory only).
    pub tokens: TokenRegistry,
    /// The login side's own state (authorization codes, device codes, refresh tokens).
    pub login: super::login::LoginState,
    config: EmulatorConfig,
    faults: super::faults::FaultInjector,
    requests: Mutex<Vec<RequestLogEntry>>,
    root_url: OnceLock<String>,
    dispatcher: Mutex<Option<axum::Router>>,
    /// Answers to lose after applying the request (tests of a client's reconcile).
    pub(crate) lost_answers: crate::lost_answers::LostAnswers,
    /// Admission and accounting of `$batch` calls (bounded memory under many large batches).
    pub(crate) batch_load: crate::batch_load::BatchLoad,
}

/// The handle handlers get.
pub type SharedState = Arc<EmulatorState>;

impl EmulatorState {
    /// Builds the state: loads `config.state_file` when present, else seeds the demo tenant.
    pub fn new(config: EmulatorConfig) -> Result<SharedState, String> {
        let tenant = match &config.state_file {
            Some(path) if path.exists() => match load(path) {
                Ok(tenant) => tenant,
                Err(LoadError::Unreadable(e)) => return Err(e),
                Err(LoadError::Damaged(e)) => {
                    // Keep the damaged file for a look, and start from the seed.
                    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
                    let aside = path.with_file_name(format!(
                        "{}.damaged-{stamp}",
                        path.file_name().unwrap_or_default().to_string_lossy()
                    ));
                    std::fs::rename(path, &aside).map_err(|m| {
                        format!("{e}; it cannot be moved aside ({m}): move it yourself")
                    })?;
                    tracing::warn!(
                        "{e}; it was moved to {} and the tenant starts from its seed",
                        aside.display()
                    );
                    super::seed::seed_tenant(config.seed, config.extra_users)
                }
            },
            _ => super::seed::seed_tenant(config.seed, config.extra_users),
        };
        let faults = super::faults::FaultInjector::new(
            &config.faults,
            config.fault_seed.unwrap_or(config.seed),
        );
        let state = Arc::new(EmulatorState {
            tenant: Mutex::new(tenant),
            tokens: TokenRegistry::default(),
            login: Default::default(),
            config,
            faults,
            requests: Mutex::new(Vec::new()),
            root_url: OnceLock::new(),
            dispatcher: Mutex::new(None),
            lost_answers: Default::default(),
            batch_load: Default::default(),
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
        self.faults.add(rules);
    }

    pub(crate) fn clear_faults(&self) {
        self.faults.clear();
    }

    /// Counts a Graph call and picks its fault, if any (see [`super::faults`]).
    pub(crate) fn take_fault(&self, method: &str, path: &str, in_batch: bool) -> Option<FaultRule> {
        self.faults.take(method, path, in_batch)
    }

    /// This call's added delay in milliseconds (`--latency MS` or `MIN..MAX`, seeded).
    pub(crate) fn latency_ms(&self) -> u64 {
        self.faults
            .latency_ms(self.config.latency_ms, self.config.latency_max_ms)
    }

    /// Graph calls served and faults injected so far, by kind.
    pub fn fault_stats(&self) -> super::faults::FaultStats {
        super::faults::FaultStats {
            batches: self.batch_load.stats(),
            ..self.faults.stats()
        }
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

enum LoadError {
    /// The file is there but cannot be read (permissions): nothing to move aside.
    Unreadable(String),
    /// The file is not a tenant: moved aside.
    Damaged(String),
}

fn load(path: &PathBuf) -> Result<TenantState, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| {
        LoadError::Unreadable(format!(
            "cannot read the emulator state file {}: {e}",
            path.display()
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        LoadError::Damaged(format!(
            "the emulator state file {} is not valid ({e})",
            path.display()
        ))
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
