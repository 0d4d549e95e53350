//! Sign-in logs on beta (the version that carries `authenticationDetails`). Reading them needs
//! Microsoft Entra ID P1: without it Graph answers 403
//! `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.

use crate::models::{Page, SignIn};
use crate::path::odata_string;
use crate::{GraphClient, GraphError, GraphPath};
use chrono::{DateTime, SecondsFormat, Utc};
use hb_lab::UserId;

/// The code of Graph's 403 when the tenant lacks Entra ID P1.
pub const NON_PREMIUM_CODE: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

/// Which of Entra's user sign-in logs a read covers. Without a `signInEventTypes` filter the list
/// returns interactive sign-ins only; single sign-on with a Primary Refresh Token from an
/// Entra-joined PC is in the non-interactive one (the "non-interactive user sign-ins" concept
/// page), which only beta can filter for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInLog {
    Interactive,
    NonInteractive,
}

impl SignInLog {
    /// Both logs, in the order step 7 reads them.
    pub const BOTH: [SignInLog; 2] = [SignInLog::Interactive, SignInLog::NonInteractive];

    /// The `signInEventTypes` value of the log.
    pub fn event_type(self) -> &'static str {
        match self {
            SignInLog::Interactive => "interactiveUser",
            SignInLog::NonInteractive => "nonInteractiveUser",
        }
    }
}

/// `/auditLogs/signIns?$filter=userId eq '{id}'[ and createdDateTime ge {since}]&$top={top}`.
pub fn by_user_path(user: &UserId, since: Option<DateTime<Utc>>, top: u32) -> GraphPath {
    GraphPath::beta()
        .seg("auditLogs/signIns")
        .query("$filter", user_filter(user, since))
        .query("$top", top.to_string())
}

fn user_filter(user: &UserId, since: Option<DateTime<Utc>>) -> String {
    let mut filter = format!("userId eq {}", odata_string(user.as_str()));
    if let Some(since) = since {
        // Timestamps in $filter are unquoted.
        let since = since.to_rfc3339_opts(SecondsFormat::Secs, true);
        filter.push_str(&format!(" and createdDateTime ge {since}"));
    }
    filter
}

/// `/auditLogs/signIns?$filter=userId eq '…' and createdDateTime ge … and
/// signInEventTypes/any(t: t eq '{log}')&$top={top}` on beta.
pub fn in_log_path(
    user: &UserId,
    since: Option<DateTime<Utc>>,
    top: u32,
    log: SignInLog,
) -> GraphPath {
    let filter = format!(
        "{} and signInEventTypes/any(t: t eq '{}')",
        user_filter(user, since),
        log.event_type()
    );
    GraphPath::beta()
        .seg("auditLogs/signIns")
        .query("$filter", filter)
        .query("$top", top.to_string())
}

/// `GET` the newest interactive sign-ins of a user (one page, newest first), optionally only
/// those at or after `since`.
pub async fn recent_by_user(
    graph: &GraphClient,
    user: &UserId,
    since: Option<DateTime<Utc>>,
    top: u32,
) -> Result<Vec<SignIn>, GraphError> {
    let page: Page<SignIn> = graph.get_at(&by_user_path(user, since, top)).await?;
    Ok(page.value)
}

/// `GET` the newest sign-ins of a user in one log (one page, newest first) since `since`.
pub async fn recent_in_log(
    graph: &GraphClient,
    user: &UserId,
    since: Option<DateTime<Utc>>,
    top: u32,
    log: SignInLog,
) -> Result<Vec<SignIn>, GraphError> {
    let page: Page<SignIn> = graph.get_at(&in_log_path(user, since, top, log)).await?;
    Ok(page.value)
}

/// `GET /auditLogs/signIns?$top=1`: whether this tenant may read sign-in logs at all (the P1
/// check of preflight). The entry itself is not looked at.
pub async fn probe(graph: &GraphClient) -> Result<(), GraphError> {
    let path = GraphPath::beta()
        .seg("auditLogs/signIns")
        .query("$top", "1");
    let _: Page<serde_json::Value> = graph.get_at(&path).await?;
    Ok(())
}
