//! The Graph HTTP client.

use super::batch::{BatchRequest, BatchResponse};
use super::error::GraphError;
use super::path::GraphPath;
use super::token::TokenSource;
pub use crate::config::{ApiVersion, GraphConfig};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The Graph client. Cheap to clone.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    config: GraphConfig,
    tokens: Arc<dyn TokenSource>,
}

/// Retries of a call whose connection was refused (nothing listening, DNS, a proxy down).
const REFUSED_RETRIES: u32 = 2;

/// The user agent naming the app and its version.
pub const USER_AGENT: &str = concat!("hello-bootstrap/", env!("CARGO_PKG_VERSION"));

impl GraphClient {
    /// A client for `config`'s Graph, asking `tokens` for a bearer token on every call.
    pub fn new(config: GraphConfig, tokens: Arc<dyn TokenSource>) -> Result<Self, GraphError> {
        // Each request sets its own timeout, sized to the call (see `timeout_for`).
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GraphError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(GraphClient {
            http,
            config,
            tokens,
        })
    }

    /// Asks the token source for the permissions `step`'s `action` needs, before it starts
    /// (incremental consent; see [`TokenSource::prepare`]).
    pub async fn prepare(
        &self,
        step: hb_lab::Step,
        action: hb_lab::session::JobAction,
    ) -> Result<(), GraphError> {
        self.tokens
            .prepare(step, action)
            .await
            .map_err(GraphError::Auth)
    }

    /// Where this client sends requests and how it retries.
    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// The absolute URL of a typed request path, as people would paste it (evidence).
    pub fn url_of(&self, path: &GraphPath) -> String {
        self.url(path.version(), &path.relative())
    }

    /// The absolute URL of a fixed path (like `/users`) in a version, as people would paste it.
    /// Paths holding a value from outside are built as a [`GraphPath`] instead.
    pub fn url(&self, version: ApiVersion, path: &str) -> String {
        format!(
            "{}{}/{}",
            self.config.root,
            version.segment(),
            path.trim_start_matches('/')
        )
    }

    /// GET a JSON value at a fixed path (tests and tools; our crates call [`crate::api`]).
    pub async fn get(&self, version: ApiVersion, path: &str) -> Result<Value, GraphError> {
        let url = self.url(version, path);
        self.send(Method::GET, &url, None)
            .await
            .map(|v| v.unwrap_or(Value::Null))
    }

    /// GET and decode into a type.
    pub async fn get_as<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<T, GraphError> {
        let url = self.url(version, path);
        let value = self.get(version, path).await?;
        decode(value, &url)
    }

    /// GET a collection at a fixed path, following `@odata.nextLink` verbatim until the last
    /// page (tests and tools; our crates call [`crate::api`]).
    pub async fn get_all(&self, version: ApiVersion, path: &str) -> Result<Vec<Value>, GraphError> {
        self.get_all_from(self.url(version, path)).await
    }

    async fn get_all_from(&self, mut url: String) -> Result<Vec<Value>, GraphError> {
        let mut items = Vec::new();
        for _ in 0..10_000 {
            let page = self
                .send(Method::GET, &url, None)
                .await?
                .unwrap_or(Value::Null);
            if let Some(values) = page.get("value").and_then(Value::as_array) {
                items.extend(values.iter().cloned());
            }
            match page.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => url = next.to_string(),
                None => return Ok(items),
            }
        }
        Err(GraphError::Decode {
            status: 200,
            url,
            reason: "more than 10,000 pages: the server keeps returning @odata.nextLink".into(),
        })
    }

    /// PATCH a JSON body at a fixed path; Graph answers 204 or 200 with the object.
    pub async fn patch(
        &self,
        version: ApiVersion,
        path: &str,
        body: &Value,
    ) -> Result<Option<Value>, GraphError> {
        let url = self.url(version, path);
        self.send(Method::PATCH, &url, Some(body)).await
    }

    /// POST a JSON body at a fixed path and return the created object.
    pub async fn post(
        &self,
        version: ApiVersion,
        path: &str,
        body: &Value,
    ) -> Result<Value, GraphError> {
        let url = self.url(version, path);
        self.send(Method::POST, &url, Some(body))
            .await
            .map(|v| v.unwrap_or(Value::Null))
    }

    /// DELETE a resource at a fixed path.
    pub async fn delete(&self, version: ApiVersion, path: &str) -> Result<(), GraphError> {
        let url = self.url(version, path);
        self.send(Method::DELETE, &url, None).await.map(|_| ())
    }

    /// The absolute URL of a typed path, checked (no `.`/`..`/empty keys).
    fn absolute(&self, path: &GraphPath) -> Result<String, GraphError> {
        path.url(&self.config.root).map(String::from)
    }

    /// GET a typed path and decode the answer.
    pub(crate) async fn get_at<T: DeserializeOwned>(
        &self,
        path: &GraphPath,
    ) -> Result<T, GraphError> {
        let url = self.absolute(path)?;
        let value = self
            .send(Method::GET, &url, None)
            .await?
            .unwrap_or(Value::Null);
        decode(value, &url)
    }

    /// GET a collection at a typed path, every page, each item decoded.
    pub(crate) async fn list_at<T: DeserializeOwned>(
        &self,
        path: &GraphPath,
    ) -> Result<Vec<T>, GraphError> {
        let url = self.absolute(path)?;
        self.get_all_from(url.clone())
            .await?
            .into_iter()
            .map(|item| decode(item, &url))
            .collect()
    }

    /// PATCH a typed path; Graph answers 204, or 200 with the object.
    pub(crate) async fn patch_at(
        &self,
        path: &GraphPath,
        body: &Value,
    ) -> Result<Option<Value>, GraphError> {
        let url = self.absolute(path)?;
        self.send(Method::PATCH, &url, Some(body)).await
    }

    /// POST to a typed path and return the created object as Graph sent it.
    pub(crate) async fn post_at(
        &self,
        path: &GraphPath,
        body: &Value,
    ) -> Result<Value, GraphError> {
        let url = self.absolute(path)?;
        self.send(Method::POST, &url, Some(body))
            .await
            .map(|v| v.unwrap_or(Value::Null))
    }

    /// DELETE at a typed path.
    pub(crate) async fn delete_at(&self, path: &GraphPath) -> Result<(), GraphError> {
        let url = self.absolute(path)?;
        self.send(Method::DELETE, &url, None).await.map(|_| ())
    }

    /// Sends requests through `$batch`, 20 a call, retrying throttled items; answers come back in
    /// the order of `requests`.
    pub async fn batch(
        &self,
        version: ApiVersion,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<BatchResponse>, GraphError> {
        super::batch::run(self, version, requests).await
    }

    /// POSTs to a typed path; when the answer is lost (the connection dropped after the request
    /// went out, a timeout, an unreadable success), asks `reconcile` what the state now says
    /// instead of repeating the POST blindly: [`Reconciled::Applied`] ends the call with what
    /// was found, [`Reconciled::NotApplied`] sends the POST again (bounded by `max_retries`).
    pub async fn post_reconciled<F, Fut>(
        &self,
        path: &GraphPath,
        body: &Value,
        reconcile: F,
    ) -> Result<Value, GraphError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Reconciled, GraphError>>,
    {
        let mut tries = 0;
        loop {
            let lost = match self.post_at(path, body).await {
                Err(e @ GraphError::OutcomeUnknown { .. }) => e,
                other => return other,
            };
            tries += 1;
            match reconcile().await {
                Ok(Reconciled::Applied(found)) => {
                    tracing::info!("the lost POST had been applied; reading it back answered it");
                    return Ok(found);
                }
                Ok(Reconciled::NotApplied) if tries <= self.config.max_retries => {
                    tracing::info!("the lost POST had not been applied; sending it again");
                }
                Ok(Reconciled::NotApplied) => return Err(lost),
                Err(read) => {
                    return Err(GraphError::OutcomeUnknown {
                        method: "POST".into(),
                        url: strip_query(&self.absolute(path)?),
                        reason: format!(
                            "{} — and reading the state back failed too ({read})",
                            lost.outcome_reason().unwrap_or_default()
                        ),
                    });
                }
            }
        }
    }

    /// How long one exchange may take: reads the configured timeout, writes twice that (Graph
    /// does more work), `$batch` three times (up to 20 calls in one).
    fn timeout_for(&self, method: &Method, url: &str) -> Duration {
        let base = self.config.timeout;
        if strip_query(url).ends_with("/$batch") {
            base * 3
        } else if *method == Method::GET {
            base
        } else {
            base * 2
        }
    }

    /// One Graph call, retried within bounds: 429, 503 and 504 on any method (Graph did not run
    /// it; `Retry-After` honoured), 500 and 502 and a lost connection or timeout on requests
    /// that are safe to repeat (GET, PATCH of set values, DELETE), one token refresh on 401. A
    /// POST whose answer is lost is never repeated here: it fails as
    /// [`GraphError::OutcomeUnknown`] for the caller to reconcile.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, GraphError> {
        let repeatable = method != Method::POST;
        let timeout = self.timeout_for(&method, url);
        let mut attempt = 0u32;
        let mut refreshed = false;
        // An earlier try of this call may have been applied (its answer was lost).
        let mut maybe_applied = false;
        loop {
            let token = self.tokens.access_token().await.map_err(GraphError::Auth)?;
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let mut request = self
                .http
                .request(method.clone(), url)
                .timeout(timeout)
                .bearer_auth(token.expose())
                .header("client-request-id", &client_request_id)
                .header("return-client-request-id", "true")
                .header("Accept", "application/json");
            if needs_eventual_consistency(url) {
                request = request.header("ConsistencyLevel", "eventual");
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let exchange = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    match response.bytes().await {
                        Ok(bytes) => Ok((status, retry_after, bytes)),
                        Err(e) => Err((describe_reqwest(&e), false)),
                    }
                }
                Err(e) => Err((describe_reqwest(&e), e.is_connect())),
            };
            let (status, retry_after, bytes) = match exchange {
                Ok(answer) => answer,
                Err((reason, never_sent)) => {
                    // A refused connection never carried the request; anything else might have.
                    // Nothing listening rarely heals in seconds, so it gets fewer tries.
                    let budget = if never_sent && !maybe_applied {
                        self.config.max_retries.min(REFUSED_RETRIES)
                    } else {
                        self.config.max_retries
                    };
                    if (never_sent || repeatable) && attempt < budget {
                        maybe_applied |= !never_sent;
                        self.wait_to_retry(attempt, None, &reason).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(self.lost(&method, url, reason, attempt + 1, never_sent));
                }
            };
            if status.is_success() {
                if bytes.is_empty() || status == StatusCode::NO_CONTENT {
                    return Ok(None);
                }
                match serde_json::from_slice(&bytes) {
                    Ok(value) => return Ok(Some(value)),
                    Err(e) if repeatable && attempt < self.config.max_retries => {
                        let reason = format!("Graph's answer could not be read ({e})");
                        self.wait_to_retry(attempt, None, &reason).await;
                        attempt += 1;
                        continue;
                    }
                    Err(e) if !repeatable => {
                        return Err(GraphError::OutcomeUnknown {
                            method: method.to_string(),
                            url: strip_query(url),
                            reason: format!(
                                "Graph answered {} (applied) but its answer could not be read ({e})",
                                status.as_u16()
                            ),
                        });
                    }
                    Err(e) => {
                        return Err(GraphError::Decode {
                            status: status.as_u16(),
                            url: strip_query(url),
                            reason: format!("{e} (after {} tries)", attempt + 1),
                        });
                    }
                }
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed && self.tokens.refresh().await {
                refreshed = true;
                continue;
            }
            if status == StatusCode::NOT_FOUND && method == Method::DELETE && maybe_applied {
                // The earlier DELETE whose answer was lost did its job.
                return Ok(None);
            }
            let retryable = match status.as_u16() {
                429 | 503 | 504 => true,
                500 | 502 => repeatable,
                _ => false,
            };
            if retryable && attempt < self.config.max_retries {
                let reason = format!("Graph answered {}", status.as_u16());
                self.wait_to_retry(attempt, retry_after, &reason).await;
                attempt += 1;
                continue;
            }
            return Err(GraphError::from_body(
                status.as_u16(),
                &bytes,
                Some(client_request_id),
            ));
        }
    }

    /// Waits before try `attempt + 2`: Graph's `Retry-After` when it gave one, else backoff
    /// with jitter; never longer than `max_retry_wait`.
    async fn wait_to_retry(&self, attempt: u32, retry_after: Option<Duration>, why: &str) {
        let wait = retry_after
            .unwrap_or_else(|| backoff(self.config.retry_base, attempt))
            .min(self.config.max_retry_wait);
        tracing::info!(
            why,
            attempt = attempt + 1,
            wait_ms = wait.as_millis() as u64,
            "retrying a Graph call"
        );
        tokio::time::sleep(wait).await;
    }

    /// The error for a call whose answer never arrived, after `tries` tries.
    fn lost(
        &self,
        method: &Method,
        url: &str,
        reason: String,
        tries: u32,
        never_sent: bool,
    ) -> GraphError {
        if *method == Method::POST && !never_sent {
            return GraphError::OutcomeUnknown {
                method: method.to_string(),
                url: strip_query(url),
                reason: format!("the answer was lost ({reason})"),
            };
        }
        let changed = if *method == Method::GET || never_sent {
            "nothing was changed"
        } else {
            "the change may or may not have been applied; it is safe to run it again"
        };
        GraphError::Network {
            url: strip_query(url),
            reason: format!("{reason}, {tries} tries; {changed}"),
        }
    }
}

/// What reading the state back says about a POST whose answer was lost.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciled {
    /// The POST had been applied: here is the object it made, as read back.
    Applied(Value),
    /// Nothing of the POST is there: it may be sent again.
    NotApplied,
}

/// Directory "advanced queries" (`$search`, `$count`) need `ConsistencyLevel: eventual`, on every
/// page, since Graph does not carry it into `@odata.nextLink`.
fn needs_eventual_consistency(url: &str) -> bool {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query.split('&').any(|pair| {
        let key = pair.split('=').next().unwrap_or_default();
        let key = key
            .strip_prefix("%24")
            .or_else(|| key.strip_prefix('$'))
            .unwrap_or(key);
        key.eq_ignore_ascii_case("search") || key.eq_ignore_ascii_case("count")
    })
}

/// Exponential backoff with jitter when Graph gives no `Retry-After`: `base` times 1, 2, 4, 8,
/// ... (up to 32), plus up to 50%, so clients that failed together do not retry together.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let base = base * (1u32 << attempt.min(5));
    let jitter = rand::random_range(0.0..0.5);
    base.mul_f64(1.0 + jitter)
}

/// Reads `Retry-After` in seconds (the form Graph uses).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

pub(crate) fn decode<T: DeserializeOwned>(value: Value, url: &str) -> Result<T, GraphError> {
    serde_json::from_value(value).map_err(|e| GraphError::Decode {
        status: 200,
        url: strip_query(url),
        reason: e.to_string(),
    })
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "connection refused or host unreachable".into()
    } else {
        // reqwest errors carry the URL, which may hold a query; drop it.
        e.without_url_ref().to_string()
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let text = self.to_string();
        match self.url() {
            Some(u) => text.replace(u.as_str(), "<url>"),
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advanced_queries_are_recognised_in_plain_and_encoded_form() {
        assert!(needs_eventual_consistency(
            "http://h/v1.0/users?$search=\"displayName:a\""
        ));
        assert!(needs_eventual_consistency(
            "http://h/v1.0/users?%24top=5&%24count=true"
        ));
        assert!(!needs_eventual_consistency(
            "http://h/v1.0/users?$top=5&$filter=mail eq 'search'"
        ));
        assert!(!needs_eventual_consistency("http://h/v1.0/users"));
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let s = Duration::from_secs(1);
        assert!(backoff(s, 0) >= s && backoff(s, 0) < Duration::from_secs(2));
        assert!(backoff(s, 3) >= Duration::from_secs(8));
        assert!(backoff(s, 30) <= Duration::from_secs(48));
        let short = Duration::from_millis(200);
        assert!(backoff(short, 1) >= Duration::from_millis(400));
        assert!(backoff(short, 1) < Duration::from_millis(600));
    }
}
