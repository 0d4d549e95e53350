//! The one HTTP client for Microsoft Graph: typed errors, retry with `Retry-After`, paging,
//! `$batch`, and a `client-request-id` on every call.

pub mod batch;
pub mod client;
pub mod error;
pub mod models;
pub mod token;

pub use batch::{BatchRequest, BatchResponse};
pub use client::{ApiVersion, GraphClient, GraphConfig};
pub use error::{ApiError, GraphError};
pub use token::{StaticToken, TokenSource};
