//! The error type of the crate: each message says what went wrong and what to do (the same
//! words `skyhop-deploy` uses for the same failures, which it converts these into).

use std::path::PathBuf;

/// Everything that can go wrong reaching, copying, migrating or seeding a metadata database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` is not a PEP 440 version")]
    BadVersion(String),
    #[error("environment {0} has no `bin/airflow`; rebuild it (`skyhop env`) and try again")]
    NoAirflow(PathBuf),
    #[error("`{command}` failed ({status}); last lines of its output:\n{tail}")]
    Command {
        command: String,
        status: String,
        tail: String,
    },
    #[error(
        "`{0}` was not found; install the PostgreSQL client tools (see crates/skyhop-deploy/setup-postgres.sh)"
    )]
    MissingTool(String),
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// Whether the failure is this machine's (a PostgreSQL tool or an Airflow environment is
    /// missing), not the input's: callers exit with "environment" rather than "usage".
    pub fn is_environment(&self) -> bool {
        matches!(self, DbError::MissingTool(_) | DbError::NoAirflow(_))
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Attaches a path to an I/O error.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| DbError::Io {
            path: path.into(),
            source,
        })
    }
}
