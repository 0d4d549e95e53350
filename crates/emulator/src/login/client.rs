//! Who is asking: the `{tenant}` path segment, the client id, the loopback redirect URI and the
//! requested scopes, checked the same way by `/authorize`, `/token` and `/devicecode`.

use super::error::OAuthErr;
use crate::scopes::normalise;
use crate::state::SharedState;
use axum::http::StatusCode;
use std::collections::HashMap;
use url::Url;

/// The client ids the emulated tenant knows: Microsoft Graph Command Line Tools and a dedicated
/// "Hello Bootstrap" registration.
pub const KNOWN_CLIENT_IDS: &[&str] = &[
    crate::api::GRAPH_COMMAND_LINE_TOOLS,
    "5a1b0c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
];

/// Checks the `{tenant}` path segment: the tenant id, a verified domain, or `organizations`.
pub(super) fn tenant_matches(state: &SharedState, tenant: &str) -> bool {
    let (id, domain) = state.read(|t| (t.tenant.id.0.clone(), t.tenant.domain.clone()));
    tenant.eq_ignore_ascii_case(&id)
        || tenant.eq_ignore_ascii_case(&domain)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common")
}

/// Whether `client_id` is one of the public clients the tenant knows (case-insensitive).
pub(super) fn client_known(client_id: &str) -> bool {
    KNOWN_CLIENT_IDS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(client_id))
}

/// The first checks of `/token` and `/devicecode`: the tenant, then a known client, whose id
/// is returned.
pub(super) fn tenant_and_client(
    state: &SharedState,
    tenant: &str,
    form: &HashMap<String, String>,
) -> Result<String, OAuthErr> {
    if !tenant_matches(state, tenant) {
        return Err(OAuthErr::bad(
            "invalid_request",
            90002,
            format!("Tenant '{tenant}' not found."),
        ));
    }
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    if !client_known(&client_id) {
        return Err(OAuthErr {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code: 700016,
            text: format!(
                "Application with identifier '{client_id}' was not found in the directory."
            ),
            suberror: None,
        });
    }
    Ok(client_id)
}

/// Whether `uri` matches the one redirect URI both known clients registered, `http://localhost`
/// (graph-contract.md section 9), by the loopback rules of "Redirect URI (reply URL)
/// restrictions": the port is ignored, the scheme, host and path are not (a registration without
/// a path matches `/`), and `127.0.0.1` or `[::1]` is another host, not an alias.
pub(super) fn redirect_allowed(uri: &str) -> bool {
    match Url::parse(uri) {
        Ok(url) => {
            url.scheme() == "http"
                && url.host_str() == Some("localhost")
                && url.path() == "/"
                && url.query().is_none()
                && url.fragment().is_none()
        }
        Err(_) => false,
    }
}

/// The short names of the Graph scopes the emulator knows among those requested.
pub(super) fn known_scopes(requested: &str) -> Vec<String> {
    let mut out: Vec<String> = requested
        .split_whitespace()
        .filter_map(normalise)
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether the request asks for a refresh token.
pub(super) fn wants_offline(requested: &str) -> bool {
    requested.split_whitespace().any(|s| s == "offline_access")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_allowed() {
        assert!(redirect_allowed("http://localhost:53124/"));
        assert!(redirect_allowed("http://localhost"));
        assert!(!redirect_allowed("https://localhost:53124/"));
        assert!(!redirect_allowed("http://[::1]:53124/"));
        assert!(!redirect_allowed("http://evil.example/"));
        assert!(!redirect_allowed("http://localhost:1/?x=1"));
    }

    #[test]
    fn only_the_registered_localhost_matches_whatever_the_port() {
        assert!(redirect_allowed("http://localhost:1/"));
        assert!(redirect_allowed("http://LOCALHOST:65535/"));
        assert!(
            !redirect_allowed("http://127.0.0.1:8400/"),
            "not registered"
        );
        assert!(!redirect_allowed("http://127.0.0.1:8400/callback"));
        assert!(!redirect_allowed("http://localhost:8400/callback"), "path");
        assert!(!redirect_allowed("http://localhost:8400/#x"));
    }

    #[test]
    fn requested_scopes_are_reduced_to_known_short_names() {
        assert_eq!(
            known_scopes(
                "openid offline_access https://graph.microsoft.com/User.Read Mail.Send user.read"
            ),
            vec!["User.Read".to_string()]
        );
    }
}
