//! Where the app keeps its files, following platform conventions.

use std::path::{Path, PathBuf};

/// The environment variable that moves every file of ours (tests point it at a temp dir).
pub const HOME_ENV: &str = "HELLO_BOOTSTRAP_HOME";

/// Config directory: `$HELLO_BOOTSTRAP_HOME/config`, else the platform's (XDG_CONFIG_HOME on Linux,
/// %APPDATA% on Windows).
pub fn config_dir() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV) {
        return PathBuf::from(home).join("config");
    }
    project_dirs()
        .map(|d| d.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".hello-bootstrap/config"))
}

/// Data directory (demo tenant and emulated host state): `$HELLO_BOOTSTRAP_HOME/data`, else the
/// platform's (XDG_DATA_HOME on Linux, %LOCALAPPDATA% on Windows).
pub fn data_dir() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV) {
        return PathBuf::from(home).join("data");
    }
    project_dirs()
        .map(|d| d.data_local_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".hello-bootstrap/data"))
}

/// The demo tenant's saved state (the emulator's state file in demo mode).
pub fn demo_tenant_file() -> PathBuf {
    data_dir().join("demo-tenant.json")
}

/// The demo Hyper-V host's saved state.
pub fn demo_host_file() -> PathBuf {
    data_dir().join("demo-host.json")
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "hello-bootstrap")
}

/// Writes a file so that a crash or power cut leaves either the old file or the new one, never
/// half of one: a temp file of its own (unique name, same folder, so the rename stays on one
/// file system), flushed to disk, renamed over the target, then the folder flushed so the rename
/// itself survives. Two writers never share a temp file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        rand_u64()
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(&dir);
    Ok(())
}

/// Flushes a folder's entries (the rename) to disk; Windows has no such call and keeps renames.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// An advisory lock on one of our files, shared by the CLI and the wizard (and any second copy of
/// either): held while the file is read or written, released on drop. It is a separate
/// `<file>.lock` beside the file, so the atomic rename never swaps the locked file away.
pub struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    /// Waits for the lock on `path`: exclusive for writers, shared for readers.
    pub fn acquire(path: &Path, exclusive: bool) -> std::io::Result<FileLock> {
        let lock_path = lock_path(path);
        if let Some(dir) = lock_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)?;
        if exclusive {
            file.lock()?;
        } else {
            file.lock_shared()?;
        }
        Ok(FileLock { _file: file })
    }
}

/// The lock file of `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Moves a file we cannot read (damaged, or written by a newer version) aside to
/// `<name>.<why>-<UTC time>` in the same folder, so nothing in it is lost and a fresh start is
/// possible; returns where it went.
pub fn move_aside(path: &Path, why: &str) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{why}-{stamp}"));
    let aside = path.with_file_name(name);
    std::fs::rename(path, &aside)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/session.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["session.json".to_string()], "{names:?}");
    }

    #[test]
    fn concurrent_writers_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let threads: Vec<_> = (0..8u8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _lock = FileLock::acquire(&path, true).unwrap();
                        write_atomic(&path, &vec![b'a' + i; 4096]).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert!(bytes.iter().all(|b| *b == bytes[0]));
    }

    #[test]
    fn a_file_moved_aside_keeps_its_bytes_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        std::fs::write(&path, b"{broken").unwrap();
        let aside = move_aside(&path, "damaged").unwrap();
        assert!(!path.exists());
        assert_eq!(std::fs::read(&aside).unwrap(), b"{broken");
        assert!(
            aside
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("session.json.damaged-")
        );
    }
}
