//! The lab's run lock: one Hello Bootstrap at a time works on a lab (a `run`, `revert` or `check`
//! from the command line, or the wizard's whole session). The session file's own lock only
//! covers one load or save; two runs that each loaded the journal, changed the tenant and saved
//! would lose the other's entries (and in demo mode two in-process emulators would overwrite
//! each other's tenant). So the second one is refused at once, naming who holds the lab.
//!
//! The lock is an OS advisory lock (`flock` on Unix, `LockFileEx` on Windows) on
//! `<session>.run.lock`: the OS drops it when its process dies, even by `kill -9`, so a dead
//! run never blocks the next. Who holds it is written to `<session>.run.owner` (a separate file:
//! on Windows a locked byte range cannot be read by others); an owner file whose lock is free is
//! the trace of a process that died holding it, and is taken over with a notice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

/// Who holds a lab, as its owner file says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOwner {
    pub pid: u32,
    /// What it is doing, e.g. `hello-bootstrap run --demo` or `the wizard`.
    pub what: String,
    pub since: DateTime<Utc>,
}

impl RunOwner {
    fn describe(&self) -> String {
        format!(
            "process {} ({}), since {}",
            self.pid,
            crate::escape::for_display_short(&self.what, 120),
            self.since.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// Why a lab could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum RunLockError {
    /// Another live process holds it.
    #[error(
        "another Hello Bootstrap is working on this lab: {}. Wait for it to finish (or close that wizard / stop that command), then run this again; two at once would overwrite each other's journal. (lock file: {})",
        .owner.as_ref().map(RunOwner::describe).unwrap_or_else(|| "a process that has not said who it is yet".into()),
        .lock_file.display()
    )]
    Busy {
        owner: Option<RunOwner>,
        lock_file: PathBuf,
    },
    #[error("cannot lock the lab ({}): {source}; check that folder's permissions", .lock_file.display())]
    Io {
        lock_file: PathBuf,
        source: std::io::Error,
    },
}

/// The lab held by this process; released when the last clone is dropped (or the process
/// dies). Held by [`RunLock::try_acquire`] again in the same process, it is shared, not refused:
/// the wizard reconnecting after a reset is still the same session.
#[derive(Clone)]
pub struct RunLock {
    inner: Arc<Held>,
    /// Set when this acquisition took over the lock of a process that died holding it.
    pub took_over: Option<RunOwner>,
}

struct Held {
    _file: std::fs::File,
    owner_file: PathBuf,
    key: PathBuf,
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.owner_file);
        if let Ok(mut held) = registry().lock()
            && held.get(&self.key).is_some_and(|w| w.strong_count() == 0)
        {
            held.remove(&self.key);
        }
    }
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Weak<Held>>> {
    static HELD: std::sync::OnceLock<Mutex<HashMap<PathBuf, Weak<Held>>>> =
        std::sync::OnceLock::new();
    HELD.get_or_init(Default::default)
}

impl RunLock {
    /// Takes the lab of the session file `session`, or says at once who has it; never waits.
    pub fn try_acquire(session: &Path, what: &str) -> Result<RunLock, RunLockError> {
        let lock_file = suffixed(session, ".run.lock");
        let owner_file = suffixed(session, ".run.owner");
        let io = |source| RunLockError::Io {
            lock_file: lock_file.clone(),
            source,
        };
        let mut held = registry().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(inner) = held.get(&lock_file).and_then(Weak::upgrade) {
            return Ok(RunLock {
                inner,
                took_over: None,
            });
        }
        if let Some(dir) = lock_file.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_file)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(RunLockError::Busy {
                    owner: read_owner(&owner_file),
                    lock_file,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // The caller says so ([`RunLock::notice`]) where its user reads it.
        let took_over = read_owner(&owner_file).filter(|o| o.pid != std::process::id());
        let me = RunOwner {
            pid: std::process::id(),
            what: what.to_string(),
            since: Utc::now(),
        };
        let json = serde_json::to_vec(&me).map_err(|e| io(std::io::Error::other(e)))?;
        crate::paths::write_atomic(&owner_file, &json).map_err(io)?;
        let inner = Arc::new(Held {
            _file: file,
            owner_file,
            key: lock_file.clone(),
        });
        held.insert(lock_file, Arc::downgrade(&inner));
        Ok(RunLock { inner, took_over })
    }

    /// A line for the user when this run took over a dead one's lock.
    pub fn notice(&self) -> Option<String> {
        self.took_over.as_ref().map(|o| {
            format!(
                "the lab was last held by {}, which is no longer running; this run took it over and goes on from the saved journal",
                o.describe()
            )
        })
    }

    /// Where the owner is written (for tests and messages).
    pub fn owner_file(&self) -> &Path {
        &self.inner.owner_file
    }
}

/// What the owner file of `session`'s lab says, if anything (for a refused run's message).
pub fn owner_of(session: &Path) -> Option<RunOwner> {
    read_owner(&suffixed(session, ".run.owner"))
}

fn read_owner(path: &Path) -> Option<RunOwner> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_process_shares_its_lock_and_frees_it_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("session.json");
        let first = RunLock::try_acquire(&session, "run").unwrap();
        let owner = owner_of(&session).expect("the owner is written");
        assert_eq!(owner.pid, std::process::id());
        assert_eq!(owner.what, "run");
        let second = RunLock::try_acquire(&session, "wizard").unwrap();
        assert!(second.took_over.is_none());
        drop(first);
        assert!(owner_of(&session).is_some(), "still held by the clone");
        drop(second);
        assert!(
            owner_of(&session).is_none(),
            "released with the last holder"
        );
    }

    #[test]
    fn an_owner_left_by_a_dead_process_is_taken_over_with_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("session.json");
        let dead = RunOwner {
            pid: u32::MAX - 1,
            what: "hello-bootstrap run --demo".into(),
            since: Utc::now(),
        };
        std::fs::write(
            suffixed(&session, ".run.owner"),
            serde_json::to_vec(&dead).unwrap(),
        )
        .unwrap();
        let lock = RunLock::try_acquire(&session, "run").unwrap();
        assert_eq!(lock.took_over.as_ref(), Some(&dead));
        let notice = lock.notice().unwrap();
        assert!(
            notice.contains(&format!("process {}", u32::MAX - 1)),
            "{notice}"
        );
        assert_eq!(owner_of(&session).unwrap().pid, std::process::id());
    }

    #[test]
    fn a_lock_held_through_another_open_file_is_refused_naming_the_owner() {
        // Another process's lock, as the OS sees it: a separate open file holding it.
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("session.json");
        let other = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(suffixed(&session, ".run.lock"))
            .unwrap();
        other.lock().unwrap();
        let owner = RunOwner {
            pid: 4242,
            what: "evil\u{202e}name".into(),
            since: Utc::now(),
        };
        std::fs::write(
            suffixed(&session, ".run.owner"),
            serde_json::to_vec(&owner).unwrap(),
        )
        .unwrap();
        let err = RunLock::try_acquire(&session, "run")
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(text.contains("process 4242"), "{text}");
        assert!(text.contains("evil\\u{202e}name"), "{text}");
        assert!(text.contains("Wait for it to finish"), "{text}");
    }
}
