//! Where we sign in (identity platform root, tenant) and as which app (client id).

use super::error::AuthError;
use super::id_token::EntraTokenFields;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, Client, ClientId, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, RedirectUrl,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use std::time::Duration;
use url::Url;

/// The Microsoft Graph Command Line Tools public client, the default `--client-id`.
pub const DEFAULT_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// The public identity platform, the default `--login-url`.
pub const PUBLIC_LOGIN_ROOT: &str = "https://login.microsoftonline.com";
/// Work and school accounts of any tenant, the default `--tenant`.
pub const DEFAULT_TENANT: &str = "organizations";

/// A token endpoint answer with Entra's extra fields (`id_token`, `client_info`, `ext_expires_in`).
pub type EntraTokenResponse = StandardTokenResponse<EntraTokenFields, BasicTokenType>;

/// The oauth2 client reading Entra's token responses, before any endpoint is set.
type EntraClient = Client<
    BasicErrorResponse,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
>;

/// The oauth2 client with the authorize, device-code and token endpoints set, reading Entra's
/// token responses.
pub type OAuthClient = Client<
    BasicErrorResponse,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The identity platform endpoints for one tenant and app, validated once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    /// Root of the identity platform without the tenant, like `https://login.microsoftonline.com/`.
    pub login_root: Url,
    /// Tenant id, verified domain, or `organizations`.
    pub tenant: String,
    /// The public client's application id.
    pub client_id: String,
}

impl AuthConfig {
    /// Checks `--login-url`, `--tenant` and `--client-id` and says what is wrong with a bad one.
    pub fn new(login_url: &str, tenant: &str, client_id: &str) -> Result<AuthConfig, AuthError> {
        let mut root = Url::parse(login_url.trim()).map_err(|e| {
            AuthError::Config(format!(
                "--login-url '{login_url}' is not a valid URL ({e}); expected e.g. {PUBLIC_LOGIN_ROOT}"
            ))
        })?;
        if !matches!(root.scheme(), "http" | "https") || root.host_str().is_none() {
            return Err(AuthError::Config(format!(
                "--login-url '{login_url}' must be an http(s) URL with a host, e.g. {PUBLIC_LOGIN_ROOT}"
            )));
        }
        let path = root.path().trim_end_matches('/').to_string();
        root.set_path(&format!("{path}/"));
        root.set_query(None);

        let tenant = tenant.trim();
        let tenant_ok = !tenant.is_empty()
            && tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !tenant_ok {
            return Err(AuthError::Config(format!(
                "--tenant '{tenant}' is not a tenant: use the tenant id (a GUID), a verified domain such as contoso.onmicrosoft.com, or 'organizations'"
            )));
        }
        if matches!(tenant.to_ascii_lowercase().as_str(), "common" | "consumers") {
            return Err(AuthError::Config(format!(
                "--tenant '{tenant}' would allow personal Microsoft accounts, which cannot administer a tenant: use the tenant id, its domain, or 'organizations'"
            )));
        }
        let client_id = client_id.trim();
        if uuid::Uuid::parse_str(client_id).is_err() {
            return Err(AuthError::Config(format!(
                "--client-id '{client_id}' is not an application id: it must be a GUID like {DEFAULT_CLIENT_ID}"
            )));
        }
        Ok(AuthConfig {
            login_root: root,
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
        })
    }

    /// `{root}{tenant}/oauth2/v2.0/{endpoint}`.
    pub fn endpoint(&self, endpoint: &str) -> Url {
        let mut url = self.login_root.clone();
        url.set_path(&format!(
            "{}{}/oauth2/v2.0/{endpoint}",
            self.login_root.path(),
            self.tenant
        ));
        url
    }

    /// The key of this sign-in in the token cache: one entry per identity platform, tenant and app.
    pub fn cache_key(&self) -> String {
        format!(
            "{}{}|{}",
            self.login_root.host_str().unwrap_or("login"),
            self.login_root
                .port()
                .map(|p| format!(":{p}"))
                .unwrap_or_default(),
            format_args!("{}|{}", self.tenant.to_ascii_lowercase(), self.client_id)
        )
    }

    /// An oauth2 client for these endpoints, optionally with a loopback redirect.
    pub fn oauth_client(&self, redirect: Option<&str>) -> Result<OAuthClient, AuthError> {
        let bad = |e: url::ParseError| AuthError::Config(format!("bad identity platform URL: {e}"));
        let client = EntraClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(self.endpoint("authorize")))
            .set_token_uri(TokenUrl::from_url(self.endpoint("token")))
            .set_device_authorization_url(DeviceAuthorizationUrl::from_url(
                self.endpoint("devicecode"),
            ));
        Ok(match redirect {
            Some(r) => client.set_redirect_uri(RedirectUrl::new(r.to_owned()).map_err(bad)?),
            None => client,
        })
    }
}

/// The HTTP client for the identity platform: no redirects (a token endpoint never redirects,
/// and following one could leak a code), bounded timeouts.
pub fn http_client() -> Result<reqwest::Client, AuthError> {
    http_client_builder()
        .build()
        .map_err(|e| AuthError::Config(format!("cannot build the HTTP client: {e}")))
}

/// The settings of [`http_client`], for a caller that adds its own (a resolver override).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(hb_graph::client::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_built_under_the_tenant() {
        let c = AuthConfig::new(
            "http://127.0.0.1:9000",
            "contoso.onmicrosoft.com",
            DEFAULT_CLIENT_ID,
        )
        .unwrap();
        assert_eq!(
            c.endpoint("token").as_str(),
            "http://127.0.0.1:9000/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(
            c.cache_key()
                .starts_with("127.0.0.1:9000|contoso.onmicrosoft.com|")
        );
    }

    #[test]
    fn bad_options_say_what_to_use() {
        let e = AuthConfig::new(PUBLIC_LOGIN_ROOT, "common", DEFAULT_CLIENT_ID).unwrap_err();
        assert!(e.to_string().contains("organizations"));
        let e = AuthConfig::new(PUBLIC_LOGIN_ROOT, "a b", DEFAULT_CLIENT_ID).unwrap_err();
        assert!(e.to_string().contains("tenant id"));
        let e = AuthConfig::new(PUBLIC_LOGIN_ROOT, DEFAULT_TENANT, "my-app").unwrap_err();
        assert!(e.to_string().contains("GUID"));
        let e = AuthConfig::new("nope", DEFAULT_TENANT, DEFAULT_CLIENT_ID).unwrap_err();
        assert!(e.to_string().contains("--login-url"));
    }
}
