//! The local audit trail: who issued (or revoked) what kind of pass to whom, and when — never
//! the code. Entra keeps its own audit log, but a help desk wants its own record on the machine
//! that did the work, readable offline (`tap audit`, the wizard's help-desk page). The file is
//! rewritten whole through a temp file and a rename, so a crash leaves the old one or the new,
//! under the advisory lock the session file uses ([`hb_lab::paths::FileLock`]), so the CLI and
//! the wizard appending at once never lose each other's entries.

use super::outcome::{IssueOutcome, IssueStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What was done to a user's passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Issued,
    Replaced,
    Revoked,
}

/// One line of the trail. Has no field for the code, so none can be written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    /// The signed-in account that did it.
    pub actor: String,
    pub upn: String,
    pub action: AuditAction,
    #[serde(default)]
    pub lifetime_minutes: Option<u32>,
    #[serde(default)]
    pub usable_once: Option<bool>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// A first answer was lost and the unseen pass deleted before this one.
    #[serde(default)]
    pub reconciled: bool,
}

impl AuditEntry {
    /// The entry for an issued pass (`None` for users who got none).
    pub fn of_outcome(actor: &str, o: &IssueOutcome, time: DateTime<Utc>) -> Option<AuditEntry> {
        let action = match o.status {
            IssueStatus::Issued => AuditAction::Issued,
            IssueStatus::Replaced => AuditAction::Replaced,
            _ => return None,
        };
        Some(AuditEntry {
            time,
            actor: actor.to_string(),
            upn: o.upn.clone(),
            action,
            lifetime_minutes: o.lifetime_minutes,
            usable_once: o.usable_once,
            start: o.start.clone(),
            end: o.end.clone(),
            reconciled: o.reconciled,
        })
    }
}

/// Where the trail lives: `helpdesk-audit.json` in the data directory.
pub fn default_path() -> PathBuf {
    hb_lab::paths::data_dir().join("helpdesk-audit.json")
}

fn lock(path: &Path, exclusive: bool) -> Result<hb_lab::paths::FileLock, String> {
    hb_lab::paths::FileLock::acquire(path, exclusive)
        .map_err(|e| format!("cannot lock the audit trail {}: {e}", path.display()))
}

/// Every entry, oldest first (none when there is no file yet), read under the shared lock.
pub fn read(path: &Path) -> Result<Vec<AuditEntry>, String> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let _lock = lock(path, false)?;
    read_locked(path)
}

/// [`read`] for a caller already holding the lock.
fn read_locked(path: &Path) -> Result<Vec<AuditEntry>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("the audit trail {} cannot be read: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!(
            "the audit trail {} cannot be read: {e}",
            path.display()
        )),
    }
}

/// Adds `entries` to the trail, atomically, holding the exclusive lock from the read to the
/// rename so a concurrent writer's entries are never overwritten.
pub fn append(path: &Path, entries: &[AuditEntry]) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let _lock = lock(path, true)?;
    let mut all = read_locked(path)?;
    all.extend_from_slice(entries);
    let bytes = serde_json::to_vec_pretty(&all).map_err(|e| e.to_string())?;
    hb_lab::paths::write_atomic(path, &bytes)
        .map_err(|e| format!("cannot write the audit trail {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_graph::models::TapMethod;
    use hb_lab::Secret;

    #[test]
    fn entries_append_atomically_and_never_hold_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a").join("audit.json");
        let method: TapMethod = serde_json::from_value(serde_json::json!({
            "id": "m", "startDateTime": "2026-06-05T08:00:00Z", "lifetimeInMinutes": 60, "isUsableOnce": true
        }))
        .unwrap();
        let o = IssueOutcome::issued(None, "a@b.com", false, &method, Secret::new("Zq9#secret"));
        let skipped = IssueOutcome::skipped(Some(3), "c@b.com", "no");
        let now = Utc::now();
        let entries: Vec<_> = [&o, &skipped]
            .iter()
            .filter_map(|o| AuditEntry::of_outcome("agent@b.com", o, now))
            .collect();
        assert_eq!(entries.len(), 1);
        append(&path, &entries).unwrap();
        append(&path, &entries).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("Zq9#secret"));
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].action, AuditAction::Issued);
        assert_eq!(back[0].usable_once, Some(true));
        assert_eq!(back[0].end.as_deref(), Some("2026-06-05T09:00:00Z"));
        assert!(!path.with_extension("tmp").exists());
    }

    #[test]
    fn two_writers_at_once_lose_no_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.json");
        let writer = |who: &'static str| {
            let path = path.clone();
            std::thread::spawn(move || {
                for i in 0..40 {
                    let entry = AuditEntry {
                        time: Utc::now(),
                        actor: who.into(),
                        upn: format!("user{i}@b.com"),
                        action: AuditAction::Issued,
                        lifetime_minutes: Some(60),
                        usable_once: None,
                        start: None,
                        end: None,
                        reconciled: false,
                    };
                    append(&path, &[entry]).unwrap();
                    // A reader in between sees a whole file, never a torn one.
                    read(&path).unwrap();
                }
            })
        };
        let (cli, wizard) = (writer("cli"), writer("wizard"));
        cli.join().unwrap();
        wizard.join().unwrap();
        let all = read(&path).unwrap();
        assert_eq!(all.len(), 80, "every entry of both writers is kept");
        for who in ["cli", "wizard"] {
            assert_eq!(all.iter().filter(|e| e.actor == who).count(), 40, "{who}");
        }
    }
}
