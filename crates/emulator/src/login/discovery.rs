//! OpenID Connect discovery as Entra serves it: `/{tenant}/v2.0/.well-known/openid-configuration`
//! (Microsoft's "OpenID Connect on the Microsoft identity platform": the document names the
//! authorize, token, device code and logout endpoints, the JWKS at
//! `/{tenant}/discovery/v2.0/keys`, RS256, and the issuer `…/{tenantid}/v2.0`, with the tenant
//! id filled in for a tenant's own document and the literal `{tenantid}` for `organizations`).

use super::client::tenant_matches;
use super::error::OAuthErr;
use super::signing;
use crate::state::SharedState;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The tenant segment the documents use: the tenant id for the tenant's id or domain, else the
/// generic segment as given (`organizations`).
fn segment(state: &SharedState, tenant: &str) -> Result<(String, bool), OAuthErr> {
    if !tenant_matches(state, tenant) {
        return Err(OAuthErr::bad(
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    let generic = matches!(
        tenant.to_ascii_lowercase().as_str(),
        "organizations" | "common"
    );
    Ok(if generic {
        (tenant.to_ascii_lowercase(), true)
    } else {
        (state.tenant_id().to_string(), false)
    })
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(super) async fn openid_configuration(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
) -> Response {
    let (seg, generic) = match segment(&state, &tenant) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let root = state.root_url().to_string();
    let issuer_tenant = if generic {
        "{tenantid}".to_string()
    } else {
        seg.clone()
    };
    Json(json!({
        "token_endpoint": format!("{root}/{seg}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{root}/{seg}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{root}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{root}/oidc/userinfo"),
        "authorization_endpoint": format!("{root}/{seg}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{root}/{seg}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{root}/{seg}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": "graph.microsoft.com",
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`: the JWKS the id tokens are signed with.
pub(super) async fn keys(State(state): State<SharedState>, Path(tenant): Path<String>) -> Response {
    let (seg, generic) = match segment(&state, &tenant) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let issuer_tenant = if generic {
        "{tenantid}".to_string()
    } else {
        seg
    };
    Json(signing::jwks(&format!(
        "{}/{issuer_tenant}/v2.0",
        state.root_url()
    )))
    .into_response()
}
