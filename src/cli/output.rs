//! How step results are shown: one JSON document on stdout, or readable lines on stderr.

use hb_lab::{Step, StepError, StepReport, StepStatus};
use serde_json::{Value, json};

/// The outcome of one step in a CLI run.
pub enum Outcome {
    Report(Box<StepReport>),
    Failed(Step, StepError),
    Skipped(Step, String),
}

impl Outcome {
    pub fn step(&self) -> Step {
        match self {
            Outcome::Report(r) => r.step,
            Outcome::Failed(s, _) | Outcome::Skipped(s, _) => *s,
        }
    }

    pub fn status(&self) -> StepStatus {
        match self {
            Outcome::Report(r) => r.status,
            Outcome::Failed(..) => StepStatus::Error,
            Outcome::Skipped(..) => StepStatus::Unknown,
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Outcome::Report(r) => r.detail.clone(),
            Outcome::Failed(step, e) => format!("{step} failed: {e}"),
            Outcome::Skipped(_, why) => why.clone(),
        }
    }

    /// Whether this outcome counts as success for the exit code.
    pub fn ok(&self) -> bool {
        matches!(
            self.status(),
            StepStatus::Applied | StepStatus::NotApplicable
        )
    }

    /// Whether the failure was the user's input rather than the tenant or host.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Outcome::Failed(_, StepError::BadInput(_)))
    }

    /// The step's JSON object; `with_evidence` adds evidence, `changed` and the TAP (stdout only).
    pub fn to_json(&self, with_evidence: bool) -> Value {
        let step = self.step();
        let mut v = json!({
            "step": step.number(),
            "id": step.id(),
            "title": step.title(),
            "status": self.status().id(),
            "detail": self.detail(),
        });
        if with_evidence && let Outcome::Report(r) = self {
            v["changed"] = json!(r.changed);
            v["evidence"] = serde_json::to_value(&r.evidence).unwrap_or(Value::Null);
            if let Some(tap) = &r.secret {
                v["temporary_access_pass"] = json!(tap.expose());
            }
        }
        v
    }
}

/// A status mark for terminals.
pub fn mark(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Applied => "[done]",
        StepStatus::NotApplied => "[todo]",
        StepStatus::Unknown => "[ ?  ]",
        StepStatus::Error => "[FAIL]",
        StepStatus::NeedsAction => "[you ]",
        StepStatus::NotApplicable => "[ -- ]",
    }
}

/// Prints one outcome for people, on stderr.
pub fn print_human(outcome: &Outcome) {
    let step = outcome.step();
    eprintln!(
        "{} {}. {}",
        mark(outcome.status()),
        step.number(),
        step.title()
    );
    // Details quote names from outside (UPNs, VM names, Graph's messages): shown escaped.
    eprintln!(
        "       {}",
        hb_lab::escape::for_display_lines(&outcome.detail())
    );
}
