//! Many small groups of Graph requests ("units": one user's reads, or one user's POST) packed
//! into `$batch` calls of at most 20 requests, several calls in flight as [`Pace`] allows.
//!
//! A throttled item is Microsoft's "retry each failed request from the batch using the value
//! provided in the `retry-after` response header … You may retry all the failed requests in a new
//! batch after the longest `retry-after` value" (Microsoft Graph throttling guidance, "Throttling
//! and batching"): only the requests answered 429 go again, in a later batch, once their
//! `Retry-After` has passed, while the other units keep going. A unit of reads whose call was lost
//! goes again; a unit that writes gets its error back, because only its caller can tell whether
//! the write happened (see the reconcile in `bulk`).

use super::pace::Pace;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use hb_graph::batch::{MAX_BATCH, send_chunk};
use hb_graph::{ApiVersion, BatchRequest, BatchResponse, GraphClient, GraphError};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Attempts for a read unit whose call was lost.
const MAX_ATTEMPTS: u32 = 6;
/// Times one request may be answered 429 before its 429 is the answer: Microsoft says to retry
/// "until it succeeds"; a bound keeps a run that is throttled for good from going on forever.
const MAX_THROTTLED: u32 = 30;
/// The wait for a throttled item that names none.
const DEFAULT_ITEM_WAIT: Duration = Duration::from_secs(2);

/// Requests that belong together and are answered together.
pub(crate) struct Unit {
    pub requests: Vec<BatchRequest>,
    /// Reads only: safe to send again when the answer was lost.
    pub safe: bool,
}

/// Whether an error means "the answer did not arrive" (the request may have been applied).
pub(crate) fn answer_lost(e: &GraphError) -> bool {
    match e {
        GraphError::Network { .. }
        | GraphError::Decode { .. }
        | GraphError::OutcomeUnknown { .. } => true,
        GraphError::Api(api) => matches!(api.status, 500 | 502 | 503 | 504),
        _ => false,
    }
}

/// One unit on its way: the answers it has so far (a throttled request's slot stays empty until
/// it is answered otherwise), and how often it was lost or throttled.
struct Progress {
    answers: Vec<Option<BatchResponse>>,
    lost: u32,
    throttled: u32,
}

impl Progress {
    fn pending(&self) -> impl Iterator<Item = usize> + '_ {
        self.answers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_none())
            .map(|(r, _)| r)
    }
}

/// Sends every unit; `on_unit` gets each one's answers (in its request order) or the error of
/// its call. Returns the indices of units left unanswered because `cancel` fired (none of their
/// requests applied: never sent, or answered only 429).
pub(crate) async fn run_units(
    graph: &GraphClient,
    units: &[Unit],
    pace: &Pace,
    cancel: &CancellationToken,
    mut on_unit: impl FnMut(usize, Result<Vec<BatchResponse>, GraphError>),
) -> Vec<usize> {
    let mut progress: Vec<Progress> = units
        .iter()
        .map(|u| Progress {
            answers: vec![None; u.requests.len()],
            lost: 0,
            throttled: 0,
        })
        .collect();
    let mut queue: VecDeque<usize> = (0..units.len()).collect();
    // Units with throttled requests, and when they may go again.
    let mut resting: Vec<(Instant, usize)> = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    loop {
        let now = Instant::now();
        resting.retain(|&(at, u)| {
            let due = at <= now;
            if due {
                queue.push_back(u);
            }
            !due
        });
        while !cancel.is_cancelled() && in_flight.len() < pace.limit() && !queue.is_empty() {
            // (unit, request index) of each request in this call, in its order.
            let mut slots: Vec<(usize, usize)> = Vec::new();
            let mut requests = Vec::new();
            while let Some(&u) = queue.front() {
                let pending: Vec<usize> = progress[u].pending().collect();
                if !requests.is_empty() && requests.len() + pending.len() > MAX_BATCH {
                    break;
                }
                queue.pop_front();
                for r in pending {
                    slots.push((u, r));
                    requests.push(units[u].requests[r].clone());
                }
            }
            in_flight.push(async move {
                pace.wait().await;
                let answer = send_chunk(graph, ApiVersion::V1, &requests).await;
                (slots, answer)
            });
        }
        let next_rest = resting.iter().map(|(at, _)| *at).min();
        let done = match (in_flight.is_empty(), next_rest) {
            (true, None) => break,
            (true, Some(_)) if cancel.is_cancelled() => break,
            (true, Some(at)) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = cancel.cancelled() => {}
                }
                continue;
            }
            (false, Some(at)) if !cancel.is_cancelled() => {
                tokio::select! {
                    done = in_flight.next() => done,
                    _ = tokio::time::sleep_until(at) => continue,
                }
            }
            (false, _) => in_flight.next().await,
        };
        let Some((slots, answer)) = done else {
            continue;
        };
        let mut units_here: Vec<usize> = slots.iter().map(|(u, _)| *u).collect();
        units_here.dedup();
        match answer {
            Ok(answer) => {
                let mut throttled_wait: Option<Duration> = None;
                let mut throttled_units: Vec<usize> = Vec::new();
                let mut answered = 0;
                for ((u, r), response) in slots.iter().zip(answer.responses) {
                    let p = &mut progress[*u];
                    if response.status == 429 && p.throttled + 1 < MAX_THROTTLED {
                        let wait = response.retry_after().unwrap_or(DEFAULT_ITEM_WAIT);
                        throttled_wait = Some(throttled_wait.map_or(wait, |w| w.max(wait)));
                        if throttled_units.last() != Some(u) {
                            throttled_units.push(*u);
                        }
                    } else {
                        p.answers[*r] = Some(response);
                        answered += 1;
                    }
                }
                pace.answered(answered);
                if let Some(wait) = throttled_wait {
                    pace.items_throttled(wait);
                    let at = Instant::now() + wait;
                    for u in &throttled_units {
                        progress[*u].throttled += 1;
                        resting.push((at, *u));
                    }
                }
                for u in units_here {
                    if throttled_units.contains(&u) {
                        continue;
                    }
                    let answers: Vec<BatchResponse> = progress[u]
                        .answers
                        .iter_mut()
                        .filter_map(Option::take)
                        .collect();
                    on_unit(u, Ok(answers));
                }
            }
            Err(e) => {
                if e.status() == Some(429) {
                    pace.throttled(None);
                }
                for u in units_here {
                    let p = &mut progress[u];
                    let again = units[u].safe && answer_lost(&e) && p.lost + 1 < MAX_ATTEMPTS;
                    if again {
                        p.lost += 1;
                        queue.push_back(u);
                    } else {
                        on_unit(u, Err(e.clone()));
                    }
                }
            }
        }
    }
    let mut left: Vec<usize> = queue
        .into_iter()
        .chain(resting.into_iter().map(|(_, u)| u))
        .collect();
    left.sort_unstable();
    left
}
