//! Answers lost after the server did the work: the request is applied, then the connection is
//! reset before the body arrives (or the body is not JSON). Microsoft documents neither, but
//! every client of a write API meets it (a proxy timing out, a dropped Wi-Fi link), and a TAP
//! created behind a lost answer is a pass nobody saw. Tests turn it on with
//! `POST /_emulator/lost-answers`; it applies to top-level requests only (a `$batch` loses its
//! whole answer, as one HTTP exchange does).

use crate::middleware::BatchItem;
use crate::state::SharedState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::Response;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use std::sync::Mutex;

/// How a lost answer looks to the client.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// The status line and headers arrive, then the connection breaks mid-body.
    #[default]
    Reset,
    /// The whole answer arrives, but its body is cut off and is not JSON.
    Garbage,
}

/// Which answers are lost: requests whose method is `method` and whose path contains one of
/// `path_contains`, each with probability `rate` (seeded, so a run can be repeated).
#[derive(Clone, Debug, Deserialize)]
pub struct LostAnswerRule {
    #[serde(default = "post")]
    pub method: String,
    pub path_contains: Vec<String>,
    pub rate: f64,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub kind: LossKind,
}

fn post() -> String {
    "POST".into()
}

struct Active {
    rule: LostAnswerRule,
    rng: rand::rngs::StdRng,
    lost: u64,
}

/// The emulator's current rule and how many answers it has lost.
#[derive(Default)]
pub struct LostAnswers {
    active: Mutex<Option<Active>>,
}

impl LostAnswers {
    /// Replaces the rule.
    pub fn set(&self, rule: LostAnswerRule) {
        let rng = rand::rngs::StdRng::seed_from_u64(rule.seed);
        *self.lock() = Some(Active { rule, rng, lost: 0 });
    }

    /// Turns losing answers off; returns how many were lost.
    pub fn clear(&self) -> u64 {
        self.lock().take().map(|a| a.lost).unwrap_or(0)
    }

    /// How many answers have been lost under the current rule.
    pub fn lost(&self) -> u64 {
        self.lock().as_ref().map(|a| a.lost).unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Active>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this request's answer is to be lost (decided before it runs, so the draw does
    /// not depend on timing).
    fn draw(&self, method: &str, path: &str) -> Option<LossKind> {
        let mut guard = self.lock();
        let active = guard.as_mut()?;
        let rule = &active.rule;
        let matches = rule.method.eq_ignore_ascii_case(method)
            && rule.path_contains.iter().any(|p| path.contains(p.as_str()));
        if !matches || active.rng.random::<f64>() >= rule.rate {
            return None;
        }
        active.lost += 1;
        Some(rule.kind)
    }
}

/// The layer: runs the request (so it is applied), then loses its answer when the rule says so.
pub(crate) async fn layer(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    if request.extensions().get::<BatchItem>().is_some() {
        return next.run(request).await;
    }
    let loss = state
        .lost_answers
        .draw(request.method().as_str(), request.uri().path());
    let response = next.run(request).await;
    match loss {
        None => response,
        Some(kind) => lose(response, kind),
    }
}

fn lose(response: Response, kind: LossKind) -> Response {
    let (mut parts, _body) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    match kind {
        LossKind::Reset => {
            // A body that fails at once: hyper aborts the connection, as a reset does.
            let stream = futures::stream::iter([Err::<axum::body::Bytes, _>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "answer lost",
            ))]);
            Response::from_parts(parts, Body::from_stream(stream))
        }
        LossKind::Garbage => {
            parts.headers.insert(
                CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            Response::from_parts(parts, Body::from("{\"@odata.context\":\"https://"))
        }
    }
}
