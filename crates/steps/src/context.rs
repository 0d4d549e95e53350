//! The context a step controller runs in, and the contract every controller fulfils.

use hb_graph::{ApiVersion, GraphClient, GraphConfig};
use hb_host::HyperVHost;
use hb_lab::session_file::{SessionFile, SessionKind};
use hb_lab::{Evidence, Progress, Step, StepError, StepOptions, StepReport};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// Everything a controller may use. Cheap to clone; one per job.
#[derive(Clone)]
pub struct StepContext {
    pub graph: Option<Arc<GraphClient>>,
    pub host: Option<Arc<dyn HyperVHost>>,
    pub session: Arc<Mutex<SessionFile>>,
    pub kind: SessionKind,
    pub options: StepOptions,
    pub cancel: CancellationToken,
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<Progress>>,
}

impl StepContext {
    /// A context for one job on these backends, with its own cancel token and no progress
    /// listener; the session's backend and the command line both start their jobs here.
    pub fn new(
        graph: Option<Arc<GraphClient>>,
        host: Option<Arc<dyn HyperVHost>>,
        session: Arc<Mutex<SessionFile>>,
        kind: SessionKind,
        options: StepOptions,
    ) -> StepContext {
        StepContext {
            graph,
            host,
            session,
            kind,
            options,
            cancel: CancellationToken::new(),
            progress: None,
        }
    }

    /// The Graph client, or a clear error when none is configured.
    pub fn graph(&self) -> Result<&GraphClient, StepError> {
        self.graph.as_deref().ok_or_else(|| {
            StepError::Precondition("no Microsoft Graph connection: sign in first".into())
        })
    }

    /// The absolute URL of a Graph path as evidence shows it: our client's root when connected,
    /// Microsoft Graph's otherwise (evidence can be shown before anyone signs in).
    pub fn graph_url(&self, version: ApiVersion, path: &str) -> String {
        match &self.graph {
            Some(g) => g.url(version, path),
            None => format!(
                "{}/{}/{}",
                GraphConfig::PUBLIC_ROOT,
                version.segment(),
                path.trim_start_matches('/')
            ),
        }
    }

    /// The Hyper-V host, or a clear error when none is available on this machine.
    pub fn host(&self) -> Result<&dyn HyperVHost, StepError> {
        self.host.as_deref().ok_or_else(|| {
            StepError::Precondition(
                "no Hyper-V host here: host steps run on Windows 11 Pro/Enterprise, or in demo mode"
                    .into(),
            )
        })
    }

    /// Records an original value in the journal and saves the session file before the caller
    /// changes anything; returns an error (and so stops the change) if the file cannot be saved.
    pub async fn journal_original(
        &self,
        step: Step,
        key: &str,
        original: serde_json::Value,
    ) -> Result<(), StepError> {
        let mut session = self.session.lock().await;
        if session.journal.record(step, key, original) {
            session.save(self.kind).map_err(StepError::Session)?;
        }
        Ok(())
    }

    /// The journaled original for a step and key, if we changed it.
    pub async fn journaled(&self, step: Step, key: &str) -> Option<serde_json::Value> {
        self.session
            .lock()
            .await
            .journal
            .original(step, key)
            .cloned()
    }

    /// Forgets a journal entry after a successful revert and saves.
    pub async fn journal_forget(&self, step: Step, key: &str) -> Result<(), StepError> {
        let mut session = self.session.lock().await;
        session.journal.forget(step, key);
        session.save(self.kind).map_err(StepError::Session)
    }

    /// Sends a progress note, if anyone listens.
    pub fn progress(&self, step: Step, message: impl Into<String>, fraction: Option<f32>) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(Progress {
                step,
                message: message.into(),
                fraction,
            });
        }
    }

    /// Waits `duration`, or stops early with [`StepError::Cancelled`] when the job is cancelled.
    pub async fn sleep(&self, duration: Duration) -> Result<(), StepError> {
        tokio::select! {
            _ = tokio::time::sleep(duration) => Ok(()),
            _ = self.cancel.cancelled() => Err(StepError::Cancelled),
        }
    }

    /// Fails fast when the job was cancelled.
    pub fn check_cancelled(&self) -> Result<(), StepError> {
        if self.cancel.is_cancelled() {
            Err(StepError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// One lab step's logic, UI-free: `check` only reads, `apply` is idempotent, `revert` restores
/// what the journal recorded and nothing else, `evidence` says what `apply` would send.
#[async_trait::async_trait]
pub trait StepController: Send + Sync {
    fn step(&self) -> Step;

    /// Reads the current state; never changes anything.
    async fn check(&self, ctx: &StepContext) -> Result<StepReport, StepError>;

    /// Makes the state what the lab needs; a second call changes nothing and says so.
    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError>;

    /// Restores the journaled original values of this step.
    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError>;

    /// The equivalent requests / PowerShell and portal link, for showing before anything runs.
    fn evidence(&self, ctx: &StepContext) -> Evidence;
}
