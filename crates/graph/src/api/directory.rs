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
