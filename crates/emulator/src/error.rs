//! Graph's error body. Handlers return [`GraphErr`]; the envelope middleware fills in
//! `innerError` (request-id, client-request-id, date) because only it sees the request.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A Graph error answer: status, code and message (the ids are added by the middleware).
#[derive(Clone, Debug, PartialEq)]
pub struct GraphErr {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

/// Marker the middleware looks for to render the full body.
#[derive(Clone, Debug)]
pub(crate) struct PendingError {
    pub code: String,
    pub message: String,
}

impl GraphErr {
    /// An error with Graph's status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        GraphErr {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `BadRequest` with Graph's wording.
    pub fn bad_request(message: impl Into<String>) -> Self {
        GraphErr::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 400 for an OData query we (and Graph) do not support.
    pub fn unsupported_query(message: impl Into<String>) -> Self {
        GraphErr::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// 404 for a directory object (users, devices).
    pub fn directory_not_found(id: &str) -> Self {
        GraphErr::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 404 for other services (Intune, authentication methods).
    pub fn item_not_found(what: &str, id: &str) -> Self {
        GraphErr::new(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            format!("The {what} '{id}' was not found."),
        )
    }

    /// 403 for a missing delegated permission.
    pub fn missing_scope(scope: &str) -> Self {
        GraphErr::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            format!(
                "Insufficient privileges to complete the operation. Missing scope: {scope}. \
                 The access token was not granted this delegated permission; sign in again and consent to it."
            ),
        )
    }

    /// 403 for a missing directory role.
    pub fn missing_role(roles: &[&str]) -> Self {
        GraphErr::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            format!(
                "Insufficient privileges to complete the operation. The signed-in user needs the {} role{}.",
                roles.join(" or "),
                if roles.len() > 1 {
                    " (one of them)"
                } else {
                    ""
                }
            ),
        )
    }
}

impl IntoResponse for GraphErr {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert("Retry-After", v);
        }
        response.extensions_mut().insert(PendingError {
            code: self.code,
            message: self.message,
        });
        response
    }
}

/// The full Graph error body.
pub(crate) fn error_body(
    code: &str,
    message: &str,
    request_id: &str,
    client_request_id: Option<&str>,
    date: &str,
) -> serde_json::Value {
    let mut inner = json!({ "date": date, "request-id": request_id });
    if let Some(id) = client_request_id {
        inner["client-request-id"] = json!(id);
    }
    json!({ "error": { "code": code, "message": message, "innerError": inner } })
}
