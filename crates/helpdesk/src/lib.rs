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

/// The delegated Graph permissions help-desk work needs, least privileged first, so a sign-in
/// for it asks for these and nothing of the lab's: read users for search (`User.Read.All`,
/// also another user's memberships), create and delete passes
/// (`UserAuthenticationMethod.ReadWrite.All`), read directory roles in full so an administrator
/// is recognised by template id (`RoleManagement.Read.Directory`; without it Graph returns
/// roles with limited information and such users are refused unless allowed), the TAP policy's
/// bounds and targets (`Policy.Read.All`; an Authentication Administrator holds no role that
/// may read it, so it is optional and Graph then decides), and the signed-in account
/// (`User.Read`).
pub const HELPDESK_SCOPES: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "RoleManagement.Read.Directory",
    "Policy.Read.All",
];

pub use bulk::{IssueEvent, IssueOptions, issue_taps};
pub use cli::{TapArgs, TapIssueArgs, run, run_cli};
pub use csv_input::{CsvInput, RejectedRow, parse_csv};
pub use input::{InputError, Place, TapRequest};
pub use issue::{FoundUser, find_users, issue_all, list_passes, revoke_passes};
pub use outcome::{IssueOutcome, IssueStatus, Totals};
pub use policy::{TapPolicy, Targeting};
