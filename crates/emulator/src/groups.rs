//! Security groups and their members: what the MDM user scope "Some" (`selected` +
//! `includedGroups`), the TAP policy's group targets and Conditional Access's group conditions
//! refer to. Membership is direct (the lab's groups are flat), so transitive = direct here.

use crate::ids::UserId;
use crate::state::TenantState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// An assigned security group.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub created: DateTime<Utc>,
    /// Object ids of the member users.
    #[serde(default)]
    pub members: Vec<UserId>,
}

impl GroupRecord {
    /// The Graph `group` object (the default properties of a security group).
    pub fn to_graph(&self) -> Value {
        json!({
            "@odata.type": "#microsoft.graph.group",
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "createdDateTime": crate::state::graph_time(self.created),
            "groupTypes": [],
            "mail": null,
            "mailEnabled": false,
            "mailNickname": self.display_name.chars().filter(char::is_ascii_alphanumeric).collect::<String>(),
            "securityEnabled": true,
            "visibility": null,
        })
    }
}

impl TenantState {
    /// A group by object id.
    pub fn group(&self, id: &str) -> Option<&GroupRecord> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    /// The ids of the groups `user` is a member of.
    pub fn groups_of(&self, user: &UserId) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.members.contains(user))
            .map(|g| g.id.clone())
            .collect()
    }

    /// Whether `user` is a member of the group `group_id`.
    pub fn is_member(&self, group_id: &str, user: &UserId) -> bool {
        self.group(group_id)
            .is_some_and(|g| g.members.contains(user))
    }

    /// The groups the MDM policy `policy_id` includes (its scope when `appliesTo` is `selected`).
    pub fn mdm_included_groups(&self, policy_id: &str) -> Vec<String> {
        self.mdm_included_groups
            .iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(policy_id))
            .map(|(_, groups)| groups.clone())
            .unwrap_or_default()
    }

    /// Whether Intune's MDM user scope covers `user`: All, or Some with `user` in an included
    /// group.
    pub fn mdm_scope_covers(&self, user: &UserId) -> bool {
        match self.mdm_applies_to().as_str() {
            "all" => true,
            "selected" => self
                .mdm_included_groups(crate::api::MDM_POLICY_ID)
                .iter()
                .any(|g| self.is_member(g, user)),
            _ => false,
        }
    }
}
