//! JSON `$batch`: at most 20 requests a call, answers matched back by id, throttled items retried.

use super::client::{ApiVersion, GraphClient, backoff};
use super::error::GraphError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// Graph's limit of requests in one `$batch` call.
pub const MAX_BATCH: usize = 20;

/// One request inside a batch; `url` is relative to the version (e.g. `/users/{id}`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchRequest {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl BatchRequest {
    /// This request as an item of a `$batch` body, under the id its answer comes back with.
    fn item(&self, id: usize) -> Value {
        let mut item = json!({ "id": id.to_string(), "method": self.method, "url": self.url });
        if let Some(body) = &self.body {
            item["body"] = body.clone();
            item["headers"] = json!({ "Content-Type": "application/json" });
        }
        item
    }
}

impl BatchRequest {
    /// A GET of a fixed relative URL such as `/users?$top=5`.
    pub fn get(url: impl Into<String>) -> Self {
        BatchRequest {
            method: "GET".into(),
            url: url.into(),
            body: None,
        }
    }

    /// A request with a JSON body at a fixed relative URL.
    pub fn with_body(method: &str, url: impl Into<String>, body: Value) -> Self {
        BatchRequest {
            method: method.into(),
            url: url.into(),
            body: Some(body),
        }
    }

    /// A GET of a typed path, its keys encoded as in a direct call. Batch items of one call
    /// share a version: send v1.0 paths through a v1.0 batch, beta ones through beta.
    pub fn get_path(path: &crate::GraphPath) -> Self {
        BatchRequest::get(path.relative())
    }
}

/// One answer inside a batch, in the order of the requests sent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BatchResponse {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    #[serde(default)]
    pub body: Option<Value>,
}

impl BatchResponse {
    /// The item's error as a typed Graph error, when it failed.
    pub fn error(&self) -> Option<GraphError> {
        if (200..300).contains(&self.status) {
            return None;
        }
        let body = self
            .body
            .as_ref()
            .map(|b| b.to_string())
            .unwrap_or_default();
        Some(GraphError::from_body(self.status, body.as_bytes(), None))
    }
}

/// The answers of one `$batch` call sent by [`send_chunk`], in request order, with the longest
/// `Retry-After` any throttled item asked for.
#[derive(Clone, Debug)]
pub struct ChunkAnswer {
    pub responses: Vec<BatchResponse>,
    /// The longest wait a 429 item asked for (`None`: no item was throttled or none said).
    pub retry_after: Option<Duration>,
}

impl BatchResponse {
    /// The item's `Retry-After`, in seconds as Graph sends it.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, v)| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            })
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// One `$batch` call of at most [`MAX_BATCH`] requests, with no retry of its items: for callers
/// that schedule many batches at once and decide themselves when a throttled or lost item goes
/// again (the help desk's bulk issuing). Answers come back in request order.
pub async fn send_chunk(
    client: &GraphClient,
    version: ApiVersion,
    requests: &[BatchRequest],
) -> Result<ChunkAnswer, GraphError> {
    let url = client.url(version, "$batch");
    if requests.len() > MAX_BATCH {
        return Err(GraphError::Config(format!(
            "a $batch call holds at most {MAX_BATCH} requests, not {}",
            requests.len()
        )));
    }
    let items: Vec<Value> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| r.item(i))
        .collect();
    let reply = client
        .send(Method::POST, &url, Some(&json!({ "requests": items })))
        .await?
        .unwrap_or(Value::Null);
    let envelope: Envelope = super::client::decode(reply, &url)?;
    let mut answers: Vec<Option<BatchResponse>> = vec![None; requests.len()];
    let mut retry_after = None;
    for response in envelope.responses {
        let index = response
            .id
            .parse::<usize>()
            .ok()
            .filter(|i| *i < requests.len());
        let Some(index) = index else {
            return Err(GraphError::Decode {
                status: 200,
                url,
                reason: format!("batch answer with unknown id '{}'", response.id),
            });
        };
        if response.status == 429 {
            retry_after = retry_after.max(response.retry_after());
        }
        answers[index] = Some(response);
    }
    let responses = answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            a.ok_or_else(|| GraphError::Decode {
                status: 200,
                url: url.clone(),
                reason: format!("batch answer for request {i} is missing"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ChunkAnswer {
        responses,
        retry_after,
    })
}

#[derive(Deserialize)]
struct Envelope {
    responses: Vec<BatchResponse>,
}

pub(crate) async fn run(
    client: &GraphClient,
    version: ApiVersion,
    requests: Vec<BatchRequest>,
) -> Result<Vec<BatchResponse>, GraphError> {
    let mut answers: Vec<Option<BatchResponse>> = vec![None; requests.len()];
    let url = client.url(version, "$batch");
    for (chunk_no, chunk) in requests.chunks(MAX_BATCH).enumerate() {
        let offset = chunk_no * MAX_BATCH;
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            let items: Vec<Value> = pending.iter().map(|&i| chunk[i].item(offset + i)).collect();
            let reply = client
                .send(Method::POST, &url, Some(&json!({ "requests": items })))
                .await?
                .unwrap_or(Value::Null);
            let envelope: Envelope = super::client::decode(reply, &url)?;
            let mut throttled = Vec::new();
            let mut wait: Option<Duration> = None;
            for response in envelope.responses {
                let Some(index) = response
                    .id
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i >= offset && *i < offset + chunk.len())
                else {
                    return Err(GraphError::Decode {
                        status: 200,
                        url: url.clone(),
                        reason: format!("batch answer with unknown id '{}'", response.id),
                    });
                };
                if matches!(response.status, 429 | 503 | 504)
                    && attempt < client.config().max_retries
                {
                    let after = response
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        .and_then(|(_, v)| {
                            v.as_str()
                                .map(str::to_string)
                                .or_else(|| v.as_u64().map(|n| n.to_string()))
                        })
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    wait = wait.max(after);
                    throttled.push(index - offset);
                }
                answers[index] = Some(response);
            }
            pending = throttled;
            if !pending.is_empty() {
                let pause = wait
                    .unwrap_or_else(|| backoff(client.config().retry_base, attempt))
                    .min(client.config().max_retry_wait);
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
        }
    }
    answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            a.ok_or_else(|| GraphError::Decode {
                status: 200,
                url: url.clone(),
                reason: format!("batch answer for request {i} is missing"),
            })
        })
        .collect()
}
