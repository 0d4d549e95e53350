//! Typed models of the Graph resources we read and write: only the fields we use, named as
//! Microsoft's metadata names them; unknown fields are ignored so new Graph properties never
//! break us.

mod devices;
mod methods;
mod policies;
mod sign_ins;
mod users;

pub use devices::{Device, ManagedDevice};
pub use methods::{CreatedTap, NewTap, TAP_MAX_LIFETIME, TAP_MIN_LIFETIME, TapMethod, WhfbMethod};
pub use policies::{
    ALL_USERS, AuthMethodTarget, AuthenticationStrength, CaSubject, ConditionalAccessApplications,
    ConditionalAccessConditions, ConditionalAccessPolicy, ConditionalAccessUsers,
    EnrollmentConfiguration, ExcludeTarget, GrantControls, MDM_POLICY_ID, MdmPolicy,
    TAP_CONFIG_TYPE, TapMethodConfig, TapPolicyPatch, WHFB_CONFIG_TYPE, WHFB_DEFAULT_SUFFIX,
    WhfbConfig,
};
pub use sign_ins::{AuthenticationDetail, SignIn, SignInDeviceDetail, SignInStatus};
pub use users::{DirectoryObject, DirectoryRole, ObjectIdentity, Organization, User};

use serde::Deserialize;

/// One page of a collection, for requests that read only the first page on purpose.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// The page's items (Graph may send an empty page).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub value: Vec<T>,
}

/// Reads a collection property that Graph may send as `null` as an empty list.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(d).map(Option::unwrap_or_default)
}
