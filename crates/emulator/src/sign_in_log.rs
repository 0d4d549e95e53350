//! Sign-in log entries the emulated tenant writes when the lab user signs in: the TAP at OOBE,
//! then sign-ins whose MFA is satisfied by the Primary Refresh Token's claim.

use super::seed::guid;
use super::state::{TenantState, graph_time};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The joined device as a sign-in entry shows it.
#[derive(Clone, Copy)]
pub(crate) struct DeviceView<'a> {
    pub device_id: &'a str,
    pub name: &'a str,
    pub managed: bool,
}

/// Which sign-in an entry records.
pub(crate) enum SignInKind<'a> {
    /// The TAP typed at OOBE (before the device exists).
    TapAtOobe,
    /// A later sign-in whose MFA comes from the PRT's claim.
    TokenClaim { app: &'a str, app_id: &'a str },
}

/// The text the lab's validation looks for.
pub const CLAIM_TEXT: &str = "MFA requirement satisfied by claim in the token";

/// A sign-in log entry in the beta shape (v1.0 strips the beta-only fields when serving).
pub(crate) fn sign_in_entry(
    t: &TenantState,
    user_id: &crate::ids::UserId,
    when: DateTime<Utc>,
    kind: SignInKind<'_>,
    device: Option<DeviceView<'_>>,
    rng: &mut rand::rngs::StdRng,
) -> Value {
    let (upn, name) = t
        .user(user_id.as_str())
        .map(|u| (u.user_principal_name.clone(), u.display_name.clone()))
        .unwrap_or_default();
    let at = graph_time(when);
    let ca = t
        .conditional_access_policies
        .iter()
        .filter(|p| p["state"] == "enabled")
        .map(|p| json!({"id": p["id"], "displayName": p["displayName"], "result": "success", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": []}))
        .collect::<Vec<_>>();
    let (app, app_id, details, token_type, additional, methods) = match kind {
        SignInKind::TapAtOobe => (
            "Microsoft Authentication Broker",
            "29d9ed98-a469-4536-ade2-f981bc1d605e",
            json!([{
                "authenticationStepDateTime": at, "authenticationMethod": "Temporary Access Pass",
                "authenticationMethodDetail": null, "succeeded": true,
                "authenticationStepResultDetail": "MFA successfully completed",
                "authenticationStepRequirement": "Primary authentication",
            }]),
            "none",
            "MFA completed in Azure AD",
            json!(["Temporary Access Pass"]),
        ),
        SignInKind::TokenClaim { app, app_id } => (
            app,
            app_id,
            json!([{
                "authenticationStepDateTime": at, "authenticationMethod": "Previously satisfied",
                "authenticationMethodDetail": null, "succeeded": true,
                "authenticationStepResultDetail": CLAIM_TEXT,
                "authenticationStepRequirement": "Multifactor authentication",
            }]),
            "primaryRefreshToken",
            CLAIM_TEXT,
            json!([]),
        ),
    };
    let device_detail = match device {
        Some(d) => json!({
            "deviceId": d.device_id, "displayName": d.name, "operatingSystem": "Windows10",
            "browser": if app == "Windows Sign In" { "" } else { "Edge 131.0.0" },
            "isCompliant": d.managed, "isManaged": d.managed, "trustType": "Azure AD joined",
        }),
        None => json!({
            "deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "",
            "isCompliant": false, "isManaged": false, "trustType": "",
        }),
    };
    json!({
        "id": guid(rng),
        "createdDateTime": at,
        "userDisplayName": name,
        "userPrincipalName": upn,
        "userId": user_id,
        "appId": app_id,
        "appDisplayName": app,
        "ipAddress": "203.0.113.24",
        "clientAppUsed": "Mobile Apps and Desktop clients",
        "correlationId": guid(rng),
        "conditionalAccessStatus": if ca.is_empty() { "notApplied" } else { "success" },
        "appliedConditionalAccessPolicies": ca,
        "isInteractive": true,
        "signInEventTypes": ["interactiveUser"],
        "incomingTokenType": if token_type == "primaryRefreshToken" { "Primary Refresh Token" } else { token_type },
        "authenticationRequirement": "multiFactorAuthentication",
        "authenticationMethodsUsed": methods,
        "authenticationDetails": details,
        "status": { "errorCode": 0, "failureReason": "Other.", "additionalDetails": additional },
        "deviceDetail": device_detail,
        "location": { "city": "Redmond", "state": "Washington", "countryOrRegion": "US" },
        "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
    })
}
