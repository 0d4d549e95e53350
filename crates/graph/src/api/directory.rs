//! Who is signed in: `/me`, the tenant, and the account's directory roles (preflight).

use crate::models::{DirectoryObject, DirectoryRole, Organization, User};
use crate::{GraphClient, GraphError, GraphPath};

const DIRECTORY_ROLE_TYPE: &str = "#microsoft.graph.directoryRole";

/// `GET /me?$select=id,userPrincipalName,displayName`: the signed-in account.
pub async fn me(graph: &GraphClient) -> Result<User, GraphError> {
    let path = GraphPath::v1()
        .seg("me")
        .query("$select", "id,userPrincipalName,displayName");
    graph.get_at(&path).await
}

/// `GET /organization`: the signed-in account's tenant (`None` if Graph lists none).
pub async fn organization(graph: &GraphClient) -> Result<Option<Organization>, GraphError> {
    let orgs: Vec<Organization> = graph.list_at(&GraphPath::v1().seg("organization")).await?;
    Ok(orgs.into_iter().next())
}

/// `GET /me/transitiveMemberOf`: the directory roles the account holds, directly or through a
/// group (other directory objects dropped).
pub async fn my_directory_roles(graph: &GraphClient) -> Result<Vec<DirectoryRole>, GraphError> {
    let items: Vec<DirectoryObject> = graph
        .list_at(&GraphPath::v1().seg("me/transitiveMemberOf"))
        .await?;
    Ok(items
        .into_iter()
        .filter(|o| o.odata_type.as_deref() == Some(DIRECTORY_ROLE_TYPE))
        .map(|o| DirectoryRole {
            display_name: o.display_name,
            role_template_id: o.role_template_id,
        })
        .collect())
}

/// One Privileged Identity Management eligibility: the principal may activate the role.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleEligibility {
    /// For a built-in role, its template id (the same in every tenant).
    pub role_definition_id: String,
    /// `/` for a tenant-wide eligibility; an administrative unit's path otherwise.
    #[serde(default)]
    pub directory_scope_id: Option<String>,
}

/// `GET /roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '…'`:
/// the roles `user` may activate in PIM ("List roleEligibilityScheduleInstances", v1.0). Graph
/// allows it to RoleEligibilitySchedule.Read.Directory (least privileged) or
/// RoleManagement.Read.Directory, and, in delegated calls, only to Global Reader, Security
/// Operator, Security Reader, Security Administrator or Privileged Role Administrator
/// (learn.microsoft.com/graph/api/rbacapplication-list-roleeligibilityscheduleinstances), so a
/// refusal is common and means "unknown", not "none".
pub async fn role_eligibilities(
    graph: &GraphClient,
    user: &hb_lab::UserId,
) -> Result<Vec<RoleEligibility>, GraphError> {
    let path = GraphPath::v1()
        .seg("roleManagement/directory/roleEligibilityScheduleInstances")
        .query("$filter", format!("principalId eq '{}'", user.as_str()));
    graph.list_at(&path).await
}
