//! The TAP service's run: check the policy once, read every user in `$batch` calls (account,
//! current pass, directory roles, groups when the policy needs them), judge each, then issue for
//! those ready, 20 a call, as fast as Graph allows. When an answer to issuing is lost, the user's
//! passes are read again and a pass we created but never saw is deleted and issued again
//! ([`reconcile`]), so every result is the one valid pass the user holds, and it was shown.

use super::input::TapRequest;
use super::outcome::{IssueOutcome, IssueStatus};
use super::pace::Pace;
use super::policy::{TapPolicy, Targeting};
use super::units::{Unit, answer_lost, run_units};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use hb_graph::api::helpdesk::{Privilege, roles_path, user_path};
use hb_graph::api::{UserRef, auth_methods};
use hb_graph::models::{DirectoryObject, NewTap, TapMethod, User};
use hb_graph::tap_issue::{self, IssueError, IssueTap};
use hb_graph::{BatchRequest, BatchResponse, GraphClient, GraphError};
use hb_lab::UserId;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

/// Choices that apply to the whole run.
#[derive(Clone, Debug, Default)]
pub struct IssueOptions {
    /// Lifetime for requests that do not set their own (`None`: the policy's default).
    pub default_lifetime: Option<u32>,
    /// One-time use for requests that do not set it (`None`: the policy's default).
    pub default_usable_once: Option<bool>,
    /// Start for requests that do not set their own (`None`: now).
    pub default_start: Option<DateTime<Utc>>,
    /// Issue a new pass to users who hold one (the old one stops working).
    pub replace_existing: bool,
    /// Issue to users who hold a privileged directory role.
    pub allow_privileged: bool,
    /// Check everything, issue nothing.
    pub dry_run: bool,
    /// `$batch` calls in flight at most; 0 means [`crate::pace::DEFAULT_CONCURRENCY`].
    pub concurrency: usize,
    /// Stops sending for users not started yet; those in flight finish and are reported.
    pub cancel: CancellationToken,
}

/// What a run tells its caller as it goes.
#[derive(Debug)]
pub enum IssueEvent {
    /// Something to say once for the whole run (e.g. the policy cannot be read).
    Note(String),
    /// One user's result; `done` of `total` users have one now.
    Result {
        outcome: IssueOutcome,
        done: usize,
        total: usize,
    },
}

/// A user who passed every check and gets a pass.
struct Ready {
    index: usize,
    user_id: UserId,
    previous: Option<TapMethod>,
    body: NewTap,
}

struct Run<'a, F: FnMut(IssueEvent)> {
    requests: &'a [TapRequest],
    done: usize,
    reported: Vec<bool>,
    on_event: F,
}

impl<F: FnMut(IssueEvent)> Run<'_, F> {
    fn report(&mut self, index: usize, outcome: IssueOutcome) {
        if std::mem::replace(&mut self.reported[index], true) {
            return;
        }
        self.done += 1;
        let total = self.reported.len();
        (self.on_event)(IssueEvent::Result {
            outcome,
            done: self.done,
            total,
        });
    }

    fn line_upn(&self, index: usize) -> (Option<usize>, String) {
        let r = &self.requests[index];
        (r.line(), r.upn.to_string())
    }

    fn skip(&mut self, index: usize, reason: impl Into<String>) {
        let (line, upn) = self.line_upn(index);
        self.report(index, IssueOutcome::skipped(line, upn, reason));
    }

    fn fail(&mut self, index: usize, reason: impl Into<String>) {
        let (line, upn) = self.line_upn(index);
        self.report(index, IssueOutcome::failed(line, upn, reason));
    }
}

/// The run: one result per request through `on_event`, as each is known (in no fixed order).
/// Every request gets exactly one result, also when `options.cancel` fires (those not started
/// are reported skipped).
pub async fn issue_taps(
    graph: &GraphClient,
    requests: &[TapRequest],
    options: &IssueOptions,
    on_event: impl FnMut(IssueEvent),
) {
    if requests.is_empty() {
        return;
    }
    let mut run = Run {
        requests,
        done: 0,
        reported: vec![false; requests.len()],
        on_event,
    };
    let policy = match TapPolicy::load(graph).await {
        Ok(policy) => Some(policy),
        Err(e) if e.status() == Some(403) => {
            (run.on_event)(IssueEvent::Note(format!(
                "The signed-in account may not read the Temporary Access Pass policy ({}), so its lifetime bounds and targets are not checked here: Microsoft Graph decides for each user, and its refusals are reported per user.",
                e.code().unwrap_or("403")
            )));
            None
        }
        Err(e) => {
            let reason = format!("cannot read the Temporary Access Pass policy: {e}");
            for i in 0..requests.len() {
                run.fail(i, reason.clone());
            }
            return;
        }
    };
    if let Some(reason) = policy.as_ref().and_then(TapPolicy::blocker) {
        for i in 0..requests.len() {
            run.skip(i, reason.clone());
        }
        return;
    }
    let pace = Pace::new(options.concurrency);
    let mut candidates = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        match choice(request, options, policy.as_ref()) {
            Ok(choice) => candidates.push((i, choice)),
            Err(reason) => run.skip(i, reason),
        }
    }
    let ready = preflight(
        graph,
        &mut run,
        &candidates,
        policy.as_ref(),
        options,
        &pace,
    )
    .await;
    if options.dry_run {
        for r in ready {
            let (line, upn) = run.line_upn(r.index);
            let mut outcome = IssueOutcome::skipped(
                line,
                upn,
                match &r.previous {
                    Some(_) => {
                        "ready: holds a pass that --replace would replace; nothing issued (dry run)"
                    }
                    None => "ready; nothing issued (dry run)",
                },
            );
            outcome.status = IssueStatus::Ready;
            run.report(r.index, outcome);
        }
        return;
    }
    issue_ready(graph, &mut run, ready, &pace, &options.cancel).await;
    for i in 0..requests.len() {
        if !run.reported[i] {
            run.skip(
                i,
                "stopped before this user's turn: nothing was issued to them; run again for the users left",
            );
        }
    }
}

/// The pass asked for by a request, with the run's defaults, checked against the policy's
/// bounds when it could be read.
fn choice(
    request: &TapRequest,
    options: &IssueOptions,
    policy: Option<&TapPolicy>,
) -> Result<IssueTap, String> {
    let choice = IssueTap {
        lifetime_minutes: request.lifetime_minutes.or(options.default_lifetime),
        usable_once: request.usable_once.or(options.default_usable_once),
        when_held: Default::default(),
        start: request.start.or(options.default_start),
    };
    let field = |name: &str| match request.line() {
        Some(line) => format!("line {line}, field {name}: "),
        None => String::new(),
    };
    if let Some(policy) = policy {
        if let Some(minutes) = choice.lifetime_minutes
            && let Err(m) = policy.check_lifetime(minutes)
        {
            let from = if request.lifetime_minutes.is_some() {
                field("lifetime_minutes")
            } else {
                "--lifetime: ".into()
            };
            return Err(format!("{from}{m}"));
        }
        if let Some(once) = choice.usable_once
            && let Err(m) = policy.check_usable_once(once)
        {
            return Err(format!("{}{m}", field("usable_once")));
        }
    }
    Ok(choice)
}

fn decode<T: DeserializeOwned>(response: &BatchResponse) -> Result<T, GraphError> {
    if let Some(e) = response.error() {
        return Err(e);
    }
    serde_json::from_value(response.body.clone().unwrap_or_default()).map_err(|e| {
        GraphError::Decode {
            status: response.status,
            url: "$batch".into(),
            reason: e.to_string(),
        }
    })
}

#[derive(serde::Deserialize)]
struct List<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
}

/// Reads every candidate in `$batch` calls and reports those who cannot have a pass.
async fn preflight<F: FnMut(IssueEvent)>(
    graph: &GraphClient,
    run: &mut Run<'_, F>,
    candidates: &[(usize, IssueTap)],
    policy: Option<&TapPolicy>,
    options: &IssueOptions,
    pace: &Pace,
) -> Vec<Ready> {
    let needs_groups = policy.is_some_and(TapPolicy::needs_groups);
    let units: Vec<Unit> = candidates
        .iter()
        .map(|(i, _)| {
            let user = UserRef::Upn(&run.requests[*i].upn);
            let mut requests = vec![
                BatchRequest::get_path(&user_path(user)),
                BatchRequest::get_path(&auth_methods::tap_methods_path(user)),
                BatchRequest::get_path(&roles_path(user)),
            ];
            if needs_groups {
                requests.push(BatchRequest::get_path(
                    &user
                        .path()
                        .seg("transitiveMemberOf/microsoft.graph.group")
                        .query("$select", "id"),
                ));
            }
            Unit {
                requests,
                safe: true,
            }
        })
        .collect();
    let mut ready = Vec::new();
    run_units(graph, &units, pace, &options.cancel, |u, answer| {
        let (index, choice) = candidates[u];
        let verdict = match answer {
            Ok(responses) => judge(&responses, policy, options, choice).map_err(Verdict::into_text),
            Err(e) => Err(Text::Fail(e.to_string())),
        };
        match verdict {
            Ok((user_id, previous, body)) => ready.push(Ready {
                index,
                user_id,
                previous,
                body,
            }),
            Err(Text::Skip(reason)) => run.skip(index, reason),
            Err(Text::Fail(reason)) => run.fail(index, reason),
        }
    })
    .await;
    ready.sort_by_key(|r| r.index);
    ready
}

/// Why a user gets no pass: a check said no (skipped), or Graph failed (failed).
enum Verdict {
    Skip(String),
    Fail(GraphError),
}

enum Text {
    Skip(String),
    Fail(String),
}

impl Verdict {
    fn into_text(self) -> Text {
        match self {
            Verdict::Skip(s) => Text::Skip(s),
            Verdict::Fail(e) => Text::Fail(e.to_string()),
        }
    }
}

/// One user's reads judged: the user's id and current pass, and the POST body, or why not.
fn judge(
    responses: &[BatchResponse],
    policy: Option<&TapPolicy>,
    options: &IssueOptions,
    choice: IssueTap,
) -> Result<(UserId, Option<TapMethod>, NewTap), Verdict> {
    let user: User = decode(&responses[0]).map_err(|e| {
        if e.is_not_found() {
            Verdict::Skip(IssueError::NoSuchUser.to_string())
        } else {
            Verdict::Fail(e)
        }
    })?;
    tap_issue::check_user(&user).map_err(|e| Verdict::Skip(e.to_string()))?;
    if let Some(policy) = policy {
        let groups = responses
            .get(3)
            .and_then(|r| decode::<List<DirectoryObject>>(r).ok())
            .map(|l| l.value.into_iter().filter_map(|g| g.id).collect::<Vec<_>>());
        let groups = if policy.needs_groups() {
            groups
        } else {
            Some(Vec::new())
        };
        if let Targeting::NotTargeted(reason) =
            policy.targeting(user.id.as_str(), groups.as_deref())
        {
            return Err(Verdict::Skip(reason));
        }
    }
    if !options.allow_privileged {
        let privilege = match decode::<List<DirectoryObject>>(&responses[2]) {
            Ok(roles) => Privilege::of(&roles.value),
            Err(e) => {
                return Err(Verdict::Skip(format!(
                    "this user's directory roles cannot be read ({e}), so it cannot be ruled out that they are an administrator: nothing issued; use --allow-privileged if you have checked them"
                )));
            }
        };
        match privilege {
            Privilege::None => {}
            Privilege::Roles(names) => {
                return Err(Verdict::Skip(format!(
                    "holds the privileged role {}: a Temporary Access Pass for them signs in as an administrator, so none was issued. If that is intended, use --allow-privileged (in the wizard: tick \"Allow a privileged user\")",
                    names.join(", ")
                )));
            }
            Privilege::Unreadable(n) => {
                return Err(Verdict::Skip(format!(
                    "holds {n} directory role{} whose kind this sign-in may not read (it needs RoleManagement.Read.Directory), so none was issued; use --allow-privileged if you have checked them",
                    if n == 1 { "" } else { "s" }
                )));
            }
        }
    }
    let passes: List<TapMethod> = decode(&responses[1]).map_err(Verdict::Fail)?;
    let previous = passes.value.into_iter().find(TapMethod::is_active);
    if let Some(current) = &previous
        && !options.replace_existing
    {
        let (start, end) = super::outcome::window(current);
        return Err(Verdict::Skip(format!(
            "already holds a {} Temporary Access Pass (valid from {} until {}); nothing changed, and its code cannot be shown again. Use --replace to issue a new one (the current one stops working)",
            if current.is_usable_once == Some(true) {
                "one-time"
            } else {
                "reusable"
            },
            start.as_deref().unwrap_or("now"),
            end.as_deref().unwrap_or("its end"),
        )));
    }
    Ok((user.id, previous, choice.body()))
}

/// Issues for every ready user, 20 a `$batch` call; lost answers go to [`reconcile`].
async fn issue_ready<F: FnMut(IssueEvent)>(
    graph: &GraphClient,
    run: &mut Run<'_, F>,
    ready: Vec<Ready>,
    pace: &Pace,
    cancel: &CancellationToken,
) {
    let units: Vec<Unit> = ready
        .iter()
        .map(|r| Unit {
            requests: vec![BatchRequest::with_body(
                "POST",
                auth_methods::tap_methods_path(UserRef::Id(&r.user_id)).relative(),
                serde_json::to_value(&r.body).unwrap_or_default(),
            )],
            safe: false,
        })
        .collect();
    let mut lost = Vec::new();
    run_units(graph, &units, pace, cancel, |u, answer| {
        let r = &ready[u];
        let (line, upn) = run.line_upn(r.index);
        match answer {
            Err(e) if answer_lost(&e) => lost.push(u),
            Err(e) => run.fail(r.index, tap_issue::from_post(e).to_string()),
            Ok(responses) => {
                let response = &responses[0];
                match response.error() {
                    Some(e) if answer_lost(&e) => lost.push(u),
                    Some(e) => run.fail(r.index, tap_issue::from_post(e).to_string()),
                    None => match auth_methods::created_tap_from(
                        response.body.clone().unwrap_or_default(),
                    ) {
                        Ok(created) => run.report(
                            r.index,
                            IssueOutcome::issued(
                                line,
                                upn,
                                r.previous.is_some(),
                                &created.method,
                                created.code,
                            ),
                        ),
                        Err(_) => lost.push(u),
                    },
                }
            }
        }
    })
    .await;
    let limit = pace.limit().max(1);
    let mut reconciled = futures::stream::iter(lost.into_iter().map(|u| {
        let r = &ready[u];
        async move { (r.index, reconcile(graph, r).await) }
    }))
    .buffer_unordered(limit);
    while let Some((index, result)) = reconciled.next().await {
        let (line, upn) = run.line_upn(index);
        match result {
            Ok((method, code)) => {
                let replaced = ready
                    .iter()
                    .any(|r| r.index == index && r.previous.is_some());
                let mut outcome = IssueOutcome::issued(line, upn, replaced, &method, code);
                outcome.reconciled = true;
                outcome.reason = Some(
                    "the answer to the first request was lost; the pass it created, which nobody saw, was deleted and this one issued instead".into(),
                );
                run.report(index, outcome);
            }
            Err(reason) => run.fail(index, reason),
        }
    }
}

/// Attempts at issuing again after a lost answer.
const RECONCILE_ATTEMPTS: u32 = 5;

/// After a lost answer: read the user's passes; one that is not the pass they held before was
/// created for our request and nobody saw its code, so delete it; then issue again (directly),
/// until an answer arrives. `Err` says what is left to do by hand.
async fn reconcile(
    graph: &GraphClient,
    ready: &Ready,
) -> Result<(TapMethod, hb_lab::Secret), String> {
    let user = UserRef::Id(&ready.user_id);
    let previous = ready.previous.as_ref().map(|p| &p.id);
    for _ in 0..RECONCILE_ATTEMPTS {
        let listed = auth_methods::list_taps(graph, user).await.map_err(|e| {
            format!(
                "the answer to issuing was lost and the user's passes cannot be read again ({e}): a pass may exist whose code nobody saw; check with `tap list` and remove it with `tap revoke`"
            )
        })?;
        for unseen in listed.iter().filter(|m| Some(&m.id) != previous) {
            auth_methods::delete_tap(graph, user, &unseen.id)
                .await
                .or_else(|e| if e.is_not_found() { Ok(()) } else { Err(e) })
                .map_err(|e| {
                    format!(
                        "a pass was created but its answer was lost, and deleting it failed ({e}): remove it with `tap revoke` so nobody holds a pass no one saw"
                    )
                })?;
        }
        match auth_methods::create_tap(graph, user, &ready.body).await {
            Ok(created) => return Ok((created.method, created.code)),
            Err(e) if answer_lost(&e) => continue,
            Err(e) => return Err(tap_issue::from_post(e).to_string()),
        }
    }
    // Leave no pass nobody saw behind.
    if let Ok(listed) = auth_methods::list_taps(graph, user).await {
        for unseen in listed.iter().filter(|m| Some(&m.id) != previous) {
            let _ = auth_methods::delete_tap(graph, user, &unseen.id).await;
        }
    }
    Err(format!(
        "every answer to issuing was lost ({RECONCILE_ATTEMPTS} tries); any pass created was deleted again. Check the network and run again for this user"
    ))
}
