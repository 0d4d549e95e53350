//! "Reset lab" as a queue of ordinary revert jobs, last step first, then a fresh check of every
//! step. This module is the queue: plain data the UI renders (one row per step) and the moves the
//! session makes on it; the session starts each job it names on the one runner.
//!
//! A revert that fails does not stop the queue: its row keeps the reason and the next step is
//! reverted. Stopping the reset cancels the revert that runs and starts no other; the rest stay
//! as they are. Either way every step is checked again before the reset ends.

use crate::Step;

/// Where a "Reset lab" stands, as the UI shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResetState {
    /// Reverting, checking again, or done.
    pub phase: ResetPhase,
    /// One row per step, in the order they are reverted (step 7 first).
    pub rows: Vec<ResetRow>,
    /// Whether the person stopped the reset (no further revert starts).
    pub stopped: bool,
}

/// The phases of a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetPhase {
    /// Reverting the steps one after the other.
    Reverting,
    /// Every revert has ended; each step is being checked again.
    Rechecking,
    /// Finished; the rows say how each revert ended.
    Done,
}

/// One step of a reset and how its revert went.
#[derive(Clone, Debug, PartialEq)]
pub struct ResetRow {
    /// The step this row is about.
    pub step: Step,
    /// How its revert went so far.
    pub outcome: RevertOutcome,
}

/// How the revert of one step went in a reset.
#[derive(Clone, Debug, PartialEq)]
pub enum RevertOutcome {
    /// Its turn has not come yet.
    Waiting,
    /// Reverting now; the step's running job carries the progress.
    Reverting,
    /// Reverted; the text is what the revert did.
    Reverted(String),
    /// The revert failed; the text says why and what to do. The reset went on without it.
    Failed(String),
    /// The reset was stopped while this step was being reverted; the re-check that follows
    /// shows where it stands.
    Cancelled,
    /// The reset was stopped before this step's turn; it was left as it was.
    NotRun,
}

/// What the session starts next for a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ResetNext {
    Revert(Step),
    RecheckAll,
}

impl ResetState {
    /// A reset about to revert every step, last first.
    pub(super) fn new() -> Self {
        ResetState {
            phase: ResetPhase::Reverting,
            rows: Step::ALL
                .into_iter()
                .rev()
                .map(|step| ResetRow {
                    step,
                    outcome: RevertOutcome::Waiting,
                })
                .collect(),
            stopped: false,
        }
    }

    /// Whether the reset still runs (reverting or checking again).
    pub fn is_running(&self) -> bool {
        self.phase != ResetPhase::Done
    }

    /// The step being reverted now.
    pub fn current(&self) -> Option<Step> {
        self.rows
            .iter()
            .find(|r| r.outcome == RevertOutcome::Reverting)
            .map(|r| r.step)
    }

    /// How many reverts have ended (reverted, failed or stopped), for "2 of 7".
    pub fn ended(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| !matches!(r.outcome, RevertOutcome::Waiting | RevertOutcome::Reverting))
            .count()
    }

    /// The steps whose revert failed, with why.
    pub fn failures(&self) -> impl Iterator<Item = (Step, &str)> {
        self.rows.iter().filter_map(|r| match &r.outcome {
            RevertOutcome::Failed(why) => Some((r.step, why.as_str())),
            _ => None,
        })
    }

    /// How the revert of `step` went in this reset.
    pub fn outcome(&self, step: Step) -> Option<&RevertOutcome> {
        self.rows
            .iter()
            .find(|r| r.step == step)
            .map(|r| &r.outcome)
    }

    /// Records how the current revert ended; `false` when `step` is not the one being reverted.
    pub(super) fn record(&mut self, step: Step, outcome: RevertOutcome) -> bool {
        match self
            .rows
            .iter_mut()
            .find(|r| r.step == step && r.outcome == RevertOutcome::Reverting)
        {
            Some(row) => {
                row.outcome = outcome;
                true
            }
            None => false,
        }
    }

    /// Stops the queue; returns the step whose revert runs now (to cancel it), if any.
    pub(super) fn stop(&mut self) -> Option<Step> {
        if self.phase != ResetPhase::Reverting {
            return None;
        }
        self.stopped = true;
        self.current()
    }

    /// Moves on after a revert ended: the next waiting step turns `Reverting` and is returned,
    /// or, when none is left or the reset was stopped, the re-checks begin.
    pub(super) fn advance(&mut self) -> ResetNext {
        if !self.stopped
            && let Some(row) = self
                .rows
                .iter_mut()
                .find(|r| r.outcome == RevertOutcome::Waiting)
        {
            row.outcome = RevertOutcome::Reverting;
            return ResetNext::Revert(row.step);
        }
        for row in &mut self.rows {
            if matches!(
                row.outcome,
                RevertOutcome::Waiting | RevertOutcome::Reverting
            ) {
                row.outcome = RevertOutcome::NotRun;
            }
        }
        self.phase = ResetPhase::Rechecking;
        ResetNext::RecheckAll
    }

    /// Every re-check is in: the reset is over.
    pub(super) fn finish(&mut self) {
        self.phase = ResetPhase::Done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_runs_last_step_first_and_a_failure_does_not_stop_it() {
        let mut reset = ResetState::new();
        assert_eq!(reset.advance(), ResetNext::Revert(Step::Bootstrap));
        assert_eq!(reset.current(), Some(Step::Bootstrap));
        assert!(reset.record(
            Step::Bootstrap,
            RevertOutcome::Failed("no permission".into())
        ));
        assert_eq!(reset.advance(), ResetNext::Revert(Step::TapIssued));
        assert!(
            !reset.record(Step::TapPolicy, RevertOutcome::Reverted(String::new())),
            "only the step being reverted can end"
        );
        let mut order = vec![Step::Bootstrap, Step::TapIssued];
        loop {
            let step = reset.current().expect("a revert runs");
            assert!(reset.record(step, RevertOutcome::Reverted("ok".into())));
            match reset.advance() {
                ResetNext::Revert(next) => order.push(next),
                ResetNext::RecheckAll => break,
            }
        }
        let mut expected = Step::ALL.to_vec();
        expected.reverse();
        assert_eq!(order, expected);
        assert_eq!(reset.phase, ResetPhase::Rechecking);
        assert_eq!(reset.ended(), Step::ALL.len());
        assert_eq!(
            reset.failures().collect::<Vec<_>>(),
            vec![(Step::Bootstrap, "no permission")]
        );
        assert!(reset.is_running());
        reset.finish();
        assert!(!reset.is_running());
    }

    #[test]
    fn stopping_cancels_the_current_revert_and_starts_no_other() {
        let mut reset = ResetState::new();
        reset.advance();
        assert_eq!(reset.stop(), Some(Step::Bootstrap));
        assert!(reset.record(Step::Bootstrap, RevertOutcome::Cancelled));
        assert_eq!(reset.advance(), ResetNext::RecheckAll);
        assert_eq!(
            reset.outcome(Step::Bootstrap),
            Some(&RevertOutcome::Cancelled)
        );
        assert!(
            reset.rows[1..]
                .iter()
                .all(|r| r.outcome == RevertOutcome::NotRun),
            "{reset:?}"
        );
        assert_eq!(reset.stop(), None, "re-checks are not stopped");
    }
}
