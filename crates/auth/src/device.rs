//! The device code flow: the fallback when this machine has no browser (remote sessions,
//! `--device-code`). Polls at the server's interval; `slow_down` adds 5 seconds (RFC 8628).

use super::config::AuthConfig;
use super::error::AuthError;
use super::grant::{CLIENT_INFO, TokenGrant, aadsts_summary, map_request_error};
use super::refusal::{Flow, explain};
use super::scopes;
use oauth2::{DeviceAuthorizationResponse, ExtraDeviceAuthorizationFields, Scope};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// The identity platform's extra `message` field ("To sign in, use a web browser to open…").
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct DeviceMessage {
    #[serde(default)]
    /// The instruction to show; absent from some servers.
    pub message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for DeviceMessage {}

/// What the person must do on another device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    /// Where to enter the code.
    pub verification_uri: String,
    /// The code to enter (not a secret: it is useless without the device code).
    pub user_code: String,
    /// The server's ready-made instruction.
    pub message: String,
    /// How long the code stays valid.
    pub expires_in: Duration,
}

/// What happened while waiting, for the person watching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceProgress {
    /// Show the code and where to enter it.
    Prompt(DeviceCodePrompt),
    /// Waiting `interval` before asking again (authorization_pending).
    Waiting {
        /// The pause before the next poll.
        interval: Duration,
    },
    /// The server asked us to poll less often; the interval grew to `interval`.
    SlowedDown {
        /// The new, longer pause between polls.
        interval: Duration,
    },
}

/// Runs the device code flow, reporting the prompt and progress through `progress`.
pub async fn sign_in_with_device_code(
    config: &AuthConfig,
    http: &reqwest::Client,
    graph_scopes: &[&str],
    progress: &(dyn Fn(DeviceProgress) + Send + Sync),
) -> Result<TokenGrant, AuthError> {
    let client = config.oauth_client(None)?;
    let details: DeviceAuthorizationResponse<DeviceMessage> = client
        .exchange_device_code()
        .add_scopes(
            scopes::request_scopes(graph_scopes)
                .into_iter()
                .map(Scope::new),
        )
        .request_async(http)
        .await
        .map_err(map_request_error)
        .map_err(|e| match &e {
            AuthError::OAuth { description, .. } => {
                explain(description, config, graph_scopes, Flow::DeviceCode).unwrap_or(e)
            }
            _ => e,
        })?;
    let prompt = DeviceCodePrompt {
        verification_uri: details.verification_uri().to_string(),
        user_code: details.user_code().secret().clone(),
        message: details.extra_fields().message.clone().unwrap_or_else(|| {
            format!(
                "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
                details.verification_uri().as_str(),
                details.user_code().secret()
            )
        }),
        expires_in: details.expires_in(),
    };
    progress(DeviceProgress::Prompt(prompt));

    // The first poll also waits one interval: the server counts from when it issued the code.
    progress(DeviceProgress::Waiting {
        interval: details.interval(),
    });
    tokio::time::sleep(details.interval()).await;
    let last = Mutex::new(details.interval());
    let sleep = |interval: Duration| {
        let grew = {
            let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
            let grew = interval > *last;
            *last = interval;
            grew
        };
        if grew {
            tracing::info!(
                interval_s = interval.as_secs(),
                "the server asked us to poll less often"
            );
            progress(DeviceProgress::SlowedDown { interval });
        } else {
            progress(DeviceProgress::Waiting { interval });
        }
        tokio::time::sleep(interval)
    };
    let response = client
        .exchange_device_access_token(&details)
        .add_extra_param(CLIENT_INFO.0, CLIENT_INFO.1)
        .request_async(http, sleep, None)
        .await
        .map_err(map_request_error)
        .map_err(|e| match e {
            AuthError::OAuth { error, description } => {
                if let Some(refused) = explain(&description, config, graph_scopes, Flow::DeviceCode)
                {
                    return refused;
                }
                match error.as_str() {
                    "authorization_declined" | "access_denied" => {
                        AuthError::Declined(aadsts_summary(&description))
                    }
                    "expired_token" => AuthError::DeviceCodeExpired,
                    "bad_verification_code" => AuthError::BadVerificationCode,
                    _ => AuthError::OAuth { error, description },
                }
            }
            other => other,
        })?;
    tracing::info!("signed in with a device code");
    TokenGrant::from_response(config, &response)
}
