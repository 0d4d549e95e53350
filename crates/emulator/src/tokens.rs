//! The emulator's access-token registry: opaque random bearer tokens bound to a user, tenant,
//! scopes and expiry. Kept in memory only, so a token never reaches the state file; a restarted
//! emulator mints new ones. The login side (`login/`) mints through [`TokenRegistry::mint`].

use crate::ids::{Secret, TenantId, UserId};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// What a token grants: who, in which tenant, which scopes (short names like `User.Read`), until
/// when. Roles are not in the token; they are read from the user in state on every call.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenInfo {
    pub user_id: UserId,
    pub upn: String,
    pub tenant_id: TenantId,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

impl TokenInfo {
    /// Whether the token carries a scope (case-insensitive, as Graph compares them).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s.eq_ignore_ascii_case(scope))
    }
}

/// Why a bearer token was refused; each maps to Graph's 401 `InvalidAuthenticationToken` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Unknown,
    Expired,
}

impl TokenError {
    /// The message Graph sends with its 401.
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Missing => "Access token is empty.",
            TokenError::Unknown => "Access token validation failure. Invalid audience.",
            TokenError::Expired => "Lifetime validation failed, the token is expired.",
        }
    }
}

/// Mints and validates access tokens. Tokens are looked up by their SHA-256, so the map never
/// holds a usable token either.
#[derive(Default)]
pub struct TokenRegistry {
    by_hash: Mutex<HashMap<[u8; 32], TokenInfo>>,
}

impl TokenRegistry {
    /// Mints a new opaque token for `info`.
    pub fn mint(&self, info: TokenInfo) -> Secret {
        let mut raw = [0u8; 32];
        rand::fill(&mut raw);
        let token = format!(
            "emu.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        );
        let hash = digest(&token);
        self.lock().insert(hash, info);
        Secret::new(token)
    }

    /// Mints a token valid for `lifetime` from now.
    pub fn mint_for(
        &self,
        user_id: UserId,
        upn: &str,
        tenant_id: TenantId,
        scopes: Vec<String>,
        lifetime: Duration,
    ) -> Secret {
        self.mint(TokenInfo {
            user_id,
            upn: upn.to_string(),
            tenant_id,
            scopes,
            expires_at: Utc::now() + lifetime,
        })
    }

    /// Checks a bearer token (without the `Bearer ` prefix).
    pub fn validate(&self, token: &str) -> Result<TokenInfo, TokenError> {
        if token.trim().is_empty() {
            return Err(TokenError::Missing);
        }
        let info = self
            .lock()
            .get(&digest(token.trim()))
            .cloned()
            .ok_or(TokenError::Unknown)?;
        if info.expires_at <= Utc::now() {
            return Err(TokenError::Expired);
        }
        Ok(info)
    }

    /// Checks an `Authorization` header value (`Bearer <token>`).
    pub fn validate_header(&self, header: Option<&str>) -> Result<TokenInfo, TokenError> {
        let header = header.map(str::trim).unwrap_or_default();
        if header.is_empty() || header.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::Missing);
        }
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(TokenError::Unknown)?;
        self.validate(token)
    }

    /// Forgets every token of a user (sign-out, revoked sessions).
    pub fn revoke_user(&self, user_id: &UserId) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, info| &info.user_id != user_id);
        before - map.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], TokenInfo>> {
        self.by_hash.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(lifetime: Duration) -> TokenInfo {
        TokenInfo {
            user_id: UserId::from("u1"),
            upn: "a@contoso.com".into(),
            tenant_id: TenantId::from("t1"),
            scopes: vec!["User.Read".into()],
            expires_at: Utc::now() + lifetime,
        }
    }

    #[test]
    fn minted_tokens_validate_and_others_do_not() {
        let registry = TokenRegistry::default();
        let token = registry.mint(info(Duration::minutes(5)));
        let got = registry.validate(token.expose()).unwrap();
        assert_eq!(got.upn, "a@contoso.com");
        assert!(got.has_scope("user.read"));
        assert_eq!(
            registry.validate_header(Some(&format!("Bearer {}", token.expose()))),
            Ok(got)
        );
        assert_eq!(registry.validate("emu.nope"), Err(TokenError::Unknown));
        assert_eq!(registry.validate_header(None), Err(TokenError::Missing));
        assert_eq!(
            registry.validate_header(Some(token.expose())),
            Err(TokenError::Unknown)
        );
    }

    #[test]
    fn expired_and_revoked_tokens_are_refused() {
        let registry = TokenRegistry::default();
        let old = registry.mint(info(Duration::seconds(-1)));
        assert_eq!(registry.validate(old.expose()), Err(TokenError::Expired));
        let live = registry.mint(info(Duration::minutes(5)));
        assert_eq!(registry.revoke_user(&UserId::from("u1")), 2);
        assert_eq!(registry.validate(live.expose()), Err(TokenError::Unknown));
    }
}
