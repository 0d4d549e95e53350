//! The Graph routes, mounted once per API version. The version reaches handlers as an
//! `Extension<ApiVersion>`, so beta-only routes and beta-only fields are decided in one place.

pub mod batch;
mod common;
pub mod devices;
pub mod methods;
pub mod policies;
pub mod signins;
pub mod users;

use super::state::SharedState;
use crate::graph::ApiVersion;
use axum::{Extension, Router};

/// Graph routes of one version.
pub fn graph_routes(version: ApiVersion) -> Router<SharedState> {
    Router::new()
        .merge(policies::routes(version))
        .merge(users::routes())
        .merge(methods::routes())
        .merge(devices::routes())
        .merge(signins::routes())
        .merge(batch::routes())
        .layer(Extension(version))
}
