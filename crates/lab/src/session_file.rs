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

/// The session file format this build writes; a file with a higher number comes from a newer
/// Hello Bootstrap and is moved aside rather than misread.
pub const FORMAT_VERSION: u32 = 1;

/// The persisted lab session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionFile {
    /// The format of the file (see [`FORMAT_VERSION`]); files from before it had none (0).
    pub format_version: u32,
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
    /// Fields this build does not know (written by a later build of the same format), kept and
    /// written back as they were instead of silently dropped.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
    /// What loading had to do that the user should know (a damaged or newer file moved aside,
    /// and where); never saved.
    #[serde(skip)]
    pub notice: Option<String>,
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

    /// Loads the session, or a fresh one when there is none, under the file's shared lock. A
    /// damaged file, or one from a newer Hello Bootstrap, is moved aside (nothing in it is lost)
    /// and a fresh session starts; [`SessionFile::notice`] says where the old one went.
    pub fn load(kind: SessionKind) -> Result<SessionFile, String> {
        Self::load_from(&Self::path(kind))
    }

    /// [`SessionFile::load`] from a given path.
    pub fn load_from(path: &std::path::Path) -> Result<SessionFile, String> {
        let lock = paths::FileLock::acquire(path, false)
            .map_err(|e| format!("cannot lock the session file {}: {e}", path.display()))?;
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SessionFile::default());
            }
            Err(e) => {
                return Err(format!(
                    "cannot read the session file {}: {e}; check its permissions",
                    path.display()
                ));
            }
        };
        let problem = match serde_json::from_slice::<SessionFile>(&bytes) {
            Ok(file) if file.format_version <= FORMAT_VERSION => return Ok(file),
            Ok(file) => (
                "newer",
                format!(
                    "was written by a newer Hello Bootstrap (format {}, this one reads up to {FORMAT_VERSION})",
                    file.format_version
                ),
            ),
            Err(e) => ("damaged", format!("is damaged ({e})")),
        };
        drop(lock);
        let _lock = paths::FileLock::acquire(path, true)
            .map_err(|e| format!("cannot lock the session file {}: {e}", path.display()))?;
        let (why, what) = problem;
        let aside = paths::move_aside(path, why).map_err(|e| {
            format!(
                "the session file {} {what} and cannot be moved aside ({e}); move it yourself to start afresh",
                path.display()
            )
        })?;
        let notice = format!(
            "the session file {} {what}; it was moved to {} and a fresh session started (check the lab's steps again; revert with the old journal by putting that file back with a matching Hello Bootstrap)",
            path.display(),
            aside.display()
        );
        tracing::warn!("{notice}");
        Ok(SessionFile {
            notice: Some(notice),
            ..SessionFile::default()
        })
    }

    /// Saves atomically, under the file's exclusive lock.
    pub fn save(&mut self, kind: SessionKind) -> Result<(), String> {
        self.save_to(&Self::path(kind))
    }

    /// [`SessionFile::save`] to a given path.
    pub fn save_to(&mut self, path: &std::path::Path) -> Result<(), String> {
        self.updated_at = Some(Utc::now());
        self.format_version = self.format_version.max(FORMAT_VERSION);
        let json = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let _lock = paths::FileLock::acquire(path, true)
            .map_err(|e| format!("cannot lock the session file {}: {e}", path.display()))?;
        paths::write_atomic(path, &json)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip_and_the_version_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        std::fs::write(&path, br#"{"lab_user":null,"future_field":{"a":1}}"#).unwrap();
        let mut file = SessionFile::load_from(&path).unwrap();
        assert_eq!(file.format_version, 0);
        file.save_to(&path).unwrap();
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved["future_field"]["a"], 1);
        assert_eq!(saved["format_version"], FORMAT_VERSION);
    }

    #[test]
    fn damaged_and_newer_files_are_moved_aside_with_a_message_saying_where() {
        for (bytes, why) in [
            (&b"{\"journal\": [tru"[..], "damaged"),
            (&br#"{"format_version": 99}"#[..], "newer"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("session.json");
            std::fs::write(&path, bytes).unwrap();
            let file = SessionFile::load_from(&path).unwrap();
            let notice = file.notice.clone().expect("a notice");
            let aside: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.to_string_lossy()
                        .contains(&format!("session.json.{why}-"))
                })
                .collect();
            assert_eq!(aside.len(), 1, "{why}: {notice}");
            assert!(notice.contains(&aside[0].display().to_string()), "{notice}");
            assert_eq!(std::fs::read(&aside[0]).unwrap(), bytes);
            assert!(!path.exists());
            assert_eq!(file.journal, Journal::default());
        }
    }
}
