//! The session file: what the lab has done so far (journal, chosen lab user, last known step
//! states), so the CLI and the wizard resume where they left off. It never holds a secret.

use super::{Journal, Step, StepStatus, Upn, paths};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Which world a session belongs to: the demo tenant or a real one. Their journals never mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Demo,
    Real,
}

/// Last known state of a step, for the step list and resume.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepMemo {
    pub status: StepStatus,
    pub detail: String,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The persisted lab session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionFile {
    /// Tenant id the journal belongs to; a journal is never replayed against another tenant.
    pub tenant_id: Option<String>,
    /// The user who gets the TAP and signs in at the VM.
    pub lab_user: Option<Upn>,
    /// The step the wizard was on.
    pub current_step: Option<Step>,
    pub journal: Journal,
    pub steps: BTreeMap<Step, StepMemo>,
    /// Host facts that must survive a reboot (e.g. Hyper-V enable pending restart).
    pub host: serde_json::Value,
    pub updated_at: Option<DateTime<Utc>>,
}

impl SessionFile {
    /// The file for a session kind inside the config directory.
    pub fn path(kind: SessionKind) -> PathBuf {
        let name = match kind {
            SessionKind::Demo => "session-demo.json",
            SessionKind::Real => "session.json",
        };
        paths::config_dir().join(name)
    }

    /// Loads the session, or a fresh one when there is none. A corrupt file is an error rather
    /// than silently replaced, so no journal is lost.
    pub fn load(kind: SessionKind) -> Result<SessionFile, String> {
        let path = Self::path(kind);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "the session file {} is damaged ({e}); move it aside to start afresh",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SessionFile::default()),
            Err(e) => Err(format!(
                "cannot read the session file {}: {e}",
                path.display()
            )),
        }
    }

    /// Saves atomically.
    pub fn save(&mut self, kind: SessionKind) -> Result<(), String> {
        self.updated_at = Some(Utc::now());
        let path = Self::path(kind);
        let json = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        paths::write_atomic(&path, &json)
            .map_err(|e| format!("cannot write the session file {}: {e}", path.display()))
    }

    /// Records a step's latest status.
    pub fn remember(&mut self, step: Step, status: StepStatus, detail: &str) {
        self.steps.insert(
            step,
            StepMemo {
                status,
                detail: detail.to_string(),
                updated_at: Some(Utc::now()),
            },
        );
    }
}
