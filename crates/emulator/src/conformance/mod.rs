//! Schema conformance: every Graph request body the emulator receives and every answer it sends
//! is checked against Microsoft's published metadata (`schema`, `check`), per route (`routes`).
//! A request body with a property or enum value Graph does not have gets Graph's 400 naming the
//! type and property; an answer of ours that breaks the schema becomes a 500 naming them, with
//! an error log line, so any test touching it fails. Each distinct shape checked is recorded
//! under `HB_CONFORMANCE_DIR` when set, so the test run can say how many it checked.

pub mod check;
pub mod routes;
pub mod schema;

use crate::api::ApiVersion;
use crate::error::GraphErr;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use check::{Report, Violation, check_collection, check_entity};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Mutex;

/// The environment variable naming the directory shapes are recorded in.
pub const SHAPES_DIR_ENV: &str = "HB_CONFORMANCE_DIR";

/// Largest body the check buffers (Graph's own request limit is 4 MB).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

fn split_version(path: &str) -> Option<(ApiVersion, &str)> {
    if let Some(rest) = path.strip_prefix("/v1.0/") {
        Some((ApiVersion::V1, rest))
    } else {
        path.strip_prefix("/beta/")
            .map(|rest| (ApiVersion::Beta, rest))
    }
}

/// The middleware: checks the request body, runs the route, checks the answer.
pub(crate) async fn layer(request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let Some((version, rest)) = split_version(request.uri().path()) else {
        return next.run(request).await;
    };
    let rest = rest.to_string();
    if rest == "$batch" {
        // The batch envelope is JSON batching, not a Graph type; its items come back through here.
        return next.run(request).await;
    }
    let route = routes::find(&method, &rest);
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return GraphErr::bad_request("The request body is too large.").into_response(),
    };
    if !bytes.is_empty()
        && let Ok(value) = serde_json::from_slice::<Value>(&bytes)
        && value.is_object()
    {
        match route.and_then(|r| r.request) {
            Some(type_name) => {
                let report = check_entity(version, type_name, &value);
                record(
                    "request",
                    version,
                    &method,
                    route_name(route, &rest),
                    type_name,
                    &report,
                );
                if let Some(v) = report.violations.first() {
                    tracing::error!(%method, route = %rest, violation = %v, "a request body breaks Graph's schema");
                    return request_refusal(v).into_response();
                }
            }
            None => record_unmapped("request", version, &method, &rest),
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    check_response(version, &method, &rest, route, response).await
}

fn route_name<'a>(route: Option<&'a routes::RouteTypes>, rest: &'a str) -> &'a str {
    route.map(|r| r.template).unwrap_or(rest)
}

/// Graph's own refusal of a body it cannot map to the type.
fn request_refusal(v: &Violation) -> GraphErr {
    let message = if v.problem.starts_with("property '") {
        let property = v.at.rsplit('.').next().unwrap_or(&v.at);
        format!(
            "Property '{property}' does not exist as a declared property or extension property on type '{}'.",
            v.type_name
        )
    } else {
        format!("Invalid request body: {v}.")
    };
    GraphErr::bad_request(message)
}

async fn check_response(
    version: ApiVersion,
    method: &str,
    rest: &str,
    route: Option<&'static routes::RouteTypes>,
    response: Response,
) -> Response {
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !response.status().is_success() || !json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
        match route.and_then(|r| r.response.map(|t| (t, r.collection))) {
            Some((type_name, collection)) => {
                let report = if collection {
                    check_collection(version, type_name, &value)
                } else {
                    check_entity(version, type_name, &value)
                };
                record(
                    "response",
                    version,
                    method,
                    route_name(route, rest),
                    type_name,
                    &report,
                );
                if !report.violations.is_empty() {
                    let all: Vec<String> =
                        report.violations.iter().map(|v| v.to_string()).collect();
                    tracing::error!(%method, route = %rest, violations = ?all, "an emulator answer breaks Graph's schema");
                    return GraphErr::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "emulatorSchemaViolation",
                        format!(
                            "The emulator's answer to {method} {rest} breaks Microsoft's schema: {}",
                            all.join("; ")
                        ),
                    )
                    .into_response();
                }
            }
            None => record_unmapped("response", version, method, rest),
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn record(
    direction: &str,
    version: ApiVersion,
    method: &str,
    route: &str,
    type_name: &str,
    report: &Report,
) {
    let fields: Vec<&str> = report.shape.iter().map(String::as_str).collect();
    let key = format!(
        "{direction} {} {method} {route} {type_name} [{}]",
        version.segment(),
        fields.join(",")
    );
    write_shape(direction, &key);
}

fn record_unmapped(direction: &str, version: ApiVersion, method: &str, rest: &str) {
    tracing::warn!(%method, route = %rest, "no Graph type is mapped for this route; its body is not checked");
    write_shape(
        &format!("unchecked-{direction}"),
        &format!("{direction} {} {method} {rest}", version.segment()),
    );
}

/// Writes one shape file named by the shape's hash, once per process (files are shared by all
/// test processes, so the same shape seen twice is one file).
fn write_shape(prefix: &str, key: &str) {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Some(dir) = std::env::var_os(SHAPES_DIR_ENV) else {
        return;
    };
    {
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if !seen
            .get_or_insert_with(HashSet::new)
            .insert(key.to_string())
        {
            return;
        }
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{prefix}-{hex}.txt"));
    if let Err(e) = std::fs::write(&path, key) {
        tracing::warn!(path = %path.display(), error = %e, "cannot record a conformance shape");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_route_names_a_published_type() {
        let s = schema::schema();
        for r in routes::ROUTES {
            for t in [r.request, r.response].into_iter().flatten() {
                let full = check::full_type(t);
                assert!(
                    s.v1_types.contains_key(&full) || s.beta_types.contains_key(&full),
                    "{} {} names {full}, which Graph does not publish",
                    r.method,
                    r.template
                );
            }
        }
    }

    #[test]
    fn a_broken_property_is_refused_in_graphs_words() {
        let body =
            serde_json::json!({"lifetimeInMinutes": 60, "isUsableOnce": true, "usableOnce": true});
        let report = check_entity(
            ApiVersion::V1,
            "temporaryAccessPassAuthenticationMethod",
            &body,
        );
        let err = request_refusal(&report.violations[0]);
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.message,
            "Property 'usableOnce' does not exist as a declared property or extension property on type 'microsoft.graph.temporaryAccessPassAuthenticationMethod'."
        );
    }
}
