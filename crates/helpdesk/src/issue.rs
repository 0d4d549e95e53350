//! Issues Temporary Access Passes for many users at once: checks the policy and each user first,
//! then issues a few at a time, reporting each result as it comes. The passes come back as
//! [`Secret`]s for the caller to show once.

use super::input::{InputError, TapRequest};
use super::policy::TapPolicy;
use super::user_check::{PreflightRow, check_user, methods_path, path_segment, preflight_one};
use futures::StreamExt;
use hb_graph::models::TapMethod;
use hb_graph::{ApiVersion, GraphClient, GraphError};
use hb_lab::{Secret, Upn};
use serde_json::json;
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
async fn checked_policy(
    graph: &GraphClient,
    requests: &[TapRequest],
    options: &IssueOptions,
) -> Result<TapPolicy, HelpdeskError> {
    let policy = TapPolicy::load(graph).await.map_err(|e| {
        HelpdeskError::Policy(format!("cannot read the Temporary Access Pass policy: {e}"))
    })?;
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
    Ok(policy)
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
    let policy = &policy;
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
    let policy = &policy;
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
    policy: &TapPolicy,
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

/// Graph's words for "the policy does not allow it" turned into what to do.
fn describe_post_error(e: &GraphError) -> String {
    let text = e.to_string();
    if text.contains("Converged UserCredentialPolicy") {
        return format!(
            "the Temporary Access Pass policy does not allow a pass for this user (it is off, or the user is outside its targets): check the policy's targets. ({text})"
        );
    }
    if text.to_ascii_lowercase().contains("guest") {
        return format!("a Temporary Access Pass cannot be issued to a guest user. ({text})");
    }
    text
}

async fn try_issue(
    graph: &GraphClient,
    policy: &TapPolicy,
    request: TapRequest,
    options: &IssueOptions,
) -> Result<IssueOutcome, String> {
    let user = check_user(graph, policy, &request.upn).await?;
    let mut replaced = false;
    if let Some(existing) = user.existing {
        if !options.replace_existing {
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
        let path = format!("{}/{}", methods_path(&user.id), path_segment(&existing.id));
        match graph.delete(ApiVersion::V1, &path).await {
            Ok(()) => replaced = true,
            Err(e) if e.is_not_found() => replaced = true,
            Err(e) => return Err(format!("cannot delete the current pass to replace it: {e}")),
        }
    }
    if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
        return Err(
            "cancelled before this user's pass was issued; run again for the users left".into(),
        );
    }
    let mut body = json!({});
    if let Some(minutes) = request.lifetime_minutes.or(options.default_lifetime) {
        body["lifetimeInMinutes"] = json!(minutes);
    }
    if let Some(once) = request.usable_once.or(options.default_usable_once) {
        body["isUsableOnce"] = json!(once);
    }
    let mut created = graph
        .post(ApiVersion::V1, &methods_path(&user.id), &body)
        .await
        .map_err(|e| describe_post_error(&e))?;
    let tap = created
        .as_object_mut()
        .and_then(|o| o.remove("temporaryAccessPass"))
        .and_then(|v| v.as_str().map(Secret::new))
        .ok_or("Graph created the pass but sent no code back: delete it in the Entra admin center and issue again")?;
    let method: TapMethod = serde_json::from_value(created)
        .map_err(|e| format!("unexpected answer from Graph for the new pass: {e}"))?;
    Ok(IssueOutcome {
        upn: request.upn,
        status: if replaced {
            IssueStatus::Replaced
        } else {
            IssueStatus::Issued
        },
        tap: Some(tap),
        error: None,
        start_date_time: method.start_date_time,
        lifetime_in_minutes: method.lifetime_in_minutes,
        is_usable_once: method.is_usable_once,
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
