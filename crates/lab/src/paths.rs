//! Where the app keeps its files, following platform conventions.

use std::path::PathBuf;

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

/// Writes a file atomically (temp file + rename) so a crash never leaves half a session file.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
