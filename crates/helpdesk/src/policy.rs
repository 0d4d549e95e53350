//! The tenant's TAP policy as the help desk needs it: is it on, whom does it target, which
//! lifetimes and one-time settings does it allow. Checked before any pass is issued.

use super::input::{GRAPH_MAX_LIFETIME, GRAPH_MIN_LIFETIME};
use hb_graph::api::policies;
use hb_graph::models::{ALL_USERS, TapMethodConfig};
use hb_graph::{GraphClient, GraphError};
use serde::Deserialize;

/// The TAP policy fields the help desk checks against (Graph's `TapMethodConfig`, read through
/// the typed request of `hb_graph::api::policies`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct TapPolicy(pub TapMethodConfig);

/// Whether the policy lets a user have a TAP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Targeting {
    Targeted,
    /// Not included, or excluded; the text says which and what to do.
    NotTargeted(String),
}

impl TapPolicy {
    /// Reads the policy from Graph (403 for an Authentication Administrator, who may issue passes
    /// but not read the policy).
    pub async fn load(graph: &GraphClient) -> Result<TapPolicy, GraphError> {
        policies::tap_policy(graph).await.map(TapPolicy)
    }

    /// Whether passes can be issued at all (Graph writes `enabled`/`disabled`).
    pub fn is_enabled(&self) -> bool {
        self.0.is_enabled()
    }

    /// The shortest lifetime the policy allows.
    pub fn min_lifetime(&self) -> u32 {
        self.0
            .minimum_lifetime_in_minutes
            .unwrap_or(GRAPH_MIN_LIFETIME)
    }

    /// The longest lifetime the policy allows.
    pub fn max_lifetime(&self) -> u32 {
        self.0
            .maximum_lifetime_in_minutes
            .unwrap_or(GRAPH_MAX_LIFETIME)
    }

    /// Why no pass can be issued at all, if that is so.
    pub fn blocker(&self) -> Option<String> {
        if !self.is_enabled() {
            return Some(format!(
                "the Temporary Access Pass policy is {}: enable it first (lab step 5, or Entra admin center > Protection > Authentication methods > Temporary Access Pass)",
                self.0.state
            ));
        }
        if self.0.include_targets.is_empty() {
            return Some(
                "the Temporary Access Pass policy targets nobody: add all users or a group in Entra admin center > Protection > Authentication methods > Temporary Access Pass".into(),
            );
        }
        None
    }

    /// A lifetime against the policy's bounds; the message names both.
    pub(crate) fn check_lifetime(&self, minutes: u32) -> Result<(), String> {
        let (min, max) = (self.min_lifetime(), self.max_lifetime());
        if minutes < min {
            Err(format!(
                "{minutes} minutes is shorter than the policy's minimum of {min} minutes: use {min} to {max}"
            ))
        } else if minutes > max {
            Err(format!(
                "{minutes} minutes is longer than the policy's maximum of {max} minutes: use {min} to {max}"
            ))
        } else {
            Ok(())
        }
    }

    /// A one-time choice against the policy (which may make every pass one-time).
    pub(crate) fn check_usable_once(&self, once: bool) -> Result<(), String> {
        if !once && self.0.is_usable_once == Some(true) {
            Err("the policy makes every pass one-time, so a reusable pass cannot be issued: leave usable_once empty or true".into())
        } else {
            Ok(())
        }
    }

    /// Whether the policy targets a user, given the ids of the groups they belong to (`None` when
    /// membership could not be read; then only `all_users` and user targets can be decided).
    pub fn targeting(&self, user_id: &str, groups: Option<&[String]>) -> Targeting {
        let hits = |targets: Vec<(&str, &str)>| -> Option<bool> {
            let mut unknown = false;
            for (id, target_type) in targets {
                if id == ALL_USERS || id == user_id {
                    return Some(true);
                }
                match groups {
                    Some(groups) if groups.iter().any(|g| g == id) => return Some(true),
                    Some(_) => {}
                    None => unknown |= !target_type.eq_ignore_ascii_case("user"),
                }
            }
            if unknown { None } else { Some(false) }
        };
        if hits(self.excluded()) == Some(true) {
            return Targeting::NotTargeted(
                "the user is excluded from the Temporary Access Pass policy: remove them (or their group) from the policy's exclusions".into(),
            );
        }
        match hits(self.included()) {
            Some(false) => Targeting::NotTargeted(
                "the Temporary Access Pass policy does not include this user: add them or one of their groups to the policy's targets".into(),
            ),
            // Group membership unreadable: let Graph decide, it refuses out-of-scope users.
            Some(true) | None => Targeting::Targeted,
        }
    }

    /// The include targets as (id, targetType).
    fn included(&self) -> Vec<(&str, &str)> {
        let targets = self.0.include_targets.iter();
        targets
            .map(|t| (t.id.as_str(), t.target_type.as_str()))
            .collect()
    }

    /// The exclude targets as (id, targetType).
    fn excluded(&self) -> Vec<(&str, &str)> {
        let targets = self.0.exclude_targets.iter();
        targets
            .map(|t| (t.id.as_str(), t.target_type.as_str()))
            .collect()
    }

    /// Whether targeting depends on group membership (so it is worth reading).
    pub fn needs_groups(&self) -> bool {
        self.included()
            .into_iter()
            .chain(self.excluded())
            .any(|(id, kind)| id != ALL_USERS && !kind.eq_ignore_ascii_case("user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(v: serde_json::Value) -> TapPolicy {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn disabled_or_empty_policy_blocks_everything() {
        let p = policy(json!({"state": "disabled", "includeTargets": []}));
        assert!(p.blocker().unwrap().contains("is disabled: enable it"));
        let p = policy(json!({"state": "enabled", "includeTargets": []}));
        assert!(p.blocker().unwrap().contains("targets nobody"));
        let p = policy(
            json!({"state": "enabled", "includeTargets": [{"id": "all_users", "targetType": "group"}]}),
        );
        assert_eq!(p.blocker(), None);
    }

    #[test]
    fn lifetimes_outside_the_policy_say_the_bounds() {
        let p = policy(json!({"state": "enabled", "minimumLifetimeInMinutes": 60,
            "maximumLifetimeInMinutes": 480, "isUsableOnce": true,
            "includeTargets": [{"id": "all_users", "targetType": "group"}]}));
        assert!(
            p.check_lifetime(30)
                .unwrap_err()
                .starts_with("30 minutes is shorter than the policy's minimum of 60")
        );
        assert!(p.check_lifetime(600).unwrap_err().contains("longer"));
        assert!(p.check_lifetime(480).is_ok());
        assert!(
            p.check_usable_once(false)
                .unwrap_err()
                .starts_with("the policy makes every pass one-time")
        );
        assert!(p.check_usable_once(true).is_ok());
    }

    #[test]
    fn targeting_follows_includes_excludes_and_groups() {
        let p = policy(json!({"state": "enabled",
            "includeTargets": [{"id": "g-helpdesk", "targetType": "group"}, {"id": "u-1", "targetType": "user"}],
            "excludeTargets": [{"id": "g-admins", "targetType": "group"}]}));
        assert!(p.needs_groups());
        assert_eq!(p.targeting("u-1", Some(&[])), Targeting::Targeted);
        assert_eq!(
            p.targeting("u-2", Some(&["g-helpdesk".into()])),
            Targeting::Targeted
        );
        assert!(
            matches!(p.targeting("u-2", Some(&[])), Targeting::NotTargeted(m) if m.contains("does not include"))
        );
        assert!(
            matches!(p.targeting("u-1", Some(&["g-admins".into()])), Targeting::NotTargeted(m) if m.contains("excluded"))
        );
        // Unknown membership: Graph gets the last word.
        assert_eq!(p.targeting("u-3", None), Targeting::Targeted);
        let all = policy(
            json!({"state": "enabled", "includeTargets": [{"id": "all_users", "targetType": "group"}]}),
        );
        assert!(!all.needs_groups());
        assert_eq!(all.targeting("anyone", None), Targeting::Targeted);
    }
}
