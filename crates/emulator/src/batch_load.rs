//! The emulator's guard on `$batch` load: many large batches at once must not grow its memory
//! without bound. Microsoft's "Combine multiple HTTP requests using JSON batching"
//! (learn.microsoft.com/graph/json-batching) documents the limit of 20 requests per batch
//! (enforced by the route); it gives no byte or concurrency figure, so those two bounds are the
//! emulator's own: a body over [`MAX_BATCH_BODY_BYTES`] is refused with 413, and at most
//! [`MAX_BATCHES_IN_FLIGHT`] batches are read and run at once; the others wait with their bodies
//! still unread on the connection. What the guard held at its peak is reported by
//! `GET /_emulator/stats`, so a test can measure the bound instead of timing anything.

use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// The largest `$batch` body the emulator reads (20 items of about 200 kB each).
pub const MAX_BATCH_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How many `$batch` calls are read and run at once.
pub const MAX_BATCHES_IN_FLIGHT: usize = 8;

/// Admission and accounting of `$batch` calls.
pub struct BatchLoad {
    gate: Semaphore,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    held_bytes: AtomicU64,
    peak_held_bytes: AtomicU64,
    served: AtomicU64,
}

impl Default for BatchLoad {
    fn default() -> Self {
        BatchLoad {
            gate: Semaphore::new(MAX_BATCHES_IN_FLIGHT),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            held_bytes: AtomicU64::new(0),
            peak_held_bytes: AtomicU64::new(0),
            served: AtomicU64::new(0),
        }
    }
}

/// One admitted batch; its accounting ends on drop.
pub struct Admitted<'a> {
    load: &'a BatchLoad,
    _permit: SemaphorePermit<'a>,
    bytes: u64,
}

impl BatchLoad {
    /// Waits for a place among the batches in flight (before the body is read).
    pub async fn admit(&self) -> Admitted<'_> {
        let permit = self
            .gate
            .acquire()
            .await
            .expect("the batch gate is never closed");
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        Admitted {
            load: self,
            _permit: permit,
            bytes: 0,
        }
    }

    /// The figures for the stats endpoint.
    pub fn stats(&self) -> BatchLoadStats {
        BatchLoadStats {
            served: self.served.load(Ordering::SeqCst),
            peak_in_flight: self.peak_in_flight.load(Ordering::SeqCst),
            peak_held_bytes: self.peak_held_bytes.load(Ordering::SeqCst),
            max_in_flight: MAX_BATCHES_IN_FLIGHT as u64,
            max_body_bytes: MAX_BATCH_BODY_BYTES as u64,
        }
    }
}

impl Admitted<'_> {
    /// Counts the body this batch now holds in memory.
    pub fn holds(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
        let now = self
            .load
            .held_bytes
            .fetch_add(bytes as u64, Ordering::SeqCst)
            + bytes as u64;
        self.load.peak_held_bytes.fetch_max(now, Ordering::SeqCst);
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.load.held_bytes.fetch_sub(self.bytes, Ordering::SeqCst);
        self.load.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.load.served.fetch_add(1, Ordering::SeqCst);
    }
}

/// `$batch` load as `GET /_emulator/stats` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchLoadStats {
    /// Batches admitted and finished.
    pub served: u64,
    /// The most batches read and run at once.
    pub peak_in_flight: u64,
    /// The most batch body bytes held at once.
    pub peak_held_bytes: u64,
    pub max_in_flight: u64,
    pub max_body_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admitted_batches_are_counted_and_released() {
        let load = BatchLoad::default();
        {
            let mut a = load.admit().await;
            a.holds(1000);
            let mut b = load.admit().await;
            b.holds(500);
            assert_eq!(load.stats().peak_held_bytes, 1500);
        }
        let _c = load.admit().await;
        let stats = load.stats();
        assert_eq!((stats.served, stats.peak_in_flight), (2, 2));
        assert_eq!(load.held_bytes.load(Ordering::SeqCst), 0);
    }
}
