//! Step 3: Hyper-V on this PC. Enabling it needs a restart; the session file remembers that, so
//! the wizard and the CLI resume here after the reboot.

use crate::{StepContext, StepController};
use hb_host::FeatureState;
use hb_lab::{Evidence, Step, StepError, StepReport, StepStatus};
use serde_json::json;

const STEP: Step = Step::HypervFeature;
/// Key in the session file's `host` object: a restart is pending after we enabled Hyper-V.
pub const RESTART_PENDING_KEY: &str = "hyperv_restart_pending";

/// The PowerShell people can run themselves, elevated.
pub const POWERSHELL: &str = "# elevated PowerShell\n\
Dism\\Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All\n\
Dism\\Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All -All -NoRestart\n\
# then restart Windows";

/// What a host step's check says where there is no Hyper-V host (a real tenant on a PC without
/// Windows PowerShell): not applicable rather than failed, since check must answer for every step.
pub(crate) fn without_host(step: Step, ctx: &StepContext) -> Option<StepReport> {
    let reason = ctx.host().err()?;
    Some(StepReport::new(
        step,
        StepStatus::NotApplicable,
        format!("{}", reason).replacen("no Hyper-V host", "No Hyper-V host", 1),
    ))
}

/// Checks and enables the Hyper-V feature.
pub struct HypervFeature;

fn report_for(state: &FeatureState) -> StepReport {
    let (status, detail) = match state {
        FeatureState::Enabled => (StepStatus::Applied, "Hyper-V is enabled on this PC.".to_string()),
        FeatureState::EnablePending => (
            StepStatus::NeedsAction,
            "Hyper-V is installed and takes effect when the PC restarts. Restart it, then reopen Hello Bootstrap: it resumes here.".to_string(),
        ),
        FeatureState::Disabled => (
            StepStatus::NotApplied,
            "Hyper-V is not enabled yet; applying this step enables it (a restart follows).".to_string(),
        ),
        FeatureState::DisablePending => (
            StepStatus::NeedsAction,
            "Hyper-V is being turned off, which takes effect when the PC restarts. Restart it, then run this step again.".to_string(),
        ),
        FeatureState::Unavailable { reason } => (
            StepStatus::Error,
            format!("Hyper-V cannot run on this PC: {reason}"),
        ),
    };
    let mut report = StepReport::new(STEP, status, detail);
    report.evidence.after = Some(json!(state));
    report
}

/// What stops Hyper-V from running on this PC (Home edition, virtualization off in the
/// firmware, no SLAT), or nothing; empty where the host cannot tell.
async fn preflight_problems(ctx: &StepContext) -> Result<Vec<String>, StepError> {
    Ok(match ctx.host()?.preflight().await? {
        Some(pc) => pc.hyperv_problems(),
        None => Vec::new(),
    })
}

async fn set_restart_pending(ctx: &StepContext, pending: bool) -> Result<(), StepError> {
    let mut session = ctx.session.lock().await;
    let current = session
        .host
        .get(RESTART_PENDING_KEY)
        .and_then(|v| v.as_bool())
        == Some(true);
    if current == pending {
        return Ok(());
    }
    if !session.host.is_object() {
        session.host = json!({});
    }
    session.host[RESTART_PENDING_KEY] = json!(pending);
    if pending {
        session.current_step = Some(STEP);
    }
    session.save(ctx.kind).map_err(StepError::Session)
}

#[async_trait::async_trait]
impl StepController for HypervFeature {
    fn step(&self) -> Step {
        STEP
    }

    async fn check(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        ctx.check_cancelled()?;
        if let Some(report) = without_host(STEP, ctx) {
            return Ok(report);
        }
        let state = ctx.host()?.feature_state().await?;
        if state == FeatureState::Disabled {
            let problems = preflight_problems(ctx).await?;
            if !problems.is_empty() {
                let blocked = FeatureState::Unavailable {
                    reason: problems.join("; "),
                };
                return Ok(report_for(&blocked).with_evidence(Evidence {
                    after: Some(json!(state)),
                    ..self.evidence(ctx)
                }));
            }
        }
        Ok(report_for(&state).with_evidence(Evidence {
            after: Some(json!(state)),
            ..self.evidence(ctx)
        }))
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let host = ctx.host()?;
        let before = host.feature_state().await?;
        let mut evidence = self.evidence(ctx);
        evidence.before = Some(json!(before));
        match &before {
            FeatureState::Disabled => {}
            FeatureState::Unavailable { reason } => {
                return Err(StepError::Precondition(format!(
                    "Hyper-V cannot run on this PC: {reason}"
                )));
            }
            FeatureState::Enabled => {
                // Back after the restart: the pending mark has done its job.
                set_restart_pending(ctx, false).await?;
                evidence.after = evidence.before.clone();
                return Ok(report_for(&before).with_evidence(evidence));
            }
            FeatureState::EnablePending | FeatureState::DisablePending => {
                evidence.after = evidence.before.clone();
                return Ok(report_for(&before).with_evidence(evidence));
            }
        }
        let problems = preflight_problems(ctx).await?;
        if !problems.is_empty() {
            return Err(StepError::Precondition(format!(
                "Hyper-V cannot run on this PC: {}",
                problems.join("; ")
            )));
        }
        ctx.check_cancelled()?;
        ctx.progress(STEP, "Enabling Hyper-V (this takes a few minutes)", None);
        let restart = host.enable_feature().await?;
        let after = host.feature_state().await?;
        evidence.after = Some(json!(after));
        if restart || after == FeatureState::EnablePending {
            set_restart_pending(ctx, true).await?;
            return Ok(StepReport::new(
                STEP,
                StepStatus::NeedsAction,
                "Hyper-V is enabled and takes effect when the PC restarts. Restart it, then reopen Hello Bootstrap: it resumes here.",
            )
            .changed(true)
            .with_evidence(evidence));
        }
        Ok(report_for(&after).changed(true).with_evidence(evidence))
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let state = ctx.host()?.feature_state().await?;
        let mut report = report_for(&state);
        report.detail = "Hyper-V stays on: turning it off needs another restart and would stop every other VM, WSL 2 and Windows Sandbox on this PC. To remove it by hand, run (elevated) Dism\\Disable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All and restart.".into();
        Ok(report.with_evidence(self.evidence(ctx)))
    }

    fn evidence(&self, _ctx: &StepContext) -> Evidence {
        Evidence {
            powershell: Some(POWERSHELL.into()),
            ..Evidence::default()
        }
    }
}
