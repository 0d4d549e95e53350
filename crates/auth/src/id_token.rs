//! What the token endpoint says about who signed in: the v2.0 id token's claims and `client_info`,
//! checked against the tenant and app we asked for before anything relies on them.
//!
//! Microsoft's "ID token claims reference": a v2.0 id token's `iss` is
//! `https://login.microsoftonline.com/{tid}/v2.0`, `aud` is the app's client id, `tid` the tenant
//! the user signed in to, `oid` the user's object id in it, `preferred_username` the sign-in name.
//! `client_info` (sent when the request has `client_info=1`, as MSAL's do) is base64url JSON
//! `{"uid", "utid"}`: the account's object id and tenant at home, MSAL's home account id.
//!
//! The token arrives straight from the token endpoint over TLS, so, as OpenID Connect Core
//! 3.1.3.7 allows, the TLS server check stands in for the signature check; the claims are checked.

use super::config::AuthConfig;
use super::error::AuthError;
use base64::Engine;
use oauth2::ExtraTokenFields;
use serde::{Deserialize, Serialize};

/// The fields Entra adds to a token response beyond RFC 6749's.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct EntraTokenFields {
    /// The OpenID Connect id token (with the `openid` scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<super::wire::WireSecret>,
    /// base64url `{"uid","utid"}` (with `client_info=1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<String>,
    /// How long the access token stays usable during an outage of the token service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_expires_in: Option<u64>,
}

impl ExtraTokenFields for EntraTokenFields {}

/// Who signed in, from a checked id token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedInAccount {
    /// `preferred_username`: the UPN for work and school accounts.
    pub username: String,
    /// `oid`: the user's object id in the tenant signed in to.
    pub object_id: String,
    /// `tid`: the tenant signed in to (for a guest, the resource tenant, not the home one).
    pub tenant_id: String,
    /// `name`, for display.
    pub name: Option<String>,
    /// `uid.utid` from `client_info`: the account at home, as MSAL keys its cache.
    pub home_account_id: Option<String>,
    /// `iss`, checked again against the discovered issuer by [`check_discovered_issuer`].
    pub issuer: String,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    aud: String,
    #[serde(default)]
    tid: String,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    preferred_username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    ver: Option<String>,
}

#[derive(Deserialize)]
struct ClientInfo {
    uid: String,
    utid: String,
}

/// Reads and checks the account in a token response; `None` when it carries no id token (a
/// refresh without `openid`).
pub fn account(
    config: &AuthConfig,
    fields: &EntraTokenFields,
) -> Result<Option<SignedInAccount>, AuthError> {
    let Some(id_token) = &fields.id_token else {
        return Ok(None);
    };
    let claims: Claims = decode_segment(id_token.expose().split('.').nth(1).unwrap_or_default())
        .ok_or_else(|| bad("the id token is not a readable JWT"))?;
    check(config, &claims)?;
    let home_account_id = match &fields.client_info {
        Some(info) => {
            let info: ClientInfo =
                decode_segment(info).ok_or_else(|| bad("client_info is not readable"))?;
            Some(format!("{}.{}", info.uid, info.utid))
        }
        None => None,
    };
    Ok(Some(SignedInAccount {
        username: claims.preferred_username,
        object_id: claims.oid,
        tenant_id: claims.tid,
        name: claims.name.filter(|n| !n.is_empty()),
        home_account_id,
        issuer: claims.iss,
    }))
}

fn check(config: &AuthConfig, claims: &Claims) -> Result<(), AuthError> {
    if claims.ver.as_deref().is_some_and(|v| v != "2.0") {
        return Err(bad("it is not a v2.0 token"));
    }
    if !claims.aud.eq_ignore_ascii_case(&config.client_id) {
        return Err(bad(&format!(
            "it was issued to app '{}', not to --client-id {}",
            claims.aud, config.client_id
        )));
    }
    if uuid::Uuid::parse_str(&claims.tid).is_err() {
        return Err(bad("it names no tenant id (tid)"));
    }
    if uuid::Uuid::parse_str(&config.tenant).is_ok()
        && !claims.tid.eq_ignore_ascii_case(&config.tenant)
    {
        return Err(bad(&format!(
            "it comes from tenant {}, not from --tenant {}",
            claims.tid, config.tenant
        )));
    }
    // `https://{authority host}/{tid}/v2.0`. The host is not compared with --login-url here (the
    // issuer's host is the cloud's name for itself, which a proxy or an alias would not be); the
    // session compares the whole issuer with the tenant's discovery document.
    let issuer_ok = url::Url::parse(&claims.iss).is_ok_and(|iss| {
        let loopback = matches!(iss.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        (iss.scheme() == "https" || (iss.scheme() == "http" && loopback))
            && iss
                .path()
                .eq_ignore_ascii_case(&format!("/{}/v2.0", claims.tid))
            && iss.query().is_none()
    });
    if !issuer_ok {
        return Err(bad(&format!(
            "its issuer '{}' is not the v2.0 issuer of tenant {}",
            claims.iss, claims.tid
        )));
    }
    if claims.oid.is_empty() || claims.preferred_username.is_empty() {
        return Err(bad("it names no account (oid, preferred_username)"));
    }
    Ok(())
}

/// The `issuer` of the tenant's OpenID Connect discovery document
/// (`{login root}{tenant}/v2.0/.well-known/openid-configuration`); for `organizations` it holds the
/// placeholder `{tenantid}`.
pub async fn discover_issuer(
    config: &AuthConfig,
    http: &reqwest::Client,
) -> Result<String, String> {
    let mut url = config.login_root.clone();
    url.set_path(&format!(
        "{}{}/v2.0/.well-known/openid-configuration",
        config.login_root.path(),
        config.tenant
    ));
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
    }
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("discovery answered {}", response.status()));
    }
    let doc: Discovery = response
        .json()
        .await
        .map_err(|e| e.without_url().to_string())?;
    Ok(doc.issuer)
}

/// Whether `account`'s issuer is the discovered one (its `{tenantid}` filled with the account's
/// tenant), as MSAL checks it.
pub fn check_discovered_issuer(
    account: &SignedInAccount,
    discovered: &str,
) -> Result<(), AuthError> {
    let expected = discovered.replace("{tenantid}", &account.tenant_id);
    if account.issuer.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(bad(&format!(
            "its issuer is '{}', the tenant's discovery document says {expected}",
            account.issuer
        )))
    }
}

fn decode_segment<T: for<'de> Deserialize<'de>>(segment: &str) -> Option<T> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn bad(detail: &str) -> AuthError {
    AuthError::IdToken(detail.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TID: &str = "6f1c2d3e-0000-4000-8000-000000000001";

    fn b64(v: &serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn token(claims: serde_json::Value) -> EntraTokenFields {
        EntraTokenFields {
            id_token: Some(
                format!("{}.{}.sig", b64(&json!({"alg": "RS256"})), b64(&claims)).into(),
            ),
            client_info: Some(b64(&json!({"uid": "o1", "utid": TID}))),
            ext_expires_in: None,
        }
    }

    fn claims() -> serde_json::Value {
        json!({
            "iss": format!("https://login.microsoftonline.com/{TID}/v2.0"),
            "aud": crate::DEFAULT_CLIENT_ID,
            "tid": TID, "oid": "o1", "preferred_username": "admin@contoso.com",
            "name": "Admin", "ver": "2.0",
        })
    }

    fn config(tenant: &str) -> AuthConfig {
        AuthConfig::new(crate::PUBLIC_LOGIN_ROOT, tenant, crate::DEFAULT_CLIENT_ID).unwrap()
    }

    #[test]
    fn the_token_answers_debug_form_never_shows_the_id_token() {
        let fields = token(claims());
        let jwt = fields.id_token.as_ref().unwrap().expose().to_string();
        let shown = format!("{fields:?}");
        let signed_part = jwt.split('.').nth(1).unwrap();
        assert!(
            !shown.contains(signed_part) && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    #[test]
    fn the_account_comes_from_the_checked_claims() {
        let got = account(&config("organizations"), &token(claims()))
            .unwrap()
            .unwrap();
        assert_eq!(got.username, "admin@contoso.com");
        assert_eq!(got.tenant_id, TID);
        assert_eq!(got.home_account_id.as_deref(), Some(&*format!("o1.{TID}")));
        assert!(account(&config(TID), &token(claims())).is_ok());
        assert!(
            check_discovered_issuer(&got, "https://login.microsoftonline.com/{tenantid}/v2.0")
                .is_ok()
        );
        let e = check_discovered_issuer(
            &got,
            "https://login.partner.microsoftonline.cn/{tenantid}/v2.0",
        )
        .unwrap_err();
        assert!(e.to_string().contains("discovery"), "{e}");
    }

    #[test]
    fn another_app_tenant_or_issuer_is_refused() {
        let mut c = claims();
        c["aud"] = json!("00000003-0000-0000-c000-000000000000");
        let e = account(&config("organizations"), &token(c)).unwrap_err();
        assert!(e.to_string().contains("--client-id"), "{e}");
        let e = account(
            &config("11111111-2222-4333-8444-555555555555"),
            &token(claims()),
        )
        .unwrap_err();
        assert!(e.to_string().contains("--tenant"), "{e}");
        let mut c = claims();
        c["iss"] = json!(format!("https://sts.windows.net/{TID}/"));
        let e = account(&config("organizations"), &token(c)).unwrap_err();
        assert!(e.to_string().contains("issuer"), "{e}");
        let mut c = claims();
        c["iss"] =
            json!("https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0");
        let e = account(&config("organizations"), &token(c)).unwrap_err();
        assert!(e.to_string().contains("issuer"), "{e}");
    }
}
