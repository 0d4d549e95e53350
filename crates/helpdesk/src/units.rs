//! Many small groups of Graph requests ("units": one user's reads, or one user's POST) packed
//! into `$batch` calls of at most 20 requests, several calls in flight as [`Pace`] allows.
//! Throttled units go again after the pause; a unit of reads whose call was lost goes again;
//! a unit that writes gets its error back, because only its caller can tell whether the write
//! happened (see the reconcile in `bulk`).

use super::pace::Pace;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use hb_graph::batch::{MAX_BATCH, send_chunk};
use hb_graph::{ApiVersion, BatchRequest, BatchResponse, GraphClient, GraphError};
use std::collections::VecDeque;
use tokio_util::sync::CancellationToken;

/// Attempts for a throttled unit, or a read unit whose call was lost.
const MAX_ATTEMPTS: u32 = 6;

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

/// Sends every unit; `on_unit` gets each one's answers (in its request order) or the error of
/// its call. Returns the indices of units never sent because `cancel` fired.
pub(crate) async fn run_units(
    graph: &GraphClient,
    units: &[Unit],
    pace: &Pace,
    cancel: &CancellationToken,
    mut on_unit: impl FnMut(usize, Result<Vec<BatchResponse>, GraphError>),
) -> Vec<usize> {
    let mut queue: VecDeque<(usize, u32)> = (0..units.len()).map(|i| (i, 0)).collect();
    let mut in_flight = FuturesUnordered::new();
    loop {
        while !cancel.is_cancelled() && in_flight.len() < pace.limit() && !queue.is_empty() {
            let mut chunk = Vec::new();
            let mut requests = Vec::new();
            while let Some(&(i, _)) = queue.front() {
                let n = units[i].requests.len();
                if !requests.is_empty() && requests.len() + n > MAX_BATCH {
                    break;
                }
                chunk.push(queue.pop_front().unwrap_or((i, 0)));
                requests.extend(units[i].requests.iter().cloned());
            }
            in_flight.push(async move {
                pace.wait().await;
                let answer = send_chunk(graph, ApiVersion::V1, &requests).await;
                (chunk, answer)
            });
        }
        let Some((chunk, answer)) = in_flight.next().await else {
            break;
        };
        match answer {
            Ok(answer) => {
                if answer.retry_after.is_some() || answer.responses.iter().any(|r| r.status == 429)
                {
                    pace.throttled(answer.retry_after);
                } else {
                    pace.succeeded();
                }
                let mut responses = answer.responses.into_iter();
                for (i, attempts) in chunk {
                    let mine: Vec<BatchResponse> =
                        responses.by_ref().take(units[i].requests.len()).collect();
                    if mine.iter().any(|r| r.status == 429) && attempts + 1 < MAX_ATTEMPTS {
                        queue.push_back((i, attempts + 1));
                    } else {
                        on_unit(i, Ok(mine));
                    }
                }
            }
            Err(e) => {
                if e.status() == Some(429) {
                    pace.throttled(None);
                }
                for (i, attempts) in chunk {
                    let again = units[i].safe && answer_lost(&e) && attempts + 1 < MAX_ATTEMPTS;
                    if again {
                        queue.push_back((i, attempts + 1));
                    } else {
                        on_unit(i, Err(e.clone()));
                    }
                }
            }
        }
    }
    queue.into_iter().map(|(i, _)| i).collect()
}
