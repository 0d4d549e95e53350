//! The records the emulated tenant is made of (users with their TAP and WHfB keys, devices,
//! managed devices) and how each reads as a Graph object. A TAP is kept only as a salted hash.

use super::roles::DirectoryRole;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A TAP as the tenant keeps it: metadata and a salted hash, never the code.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TapRecord {
    pub id: String,
    pub created: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub lifetime_minutes: u32,
    pub is_usable_once: bool,
    /// Set when a one-time TAP has been used to sign in.
    pub used: bool,
    pub salt_hex: String,
    pub hash_hex: String,
}

impl TapRecord {
    /// Hashes `code` with a fresh salt.
    pub fn new_hashed(
        id: String,
        code: &str,
        created: DateTime<Utc>,
        start: DateTime<Utc>,
        lifetime_minutes: u32,
        is_usable_once: bool,
    ) -> TapRecord {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        let salt_hex = hex(&salt);
        TapRecord {
            id,
            created,
            start,
            lifetime_minutes,
            is_usable_once,
            used: false,
            hash_hex: tap_hash(&salt_hex, code),
            salt_hex,
        }
    }

    /// Whether `code` is this TAP (compared by hash).
    pub fn matches(&self, code: &str) -> bool {
        let candidate = tap_hash(&self.salt_hex, code.trim());
        candidate.len() == self.hash_hex.len()
            && candidate
                .bytes()
                .zip(self.hash_hex.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// When the TAP stops working.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::minutes(i64::from(self.lifetime_minutes))
    }

    /// Graph's `methodUsabilityReason` at `now`, given whether the policy is enabled.
    pub fn usability(&self, now: DateTime<Utc>, policy_enabled: bool) -> &'static str {
        if !policy_enabled {
            "DisabledByPolicy"
        } else if self.used && self.is_usable_once {
            "OneTimeUsed"
        } else if now < self.start {
            "NotYetValid"
        } else if now >= self.end() {
            "Expired"
        } else {
            "EnabledByPolicy"
        }
    }

    /// The Graph object; `temporaryAccessPass` is `null` except in the POST answer.
    pub fn to_graph(&self, now: DateTime<Utc>, policy_enabled: bool) -> Value {
        let reason = self.usability(now, policy_enabled);
        serde_json::json!({
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            "id": self.id,
            "temporaryAccessPass": null,
            "createdDateTime": graph_time(self.created),
            "startDateTime": graph_time(self.start),
            "lifetimeInMinutes": self.lifetime_minutes,
            "isUsableOnce": self.is_usable_once,
            "isUsable": reason == "EnabledByPolicy",
            "methodUsabilityReason": reason,
        })
    }
}

fn tap_hash(salt_hex: &str, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt_hex.as_bytes());
    hasher.update(b":");
    hasher.update(code.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A user's Windows Hello for Business key.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WhfbRecord {
    pub id: String,
    pub display_name: String,
    pub created: DateTime<Utc>,
    pub key_strength: String,
    /// Object id of the Entra device the key was registered on.
    pub device_object_id: Option<String>,
}

impl WhfbRecord {
    /// The Graph `windowsHelloForBusinessAuthenticationMethod` object.
    pub fn to_graph(&self) -> Value {
        serde_json::json!({
            "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
            "id": self.id,
            "displayName": self.display_name,
            "createdDateTime": graph_time(self.created),
            "keyStrength": self.key_strength,
        })
    }
}

/// A directory user with the parts of the tenant hanging off it (roles, TAP, WHfB keys).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub user_principal_name: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub account_enabled: bool,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub roles: Vec<DirectoryRole>,
    /// Roles the user is eligible for in Privileged Identity Management but has not activated:
    /// they show in `roleEligibilityScheduleInstances`, never in role assignments, and allow
    /// nothing until activated.
    #[serde(default)]
    pub eligible_roles: Vec<DirectoryRole>,
    #[serde(default)]
    pub tap: Option<TapRecord>,
    #[serde(default)]
    pub whfb_methods: Vec<WhfbRecord>,
    /// `Member` or `Guest`: the user's relationship to the tenant (not how they sign in).
    #[serde(default = "member")]
    pub user_type: String,
    /// Where an external user authenticates (another organization's domain, `MicrosoftAccount`,
    /// `mail`); `None` for an account of this tenant, internal guests included.
    #[serde(default)]
    pub external_issuer: Option<String>,
}

fn member() -> String {
    "Member".into()
}

impl UserRecord {
    /// The user's `identities`: a federated identity at the external issuer for an external
    /// user, else the sign-in name at this tenant's domain (Graph returns them on `$select`).
    pub fn identities(&self) -> Value {
        match &self.external_issuer {
            Some(issuer) => serde_json::json!([{
                "signInType": "federated", "issuer": issuer, "issuerAssignedId": null,
            }]),
            None => serde_json::json!([{
                "signInType": "userPrincipalName",
                "issuer": self.user_principal_name.rsplit('@').next().unwrap_or_default(),
                "issuerAssignedId": self.user_principal_name,
            }]),
        }
    }

    /// The Graph `user` object (default property set plus `accountEnabled`, which we always
    /// return so `$filter=accountEnabled eq false` reads naturally). No `@odata.type`: Graph
    /// annotates an item only where the collection's declared type is a base type ("List
    /// users" and "Get user" answer without it; "List group members" carries it).
    pub fn to_graph(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "userPrincipalName": self.user_principal_name,
            "displayName": self.display_name,
            "givenName": self.given_name,
            "surname": self.surname,
            "mail": self.user_principal_name,
            "jobTitle": self.job_title,
            "department": self.department,
            "accountEnabled": self.account_enabled,
            "userType": self.user_type,
            "createdDateTime": graph_time(self.created),
            "businessPhones": [],
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": "en-US",
        })
    }

    /// The user as an item of a `directoryObject` collection (group members), where Graph
    /// names each item's type so a caller can tell users from other objects.
    pub fn to_directory_object(&self) -> Value {
        let mut json = self.to_graph();
        if let Value::Object(map) = &mut json {
            map.insert("@odata.type".into(), "#microsoft.graph.user".into());
        }
        json
    }

    /// Admin targets need Privileged Authentication Administrator for a TAP.
    pub fn is_admin(&self) -> bool {
        !self.roles.is_empty()
    }
}

/// An Entra device object.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeviceRecord {
    /// Directory object id.
    pub id: String,
    /// Device Registration Service id (= Intune `azureADDeviceId`).
    pub device_id: String,
    pub display_name: String,
    pub trust_type: String,
    pub operating_system: String,
    pub operating_system_version: String,
    pub is_managed: bool,
    pub is_compliant: bool,
    pub mdm_app_id: Option<String>,
    pub registered: DateTime<Utc>,
    pub owner_user_id: Option<UserId>,
}

impl DeviceRecord {
    /// The Graph `device` object.
    pub fn to_graph(&self) -> Value {
        serde_json::json!({
            "@odata.type": "#microsoft.graph.device",
            "id": self.id,
            "deviceId": self.device_id,
            "displayName": self.display_name,
            "trustType": self.trust_type,
            "operatingSystem": self.operating_system,
            "operatingSystemVersion": self.operating_system_version,
            "isManaged": self.is_managed,
            "isCompliant": self.is_compliant,
            "mdmAppId": self.mdm_app_id,
            "accountEnabled": true,
            "profileType": "RegisteredDevice",
            "registrationDateTime": graph_time(self.registered),
            "approximateLastSignInDateTime": graph_time(self.registered),
        })
    }
}

/// An Intune managed device.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ManagedDeviceRecord {
    pub id: String,
    pub azure_ad_device_id: String,
    pub device_name: String,
    pub user_id: UserId,
    pub user_principal_name: String,
    pub enrolled: DateTime<Utc>,
    pub serial_number: String,
}

impl ManagedDeviceRecord {
    /// The Graph `managedDevice` object.
    pub fn to_graph(&self) -> Value {
        serde_json::json!({
            "@odata.type": "#microsoft.graph.managedDevice",
            "id": self.id,
            "userId": self.user_id,
            "deviceName": self.device_name,
            "managedDeviceOwnerType": "company",
            "enrolledDateTime": graph_time(self.enrolled),
            "lastSyncDateTime": graph_time(self.enrolled),
            "operatingSystem": "Windows",
            "osVersion": "10.0.26100.2605",
            "complianceState": "compliant",
            "managementAgent": "mdm",
            "azureADRegistered": true,
            "deviceEnrollmentType": "windowsAzureADJoin",
            "azureADDeviceId": self.azure_ad_device_id,
            "deviceRegistrationState": "registered",
            "userPrincipalName": self.user_principal_name,
            "serialNumber": self.serial_number,
            "model": "Virtual Machine",
            "manufacturer": "Microsoft Corporation",
        })
    }
}

/// Graph's timestamp format (`2025-01-01T10:00:00Z`).
pub fn graph_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_is_checked_by_salted_hash_and_never_stored() {
        let now = Utc::now();
        let tap = TapRecord::new_hashed("m1".into(), "Abc!2345", now, now, 60, true);
        assert!(tap.matches("Abc!2345"));
        assert!(!tap.matches("Abc!2346"));
        let json = serde_json::to_string(&tap).unwrap();
        assert!(!json.contains("Abc!2345"));
        let again = TapRecord::new_hashed("m2".into(), "Abc!2345", now, now, 60, true);
        assert_ne!(tap.hash_hex, again.hash_hex, "salts differ");
    }

    #[test]
    fn usability_follows_time_use_and_policy() {
        let now = Utc::now();
        let mut tap = TapRecord::new_hashed("m".into(), "x", now, now, 60, true);
        assert_eq!(tap.usability(now, true), "EnabledByPolicy");
        assert_eq!(tap.usability(now, false), "DisabledByPolicy");
        assert_eq!(
            tap.usability(now - chrono::Duration::minutes(1), true),
            "NotYetValid"
        );
        assert_eq!(
            tap.usability(now + chrono::Duration::minutes(61), true),
            "Expired"
        );
        tap.used = true;
        assert_eq!(tap.usability(now, true), "OneTimeUsed");
        assert_eq!(tap.to_graph(now, true)["temporaryAccessPass"], Value::Null);
    }
}
