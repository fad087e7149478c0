//! Where a deployment runs, behind a trait: the local process supervisor today, a Kubernetes
//! (official Airflow Helm chart) target later.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use skyhop_core::Progress;

use crate::api::Health;
use crate::error::Result;
use crate::metadb::MetaDb;

/// Everything needed to run one version of a project's Airflow. Its `Debug` shows variable
/// names only and the database with its password hidden.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// What runs, for the UI and status (`prod deploy 3`, `dev`).
    pub label: String,
    /// The deploy this is, when it is one.
    pub deploy_id: Option<i64>,
    /// Airflow version of the environment (`2.10.5`).
    pub airflow_version: String,
    /// Astro Runtime label, when the project is on Runtime (`3.1-5`, `12.1.0`).
    pub runtime: Option<String>,
    /// Root of the Python environment (has `bin/airflow`).
    pub venv: PathBuf,
    /// Directory with `dags/`, `plugins/`, `include/` (a project root or a stored bundle).
    pub code_dir: PathBuf,
    /// Port of the web UI / API server.
    pub port: u16,
    /// The metadata database.
    pub db: MetaDb,
    /// The deployment's environment variables (values included: never print a RunSpec).
    #[serde(skip)]
    pub env: Vec<(String, String)>,
}

impl std::fmt::Debug for RunSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunSpec")
            .field("label", &self.label)
            .field("deploy_id", &self.deploy_id)
            .field("airflow_version", &self.airflow_version)
            .field("runtime", &self.runtime)
            .field("venv", &self.venv)
            .field("code_dir", &self.code_dir)
            .field("port", &self.port)
            .field("db", &self.db)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish()
    }
}

impl RunSpec {
    /// The instance name shown in the Airflow UI: label, Runtime and Airflow versions.
    pub fn instance_name(&self) -> String {
        match &self.runtime {
            Some(rt) => format!(
                "{} · Astro Runtime {rt} · Airflow {}",
                self.label, self.airflow_version
            ),
            None => format!("{} · Airflow {}", self.label, self.airflow_version),
        }
    }
}

/// One supervised process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessStatus {
    /// `scheduler`, `webserver`, `api-server`, `dag-processor`, `triggerer`.
    pub name: String,
    pub pid: u32,
    pub alive: bool,
    /// Last lines of its log when it is dead.
    pub log_tail: Option<String>,
    /// Its log file.
    pub log: PathBuf,
}

/// What a target is running now.
#[derive(Debug, Clone, Serialize)]
pub struct TargetStatus {
    /// The spec it was started with (`None` when nothing was started).
    pub running: Option<RunSpec>,
    pub processes: Vec<ProcessStatus>,
    /// UI / API URL.
    pub url: Option<String>,
    /// Health as the API reports it, when something runs.
    pub health: Option<Health>,
}

impl TargetStatus {
    /// Every process alive and the API healthy.
    pub fn is_healthy(&self) -> bool {
        !self.processes.is_empty()
            && self.processes.iter().all(|p| p.alive)
            && self.health.as_ref().is_some_and(|h| h.healthy)
    }
}

/// A place Airflow runs: processes on this machine, or (later) a Kubernetes release.
pub trait Target {
    /// Migrates the metadata DB to the schema of `spec`'s Airflow (`airflow db migrate`).
    fn migrate(&self, spec: &RunSpec, progress: &dyn Progress) -> Result<()>;
    /// Downgrades the metadata DB to Airflow `to_version`'s schema, using the newer
    /// environment `newer` (only it knows how to undo its migrations).
    fn downgrade(&self, newer: &RunSpec, to_version: &str, progress: &dyn Progress) -> Result<()>;
    /// Starts every Airflow component of `spec` (stopping whatever ran before).
    fn start(&self, spec: &RunSpec, progress: &dyn Progress) -> Result<()>;
    /// Stops every component; fine when nothing runs.
    fn stop(&self, progress: &dyn Progress) -> Result<()>;
    /// Processes, URL and health.
    fn status(&self) -> Result<TargetStatus>;
    /// Waits until the API reports healthy with `spec`'s version and all processes live.
    fn wait_healthy(
        &self,
        spec: &RunSpec,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Health>;
    /// The last `lines` lines of each component's log (or only `process`'s).
    fn logs(&self, process: Option<&str>, lines: usize) -> Result<Vec<(String, String)>>;
}
