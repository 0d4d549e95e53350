//! How many `$batch` calls are in flight at once, tuned by Graph's answers: halved (down to one)
//! and paused for `Retry-After` when Graph throttles, and grown back one at a time as calls
//! succeed. Graph's throttling guidance asks clients to wait what `Retry-After` says before
//! sending again; a fixed concurrency either wastes the quota or keeps hitting the limit.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Calls in flight at the start, and the most ever.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Successful calls before one more may fly at once.
const GROW_AFTER: usize = 8;
/// The wait when Graph throttles without saying how long.
const DEFAULT_PAUSE: Duration = Duration::from_secs(2);
/// The longest wait we accept from one `Retry-After`.
const MAX_PAUSE: Duration = Duration::from_secs(60);

struct State {
    limit: usize,
    successes: usize,
    pause_until: Option<Instant>,
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

    /// A call went through unthrottled.
    pub fn succeeded(&self) {
        let mut s = self.lock();
        s.successes += 1;
        if s.successes >= GROW_AFTER && s.limit < self.max {
            s.limit += 1;
            s.successes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throttling_halves_and_pauses_then_success_grows_back() {
        let pace = Pace::new(8);
        pace.throttled(Some(Duration::from_millis(40)));
        assert_eq!(pace.limit(), 4);
        let before = Instant::now();
        pace.wait().await;
        assert!(Instant::now() - before >= Duration::from_millis(40));
        for _ in 0..GROW_AFTER {
            pace.succeeded();
        }
        assert_eq!(pace.limit(), 5);
        for _ in 0..10 {
            pace.throttled(None);
        }
        assert_eq!(pace.limit(), 1, "never below one call");
    }
}
