//! Tenant readiness, read before any change: is the tenant licensed for Intune and Entra ID P1,
//! does the lab user hold an Intune licence, do enrollment restrictions let a personally owned
//! Windows device enroll, may the lab user join a device, are security defaults on, and does a
//! MAM user scope overlap the MDM one. Each row says what it found, the portal page that fixes
//! it, and the error it would otherwise cause at the VM's first start, so a tenant that is not
//! ready is named before step 1 rather than found at OOBE. Read only; a refused read is a row
//! "could not check" naming the least privileged role that may read it.

use hb_graph::{ApiVersion, GraphClient, GraphError};
use hb_lab::{Upn, ValidationRow, ValidationState};
use serde_json::Value;

/// Microsoft Intune's service plan `INTUNE_A` ("Product names and service plan identifiers for
/// licensing").
pub const INTUNE_SERVICE_PLAN: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
/// Microsoft Entra ID P1's service plan `AAD_PREMIUM` (same page).
pub const ENTRA_P1_SERVICE_PLAN: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
/// Microsoft Intune's application id, which is also the id of its MDM and MAM policies.
const INTUNE_APP_ID: &str = "0000000a-0000-0000-c000-000000000000";

/// What a readiness row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessItem {
    IntunePlan,
    EntraP1Plan,
    LabUserLicence,
    PersonalWindowsEnrollment,
    JoinPolicy,
    SecurityDefaults,
    MamScope,
}

impl ReadinessItem {
    /// Every item, in the order shown.
    pub const ALL: [ReadinessItem; 7] = [
        ReadinessItem::IntunePlan,
        ReadinessItem::EntraP1Plan,
        ReadinessItem::LabUserLicence,
        ReadinessItem::PersonalWindowsEnrollment,
        ReadinessItem::JoinPolicy,
        ReadinessItem::SecurityDefaults,
        ReadinessItem::MamScope,
    ];

    /// The row's title.
    pub fn label(self) -> &'static str {
        match self {
            ReadinessItem::IntunePlan => "The tenant has a Microsoft Intune plan",
            ReadinessItem::EntraP1Plan => "The tenant has Microsoft Entra ID P1",
            ReadinessItem::LabUserLicence => "The lab user holds an Intune licence",
            ReadinessItem::PersonalWindowsEnrollment => {
                "Enrollment restrictions let a personally owned Windows PC enroll"
            }
            ReadinessItem::JoinPolicy => "The lab user may join a device to Microsoft Entra",
            ReadinessItem::SecurityDefaults => "Security defaults are off",
            ReadinessItem::MamScope => "No MAM user scope overlaps the MDM user scope",
        }
    }

    /// The admin center page that fixes it.
    pub fn fix_url(self) -> &'static str {
        match self {
            ReadinessItem::IntunePlan | ReadinessItem::EntraP1Plan => {
                "https://admin.microsoft.com/#/licenses"
            }
            ReadinessItem::LabUserLicence => {
                "https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserManagementMenuBlade/~/AllUsers"
            }
            ReadinessItem::PersonalWindowsEnrollment => {
                "https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesEnrollmentMenu/~/enrollmentRestrictions"
            }
            ReadinessItem::JoinPolicy => {
                "https://entra.microsoft.com/#view/Microsoft_AAD_Devices/DevicesMenuBlade/~/DeviceSettings/menuId/Overview"
            }
            ReadinessItem::SecurityDefaults => {
                "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/TenantOverview.ReactView"
            }
            ReadinessItem::MamScope => {
                "https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesEnrollmentMenu/~/windowsEnrollment"
            }
        }
    }

    /// What goes wrong at the VM's first start when the item is not ready.
    pub fn at_oobe(self) -> &'static str {
        match self {
            ReadinessItem::IntunePlan | ReadinessItem::LabUserLicence => {
                "OOBE stops with 0x80180018 (the user is not licensed for Intune)"
            }
            ReadinessItem::EntraP1Plan => {
                "the VM joins Microsoft Entra but does not enroll in Intune (automatic enrollment needs P1)"
            }
            ReadinessItem::PersonalWindowsEnrollment => {
                "OOBE stops with 0x80180014 (enrollment of this device is blocked)"
            }
            ReadinessItem::JoinPolicy => {
                "OOBE stops with 0x801c0003 (the user is not authorized to join, or reached the device quota)"
            }
            ReadinessItem::SecurityDefaults => {
                "OOBE may ask the lab user to register Microsoft Authenticator, and Conditional Access cannot be used"
            }
            ReadinessItem::MamScope => {
                "the VM registers for app protection (MAM) instead of enrolling in Intune"
            }
        }
    }
}

/// One readiness verdict.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ReadinessState {
    Ready,
    NotReady,
    /// Graph refused the read; `needs` is the least privileged role or permission that may.
    CouldNotCheck {
        needs: String,
    },
}

/// One row: the item, its verdict and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReadinessRow {
    pub item: ReadinessItem,
    #[serde(flatten)]
    pub state: ReadinessState,
    pub detail: String,
}

impl ReadinessRow {
    fn new(item: ReadinessItem, ready: bool, detail: impl Into<String>) -> ReadinessRow {
        ReadinessRow {
            item,
            state: if ready {
                ReadinessState::Ready
            } else {
                ReadinessState::NotReady
            },
            detail: detail.into(),
        }
    }

    fn refused(item: ReadinessItem, needs: &str, error: &GraphError) -> ReadinessRow {
        ReadinessRow {
            item,
            state: ReadinessState::CouldNotCheck {
                needs: needs.to_string(),
            },
            detail: format!("could not check: needs {needs} ({error})"),
        }
    }

    /// Whether the row found the tenant ready.
    pub fn is_ready(&self) -> bool {
        self.state == ReadinessState::Ready
    }

    /// The row in the checklist shape the wizard and the report show. "Could not check" is not
    /// a pass: it shows as failed, saying which role would let it check.
    pub fn to_validation_row(&self) -> ValidationRow {
        let fix = (!self.is_ready()).then(|| {
            format!(
                "Otherwise {}. Fix it at {}",
                self.item.at_oobe(),
                self.item.fix_url()
            )
        });
        ValidationRow {
            id: format!(
                "readiness.{}",
                serde_json::to_value(self.item)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            label: self.item.label().to_string(),
            state: if self.is_ready() {
                ValidationState::Passed
            } else {
                ValidationState::Failed
            },
            detail: self.detail.clone(),
            fix,
        }
    }
}

fn is_forbidden(e: &GraphError) -> bool {
    matches!(e.status(), Some(401 | 403))
}

fn plans_of(sku: &Value) -> impl Iterator<Item = &Value> {
    sku.get("servicePlans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn has_plan(skus: &[Value], plan: &str) -> bool {
    skus.iter()
        .filter(|s| {
            s.get("capabilityStatus")
                .and_then(Value::as_str)
                .is_none_or(|c| {
                    c.eq_ignore_ascii_case("Enabled") || c.eq_ignore_ascii_case("Warning")
                })
        })
        .flat_map(plans_of)
        .any(|p| {
            p.get("servicePlanId")
                .and_then(Value::as_str)
                .is_some_and(|id| id.eq_ignore_ascii_case(plan))
                && p.get("provisioningStatus")
                    .and_then(Value::as_str)
                    .is_none_or(|s| !s.eq_ignore_ascii_case("Disabled"))
        })
}

/// Reads every readiness item. `lab_user` is checked for a licence and the join policy when
/// given.
pub async fn check_readiness(graph: &GraphClient, lab_user: Option<&Upn>) -> Vec<ReadinessRow> {
    let mut rows = Vec::new();
    // "List subscribedSkus": Directory Readers is the least privileged role that may read it.
    match graph.get_all(ApiVersion::V1, "/subscribedSkus").await {
        Ok(skus) => {
            let intune = has_plan(&skus, INTUNE_SERVICE_PLAN);
            rows.push(ReadinessRow::new(
                ReadinessItem::IntunePlan,
                intune,
                if intune {
                    "an enabled subscription carries INTUNE_A"
                } else {
                    "no enabled subscription carries Microsoft Intune (INTUNE_A)"
                },
            ));
            let p1 = has_plan(&skus, ENTRA_P1_SERVICE_PLAN);
            rows.push(ReadinessRow::new(
                ReadinessItem::EntraP1Plan,
                p1,
                if p1 {
                    "an enabled subscription carries AAD_PREMIUM"
                } else {
                    "no enabled subscription carries Microsoft Entra ID P1 (AAD_PREMIUM)"
                },
            ));
        }
        Err(e) if is_forbidden(&e) => {
            rows.push(ReadinessRow::refused(
                ReadinessItem::IntunePlan,
                "the Directory Readers role",
                &e,
            ));
            rows.push(ReadinessRow::refused(
                ReadinessItem::EntraP1Plan,
                "the Directory Readers role",
                &e,
            ));
        }
        Err(e) => {
            rows.push(ReadinessRow::refused(
                ReadinessItem::IntunePlan,
                "Graph to answer",
                &e,
            ));
            rows.push(ReadinessRow::refused(
                ReadinessItem::EntraP1Plan,
                "Graph to answer",
                &e,
            ));
        }
    }
    let lab_id = match lab_user {
        Some(upn) => hb_graph::api::users::get(graph, upn)
            .await
            .ok()
            .map(|u| u.id),
        None => None,
    };
    if let Some(id) = &lab_id {
        rows.push(lab_user_licence(graph, id.as_str()).await);
    }
    rows.push(personal_windows(graph).await);
    rows.push(join_policy(graph, lab_id.as_ref().map(|i| i.as_str())).await);
    rows.push(security_defaults(graph).await);
    rows.push(mam_scope(graph).await);
    rows
}

async fn lab_user_licence(graph: &GraphClient, id: &str) -> ReadinessRow {
    let item = ReadinessItem::LabUserLicence;
    if !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return ReadinessRow::new(
            item,
            false,
            "the lab user's object id is not one Graph gives",
        );
    }
    match graph
        .get_all(ApiVersion::V1, &format!("/users/{id}/licenseDetails"))
        .await
    {
        Ok(licences) => {
            let ok = has_plan(&licences, INTUNE_SERVICE_PLAN);
            ReadinessRow::new(
                item,
                ok,
                if ok {
                    "the lab user's licence includes Intune"
                } else {
                    "the lab user holds no licence that includes Intune"
                },
            )
        }
        Err(e) => ReadinessRow::refused(item, "the User.Read.All permission", &e),
    }
}

/// Platform restrictions: a Windows platform blocked, or personally owned Windows devices
/// blocked, in any platform restriction ("deviceEnrollmentPlatformRestriction resource type").
async fn personal_windows(graph: &GraphClient) -> ReadinessRow {
    let item = ReadinessItem::PersonalWindowsEnrollment;
    match graph
        .get_all(
            ApiVersion::V1,
            "/deviceManagement/deviceEnrollmentConfigurations",
        )
        .await
    {
        Ok(configs) => {
            let blocked: Vec<String> = configs
                .iter()
                .filter(|c| {
                    c.get("@odata.type").and_then(Value::as_str)
                        == Some(
                            "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
                        )
                })
                .filter(|c| {
                    let w = &c["windowsRestriction"];
                    w["platformBlocked"] == Value::Bool(true)
                        || w["personalDeviceEnrollmentBlocked"] == Value::Bool(true)
                })
                .map(|c| {
                    c["displayName"]
                        .as_str()
                        .unwrap_or("a restriction")
                        .to_string()
                })
                .collect();
            if blocked.is_empty() {
                ReadinessRow::new(
                    item,
                    true,
                    "no platform restriction blocks personally owned Windows devices",
                )
            } else {
                ReadinessRow::new(
                    item,
                    false,
                    format!(
                        "Windows enrollment of personally owned devices is blocked by: {}",
                        blocked.join(", ")
                    ),
                )
            }
        }
        Err(e) if is_forbidden(&e) => ReadinessRow::refused(item, "the Global Reader role", &e),
        Err(e) => ReadinessRow::refused(item, "Graph to answer", &e),
    }
}

/// "deviceRegistrationPolicy resource type": `azureADJoin.allowedToJoin` (all, none, or the
/// enumerated users and groups) and `userDeviceQuota`.
async fn join_policy(graph: &GraphClient, lab_id: Option<&str>) -> ReadinessRow {
    let item = ReadinessItem::JoinPolicy;
    match graph
        .get(ApiVersion::Beta, "/policies/deviceRegistrationPolicy")
        .await
    {
        Ok(policy) => {
            let join = &policy["azureADJoin"]["allowedToJoin"];
            let kind = join["@odata.type"].as_str().unwrap_or_default();
            let quota = policy["userDeviceQuota"].as_i64();
            let mfa = policy["multiFactorAuthConfiguration"].as_str() == Some("required");
            let mfa_note = if mfa {
                "; joining needs MFA, which the TAP sign-in satisfies"
            } else {
                ""
            };
            if kind.ends_with("noDeviceRegistrationMembership") {
                return ReadinessRow::new(
                    item,
                    false,
                    "\"Users may join devices to Microsoft Entra\" is set to None",
                );
            }
            if kind.ends_with("enumeratedDeviceRegistrationMembership") {
                let listed = join["users"].as_array().is_some_and(|users| {
                    users.iter().any(|u| {
                        lab_id.is_some_and(|id| {
                            u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(id))
                        })
                    })
                });
                let groups = join["groups"].as_array().is_some_and(|g| !g.is_empty());
                if !listed && !groups {
                    return ReadinessRow::new(
                        item,
                        false,
                        "only selected users may join devices, and the lab user is not one of them",
                    );
                }
                if !listed {
                    return ReadinessRow::new(
                        item,
                        false,
                        "only selected users and groups may join devices; make sure the lab user is in one of the groups",
                    );
                }
            }
            if quota.is_some_and(|q| q < 1) {
                return ReadinessRow::new(item, false, "the device quota per user is 0");
            }
            ReadinessRow::new(
                item,
                true,
                format!(
                    "the lab user may join devices (quota {}){mfa_note}",
                    quota
                        .map(|q| q.to_string())
                        .unwrap_or_else(|| "not set".into())
                ),
            )
        }
        Err(e) if is_forbidden(&e) => ReadinessRow::refused(item, "the Global Reader role", &e),
        Err(e) => ReadinessRow::refused(item, "Graph to answer", &e),
    }
}

async fn security_defaults(graph: &GraphClient) -> ReadinessRow {
    let item = ReadinessItem::SecurityDefaults;
    match graph
        .get(
            ApiVersion::V1,
            "/policies/identitySecurityDefaultsEnforcementPolicy",
        )
        .await
    {
        Ok(policy) => {
            let on = policy["isEnabled"].as_bool() == Some(true);
            ReadinessRow::new(
                item,
                !on,
                if on {
                    "security defaults are on"
                } else {
                    "security defaults are off"
                },
            )
        }
        Err(e) if is_forbidden(&e) => ReadinessRow::refused(item, "the Security Reader role", &e),
        Err(e) => ReadinessRow::refused(item, "Graph to answer", &e),
    }
}

/// Intune's MAM user scope (beta `mobileAppManagementPolicies`): for Windows, when both scopes
/// include the same users, MAM wins and the device is not MDM enrolled ("Set up automatic
/// enrollment for Windows devices", Intune docs).
async fn mam_scope(graph: &GraphClient) -> ReadinessRow {
    let item = ReadinessItem::MamScope;
    match graph
        .get_all(ApiVersion::Beta, "/policies/mobileAppManagementPolicies")
        .await
    {
        Ok(policies) => {
            let overlapping: Vec<String> = policies
                .iter()
                .filter(|p| {
                    p["id"]
                        .as_str()
                        .is_some_and(|id| id.eq_ignore_ascii_case(INTUNE_APP_ID))
                })
                .filter(|p| p["appliesTo"].as_str().is_some_and(|a| a != "none"))
                .map(|p| p["appliesTo"].as_str().unwrap_or_default().to_string())
                .collect();
            match overlapping.first() {
                None => ReadinessRow::new(item, true, "Intune's MAM user scope is None"),
                Some(scope) => ReadinessRow::new(
                    item,
                    false,
                    format!(
                        "Intune's MAM user scope is '{scope}', which overlaps the MDM user scope the lab sets to All"
                    ),
                ),
            }
        }
        Err(e) if is_forbidden(&e) => {
            ReadinessRow::refused(item, "the Policy.Read.All permission", &e)
        }
        Err(e) => ReadinessRow::refused(item, "Graph to answer", &e),
    }
}

/// The readiness rows as one line each, for `check`.
pub fn describe(rows: &[ReadinessRow]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let mark = match r.state {
                ReadinessState::Ready => "ready",
                ReadinessState::NotReady => "NOT READY",
                ReadinessState::CouldNotCheck { .. } => "could not check",
            };
            let mut line = format!("  [{mark}] {}: {}", r.item.label(), r.detail);
            if !r.is_ready() {
                line.push_str(&format!(
                    "\n      otherwise {}; fix: {}",
                    r.item.at_oobe(),
                    r.item.fix_url()
                ));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plan_counts_only_on_an_enabled_subscription_and_when_not_disabled() {
        let sku = |status: &str, plan_status: &str| {
            json!({"capabilityStatus": status,
            "servicePlans": [{"servicePlanId": INTUNE_SERVICE_PLAN, "provisioningStatus": plan_status}]})
        };
        assert!(has_plan(&[sku("Enabled", "Success")], INTUNE_SERVICE_PLAN));
        assert!(!has_plan(
            &[sku("Suspended", "Success")],
            INTUNE_SERVICE_PLAN
        ));
        assert!(!has_plan(
            &[sku("Enabled", "Disabled")],
            INTUNE_SERVICE_PLAN
        ));
        assert!(!has_plan(
            &[sku("Enabled", "Success")],
            ENTRA_P1_SERVICE_PLAN
        ));
    }

    #[test]
    fn a_row_that_could_not_check_is_shown_as_failed_with_its_fix() {
        let row = ReadinessRow {
            item: ReadinessItem::PersonalWindowsEnrollment,
            state: ReadinessState::CouldNotCheck {
                needs: "the Global Reader role".into(),
            },
            detail: "could not check: needs the Global Reader role".into(),
        };
        let v = row.to_validation_row();
        assert_eq!(v.state, ValidationState::Failed);
        assert_eq!(v.id, "readiness.personal_windows_enrollment");
        assert!(v.fix.unwrap().contains("0x80180014"));
    }
}
