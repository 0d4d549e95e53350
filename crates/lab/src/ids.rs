//! Newtypes for the identifiers we pass around, so a UPN is never confused with an object id and
//! a device's directory object id never with its Device Registration Service id.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user principal name such as `adele.vance@contoso.com` or a guest's
/// `jane_fabrikam.com#EXT#@contoso.onmicrosoft.com`, checked on construction against what
/// Microsoft Entra accepts in `userPrincipalName`, so nothing else (a `/`, a `?`, a space) can
/// reach a request or a report in its place.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

/// Entra's limit on the name before a UPN's `@` (the username policies; with the domain's limit
/// below it makes the 113 characters Entra allows in all).
pub const UPN_MAX_LOCAL_LEN: usize = 64;
/// Entra's limit on the domain after a UPN's `@`.
pub const UPN_MAX_DOMAIN_LEN: usize = 48;

/// The characters Entra allows before the `@` besides ASCII letters and digits.
const LOCAL_SYMBOLS: &str = "'.-_!#^~";
/// Said at the end of every message about a character, so the fix is obvious.
const ALLOWED: &str = "a user principal name allows only the letters A-Z and a-z, the digits 0-9 and ' . - _ ! # ^ ~ before one '@', then a verified domain such as contoso.com";

/// A character as a message shows it: printable ones quoted, the rest by code point.
fn shown(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        c if c.is_control() || c.is_whitespace() || crate::escape::is_hostile(c) => {
            format!("the invisible character U+{:04X}", c as u32)
        }
        c if !c.is_ascii() => format!("'{c}' (accented and non-ASCII letters are not allowed)"),
        c => format!("'{c}'"),
    }
}

impl Upn {
    /// Checks a sign-in name the way Entra does: letters, digits and `' . - _ ! # ^ ~` before one
    /// `@` (not ending in `.`), then a dotted domain of letters, digits and hyphens, within Entra's
    /// length limits. Surrounding spaces (from a paste) are dropped; anything else wrong is named
    /// in the error together with what to write instead.
    pub fn parse(raw: &str) -> Result<Upn, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(
                "is empty: give the user's sign-in name, e.g. adele.vance@contoso.com".into(),
            );
        }
        // Quoted values are escaped (a bidi mark must not reorder the message) and cut (a
        // 10 kB paste must not flood it).
        let shown_s = crate::escape::for_display_short(s, 80);
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || LOCAL_SYMBOLS.contains(*c) || *c == '@'))
        {
            return Err(format!(
                "'{shown_s}' contains {}, which Entra never allows in a sign-in name: {ALLOWED}",
                shown(c)
            ));
        }
        let (local, domain) = match s.split_once('@') {
            None => {
                return Err(format!(
                    "'{s}' is not a user principal name: it has no '@'; give the full sign-in name, e.g. {s}@contoso.com"
                ));
            }
            Some((_, rest)) if rest.contains('@') => {
                return Err(format!(
                    "'{s}' has more than one '@': a user principal name has exactly one, between the name and the domain"
                ));
            }
            Some(parts) => parts,
        };
        if local.is_empty() {
            return Err(format!(
                "'{s}' has no name before '@' (expected name@domain)"
            ));
        }
        if domain.is_empty() {
            return Err(format!(
                "'{s}' has no domain (expected name@domain, e.g. {local}@contoso.com)"
            ));
        }
        if local.ends_with('.') {
            return Err(format!(
                "'{s}' has a '.' right before the '@', which Entra does not allow: remove it"
            ));
        }
        if let Some(c) = domain
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(format!(
                "'{s}' has {} in its domain '{domain}': a domain has only letters, digits, hyphens and dots, e.g. contoso.com",
                shown(c)
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return Err(format!(
                "'{s}' has no valid domain after '@' (expected e.g. contoso.com or contoso.onmicrosoft.com)"
            ));
        }
        if local.len() > UPN_MAX_LOCAL_LEN {
            return Err(format!(
                "'{shown_s}' has {} characters before the '@'; Entra allows at most {UPN_MAX_LOCAL_LEN}",
                local.len()
            ));
        }
        if domain.len() > UPN_MAX_DOMAIN_LEN {
            return Err(format!(
                "'{shown_s}' has {} characters after the '@'; Entra allows at most {UPN_MAX_DOMAIN_LEN}",
                domain.len()
            ));
        }
        Ok(Upn(s.to_string()))
    }

    /// The UPN as Entra spells it.
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
            /// The id as Graph spells it.
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

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
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
string_id!(
    /// The id of one of a user's authentication methods (a TAP, a WHfB key).
    AuthMethodId
);
string_id!(
    /// An Entra device's directory object id (`device.id`): what `DELETE /devices/{id}` takes.
    DeviceObjectId
);
string_id!(
    /// An Entra device's Device Registration Service id (`device.deviceId`, dsregcmd's DeviceId,
    /// Intune's `azureADDeviceId`): what the VM reports and what finds its cloud objects.
    DeviceId
);
string_id!(
    /// An Intune managed device's id (`managedDevice.id`).
    ManagedDeviceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_accepts_what_entra_accepts() {
        assert_eq!(
            Upn::parse(" adele@contoso.com ").unwrap().as_str(),
            "adele@contoso.com"
        );
        for ok in [
            "o'brien@contoso.com",
            "a.b-c_d!e#f^g~h@sub-1.contoso.co.uk",
            "jane_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            "_x_@contoso.com",
        ] {
            assert_eq!(Upn::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn upn_rejects_path_and_query_characters_saying_what_is_allowed() {
        for (bad, named) in [
            ("x/../../users/admin@contoso.com", "'/'"),
            ("a?b@contoso.com", "'?'"),
            ("a%2F@contoso.com", "'%'"),
            ("a&b@contoso.com", "'&'"),
            ("a b@contoso.com", "a space"),
            ("a\tb@contoso.com", "U+0009"),
            ("a\u{7}b@contoso.com", "U+0007"),
            ("jörg@contoso.com", "'ö' (accented"),
            ("a+b@contoso.com", "'+'"),
            ("a$b@contoso.com", "'$'"),
        ] {
            let e = Upn::parse(bad).unwrap_err();
            assert!(e.contains(named), "{bad}: {e}");
            assert!(e.contains("' . - _ ! # ^ ~"), "{bad}: {e}");
        }
    }

    #[test]
    fn upn_shape_and_length_messages_say_what_is_missing() {
        let e = Upn::parse("adele").unwrap_err();
        assert!(
            e.starts_with("'adele' is not a user principal name: it has no '@'"),
            "{e}"
        );
        assert!(Upn::parse("  ").unwrap_err().contains("is empty"));
        assert!(Upn::parse("@contoso.com").unwrap_err().contains("no name"));
        assert!(
            Upn::parse("bob@")
                .unwrap_err()
                .contains("'bob@' has no domain")
        );
        assert!(
            Upn::parse("a@b@contoso.com")
                .unwrap_err()
                .contains("more than one")
        );
        assert!(
            Upn::parse("a@contoso")
                .unwrap_err()
                .contains("valid domain")
        );
        assert!(
            Upn::parse("a@contoso..com")
                .unwrap_err()
                .contains("valid domain")
        );
        assert!(
            Upn::parse("a@-contoso.com")
                .unwrap_err()
                .contains("valid domain")
        );
        assert!(
            Upn::parse("a.@contoso.com")
                .unwrap_err()
                .contains("'.' right before")
        );
        assert!(
            Upn::parse("a@con_toso.com")
                .unwrap_err()
                .contains("in its domain")
        );
        assert!(
            Upn::parse("a@con'toso.com")
                .unwrap_err()
                .contains("in its domain")
        );
        let local = "a".repeat(65);
        assert!(
            Upn::parse(&format!("{local}@contoso.com"))
                .unwrap_err()
                .contains("at most 64")
        );
        assert!(Upn::parse(&format!("{}@contoso.com", "a".repeat(64))).is_ok());
        let domain = format!("{}.com", "d".repeat(45));
        assert!(
            Upn::parse(&format!("a@{domain}"))
                .unwrap_err()
                .contains("at most 48")
        );
        assert!(serde_json::from_str::<Upn>("\"nope\"").is_err());
        assert!(serde_json::from_str::<Upn>("\"x/y@contoso.com\"").is_err());
    }
}
