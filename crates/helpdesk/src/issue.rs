//! The TAP service's entry points for callers that want all results at once (the wizard's bulk
//! tab, the benchmark), and the one-user operations the wizard and `tap list` / `tap revoke`
//! use: find users, list a user's pass, delete it.

use super::bulk::{IssueEvent, IssueOptions, issue_taps};
use super::input::TapRequest;
use super::outcome::IssueOutcome;
use hb_graph::api::helpdesk::search_users;
use hb_graph::api::{UserRef, auth_methods, users};
use hb_graph::models::{TapMethod, User};
use hb_graph::{GraphClient, GraphError};
use hb_lab::Upn;

/// Issues for every request and returns the results in request order: the function to time
/// for bulk issuing (`$batch`, bounded concurrency, reconcile). `on_progress(done, total)` is
/// called as each user's result is known; notes for the whole run come back beside the results.
pub async fn issue_all(
    graph: &GraphClient,
    requests: &[TapRequest],
    options: &IssueOptions,
    mut on_progress: impl FnMut(usize, usize),
) -> (Vec<IssueOutcome>, Vec<String>) {
    let mut slots: Vec<Option<IssueOutcome>> = (0..requests.len()).map(|_| None).collect();
    let mut notes = Vec::new();
    let by_key: std::collections::HashMap<String, usize> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.upn.as_str().to_ascii_lowercase(), i))
        .collect();
    let mut extra = Vec::new();
    issue_taps(graph, requests, options, |event| match event {
        IssueEvent::Note(n) => notes.push(n),
        IssueEvent::Result {
            outcome,
            done,
            total,
        } => {
            on_progress(done, total);
            match by_key.get(&outcome.upn.to_ascii_lowercase()) {
                Some(&i) if slots[i].is_none() => slots[i] = Some(outcome),
                _ => extra.push(outcome),
            }
        }
    })
    .await;
    let mut all: Vec<IssueOutcome> = slots.into_iter().flatten().collect();
    all.extend(extra);
    (all, notes)
}

/// A user as the type-ahead shows them, with the pass they hold (never its code).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundUser {
    pub user: User,
    pub pass: Option<TapMethod>,
}

/// Users whose name or UPN contains `text`, at most `top`, each with their current pass.
pub async fn find_users(
    graph: &GraphClient,
    text: &str,
    top: u32,
) -> Result<Vec<FoundUser>, GraphError> {
    let found = search_users(graph, text, top).await?;
    let mut out = Vec::with_capacity(found.len());
    for user in found {
        let pass = auth_methods::list_taps(graph, &user.id)
            .await
            .ok()
            .and_then(|l| l.into_iter().find(TapMethod::is_active));
        out.push(FoundUser { user, pass });
    }
    Ok(out)
}

/// The user and every pass Graph lists for them (`tap list UPN`).
pub async fn list_passes(
    graph: &GraphClient,
    upn: &Upn,
) -> Result<(User, Vec<TapMethod>), GraphError> {
    let user = users::get(graph, upn).await?;
    let passes = auth_methods::list_taps(graph, &user.id).await?;
    Ok((user, passes))
}

/// Deletes every pass the user holds (`tap revoke UPN`); returns what was deleted.
pub async fn revoke_passes(graph: &GraphClient, upn: &Upn) -> Result<Vec<TapMethod>, GraphError> {
    let (user, passes) = list_passes(graph, upn).await?;
    for pass in &passes {
        auth_methods::delete_tap(graph, UserRef::Id(&user.id), &pass.id).await?;
    }
    Ok(passes)
}
