//! `dsregcmd /status` output as Windows 11 prints it, generated from the emulated guest's state.

use super::state::JoinRecord;

const RULE: &str = "+----------------------------------------------------------------------+";

fn banner(out: &mut String, title: &str) {
    out.push_str(RULE);
    out.push_str("\r\n");
    out.push_str(&format!("| {title:<69}|\r\n"));
    out.push_str(RULE);
    out.push_str("\r\n\r\n");
}

fn line(out: &mut String, key: &str, value: &str) {
    out.push_str(&format!("{key:>30} : {value}\r\n"));
}

fn yes(flag: bool) -> &'static str {
    if flag { "YES" } else { "NO" }
}

/// The full status text for a guest named `device_name`, joined or not, with or without a PIN.
pub fn status_text(device_name: &str, join: Option<&JoinRecord>, pin_set: bool) -> String {
    let mut out = String::new();
    banner(&mut out, "Device State");
    line(&mut out, "AzureAdJoined", yes(join.is_some()));
    line(&mut out, "EnterpriseJoined", "NO");
    line(&mut out, "DomainJoined", "NO");
    line(&mut out, "Virtual Desktop", "NOT SET");
    line(&mut out, "Device Name", device_name);
    out.push_str("\r\n");
    if let Some(j) = join {
        banner(&mut out, "Device Details");
        line(&mut out, "DeviceId", &j.device_id);
        line(
            &mut out,
            "Thumbprint",
            &j.device_id.replace('-', "").to_uppercase(),
        );
        line(
            &mut out,
            "DeviceCertificateValidity",
            &format!(
                "[ {} -- {} ]",
                j.joined_at.format("%Y-%m-%d %H:%M:%S%.3f UTC"),
                (j.joined_at + chrono::Duration::days(3650)).format("%Y-%m-%d %H:%M:%S%.3f UTC")
            ),
        );
        line(&mut out, "KeyContainerId", &j.device_object_id);
        line(
            &mut out,
            "KeyProvider",
            "Microsoft Platform Crypto Provider",
        );
        line(&mut out, "TpmProtected", "YES");
        line(&mut out, "DeviceAuthStatus", "SUCCESS");
        out.push_str("\r\n");
        banner(&mut out, "Tenant Details");
        line(&mut out, "TenantName", &j.tenant_name);
        line(&mut out, "TenantId", &j.tenant_id);
        line(
            &mut out,
            "AuthCodeUrl",
            &format!(
                "https://login.microsoftonline.com/{}/oauth2/authorize",
                j.tenant_id
            ),
        );
        line(
            &mut out,
            "AccessTokenUrl",
            &format!(
                "https://login.microsoftonline.com/{}/oauth2/token",
                j.tenant_id
            ),
        );
        line(
            &mut out,
            "MdmUrl",
            "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
        );
        line(
            &mut out,
            "MdmTouUrl",
            "https://portal.manage.microsoft.com/TermsofUse.aspx",
        );
        line(
            &mut out,
            "MdmComplianceUrl",
            "https://portal.manage.microsoft.com/?portalAction=Compliance",
        );
        out.push_str("\r\n");
    }
    banner(&mut out, "User State");
    line(&mut out, "NgcSet", yes(join.is_some() && pin_set));
    if pin_set && let Some(key) = join.and_then(|j| j.whfb_method_id.as_deref()) {
        line(&mut out, "NgcKeyId", &format!("{{{}}}", key.to_uppercase()));
        line(&mut out, "CanReset", "DestructiveAndNonDestructive");
    }
    line(&mut out, "WorkplaceJoined", "NO");
    line(&mut out, "WamDefaultSet", yes(join.is_some()));
    if let Some(j) = join {
        line(&mut out, "WamDefaultAuthority", "organizations");
        line(&mut out, "WamDefaultId", "https://login.microsoft.com");
        line(
            &mut out,
            "WamDefaultGUID",
            &format!(
                "{{B16898C6-A148-4967-9171-64D755DA8520}} ({})",
                j.tenant_name
            ),
        );
    }
    out.push_str("\r\n");
    banner(&mut out, "SSO State");
    line(&mut out, "AzureAdPrt", yes(join.is_some()));
    if let Some(j) = join {
        line(
            &mut out,
            "AzureAdPrtUpdateTime",
            &j.joined_at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
        );
        line(
            &mut out,
            "AzureAdPrtExpiryTime",
            &(j.joined_at + chrono::Duration::days(14))
                .format("%Y-%m-%d %H:%M:%S%.3f UTC")
                .to_string(),
        );
        line(
            &mut out,
            "AzureAdPrtAuthority",
            &format!("https://login.microsoftonline.com/{}", j.tenant_id),
        );
    }
    line(&mut out, "EnterprisePrt", "NO");
    line(&mut out, "EnterprisePrtAuthority", "");
    out.push_str("\r\n");
    banner(&mut out, "Diagnostic Data");
    line(&mut out, "AadRecoveryEnabled", "NO");
    line(&mut out, "KeySignTest", "PASSED");
    out.push_str("\r\n");
    banner(&mut out, "Ngc Prerequisite Check");
    line(&mut out, "IsDeviceJoined", yes(join.is_some()));
    line(&mut out, "IsUserAzureAD", yes(join.is_some()));
    line(&mut out, "PolicyEnabled", "YES");
    line(&mut out, "PostLogonEnabled", "YES");
    line(&mut out, "DeviceEligible", "YES");
    line(&mut out, "SessionIsNotRemote", "YES");
    line(&mut out, "CertEnrollment", "none");
    line(
        &mut out,
        "PreReqResult",
        if join.is_some() {
            "WillProvision"
        } else {
            "WillNotProvision"
        },
    );
    out.push_str("\r\nFor more information, please visit https://www.microsoft.com/aadjerrors\r\n");
    out
}
