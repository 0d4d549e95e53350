//! Help-desk TAP issuing: a Temporary Access Pass for one user or a CSV of users, with the policy
//! and every user checked first, passes handed back once as secrets, and a CLI
//! (`hello-bootstrap tap issue`) whose exit code scripts can trust.

pub mod cli;
pub mod csv_input;
pub mod input;
pub mod issue;
pub mod policy;
pub mod user_check;

pub use cli::{TapIssueArgs, run, run_cli};
pub use csv_input::parse_csv;
pub use input::{InputError, Place, TapRequest};
pub use issue::{
    HelpdeskError, IssueOptions, IssueOutcome, IssueProgress, IssueStatus, issue_taps, preflight,
};
pub use policy::{TapPolicy, Targeting};
pub use user_check::{PreflightRow, Verdict};
