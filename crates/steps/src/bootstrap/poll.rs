//! Validation until it settles: passes repeated at the host's pace until every row passes, one
//! fails for good, or the cloud has had its time; then the verdict and the report.

use super::validation::binding::{KEY_DEVICE, KEY_MANAGED_DEVICE, KEY_WHFB};
use super::validation::{self, Observed};
use super::{Bootstrap, STEP};
use crate::{StepContext, StepController};
use hb_host::HyperVHost;
use hb_lab::{StepError, StepReport, StepStatus, Upn, ValidationState};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Records the device objects and the Windows Hello key the sign-in created, when first seen, so
/// revert can delete them (and nothing else).
pub(super) async fn journal_devices(ctx: &StepContext, obs: &Observed) -> Result<(), StepError> {
    if let (Some(id), Some(user)) = (&obs.whfb_method_id, &obs.user_id) {
        ctx.journal_original(STEP, &format!("{KEY_WHFB}{id}"), json!(user))
            .await?;
    }
    if let Some(id) = &obs.device_object_id {
        ctx.journal_original(STEP, &format!("{KEY_DEVICE}{id}"), Value::Null)
            .await?;
    }
    if let Some(id) = &obs.managed_device_id {
        ctx.journal_original(STEP, &format!("{KEY_MANAGED_DEVICE}{id}"), Value::Null)
            .await?;
    }
    Ok(())
}

/// Polls validation until every row passes, one fails for good, or the host's cloud deadline
/// passes.
pub(super) async fn poll(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    upn: &Upn,
) -> Result<Observed, StepError> {
    let pace = host.pace();
    let started = Instant::now();
    let mut told_about_mfa = false;
    loop {
        ctx.check_cancelled()?;
        let obs = validation::observe(ctx, host, vm, upn).await?;
        journal_devices(ctx, &obs).await?;
        if obs.mfa_required == Some(true) && !told_about_mfa {
            ctx.progress(
                STEP,
                "Conditional Access requires MFA: validation looks for a sign-in from the VM, such as My Apps (https://myapps.microsoft.com) in Edge, whose MFA a claim in the token satisfied",
                None,
            );
            told_about_mfa = true;
        }
        let total = obs.rows.len().max(1);
        ctx.progress(
            STEP,
            format!(
                "Validating: {} of {} checks passed",
                obs.passed_count(),
                obs.rows.len()
            ),
            Some(0.4 + 0.6 * obs.passed_count() as f32 / total as f32),
        );
        let signin_failed = obs
            .row("signin")
            .is_some_and(|r| r.state == ValidationState::Failed);
        // A refused read stays refused however long we wait.
        let refused = obs.could_not_check().is_some();
        if obs.all_passed() || signin_failed || refused || started.elapsed() >= pace.cloud {
            return Ok(obs);
        }
        ctx.sleep(pace.poll_interval).await?;
    }
}

/// The report for a validation pass.
pub(super) fn verdict(obs: &Observed, waiting_text: &str) -> (StepStatus, String) {
    let total = obs.rows.len();
    let passed = obs.passed_count();
    if obs.all_passed() {
        return (
            StepStatus::Applied,
            format!(
                "All {total} checks passed: the VM is Entra joined, enrolled in Intune and signed in with Windows Hello for Business, bootstrapped by the Temporary Access Pass."
            ),
        );
    }
    if let Some(failed) = obs.rows.iter().find(|r| r.state == ValidationState::Failed) {
        return (
            StepStatus::Error,
            format!(
                "{}: {} ({passed} of {total} checks passed)",
                failed.label, failed.detail
            ),
        );
    }
    if let Some(refused) = obs.could_not_check() {
        return (
            StepStatus::NeedsAction,
            format!(
                "{}: {} ({passed} of {total} checks passed; a check that could not be made is never a pass)",
                refused.label, refused.detail
            ),
        );
    }
    (
        StepStatus::NeedsAction,
        format!("{waiting_text} ({passed} of {total} checks passed)"),
    )
}

/// What a polling run that ran out of time says: what is left to do at the VM when nobody has
/// signed in, else that the cloud has not shown everything yet.
pub(super) fn still_waiting(obs: &Observed, waited: Duration, guidance: &str) -> String {
    let signed_in = obs
        .row("signin")
        .is_some_and(|r| r.state == ValidationState::Passed);
    if signed_in {
        format!(
            "Validation timed out after {} with checks still waiting.",
            spoken(waited)
        )
    } else {
        format!("Still waiting after {}. {guidance}", spoken(waited))
    }
}

/// A wait as people say it: "20 minutes", "32 seconds".
fn spoken(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 120 {
        format!("{} minutes", secs / 60)
    } else {
        format!("{secs} seconds")
    }
}

impl Bootstrap {
    pub(super) fn report(
        &self,
        ctx: &StepContext,
        obs: &Observed,
        status: StepStatus,
        detail: String,
        changed: bool,
    ) -> StepReport {
        let mut evidence = self.evidence(ctx);
        evidence.rows = obs.rows.clone();
        evidence.after = Some(json!({
            "device_id": obs.device_id,
            "device_object_id": obs.device_object_id,
            "managed_device_id": obs.managed_device_id,
            "whfb_method_id": obs.whfb_method_id,
            "conditional_access_requires_mfa": obs.mfa_required,
        }));
        let detail = match &obs.note {
            Some(note) => format!("{detail} {note}"),
            None => detail,
        };
        StepReport::new(STEP, status, detail)
            .changed(changed)
            .with_evidence(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_lab::ValidationRow;

    fn signin(state: ValidationState) -> Observed {
        Observed {
            rows: vec![ValidationRow {
                id: "signin".into(),
                label: "signed in".into(),
                state,
                detail: String::new(),
                fix: None,
            }],
            ..Observed::default()
        }
    }

    #[test]
    fn a_timed_out_run_says_how_long_it_waited_and_what_is_left() {
        let guidance = "Sign in at the VM.";
        let real = still_waiting(
            &signin(ValidationState::Waiting),
            Duration::from_secs(20 * 60),
            guidance,
        );
        assert_eq!(real, "Still waiting after 20 minutes. Sign in at the VM.");
        let cloud = still_waiting(
            &signin(ValidationState::Passed),
            Duration::from_secs(32),
            guidance,
        );
        assert_eq!(
            cloud,
            "Validation timed out after 32 seconds with checks still waiting."
        );
    }
}
