//! Users by UPN or id, and the groups a user is in.

use super::UserRef;
use crate::models::{DirectoryObject, User};
use crate::{GraphClient, GraphError, GraphPath};
use hb_lab::UserId;

/// The user properties our checks read (`identities` comes only on `$select`).
pub const USER_SELECT: &str = "id,userPrincipalName,displayName,accountEnabled,userType,identities";

/// `GET /users/{id | userPrincipalName}?$select=…`: one user.
pub async fn get<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
) -> Result<User, GraphError> {
    graph
        .get_at(&user.into().path().query("$select", USER_SELECT))
        .await
}

/// `GET /users?$select=…&$top=N`: the first `top` users of the directory (one page), for the
/// demo's lab-user picker; callers filter what they offer.
pub async fn first_page(graph: &GraphClient, top: u32) -> Result<Vec<User>, GraphError> {
    let path = GraphPath::v1()
        .seg("users")
        .query("$select", USER_SELECT)
        .query("$top", top.clamp(1, 999).to_string());
    let page: crate::models::Page<User> = graph.get_at(&path).await?;
    Ok(page.value)
}

/// Only the object id of a user, as `$select=id` returns it.
#[derive(serde::Deserialize)]
struct IdOnly {
    id: UserId,
}

/// `GET /users/{id | userPrincipalName}?$select=id`: the object id of a user named by UPN. Step 7
/// needs it because the sign-in log filters on `userId`, never on the UPN; asking for the id
/// alone keeps the answer small and needs no more than `User.ReadBasic.All`.
pub async fn id_of<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
) -> Result<UserId, GraphError> {
    let user: IdOnly = graph
        .get_at(&user.into().path().query("$select", "id"))
        .await?;
    Ok(user.id)
}

/// `GET /users/{id}/transitiveMemberOf/microsoft.graph.group?$select=id`: the ids of the groups a
/// user is in, directly or through other groups.
pub async fn member_group_ids(
    graph: &GraphClient,
    user: &UserId,
) -> Result<Vec<String>, GraphError> {
    let path = GraphPath::v1()
        .seg("users")
        .key(user)
        .seg("transitiveMemberOf/microsoft.graph.group")
        .query("$select", "id");
    let groups: Vec<DirectoryObject> = graph.list_at(&path).await?;
    Ok(groups.into_iter().filter_map(|g| g.id).collect())
}
