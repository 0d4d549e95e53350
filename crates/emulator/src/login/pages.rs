//! The HTML a person sees: the account picker behind `/authorize`, the `/devicelogin` page where
//! a device code is entered, and the error page for a request that cannot be sent back.

use super::device::decide;
use super::error::no_store;
use crate::state::SharedState;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// The identity platform shows an error page (no redirect) for a bad client or redirect URI.
pub(super) fn error_page(status: StatusCode, code: u32, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><title>Sign in to your account</title></head><body>\
         <h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS{code}: {}</p></body></html>",
        escape(text)
    );
    (status, Html(body)).into_response()
}

/// The account picker: every enabled user, and a Cancel button that declines. The form posts the
/// authorize request back with the choice.
pub(super) fn picker_page(state: &SharedState, q: &HashMap<String, String>) -> Response {
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

/// `GET /devicelogin`: a code box and the enabled users to approve as.
pub(super) async fn devicelogin_page(State(state): State<SharedState>) -> Html<String> {
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
pub(super) struct DeviceDecision {
    user_code: String,
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

/// `POST /devicelogin`: approves or declines the entered code.
pub(super) async fn devicelogin_submit(
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
