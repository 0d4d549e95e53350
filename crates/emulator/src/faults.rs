//! Which call a fault rule hits, and how many calls and faults the emulator has seen.
//!
//! Counted rules (`503:1`) are consumed in order; rate rules (`429:0.10`) draw from a generator
//! seeded at start, so the same seed and the same sequence of calls give the same faults. Every
//! fault is logged (target `hb_emulator::faults`) and counted for `GET /_emulator/stats`.

use crate::config::{FaultKind, FaultRule};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A fault rule with its remaining count.
#[derive(Clone, Debug)]
struct ActiveFault {
    rule: FaultRule,
    remaining: Option<u32>,
}

/// The fault rules in force, the seeded generator and the counters.
pub(crate) struct FaultInjector {
    rules: Mutex<Vec<ActiveFault>>,
    draws: Mutex<StdRng>,
    latency: Mutex<StdRng>,
    stats: Mutex<FaultStats>,
}

/// What `GET /_emulator/stats` answers: Graph calls served and faults injected by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultStats {
    /// Graph calls received, batch items included.
    pub requests: u64,
    /// Faults injected, by kind (`429`, `503`, `reset`, `timeout`, `malformed`, ...).
    pub faults: BTreeMap<String, u64>,
    /// `$batch` load: batches served, and the most in flight and body bytes held at once.
    pub batches: crate::batch_load::BatchLoadStats,
}

impl FaultInjector {
    pub(crate) fn new(rules: &[FaultRule], seed: u64) -> Self {
        FaultInjector {
            rules: Mutex::new(rules.iter().cloned().map(active).collect()),
            draws: Mutex::new(StdRng::seed_from_u64(seed)),
            latency: Mutex::new(StdRng::seed_from_u64(seed ^ 0x5eed_1a7e)),
            stats: Mutex::new(FaultStats::default()),
        }
    }

    pub(crate) fn add(&self, rules: Vec<FaultRule>) {
        lock(&self.rules).extend(rules.into_iter().map(active));
    }

    pub(crate) fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// Counts a call and decides its fault: the first counted rule that matches (consuming one of
    /// its count), else one draw against the matching rate rules in order. Batch items only get
    /// status faults: they have no connection of their own to reset or hold.
    pub(crate) fn take(&self, method: &str, path: &str, in_batch: bool) -> Option<FaultRule> {
        lock(&self.stats).requests += 1;
        let hit = self.pick(method, path, in_batch)?;
        let name = hit.kind.name(hit.status);
        *lock(&self.stats).faults.entry(name.clone()).or_default() += 1;
        tracing::info!(
            target: "hb_emulator::faults",
            fault = %name,
            method,
            path,
            in_batch,
            "injected a fault"
        );
        Some(hit)
    }

    fn pick(&self, method: &str, path: &str, in_batch: bool) -> Option<FaultRule> {
        let mut rules = lock(&self.rules);
        let applies = |f: &ActiveFault| {
            f.remaining != Some(0)
                && f.rule.matches(method, path)
                && (!in_batch || f.rule.kind == FaultKind::Status)
        };
        if let Some(hit) = rules
            .iter_mut()
            .find(|f| f.rule.rate.is_none() && applies(f))
        {
            if let Some(n) = hit.remaining.as_mut() {
                *n -= 1;
            }
            return Some(hit.rule.clone());
        }
        if !rules.iter().any(|f| f.rule.rate.is_some()) {
            return None;
        }
        // One draw per call, always, so a rule that does not match this call does not shift
        // which later calls the others hit.
        let draw: f64 = lock(&self.draws).random();
        let mut upto = 0.0;
        for f in rules.iter_mut().filter(|f| f.rule.rate.is_some()) {
            if !applies(f) {
                continue;
            }
            upto += f.rule.rate.unwrap_or(0.0);
            if draw < upto {
                if let Some(n) = f.remaining.as_mut() {
                    *n -= 1;
                }
                return Some(f.rule.clone());
            }
        }
        None
    }

    /// One delay between `min` and `max` milliseconds (seeded).
    pub(crate) fn latency_ms(&self, min: u64, max: u64) -> u64 {
        if max <= min {
            return min;
        }
        lock(&self.latency).random_range(min..=max)
    }

    pub(crate) fn stats(&self) -> FaultStats {
        lock(&self.stats).clone()
    }
}

fn active(rule: FaultRule) -> ActiveFault {
    ActiveFault {
        remaining: rule.count,
        rule,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(injector: &FaultInjector, calls: usize) -> Vec<Option<String>> {
        (0..calls)
            .map(|_| {
                injector
                    .take("GET", "/v1.0/users", false)
                    .map(|r| r.kind.name(r.status))
            })
            .collect()
    }

    #[test]
    fn the_same_seed_hits_the_same_calls_and_rates_are_about_right() {
        let rules = FaultRule::parse_spec("429:0.10,503:0.05,reset:0.02").unwrap();
        let a = hits(&FaultInjector::new(&rules, 7), 2000);
        let b = hits(&FaultInjector::new(&rules, 7), 2000);
        let c = hits(&FaultInjector::new(&rules, 8), 2000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let count = |k: &str| a.iter().filter(|h| h.as_deref() == Some(k)).count();
        assert!((150..250).contains(&count("429")), "{}", count("429"));
        assert!((60..140).contains(&count("503")), "{}", count("503"));
        assert!((15..70).contains(&count("reset")), "{}", count("reset"));
    }

    #[test]
    fn counted_rules_come_first_and_batch_items_only_get_statuses() {
        let rules = FaultRule::parse_spec("503:1,reset:1.0").unwrap();
        let injector = FaultInjector::new(&rules, 1);
        assert_eq!(
            injector.take("GET", "/v1.0/users", false).unwrap().status,
            503
        );
        assert!(injector.take("GET", "/v1.0/users", true).is_none());
        assert_eq!(
            injector.take("GET", "/v1.0/users", false).unwrap().kind,
            FaultKind::Reset
        );
        let stats = injector.stats();
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.faults.get("503"), Some(&1));
        assert_eq!(stats.faults.get("reset"), Some(&1));
    }
}
