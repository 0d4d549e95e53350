//! The wizard's help-desk page wired to the TAP service (`hb_helpdesk`): the page's plain types
//! in, the same checks, `$batch` issuing and reconcile as `tap issue` out.

use hb_graph::GraphClient;
use hb_helpdesk::outcome::window;
use hb_helpdesk::{IssueEvent, IssueOptions, IssueOutcome, IssueStatus, Place, TapRequest};
use hb_lab::Upn;
use hb_ui::pages::helpdesk::{
    BulkProgress, BulkRow, FoundUser, HelpdeskService, IssuedPass, PassChoice, Pending, PreviewRow,
    Verdict,
};

/// [`HelpdeskService`] on a Graph client signed in for help-desk work.
pub struct GraphHelpdesk {
    graph: GraphClient,
    account: String,
}

impl GraphHelpdesk {
    /// The service for `graph`, signed in as `account`.
    pub fn new(graph: GraphClient, account: impl Into<String>) -> Self {
        GraphHelpdesk {
            graph,
            account: account.into(),
        }
    }
}

fn options(choice: PassChoice, dry_run: bool) -> IssueOptions {
    IssueOptions {
        default_lifetime: choice.lifetime_minutes,
        default_usable_once: choice.usable_once.then_some(true),
        replace_existing: choice.replace,
        allow_privileged: choice.allow_privileged,
        dry_run,
        ..IssueOptions::default()
    }
}

/// The pass a user holds, in words.
fn describe(m: &hb_graph::models::TapMethod) -> String {
    let (start, end) = window(m);
    format!(
        "valid from {} until {}{}",
        start.as_deref().unwrap_or("now"),
        end.as_deref().unwrap_or("its end"),
        if m.is_usable_once == Some(true) {
            ", one-time"
        } else {
            ""
        }
    )
}

/// One user through the service; the one result.
async fn one(
    graph: &GraphClient,
    upn: &str,
    options: IssueOptions,
) -> Result<IssueOutcome, String> {
    let upn = Upn::parse(upn)?;
    let request = TapRequest::new(upn, Place::Argument(1));
    let mut result = None;
    let mut notes = Vec::new();
    hb_helpdesk::issue_taps(graph, &[request], &options, |e| match e {
        IssueEvent::Note(n) => notes.push(n),
        IssueEvent::Result { outcome, .. } => result = Some(outcome),
    })
    .await;
    result.ok_or_else(|| notes.join(" "))
}

impl HelpdeskService for GraphHelpdesk {
    fn account(&self) -> String {
        self.account.clone()
    }

    fn search(&self, text: String) -> Pending<Result<Vec<FoundUser>, String>> {
        let graph = self.graph.clone();
        Box::pin(async move {
            let found = hb_helpdesk::find_users(&graph, &text, 10)
                .await
                .map_err(|e| e.to_string())?;
            Ok(found
                .into_iter()
                .map(|f| FoundUser {
                    display_name: f
                        .user
                        .display_name
                        .clone()
                        .unwrap_or_else(|| f.user.user_principal_name.clone()),
                    upn: f.user.user_principal_name.clone(),
                    enabled: f.user.account_enabled != Some(false),
                    pass: f.pass.as_ref().map(describe),
                })
                .collect())
        })
    }

    fn preflight(&self, upn: String, choice: PassChoice) -> Pending<Result<Verdict, String>> {
        let graph = self.graph.clone();
        Box::pin(async move {
            // Asked without --replace first, so a pass the user holds shows up as such.
            let mut probe = choice;
            probe.replace = false;
            let outcome = one(&graph, &upn, options(probe, true)).await?;
            let reason = outcome.reason.unwrap_or_default();
            Ok(match outcome.status {
                IssueStatus::Ready => Verdict::Ready { replaces: None },
                _ if reason.starts_with("already holds") => Verdict::Ready {
                    replaces: Some(
                        reason
                            .split_once('(')
                            .and_then(|(_, r)| r.split_once(')'))
                            .map(|(r, _)| r.to_string())
                            .unwrap_or(reason.clone()),
                    ),
                },
                _ => Verdict::Refused(reason),
            })
        })
    }

    fn issue(&self, upn: String, choice: PassChoice) -> Pending<Result<IssuedPass, String>> {
        let graph = self.graph.clone();
        Box::pin(async move {
            let outcome = one(&graph, &upn, options(choice, false)).await?;
            match outcome.tap {
                Some(code) => Ok(IssuedPass {
                    upn: outcome.upn,
                    code,
                    start: outcome.start,
                    end: outcome.end,
                    usable_once: outcome.usable_once == Some(true),
                }),
                None => Err(outcome
                    .reason
                    .unwrap_or_else(|| "no pass was issued".into())),
            }
        })
    }

    fn preview_csv(&self, bytes: &[u8]) -> Result<Vec<PreviewRow>, String> {
        let input = hb_helpdesk::parse_csv(bytes).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        let mut rows: Vec<PreviewRow> = input
            .requests
            .iter()
            .filter_map(|r| {
                Some(PreviewRow {
                    line: r.line()?,
                    upn: r.upn.to_string(),
                    problem: None,
                })
            })
            .chain(input.rejected.iter().map(|r| PreviewRow {
                line: r.line,
                upn: r.upn.clone(),
                problem: Some(r.reason()),
            }))
            .collect();
        rows.sort_by_key(|r| r.line);
        Ok(rows)
    }

    fn issue_csv(
        &self,
        bytes: Vec<u8>,
        choice: PassChoice,
        progress: BulkProgress,
    ) -> Pending<Result<Vec<BulkRow>, String>> {
        let graph = self.graph.clone();
        Box::pin(async move {
            let input = hb_helpdesk::parse_csv(bytes.as_slice()).map_err(|errors| {
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
            let (outcomes, _notes) =
                hb_helpdesk::issue_all(&graph, &input.requests, &options(choice, false), |d, t| {
                    progress(d, t)
                })
                .await;
            let mut rows: Vec<BulkRow> = outcomes
                .into_iter()
                .map(|o| BulkRow {
                    line: o.line,
                    upn: o.upn,
                    status: o.status.id().to_string(),
                    reason: o.reason,
                    code: o.tap,
                    end: o.end,
                })
                .chain(input.rejected.iter().map(|r| BulkRow {
                    line: Some(r.line),
                    upn: r.upn.clone(),
                    status: IssueStatus::Skipped.id().to_string(),
                    reason: Some(r.reason()),
                    code: None,
                    end: None,
                }))
                .collect();
            rows.sort_by_key(|r| r.line);
            Ok(rows)
        })
    }
}
