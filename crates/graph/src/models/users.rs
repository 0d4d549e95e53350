//! Users, the signed-in account's tenant and directory roles.

use hb_lab::{TenantId, Upn, UserId};
use serde::{Deserialize, Serialize};

/// A user as far as we need one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The directory object id.
    pub id: UserId,
    /// As Graph spells it (kept as text: a name we would refuse to type can still come back).
    pub user_principal_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `Member` or `Guest`: the user's relationship to the tenant, not how they sign in.
    #[serde(default)]
    pub user_type: Option<String>,
    /// How the user signs in (only returned on `$select`).
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub identities: Vec<ObjectIdentity>,
}

impl User {
    /// The UPN as our type, when it is one Entra would accept today.
    pub fn upn(&self) -> Result<Upn, String> {
        Upn::parse(&self.user_principal_name)
    }

    /// Whether `userType` is `Guest`.
    pub fn is_guest(&self) -> bool {
        self.user_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Guest"))
    }

    /// Whether the user authenticates somewhere else (another organization, a Microsoft account,
    /// email one-time passcode): identities name only a federated issuer and no sign-in name of
    /// this tenant. Entra refuses a TAP for such an external user ("Temporary Access Pass cannot
    /// be added to an external guest user"); internal guests and members can have one.
    pub fn signs_in_elsewhere(&self) -> bool {
        let is = |kind: &str| {
            self.identities.iter().any(|i| {
                i.sign_in_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(kind))
            })
        };
        is("federated") && !is("userPrincipalName")
    }
}

/// One way a user signs in (`objectIdentity`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectIdentity {
    /// `userPrincipalName`, `federated`, `emailAddress`, `userName`, …
    #[serde(default)]
    pub sign_in_type: Option<String>,
    /// The tenant's domain for its own accounts; the other organization, `MicrosoftAccount`,
    /// `mail`, … for external ones.
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub issuer_assigned_id: Option<String>,
}

/// The tenant (`/organization`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: TenantId,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// An item of `/me/transitiveMemberOf`: a group, a directory role, an administrative unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryObject {
    #[serde(default, rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Set on directory roles (never sent: a group has no such property).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_template_id: Option<String>,
}

/// A directory role the signed-in account holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRole {
    /// The name people know (null when the token has only `User.Read`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The same in every tenant: what roles are matched by.
    #[serde(default)]
    pub role_template_id: Option<String>,
}
