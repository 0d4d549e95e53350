//! The emulated Microsoft cloud: an axum server on loopback serving the Graph routes the lab uses
//! (v1.0 and beta, faithful to graph-contract.md), the login endpoints (`login/`), a seeded demo
//! tenant, scope and role enforcement, fault and latency injection, and `/_emulator/` hooks for the
//! emulated host and tests. Demo mode runs on it, so demo mode uses the same HTTP client as a real
//! tenant.

pub mod api;
pub mod batch_load;
pub mod caller;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod control;
pub mod delay;
pub mod error;
pub mod faults;
pub mod groups;
pub mod ids;
pub mod login;
pub mod lost_answers;
pub(crate) mod middleware;
pub mod odata;
pub mod permissions;
pub mod readiness;
pub mod records;
pub mod roles;
pub mod routes;
pub mod scopes;
pub mod seed;
pub mod server;
pub mod sign_in_log;
pub mod state;
pub mod tls;
pub mod tokens;

pub use config::{EmulatorConfig, FaultKind, FaultRule, Propagation, parse_latency};
pub use delay::parse_delay;
pub use faults::FaultStats;
pub use server::{Emulator, EmulatorHandle};
pub use state::{EmulatorState, SharedState, TenantState};
pub use tokens::{TokenError, TokenInfo, TokenRegistry};

use crate::api::ApiVersion;
use axum::Router;

/// The whole emulator: Graph under `/v1.0` and `/beta`, the login side, and `/_emulator/`.
pub fn router(state: SharedState) -> Router {
    let app = Router::new()
        .nest("/v1.0", routes::graph_routes(ApiVersion::V1))
        .nest("/beta", routes::graph_routes(ApiVersion::Beta))
        .nest("/_emulator", control::routes())
        .merge(login::routes())
        .merge(routes::readiness::control_routes())
        .fallback(middleware::fallback);
    #[cfg(feature = "conformance")]
    let app = app.layer(axum::middleware::from_fn(conformance::layer));
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            permissions::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            lost_answers::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::envelope,
        ))
        .with_state(state.clone());
    state.set_dispatcher(Some(app.clone()));
    app
}
