//! The lab report: a self-contained HTML page and a JSON file beside it with each step's result,
//! timestamps, evidence and captured screens, never a secret.

pub mod data;
pub mod from_lab;
pub mod html;
pub mod png;
pub mod redact;

pub use data::{CapturedImage, ReportData, StepEntry};
pub use png::{color_image_to_png, rgba_to_png};
pub use redact::Redactor;

use std::path::{Path, PathBuf};

/// Why a report could not be written; each text says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report to {path}: {source}. Choose a folder you can write to.")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    BadPath(String),
    #[error("{0}")]
    Image(String),
    #[error("cannot turn the report into JSON: {0}")]
    Json(String),
}

/// The JSON file that goes beside an HTML report: same name, `.json`.
pub fn json_path_for(path_html: &Path) -> PathBuf {
    path_html.with_extension("json")
}

/// Writes the HTML report at `path_html` and the JSON beside it; returns both paths. Everything is
/// redacted first, so a secret that slipped into evidence never reaches either file.
pub fn write_report(
    path_html: &Path,
    data: &ReportData,
) -> Result<(PathBuf, PathBuf), ReportError> {
    if path_html.file_name().is_none() {
        return Err(ReportError::BadPath(format!(
            "'{}' is not a file name: give the report a name such as lab-report.html",
            path_html.display()
        )));
    }
    let path_json = json_path_for(path_html);
    if path_json == path_html {
        return Err(ReportError::BadPath(format!(
            "'{}' ends in .json, where the JSON copy goes: name the report .html",
            path_html.display()
        )));
    }
    let safe = data.redacted(&Redactor::new());
    let html = html::render(&safe);
    let json = serde_json::to_vec_pretty(&safe).map_err(|e| ReportError::Json(e.to_string()))?;
    for (path, bytes) in [(path_html, html.as_bytes()), (path_json.as_path(), &json)] {
        hb_lab::paths::write_atomic(path, bytes).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok((path_html.to_path_buf(), path_json))
}
