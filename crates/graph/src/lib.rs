//! The one HTTP client for Microsoft Graph: one typed function per request ([`api`]), paths
//! whose outside values are always encoded ([`GraphPath`]), typed errors, retry with
//! `Retry-After`, paging, `$batch`, a `client-request-id` on every call, and the one way a
//! Temporary Access Pass is issued ([`tap_issue`]).

pub mod api;
pub mod batch;
pub mod client;
pub mod config;
pub mod error;
pub mod models;
pub mod path;
pub mod tap_issue;
pub mod token;

pub use batch::{BatchRequest, BatchResponse};
pub use client::{ApiVersion, GraphClient, GraphConfig, Reconciled};
pub use error::{ApiError, GraphError};
pub use path::{GraphPath, odata_string};
pub use token::{StaticToken, TokenSource};
