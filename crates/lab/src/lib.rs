//! The lab domain: the seven steps, their controllers' contract, the evidence they show, the change
//! journal that makes revert exact, and the session file that makes resume possible.

pub mod escape;
pub mod evidence;
pub mod ids;
pub mod journal;
pub mod outcome;
pub mod paths;
pub mod run_lock;
pub mod secret;
pub mod session;
pub mod session_file;
pub mod status;
pub mod step;

pub use evidence::{
    Evidence, EvidenceIds, GraphRequest, PortalLink, ValidationRow, ValidationState,
    pasteable_powershell, wrap_url,
};
pub use ids::{AuthMethodId, DeviceId, DeviceObjectId, ManagedDeviceId, TenantId, Upn, UserId};
pub use journal::{Journal, JournalEntry};
pub use outcome::{Progress, StepError, StepOptions, StepReport, TAP_NOT_OURS_ROW};
pub use secret::Secret;
pub use status::StepStatus;
pub use step::Step;
