//! How many `$batch` calls are in flight at once, tuned by Graph's answers: fewer (down to one)
//! when Graph throttles, and grown back one at a time as requests are answered. Graph's
//! throttling guidance asks clients to back off for what `Retry-After` says; a fixed concurrency
//! either wastes the quota or keeps hitting the limit.
//!
//! Two kinds of throttling, two answers. A whole call refused with 429 (after the client's own
//! retries) pauses every call for the wait. Requests throttled inside a batch that was itself
//! answered are retried on their own after their `Retry-After` ("Throttling and batching" in the
//! throttling guidance), so they do not pause the rest; they halve the calls in flight at most
//! once per wait, so a burst of throttled items in one window counts as one signal.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Calls in flight at the start, and the most ever.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Requests answered (not throttled) before one more call may fly at once: a full batch's worth.
const GROW_AFTER: usize = 20;
/// The wait when Graph throttles without saying how long.
const DEFAULT_PAUSE: Duration = Duration::from_secs(2);
/// The longest wait we accept from one `Retry-After`.
const MAX_PAUSE: Duration = Duration::from_secs(60);

struct State {
    limit: usize,
    successes: usize,
    pause_until: Option<Instant>,
    /// Until when further throttled items do not halve the limit again.
    calm_until: Option<Instant>,
}

/// The shared pace of one run.
pub struct Pace {
    max: usize,
    state: Mutex<State>,
}

impl Pace {
    /// At most `max` calls at once (0 means [`DEFAULT_CONCURRENCY`]).
    pub fn new(max: usize) -> Pace {
        let max = if max == 0 { DEFAULT_CONCURRENCY } else { max };
        Pace {
            max,
            state: Mutex::new(State {
                limit: max,
                successes: 0,
                pause_until: None,
                calm_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many calls may be in flight now.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Waits out a pause Graph asked for, if any.
    pub async fn wait(&self) {
        loop {
            let until = self.lock().pause_until;
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Graph throttled: fewer calls at once, and a pause of `retry_after` for everyone.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        let mut s = self.lock();
        s.limit = (s.limit / 2).max(1);
        s.successes = 0;
        let until = Instant::now() + retry_after.unwrap_or(DEFAULT_PAUSE).min(MAX_PAUSE);
        s.pause_until = Some(s.pause_until.map_or(until, |t| t.max(until)));
    }

    /// Requests inside an answered batch were throttled, the longest asking for `wait`: fewer
    /// calls at once (once per wait), no pause for the others.
    pub fn items_throttled(&self, wait: Duration) {
        let now = Instant::now();
        let mut s = self.lock();
        s.successes = 0;
        if s.calm_until.is_some_and(|t| t > now) {
            return;
        }
        s.limit = (s.limit / 2).max(1);
        s.calm_until = Some(now + wait.min(MAX_PAUSE));
    }

    /// `n` requests were answered without throttling.
    pub fn answered(&self, n: usize) {
        let mut s = self.lock();
        s.successes += n;
        while s.successes >= GROW_AFTER && s.limit < self.max {
            s.limit += 1;
            s.successes -= GROW_AFTER;
        }
        if s.limit >= self.max {
            s.successes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throttling_halves_and_pauses_then_answers_grow_back() {
        let pace = Pace::new(8);
        pace.throttled(Some(Duration::from_millis(40)));
        assert_eq!(pace.limit(), 4);
        let before = Instant::now();
        pace.wait().await;
        assert!(Instant::now() - before >= Duration::from_millis(40));
        pace.answered(GROW_AFTER - 1);
        assert_eq!(pace.limit(), 4, "not yet a batch's worth answered");
        pace.answered(1);
        assert_eq!(pace.limit(), 5);
        for _ in 0..10 {
            pace.throttled(None);
        }
        assert_eq!(pace.limit(), 1, "never below one call");
    }

    #[test]
    fn throttled_items_halve_once_per_wait_and_pause_nobody() {
        let pace = Pace::new(8);
        for _ in 0..3 {
            pace.items_throttled(Duration::from_secs(60));
        }
        assert_eq!(
            pace.limit(),
            4,
            "one burst of throttled items is one signal"
        );
        assert_eq!(
            pace.lock().pause_until,
            None,
            "the other calls are not paused"
        );
        // The wait is over: the next throttled item is a new signal.
        pace.lock().calm_until = Some(Instant::now());
        pace.items_throttled(Duration::from_secs(60));
        assert_eq!(pace.limit(), 2);
        pace.answered(10 * GROW_AFTER);
        assert_eq!(pace.limit(), 8, "grows back, never past the maximum");
    }
}
