//! The Graph routes, mounted once per API version. The version reaches handlers as an
//! `Extension<ApiVersion>`, so beta-only routes and beta-only fields are decided in one place.

pub mod batch;
mod common;
mod conditional_access;
pub mod devices;
mod enrollment;
pub(crate) mod groups;
mod mdm;
mod member_of;
pub mod methods;
pub mod policies;
pub mod readiness;
pub mod role_management;
pub mod signins;
mod tap_policy;
pub mod users;

use super::state::SharedState;
use crate::api::ApiVersion;
use axum::{Extension, Router};
use serde_json::Value;

/// Graph routes of one version.
pub fn graph_routes(version: ApiVersion) -> Router<SharedState> {
    Router::new()
        .merge(policies::routes(version))
        .merge(users::routes())
        .merge(member_of::routes())
        .merge(methods::routes())
        .merge(devices::routes())
        .merge(groups::routes())
        .merge(signins::routes())
        .merge(batch::routes())
        .merge(readiness::routes(version))
        .merge(role_management::routes(version))
        .layer(Extension(version))
}

/// Whether a Graph object has this id (case-insensitive, as Graph ids are).
pub(crate) fn id_is(item: &Value, id: &str) -> bool {
    item.get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| i.eq_ignore_ascii_case(id))
}
