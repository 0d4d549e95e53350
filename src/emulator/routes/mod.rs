//! The Graph routes, mounted once per API version. The version reaches handlers as an
//! `Extension<ApiVersion>`, so beta-only routes and beta-only fields are decided in one place.

use super::state::SharedState;
use crate::graph::ApiVersion;
use axum::{Extension, Router};

/// Graph routes of one version.
pub fn graph_routes(version: ApiVersion) -> Router<SharedState> {
    Router::new().layer(Extension(version))
}
