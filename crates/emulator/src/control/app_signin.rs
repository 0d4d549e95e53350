//! `POST /_emulator/app-signin`: the lab user opening an app in Edge on the joined VM, which
//! leaves an interactive sign-in on that device in the log.

use super::{fail, parse};
use crate::api::MY_APPS;
use crate::error::GraphErr;
use crate::sign_in_log::{DeviceView, SignInKind, sign_in_entry};
use crate::state::SharedState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct AppSignIn {
    upn: String,
    device_id: String,
    #[serde(default)]
    app: Option<String>,
}

pub(super) async fn app_signin(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<Json<Value>, GraphErr> {
    let request: AppSignIn = parse(&body, r#"{"upn","device_id","app"}"#)?;
    let app = request.app.unwrap_or_else(|| "My Apps".into());
    let app_id = if app == "My Apps" {
        MY_APPS.to_string()
    } else {
        uuid::Uuid::new_v4().to_string()
    };
    let id = state.write(|t| {
        let user = t.user(request.upn.trim()).cloned().ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "UserNotFound",
                format!("No user '{}' in this tenant.", request.upn.trim()),
            )
        })?;
        if !user.account_enabled {
            return Err(fail(
                StatusCode::UNAUTHORIZED,
                "UserDisabled",
                "Your account has been disabled. Ask your administrator to enable it.",
            ));
        }
        let device = t
            .devices
            .iter()
            .find(|d| d.device_id.eq_ignore_ascii_case(request.device_id.trim()))
            .cloned()
            .ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    "DeviceNotFound",
                    format!(
                        "No Entra device with deviceId '{}'; sign in at OOBE first.",
                        request.device_id.trim()
                    ),
                )
            })?;
        let view = DeviceView {
            device_id: &device.device_id,
            name: &device.display_name,
            managed: device.is_managed,
        };
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
        let entry = sign_in_entry(
            t,
            &user.id,
            Utc::now(),
            SignInKind::TokenClaim {
                app: &app,
                app_id: &app_id,
            },
            Some(view),
            &mut rng,
        );
        let id = entry["id"].clone();
        t.sign_ins.push(entry);
        Ok(id)
    })?;
    Ok(Json(json!({ "sign_in_id": id })))
}
