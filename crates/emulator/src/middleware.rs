//! Cross-cutting behaviour of every call: `request-id` and `client-request-id` headers, Graph's
//! error body, injected latency and faults, and the request log.

use super::config::FaultKind;
use super::error::{GraphErr, PendingError, error_body};
use super::state::{RequestLogEntry, SharedState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Marks a request dispatched from inside a `$batch` (logged as such, no added latency).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchItem;

/// How long a `timeout` fault holds a call: longer than any client waits for one.
const TIMEOUT_HOLD: std::time::Duration = std::time::Duration::from_secs(600);

async fn pause(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// The call was applied; its answer is replaced by a body that fails as it is read, so the
/// server drops the connection and the client cannot tell whether anything changed.
fn reset_connection(applied: Response) -> Response {
    let status = applied.status();
    let failing = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    let mut response = Response::new(Body::from_stream(failing));
    *response.status_mut() = status;
    response
}

/// The call was applied; its answer keeps its status and headers but only half of its body.
async fn malformed(applied: Response) -> Response {
    let (parts, body) = applied.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = if bytes.is_empty() {
        axum::body::Bytes::from_static(b"{\"value\": [")
    } else {
        bytes.slice(..bytes.len() / 2)
    };
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    if parts.status == StatusCode::NO_CONTENT {
        parts.status = StatusCode::OK;
    }
    Response::from_parts(parts, Body::from(half))
}

fn is_graph_path(path: &str) -> bool {
    path.starts_with("/v1.0/") || path.starts_with("/beta/")
}

/// Wraps every request.
pub(crate) async fn envelope(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let in_batch = request.extensions().get::<BatchItem>().is_some();
    let graph = is_graph_path(&path);

    // Faults hit batch items too (Graph throttles each inner request on its own).
    let fault = graph
        .then(|| state.take_fault(&method, &path, in_batch))
        .flatten();
    let delay = if graph && !in_batch {
        state.latency_ms()
    } else {
        0
    };
    let mut response = match fault {
        Some(rule) if rule.kind == FaultKind::Status => {
            let status =
                StatusCode::from_u16(rule.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (code, message) = fault_text(status);
            let mut err = GraphErr::new(status, code, message);
            err.retry_after = rule.retry_after;
            err.into_response()
        }
        Some(rule) if rule.kind == FaultKind::Timeout => {
            // Nothing is applied: when the client gives up, this future is dropped with it.
            tokio::time::sleep(TIMEOUT_HOLD).await;
            let (code, message) = fault_text(StatusCode::GATEWAY_TIMEOUT);
            GraphErr::new(StatusCode::GATEWAY_TIMEOUT, code, message).into_response()
        }
        Some(rule) => {
            pause(delay).await;
            let applied = next.run(request).await;
            // Logged below like any call: the request log shows what reached the tenant.
            if rule.kind == FaultKind::Reset {
                reset_connection(applied)
            } else {
                malformed(applied).await
            }
        }
        None => {
            pause(delay).await;
            next.run(request).await
        }
    };

    if graph
        && response.status().as_u16() >= 400
        && response.extensions().get::<PendingError>().is_none()
    {
        response = plain_error_to_graph(response).await;
    }
    if let Some(pending) = response.extensions_mut().remove::<PendingError>() {
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        let body = error_body(
            &pending.code,
            &pending.message,
            &request_id,
            client_request_id.as_deref(),
            &date,
        );
        let status = response.status();
        let retry_after = response.headers().get("Retry-After").cloned();
        response = (status, axum::Json(body)).into_response();
        if let Some(v) = retry_after {
            response.headers_mut().insert("Retry-After", v);
        }
    }
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("request-id", v);
    }
    if let Some(id) = client_request_id.as_deref()
        && let Ok(v) = HeaderValue::from_str(id)
    {
        headers.insert("client-request-id", v);
    }
    if graph || path.starts_with("/_emulator/") {
        state.log_request(RequestLogEntry {
            method,
            path,
            query,
            status: response.status().as_u16(),
            in_batch,
        });
    }
    response
}

/// Framework answers (405, path or body rejections) get Graph's error shape too.
async fn plain_error_to_graph(response: Response) -> Response {
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.".to_string(),
        ),
        _ if text.trim().is_empty() => ("BadRequest", format!("The request failed ({status}).")),
        _ => ("BadRequest", text.trim().to_string()),
    };
    GraphErr::new(status, code, message).into_response()
}

fn fault_text(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        429 => (
            "TooManyRequests",
            "Too many requests are being made to this resource. Retry after the time in the Retry-After header.",
        ),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Try again later.",
        ),
        504 => (
            "gatewayTimeout",
            "The server, while acting as a proxy, did not receive a timely response.",
        ),
        401 => (
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
        403 => ("accessDenied", "Access denied by an injected fault."),
        404 => ("itemNotFound", "The resource could not be found."),
        _ => (
            "generalException",
            "An unspecified error has occurred (injected fault).",
        ),
    }
}

/// Unknown paths answer like Graph does for a segment it does not know.
pub(crate) async fn fallback(request: Request<Body>) -> Response {
    let path = request.uri().path();
    let mut segments = path.trim_start_matches('/').split('/');
    let version = segments.next().unwrap_or_default();
    if version != "v1.0" && version != "beta" {
        return GraphErr::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Invalid version: {version}"),
        )
        .into_response();
    }
    const ROOTS: &[&str] = &[
        "users",
        "policies",
        "deviceManagement",
        "devices",
        "auditLogs",
        "identity",
        "organization",
        "me",
        "authenticationMethodsPolicy",
    ];
    let rest: Vec<&str> = segments.collect();
    let unknown = rest
        .iter()
        .enumerate()
        .find(|(i, s)| *i > 0 || !ROOTS.contains(s))
        .map(|(_, s)| *s)
        .or(rest.first().copied())
        .unwrap_or_default();
    GraphErr::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Resource not found for the segment '{unknown}'."),
    )
    .into_response()
}
