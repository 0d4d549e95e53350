//! The lab domain: the seven steps, their controllers' contract, the evidence they show, the change
//! journal that makes revert exact, and the session file that makes resume possible.

pub mod controller;
pub mod env;
pub mod evidence;
pub mod ids;
pub mod journal;
pub mod paths;
pub mod secret;
pub mod session;
pub mod session_file;
pub mod status;
pub mod step;

pub use controller::{StepContext, StepController, StepError, StepReport};
pub use evidence::{Evidence, GraphRequest, PortalLink, ValidationRow, ValidationState};
pub use ids::{TenantId, Upn, UserId};
pub use journal::{Journal, JournalEntry};
pub use secret::Secret;
pub use status::StepStatus;
pub use step::Step;
