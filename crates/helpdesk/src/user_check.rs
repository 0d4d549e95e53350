//! The per-user preflight: the user exists, is enabled, is not an external user, is targeted by
//! the TAP policy, and whether they already hold a pass. Used before issuing, and on its own as a
//! dry run.

use super::input::TapRequest;
use super::policy::{TapPolicy, Targeting};
use hb_graph::GraphClient;
use hb_graph::api::users;
use hb_graph::tap_issue::{self, TapTarget};
use hb_lab::Upn;

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

/// Runs every check for one user: the shared ones of `hb_graph::tap_issue` (exists, enabled,
/// not external, current pass), then, when the policy could be read, whether it targets them.
/// `Err` says why they cannot get a pass.
pub(crate) async fn check_user(
    graph: &GraphClient,
    policy: Option<&TapPolicy>,
    upn: &Upn,
) -> Result<TapTarget, String> {
    let target = tap_issue::check_target(graph, upn)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(policy) = policy {
        let groups = if policy.needs_groups() {
            users::member_group_ids(graph, &target.user.id).await.ok()
        } else {
            Some(Vec::new())
        };
        if let Targeting::NotTargeted(reason) =
            policy.targeting(target.user.id.as_str(), groups.as_deref())
        {
            return Err(reason);
        }
    }
    Ok(target)
}

/// The verdict for one request, as a dry run shows it.
pub(crate) async fn preflight_one(
    graph: &GraphClient,
    policy: Option<&TapPolicy>,
    request: &TapRequest,
) -> PreflightRow {
    let verdict = match check_user(graph, policy, &request.upn).await {
        Ok(TapTarget {
            current: Some(m), ..
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
