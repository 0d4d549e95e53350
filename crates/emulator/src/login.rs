//! The emulator's login side: the Microsoft identity platform v2.0 endpoints a public desktop
//! client uses (`/{tenant}/oauth2/v2.0/authorize`, `/token`, `/devicecode`), faithful to section 9
//! of graph-contract.md (PKCE S256, loopback redirect rules, device code errors, AAD error bodies),
//! minting access tokens through the shared [`TokenRegistry`](super::tokens::TokenRegistry) so the
//! Graph routes enforce their scopes. Test hooks live under `/_emulator/login/`.
//!
//! Authorization codes, refresh tokens and device codes are kept by their SHA-256 only.

use super::scopes::normalise;
use super::state::SharedState;
use crate::ids::{Secret, TenantId, UserId};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use url::Url;

/// The client ids the emulated tenant knows: Microsoft Graph Command Line Tools and a dedicated
/// "Hello Bootstrap" registration.
pub const KNOWN_CLIENT_IDS: &[&str] = &[
    crate::api::GRAPH_COMMAND_LINE_TOOLS,
    "5a1b0c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
];

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// Timings the tests can change through `POST /_emulator/login/settings`.
#[derive(Clone, Copy, Debug)]
struct Settings {
    access_token_lifetime: Duration,
    device_interval: Duration,
    device_lifetime: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token_lifetime: Duration::from_secs(3599),
            device_interval: Duration::from_secs(5),
            device_lifetime: Duration::from_secs(900),
        }
    }
}

struct CodeGrant {
    user_id: UserId,
    upn: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scopes: Vec<String>,
    offline: bool,
    issued: Instant,
}

struct RefreshGrant {
    user_id: UserId,
    upn: String,
    client_id: String,
    scopes: Vec<String>,
    revoked: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum DeviceStatus {
    Pending,
    Approved {
        user_id: UserId,
        upn: String,
    },
    Declined,
    /// Tokens were issued; the code cannot be used again.
    Redeemed,
}

struct DeviceGrant {
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    offline: bool,
    issued: Instant,
    lifetime: Duration,
    interval: Duration,
    last_poll: Option<Instant>,
    polls: Vec<Duration>,
    force_slow_down: bool,
    status: DeviceStatus,
}

#[derive(Default)]
struct Inner {
    settings: Settings,
    codes: HashMap<[u8; 32], CodeGrant>,
    refresh: HashMap<[u8; 32], RefreshGrant>,
    devices: HashMap<[u8; 32], DeviceGrant>,
    /// Counters per event (`authorize`, `token:authorization_code`, …) for tests.
    stats: BTreeMap<String, u64>,
}

/// State the login side keeps (authorization codes, device codes, refresh tokens).
#[derive(Default)]
pub struct LoginState {
    inner: Mutex<Inner>,
}

impl LoginState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks every refresh token of a user revoked (like `revokeSignInSessions`); returns how many.
    pub fn revoke_refresh_tokens(&self, user_id: &UserId) -> usize {
        let mut inner = self.lock();
        let mut n = 0;
        for grant in inner.refresh.values_mut() {
            if &grant.user_id == user_id && !grant.revoked {
                grant.revoked = true;
                n += 1;
            }
        }
        n
    }
}

/// Routes of the login side, merged into the emulator's router.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize_get).post(authorize_post),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route(
            "/devicelogin",
            get(devicelogin_page).post(devicelogin_submit),
        )
        .route("/_emulator/login/device/approve", post(hook_device_approve))
        .route("/_emulator/login/device/decline", post(hook_device_decline))
        .route(
            "/_emulator/login/device/slow-down",
            post(hook_device_slow_down),
        )
        .route("/_emulator/login/device/{user_code}", get(hook_device_info))
        .route("/_emulator/login/revoke", post(hook_revoke))
        .route("/_emulator/login/settings", post(hook_settings))
        .route("/_emulator/login/stats", get(hook_stats))
}

// ---------------------------------------------------------------------------------------------
// Errors in the identity platform's shapes.

/// A token-endpoint error: `{error, error_description, error_codes, timestamp, trace_id,
/// correlation_id}` with the AADSTS code leading the description.
struct OAuthErr {
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: String,
}

impl OAuthErr {
    fn bad(error: &'static str, code: u32, text: impl Into<String>) -> OAuthErr {
        OAuthErr {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            text: text.into(),
        }
    }
}

impl IntoResponse for OAuthErr {
    fn into_response(self) -> Response {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.text
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        });
        let mut response = (self.status, Json(body)).into_response();
        no_store(&mut response);
        response
    }
}

/// The identity platform shows an error page (no redirect) for a bad client or redirect URI.
fn error_page(status: StatusCode, code: u32, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><title>Sign in to your account</title></head><body>\
         <h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS{code}: {}</p></body></html>",
        escape(text)
    );
    (status, Html(body)).into_response()
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

// ---------------------------------------------------------------------------------------------
// /authorize

/// Checks the `{tenant}` path segment: the tenant id, a verified domain, or `organizations`.
fn tenant_matches(state: &SharedState, tenant: &str) -> bool {
    let (id, domain) = state.read(|t| (t.tenant.id.0.clone(), t.tenant.domain.clone()));
    tenant.eq_ignore_ascii_case(&id)
        || tenant.eq_ignore_ascii_case(&domain)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common")
}

/// Whether `client_id` is one of the public clients the tenant knows (case-insensitive).
fn client_known(client_id: &str) -> bool {
    KNOWN_CLIENT_IDS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(client_id))
}

/// The first checks of `/token` and `/devicecode`: the tenant, then a known client, whose id
/// is returned.
fn tenant_and_client(
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
        });
    }
    Ok(client_id)
}

/// `http://localhost[:port][/path]` or `http://127.0.0.1[:port][/path]`; the port is ignored
/// when matching the registered `http://localhost` (RFC 8252), IPv6 is not supported.
fn redirect_allowed(uri: &str) -> bool {
    match Url::parse(uri) {
        Ok(url) => {
            url.scheme() == "http"
                && matches!(url.host_str(), Some("localhost" | "127.0.0.1"))
                && url.query().is_none()
                && url.fragment().is_none()
        }
        Err(_) => false,
    }
}

struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    offline: bool,
    challenge: String,
    login_hint: Option<String>,
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
        offline: requested.split_whitespace().any(|s| s == "offline_access"),
        challenge,
        login_hint: q.get("login_hint").filter(|s| !s.is_empty()).cloned(),
    })
}

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

/// The short names of the Graph scopes the emulator knows among those requested.
fn known_scopes(requested: &str) -> Vec<String> {
    let mut out: Vec<String> = requested
        .split_whitespace()
        .filter_map(normalise)
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
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

async fn authorize_get(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    count(&state, "authorize");
    let req = match parse_authorize(&state, &tenant, &q) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    // Demo auto-approval: a login_hint naming a seeded user signs that user in.
    if let Some(hint) = &req.login_hint
        && state.read(|t| t.user(hint).is_some())
    {
        return approve(&state, &req, hint);
    }
    picker_page(&state, &q)
}

/// The account picker: every enabled user, and a Cancel button that declines.
fn picker_page(state: &SharedState, q: &HashMap<String, String>) -> Response {
    let users: Vec<(String, String)> = state.read(|t| {
        t.users
            .iter()
            .filter(|u| u.account_enabled)
            .map(|u| (u.user_principal_name.clone(), u.display_name.clone()))
            .collect()
    });
    let hidden: String = q
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let options: String = users
        .iter()
        .map(|(upn, name)| {
            format!(
                "<option value=\"{}\">{} ({})</option>",
                escape(upn),
                escape(name),
                escape(upn)
            )
        })
        .collect();
    let mut response = Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Pick an account</title></head>\
         <body style=\"font-family:sans-serif\"><h1>Pick an account</h1><p>Emulated Microsoft sign-in</p>\
         <form method=\"post\">{hidden}<select name=\"upn\">{options}</select>\
         <button type=\"submit\">Sign in</button>\
         <button type=\"submit\" name=\"action\" value=\"decline\">Cancel</button></form></body></html>"
    ))
    .into_response();
    no_store(&mut response);
    response
}

async fn authorize_post(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    count(&state, "authorize");
    let req = match parse_authorize(&state, &tenant, &form) {
        Ok(r) => r,
        Err(response) => return *response,
    };
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

// ---------------------------------------------------------------------------------------------
// /token

async fn token(
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
    count(&state, &format!("token:{grant_type}"));
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
        Ok(body) => {
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
    Ok(issue_tokens(
        state,
        &grant.user_id,
        &grant.upn,
        client_id,
        grant.scopes,
        grant.offline,
    ))
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
        requested
            .into_iter()
            .filter(|s| scopes.iter().any(|g| g.eq_ignore_ascii_case(s)))
            .collect()
    };
    Ok(issue_tokens(
        state, &user_id, &upn, client_id, granted, true,
    ))
}

fn redeem_device(
    state: &SharedState,
    client_id: &str,
    form: &HashMap<String, String>,
) -> Result<Value, OAuthErr> {
    let key = digest(
        form.get("device_code")
            .map(String::as_str)
            .unwrap_or_default(),
    );
    let approved = {
        let mut inner = state.login.lock();
        let grant = inner.devices.get_mut(&key).ok_or_else(|| {
            OAuthErr::bad(
                "bad_verification_code",
                70019,
                "The device code is not recognised. Start the device code flow again.",
            )
        })?;
        let now = Instant::now();
        grant.polls.push(now - grant.issued);
        let since = now - grant.last_poll.unwrap_or(grant.issued);
        grant.last_poll = Some(now);
        if now - grant.issued > grant.lifetime {
            return Err(OAuthErr::bad(
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            ));
        }
        if !grant.client_id.eq_ignore_ascii_case(client_id) {
            return Err(OAuthErr::bad(
                "bad_verification_code",
                70019,
                "The device code was issued to a different client.",
            ));
        }
        if grant.force_slow_down || since < grant.interval {
            grant.force_slow_down = false;
            return Err(OAuthErr::bad(
                "slow_down",
                70016,
                "Polling too fast: wait the interval plus 5 seconds before polling again.",
            ));
        }
        match &grant.status {
            DeviceStatus::Pending => {
                return Err(OAuthErr::bad(
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                ));
            }
            DeviceStatus::Declined => {
                return Err(OAuthErr::bad(
                    "authorization_declined",
                    70000,
                    "The end user denied the authorization request.",
                ));
            }
            DeviceStatus::Redeemed => {
                return Err(OAuthErr::bad(
                    "invalid_grant",
                    54005,
                    "The device code was already redeemed.",
                ));
            }
            DeviceStatus::Approved { user_id, upn } => {
                let approved = (
                    user_id.clone(),
                    upn.clone(),
                    grant.scopes.clone(),
                    grant.offline,
                );
                grant.status = DeviceStatus::Redeemed;
                approved
            }
        }
    };
    let (user_id, upn, scopes, offline) = approved;
    Ok(issue_tokens(
        state, &user_id, &upn, client_id, scopes, offline,
    ))
}

/// Mints an access token through the registry, a refresh token when `offline_access` was
/// granted, and an id token; answers in the v2.0 token response shape.
fn issue_tokens(
    state: &SharedState,
    user_id: &UserId,
    upn: &str,
    client_id: &str,
    scopes: Vec<String>,
    offline: bool,
) -> Value {
    let lifetime = state.login.lock().settings.access_token_lifetime;
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
    let display_name = state
        .read(|t| t.user(upn).map(|u| u.display_name.clone()))
        .unwrap_or_default();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scope_field.join(" "),
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access.expose(),
        "id_token": id_token(state, client_id, &tenant_id, user_id, upn, &display_name),
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

/// An unsigned id token with the claims a client reads (the emulator is not a security boundary).
fn id_token(
    state: &SharedState,
    client_id: &str,
    tenant_id: &TenantId,
    user_id: &UserId,
    upn: &str,
    name: &str,
) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "aud": client_id,
        "iss": format!("{}/{}/v2.0", state.root_url(), tenant_id),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": name,
        "oid": user_id,
        "preferred_username": upn,
        "tid": tenant_id,
        "ver": "2.0",
    });
    format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims)
    )
}

// ---------------------------------------------------------------------------------------------
// /devicecode and the verification page

async fn devicecode(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    count(&state, "devicecode");
    let client_id = match tenant_and_client(&state, &tenant, &form) {
        Ok(client_id) => client_id,
        Err(e) => return e.into_response(),
    };
    let requested = form.get("scope").cloned().unwrap_or_default();
    if requested.trim().is_empty() {
        return OAuthErr::bad(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
        .into_response();
    }
    let device_code = random_token("dc");
    let user_code = user_code();
    let settings = state.login.lock().settings;
    state.login.lock().devices.insert(
        digest(device_code.expose()),
        DeviceGrant {
            user_code: user_code.clone(),
            client_id,
            scopes: known_scopes(&requested),
            offline: requested.split_whitespace().any(|s| s == "offline_access"),
            issued: Instant::now(),
            lifetime: settings.device_lifetime,
            interval: settings.device_interval,
            last_poll: None,
            polls: Vec::new(),
            force_slow_down: false,
            status: DeviceStatus::Pending,
        },
    );
    let verification_uri = format!("{}/devicelogin", state.root_url());
    let mut response = Json(json!({
        "device_code": device_code.expose(),
        "user_code": user_code,
        "verification_uri": verification_uri,
        "expires_in": settings.device_lifetime.as_secs(),
        "interval": settings.device_interval.as_secs(),
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."
        ),
    }))
    .into_response();
    no_store(&mut response);
    response
}

async fn devicelogin_page(State(state): State<SharedState>) -> Html<String> {
    let options: String = state.read(|t| {
        t.users
            .iter()
            .filter(|u| u.account_enabled)
            .map(|u| {
                format!(
                    "<option value=\"{0}\">{0}</option>",
                    escape(&u.user_principal_name)
                )
            })
            .collect()
    });
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Enter code</title></head>\
         <body style=\"font-family:sans-serif\"><h1>Enter code</h1><form method=\"post\">\
         <input name=\"user_code\" placeholder=\"Code\"><select name=\"upn\">{options}</select>\
         <button type=\"submit\">Next</button>\
         <button type=\"submit\" name=\"action\" value=\"decline\">Cancel</button></form></body></html>"
    ))
}

#[derive(Deserialize)]
struct DeviceDecision {
    user_code: String,
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

async fn devicelogin_submit(
    State(state): State<SharedState>,
    Form(form): Form<DeviceDecision>,
) -> Response {
    let result = if form.action.as_deref() == Some("decline") {
        decide(&state, &form.user_code, None)
    } else {
        decide(
            &state,
            &form.user_code,
            Some(form.upn.as_deref().unwrap_or_default()),
        )
    };
    match result {
        Ok(()) => Html(
            "<!doctype html><html><body><p>You have signed in to the application on your device. You may now close this window.</p></body></html>",
        )
        .into_response(),
        Err(text) => (StatusCode::BAD_REQUEST, Html(format!("<p>{}</p>", escape(&text)))).into_response(),
    }
}

/// Approves (`Some(upn)`) or declines (`None`) the device code with `user_code`.
fn decide(state: &SharedState, user_code: &str, upn: Option<&str>) -> Result<(), String> {
    let status = match upn {
        None => DeviceStatus::Declined,
        Some(upn) => {
            let user = state.read(|t| {
                t.user(upn)
                    .filter(|u| u.account_enabled)
                    .map(|u| (u.id.clone(), u.user_principal_name.clone()))
            });
            let (user_id, upn) =
                user.ok_or_else(|| format!("no enabled user '{upn}' in this tenant"))?;
            DeviceStatus::Approved { user_id, upn }
        }
    };
    let mut inner = state.login.lock();
    let grant = inner
        .devices
        .values_mut()
        .find(|g| {
            g.user_code.eq_ignore_ascii_case(user_code.trim()) && g.status == DeviceStatus::Pending
        })
        .ok_or_else(|| format!("the code '{user_code}' is not valid or has expired"))?;
    grant.status = status;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Test hooks under /_emulator/login/

#[derive(Deserialize)]
struct HookDevice {
    user_code: String,
    #[serde(default)]
    upn: Option<String>,
}

fn hook_result(result: Result<Value, String>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": "BadRequest", "message": message}})),
        )
            .into_response(),
    }
}

async fn hook_device_approve(
    State(state): State<SharedState>,
    Json(body): Json<HookDevice>,
) -> Response {
    let upn = body
        .upn
        .unwrap_or_else(|| state.read(|t| t.admin_upn.clone()));
    hook_result(decide(&state, &body.user_code, Some(&upn)).map(|()| json!({"approved": upn})))
}

async fn hook_device_decline(
    State(state): State<SharedState>,
    Json(body): Json<HookDevice>,
) -> Response {
    hook_result(decide(&state, &body.user_code, None).map(|()| json!({"declined": true})))
}

async fn hook_device_slow_down(
    State(state): State<SharedState>,
    Json(body): Json<HookDevice>,
) -> Response {
    let mut inner = state.login.lock();
    let hit = inner
        .devices
        .values_mut()
        .find(|g| g.user_code.eq_ignore_ascii_case(&body.user_code));
    hook_result(match hit {
        Some(g) => {
            g.force_slow_down = true;
            Ok(json!({"slow_down": true}))
        }
        None => Err(format!(
            "no device code with user code '{}'",
            body.user_code
        )),
    })
}

/// When the client polled, in milliseconds since the code was issued.
async fn hook_device_info(
    State(state): State<SharedState>,
    Path(user_code): Path<String>,
) -> Response {
    let inner = state.login.lock();
    let hit = inner
        .devices
        .values()
        .find(|g| g.user_code.eq_ignore_ascii_case(&user_code));
    hook_result(match hit {
        Some(g) => Ok(json!({
            "polls_ms": g.polls.iter().map(|d| d.as_millis() as u64).collect::<Vec<_>>(),
            "interval_s": g.interval.as_secs(),
            "status": match g.status {
                DeviceStatus::Pending => "pending",
                DeviceStatus::Approved { .. } => "approved",
                DeviceStatus::Declined => "declined",
                DeviceStatus::Redeemed => "redeemed",
            },
        })),
        None => Err(format!("no device code with user code '{user_code}'")),
    })
}

#[derive(Deserialize)]
struct HookRevoke {
    upn: String,
    /// Also invalidate the user's access tokens now (the next Graph call answers 401).
    #[serde(default)]
    access_tokens: bool,
    /// Invalidate only the access tokens and keep refresh tokens working.
    #[serde(default)]
    keep_refresh_tokens: bool,
}

async fn hook_revoke(State(state): State<SharedState>, Json(body): Json<HookRevoke>) -> Response {
    let Some(user_id) = state.read(|t| t.user(&body.upn).map(|u| u.id.clone())) else {
        return hook_result(Err(format!("no user '{}'", body.upn)));
    };
    let refresh = if body.keep_refresh_tokens {
        0
    } else {
        state.login.revoke_refresh_tokens(&user_id)
    };
    let access = if body.access_tokens || body.keep_refresh_tokens {
        state.tokens.revoke_user(&user_id)
    } else {
        0
    };
    hook_result(Ok(
        json!({"refresh_tokens": refresh, "access_tokens": access}),
    ))
}

#[derive(Deserialize)]
struct HookSettings {
    access_token_lifetime_s: Option<u64>,
    device_interval_s: Option<u64>,
    device_lifetime_s: Option<u64>,
}

async fn hook_settings(
    State(state): State<SharedState>,
    Json(body): Json<HookSettings>,
) -> Response {
    let mut inner = state.login.lock();
    if let Some(s) = body.access_token_lifetime_s {
        inner.settings.access_token_lifetime = Duration::from_secs(s);
    }
    if let Some(s) = body.device_interval_s {
        inner.settings.device_interval = Duration::from_secs(s);
    }
    if let Some(s) = body.device_lifetime_s {
        inner.settings.device_lifetime = Duration::from_secs(s);
    }
    let s = inner.settings;
    hook_result(Ok(json!({
        "access_token_lifetime_s": s.access_token_lifetime.as_secs(),
        "device_interval_s": s.device_interval.as_secs(),
        "device_lifetime_s": s.device_lifetime.as_secs(),
    })))
}

async fn hook_stats(State(state): State<SharedState>) -> Json<Value> {
    Json(json!(state.login.lock().stats))
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn count(state: &SharedState, event: &str) {
    *state
        .login
        .lock()
        .stats
        .entry(event.to_string())
        .or_default() += 1;
}

fn random_token(prefix: &str) -> Secret {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    Secret::new(format!(
        "{prefix}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    ))
}

/// Eight letters without look-alikes, as the device login page expects.
fn user_code() -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..8)
        .map(|_| LETTERS[rand::random_range(0..LETTERS.len())] as char)
        .collect()
}

fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_allowed() {
        assert!(redirect_allowed("http://localhost:53124/"));
        assert!(redirect_allowed("http://localhost"));
        assert!(redirect_allowed("http://127.0.0.1:8400/callback"));
        assert!(!redirect_allowed("https://localhost:53124/"));
        assert!(!redirect_allowed("http://[::1]:53124/"));
        assert!(!redirect_allowed("http://evil.example/"));
        assert!(!redirect_allowed("http://localhost:1/?x=1"));
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
