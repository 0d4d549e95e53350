//! Entra's refusals told apart: the AADSTS code of a token error, a redirect error or a sign-in
//! page becomes [`AuthError::Refused`] with what happened and what to do about it.
//!
//! Codes and meanings: Microsoft's "Microsoft Entra authentication and authorization error
//! codes" page. It warns that codes can change, so an unknown code keeps the generic OAuth error
//! (which still shows the code and Entra's text).

use super::config::AuthConfig;
use super::error::AuthError;
use super::grant::aadsts_summary;

/// Which flow met the refusal (the advice differs: a blocked device code flow has a way out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// The browser sign-in (authorize page or code redemption).
    Browser,
    /// A silent refresh with the saved refresh token.
    Refresh,
    /// The device code flow.
    DeviceCode,
}

/// The AADSTS code at the start of an `error_description` or anywhere in a page's text.
pub fn aadsts_code(text: &str) -> Option<u32> {
    let at = text.find("AADSTS")?;
    let digits: String = text[at + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Whether a fresh interactive sign-in can get past this refusal (consent, MFA, a new password).
pub fn interactive_fixes(code: u32) -> bool {
    matches!(code, 65001 | 50076 | 50079 | 50055)
}

/// The admin-consent URL for the tenant (Microsoft's "admin consent on the Microsoft identity
/// platform": `/{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri`), asking for the Graph
/// permissions this session needs and coming back to the registered `http://localhost`.
pub fn admin_consent_url(config: &AuthConfig, graph_scopes: &[&str]) -> String {
    let mut url = config.login_root.clone();
    url.set_path(&format!(
        "{}{}/v2.0/adminconsent",
        config.login_root.path(),
        config.tenant
    ));
    let scope = graph_scopes
        .iter()
        .map(|s| format!("https://graph.microsoft.com/{s}"))
        .collect::<Vec<_>>()
        .join(" ");
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair("scope", &scope)
        .append_pair("redirect_uri", "http://localhost");
    url.to_string()
}

/// The refusal behind `description` (an `error_description` or a page's text), if it is one we
/// can explain.
pub fn explain(
    description: &str,
    config: &AuthConfig,
    graph_scopes: &[&str],
    flow: Flow,
) -> Option<AuthError> {
    let code = aadsts_code(description)?;
    let consent = || admin_consent_url(config, graph_scopes);
    let fix = match code {
        65001 => format!(
            "the app has no consent for its permissions in this tenant: sign in interactively as an administrator and accept the consent prompt for the organisation, or have a Global Administrator open {} and accept",
            consent()
        ),
        90094 => format!(
            "the app's permissions need an administrator's approval: ask a Global Administrator or Privileged Role Administrator to open {} and accept, then sign in again",
            consent()
        ),
        50105 => "your account is not assigned to the app, and its enterprise application requires assignment: ask an administrator to assign you (Entra admin center > Enterprise applications > the app > Users and groups), or sign in with an assigned account".into(),
        700016 => format!(
            "the app {} is not in the tenant: check --client-id and --tenant, or have an administrator add the app to the tenant (consent to it)",
            config.client_id
        ),
        7000112 => format!(
            "the app {} is disabled in the tenant: an administrator must set 'Enabled for users to sign in' to Yes (Entra admin center > Enterprise applications > the app > Properties)",
            config.client_id
        ),
        50076 | 50079 if flow == Flow::Refresh => "multi-factor authentication (or registering for it) is now required: run `hello-bootstrap signin` to sign in interactively and complete the prompt".into(),
        50076 | 50079 => "multi-factor authentication (or registering for it) is required: sign in again interactively and complete the prompt in the browser".into(),
        53003 if flow == Flow::DeviceCode => "a Conditional Access policy blocks this sign-in, for example one that blocks the device code flow: sign in with the browser instead (without --device-code), or ask an administrator which policy applied (Entra admin center > Sign-in logs)".into(),
        53003 => "a Conditional Access policy blocks this sign-in: ask an administrator which policy applied and why (Entra admin center > Sign-in logs, the failed sign-in's Conditional Access tab); a compliant device or an allowed location may pass".into(),
        50055 => "your password has expired: change it (sign in interactively and follow the prompt, or ask an administrator to reset it), then sign in again".into(),
        50053 => "the account is locked after too many failed sign-ins, or sign-ins came from an address flagged as malicious: wait a few minutes and try again, or ask an administrator to check the sign-in logs and unblock you".into(),
        _ => return None,
    };
    Some(AuthError::Refused {
        code,
        summary: aadsts_summary(description.get(description.find("AADSTS")?..)?),
        fix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_descriptions_and_pages() {
        assert_eq!(aadsts_code("AADSTS65001: The user"), Some(65001));
        assert_eq!(
            aadsts_code("Sorry, but we're having trouble AADSTS53003: Access"),
            Some(53003)
        );
        assert_eq!(aadsts_code("nothing here"), None);
    }

    #[test]
    fn consent_refusals_offer_the_admin_consent_url_for_the_tenant() {
        let config = AuthConfig::new(
            crate::PUBLIC_LOGIN_ROOT,
            "contoso.onmicrosoft.com",
            crate::DEFAULT_CLIENT_ID,
        )
        .unwrap();
        let e = explain(
            "AADSTS65001: DelegationDoesNotExist\r\nTrace ID: 1",
            &config,
            &["User.Read"],
            Flow::Refresh,
        )
        .unwrap();
        let text = e.to_string();
        assert!(text.contains("AADSTS65001"), "{text}");
        assert!(!text.contains("Trace ID"), "{text}");
        assert!(
            text.contains(
                "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e&scope=https%3A%2F%2Fgraph.microsoft.com%2FUser.Read&redirect_uri=http%3A%2F%2Flocalhost"
            ),
            "{text}"
        );
        assert!(explain("AADSTS70011: bad scope", &config, &[], Flow::Browser).is_none());
    }
}
