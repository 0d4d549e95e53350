//! A user's authentication methods: Temporary Access Passes and Windows Hello for Business keys.

use hb_lab::{AuthMethodId, Secret};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Graph's shortest TAP lifetime in minutes, whatever the policy says.
pub const TAP_MIN_LIFETIME: u32 = 10;
/// Graph's longest TAP lifetime in minutes (30 days), whatever the policy says.
pub const TAP_MAX_LIFETIME: u32 = 43_200;

/// A TAP method as listed (the code itself is only in the POST response and is not kept here).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapMethod {
    pub id: AuthMethodId,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
    #[serde(default)]
    pub lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub is_usable_once: Option<bool>,
    #[serde(default)]
    pub is_usable: Option<bool>,
    /// `EnabledByPolicy`, `DisabledByPolicy`, `Expired`, `NotYetValid`, `OneTimeUsed`.
    #[serde(default)]
    pub method_usability_reason: Option<String>,
}

impl TapMethod {
    /// Whether the pass still counts: usable now, or starting later. An expired or used pass
    /// does not.
    pub fn is_active(&self) -> bool {
        self.is_usable == Some(true)
            || self.method_usability_reason.as_deref() == Some("NotYetValid")
    }

    /// The parts people may see (never the code).
    pub fn public_view(&self) -> Value {
        json!({
            "id": self.id,
            "startDateTime": self.start_date_time,
            "lifetimeInMinutes": self.lifetime_in_minutes,
            "isUsableOnce": self.is_usable_once,
            "isUsable": self.is_usable,
        })
    }
}

/// The body of a TAP creation; every field left `None` takes the policy's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTap {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_in_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
    /// UTC, like `2025-06-05T00:00:00Z`; `None` is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
}

/// A TAP Graph just created, with its code: the only time Graph shows it. `Debug` prints the
/// code as `[redacted]`.
#[derive(Debug)]
pub struct CreatedTap {
    pub method: TapMethod,
    pub code: Secret,
}

/// A Windows Hello for Business key of a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhfbMethod {
    pub id: AuthMethodId,
    /// The name of the device the key was registered on.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `normal`, `weak` or `unknown`.
    #[serde(default)]
    pub key_strength: Option<String>,
    /// The Entra device the key was registered on: only on a single GET with `$expand=device`.
    #[serde(default)]
    pub device: Option<super::Device>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_passes_include_ones_that_start_later_but_not_expired_ones() {
        let m = |usable: Option<bool>, reason: Option<&str>| TapMethod {
            id: AuthMethodId::from("m"),
            created_date_time: None,
            start_date_time: None,
            lifetime_in_minutes: None,
            is_usable_once: None,
            is_usable: usable,
            method_usability_reason: reason.map(str::to_string),
        };
        assert!(m(Some(true), Some("EnabledByPolicy")).is_active());
        assert!(m(Some(false), Some("NotYetValid")).is_active());
        assert!(!m(Some(false), Some("Expired")).is_active());
        assert!(!m(Some(false), Some("OneTimeUsed")).is_active());
        assert!(!m(None, None).is_active());
    }

    #[test]
    fn a_new_tap_body_sends_only_what_was_chosen() {
        assert_eq!(serde_json::to_value(NewTap::default()).unwrap(), json!({}));
        let body = NewTap {
            lifetime_in_minutes: Some(60),
            is_usable_once: Some(true),
            start_date_time: None,
        };
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            json!({"lifetimeInMinutes": 60, "isUsableOnce": true})
        );
    }
}
