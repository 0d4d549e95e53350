//! Entra directory roles the emulator knows, with the names and template ids Graph reports, so
//! role checks and `/me/memberOf` answers look like a real tenant's.

use serde::{Deserialize, Serialize};

/// A built-in Entra directory role held by a seeded user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryRole {
    GlobalAdministrator,
    GlobalReader,
    IntuneAdministrator,
    AuthenticationAdministrator,
    PrivilegedAuthenticationAdministrator,
    AuthenticationPolicyAdministrator,
    HelpdeskAdministrator,
    ReportsReader,
    SecurityReader,
    CloudDeviceAdministrator,
    SecurityAdministrator,
    SecurityOperator,
    ConditionalAccessAdministrator,
    DirectoryReaders,
    PrivilegedRoleAdministrator,
}

impl DirectoryRole {
    /// Every role, for lookups by name.
    pub const ALL: [DirectoryRole; 15] = [
        DirectoryRole::GlobalAdministrator,
        DirectoryRole::GlobalReader,
        DirectoryRole::IntuneAdministrator,
        DirectoryRole::AuthenticationAdministrator,
        DirectoryRole::PrivilegedAuthenticationAdministrator,
        DirectoryRole::AuthenticationPolicyAdministrator,
        DirectoryRole::HelpdeskAdministrator,
        DirectoryRole::ReportsReader,
        DirectoryRole::SecurityReader,
        DirectoryRole::CloudDeviceAdministrator,
        DirectoryRole::SecurityAdministrator,
        DirectoryRole::SecurityOperator,
        DirectoryRole::ConditionalAccessAdministrator,
        DirectoryRole::DirectoryReaders,
        DirectoryRole::PrivilegedRoleAdministrator,
    ];

    /// The display name Graph and the admin centers use.
    pub fn display_name(self) -> &'static str {
        match self {
            DirectoryRole::GlobalAdministrator => "Global Administrator",
            DirectoryRole::GlobalReader => "Global Reader",
            DirectoryRole::IntuneAdministrator => "Intune Administrator",
            DirectoryRole::AuthenticationAdministrator => "Authentication Administrator",
            DirectoryRole::PrivilegedAuthenticationAdministrator => {
                "Privileged Authentication Administrator"
            }
            DirectoryRole::AuthenticationPolicyAdministrator => {
                "Authentication Policy Administrator"
            }
            DirectoryRole::HelpdeskAdministrator => "Helpdesk Administrator",
            DirectoryRole::ReportsReader => "Reports Reader",
            DirectoryRole::SecurityReader => "Security Reader",
            DirectoryRole::CloudDeviceAdministrator => "Cloud Device Administrator",
            DirectoryRole::SecurityAdministrator => "Security Administrator",
            DirectoryRole::SecurityOperator => "Security Operator",
            DirectoryRole::ConditionalAccessAdministrator => "Conditional Access Administrator",
            DirectoryRole::DirectoryReaders => "Directory Readers",
            DirectoryRole::PrivilegedRoleAdministrator => "Privileged Role Administrator",
        }
    }

    /// The built-in role template id (the same in every tenant).
    pub fn template_id(self) -> &'static str {
        match self {
            DirectoryRole::GlobalAdministrator => "62e90394-69f5-4237-9190-012177145e10",
            DirectoryRole::GlobalReader => "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
            DirectoryRole::IntuneAdministrator => "3a2c62db-5318-420d-8d74-23affee5d9d5",
            DirectoryRole::AuthenticationAdministrator => "c4e39bd9-1100-46d3-8c65-fb160da0071f",
            DirectoryRole::PrivilegedAuthenticationAdministrator => {
                "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
            }
            DirectoryRole::AuthenticationPolicyAdministrator => {
                "0526716b-113d-4c15-b2c8-68e3c22b9f80"
            }
            DirectoryRole::HelpdeskAdministrator => "729827e3-9c14-49f7-bb1b-9608f156bbb8",
            DirectoryRole::ReportsReader => "4a5d8f65-41da-4de4-8968-e035b65339cf",
            DirectoryRole::SecurityReader => "5d6b6bb7-de71-4623-b4af-96380a352509",
            DirectoryRole::CloudDeviceAdministrator => "7698a772-787b-4ac8-901f-60d6b08affd2",
            DirectoryRole::SecurityAdministrator => "194ae4cb-b126-40b2-bd5b-6091b380977d",
            DirectoryRole::SecurityOperator => "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
            DirectoryRole::ConditionalAccessAdministrator => "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
            DirectoryRole::DirectoryReaders => "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
            DirectoryRole::PrivilegedRoleAdministrator => "e8611ab8-c189-46e8-94e1-60213ab1f814",
        }
    }

    /// The role as a `#microsoft.graph.directoryRole` object; the object id is derived from the
    /// tenant so it is stable across restarts.
    pub fn to_graph(self, tenant_id: &str) -> serde_json::Value {
        serde_json::json!({
            "@odata.type": "#microsoft.graph.directoryRole",
            "id": role_object_id(tenant_id, self.template_id()),
            "displayName": self.display_name(),
            "description": format!("Members of this role have the {} permissions.", self.display_name()),
            "roleTemplateId": self.template_id(),
            "deletedDateTime": null,
        })
    }
}

impl DirectoryRole {
    /// The role as Graph lists it to a caller that may not read directory roles: "Limited
    /// information returned for inaccessible member objects" (Graph's permissions overview and
    /// "List a user's direct memberships") — only `@odata.type` and `id`, every other property
    /// null.
    pub fn to_graph_limited(self, tenant_id: &str) -> serde_json::Value {
        serde_json::json!({
            "@odata.type": "#microsoft.graph.directoryRole",
            "id": role_object_id(tenant_id, self.template_id()),
            "displayName": null,
            "description": null,
            "roleTemplateId": null,
            "deletedDateTime": null,
        })
    }

    /// One `unifiedRoleAssignment` giving this role to `principal_id` tenant-wide, as "List
    /// transitiveRoleAssignments" (beta) answers: for built-in roles `roleDefinitionId` is the
    /// role's template id.
    pub fn to_assignment(self, tenant_id: &str, principal_id: &str) -> serde_json::Value {
        serde_json::json!({
            "id": role_object_id(tenant_id, &format!("{}/{principal_id}", self.template_id())),
            "principalId": principal_id,
            "roleDefinitionId": self.template_id(),
            "directoryScopeId": "/",
            "appScopeId": null,
            "condition": null,
            "resourceScope": "/",
        })
    }
}

impl DirectoryRole {
    /// One `unifiedRoleEligibilityScheduleInstance`: `principal_id` may activate this role
    /// tenant-wide in PIM ("unifiedRoleEligibilityScheduleInstance resource type", v1.0; the
    /// "filterByCurrentUser" example answer has these properties). `since` is when the
    /// eligibility began; it has no end (a permanent eligibility).
    pub fn to_eligibility(
        self,
        tenant_id: &str,
        principal_id: &str,
        since: &str,
    ) -> serde_json::Value {
        let schedule = role_object_id(
            tenant_id,
            &format!("eligible/{}/{principal_id}", self.template_id()),
        );
        serde_json::json!({
            "id": format!("{schedule}-1-e"),
            "principalId": principal_id,
            "roleDefinitionId": self.template_id(),
            "directoryScopeId": "/",
            "appScopeId": null,
            "startDateTime": since,
            "endDateTime": null,
            "memberType": "Direct",
            "roleEligibilityScheduleId": schedule,
        })
    }
}

fn role_object_id(tenant_id: &str, template_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{tenant_id}/{template_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The roles a write needs; Global Administrator always passes.
pub fn holds_any(held: &[DirectoryRole], needed: &[DirectoryRole]) -> bool {
    held.contains(&DirectoryRole::GlobalAdministrator) || held.iter().any(|r| needed.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_admin_passes_every_role_check_and_others_only_their_own() {
        let ga = [DirectoryRole::GlobalAdministrator];
        let helpdesk = [DirectoryRole::HelpdeskAdministrator];
        assert!(holds_any(&ga, &[DirectoryRole::IntuneAdministrator]));
        assert!(!holds_any(
            &helpdesk,
            &[DirectoryRole::AuthenticationPolicyAdministrator]
        ));
        assert!(holds_any(
            &helpdesk,
            &[DirectoryRole::HelpdeskAdministrator]
        ));
    }

    #[test]
    fn role_objects_are_stable_per_tenant() {
        let a = DirectoryRole::ReportsReader.to_graph("t1");
        let b = DirectoryRole::ReportsReader.to_graph("t1");
        let c = DirectoryRole::ReportsReader.to_graph("t2");
        assert_eq!(a["id"], b["id"]);
        assert_ne!(a["id"], c["id"]);
        assert_eq!(a["displayName"], "Reports Reader");
    }
}
