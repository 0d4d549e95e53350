//! One controller per lab step: UI-free, async, cancellable, idempotent.

pub mod backend;
pub mod bootstrap;
pub mod context;
pub mod hyperv_feature;
mod lab_user;
pub mod lab_vm;
pub mod mdm_user_scope;
pub mod policy;
pub mod readiness;
pub mod tap_issued;
pub mod tap_policy;
pub mod whfb_enrollment;

pub use context::{StepContext, StepController};

use hb_lab::Step;
use policy::PolicyStep;
use std::sync::Arc;

/// The controller that runs a step.
pub fn controller(step: Step) -> Arc<dyn StepController> {
    match step {
        Step::MdmUserScope => Arc::new(PolicyStep(mdm_user_scope::MdmUserScope)),
        Step::WhfbEnrollment => Arc::new(PolicyStep(whfb_enrollment::WhfbEnrollment)),
        Step::TapPolicy => Arc::new(PolicyStep(tap_policy::TapPolicy)),
        Step::TapIssued => Arc::new(tap_issued::TapIssued),
        Step::HypervFeature => Arc::new(hyperv_feature::HypervFeature),
        Step::LabVm => Arc::new(lab_vm::LabVm),
        Step::Bootstrap => Arc::new(bootstrap::Bootstrap),
    }
}
