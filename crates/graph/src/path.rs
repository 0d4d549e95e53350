//! A Graph request's path and query, built from fixed segments and encoded keys, so a value that
//! came from a user (a UPN, an id) always stays inside its one path segment: `/` becomes `%2F`,
//! `#` becomes `%23`, and `.`/`..` are refused rather than resolved.

use super::client::ApiVersion;
use super::error::GraphError;
use url::Url;

/// A query option's value, percent-encoded except for the characters OData expressions read
/// best plain (`' ( ) , : $ / @`); a space becomes `%20`, never `+`, and `+ & = #` are encoded so
/// they stay part of the value.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~'(),:$/@!*;".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One path segment: fixed text we wrote, or a value that must be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Fixed(&'static str),
    Key(String),
}

/// The version, path segments and query options of one Graph request, relative to the root.
/// Build it with [`GraphPath::v1`]/[`GraphPath::beta`], [`GraphPath::seg`] for our own
/// segments and [`GraphPath::key`] for every value that came from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphPath {
    version: ApiVersion,
    segments: Vec<Segment>,
    query: Vec<(&'static str, String)>,
}

impl GraphPath {
    /// A path in `version`, with no segments yet.
    pub fn new(version: ApiVersion) -> GraphPath {
        GraphPath {
            version,
            segments: Vec::new(),
            query: Vec::new(),
        }
    }

    /// A path on Graph v1.0.
    pub fn v1() -> GraphPath {
        GraphPath::new(ApiVersion::V1)
    }

    /// A path on Graph beta.
    pub fn beta() -> GraphPath {
        GraphPath::new(ApiVersion::Beta)
    }

    /// Appends fixed segments we wrote ourselves, like `users` or
    /// `authentication/temporaryAccessPassMethods` (split on `/`).
    pub fn seg(mut self, fixed: &'static str) -> GraphPath {
        self.segments.extend(
            fixed
                .split('/')
                .filter(|s| !s.is_empty())
                .map(Segment::Fixed),
        );
        self
    }

    /// Appends one segment holding a value from outside (a UPN, an id), percent-encoded so it
    /// can never become more than one segment.
    pub fn key(mut self, value: impl AsRef<str>) -> GraphPath {
        self.segments.push(Segment::Key(value.as_ref().to_string()));
        self
    }

    /// Appends a query option such as `$filter`; its value is percent-encoded.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> GraphPath {
        self.query.push((name, value.into()));
        self
    }

    /// The API version.
    pub fn version(&self) -> ApiVersion {
        self.version
    }

    /// Keys Graph could not tell from a path step: empty, `.` or `..`.
    fn check(&self) -> Result<(), GraphError> {
        for segment in &self.segments {
            if let Segment::Key(k) = segment
                && matches!(k.as_str(), "" | "." | "..")
            {
                return Err(GraphError::Config(format!(
                    "'{k}' cannot name a user, device or method in a Graph request: give its id or sign-in name"
                )));
            }
        }
        Ok(())
    }

    /// The encoded query string, without `?`.
    fn query_string(&self) -> String {
        self.query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The absolute URL under `root` (a root without a version, ending in `/`).
    pub fn url(&self, root: &Url) -> Result<Url, GraphError> {
        self.check()?;
        let mut url = root.clone();
        {
            let mut segments = url.path_segments_mut().map_err(|()| {
                GraphError::Config(format!("the Graph root {root} cannot have a path"))
            })?;
            segments.pop_if_empty().push(self.version.segment());
            for segment in &self.segments {
                match segment {
                    Segment::Fixed(s) => segments.push(s),
                    Segment::Key(k) => segments.push(k),
                };
            }
        }
        let query = self.query_string();
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        Ok(url)
    }

    /// The encoded path and query relative to the version root, like `/users/a%23b@c.com` — what
    /// a `$batch` item's `url` and the evidence shown to people take. Encoded by the same code
    /// as [`GraphPath::url`].
    pub fn relative(&self) -> String {
        let root = Url::parse("http://graph/").expect("a fixed URL parses");
        let prefix = format!("http://graph/{}", self.version.segment());
        match self.url(&root) {
            Ok(url) => url
                .as_str()
                .strip_prefix(&prefix)
                .unwrap_or(url.as_str())
                .to_string(),
            // A refused key still shows as a readable (inert) path in evidence.
            Err(_) => "/(invalid)".into(),
        }
    }
}

/// An OData string literal for `$filter`: in single quotes, with quotes inside doubled.
pub fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Url {
        Url::parse("http://127.0.0.1:8080/").unwrap()
    }

    #[test]
    fn keys_stay_inside_their_segment() {
        let path = GraphPath::v1()
            .seg("users")
            .key("x/../../users/admin@contoso.com")
            .seg("authentication/temporaryAccessPassMethods");
        let url = path.url(&root()).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/v1.0/users/x%2F..%2F..%2Fusers%2Fadmin@contoso.com/authentication/temporaryAccessPassMethods"
        );
        assert_eq!(url.path_segments().unwrap().count(), 5);
        assert_eq!(
            path.relative(),
            "/users/x%2F..%2F..%2Fusers%2Fadmin@contoso.com/authentication/temporaryAccessPassMethods"
        );
    }

    #[test]
    fn a_guest_upn_keeps_its_ext_marker() {
        let path = GraphPath::v1()
            .seg("users")
            .key("jane_fabrikam.com#EXT#@contoso.onmicrosoft.com");
        let url = path.url(&root()).unwrap();
        assert_eq!(url.fragment(), None, "no # left to start a fragment");
        assert_eq!(
            url.path(),
            "/v1.0/users/jane_fabrikam.com%23EXT%23@contoso.onmicrosoft.com"
        );
        for (raw, encoded) in [
            ("o'brien@x.com", "o'brien@x.com"),
            ("a?b", "a%3Fb"),
            ("50%", "50%25"),
            ("a b", "a%20b"),
            ("a\\b", "a%5Cb"),
        ] {
            assert_eq!(
                GraphPath::v1().key(raw).relative(),
                format!("/{encoded}"),
                "{raw}"
            );
        }
    }

    #[test]
    fn dot_segments_are_refused_not_resolved() {
        for bad in ["", ".", ".."] {
            let err = GraphPath::v1()
                .seg("users")
                .key(bad)
                .url(&root())
                .unwrap_err();
            assert!(err.to_string().contains("cannot name a user"), "{bad:?}");
        }
    }

    #[test]
    fn query_values_are_encoded_and_spaces_are_not_plus() {
        let path = GraphPath::beta()
            .seg("auditLogs/signIns")
            .query("$filter", format!("userId eq {}", odata_string("o'b+c&d")))
            .query("$top", "50");
        assert_eq!(
            path.relative(),
            "/auditLogs/signIns?$filter=userId%20eq%20%27o%27%27b%2Bc%26d%27&$top=50"
        );
        let url = path.url(&root()).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(pairs[0].1, "userId eq 'o''b+c&d'");
        assert_eq!(pairs[1], ("$top".into(), "50".into()));
    }

    #[test]
    fn a_root_with_a_path_prefix_keeps_it() {
        let root = Url::parse("http://h/proxy/graph/").unwrap();
        let url = GraphPath::v1().seg("me").url(&root).unwrap();
        assert_eq!(url.as_str(), "http://h/proxy/graph/v1.0/me");
    }
}
