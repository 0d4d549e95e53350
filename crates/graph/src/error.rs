//! Graph's error body turned into a typed error that keeps code, message and request ids.

use serde::Deserialize;

/// Graph's error body with the HTTP status and the ids support needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub date: Option<String>,
}

/// Why a Graph call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error body.
    #[error("{}", api_text(&.0.status, &.0.code, &.0.message, &.0.request_id))]
    Api(Box<ApiError>),
    /// Could not reach Graph at all, or its answers kept getting lost (`reason` says how often
    /// and whether anything changed).
    #[error(
        "cannot reach Microsoft Graph at {url}: {reason}. Check the network or --graph-url, then try again."
    )]
    Network { url: String, reason: String },
    /// A POST went out but its answer was lost, so whether Graph applied it is not known; it
    /// was not repeated. The caller reads the state back ([`crate::GraphClient::post_reconciled`]).
    #[error(
        "{method} {url} may or may not have been applied: {reason}. Nothing was sent twice; check the lab's state (`check`) and run the step again, which reads what is there first."
    )]
    OutcomeUnknown {
        method: String,
        url: String,
        reason: String,
    },
    /// Graph answered something we cannot read.
    #[error("unexpected answer from Graph ({status}) for {url}: {reason}")]
    Decode {
        status: u16,
        url: String,
        reason: String,
    },
    /// No token could be had.
    #[error("not signed in: {0}")]
    Auth(String),
    /// Bad configuration (e.g. an invalid --graph-url).
    #[error("{0}")]
    Config(String),
}

fn api_text(status: &u16, code: &str, message: &str, request_id: &Option<String>) -> String {
    let hint = match (*status, code) {
        (401, _) => " Sign in again.",
        (403, code) if code.eq_ignore_ascii_case(crate::api::sign_ins::NON_PREMIUM_CODE) => {
            " Sign-in logs need Microsoft Entra ID P1 or P2 in this tenant."
        }
        (403, _) => " The signed-in account lacks a permission or role.",
        (429, _) => " Graph is throttling; nothing was changed. Try again in a minute.",
        (503 | 504, _) => {
            " Graph is busy or unavailable; nothing was changed. Try again in a few minutes."
        }
        _ => "",
    };
    match request_id {
        Some(id) => format!("Graph {status} {code}: {message}{hint} (request-id {id})"),
        None => format!("Graph {status} {code}: {message}{hint}"),
    }
}

impl GraphError {
    /// The HTTP status, when Graph answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api(api) => Some(api.status),
            GraphError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Graph's error code, when Graph answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Api(api) => Some(&api.code),
            _ => None,
        }
    }

    /// Why a POST's outcome is unknown, for [`GraphError::OutcomeUnknown`].
    pub fn outcome_reason(&self) -> Option<&str> {
        match self {
            GraphError::OutcomeUnknown { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Whether Graph answered 404 (no such user, device or method).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Parses an error body (both `innerError` and `innererror` casings).
    pub fn from_body(status: u16, body: &[u8], client_request_id: Option<String>) -> GraphError {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
            #[serde(default, alias = "innererror", rename = "innerError")]
            inner: Option<Inner>,
        }
        #[derive(Deserialize)]
        struct Inner {
            #[serde(rename = "request-id")]
            request_id: Option<String>,
            #[serde(rename = "client-request-id")]
            client_request_id: Option<String>,
            date: Option<String>,
        }
        match serde_json::from_slice::<Envelope>(body) {
            Ok(env) => {
                let inner = env.error.inner;
                GraphError::Api(Box::new(ApiError {
                    status,
                    code: if env.error.code.is_empty() {
                        format!("Http{status}")
                    } else {
                        env.error.code
                    },
                    message: env.error.message,
                    request_id: inner.as_ref().and_then(|i| i.request_id.clone()),
                    client_request_id: inner
                        .as_ref()
                        .and_then(|i| i.client_request_id.clone())
                        .or(client_request_id),
                    date: inner.and_then(|i| i.date),
                }))
            }
            Err(_) => GraphError::Api(Box::new(ApiError {
                status,
                code: format!("Http{status}"),
                message: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
                request_id: None,
                client_request_id,
                date: None,
            })),
        }
    }
}

impl From<GraphError> for hb_lab::StepError {
    fn from(e: GraphError) -> Self {
        hb_lab::StepError::Graph(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_inner_error_casings() {
        let a = br#"{"error":{"code":"Forbidden","message":"no","innerError":{"request-id":"r1","date":"d"}}}"#;
        let b =
            br#"{"error":{"code":"Forbidden","message":"no","innererror":{"request-id":"r2"}}}"#;
        let ea = GraphError::from_body(403, a, None);
        let eb = GraphError::from_body(403, b, Some("c".into()));
        assert!(matches!(&ea, GraphError::Api(a) if a.request_id.as_deref() == Some("r1")));
        assert!(
            matches!(&eb, GraphError::Api(a) if a.request_id.as_deref() == Some("r2") && a.client_request_id.as_deref() == Some("c"))
        );
        assert!(ea.to_string().contains("request-id r1"));
        assert!(ea.to_string().contains("lacks a permission"));
    }

    #[test]
    fn non_json_error_keeps_status() {
        let e = GraphError::from_body(502, b"<html>bad gateway</html>", None);
        assert_eq!(e.code(), Some("Http502"));
        assert!(e.to_string().contains("bad gateway"));
    }
}
