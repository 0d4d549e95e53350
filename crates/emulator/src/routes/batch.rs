//! JSON `$batch` (v1.0 and beta): at most 20 requests, unique ids, per-item status, `dependsOn`
//! (a failed dependency gives 424). Inner requests run through the same router as direct calls,
//! with the outer call's bearer token.

use super::common::json_object;
use crate::api::ApiVersion;
use crate::batch_load::MAX_BATCH_BODY_BYTES;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::middleware::BatchItem;
use crate::state::SharedState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tower::ServiceExt;

/// Graph's limit of requests in one batch.
pub const MAX_BATCH: usize = 20;

/// The `$batch` route.
pub fn routes() -> Router<SharedState> {
    Router::new().route("/$batch", post(run))
}

struct Item {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse_items(body: &Bytes) -> Result<Vec<Item>, GraphErr> {
    let mut envelope = json_object(body)?;
    let Some(Value::Array(requests)) = envelope.remove("requests") else {
        return Err(GraphErr::bad_request(
            "The batch body needs a 'requests' array.",
        ));
    };
    if requests.is_empty() {
        return Err(GraphErr::bad_request("The batch contains no requests."));
    }
    if requests.len() > MAX_BATCH {
        return Err(GraphErr::bad_request(format!(
            "The batch contains {} requests; a batch may contain at most {MAX_BATCH}.",
            requests.len()
        )));
    }
    let mut items = Vec::new();
    for request in requests {
        let text = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(id), Some(method), Some(url)) = (text("id"), text("method"), text("url")) else {
            return Err(GraphErr::bad_request(format!(
                "Each batch request needs 'id', 'method' and 'url'; got {request}."
            )));
        };
        // A batch inside a batch would wait for a place among the batches in flight that its
        // own outer batch holds; the emulator refuses it rather than deadlock.
        if url
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .ends_with("$batch")
        {
            return Err(GraphErr::bad_request(format!(
                "Batch request '{id}' is itself a $batch; batches cannot be nested."
            )));
        }
        if items.iter().any(|i: &Item| i.id.eq_ignore_ascii_case(&id)) {
            return Err(GraphErr::bad_request(format!(
                "Batch request id '{id}' is used twice; ids must be unique."
            )));
        }
        let headers = request
            .get("headers")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let body = request.get("body").cloned();
        if body.is_some()
            && !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("content-type"))
        {
            return Err(GraphErr::bad_request(format!(
                "Batch request '{id}' has a body but no 'Content-Type' header."
            )));
        }
        let depends_on = request
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        items.push(Item {
            id,
            method: method.to_ascii_uppercase(),
            url,
            headers,
            body,
            depends_on,
        });
    }
    Ok(items)
}

async fn run(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    outer: HeaderMap,
    body: Body,
) -> Result<Json<Value>, GraphErr> {
    // Admitted before the body is read: the batches waiting hold nothing yet.
    let mut admitted = state.batch_load.admit().await;
    let body = axum::body::to_bytes(body, MAX_BATCH_BODY_BYTES)
        .await
        .map_err(|e| {
            GraphErr::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!(
                    "The batch body is larger than the emulator reads ({MAX_BATCH_BODY_BYTES} bytes) or was cut off: {e}"
                ),
            )
        })?;
    admitted.holds(body.len());
    let items = parse_items(&body)?;
    let router = state.dispatcher().ok_or_else(|| {
        GraphErr::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The emulator is shutting down.",
        )
    })?;
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    for item in items {
        let failed_dependency = item.depends_on.iter().find(|d| {
            statuses
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(d))
                .is_none_or(|(_, s)| !(200..300).contains(s))
        });
        let answer = if let Some(dep) = failed_dependency {
            json!({
                "id": item.id, "status": 424, "headers": {"Content-Type": "application/json"},
                "body": {"error": {"code": "FailedDependency", "message": format!("Request '{dep}' this request depends on failed or has not run.")}},
            })
        } else {
            dispatch(&router, version, &outer, &item).await
        };
        statuses.insert(
            item.id.clone(),
            answer["status"].as_u64().unwrap_or(500) as u16,
        );
        responses.push(answer);
    }
    Ok(Json(json!({ "responses": responses })))
}

async fn dispatch(
    router: &axum::Router,
    version: ApiVersion,
    outer: &HeaderMap,
    item: &Item,
) -> Value {
    let relative = item.url.trim_start_matches('/');
    let uri = format!("/{}/{relative}", version.segment());
    let mut builder = Request::builder().method(item.method.as_str()).uri(&uri);
    for name in ["authorization", "client-request-id"] {
        if let Some(v) = outer.get(name) {
            builder = builder.header(name, v);
        }
    }
    for (k, v) in &item.headers {
        if let Some(v) = v.as_str() {
            builder = builder.header(k.as_str(), v);
        }
    }
    let body = match &item.body {
        Some(b) => Body::from(b.to_string()),
        None => Body::empty(),
    };
    let request = match builder.extension(BatchItem).body(body) {
        Ok(r) => r,
        Err(e) => {
            return item_error(
                &item.id,
                400,
                "BadRequest",
                &format!("Invalid batch request url or header: {e}"),
            );
        }
    };
    let response = match router.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for name in ["content-type", "retry-after", "location", "request-id"] {
        if let Some(v) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.insert(header_case(name), Value::String(v.to_string()));
        }
    }
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut answer = json!({ "id": item.id, "status": status, "headers": headers });
    if !bytes.is_empty() {
        answer["body"] = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    }
    answer
}

fn header_case(name: &str) -> String {
    match name {
        "content-type" => "Content-Type".into(),
        "retry-after" => "Retry-After".into(),
        "location" => "Location".into(),
        other => other.into(),
    }
}

fn item_error(id: &str, status: u16, code: &str, message: &str) -> Value {
    json!({ "id": id, "status": status, "body": {"error": {"code": code, "message": message}} })
}
