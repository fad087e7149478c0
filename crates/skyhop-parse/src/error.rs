//! What can stop a whole parse run (a single DAG file failing is a result, not an error).

use std::path::PathBuf;

/// A parse run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error(
        "cannot write the parse harness to {path}: {source}; check that skyhop's cache directory is writable (or set SKYHOP_CACHE_DIR)"
    )]
    HarnessInstall {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot run {python}: {source}; check that the environment exists (it may need to be rebuilt)"
    )]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot make the empty HOME for DAG code in {dir}: {source}; check that the temporary directory is writable (or set TMPDIR)"
    )]
    Home {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot talk to the parse harness run by {python}: {source}")]
    Io {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "Airflow cannot be loaded by {python}: {message}; check that the environment holds a working apache-airflow\n{detail}"
    )]
    AirflowUnavailable {
        python: PathBuf,
        message: String,
        detail: String,
    },
    #[error(
        "the parse harness run by {python} stopped before the end ({status}) after {done} of {total} files; its last output:\n{stderr}"
    )]
    HarnessDied {
        python: PathBuf,
        status: String,
        done: usize,
        total: usize,
        stderr: String,
    },
    #[error("the parse harness run by {python} sent a line skyhop cannot read ({message}): {line}")]
    Protocol {
        python: PathBuf,
        line: String,
        message: String,
    },
}
