//! The change journal: original values recorded before any change, so revert restores exactly
//! what was there and nothing it did not change.

use super::Step;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One recorded change: which step, which setting, the value before we touched it, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub step: Step,
    /// What was changed, e.g. `appliesTo` or `tap_method:<id>`.
    pub key: String,
    /// The value before our first change (never a secret).
    pub original: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

/// All changes we made that revert may undo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Journal {
    pub entries: Vec<JournalEntry>,
}

impl Journal {
    /// Records the original value unless one is already recorded for this step and key: a second
    /// apply must not overwrite the true original with our own value.
    pub fn record(&mut self, step: Step, key: &str, original: serde_json::Value) -> bool {
        if self.original(step, key).is_some() {
            return false;
        }
        self.entries.push(JournalEntry {
            step,
            key: key.to_string(),
            original,
            recorded_at: Utc::now(),
        });
        true
    }

    /// The recorded original for a step and key.
    pub fn original(&self, step: Step, key: &str) -> Option<&serde_json::Value> {
        self.entries
            .iter()
            .find(|e| e.step == step && e.key == key)
            .map(|e| &e.original)
    }

    /// Entries of one step, oldest first.
    pub fn for_step(&self, step: Step) -> impl Iterator<Item = &JournalEntry> {
        self.entries.iter().filter(move |e| e.step == step)
    }

    /// Forgets an entry once its change has been reverted.
    pub fn forget(&mut self, step: Step, key: &str) {
        self.entries.retain(|e| !(e.step == step && e.key == key));
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn second_record_keeps_the_true_original() {
        let mut j = Journal::default();
        assert!(j.record(Step::MdmUserScope, "appliesTo", json!("none")));
        assert!(!j.record(Step::MdmUserScope, "appliesTo", json!("all")));
        assert_eq!(
            j.original(Step::MdmUserScope, "appliesTo"),
            Some(&json!("none"))
        );
        j.forget(Step::MdmUserScope, "appliesTo");
        assert!(j.is_empty());
    }
}
