//! Step 7's checklist: what the VM says (`dsregcmd /status`, the OOBE screen, enhanced session
//! mode) and what Microsoft Graph says (device, managed device, WHfB method, and the MFA sign-in
//! when Conditional Access requires MFA). One row each, with what to do when it fails.

use crate::StepContext;
use hb_graph::{ApiVersion, GraphError};
use hb_host::dsregcmd::{self, DsregSummary};
use hb_host::screens::Screen;
use hb_host::{GuestCommand, HyperVHost};
use hb_lab::{StepError, Upn, ValidationRow, ValidationState};
use serde_json::Value;

/// The words the sign-in log uses when the PRT's MFA claim satisfied Conditional Access.
pub const MFA_BY_CLAIM: &str = "MFA requirement satisfied by claim in the token";

/// Why the MFA row matters, shown with it.
pub const MFA_EXPLANATION: &str = "The Primary Refresh Token carries an MFA claim because Windows Hello for Business was set up right after signing in with a Temporary Access Pass (a TAP counts as strong authentication), so Conditional Access asks for nothing more.";

/// What to do when a row fails, one text per row (with the known error codes).
pub mod fix {
    pub const SIGNIN: &str = "Issue a new Temporary Access Pass (revert step 6, then apply it), check it has not expired or been used, and sign in again at the OOBE page.";
    pub const ENHANCED_SESSION: &str = "Enhanced session mode is still on: OOBE needs the basic console. Run (elevated) Set-VMHost -EnableEnhancedSessionMode $false, or untick View > Enhanced session in Virtual Machine Connection.";
    pub const JOINED: &str = "The VM is not Entra joined: at OOBE choose 'Set up for work or school' and sign in with the lab user. If join is refused, check Entra admin center > Devices > Device settings: 'Users may join devices to Microsoft Entra' must include the lab user.";
    pub const NGC: &str = "No Windows Hello PIN yet: finish 'Set up a PIN' in the VM. If Windows never asked, check step 2 (Windows Hello for Business policy Enabled) and that the device is Entra joined.";
    pub const PRT: &str = "No Primary Refresh Token: sign out of the VM and sign in again with the PIN; the VM needs network access to login.microsoftonline.com.";
    pub const DEVICE: &str = "Entra ID has no Azure AD joined device with this device id yet: wait a minute and retry; if it stays missing, the join did not complete (see the dsregcmd rows).";
    pub const MANAGED: &str = "Intune has no managed device for this device. Error 0x80180014: an enrollment restriction blocks Windows (MDM) devices; allow it in Intune > Devices > Enrollment restrictions. Error 8018000a: the device is already enrolled; remove the old device in Intune and retry. If the MAM user scope also includes the user it can override the MDM scope: set MAM user scope to None and keep MDM user scope All (step 1).";
    pub const WHFB: &str = "The user has no Windows Hello for Business method yet: finish 'Set up a PIN' in the VM; check step 2 (WHfB policy Enabled).";
    pub const MFA_REAL: &str = "In the VM, open https://myapps.microsoft.com in Edge (signed in as the lab user). The sign-in log shows the entry after 2 to 15 minutes.";
    pub const P1: &str = "Reading sign-in logs needs Microsoft Entra ID P1 or P2 for the tenant and the Reports Reader role.";
}

/// What one validation pass saw.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub rows: Vec<ValidationRow>,
    pub device_id: Option<String>,
    pub device_object_id: Option<String>,
    pub managed_device_id: Option<String>,
    /// Whether an enabled Conditional Access policy requires MFA (None: could not read).
    pub mfa_required: Option<bool>,
    /// The emulated guest is at the desktop (demo: time to open My Apps).
    pub at_desktop: bool,
    pub note: Option<String>,
}

impl Observed {
    /// Whether every row passed (the step is done).
    pub fn all_passed(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(|r| r.state == ValidationState::Passed)
    }

    /// A row by its stable id (`signin`, `dsreg_joined`, …).
    pub fn row(&self, id: &str) -> Option<&ValidationRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// How many rows passed, for progress.
    pub fn passed_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.state == ValidationState::Passed)
            .count()
    }
}

fn row(
    id: &str,
    label: &str,
    state: ValidationState,
    detail: impl Into<String>,
    fix: &str,
) -> ValidationRow {
    ValidationRow {
        id: id.into(),
        label: label.into(),
        state,
        detail: detail.into(),
        fix: (state != ValidationState::Passed).then(|| fix.to_string()),
    }
}

fn flag_row(id: &str, label: &str, value: Option<bool>, key: &str, fix: &str) -> ValidationRow {
    match value {
        Some(true) => row(
            id,
            label,
            ValidationState::Passed,
            format!("{key} : YES"),
            fix,
        ),
        Some(false) => row(
            id,
            label,
            ValidationState::Waiting,
            format!("{key} : NO (yet)"),
            fix,
        ),
        None => row(
            id,
            label,
            ValidationState::Waiting,
            format!("{key} not reported yet"),
            fix,
        ),
    }
}

/// Percent-encodes the one UPN character that breaks a URL path (`#` in guest UPNs).
pub fn upn_path(upn: &Upn) -> String {
    upn.as_str().replace('#', "%23")
}

/// Runs one read-only validation pass.
pub async fn observe(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    upn: &Upn,
) -> Result<Observed, StepError> {
    let mut obs = Observed::default();

    // The VM: OOBE screen (emulated), enhanced session mode, dsregcmd.
    let screen = match host.as_emulated() {
        Some(e) => Some(e.screen(vm)?),
        None => None,
    };
    obs.at_desktop = matches!(screen, Some(Screen::Desktop { .. }));
    let (summary, dsreg_error) = match host.run_in_vm(vm, GuestCommand::DsregcmdStatus).await {
        Ok(text) => match dsregcmd::parse(&text) {
            Ok(status) => (status.summary, None),
            Err(e) => (
                DsregSummary::default(),
                Some(format!("cannot read dsregcmd output: {e}")),
            ),
        },
        Err(e) => (DsregSummary::default(), Some(e.to_string())),
    };
    obs.device_id = summary.device_id.clone().or_else(|| {
        host.as_emulated()
            .and_then(|e| e.join_record(vm).ok().flatten())
            .map(|j| j.device_id)
    });
    let graph = ctx.graph()?;
    let whfb_path = format!(
        "/users/{}/authentication/windowsHelloForBusinessMethods",
        upn_path(upn)
    );
    let whfb = graph
        .get(ApiVersion::V1, &whfb_path)
        .await
        .map(|v| v["value"].as_array().cloned().unwrap_or_default());
    // Without dsregcmd (no guest access on a real host), the WHfB key names the device it was
    // registered on, and that name finds the Entra device.
    let mut found_in_graph = false;
    if obs.device_id.is_none()
        && let Ok(methods) = &whfb
        && let Some(name) = methods.iter().find_map(|m| m["displayName"].as_str())
    {
        let path = format!(
            "/devices?$filter=displayName eq '{}'&$select=deviceId,trustType",
            name.replace('\'', "''")
        );
        if let Ok(devices) = graph.get_all(ApiVersion::V1, &path).await {
            obs.device_id = devices
                .iter()
                .find(|d| {
                    d["trustType"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("AzureAd"))
                })
                .and_then(|d| d["deviceId"].as_str())
                .map(str::to_string);
            found_in_graph = obs.device_id.is_some();
        }
    }

    let signin_label = format!("{upn} signed in at OOBE with the Temporary Access Pass");
    obs.rows.push(match (&screen, summary.azure_ad_joined) {
        (Some(Screen::SignInError { message, .. }), _) => row(
            "signin",
            &signin_label,
            ValidationState::Failed,
            format!("The sign-in was refused: {message}"),
            fix::SIGNIN,
        ),
        (Some(Screen::PinSetup { .. } | Screen::Desktop { .. }), _) | (None, Some(true)) => row(
            "signin",
            &signin_label,
            ValidationState::Passed,
            "Signed in; the device joined Microsoft Entra ID.",
            fix::SIGNIN,
        ),
        (None, _) if found_in_graph => row(
            "signin",
            &signin_label,
            ValidationState::Passed,
            "Signed in: Microsoft Entra ID has the device the lab user joined.",
            fix::SIGNIN,
        ),
        (Some(s), _) => row(
            "signin",
            &signin_label,
            ValidationState::Waiting,
            format!("The VM shows '{}'.", s.title()),
            fix::SIGNIN,
        ),
        (None, _) => row(
            "signin",
            &signin_label,
            ValidationState::Waiting,
            format!("Waiting for {upn} to sign in at the VM's OOBE page."),
            fix::SIGNIN,
        ),
    });

    obs.rows.push(match host.enhanced_session_mode().await {
        Ok(false) => row(
            "enhanced_session",
            "Enhanced session mode is off",
            ValidationState::Passed,
            "The VM shows the basic console.",
            fix::ENHANCED_SESSION,
        ),
        Ok(true) => row(
            "enhanced_session",
            "Enhanced session mode is off",
            ValidationState::Failed,
            "Enhanced session mode is on.",
            fix::ENHANCED_SESSION,
        ),
        Err(e) => row(
            "enhanced_session",
            "Enhanced session mode is off",
            ValidationState::Waiting,
            e.to_string(),
            fix::ENHANCED_SESSION,
        ),
    });

    let mut dsreg_rows = vec![
        flag_row(
            "dsreg_joined",
            "dsregcmd: AzureAdJoined YES",
            summary.azure_ad_joined,
            "AzureAdJoined",
            fix::JOINED,
        ),
        flag_row(
            "dsreg_ngc",
            "dsregcmd: NgcSet YES (Windows Hello PIN set)",
            summary.ngc_set,
            "NgcSet",
            fix::NGC,
        ),
        flag_row(
            "dsreg_prt",
            "dsregcmd: AzureAdPrt YES (Primary Refresh Token)",
            summary.azure_ad_prt,
            "AzureAdPrt",
            fix::PRT,
        ),
    ];
    if let Some(err) = &dsreg_error {
        for r in &mut dsreg_rows {
            r.detail = err.clone();
        }
    }
    obs.rows.extend(dsreg_rows);

    // Microsoft Graph.
    match &obs.device_id {
        None => {
            for (id, label, f) in [
                (
                    "graph_device",
                    "Entra ID: the device, trustType AzureAd",
                    fix::DEVICE,
                ),
                (
                    "graph_managed_device",
                    "Intune: the managed device",
                    fix::MANAGED,
                ),
            ] {
                obs.rows.push(row(
                    id,
                    label,
                    ValidationState::Waiting,
                    "Waiting for the device id (dsregcmd /status: DeviceId).",
                    f,
                ));
            }
        }
        Some(device_id) => {
            let label = "Entra ID: the device, trustType AzureAd";
            let path = format!(
                "/devices?$filter=deviceId eq '{device_id}'&$select=id,deviceId,displayName,trustType,isManaged,mdmAppId"
            );
            obs.rows
                .push(match first(graph.get(ApiVersion::V1, &path).await) {
                    Ok(Some(d)) => {
                        obs.device_object_id = d["id"].as_str().map(str::to_string);
                        let trust = d["trustType"].as_str().unwrap_or("");
                        if trust.eq_ignore_ascii_case("AzureAd") {
                            row(
                                "graph_device",
                                label,
                                ValidationState::Passed,
                                format!(
                                    "{} ({device_id}) is Azure AD joined.",
                                    d["displayName"].as_str().unwrap_or("the device")
                                ),
                                fix::DEVICE,
                            )
                        } else {
                            row(
                                "graph_device",
                                label,
                                ValidationState::Failed,
                                format!("The device's trustType is '{trust}', not AzureAd."),
                                fix::DEVICE,
                            )
                        }
                    }
                    Ok(None) => row(
                        "graph_device",
                        label,
                        ValidationState::Waiting,
                        format!("No device with deviceId {device_id} yet."),
                        fix::DEVICE,
                    ),
                    Err(e) => row(
                        "graph_device",
                        label,
                        ValidationState::Waiting,
                        e.to_string(),
                        fix::DEVICE,
                    ),
                });
            let label = "Intune: the managed device";
            let path = format!(
                "/deviceManagement/managedDevices?$filter=azureADDeviceId eq '{device_id}'"
            );
            obs.rows.push(match first(graph.get(ApiVersion::V1, &path).await) {
                Ok(Some(m)) => {
                    obs.managed_device_id = m["id"].as_str().map(str::to_string);
                    row("graph_managed_device", label, ValidationState::Passed, format!("Enrolled in Intune as {} ({}).", m["deviceName"].as_str().unwrap_or("the device"), m["deviceEnrollmentType"].as_str().unwrap_or("enrolled")), fix::MANAGED)
                }
                Ok(None) => row("graph_managed_device", label, ValidationState::Waiting, "Intune has no managed device for it yet (enrollment can lag a few minutes).", fix::MANAGED),
                Err(e) => row("graph_managed_device", label, ValidationState::Waiting, e.to_string(), fix::MANAGED),
            });
        }
    }

    let label = "Windows Hello for Business method registered";
    obs.rows.push(match &whfb {
        Ok(methods) => match methods.first() {
            Some(m) => row(
                "graph_whfb",
                label,
                ValidationState::Passed,
                format!(
                    "Key registered on {}.",
                    m["displayName"].as_str().unwrap_or("the device")
                ),
                fix::WHFB,
            ),
            None => row(
                "graph_whfb",
                label,
                ValidationState::Waiting,
                format!("{upn} has no Windows Hello for Business method yet."),
                fix::WHFB,
            ),
        },
        Err(e) => row(
            "graph_whfb",
            label,
            ValidationState::Waiting,
            e.to_string(),
            fix::WHFB,
        ),
    });

    match mfa_required(ctx).await {
        Ok(required) => obs.mfa_required = Some(required),
        Err(e) => {
            obs.note = Some(format!(
                "Could not read Conditional Access policies ({e}); the MFA sign-in check was skipped."
            ))
        }
    }
    if obs.mfa_required == Some(true) {
        let signin = mfa_signin(
            ctx,
            upn,
            obs.device_id.as_deref(),
            host.as_emulated().is_some(),
        )
        .await;
        obs.rows.push(signin);
    }
    Ok(obs)
}

fn first(result: Result<Value, GraphError>) -> Result<Option<Value>, GraphError> {
    result.map(|v| v["value"].as_array().and_then(|a| a.first()).cloned())
}

/// Whether an enabled Conditional Access policy requires MFA.
async fn mfa_required(ctx: &StepContext) -> Result<bool, StepError> {
    let policies = ctx
        .graph()?
        .get_all(ApiVersion::V1, "/identity/conditionalAccess/policies")
        .await?;
    Ok(policies.iter().any(|p| {
        p["state"].as_str() == Some("enabled")
            && p["grantControls"]["builtInControls"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c.as_str() == Some("mfa")))
    }))
}

/// Whether a sign-in log entry says the MFA requirement was satisfied by the token's claim.
pub fn is_mfa_by_claim(entry: &Value, device_id: Option<&str>) -> bool {
    let needle = MFA_BY_CLAIM.to_ascii_lowercase();
    let says = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.to_ascii_lowercase().contains(&needle))
    };
    let ok = entry["status"]["errorCode"].as_i64().unwrap_or(0) == 0;
    let mfa = entry["authenticationRequirement"]
        .as_str()
        .is_some_and(|r| r.eq_ignore_ascii_case("multiFactorAuthentication"));
    let by_claim = says(&entry["status"]["additionalDetails"])
        || entry["authenticationDetails"].as_array().is_some_and(|d| {
            d.iter()
                .any(|step| says(&step["authenticationStepResultDetail"]))
        });
    let same_device = match (device_id, entry["deviceDetail"]["deviceId"].as_str()) {
        (Some(want), Some(got)) if !got.is_empty() => want.eq_ignore_ascii_case(got),
        _ => true,
    };
    ok && mfa && by_claim && same_device
}

async fn mfa_signin(
    ctx: &StepContext,
    upn: &Upn,
    device_id: Option<&str>,
    emulated: bool,
) -> ValidationRow {
    let label = "Sign-in log: MFA satisfied by a claim in the token";
    let fix = if emulated {
        "Open My Apps in the VM's Edge (the demo does it for you once the desktop shows)."
    } else {
        fix::MFA_REAL
    };
    let waiting = |detail: String| {
        row(
            "graph_mfa_signin",
            label,
            ValidationState::Waiting,
            detail,
            fix,
        )
    };
    let graph = match ctx.graph() {
        Ok(g) => g,
        Err(e) => return waiting(e.to_string()),
    };
    let user_id = match graph
        .get(
            ApiVersion::V1,
            &format!("/users/{}?$select=id", upn_path(upn)),
        )
        .await
    {
        Ok(u) => match u["id"].as_str() {
            Some(id) => id.to_string(),
            None => return waiting("The user has no id in Graph's answer.".into()),
        },
        Err(e) => return waiting(e.to_string()),
    };
    let path = format!("/auditLogs/signIns?$filter=userId eq '{user_id}'&$top=50");
    match graph.get(ApiVersion::Beta, &path).await {
        Ok(v) => {
            let found = v["value"].as_array().and_then(|entries| {
                entries
                    .iter()
                    .find(|e| is_mfa_by_claim(e, device_id))
                    .cloned()
            });
            match found {
                Some(e) => row(
                    "graph_mfa_signin",
                    label,
                    ValidationState::Passed,
                    format!(
                        "{} at {}: \"{MFA_BY_CLAIM}\". {MFA_EXPLANATION}",
                        e["appDisplayName"].as_str().unwrap_or("A sign-in"),
                        e["createdDateTime"].as_str().unwrap_or("a recent time")
                    ),
                    fix,
                ),
                None => waiting(format!(
                    "Conditional Access requires MFA; no sign-in with \"{MFA_BY_CLAIM}\" logged yet. {MFA_EXPLANATION}"
                )),
            }
        }
        Err(GraphError::Api(api))
            if api
                .code
                .eq_ignore_ascii_case("Authentication_RequestFromNonPremiumTenantOrB2CTenant") =>
        {
            row(
                "graph_mfa_signin",
                label,
                ValidationState::Failed,
                api.message.clone(),
                fix::P1,
            )
        }
        Err(e) => waiting(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mfa_by_claim_matches_the_contract_shape_only() {
        let entry = json!({
            "status": {"errorCode": 0, "additionalDetails": "MFA requirement satisfied by claim in the token"},
            "authenticationRequirement": "multiFactorAuthentication",
            "deviceDetail": {"deviceId": "D1", "trustType": "Azure AD joined"},
            "authenticationDetails": [{"authenticationMethod": "Previously satisfied", "succeeded": true,
                "authenticationStepResultDetail": "MFA requirement satisfied by claim in the token"}]
        });
        assert!(is_mfa_by_claim(&entry, Some("d1")));
        assert!(!is_mfa_by_claim(&entry, Some("other")));
        let mut single = entry.clone();
        single["authenticationRequirement"] = json!("singleFactorAuthentication");
        assert!(!is_mfa_by_claim(&single, Some("D1")));
        let mut failed = entry.clone();
        failed["status"]["errorCode"] = json!(50126);
        assert!(!is_mfa_by_claim(&failed, None));
        let mut other = entry;
        other["status"]["additionalDetails"] = json!("MFA completed in Azure AD");
        other["authenticationDetails"][0]["authenticationStepResultDetail"] =
            json!("MFA completed in Azure AD");
        assert!(!is_mfa_by_claim(&other, None));
    }
}
