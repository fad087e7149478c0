//! The one error type of the crate: each message says what went wrong and what to do.

use std::path::PathBuf;

use crate::rollback::RollbackPlan;

/// Everything that can go wrong while running, deploying or rolling back.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: deployment state store: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("deployment `{0}` does not exist; create it with `skyhop deployment create {0}`")]
    NoSuchDeployment(String),
    #[error("deployment `{0}` already exists ({1})")]
    DeploymentExists(String, PathBuf),
    #[error(
        "`{0}` is not a valid deployment name: use letters, digits, `-` and `_` (max 63 characters)"
    )]
    BadName(String),
    #[error(
        "`{0}` is not a valid environment variable name: use letters, digits and `_`, not starting with a digit"
    )]
    BadEnvName(String),
    #[error("deploy {0} does not exist in this deployment's history; see `skyhop deploy history`")]
    NoSuchDeploy(i64),
    #[error(
        "another deploy or rollback of this deployment is running (lock {0}); wait for it to finish"
    )]
    Locked(PathBuf),
    #[error("{0}")]
    Downgrade(String),
    #[error("the DAGs do not parse; fix them (see the parse report) or deploy with `--force`")]
    ParseFailed,
    #[error(
        "rolling back to deploy {} lowers Airflow from {} to {}; confirm with `--yes`", .0.deploy_id, .0.from_airflow, .0.to_airflow
    )]
    NeedsConfirmation(Box<RollbackPlan>),
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
    #[error("Airflow did not become healthy within {seconds} s: {detail}")]
    Unhealthy { seconds: u64, detail: String },
    #[error(
        "there is nothing to run: deployment `{0}` has no successful deploy yet; run `skyhop deploy`"
    )]
    NothingDeployed(String),
    #[error("{0}")]
    Other(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = DeployError> = std::result::Result<T, E>;

/// Attaches a path to an I/O error.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| DeployError::Io {
            path: path.into(),
            source,
        })
    }
}

/// Attaches the store path to a SQLite error.
pub(crate) trait StoreContext<T> {
    fn db(self, path: &std::path::Path) -> Result<T>;
}

impl<T> StoreContext<T> for rusqlite::Result<T> {
    fn db(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| DeployError::Store {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The database's errors keep their words (and their kind: a missing PostgreSQL tool is still
/// [`DeployError::MissingTool`]).
impl From<skyhop_dbmigrate::DbError> for DeployError {
    fn from(e: skyhop_dbmigrate::DbError) -> Self {
        use skyhop_dbmigrate::DbError;
        match e {
            DbError::Io { path, source } => DeployError::Io { path, source },
            DbError::BadVersion(v) => DeployError::BadVersion(v),
            DbError::NoAirflow(venv) => DeployError::NoAirflow(venv),
            DbError::Command {
                command,
                status,
                tail,
            } => DeployError::Command {
                command,
                status,
                tail,
            },
            DbError::MissingTool(tool) => DeployError::MissingTool(tool),
            DbError::Other(message) => DeployError::Other(message),
        }
    }
}
