//! The `Step` enum is the router of the whole app: order, titles, ids and navigation live here once.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One of the seven lab steps, in the order the lab runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    MdmUserScope,
    WhfbEnrollment,
    HypervFeature,
    LabVm,
    TapPolicy,
    TapIssued,
    Bootstrap,
}

impl Step {
    /// Every step in lab order.
    pub const ALL: [Step; 7] = [
        Step::MdmUserScope,
        Step::WhfbEnrollment,
        Step::HypervFeature,
        Step::LabVm,
        Step::TapPolicy,
        Step::TapIssued,
        Step::Bootstrap,
    ];

    /// The 1-based number shown to people and used by `--steps 1,2,5`.
    pub fn number(self) -> u8 {
        match self {
            Step::MdmUserScope => 1,
            Step::WhfbEnrollment => 2,
            Step::HypervFeature => 3,
            Step::LabVm => 4,
            Step::TapPolicy => 5,
            Step::TapIssued => 6,
            Step::Bootstrap => 7,
        }
    }

    /// The stable machine id used in JSON output and the session file.
    pub fn id(self) -> &'static str {
        match self {
            Step::MdmUserScope => "mdm_user_scope",
            Step::WhfbEnrollment => "whfb_enrollment",
            Step::HypervFeature => "hyperv_feature",
            Step::LabVm => "lab_vm",
            Step::TapPolicy => "tap_policy",
            Step::TapIssued => "tap_issued",
            Step::Bootstrap => "bootstrap",
        }
    }

    /// The short title shown in the step list and page header.
    pub fn title(self) -> &'static str {
        match self {
            Step::MdmUserScope => "Intune automatic enrollment",
            Step::WhfbEnrollment => "Windows Hello for Business policy",
            Step::HypervFeature => "Hyper-V on this PC",
            Step::LabVm => "Windows 11 lab VM",
            Step::TapPolicy => "Temporary Access Pass policy",
            Step::TapIssued => "Temporary Access Pass for the lab user",
            Step::Bootstrap => "Sign in and set up Windows Hello",
        }
    }

    /// Whether the step runs against the Hyper-V host rather than Microsoft Graph.
    pub fn is_host_step(self) -> bool {
        matches!(self, Step::HypervFeature | Step::LabVm | Step::Bootstrap)
    }

    /// The step after this one, if any.
    pub fn next(self) -> Option<Step> {
        Self::from_number(self.number() + 1)
    }

    /// The step before this one, if any.
    pub fn prev(self) -> Option<Step> {
        self.number().checked_sub(1).and_then(Self::from_number)
    }

    /// Looks a step up by its 1-based number.
    pub fn from_number(n: u8) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.number() == n)
    }

    /// Looks a step up by its machine id.
    pub fn from_id(id: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Parses a `--steps` list such as `1,2,5` or `tap_policy,6`, keeping lab order and dropping repeats.
    pub fn parse_list(list: &str) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let step = part
                .parse::<u8>()
                .ok()
                .and_then(Step::from_number)
                .or_else(|| Step::from_id(part))
                .ok_or_else(|| {
                    format!("'{part}' is not a step: use numbers 1 to 7 or ids such as tap_policy")
                })?;
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
        if steps.is_empty() {
            return Err("the step list is empty: name at least one step, e.g. --steps 1,2".into());
        }
        steps.sort();
        Ok(steps)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Step {}: {}", self.number(), self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_walks_all_steps_in_order() {
        let mut walked = vec![Step::MdmUserScope];
        while let Some(next) = walked.last().unwrap().next() {
            walked.push(next);
        }
        assert_eq!(walked, Step::ALL.to_vec());
        assert_eq!(Step::MdmUserScope.prev(), None);
        assert_eq!(Step::Bootstrap.prev(), Some(Step::TapIssued));
    }

    #[test]
    fn ids_and_numbers_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::from_id(step.id()), Some(step));
            assert_eq!(Step::from_number(step.number()), Some(step));
            let json = serde_json::to_string(&step).unwrap();
            assert_eq!(json, format!("\"{}\"", step.id()));
        }
    }

    #[test]
    fn step_lists_parse_and_reject_garbage() {
        assert_eq!(
            Step::parse_list("6,1,tap_policy,1").unwrap(),
            vec![Step::MdmUserScope, Step::TapPolicy, Step::TapIssued]
        );
        assert!(Step::parse_list("8").unwrap_err().contains("'8'"));
        assert!(Step::parse_list(" , ").is_err());
    }
}
