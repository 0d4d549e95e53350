//! The emulator's login side: the Microsoft identity platform v2.0 endpoints a public desktop
//! client uses (`/{tenant}/oauth2/v2.0/authorize`, `/token`, `/devicecode`), faithful to section 9
//! of graph-contract.md (PKCE S256, loopback redirect rules, device code errors, AAD error bodies),
//! minting access tokens through the shared [`TokenRegistry`](super::tokens::TokenRegistry) so the
//! Graph routes enforce their scopes. Test hooks live under `/_emulator/login/`.
//!
//! OpenID Connect discovery and the JWKS are served as Entra serves them; id tokens are RS256
//! with a key generated per process.
//!
//! Authorization codes, refresh tokens and device codes are kept by their SHA-256 only.

mod authorize;
mod client;
mod device;
mod discovery;
mod error;
mod hooks;
mod pages;
mod refusals;
pub mod signing;
mod state;
mod token;

pub use client::KNOWN_CLIENT_IDS;
pub use state::LoginState;

use crate::state::SharedState;
use axum::Router;
use axum::routing::{get, post};

/// Routes of the login side, merged into the emulator's router.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device::devicecode))
        .route(
            "/devicelogin",
            get(pages::devicelogin_page).post(pages::devicelogin_submit),
        )
        .route(
            "/_emulator/login/device/approve",
            post(hooks::device_approve),
        )
        .route(
            "/_emulator/login/device/decline",
            post(hooks::device_decline),
        )
        .route(
            "/_emulator/login/device/slow-down",
            post(hooks::device_slow_down),
        )
        .route(
            "/_emulator/login/device/{user_code}",
            get(hooks::device_info),
        )
        .route("/_emulator/login/revoke", post(hooks::revoke))
        .route("/_emulator/login/settings", post(hooks::settings))
        .route("/_emulator/login/refuse", post(hooks::refuse))
        .route("/_emulator/login/stats", get(hooks::stats))
}
