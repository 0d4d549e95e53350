//! Help-desk work wired to the TAP service (`hb_helpdesk`): the sign-in that asks for only
//! [`HELPDESK_SCOPES`] (the `tap` commands and the wizard's help-desk mode share it), and the
//! wizard's help-desk page on it: the page's plain types in, the same checks, `$batch` issuing,
//! reconcile and audit trail as `tap issue` out.

use super::env::{
    DemoCloud, DemoOptions, EnvError, RealOptions, demo_auth, demo_graph_config,
    sign_in_cancellable, wizard_reporters,
};
use hb_auth::cli::AuthOptions;
use hb_auth::session::AuthSession;
use hb_emulator::EmulatorHandle;
use hb_graph::{GraphClient, GraphConfig};
use hb_helpdesk::HELPDESK_SCOPES;
use hb_helpdesk::audit::{self, AuditEntry};
use hb_helpdesk::outcome::window;
use hb_helpdesk::{IssueEvent, IssueOptions, IssueOutcome, IssueStatus, Place, TapRequest};
use hb_lab::Upn;
use hb_lab::session::ConnectAttempt;
use hb_ui::pages::helpdesk::{
    AuditRow, BulkProgress, BulkRow, FoundUser, HelpdeskService, IssuedPass, PassChoice, Pending,
    PreviewRow, Verdict,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A Graph client signed in for help-desk work only, and what must outlive it.
pub struct HelpdeskConnection {
    pub graph: Arc<GraphClient>,
    /// The signed-in account (for the page), once [`HelpdeskConnection::with_account`] asked.
    pub account: String,
    /// The sign-in behind `graph` (absent with a token from the environment).
    pub session: Option<Arc<AuthSession>>,
    /// The demo's emulated tenant, kept running while this connection lives.
    _cloud: Option<Arc<EmulatorHandle>>,
}

impl HelpdeskConnection {
    /// Learns who is signed in (`/me`), for the wizard's page. The CLI skips it: bad input must
    /// reach no Graph endpoint, and `tap issue` asks only when it has something to record.
    pub async fn with_account(mut self) -> Result<Self, EnvError> {
        self.account = hb_graph::api::directory::me(&self.graph)
            .await
            .map_err(|e| {
                EnvError::failure(format!(
                    "signed in, but Graph does not say who you are: {e}"
                ))
            })?
            .user_principal_name;
        Ok(self)
    }
}

/// Signs in with exactly [`HELPDESK_SCOPES`] (or takes `HELLO_BOOTSTRAP_ACCESS_TOKEN`).
/// Signing in now, not at the first call, puts the browser wait and
/// its failure at the start, where the person expects them. With `attempt` (the wizard) the
/// wait is reported there, as the lab's sign-in reports it, and its Cancel ends the wait; the
/// CLI has none and prints the device code prompt itself.
async fn sign_in(
    auth: &AuthOptions,
    config: GraphConfig,
    cloud: Option<Arc<EmulatorHandle>>,
    attempt: Option<&ConnectAttempt>,
) -> Result<HelpdeskConnection, EnvError> {
    let reporters = attempt.map(wizard_reporters).unwrap_or_default();
    let signed_in =
        hb_auth::cli::token_source_for_scopes(auth, HELPDESK_SCOPES.to_vec(), reporters)
            .map_err(|e| EnvError::usage(format!("cannot sign in for help-desk work: {e}")))?;
    if let Some(session) = &signed_in.session {
        match attempt {
            Some(attempt) => {
                sign_in_cancellable(session, attempt).await?;
                attempt.working();
            }
            None => session.token().await.map(|_| ()).map_err(|e| {
                EnvError::failure(format!("cannot sign in for help-desk work: {e}"))
            })?,
        }
    }
    let graph = Arc::new(
        GraphClient::new(config, signed_in.tokens.clone())
            .map_err(|e| EnvError::failure(e.to_string()))?,
    );
    Ok(HelpdeskConnection {
        graph,
        account: String::new(),
        session: signed_in.session,
        _cloud: cloud,
    })
}

/// Help-desk work on a real tenant, signed in with `auth` for [`HELPDESK_SCOPES`] only.
pub async fn connect_real(
    real: &RealOptions,
    auth: &AuthOptions,
    attempt: Option<&ConnectAttempt>,
) -> Result<HelpdeskConnection, EnvError> {
    let root = real
        .graph_url
        .as_deref()
        .unwrap_or(GraphConfig::PUBLIC_ROOT);
    let config = GraphConfig::from_root(root).map_err(|e| EnvError::usage(e.to_string()))?;
    sign_in(auth, config, None, attempt).await
}

/// Help-desk work on the demo's emulated tenant (`cloud`'s, started if not running), signed in
/// as its admin through its own login endpoints for [`HELPDESK_SCOPES`] only.
pub async fn connect_demo(
    options: &DemoOptions,
    cloud: &DemoCloud,
    attempt: Option<&ConnectAttempt>,
) -> Result<HelpdeskConnection, EnvError> {
    let handle = cloud.get_or_start(options).await?;
    let config = demo_graph_config(&handle, options)?;
    let auth = demo_auth(&handle).map_err(EnvError::failure)?;
    sign_in(&auth, config, Some(handle), attempt).await
}

/// [`HelpdeskService`] on a Graph client signed in for help-desk work.
pub struct GraphHelpdesk {
    graph: Arc<GraphClient>,
    account: String,
    /// Where issued and revoked passes are recorded (the same trail as `tap audit`).
    audit_path: PathBuf,
    _connection: Option<Arc<HelpdeskConnection>>,
}

impl GraphHelpdesk {
    /// The service for `graph`, signed in as `account`, recording in the default audit trail.
    pub fn new(graph: GraphClient, account: impl Into<String>) -> Self {
        GraphHelpdesk {
            graph: Arc::new(graph),
            account: account.into(),
            audit_path: audit::default_path(),
            _connection: None,
        }
    }

    /// The service on a help-desk sign-in, which it keeps alive.
    pub fn on(connection: HelpdeskConnection) -> Self {
        let connection = Arc::new(connection);
        GraphHelpdesk {
            graph: connection.graph.clone(),
            account: connection.account.clone(),
            audit_path: audit::default_path(),
            _connection: Some(connection),
        }
    }
}

/// One trail entry in the page's words, as `tap audit` says it.
fn audit_row(e: &AuditEntry) -> AuditRow {
    let lifetime = e
        .lifetime_minutes
        .map_or("lifetime unknown".to_string(), |m| format!("{m} min"));
    let kind = if e.usable_once == Some(true) {
        "one-time"
    } else {
        "reusable"
    };
    AuditRow {
        time: e.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        actor: e.actor.clone(),
        upn: e.upn.clone(),
        action: match e.action {
            audit::AuditAction::Issued => "issued",
            audit::AuditAction::Replaced => "replaced",
            audit::AuditAction::Revoked => "revoked",
        }
        .to_string(),
        detail: format!(
            "{lifetime}, {kind}{}",
            if e.reconciled {
                ", after a lost answer"
            } else {
                ""
            }
        ),
    }
}

/// Records issued and replaced passes (never a code) in the trail `tap audit` reads; a trail
/// that cannot be written is said, and the passes stand.
fn record(path: &Path, actor: &str, outcomes: &[&IssueOutcome]) -> Option<String> {
    let now = chrono::Utc::now();
    let entries: Vec<AuditEntry> = outcomes
        .iter()
        .filter_map(|o| AuditEntry::of_outcome(actor, o, now))
        .collect();
    audit::append(path, &entries).err()
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
        let (path, actor) = (self.audit_path.clone(), self.account.clone());
        Box::pin(async move {
            let outcome = one(&graph, &upn, options(choice, false)).await?;
            if let Some(e) = record(&path, &actor, &[&outcome]) {
                tracing::warn!("{e}");
            }
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

    fn audit(&self) -> Pending<Result<Vec<AuditRow>, String>> {
        let path = self.audit_path.clone();
        Box::pin(async move {
            let entries = tokio::task::spawn_blocking(move || audit::read(&path))
                .await
                .map_err(|e| format!("the audit trail could not be read: {e}"))??;
            Ok(entries.iter().rev().map(audit_row).collect())
        })
    }

    fn issue_csv(
        &self,
        bytes: Vec<u8>,
        choice: PassChoice,
        progress: BulkProgress,
    ) -> Pending<Result<Vec<BulkRow>, String>> {
        let graph = self.graph.clone();
        let (path, actor) = (self.audit_path.clone(), self.account.clone());
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
            if let Some(e) = record(&path, &actor, &outcomes.iter().collect::<Vec<_>>()) {
                tracing::warn!("{e}");
            }
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
