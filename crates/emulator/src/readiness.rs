//! What makes a tenant ready for the lab, as Microsoft's Graph exposes it: the tenant's
//! subscriptions (`subscribedSkus`), which users hold which licence (`licenseDetails`), the device
//! registration policy (who may join, device quota, MFA to join; beta), security defaults, and
//! MAM policies (beta). Seeded ready (an Enterprise Mobility + Security E3 subscription assigned
//! to every member), with [`ReadinessChange`] to make each part not ready for tests.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Enterprise Mobility + Security E3, as Microsoft's "Product names and service plan identifiers
/// for licensing" lists it: string id `EMS`, GUID below. It carries Intune and Entra ID P1.
pub const EMS_E3_SKU_ID: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
/// `EMS`, the SKU's string id.
pub const EMS_E3_PART_NUMBER: &str = "EMS";
/// Microsoft Intune's service plan (`INTUNE_A`), same page.
pub const INTUNE_PLAN_ID: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
/// Microsoft Entra ID P1's service plan (`AAD_PREMIUM`), same page.
pub const ENTRA_P1_PLAN_ID: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
/// The fixed id of the security defaults policy ("Get identitySecurityDefaultsEnforcementPolicy"
/// example).
pub const SECURITY_DEFAULTS_ID: &str = "00000000-0000-0000-0000-000000000005";
/// The fixed id of the device registration policy ("Get deviceRegistrationPolicy" example, beta).
pub const DEVICE_REGISTRATION_POLICY_ID: &str = "deviceRegistrationPolicy";

/// The tenant's readiness state.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Readiness {
    /// Whether the subscription carries Intune (`INTUNE_A`).
    pub intune_plan: bool,
    /// Whether the subscription carries Entra ID P1 (`AAD_PREMIUM`).
    pub entra_p1_plan: bool,
    /// Object ids of users who hold no licence.
    pub unlicensed_users: Vec<String>,
    /// `azureADJoin.allowedToJoin` as the beta `deviceRegistrationPolicy` shows it: the
    /// membership's `@odata.type` (`#microsoft.graph.allDeviceRegistrationMembership`,
    /// `...enumeratedDeviceRegistrationMembership`, `...noDeviceRegistrationMembership`).
    pub join_membership: String,
    /// Users listed by an enumerated join membership.
    pub join_users: Vec<String>,
    /// Devices a user may register or join.
    pub user_device_quota: i64,
    /// `multiFactorAuthConfiguration`: `notRequired` or `required`.
    pub mfa_to_join: String,
    /// Security defaults on.
    pub security_defaults: bool,
    /// The MAM user scope of Intune's MAM policy (`none`, `all`, `selected`).
    pub mam_applies_to: String,
}

impl Default for Readiness {
    fn default() -> Self {
        Readiness {
            intune_plan: true,
            entra_p1_plan: true,
            unlicensed_users: Vec::new(),
            join_membership: "#microsoft.graph.allDeviceRegistrationMembership".into(),
            join_users: Vec::new(),
            user_device_quota: 50,
            mfa_to_join: "notRequired".into(),
            security_defaults: false,
            mam_applies_to: "none".into(),
        }
    }
}

/// What a test hook may change (`POST /_emulator/readiness`); absent fields stay.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadinessChange {
    pub intune_plan: Option<bool>,
    pub entra_p1_plan: Option<bool>,
    /// UPNs or ids of users whose licence is removed.
    pub unlicense: Option<Vec<String>>,
    /// `all`, `none` or `selected` (with `joinUsers`).
    pub allowed_to_join: Option<String>,
    pub join_users: Option<Vec<String>>,
    pub user_device_quota: Option<i64>,
    pub mfa_to_join: Option<bool>,
    pub security_defaults: Option<bool>,
    pub mam_applies_to: Option<String>,
    /// Blocks personally owned Windows devices in the default platform restriction.
    pub block_personal_windows: Option<bool>,
    /// Blocks the Windows platform in the default platform restriction.
    pub block_windows: Option<bool>,
}

impl Readiness {
    fn service_plans(&self, applies_to: &str) -> Vec<Value> {
        let mut plans = vec![json!({
            "servicePlanId": "113feb6c-3fe4-4440-bddc-54d774bf0318", "servicePlanName": "EXCHANGE_S_FOUNDATION",
            "provisioningStatus": "Success", "appliesTo": "Company",
        })];
        if self.intune_plan {
            plans.push(
                json!({"servicePlanId": INTUNE_PLAN_ID, "servicePlanName": "INTUNE_A",
                "provisioningStatus": "Success", "appliesTo": applies_to}),
            );
        }
        if self.entra_p1_plan {
            plans.push(
                json!({"servicePlanId": ENTRA_P1_PLAN_ID, "servicePlanName": "AAD_PREMIUM",
                "provisioningStatus": "Success", "appliesTo": applies_to}),
            );
        }
        plans
    }

    /// `GET /subscribedSkus` items.
    pub fn subscribed_skus(&self, tenant_id: &str, members: usize) -> Vec<Value> {
        vec![json!({
            "id": format!("{tenant_id}_{EMS_E3_SKU_ID}"),
            "accountId": tenant_id,
            "accountName": "Contoso Lab",
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": members.saturating_sub(self.unlicensed_users.len()),
            "skuId": EMS_E3_SKU_ID,
            "skuPartNumber": EMS_E3_PART_NUMBER,
            "subscriptionIds": ["9b1d5a3c-7c42-4c0e-8d2b-7a0f6d9e1c11"],
            "prepaidUnits": {"enabled": 100, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": self.service_plans("User"),
        })]
    }

    /// `GET /users/{id}/licenseDetails` items.
    pub fn license_details(&self, user_id: &str, is_member: bool) -> Vec<Value> {
        if !is_member
            || self
                .unlicensed_users
                .iter()
                .any(|u| u.eq_ignore_ascii_case(user_id))
        {
            return Vec::new();
        }
        vec![json!({
            "id": format!("{user_id}_{EMS_E3_SKU_ID}"),
            "skuId": EMS_E3_SKU_ID,
            "skuPartNumber": EMS_E3_PART_NUMBER,
            "servicePlans": self.service_plans("User"),
        })]
    }

    /// `GET /beta/policies/deviceRegistrationPolicy`.
    pub fn device_registration_policy(&self) -> Value {
        let mut join = json!({"@odata.type": self.join_membership});
        if self.join_membership.contains("enumerated") {
            join["users"] = json!(self.join_users);
            join["groups"] = json!([]);
        }
        json!({
            "id": DEVICE_REGISTRATION_POLICY_ID,
            "displayName": "Device Registration Policy",
            "description": "Tenant-wide policy that manages initial provisioning controls using quota restrictions, additional authentication and authorization checks",
            "userDeviceQuota": self.user_device_quota,
            "multiFactorAuthConfiguration": self.mfa_to_join,
            "azureADRegistration": {
                "isAdminConfigurable": false,
                "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"},
            },
            "azureADJoin": {
                "isAdminConfigurable": true,
                "allowedToJoin": join,
                "localAdmins": {"enableGlobalAdmins": true, "registeringUsers": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}},
            },
        })
    }

    /// `GET /policies/identitySecurityDefaultsEnforcementPolicy`.
    pub fn security_defaults_policy(&self) -> Value {
        json!({
            "id": SECURITY_DEFAULTS_ID,
            "displayName": "Security Defaults",
            "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.",
            "isEnabled": self.security_defaults,
        })
    }

    /// `GET /beta/policies/mobileAppManagementPolicies` items: Intune's MAM policy, whose id is
    /// Intune's application id like its MDM policy's.
    pub fn mam_policies(&self, intune_app_id: &str) -> Vec<Value> {
        vec![json!({
            "id": intune_app_id,
            "appliesTo": self.mam_applies_to,
            "complianceUrl": "https://portal.manage.microsoft.com/?portalAction=Compliance",
            "discoveryUrl": "https://wip.mam.manage.microsoft.com/Enroll",
            "termsOfUseUrl": "https://portal.manage.microsoft.com/TermsofUse.aspx",
            "description": "Mobile Application Management Policy for Microsoft Intune",
            "displayName": "Microsoft Intune",
            "isValid": true,
        })]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_ready_and_changes_take_plans_and_licences_away() {
        let mut r = Readiness::default();
        let skus = r.subscribed_skus("t", 10);
        let plans = skus[0]["servicePlans"].as_array().unwrap();
        assert!(plans.iter().any(|p| p["servicePlanName"] == "INTUNE_A"));
        assert_eq!(r.license_details("u1", true).len(), 1);
        assert!(
            r.license_details("u1", false).is_empty(),
            "guests hold no licence"
        );
        r.intune_plan = false;
        r.unlicensed_users.push("u1".into());
        let skus = r.subscribed_skus("t", 10);
        assert!(
            !skus[0]["servicePlans"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["servicePlanName"] == "INTUNE_A")
        );
        assert!(r.license_details("U1", true).is_empty());
    }
}
