//! Errors in the identity platform's shape: the JSON body `/token` and `/devicecode` answer with,
//! and the `Cache-Control: no-store` every answer carrying a secret needs.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A token-endpoint error: `{error, error_description, error_codes, timestamp, trace_id,
/// correlation_id}` with the AADSTS code leading the description.
pub(super) struct OAuthErr {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    pub text: String,
    /// Entra's `suberror` (`consent_required`, `basic_action`), when it sends one.
    pub suberror: Option<&'static str>,
}

impl OAuthErr {
    /// A 400 with `error` and the AADSTS `code`.
    pub fn bad(error: &'static str, code: u32, text: impl Into<String>) -> OAuthErr {
        OAuthErr {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            text: text.into(),
            suberror: None,
        }
    }
}

impl IntoResponse for OAuthErr {
    fn into_response(self) -> Response {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let mut body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.text
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        });
        if let Some(sub) = self.suberror {
            body["suberror"] = sub.into();
        }
        let mut response = (self.status, Json(body)).into_response();
        no_store(&mut response);
        response
    }
}

/// Keeps codes and tokens out of caches along the way.
pub(super) fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
