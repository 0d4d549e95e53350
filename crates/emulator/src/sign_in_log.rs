//! Sign-in log entries the emulated tenant writes when the lab user signs in: the TAP at OOBE
//! (interactive: the user typed a factor), then single sign-on with the Primary Refresh Token,
//! which Entra logs as **non-interactive** ("A user performs single sign-on (SSO) to a web or
//! Windows app on a Microsoft Entra joined PC", the non-interactive sign-ins concept page). Whether
//! MFA was required comes from the Conditional Access policies that apply to the user and app.

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
/// What a PRT sign-in says when no policy asked for MFA.
pub const FIRST_FACTOR_CLAIM_TEXT: &str =
    "First factor requirement satisfied by claim in the token";
/// The Microsoft Authentication Broker, the app of the OOBE sign-in.
const TAP_APP_ID: &str = "29d9ed98-a469-4536-ade2-f981bc1d605e";

/// Whether an enabled policy's `conditions.users` and `conditions.applications` cover this user
/// and app: included (All, the user, a group of theirs, a role of theirs) and not excluded.
pub(crate) fn policy_applies(
    t: &TenantState,
    policy: &Value,
    user_id: &crate::ids::UserId,
    app_id: &str,
) -> bool {
    let Some(user) = t.user(user_id.as_str()) else {
        return false;
    };
    let users = &policy["conditions"]["users"];
    let list = |key: &str| -> Vec<String> {
        users[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    let uid = user.id.as_str().to_ascii_lowercase();
    let groups: Vec<String> = t
        .groups_of(&user.id)
        .into_iter()
        .map(|g| g.to_ascii_lowercase())
        .collect();
    let roles: Vec<String> = user
        .roles
        .iter()
        .map(|r| r.template_id().to_ascii_lowercase())
        .collect();
    let guest = user.user_type.eq_ignore_ascii_case("Guest");
    let include_users = list("includeUsers");
    let included = include_users
        .iter()
        .any(|u| u == "all" || *u == uid || (u == "guestsorexternalusers" && guest))
        || list("includeGroups").iter().any(|g| groups.contains(g))
        || list("includeRoles").iter().any(|r| roles.contains(r));
    let excluded = list("excludeUsers")
        .iter()
        .any(|u| *u == uid || (u == "guestsorexternalusers" && guest))
        || list("excludeGroups").iter().any(|g| groups.contains(g))
        || list("excludeRoles").iter().any(|r| roles.contains(r));
    let apps = &policy["conditions"]["applications"];
    let app_listed = |key: &str| {
        apps[key].as_array().is_some_and(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .any(|x| x.eq_ignore_ascii_case("All") || x.eq_ignore_ascii_case(app_id))
        })
    };
    let app_excluded = apps["excludeApplications"].as_array().is_some_and(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .any(|x| x.eq_ignore_ascii_case(app_id))
    });
    included && !excluded && app_listed("includeApplications") && !app_excluded
}

/// Whether a policy's grant asks for MFA: the `mfa` built-in control or an authentication
/// strength.
pub(crate) fn requires_mfa(policy: &Value) -> bool {
    let grant = &policy["grantControls"];
    let builtin = grant["builtInControls"]
        .as_array()
        .is_some_and(|c| c.iter().any(|x| x.as_str() == Some("mfa")));
    builtin || grant["authenticationStrength"].is_object()
}

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
    let app_of_kind = match kind {
        SignInKind::TapAtOobe => TAP_APP_ID,
        SignInKind::TokenClaim { app_id, .. } => app_id,
    };
    let applied: Vec<&Value> = t
        .conditional_access_policies
        .iter()
        .filter(|p| p["state"] == "enabled" && policy_applies(t, p, user_id, app_of_kind))
        .collect();
    let mfa_required = applied.iter().any(|p| requires_mfa(p));
    let ca = applied
        .iter()
        .map(|p| {
            let controls: Vec<&str> = if requires_mfa(p) { vec!["Mfa"] } else { vec![] };
            json!({"id": p["id"], "displayName": p["displayName"], "result": "success", "enforcedGrantControls": controls, "enforcedSessionControls": []})
        })
        .collect::<Vec<_>>();
    let interactive = matches!(kind, SignInKind::TapAtOobe);
    let (app, app_id, details, token_type, additional, methods) = match kind {
        SignInKind::TapAtOobe => (
            "Microsoft Authentication Broker",
            TAP_APP_ID,
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
        SignInKind::TokenClaim { app, app_id } if mfa_required => (
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
        SignInKind::TokenClaim { app, app_id } => (
            app,
            app_id,
            json!([{
                "authenticationStepDateTime": at, "authenticationMethod": "Previously satisfied",
                "authenticationMethodDetail": null, "succeeded": true,
                "authenticationStepResultDetail": FIRST_FACTOR_CLAIM_TEXT,
                "authenticationStepRequirement": "Primary authentication",
            }]),
            "primaryRefreshToken",
            FIRST_FACTOR_CLAIM_TEXT,
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
        "isInteractive": interactive,
        "signInEventTypes": [if interactive { "interactiveUser" } else { "nonInteractiveUser" }],
        "incomingTokenType": if token_type == "primaryRefreshToken" { "Primary Refresh Token" } else { token_type },
        "authenticationRequirement": if mfa_required || interactive { "multiFactorAuthentication" } else { "singleFactorAuthentication" },
        "authenticationMethodsUsed": methods,
        "authenticationDetails": details,
        "status": { "errorCode": 0, "failureReason": "Other.", "additionalDetails": additional },
        "deviceDetail": device_detail,
        "location": { "city": "Redmond", "state": "Washington", "countryOrRegion": "US" },
        "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
    })
}
