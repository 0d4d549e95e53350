//! The lab user steps 6 and 7 act for: the one given for this run, else the session's choice.

use crate::StepContext;
use hb_lab::{Step, StepError, StepReport, StepStatus, Upn};

/// The lab user: the explicit option first, then the session's choice.
pub(crate) async fn lab_user(ctx: &StepContext) -> Result<Upn, StepError> {
    if let Some(upn) = &ctx.options.lab_user {
        return Ok(upn.clone());
    }
    ctx.session.lock().await.lab_user.clone().ok_or_else(|| {
        StepError::BadInput(
            "no lab user chosen: pick the user who will sign in at the VM (CLI: --user UPN)".into(),
        )
    })
}

/// For `check`: the lab user, or the NeedsAction report that none is chosen yet (a state to
/// report, not a failed check). Other errors fail the check.
pub(crate) async fn lab_user_or_report(
    step: Step,
    ctx: &StepContext,
) -> Result<Result<Upn, StepReport>, StepError> {
    match lab_user(ctx).await {
        Ok(upn) => Ok(Ok(upn)),
        Err(StepError::BadInput(why)) => {
            Ok(Err(StepReport::new(step, StepStatus::NeedsAction, why)))
        }
        Err(e) => Err(e),
    }
}
