//! Issues Temporary Access Passes for many users at once: checks the policy and each user first,
//! then issues a few at a time, reporting each result as it comes. The passes come back as
//! [`Secret`]s for the caller to show once.

use super::input::{InputError, TapRequest};
use super::policy::TapPolicy;
use super::user_check::{PreflightRow, check_user, preflight_one};
use futures::StreamExt;
use hb_graph::GraphClient;
use hb_graph::tap_issue::{self, IssueTap, Issued, WhenHeld};
use hb_lab::{Secret, Upn};
use tokio_util::sync::CancellationToken;

/// How many users are worked on at the same time: fast for a class list, gentle on Graph's
/// throttling of writes.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Choices that apply to the whole run.
#[derive(Clone, Debug, Default)]
pub struct IssueOptions {
    /// Lifetime for requests that do not set their own (`None`: the policy's default).
    pub default_lifetime: Option<u32>,
    /// One-time use for requests that do not set it (`None`: the policy's default).
    pub default_usable_once: Option<bool>,
    /// Delete a user's current pass and issue a new one, instead of leaving them as they are.
    pub replace_existing: bool,
    /// Users worked on at once; 0 means [`DEFAULT_CONCURRENCY`].
    pub concurrency: usize,
    /// Stops issuing to users not started yet.
    pub cancel: Option<CancellationToken>,
}

/// What happened for one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueStatus {
    Issued,
    /// The user's previous pass was deleted and a new one issued (`replace_existing`).
    Replaced,
    /// The user already has a pass; nothing was changed.
    AlreadyHasTap,
    Failed,
}

impl IssueStatus {
    /// The snake_case id used in JSON output.
    pub fn id(self) -> &'static str {
        match self {
            IssueStatus::Issued => "issued",
            IssueStatus::Replaced => "replaced",
            IssueStatus::AlreadyHasTap => "already_has_tap",
            IssueStatus::Failed => "failed",
        }
    }

    /// Whether the user now holds a pass we just issued.
    pub fn is_issued(self) -> bool {
        matches!(self, IssueStatus::Issued | IssueStatus::Replaced)
    }
}

/// One user's result. `tap` is set only when a pass was issued; show it once and drop it (not
/// `Clone`, so it is not copied around by accident).
#[derive(Debug)]
pub struct IssueOutcome {
    pub upn: Upn,
    pub status: IssueStatus,
    pub tap: Option<Secret>,
    /// What went wrong or why nothing was issued, and what to do.
    pub error: Option<String>,
    pub start_date_time: Option<String>,
    pub lifetime_in_minutes: Option<u32>,
    pub is_usable_once: Option<bool>,
}

impl IssueOutcome {
    fn failed(upn: Upn, error: impl Into<String>) -> Self {
        IssueOutcome {
            upn,
            status: IssueStatus::Failed,
            tap: None,
            error: Some(error.into()),
            start_date_time: None,
            lifetime_in_minutes: None,
            is_usable_once: None,
        }
    }
}

/// A result as it arrives, for a progress line or bar.
#[derive(Clone, Debug)]
pub struct IssueProgress {
    pub done: usize,
    pub total: usize,
    pub upn: Upn,
    pub status: IssueStatus,
}

/// Why a run issued nothing at all.
#[derive(Debug, thiserror::Error)]
pub enum HelpdeskError {
    /// A request does not fit the policy (lifetime, one-time use); fix the input.
    #[error("{}", join(.0))]
    BadInput(Vec<InputError>),
    /// The policy cannot be read or forbids every pass; the text says why and what to do.
    #[error("{0}")]
    Policy(String),
}

fn join(errors: &[InputError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the policy and checks the run against it; nothing may be issued when this fails.
/// `None` when the signed-in account may not read the policy (403: an Authentication
/// Administrator issues passes but cannot read it); then Graph judges each pass, and its
/// refusals come back in each user's words.
async fn checked_policy(
    graph: &GraphClient,
    requests: &[TapRequest],
    options: &IssueOptions,
) -> Result<Option<TapPolicy>, HelpdeskError> {
    let policy = match TapPolicy::load(graph).await {
        Ok(policy) => policy,
        Err(e) if e.status() == Some(403) => return Ok(None),
        Err(e) => {
            return Err(HelpdeskError::Policy(format!(
                "cannot read the Temporary Access Pass policy: {e}"
            )));
        }
    };
    if let Some(reason) = policy.blocker() {
        return Err(HelpdeskError::Policy(reason));
    }
    policy
        .check_requests(
            requests,
            options.default_lifetime,
            options.default_usable_once,
        )
        .map_err(HelpdeskError::BadInput)?;
    Ok(Some(policy))
}

/// Runs `work` for every request, `limit` at a time, calling `on_done` as each finishes with how
/// many are done; results come back in request order.
async fn for_each_request<T, F, Fut>(
    requests: Vec<TapRequest>,
    limit: usize,
    work: F,
    mut on_done: impl FnMut(usize, &T),
) -> Vec<T>
where
    F: Fn(TapRequest) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let total = requests.len();
    let work = &work;
    let mut results: Vec<Option<T>> = (0..total).map(|_| None).collect();
    let mut stream = futures::stream::iter(requests.into_iter().enumerate())
        .map(|(i, request)| async move { (i, work(request).await) })
        .buffer_unordered(limit.max(1));
    let mut done = 0;
    while let Some((i, result)) = stream.next().await {
        done += 1;
        on_done(done, &result);
        results[i] = Some(result);
    }
    results.into_iter().flatten().collect()
}

fn limit(options: &IssueOptions) -> usize {
    match options.concurrency {
        0 => DEFAULT_CONCURRENCY,
        n => n,
    }
}

/// Checks the policy, then issues a pass for each request, `options.concurrency` at a time,
/// calling `on_progress` as each user finishes. Results come back in request order. Nothing is
/// issued when the policy is off or a request does not fit it.
pub async fn issue_taps(
    graph: &GraphClient,
    requests: Vec<TapRequest>,
    options: &IssueOptions,
    mut on_progress: impl FnMut(&IssueProgress),
) -> Result<Vec<IssueOutcome>, HelpdeskError> {
    let policy = checked_policy(graph, &requests, options).await?;
    let policy = policy.as_ref();
    let total = requests.len();
    Ok(for_each_request(
        requests,
        limit(options),
        |request| issue_one(graph, policy, request, options),
        |done, outcome: &IssueOutcome| {
            on_progress(&IssueProgress {
                done,
                total,
                upn: outcome.upn.clone(),
                status: outcome.status,
            })
        },
    )
    .await)
}

/// The dry run: the same policy and per-user checks as [`issue_taps`], and nothing issued.
pub async fn preflight(
    graph: &GraphClient,
    requests: Vec<TapRequest>,
    options: &IssueOptions,
) -> Result<Vec<PreflightRow>, HelpdeskError> {
    let policy = checked_policy(graph, &requests, options).await?;
    let policy = policy.as_ref();
    Ok(for_each_request(
        requests,
        limit(options),
        |request| async move { preflight_one(graph, policy, &request).await },
        |_, _| {},
    )
    .await)
}

async fn issue_one(
    graph: &GraphClient,
    policy: Option<&TapPolicy>,
    request: TapRequest,
    options: &IssueOptions,
) -> IssueOutcome {
    if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
        return IssueOutcome::failed(
            request.upn,
            "cancelled before this user's pass was issued; run again for the users left",
        );
    }
    let upn = request.upn.clone();
    match try_issue(graph, policy, request, options).await {
        Ok(outcome) => outcome,
        Err(message) => IssueOutcome::failed(upn, message),
    }
}

/// One user: the shared checks, this run's policy targeting, then the shared issue function.
async fn try_issue(
    graph: &GraphClient,
    policy: Option<&TapPolicy>,
    request: TapRequest,
    options: &IssueOptions,
) -> Result<IssueOutcome, String> {
    let target = check_user(graph, policy, &request.upn).await?;
    if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
        return Err(
            "cancelled before this user's pass was issued; run again for the users left".into(),
        );
    }
    let choice = IssueTap {
        lifetime_minutes: request.lifetime_minutes.or(options.default_lifetime),
        usable_once: request.usable_once.or(options.default_usable_once),
        when_held: if options.replace_existing {
            WhenHeld::Replace
        } else {
            WhenHeld::Keep
        },
    };
    let issued = tap_issue::issue(graph, &target, &choice)
        .await
        .map_err(|e| e.to_string())?;
    let (status, tap) = match issued {
        Issued::New(tap) => (IssueStatus::Issued, tap),
        Issued::Replaced { tap, .. } => (IssueStatus::Replaced, tap),
        Issued::Kept(existing) => {
            return Ok(IssueOutcome {
                upn: request.upn,
                status: IssueStatus::AlreadyHasTap,
                tap: None,
                error: Some(format!(
                    "already has a Temporary Access Pass (starts {}, {} minutes); nothing changed. Its code cannot be shown again: use --replace to issue a new one",
                    existing.start_date_time.as_deref().unwrap_or("now"),
                    existing
                        .lifetime_in_minutes
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| "default".into())
                )),
                start_date_time: existing.start_date_time,
                lifetime_in_minutes: existing.lifetime_in_minutes,
                is_usable_once: existing.is_usable_once,
            });
        }
    };
    Ok(IssueOutcome {
        upn: request.upn,
        status,
        tap: Some(tap.code),
        error: None,
        start_date_time: tap.method.start_date_time,
        lifetime_in_minutes: tap.method.lifetime_in_minutes,
        is_usable_once: tap.method.is_usable_once,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_stable_ids() {
        assert_eq!(IssueStatus::AlreadyHasTap.id(), "already_has_tap");
        assert!(IssueStatus::Replaced.is_issued());
        assert!(!IssueStatus::Failed.is_issued());
    }
}
