//! The per-user preflight: the user exists, is enabled, is not a guest, is targeted by the TAP
//! policy, and whether they already hold a pass. Used before issuing, and on its own as a dry run.

use super::input::TapRequest;
use super::policy::{TapPolicy, Targeting};
use hb_graph::models::TapMethod;
use hb_graph::{ApiVersion, GraphClient};
use hb_lab::Upn;
use serde::Deserialize;
use serde_json::Value;

/// What the checks found for one user, before anything is issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Exists, enabled, targeted by the policy, holds no pass: one can be issued.
    Ready,
    /// Already holds a pass that is valid now or later.
    HasPass {
        start_date_time: Option<String>,
        lifetime_in_minutes: Option<u32>,
    },
    /// Cannot get a pass; the text says why and what to do.
    Blocked(String),
}

impl Verdict {
    /// The snake_case id used in JSON output.
    pub fn id(&self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::HasPass { .. } => "has_tap",
            Verdict::Blocked(_) => "blocked",
        }
    }
}

/// One user's preflight result, as shown by `tap issue --dry-run` or a help-desk page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightRow {
    pub upn: Upn,
    pub verdict: Verdict,
}

/// A user who passed the checks, with the pass they hold now, if any.
pub(crate) struct CheckedUser {
    pub id: String,
    pub existing: Option<TapMethod>,
}

/// The user fields the checks need.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryUser {
    id: String,
    #[serde(default)]
    account_enabled: Option<bool>,
    #[serde(default)]
    user_type: Option<String>,
}

/// A value as one URL path segment: everything but unreserved characters and `@` percent-encoded.
pub(crate) fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The collection of a user's TAP methods.
pub(crate) fn methods_path(user_id: &str) -> String {
    format!(
        "/users/{}/authentication/temporaryAccessPassMethods",
        path_segment(user_id)
    )
}

async fn lookup_user(graph: &GraphClient, upn: &Upn) -> Result<DirectoryUser, String> {
    let path = format!(
        "/users/{}?$select=id,userPrincipalName,accountEnabled,userType",
        path_segment(upn.as_str())
    );
    let value = graph.get(ApiVersion::V1, &path).await.map_err(|e| {
        if e.is_not_found() {
            "there is no such user in this tenant: check the spelling of the sign-in name".into()
        } else {
            e.to_string()
        }
    })?;
    serde_json::from_value(value).map_err(|e| format!("unexpected user object from Graph: {e}"))
}

/// The ids of the groups a user is in, directly or not; `None` when Graph will not say.
async fn member_groups(graph: &GraphClient, user_id: &str) -> Option<Vec<String>> {
    let path = format!(
        "/users/{}/transitiveMemberOf/microsoft.graph.group?$select=id",
        path_segment(user_id)
    );
    let items = graph.get_all(ApiVersion::V1, &path).await.ok()?;
    Some(
        items
            .iter()
            .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_string))
            .collect(),
    )
}

/// A pass that still counts: usable now or starting later.
fn is_active(m: &TapMethod) -> bool {
    m.is_usable == Some(true) || m.method_usability_reason.as_deref() == Some("NotYetValid")
}

async fn active_pass(graph: &GraphClient, user_id: &str) -> Result<Option<TapMethod>, String> {
    let items = graph
        .get_all(ApiVersion::V1, &methods_path(user_id))
        .await
        .map_err(|e| format!("cannot list the user's current passes: {e}"))?;
    Ok(items
        .into_iter()
        .filter_map(|v| serde_json::from_value::<TapMethod>(v).ok())
        .find(is_active))
}

/// Runs every check for one user; `Err` says why they cannot get a pass.
pub(crate) async fn check_user(
    graph: &GraphClient,
    policy: &TapPolicy,
    upn: &Upn,
) -> Result<CheckedUser, String> {
    let user = lookup_user(graph, upn).await?;
    if user.account_enabled == Some(false) {
        return Err(
            "the account is disabled: enable it in the Entra admin center (Users) first, then issue again"
                .into(),
        );
    }
    if user
        .user_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
    {
        return Err(
            "this is a guest account: a Temporary Access Pass cannot be issued to guests".into(),
        );
    }
    let groups = if policy.needs_groups() {
        member_groups(graph, &user.id).await
    } else {
        Some(Vec::new())
    };
    if let Targeting::NotTargeted(reason) = policy.targeting(&user.id, groups.as_deref()) {
        return Err(reason);
    }
    let existing = active_pass(graph, &user.id).await?;
    Ok(CheckedUser {
        id: user.id,
        existing,
    })
}

/// The verdict for one request, as a dry run shows it.
pub(crate) async fn preflight_one(
    graph: &GraphClient,
    policy: &TapPolicy,
    request: &TapRequest,
) -> PreflightRow {
    let verdict = match check_user(graph, policy, &request.upn).await {
        Ok(CheckedUser {
            existing: Some(m), ..
        }) => Verdict::HasPass {
            start_date_time: m.start_date_time,
            lifetime_in_minutes: m.lifetime_in_minutes,
        },
        Ok(_) => Verdict::Ready,
        Err(reason) => Verdict::Blocked(reason),
    };
    PreflightRow {
        upn: request.upn.clone(),
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("o'brien@contoso.com"), "o%27brien@contoso.com");
        assert_eq!(path_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(path_segment("jörg@x.de"), "j%C3%B6rg@x.de");
    }

    #[test]
    fn active_passes_include_ones_that_start_later() {
        let m = |usable: Option<bool>, reason: Option<&str>| TapMethod {
            id: "m".into(),
            created_date_time: None,
            start_date_time: None,
            lifetime_in_minutes: None,
            is_usable_once: None,
            is_usable: usable,
            method_usability_reason: reason.map(str::to_string),
        };
        assert!(is_active(&m(Some(true), Some("EnabledByPolicy"))));
        assert!(is_active(&m(Some(false), Some("NotYetValid"))));
        assert!(!is_active(&m(Some(false), Some("Expired"))));
    }

    #[test]
    fn verdicts_have_stable_ids() {
        assert_eq!(Verdict::Ready.id(), "ready");
        assert_eq!(Verdict::Blocked("x".into()).id(), "blocked");
        let has = Verdict::HasPass {
            start_date_time: None,
            lifetime_in_minutes: Some(60),
        };
        assert_eq!(has.id(), "has_tap");
    }
}
