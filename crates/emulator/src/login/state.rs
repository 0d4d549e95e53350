//! What the login side remembers between requests: authorization codes, refresh tokens and
//! device codes, each keyed by the SHA-256 of the secret so the maps never hold a usable one, the
//! timings tests can change, and per-event counters.

use crate::ids::{Secret, UserId};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Timings the tests can change through `POST /_emulator/login/settings`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Settings {
    pub access_token_lifetime: Duration,
    pub device_interval: Duration,
    pub device_lifetime: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token_lifetime: Duration::from_secs(3599),
            device_interval: Duration::from_secs(5),
            device_lifetime: Duration::from_secs(900),
        }
    }
}

/// An authorization code waiting to be redeemed at `/token`.
pub(super) struct CodeGrant {
    pub user_id: UserId,
    pub upn: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scopes: Vec<String>,
    pub offline: bool,
    pub issued: Instant,
    /// The authorize request's `nonce`, for the id token of this code's redemption only.
    pub nonce: Option<String>,
}

/// A refresh token's grant: who, for which client, which scopes, and whether it was revoked.
pub(super) struct RefreshGrant {
    pub user_id: UserId,
    pub upn: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub revoked: bool,
}

/// Where a device code stands between `/devicecode` and the last poll of `/token`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum DeviceStatus {
    Pending,
    Approved {
        user_id: UserId,
        upn: String,
    },
    Declined,
    /// Tokens were issued; the code cannot be used again.
    Redeemed,
}

/// A device code with its polling history, so tests can check the client's interval.
pub(super) struct DeviceGrant {
    pub user_code: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub offline: bool,
    pub issued: Instant,
    pub lifetime: Duration,
    pub interval: Duration,
    pub last_poll: Option<Instant>,
    pub polls: Vec<Duration>,
    pub force_slow_down: bool,
    pub status: DeviceStatus,
}

#[derive(Default)]
pub(super) struct Inner {
    pub settings: Settings,
    pub codes: HashMap<[u8; 32], CodeGrant>,
    pub refresh: HashMap<[u8; 32], RefreshGrant>,
    pub devices: HashMap<[u8; 32], DeviceGrant>,
    /// The refusal tests asked for, until cleared.
    pub refusal: Option<super::refusals::Refusal>,
    /// The delegated permissions each user consented to per client (user id, lower-case client
    /// id), granted at an interactive sign-in. Entra keeps consent per user and app, not per
    /// refresh token: "Refresh tokens are valid for all permissions that your client has
    /// already received consent for" (v2-oauth2-auth-code-flow.md, "Refresh the access token").
    pub consented: HashMap<(UserId, String), BTreeSet<String>>,
    /// Counters per event (`authorize`, `token:authorization_code`, …) for tests.
    pub stats: BTreeMap<String, u64>,
}

/// State the login side keeps (authorization codes, device codes, refresh tokens).
#[derive(Default)]
pub struct LoginState {
    inner: Mutex<Inner>,
}

impl LoginState {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks every refresh token of a user revoked (like `revokeSignInSessions`); returns how many.
    pub fn revoke_refresh_tokens(&self, user_id: &UserId) -> usize {
        let mut inner = self.lock();
        let mut n = 0;
        for grant in inner.refresh.values_mut() {
            if &grant.user_id == user_id && !grant.revoked {
                grant.revoked = true;
                n += 1;
            }
        }
        n
    }

    /// Counts one `event` for `GET /_emulator/login/stats`.
    pub(super) fn count(&self, event: &str) {
        *self.lock().stats.entry(event.to_string()).or_default() += 1;
    }
}

/// A fresh random code or token, `{prefix}.{base64url}`.
pub(super) fn random_token(prefix: &str) -> Secret {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    Secret::new(format!(
        "{prefix}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    ))
}

/// The key a secret is stored under.
pub(super) fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// Compares a presented secret without leaking where it differs.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
