//! `/{tenant}/oauth2/v2.0/token`: redeems an authorization code (PKCE checked), a refresh token or
//! a device code, and answers in the v2.0 token response shape, minting the access token through
//! the shared [`TokenRegistry`](crate::tokens::TokenRegistry) so the Graph routes enforce scopes.

use super::client::{known_scopes, tenant_and_client};
use super::device::redeem_device;
use super::error::{OAuthErr, no_store};
use super::state::{RefreshGrant, constant_time_eq, digest, random_token};
use crate::ids::{TenantId, UserId};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

/// The `grant_type` of a device code redemption (RFC 8628).
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long an authorization code can be redeemed.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// `POST /token`: a public client (no secret) redeeming one of the three grants.
pub(super) async fn token(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let client_id = match tenant_and_client(&state, &tenant, &form) {
        Ok(client_id) => client_id,
        Err(e) => return e.into_response(),
    };
    if form.contains_key("client_secret") {
        return OAuthErr::bad(
            "invalid_request",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        )
        .into_response();
    }
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    state.login.count(&format!("token:{grant_type}"));
    let short = if grant_type == DEVICE_GRANT {
        "device_code"
    } else {
        grant_type.as_str()
    };
    let refused = state
        .login
        .lock()
        .refusal
        .as_ref()
        .and_then(|r| r.at_token(short));
    if let Some(e) = refused {
        return e.into_response();
    }
    let result = match grant_type.as_str() {
        "authorization_code" => redeem_code(&state, &client_id, &form),
        "refresh_token" => redeem_refresh(&state, &client_id, &form),
        DEVICE_GRANT => redeem_device(&state, &client_id, &form),
        other => Err(OAuthErr::bad(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    };
    match result {
        Ok(mut body) => {
            // MSAL asks for client_info with `client_info=1`; without it Entra sends none.
            if form.get("client_info").map(String::as_str) != Some("1")
                && let Some(map) = body.as_object_mut()
            {
                map.remove("client_info");
            }
            let mut response = Json(body).into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}

fn redeem_code(
    state: &SharedState,
    client_id: &str,
    form: &HashMap<String, String>,
) -> Result<Value, OAuthErr> {
    let code = form.get("code").cloned().unwrap_or_default();
    let grant = state
        .login
        .lock()
        .codes
        .remove(&digest(&code))
        .ok_or_else(|| {
            OAuthErr::bad(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed or is not valid; please retry with a new valid code.",
            )
        })?;
    if grant.issued.elapsed() > CODE_LIFETIME {
        return Err(OAuthErr::bad(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        ));
    }
    if !grant.client_id.eq_ignore_ascii_case(client_id) {
        return Err(OAuthErr::bad(
            "invalid_grant",
            70000,
            "The authorization code was issued to a different client.",
        ));
    }
    if form.get("redirect_uri").map(String::as_str) != Some(grant.redirect_uri.as_str()) {
        return Err(OAuthErr::bad(
            "invalid_grant",
            500112,
            "The reply address does not match the reply address of the authorization request.",
        ));
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if verifier.is_empty() {
        return Err(OAuthErr::bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'code_verifier'.",
        ));
    }
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if !constant_time_eq(computed.as_bytes(), grant.challenge.as_bytes()) {
        return Err(OAuthErr::bad(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        ));
    }
    let mut body = issue_tokens(
        state,
        &grant.user_id,
        &grant.upn,
        client_id,
        grant.scopes,
        grant.offline,
    );
    if let Some(nonce) = &grant.nonce {
        let id = id_token(
            state,
            client_id,
            &state.tenant_id(),
            &grant.user_id,
            &grant.upn,
            Some(nonce),
        );
        body["id_token"] = Value::String(id);
    }
    Ok(body)
}

fn redeem_refresh(
    state: &SharedState,
    client_id: &str,
    form: &HashMap<String, String>,
) -> Result<Value, OAuthErr> {
    let presented = form.get("refresh_token").cloned().unwrap_or_default();
    let (user_id, upn, scopes) = {
        let inner = state.login.lock();
        let grant = inner.refresh.get(&digest(&presented)).ok_or_else(|| {
            OAuthErr::bad(
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid: the refresh token is not recognised.",
            )
        })?;
        if grant.revoked {
            return Err(OAuthErr::bad(
                "invalid_grant",
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
            ));
        }
        if !grant.client_id.eq_ignore_ascii_case(client_id) {
            return Err(OAuthErr::bad(
                "invalid_grant",
                70000,
                "The refresh token was issued to a different client.",
            ));
        }
        (
            grant.user_id.clone(),
            grant.upn.clone(),
            grant.scopes.clone(),
        )
    };
    let requested = form
        .get("scope")
        .map(|s| known_scopes(s))
        .unwrap_or_default();
    let granted = if requested.is_empty() {
        scopes
    } else {
        let consented = state
            .login
            .lock()
            .consented
            .get(&(user_id.clone(), client_id.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default();
        let missing: Vec<&String> = requested
            .iter()
            .filter(|s| !consented.iter().any(|c| c.eq_ignore_ascii_case(s)))
            .collect();
        if !missing.is_empty() {
            return Err(consent_required(client_id, &missing));
        }
        requested
    };
    Ok(issue_tokens(
        state, &user_id, &upn, client_id, granted, true,
    ))
}

/// A refresh asking for a permission the user never consented to: Entra does not narrow the
/// answer to what was consented; it refuses with AADSTS65001 and the client must send the user
/// to `/authorize` for the new scopes (incremental consent).
///
/// Sources: v2-oauth2-auth-code-flow.md ("Refresh the access token": a refresh is valid for the
/// permissions already consented to; the scopes "must be equivalent to or a subset of" those);
/// reference-error-codes.md (`invalid_grant`: unusable authentication material; AADSTS65001
/// DelegationDoesNotExist); MSAL.NET "Handle errors and exceptions in MSAL.NET" (AADSTS65001
/// "The user or administrator hasn't consented to use the application with ID '{appId}' named
/// '{appName}'. Send an interactive authorization request for this user and resource." is an
/// MsalUiRequiredException, classification ConsentRequired) and MSAL.NET's
/// `InvalidGrantClassification.ConsentRequired` = suberror `consent_required`. Microsoft does not
/// print a whole body for this case; the `error`/`suberror` pair is the one MSAL reads.
fn consent_required(client_id: &str, missing: &[&String]) -> OAuthErr {
    OAuthErr {
        suberror: Some("consent_required"),
        ..OAuthErr::bad(
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named '{}'. Send an interactive authorization request for this user and resource. (Not consented: {}.)",
                client_name(client_id),
                missing
                    .iter()
                    .map(|s| format!("https://graph.microsoft.com/{s}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        )
    }
}

/// The display name of a known public client, for error texts.
fn client_name(client_id: &str) -> &'static str {
    if client_id.eq_ignore_ascii_case(crate::api::GRAPH_COMMAND_LINE_TOOLS) {
        "Microsoft Graph Command Line Tools"
    } else {
        "Hello Bootstrap"
    }
}

/// Mints an access token through the registry, a refresh token when `offline_access` was
/// granted, and an id token; answers in the v2.0 token response shape, with `client_info`
/// (base64url `{"uid","utid"}`, MSAL's home account id), which `token` drops unless asked for.
pub(super) fn issue_tokens(
    state: &SharedState,
    user_id: &UserId,
    upn: &str,
    client_id: &str,
    scopes: Vec<String>,
    offline: bool,
) -> Value {
    let lifetime = {
        let mut login = state.login.lock();
        // Consent only grows; a refresh issues nothing beyond it, so recording here is the same
        // as recording at the interactive grants.
        login
            .consented
            .entry((user_id.clone(), client_id.to_ascii_lowercase()))
            .or_default()
            .extend(scopes.iter().cloned());
        login.settings.access_token_lifetime
    };
    let tenant_id: TenantId = state.tenant_id();
    let access = state.tokens.mint_for(
        user_id.clone(),
        upn,
        tenant_id.clone(),
        scopes.clone(),
        chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1)),
    );
    let mut scope_field: Vec<String> = vec!["openid".into(), "profile".into()];
    scope_field.extend(
        scopes
            .iter()
            .map(|s| format!("https://graph.microsoft.com/{s}")),
    );
    if offline {
        scope_field.push("offline_access".into());
    }
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scope_field.join(" "),
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access.expose(),
        "id_token": id_token(state, client_id, &tenant_id, user_id, upn, None),
        "client_info": base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"uid": user_id, "utid": tenant_id}).to_string()),
    });
    if offline {
        let refresh = random_token("rt");
        state.login.lock().refresh.insert(
            digest(refresh.expose()),
            RefreshGrant {
                user_id: user_id.clone(),
                upn: upn.to_string(),
                client_id: client_id.to_string(),
                scopes,
                revoked: false,
            },
        );
        body["refresh_token"] = Value::String(refresh.expose().to_string());
    }
    body
}

/// A v2.0 id token with the claims Entra issues (ID token claims reference), RS256-signed with the
/// key published at `/{tenant}/discovery/v2.0/keys`. `sub` is pairwise: per user and app. `nonce`
/// only when the authorize request sent one.
fn id_token(
    state: &SharedState,
    client_id: &str,
    tenant_id: &TenantId,
    user_id: &UserId,
    upn: &str,
    nonce: Option<&str>,
) -> String {
    let name = state
        .read(|t| t.user(upn).map(|u| u.display_name.clone()))
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "aud": client_id,
        "iss": format!("{}/{}/v2.0", state.root_url(), tenant_id),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": name,
        "oid": user_id,
        "preferred_username": upn,
        "sub": base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(format!("{user_id}|{client_id}").as_bytes())),
        "tid": tenant_id,
        "ver": "2.0",
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = Value::String(nonce.to_string());
    }
    super::signing::sign(&claims)
}
