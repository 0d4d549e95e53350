//! Where Graph is and which of its two versions a request goes to: one `--graph-url` root, and
//! how hard the client retries there.

use super::error::GraphError;
use std::time::Duration;
use url::Url;

/// Graph API version; both base URLs derive from one `--graph-url` root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    /// `v1.0`, the supported API.
    V1,
    /// `beta`, for what v1.0 lacks (the MDM policy, sign-in log details).
    Beta,
}

impl ApiVersion {
    /// The version's path segment, as in `https://graph.microsoft.com/v1.0`.
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// Where Graph is and how hard to retry.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    /// Root without a version, like `https://graph.microsoft.com`.
    pub root: Url,
    /// How many times a throttled, unavailable or lost call is retried.
    pub max_retries: u32,
    /// Upper bound on one wait between retries.
    pub max_retry_wait: Duration,
    /// The first wait between retries when Graph gives no `Retry-After`; it doubles each time.
    pub retry_base: Duration,
    /// How long one read may take; a write gets twice as long, a `$batch` three times.
    pub timeout: Duration,
}

impl GraphConfig {
    /// The public Microsoft Graph.
    pub const PUBLIC_ROOT: &'static str = "https://graph.microsoft.com";

    /// Parses and checks a `--graph-url` value.
    pub fn from_root(root: &str) -> Result<GraphConfig, GraphError> {
        let mut url = Url::parse(root.trim()).map_err(|e| {
            GraphError::Config(format!(
                "--graph-url '{root}' is not a valid URL ({e}); expected e.g. {}",
                Self::PUBLIC_ROOT
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(GraphError::Config(format!(
                "--graph-url '{root}' must be an http(s) URL with a host, e.g. {}",
                Self::PUBLIC_ROOT
            )));
        }
        let trimmed = url.path().trim_end_matches('/').to_string();
        for version in ["/v1.0", "/beta"] {
            if trimmed.ends_with(version) {
                return Err(GraphError::Config(format!(
                    "--graph-url '{root}' must be the root without a version (drop '{version}')"
                )));
            }
        }
        url.set_path(&format!("{trimmed}/"));
        Ok(GraphConfig {
            root: url,
            max_retries: 6,
            max_retry_wait: Duration::from_secs(60),
            retry_base: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_url_is_validated_and_normalised() {
        let c = GraphConfig::from_root("http://127.0.0.1:8080").unwrap();
        assert_eq!(c.root.as_str(), "http://127.0.0.1:8080/");
        assert!(
            GraphConfig::from_root("not a url")
                .unwrap_err()
                .to_string()
                .contains("not a valid URL")
        );
        assert!(
            GraphConfig::from_root("ftp://x")
                .unwrap_err()
                .to_string()
                .contains("http(s)")
        );
        assert!(
            GraphConfig::from_root("https://graph.microsoft.com/v1.0")
                .unwrap_err()
                .to_string()
                .contains("without a version")
        );
    }
}
