//! What ties cloud evidence to this run and this VM: when step 7 started (journaled by apply) and
//! the device object this run saw appear (journaled when first seen). An object created before
//! the run, or linked to another device, is a previous run's and never passes a row.

use crate::StepContext;
use chrono::{DateTime, Duration, Utc};
use hb_lab::Step;

/// Journal key: when step 7's apply first started (RFC 3339).
pub const KEY_RUN_STARTED: &str = "run_started";
/// Journal key prefix: an Entra device this run created (`device:{objectId}`).
pub const KEY_DEVICE: &str = "device:";
/// Journal key prefix: an Intune managed device this run created.
pub const KEY_MANAGED_DEVICE: &str = "managed_device:";
/// Journal key prefix: a Windows Hello key this run created (`whfb:{methodId}`, the user's id as
/// the value).
pub const KEY_WHFB: &str = "whfb:";

/// How far a cloud timestamp may run behind this PC's clock and still count as this run's.
const CLOCK_SKEW: Duration = Duration::minutes(2);

/// The run and VM the evidence must belong to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Binding {
    /// When this run's apply started; `None` when step 7 was never applied here (a check after
    /// signing in by hand).
    pub started: Option<DateTime<Utc>>,
    /// The Entra device object this run saw appear.
    pub device_object_id: Option<String>,
}

impl Binding {
    /// The binding the journal holds for step 7.
    pub async fn load(ctx: &StepContext, step: Step) -> Binding {
        let session = ctx.session.lock().await;
        let mut binding = Binding::default();
        for entry in session.journal.for_step(step) {
            if entry.key == KEY_RUN_STARTED {
                binding.started = entry
                    .original
                    .as_str()
                    .and_then(parse_time)
                    .or(Some(entry.recorded_at));
            } else if let Some(id) = entry.key.strip_prefix(KEY_DEVICE)
                && binding.device_object_id.is_none()
            {
                binding.device_object_id = Some(id.to_string());
            }
        }
        binding
    }

    /// The earliest time this run's objects can carry: the run's start, else (for a check
    /// without a run) when this VM's device registered; allowing for clock skew.
    pub fn since(&self, device_registered: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        self.started.or(device_registered).map(|t| t - CLOCK_SKEW)
    }
}

/// A Graph timestamp (`2026-12-01T13:40:00Z`, with or without fractions).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a Graph timestamp is at or after `since` (everything counts without a bound; a
/// missing or unreadable timestamp never does when there is one).
pub fn is_since(text: Option<&str>, since: Option<DateTime<Utc>>) -> bool {
    match since {
        None => true,
        Some(since) => text.and_then(parse_time).is_some_and(|t| t >= since),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_from_before_the_run_do_not_count() {
        let started = parse_time("2026-12-01T13:00:00Z").unwrap();
        let binding = Binding {
            started: Some(started),
            device_object_id: None,
        };
        let since = binding.since(None);
        assert!(is_since(Some("2026-12-01T13:05:00Z"), since));
        assert!(is_since(Some("2026-12-01T12:59:00Z"), since), "clock skew");
        assert!(!is_since(Some("2026-11-30T09:00:00Z"), since));
        assert!(!is_since(None, since));
        assert!(!is_since(Some("yesterday"), since));
        assert!(is_since(None, None));
        let registered = parse_time("2026-12-01T14:00:00Z").unwrap();
        assert_eq!(
            Binding::default().since(Some(registered)),
            Some(registered - CLOCK_SKEW)
        );
        assert_eq!(binding.since(Some(registered)), since, "the run wins");
    }
}
