//! What the help-desk page needs from the TAP service, in the UI's own plain types: the
//! composition layer implements it on `hb_helpdesk` (the same service the CLI runs), so this
//! crate never talks to Graph and the page is driven by tests against the emulator.

use hb_lab::Secret;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A future the page hands to the app's runtime.
pub type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Progress of a bulk run: `(done, total)`.
pub type BulkProgress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// A user as the type-ahead shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundUser {
    pub display_name: String,
    pub upn: String,
    pub enabled: bool,
    /// The pass they hold, in words (start, end, one-time); never its code.
    pub pass: Option<String>,
}

/// The agent's choices for a pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassChoice {
    /// `None`: the policy's default.
    pub lifetime_minutes: Option<u32>,
    pub usable_once: bool,
    pub replace: bool,
    pub allow_privileged: bool,
}

/// The preflight's answer for one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A pass can be issued; `replaces` says which pass it would replace.
    Ready { replaces: Option<String> },
    /// No pass: why, in plain words, and what to do.
    Refused(String),
}

/// A pass just issued: show it once, then drop it.
#[derive(Debug)]
pub struct IssuedPass {
    pub upn: String,
    pub code: Secret,
    pub start: Option<String>,
    pub end: Option<String>,
    pub usable_once: bool,
}

/// One row of a CSV as the preview shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewRow {
    pub line: usize,
    pub upn: String,
    /// What is wrong with the row (`None`: it will be sent).
    pub problem: Option<String>,
}

/// One user's result of a bulk run.
#[derive(Debug)]
pub struct BulkRow {
    pub line: Option<usize>,
    pub upn: String,
    /// `issued`, `replaced`, `skipped`, `failed`.
    pub status: String,
    pub reason: Option<String>,
    pub code: Option<Secret>,
    pub end: Option<String>,
}

/// One line of the local audit trail (the same as `tap audit`): never a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// When, RFC 3339 in UTC.
    pub time: String,
    /// The signed-in account that did it.
    pub actor: String,
    pub upn: String,
    /// `issued`, `replaced`, `revoked`.
    pub action: String,
    /// The pass's kind in words: lifetime, one-time or reusable, after a lost answer.
    pub detail: String,
}

/// The TAP service as the page uses it.
pub trait HelpdeskService: Send + Sync {
    /// Who is signed in for help-desk work (shown on the page).
    fn account(&self) -> String;
    /// Users whose name or UPN contains `text`.
    fn search(&self, text: String) -> Pending<Result<Vec<FoundUser>, String>>;
    /// Every check for one user, nothing issued.
    fn preflight(&self, upn: String, choice: PassChoice) -> Pending<Result<Verdict, String>>;
    /// Issues one pass (`Err`: why none was issued).
    fn issue(&self, upn: String, choice: PassChoice) -> Pending<Result<IssuedPass, String>>;
    /// Reads a CSV file's rows, each with its problem (`Err`: the file as a whole is unusable).
    fn preview_csv(&self, bytes: &[u8]) -> Result<Vec<PreviewRow>, String>;
    /// The local audit trail, newest first.
    fn audit(&self) -> Pending<Result<Vec<AuditRow>, String>>;
    /// Issues for every good row of a CSV file.
    fn issue_csv(
        &self,
        bytes: Vec<u8>,
        choice: PassChoice,
        progress: BulkProgress,
    ) -> Pending<Result<Vec<BulkRow>, String>>;
}
