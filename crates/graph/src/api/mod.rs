//! One typed function per Graph request our crates make. Each takes typed ids, builds its path
//! with [`GraphPath`](crate::GraphPath) (so a value from outside is always one encoded path
//! segment), and returns a typed model; controllers and the help desk call these and never
//! format a URL or decode JSON themselves. Each module is named for its job.

pub mod auth_methods;
pub mod conditional_access;
pub mod devices;
pub mod directory;
pub mod helpdesk;
pub mod policies;
pub mod sign_ins;
pub mod users;

use crate::GraphPath;
use hb_lab::{Upn, UserId};

/// A user as a request names them: by object id or by UPN (Graph takes either in
/// `/users/{id | userPrincipalName}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRef<'a> {
    /// The directory object id.
    Id(&'a UserId),
    /// The user principal name.
    Upn(&'a Upn),
}

impl UserRef<'_> {
    /// The text Graph gets in the path segment (encoded there).
    pub fn as_str(&self) -> &str {
        match self {
            UserRef::Id(id) => id.as_str(),
            UserRef::Upn(upn) => upn.as_str(),
        }
    }

    /// `/users/{this}`, on v1.0.
    pub fn path(&self) -> GraphPath {
        GraphPath::v1().seg("users").key(self.as_str())
    }
}

impl<'a> From<&'a UserId> for UserRef<'a> {
    fn from(id: &'a UserId) -> Self {
        UserRef::Id(id)
    }
}

impl<'a> From<&'a Upn> for UserRef<'a> {
    fn from(upn: &'a Upn) -> Self {
        UserRef::Upn(upn)
    }
}
