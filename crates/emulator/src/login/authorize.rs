//! `/{tenant}/oauth2/v2.0/authorize`: checks the request (tenant, client, loopback redirect, PKCE
//! S256, scopes), shows the account picker or signs in the `login_hint` user, and redirects back
//! with a code or an `error`.

use super::client::{client_known, known_scopes, redirect_allowed, tenant_matches, wants_offline};
use super::error::no_store;
use super::pages::{error_page, picker_page};
use super::state::{CodeGrant, digest, random_token};
use crate::state::SharedState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::time::Instant;
use url::Url;

/// An authorize request that passed every check.
struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    offline: bool,
    challenge: String,
    login_hint: Option<String>,
    /// Echoed in the id token's `nonce` claim (id-token-claims-reference.md: "The nonce matches
    /// the parameter included in the original authorize request").
    nonce: Option<String>,
}

/// Validates an authorize request. Errors that cannot be sent back to the client render a page;
/// the others redirect to the client with `error`.
fn parse_authorize(
    state: &SharedState,
    tenant: &str,
    q: &HashMap<String, String>,
) -> Result<AuthorizeRequest, Box<Response>> {
    if !tenant_matches(state, tenant) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            90002,
            &format!("Tenant '{tenant}' not found. Check the tenant id or domain."),
        )));
    }
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    if !client_known(&client_id) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant."
            ),
        )));
    }
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect_allowed(&redirect_uri) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        )));
    }
    let st = q.get("state").cloned();
    let back = |error: &str, code: u32, text: &str| {
        redirect_error(&redirect_uri, st.as_deref(), error, code, text)
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(Box::new(back(
            "unsupported_response_type",
            70005,
            "The provided value for the input parameter 'response_type' is not allowed for this request. Expected value is 'code'.",
        )));
    }
    let challenge = q.get("code_challenge").cloned().unwrap_or_default();
    if challenge.is_empty() {
        return Err(Box::new(back(
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        )));
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(Box::new(back(
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter or code_challenge_method; only S256 is supported.",
        )));
    }
    let requested = q.get("scope").cloned().unwrap_or_default();
    if requested.trim().is_empty() {
        return Err(Box::new(back(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )));
    }
    Ok(AuthorizeRequest {
        client_id,
        redirect_uri,
        state: st,
        scopes: known_scopes(&requested),
        offline: wants_offline(&requested),
        challenge,
        login_hint: q.get("login_hint").filter(|s| !s.is_empty()).cloned(),
        nonce: q.get("nonce").filter(|s| !s.is_empty()).cloned(),
    })
}

/// Sends the browser back to the client with `error`, `error_description` and `state`.
fn redirect_error(
    redirect_uri: &str,
    st: Option<&str>,
    error: &str,
    code: u32,
    text: &str,
) -> Response {
    let mut url = match Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page(StatusCode::BAD_REQUEST, 50011, "Invalid redirect URI."),
    };
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("error", error);
        pairs.append_pair("error_description", &format!("AADSTS{code}: {text}"));
        if let Some(s) = st {
            pairs.append_pair("state", s);
        }
    }
    found(url.as_str())
}

fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    no_store(&mut response);
    response
}

/// Issues a code for `user` and redirects back to the client.
fn approve(state: &SharedState, req: &AuthorizeRequest, upn: &str) -> Response {
    let user = state.read(|t| {
        t.user(upn).map(|u| {
            (
                u.id.clone(),
                u.user_principal_name.clone(),
                u.account_enabled,
            )
        })
    });
    let Some((user_id, upn, enabled)) = user else {
        return redirect_error(
            &req.redirect_uri,
            req.state.as_deref(),
            "invalid_request",
            50034,
            &format!("The user account {upn} does not exist in the directory."),
        );
    };
    if !enabled {
        return redirect_error(
            &req.redirect_uri,
            req.state.as_deref(),
            "access_denied",
            50057,
            "The user account is disabled.",
        );
    }
    let code = random_token("code");
    state.login.lock().codes.insert(
        digest(code.expose()),
        CodeGrant {
            user_id,
            upn,
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            challenge: req.challenge.clone(),
            scopes: req.scopes.clone(),
            offline: req.offline,
            issued: Instant::now(),
            nonce: req.nonce.clone(),
        },
    );
    let mut url = match Url::parse(&req.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page(StatusCode::BAD_REQUEST, 50011, "Invalid redirect URI."),
    };
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("code", code.expose());
        if let Some(s) = &req.state {
            pairs.append_pair("state", s);
        }
    }
    found(url.as_str())
}

/// The error page of a refusal in force: Entra shows it in the browser and never redirects back.
fn refusal_page(state: &SharedState) -> Option<Response> {
    let refusal = state.login.lock().refusal.clone()?;
    refusal.on_page().then(|| {
        error_page(
            StatusCode::BAD_REQUEST,
            refusal.kind.code,
            refusal.kind.text,
        )
    })
}

/// `GET /authorize`: the picker, or straight back with a code for a seeded `login_hint` user.
pub(super) async fn authorize_get(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    state.login.count("authorize");
    let req = match parse_authorize(&state, &tenant, &q) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    if let Some(page) = refusal_page(&state) {
        return page;
    }
    // Demo auto-approval: a login_hint naming a seeded user signs that user in.
    if let Some(hint) = &req.login_hint
        && state.read(|t| t.user(hint).is_some())
    {
        return approve(&state, &req, hint);
    }
    picker_page(&state, &q)
}

/// `POST /authorize`: the picker's answer (a user, or Cancel).
pub(super) async fn authorize_post(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.login.count("authorize");
    let req = match parse_authorize(&state, &tenant, &form) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    if let Some(page) = refusal_page(&state) {
        return page;
    }
    if form.get("action").map(String::as_str) == Some("decline") {
        return redirect_error(
            &req.redirect_uri,
            req.state.as_deref(),
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        );
    }
    match form.get("upn").filter(|u| !u.is_empty()) {
        Some(upn) => approve(&state, &req, upn),
        None => picker_page(&state, &form),
    }
}
