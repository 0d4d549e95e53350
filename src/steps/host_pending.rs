//! Stands in for steps whose backend has not landed yet; it says so honestly.

use crate::lab::{Evidence, Step, StepContext, StepController, StepError, StepReport, StepStatus};

/// A controller that reports `not_applicable` with the reason.
pub struct HostPending(pub Step);

#[async_trait::async_trait]
impl StepController for HostPending {
    fn step(&self) -> Step {
        self.0
    }

    async fn check(&self, _ctx: &StepContext) -> Result<StepReport, StepError> {
        Ok(StepReport::new(
            self.0,
            StepStatus::NotApplicable,
            "this step is not available in this build yet",
        ))
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        self.check(ctx).await
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        self.check(ctx).await
    }

    fn evidence(&self, _ctx: &StepContext) -> Evidence {
        Evidence::default()
    }
}
