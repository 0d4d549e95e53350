//! Who is calling: the bearer token checked against the registry (401 otherwise), the user's
//! directory roles read from state, and the scope and role checks every route makes.

use super::error::GraphErr;
use super::roles::{self, DirectoryRole};
use super::state::SharedState;
use super::tokens::TokenInfo;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

/// The authenticated caller of a Graph route.
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: TokenInfo,
    pub roles: Vec<DirectoryRole>,
}

impl Caller {
    /// Passes when the token has any of `accepted`; the 403 names the first, the least
    /// privileged one, as the permission to consent to.
    pub fn require_scope(&self, accepted: &[&str]) -> Result<(), GraphErr> {
        if accepted.iter().any(|s| self.token.has_scope(s)) {
            Ok(())
        } else {
            Err(GraphErr::missing_scope(
                accepted.first().copied().unwrap_or("?"),
            ))
        }
    }

    /// Reads about oneself need no role; reads about others need one of `needed`.
    pub fn require_self_or_role(
        &self,
        target: &crate::ids::UserId,
        needed: &[DirectoryRole],
    ) -> Result<(), GraphErr> {
        if &self.token.user_id == target {
            Ok(())
        } else {
            self.require_role(needed)
        }
    }

    /// The two checks a privileged route makes: a scope from `accepted`, then a role from `needed`.
    pub fn require(&self, accepted: &[&str], needed: &[DirectoryRole]) -> Result<(), GraphErr> {
        self.require_scope(accepted)?;
        self.require_role(needed)
    }

    /// Passes when the user holds any of `needed` (Global Administrator always passes).
    pub fn require_role(&self, needed: &[DirectoryRole]) -> Result<(), GraphErr> {
        if roles::holds_any(&self.roles, needed) {
            Ok(())
        } else {
            let mut names: Vec<&str> = needed.iter().map(|r| r.display_name()).collect();
            names.push(DirectoryRole::GlobalAdministrator.display_name());
            Err(GraphErr::missing_role(&names))
        }
    }
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = GraphErr;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = state.tokens.validate_header(header).map_err(|e| {
            GraphErr::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                e.message(),
            )
        })?;
        let roles = state.read(|t| {
            t.user(token.user_id.as_str())
                .map(|u| (u.account_enabled, u.roles.clone()))
        });
        match roles {
            Some((true, roles)) => Ok(Caller { token, roles }),
            Some((false, _)) => Err(GraphErr::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The user account of this token is disabled.",
            )),
            None => Err(GraphErr::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The user of this token no longer exists in the tenant.",
            )),
        }
    }
}
