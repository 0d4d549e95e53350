//! Newtypes for the identifiers we pass around, so a UPN is never confused with an object id.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user principal name such as `adele.vance@contoso.com`, validated on construction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

impl Upn {
    /// Checks the shape of a UPN: one `@`, a non-empty local part, a dotted domain, no spaces.
    pub fn parse(raw: &str) -> Result<Upn, String> {
        let s = raw.trim();
        let Some((local, domain)) = s.split_once('@') else {
            return Err(format!(
                "'{s}' is not a user principal name: it has no '@' (expected name@domain)"
            ));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(format!(
                "'{s}' is not a user principal name (expected name@domain)"
            ));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(format!(
                "'{s}' has no valid domain after '@' (expected e.g. contoso.com)"
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "'{}' contains spaces or control characters",
                s.escape_debug()
            ));
        }
        if s.len() > 113 {
            return Err("a user principal name has at most 113 characters".into());
        }
        Ok(Upn(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Upn {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Upn::parse(&s)
    }
}

impl From<Upn> for String {
    fn from(u: Upn) -> String {
        u.0
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Upn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Upn::parse(s)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }
    };
}

string_id!(
    /// A directory object id of a user (a GUID in Graph).
    UserId
);
string_id!(
    /// An Entra tenant id (a GUID), as in `{tenantId}_DefaultWindowsHelloForBusiness`.
    TenantId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_accepts_real_names_and_rejects_broken_ones() {
        assert_eq!(
            Upn::parse(" adele@contoso.com ").unwrap().as_str(),
            "adele@contoso.com"
        );
        assert!(Upn::parse("adele").unwrap_err().contains("no '@'"));
        assert!(Upn::parse("@contoso.com").is_err());
        assert!(Upn::parse("a@contoso").unwrap_err().contains("domain"));
        assert!(
            Upn::parse("a b@contoso.com")
                .unwrap_err()
                .contains("spaces")
        );
        assert!(serde_json::from_str::<Upn>("\"nope\"").is_err());
    }
}
