//! Help-desk TAP issuing: a Temporary Access Pass for one user or a CSV of thousands, every user
//! checked first (enabled, inside the policy's targets, not an administrator unless asked, pass
//! already held), bulk through `$batch` as fast as Graph allows, lost answers reconciled so no
//! user holds a pass nobody saw, passes handed back once as secrets, a local audit trail, and a
//! CLI (`hello-bootstrap tap …`) whose exit code scripts can trust.

pub mod audit;
pub mod bulk;
pub mod cli;
pub mod csv_input;
pub mod input;
pub mod issue;
pub mod outcome;
pub mod pace;
pub mod policy;
mod units;

pub use bulk::{IssueEvent, IssueOptions, issue_taps};
pub use cli::{TapArgs, TapIssueArgs, run, run_cli};
pub use csv_input::{CsvInput, RejectedRow, parse_csv};
pub use input::{InputError, Place, TapRequest};
pub use issue::{FoundUser, find_users, issue_all, list_passes, revoke_passes};
pub use outcome::{IssueOutcome, IssueStatus, Totals};
pub use policy::{TapPolicy, Targeting};
