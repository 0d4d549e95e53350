//! The device code flow: `/{tenant}/oauth2/v2.0/devicecode` issues a device code and a user code,
//! a person approves or declines the user code (on `/devicelogin` or through a test hook), and
//! `/token` polls answer `authorization_pending`, `slow_down`, `expired_token` or tokens.

use super::client::{known_scopes, tenant_and_client, wants_offline};
use super::error::{OAuthErr, no_store};
use super::state::{DeviceGrant, DeviceStatus, digest, random_token};
use super::token::issue_tokens;
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Instant;

/// `POST /devicecode`: a new device code for a known client and at least one scope.
pub(super) async fn devicecode(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.login.count("devicecode");
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
            offline: wants_offline(&requested),
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

/// One poll of `/token` with a device code: records when it came, then answers by the code's
/// status (tokens once, after approval).
pub(super) fn redeem_device(
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

/// Approves (`Some(upn)`) or declines (`None`) the device code with `user_code`.
pub(super) fn decide(
    state: &SharedState,
    user_code: &str,
    upn: Option<&str>,
) -> Result<(), String> {
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

/// Eight letters without look-alikes, as the device login page expects.
fn user_code() -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..8)
        .map(|_| LETTERS[rand::random_range(0..LETTERS.len())] as char)
        .collect()
}
