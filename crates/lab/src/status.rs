//! What a step's check found.

use serde::{Deserialize, Serialize};

/// The state of one step as its controller last saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The tenant or host is as the lab needs it.
    Applied,
    /// Not yet done; `apply` would do it.
    NotApplied,
    /// Not checked yet, or the check could not tell.
    #[default]
    Unknown,
    /// The check or apply failed; the detail says why.
    Error,
    /// A person has to act (reboot the host, sign in at the VM, pick an ISO).
    NeedsAction,
    /// The step does not apply here (e.g. host steps without a Hyper-V host).
    NotApplicable,
}

impl StepStatus {
    /// Whether the wizard may move past a step in this state.
    pub fn is_done(self) -> bool {
        matches!(self, StepStatus::Applied)
    }

    /// The snake_case id also used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            StepStatus::Applied => "applied",
            StepStatus::NotApplied => "not_applied",
            StepStatus::Unknown => "unknown",
            StepStatus::Error => "error",
            StepStatus::NeedsAction => "needs_action",
            StepStatus::NotApplicable => "not_applicable",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Applied => "Done",
            StepStatus::NotApplied => "Not done yet",
            StepStatus::Unknown => "Not checked",
            StepStatus::Error => "Failed",
            StepStatus::NeedsAction => "Needs you",
            StepStatus::NotApplicable => "Not applicable",
        }
    }
}
