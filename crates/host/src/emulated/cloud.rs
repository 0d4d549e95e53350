//! The emulated OOBE's calls to the emulated Microsoft cloud (`/_emulator/` endpoints), the
//! stand-in for what Windows does with Entra ID and Intune during a work-or-school setup.

use hb_lab::Secret;
use serde::Deserialize;
use serde_json::json;
use url::Url;

/// What the cloud created when the OOBE sign-in succeeded.
#[derive(Clone, Debug, Deserialize)]
pub struct OobeSignin {
    pub device_id: String,
    pub device_object_id: String,
    /// None when the MDM user scope does not cover the user (no Intune enrollment).
    pub managed_device_id: Option<String>,
    /// None when the WHfB policy is disabled (Windows offers no PIN setup).
    pub whfb_method_id: Option<String>,
    pub tenant_id: String,
    pub tenant_name: String,
    pub user_id: String,
}

/// Why the sign-in failed, in the words the OOBE screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigninRefused {
    /// `InvalidTap`, `TapExpired`, `TapAlreadyUsed`, `UserNotFound`, `UserDisabled`, or
    /// `Unreachable` when the cloud did not answer.
    pub code: String,
    pub message: String,
}

/// A client for the emulator's `/_emulator/` routes.
#[derive(Clone)]
pub struct EmulatorCloud {
    root: Url,
    http: reqwest::Client,
}

impl EmulatorCloud {
    /// A client for the emulator whose root (without a Graph version) is `root`.
    pub fn new(root: Url) -> EmulatorCloud {
        EmulatorCloud {
            root,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.root.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    /// `POST /_emulator/oobe-signin`: the lab user signs in at OOBE with a TAP.
    pub async fn oobe_signin(
        &self,
        upn: &str,
        tap: &Secret,
        device_name: &str,
    ) -> Result<OobeSignin, SigninRefused> {
        let body = json!({ "upn": upn, "tap": tap.expose(), "device_name": device_name });
        let response = self
            .http
            .post(self.url("/_emulator/oobe-signin"))
            .json(&body)
            .send()
            .await
            .map_err(|_| unreachable_cloud())?;
        let status = response.status();
        let value: serde_json::Value = response.json().await.unwrap_or_default();
        if status.is_success() {
            return serde_json::from_value(value).map_err(|e| SigninRefused {
                code: "Unreachable".into(),
                message: format!("The sign-in service sent an answer we cannot read ({e})."),
            });
        }
        Err(SigninRefused {
            code: value["error"]["code"]
                .as_str()
                .unwrap_or("Unknown")
                .to_string(),
            message: value["error"]["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("The sign-in service answered HTTP {status}.")),
        })
    }

    /// `POST /_emulator/app-signin`: the signed-in user opened an app (My Apps) in Edge.
    pub async fn app_signin(&self, upn: &str, device_id: &str, app: &str) -> Result<(), String> {
        let response = self
            .http
            .post(self.url("/_emulator/app-signin"))
            .json(&json!({ "upn": upn, "device_id": device_id, "app": app }))
            .send()
            .await
            .map_err(|e| format!("the emulated cloud did not answer: {}", e.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            Err(format!(
                "the emulated cloud refused the {app} sign-in (HTTP {status}): {}",
                body["error"]["message"].as_str().unwrap_or("no message")
            ))
        }
    }
}

fn unreachable_cloud() -> SigninRefused {
    SigninRefused {
        code: "Unreachable".into(),
        message: "We couldn't connect to the sign-in service. Check the network connection and try again.".into(),
    }
}
