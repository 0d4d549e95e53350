//! The reducer: folds what happened (a job started, made progress, finished; a screen or page
//! was captured) into [`LabState`], and says what must follow. It touches no runtime and no
//! backend, so every rule here can be tested on plain data.

use super::backend::{BackendInfo, JobAction};
use super::connect::ConnectProgress;
use super::jobs::CANCELLED;
use super::reset::{ResetPhase, RevertOutcome};
use super::state::{Connection, IssuedTap, LabState, RunningJob, StepCapture, VmScreen};
use crate::{Progress, Step, StepReport, StepStatus};
use chrono::{DateTime, Utc};

/// What the session does after an event was folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FollowUp {
    /// Check a step again: the next step's last check may predate a change (step 4 needs 3).
    Check(Step),
    /// The reset's current revert ended: start its next revert, or its re-checks.
    AdvanceReset,
    /// Capture the VM's screen; with a step, also keep it as that step's report image.
    CaptureScreen(Option<Step>),
}

impl LabState {
    /// A backend connected: who and what the top bar shows.
    pub(super) fn on_connected(&mut self, info: &BackendInfo) {
        self.connection = Connection::Connected;
        self.tenant_name = Some(info.tenant_name.clone());
        self.account = Some(info.account.clone());
        self.kind = Some(info.kind);
    }

    /// The connect attempt under way waits on the person, or no longer does.
    pub(super) fn on_connect_progress(&mut self, progress: ConnectProgress) {
        if let Connection::Connecting { wait } = &mut self.connection {
            *wait = match progress {
                ConnectProgress::Waiting(w) => Some(w),
                ConnectProgress::Working => None,
            };
        }
    }

    /// A job started on `step`: the page shows it running, and the last error goes.
    pub(super) fn on_started(&mut self, step: Step, action: JobAction) {
        let state = self.step_mut(step);
        state.running = Some(RunningJob {
            action,
            progress: None,
            fraction: None,
        });
        state.error = None;
    }

    /// A job was asked for before any lab was connected.
    pub(super) fn on_not_connected(&mut self, step: Step) {
        self.step_mut(step).error =
            Some("Not connected yet: start the demo or sign in on the Welcome page.".into());
    }

    /// A progress note of the step's current job.
    pub(super) fn on_progress(&mut self, progress: Progress) {
        if let Some(running) = &mut self.step_mut(progress.step).running {
            running.progress = Some(progress.message);
            running.fraction = progress.fraction;
        }
    }

    /// The current job of `step` finished with `result`; `started_at` is when it started.
    pub(super) fn on_finished(
        &mut self,
        step: Step,
        action: JobAction,
        result: Result<StepReport, String>,
        started_at: DateTime<Utc>,
    ) -> Vec<FollowUp> {
        let ok = result.is_ok();
        let applied = ok && action.applies();
        let outcome = match &result {
            Ok(report) => RevertOutcome::Reverted(report.detail.clone()),
            Err(reason) if reason == CANCELLED => RevertOutcome::Cancelled,
            Err(reason) => RevertOutcome::Failed(reason.clone()),
        };
        self.fold_result(step, action, result);
        if applied {
            self.captures.insert(
                step,
                StepCapture {
                    started_at: Some(started_at),
                    finished_at: Some(Utc::now()),
                    page: None,
                    vm: None,
                },
            );
        }
        let mut follow = Vec::new();
        match self.reset.as_mut() {
            Some(reset) if reset.is_running() => {
                if action == JobAction::Revert && reset.record(step, outcome) {
                    follow.push(FollowUp::AdvanceReset);
                } else if reset.phase == ResetPhase::Rechecking {
                    self.end_reset_when_rechecked();
                }
            }
            _ => {
                if ok
                    && action != JobAction::Check
                    && let Some(next) = step.next()
                {
                    follow.push(FollowUp::Check(next));
                }
            }
        }
        if step.is_host_step() {
            follow.push(FollowUp::CaptureScreen(applied.then_some(step)));
        }
        follow
    }

    /// Ends a reset that is checking every step again once no check runs any more.
    pub(super) fn end_reset_when_rechecked(&mut self) {
        if self.steps.values().any(|s| s.running.is_some()) {
            return;
        }
        if let Some(reset) = self.reset.as_mut()
            && reset.phase == ResetPhase::Rechecking
        {
            reset.finish();
            // A reset starts the lab over: the pass shown once is not kept past it.
            self.tap = None;
        }
    }

    /// What a finished job leaves on its step: its report, or why it failed or stopped.
    fn fold_result(&mut self, step: Step, action: JobAction, result: Result<StepReport, String>) {
        let state = self.step_mut(step);
        state.running = None;
        state.last_action = Some(action);
        state.updated_at = Some(Utc::now());
        match result {
            Ok(mut report) => {
                state.status = report.status;
                state.detail = std::mem::take(&mut report.detail);
                state.changed = report.changed;
                state.evidence = std::mem::take(&mut report.evidence);
                state.error = None;
                if let Some(code) = report.secret.take() {
                    self.tap = Some(IssuedTap {
                        code,
                        issued_at: Utc::now(),
                    });
                }
                if step == Step::TapIssued && action == JobAction::Revert {
                    self.tap = None;
                }
            }
            Err(reason) if reason == CANCELLED => {
                state.error = Some(
                    "Cancelled. Nothing more was changed; check again to see where it stands."
                        .into(),
                );
            }
            Err(reason) => {
                state.status = StepStatus::Error;
                state.error = Some(reason);
            }
        }
    }

    /// A new frame of the VM's screen.
    pub(super) fn on_screen(&mut self, screen: VmScreen) {
        // A job's closing capture of a still screen changes nothing the UI shows.
        let same = self.vm_screen.as_ref().is_some_and(|s| {
            (s.width, s.height) == (screen.width, screen.height) && s.rgba == screen.rgba
        });
        if !same {
            self.vm_screen = Some(screen);
        }
    }

    /// The VM's screen when a host step's apply finished: the report keeps it for that step.
    pub(super) fn on_step_screen(&mut self, step: Step, screen: VmScreen) {
        if let Some(capture) = self.captures.get_mut(&step) {
            capture.vm = Some(screen.clone());
        }
        self.vm_screen = Some(screen);
    }

    /// The wizard page after the apply that finished at `finished_at`; a capture of an older
    /// apply is dropped.
    pub(super) fn on_page_captured(
        &mut self,
        step: Step,
        finished_at: DateTime<Utc>,
        frame: super::state::CaptureFrame,
    ) {
        if let Some(capture) = self.captures.get_mut(&step)
            && capture.finished_at == Some(finished_at)
        {
            capture.page = Some(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::reset::{ResetNext, ResetState};

    fn report(step: Step, detail: &str) -> Result<StepReport, String> {
        Ok(StepReport::new(step, StepStatus::NotApplied, detail))
    }

    #[test]
    fn a_change_outside_a_reset_rechecks_the_next_step_and_a_check_does_not() {
        let mut lab = LabState::default();
        lab.on_started(Step::HypervFeature, JobAction::Apply);
        let follow = lab.on_finished(
            Step::HypervFeature,
            JobAction::Apply,
            Ok(StepReport::new(
                Step::HypervFeature,
                StepStatus::Applied,
                "on",
            )),
            Utc::now(),
        );
        assert_eq!(
            follow,
            vec![
                FollowUp::Check(Step::LabVm),
                FollowUp::CaptureScreen(Some(Step::HypervFeature))
            ]
        );
        assert!(lab.captures.contains_key(&Step::HypervFeature));
        lab.on_started(Step::MdmUserScope, JobAction::Check);
        let follow = lab.on_finished(
            Step::MdmUserScope,
            JobAction::Check,
            report(Step::MdmUserScope, "not yet"),
            Utc::now(),
        );
        assert!(follow.is_empty(), "{follow:?}");
    }

    #[test]
    fn a_failed_revert_in_a_reset_is_kept_on_its_row_and_the_queue_goes_on() {
        let mut lab = LabState::default();
        let mut reset = ResetState::new();
        assert_eq!(reset.advance(), ResetNext::Revert(Step::Bootstrap));
        lab.reset = Some(reset);
        lab.on_started(Step::Bootstrap, JobAction::Revert);
        let follow = lab.on_finished(
            Step::Bootstrap,
            JobAction::Revert,
            Err("Microsoft Graph refused: missing permission Device.ReadWrite.All".into()),
            Utc::now(),
        );
        assert_eq!(
            follow,
            vec![FollowUp::AdvanceReset, FollowUp::CaptureScreen(None)],
            "no follow-up check during a reset, the queue advances"
        );
        let reset = lab.reset.as_ref().unwrap();
        assert_eq!(
            reset.outcome(Step::Bootstrap),
            Some(&RevertOutcome::Failed(
                "Microsoft Graph refused: missing permission Device.ReadWrite.All".into()
            ))
        );
        assert_eq!(lab.status(Step::Bootstrap), StepStatus::Error);
        assert!(lab.resetting());
    }

    #[test]
    fn the_last_recheck_ends_the_reset_and_forgets_the_tap() {
        let mut lab = LabState {
            tap: Some(IssuedTap {
                code: crate::Secret::new("Tq7!mZ2#pL9x"),
                issued_at: Utc::now(),
            }),
            ..LabState::default()
        };
        let mut reset = ResetState::new();
        reset.stop();
        assert_eq!(reset.advance(), ResetNext::RecheckAll);
        lab.reset = Some(reset);
        lab.on_started(Step::MdmUserScope, JobAction::Check);
        lab.on_started(Step::TapPolicy, JobAction::Check);
        lab.on_finished(
            Step::MdmUserScope,
            JobAction::Check,
            report(Step::MdmUserScope, "x"),
            Utc::now(),
        );
        assert_eq!(lab.reset.as_ref().unwrap().phase, ResetPhase::Rechecking);
        assert!(lab.tap.is_some());
        lab.on_finished(
            Step::TapPolicy,
            JobAction::Check,
            report(Step::TapPolicy, "x"),
            Utc::now(),
        );
        assert_eq!(lab.reset.as_ref().unwrap().phase, ResetPhase::Done);
        assert!(!lab.resetting() && !lab.busy());
        assert!(lab.tap.is_none());
    }
}
