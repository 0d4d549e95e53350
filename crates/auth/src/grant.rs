//! What a token endpoint answer gives us, the refresh-token exchange, and the mapping of
//! oauth2 errors to [`AuthError`] without ever echoing a response body.

use super::config::{AuthConfig, EntraTokenResponse};
use super::error::AuthError;
use super::id_token::{self, SignedInAccount};
use super::refusal::{self, Flow};
use super::scopes;
use hb_lab::Secret;
use oauth2::{
    ErrorResponseType, HttpClientError, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, TokenResponse,
};
use std::time::{Duration, Instant};

/// Tokens from one successful token request. Access tokens stay in memory only.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The bearer token for Graph, memory only.
    pub access_token: Secret,
    /// The token that gets new access tokens; persisted only in the credential store.
    pub refresh_token: Option<Secret>,
    /// When the access token stops working (by the server's `expires_in`).
    pub expires_at: Instant,
    /// The Graph permissions the token carries (short names, from the response's `scope`).
    pub scopes: Vec<String>,
    /// Who signed in, from the checked id token (absent when the answer has none).
    pub account: Option<SignedInAccount>,
}

/// Asks the token endpoint for `client_info` next to the id token, as MSAL does.
pub const CLIENT_INFO: (&str, &str) = ("client_info", "1");

impl TokenGrant {
    /// Reads a token response, checking its id token against `config`; `expires_in` defaults to
    /// an hour like the identity platform's.
    pub fn from_response(
        config: &AuthConfig,
        response: &EntraTokenResponse,
    ) -> Result<TokenGrant, AuthError> {
        let account = id_token::account(config, response.extra_fields())?;
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3599));
        let scope_field = response
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        Ok(TokenGrant {
            access_token: Secret::new(response.access_token().secret().clone()),
            refresh_token: response
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone())),
            expires_at: Instant::now() + lifetime,
            scopes: scopes::granted_graph_scopes(&scope_field),
            account,
        })
    }

    /// Whether the access token is still good for at least `margin`.
    pub fn fresh_for(&self, margin: Duration) -> bool {
        self.expires_at
            .checked_duration_since(Instant::now())
            .is_some_and(|left| left > margin)
    }
}

/// Redeems a refresh token for a new access token (and usually a new refresh token). A refusal
/// we can explain (consent, MFA, policy, …; see [`refusal::explain`]) becomes
/// [`AuthError::Refused`] and leaves the refresh token alone; any other invalid_grant (a dead
/// refresh token, e.g. AADSTS700082 or AADSTS70043) becomes [`AuthError::SignInExpired`] so the
/// caller signs in interactively instead of retrying.
pub async fn refresh(
    config: &AuthConfig,
    http: &reqwest::Client,
    refresh_token: &Secret,
    graph_scopes: &[&str],
) -> Result<TokenGrant, AuthError> {
    let client = config.oauth_client(None)?;
    let token = RefreshToken::new(refresh_token.expose().to_string());
    let response = client
        .exchange_refresh_token(&token)
        .add_extra_param(CLIENT_INFO.0, CLIENT_INFO.1)
        .add_scopes(
            scopes::request_scopes(graph_scopes)
                .into_iter()
                .map(Scope::new),
        )
        .request_async(http)
        .await
        .map_err(map_request_error)
        .map_err(|e| match e {
            AuthError::OAuth { error, description } => {
                match refusal::explain(&description, config, graph_scopes, Flow::Refresh) {
                    Some(refused) => refused,
                    None if error == "invalid_grant" => {
                        AuthError::SignInExpired(aadsts_summary(&description))
                    }
                    None => AuthError::OAuth { error, description },
                }
            }
            other => other,
        })?;
    tracing::debug!("refreshed the access token");
    TokenGrant::from_response(config, &response)
}

/// Turns an oauth2 request error into ours, keeping the OAuth `error`/`error_description` and
/// never the raw body (which could hold tokens).
pub fn map_request_error<T>(
    e: RequestTokenError<HttpClientError<reqwest::Error>, StandardErrorResponse<T>>,
) -> AuthError
where
    T: ErrorResponseType + AsRef<str> + std::fmt::Display + Send + Sync + 'static,
{
    match e {
        RequestTokenError::ServerResponse(r) => AuthError::OAuth {
            error: r.error().as_ref().to_string(),
            description: r.error_description().cloned().unwrap_or_default(),
        },
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => {
            AuthError::Network(e.without_url().to_string())
        }
        RequestTokenError::Request(other) => AuthError::Network(other.to_string()),
        RequestTokenError::Parse(e, _body) => AuthError::Network(format!(
            "unreadable answer from the token endpoint (at {})",
            e.path()
        )),
        RequestTokenError::Other(text) => AuthError::Network(text),
    }
}

/// The first sentence of an `error_description` (the AADSTS code and its meaning), without
/// trace and correlation ids.
pub fn aadsts_summary(description: &str) -> String {
    description
        .lines()
        .next()
        .unwrap_or_default()
        .split(" Trace ID")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_summaries_drop_trace_ids() {
        assert_eq!(
            aadsts_summary(
                "AADSTS700082: The refresh token has expired.\r\nTrace ID: 1\r\nCorrelation ID: 2"
            ),
            "AADSTS700082: The refresh token has expired."
        );
    }
}
