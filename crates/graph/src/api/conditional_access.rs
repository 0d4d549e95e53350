//! Conditional Access policies (step 7: does the tenant require MFA?).

use crate::api::UserRef;
use crate::models::ConditionalAccessPolicy;
use crate::{GraphClient, GraphError, GraphPath};

/// `/identity/conditionalAccess/policies`.
pub fn policies_path() -> GraphPath {
    GraphPath::v1().seg("identity/conditionalAccess/policies")
}

/// `GET /identity/conditionalAccess/policies`: every policy (needs Security Reader, Global
/// Reader or a Conditional Access role).
pub async fn policies(graph: &GraphClient) -> Result<Vec<ConditionalAccessPolicy>, GraphError> {
    graph.list_at(&policies_path()).await
}

/// What `/users/{id}/transitiveMemberOf` says about a user, for Conditional Access's user
/// conditions: group ids and active directory roles' template ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Memberships {
    pub group_ids: Vec<String>,
    pub role_template_ids: Vec<String>,
}

/// `GET /users/{id | userPrincipalName}/transitiveMemberOf?$select=id,roleTemplateId`: the groups
/// and roles a policy's `includeGroups`/`includeRoles` can name. The UPN form needs no read of
/// the user's id first.
pub async fn memberships<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
) -> Result<Memberships, GraphError> {
    let path = user
        .into()
        .path()
        .seg("transitiveMemberOf")
        .query("$select", "id,roleTemplateId");
    let objects: Vec<crate::models::DirectoryObject> = graph.list_at(&path).await?;
    let mut out = Memberships::default();
    for o in objects {
        let kind = o.odata_type.as_deref().unwrap_or_default();
        if kind.ends_with("directoryRole") {
            out.role_template_ids.extend(o.role_template_id);
        } else if kind.ends_with("group") {
            out.group_ids.extend(o.id);
        }
    }
    Ok(out)
}
