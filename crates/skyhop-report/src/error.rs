//! Errors of writing reports.

use std::path::PathBuf;

/// What went wrong writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file of the report folder could not be written.
    #[error(
        "cannot write {path}: {source}; check that the folder is writable and the disk not full"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An extra file name would escape the report folder.
    #[error(
        "`{0}` is not a plain file name; extra report files must be written directly in the report folder"
    )]
    BadFileName(String),
    /// A built-in template failed (a bug in skyhop).
    #[error("report template error (a bug in skyhop, please report it): {0}")]
    Template(#[from] minijinja::Error),
}

/// Result of this crate.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
