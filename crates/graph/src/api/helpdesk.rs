//! What the help desk reads besides passes: users found by what an agent types, and another
//! user's directory roles, so a pass for an administrator is refused unless asked for. Roles
//! are judged by `roleTemplateId` (the same in every tenant), never by display name.

use super::UserRef;
use super::users::USER_SELECT;
use crate::models::{DirectoryObject, User};
use crate::{GraphClient, GraphError, GraphPath};

/// The built-in roles Microsoft labels PRIVILEGED in "Microsoft Entra built-in roles"
/// (permissions-reference), by template id: a TAP for one of these users signs in as an
/// administrator, so the help desk refuses it unless the agent insists.
pub const PRIVILEGED_ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    ("5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", "Security Operator"),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader"),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
    (
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Password Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "cf1c38e5-3621-4004-a7cb-879624dced7c",
        "Application Developer",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    (
        "7698a772-787b-4ac8-901f-60d6b08affd2",
        "Cloud Device Administrator",
    ),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
    ),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
    ),
    (
        "8329153b-31d0-4727-b945-745eb3bc5f31",
        "Domain Name Administrator",
    ),
    (
        "be2f45a1-457d-42af-a067-6ec1fa63bc45",
        "External Identity Provider Administrator",
    ),
    ("9360feb5-f418-4baa-8175-e2a00bac4301", "Directory Writers"),
    (
        "25a516ed-2fa0-40ea-a2d0-12923a21473a",
        "Authentication Extensibility Administrator",
    ),
    (
        "aaf43236-0c0d-4d5f-883a-6955382ac081",
        "B2C IEF Keyset Administrator",
    ),
    (
        "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe",
        "Attribute Provisioning Administrator",
    ),
    (
        "422218e4-db15-4ef9-bbe0-8afb41546d79",
        "Attribute Provisioning Reader",
    ),
    (
        "59d46f88-662b-457b-bceb-5c3809e5908f",
        "Lifecycle Workflows Administrator",
    ),
    (
        "4ba39ca4-527c-499a-b93d-d9b492c50246",
        "Partner Tier1 Support",
    ),
    (
        "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        "Partner Tier2 Support",
    ),
];

/// The name of a privileged role by its template id (`None`: not privileged).
pub fn privileged_role(template_id: &str) -> Option<&'static str> {
    PRIVILEGED_ROLES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(template_id))
        .map(|(_, name)| *name)
}

/// What a user's directory roles say about a pass for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// No privileged role.
    None,
    /// The privileged roles held, by name.
    Roles(Vec<String>),
    /// The user holds directory roles this sign-in may not read (Graph returned only their ids:
    /// the token lacks RoleManagement.Read.Directory): treated as privileged.
    Unreadable(usize),
}

impl Privilege {
    /// Judges the directory objects `transitiveMemberOf/microsoft.graph.directoryRole` returned.
    pub fn of(roles: &[DirectoryObject]) -> Privilege {
        let mut names = Vec::new();
        let mut unreadable = 0;
        for role in roles {
            match role.role_template_id.as_deref() {
                Some(id) => {
                    if let Some(name) = privileged_role(id) {
                        names.push(name.to_string());
                    }
                }
                None => unreadable += 1,
            }
        }
        if !names.is_empty() {
            Privilege::Roles(names)
        } else if unreadable > 0 {
            Privilege::Unreadable(unreadable)
        } else {
            Privilege::None
        }
    }
}

/// `/users/{user}/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,displayName,roleTemplateId`.
pub fn roles_path(user: UserRef<'_>) -> GraphPath {
    user.path()
        .seg("transitiveMemberOf/microsoft.graph.directoryRole")
        .query("$select", "id,displayName,roleTemplateId")
}

/// The directory roles a user holds, directly or through a group.
pub async fn user_roles<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
) -> Result<Vec<DirectoryObject>, GraphError> {
    graph.list_at(&roles_path(user.into())).await
}

/// `/users/{user}?$select=…`: one user with what the checks read.
pub fn user_path(user: UserRef<'_>) -> GraphPath {
    user.path().query("$select", USER_SELECT)
}

/// Users with a word of their display name, or their UPN, starting with `text` (Graph's
/// tokenized `$search`, which needs `ConsistencyLevel: eventual`; the client adds it), at most
/// `top`, for type-ahead.
pub async fn search_users(
    graph: &GraphClient,
    text: &str,
    top: u32,
) -> Result<Vec<User>, GraphError> {
    let term: String = text
        .chars()
        .filter(|c| !matches!(c, '"' | '\\' | ':'))
        .collect();
    let term = term.trim();
    if term.is_empty() {
        return Ok(Vec::new());
    }
    let path = GraphPath::v1()
        .seg("users")
        .query(
            "$search",
            format!("\"displayName:{term}\" OR \"userPrincipalName:{term}\""),
        )
        .query("$select", USER_SELECT)
        .query("$top", top.clamp(1, 999).to_string());
    let page: crate::models::Page<User> = graph.get_at(&path).await?;
    Ok(page.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(template: Option<&str>) -> DirectoryObject {
        DirectoryObject {
            odata_type: Some("#microsoft.graph.directoryRole".into()),
            id: Some("r".into()),
            display_name: None,
            role_template_id: template.map(str::to_string),
        }
    }

    #[test]
    fn privilege_is_judged_by_template_id() {
        assert_eq!(Privilege::of(&[]), Privilege::None);
        assert_eq!(
            Privilege::of(&[role(Some("4a5d8f65-41da-4de4-8968-e035b65339cf"))]),
            Privilege::None,
            "Reports Reader is not privileged"
        );
        assert_eq!(
            Privilege::of(&[role(Some("62E90394-69F5-4237-9190-012177145E10"))]),
            Privilege::Roles(vec!["Global Administrator".into()])
        );
        assert_eq!(Privilege::of(&[role(None)]), Privilege::Unreadable(1));
    }
}
