//! `skyhop dev`: the project's Airflow on this machine, straight from the project directory.
//!
//! State lives in `<project>/.skyhop/dev/` (private, git-ignored: see [`crate::private`]): the
//! SQLite metadata DB `airflow.db` (unless a PostgreSQL URL is given), `migrated.json` (which
//! Airflow version and DB, by a hash of its URL, the schema was last migrated for), and the
//! local target's homes, logs and pids.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use skyhop_core::Progress;

use crate::api::Health;
use crate::error::{DeployError, Result};
use crate::local::LocalTarget;
use crate::metadb::MetaDb;
use crate::private;
use crate::target::{RunSpec, Target, TargetStatus};
use crate::versions::compare_airflow;

/// What to run locally. The CLI fills it from the project and its installed environment.
#[derive(Debug, Clone)]
pub struct DevSpec {
    /// Airflow version of the environment.
    pub airflow_version: String,
    /// Astro Runtime label, when the project is on Runtime.
    pub runtime: Option<String>,
    /// Root of the installed environment (`bin/airflow`).
    pub venv: PathBuf,
    /// Web UI / API port (8080 by default in the CLI).
    pub port: u16,
    /// PostgreSQL URL; `None` for SQLite in the state directory.
    pub db_url: Option<String>,
    /// Extra environment variables (the project's Dockerfile `ENV` and `.env`, and what the
    /// user passes on purpose): Airflow gets these, not the caller's whole environment.
    pub env: Vec<(String, String)>,
    /// How long to wait for Airflow to report healthy.
    pub health_timeout: Duration,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Migrated {
    conn: String,
    airflow_version: String,
}

/// The local development Airflow of one project.
#[derive(Debug, Clone)]
pub struct DevServer {
    project_root: PathBuf,
    state_dir: PathBuf,
    target: LocalTarget,
}

impl DevServer {
    /// The dev server of the project at `project_root`.
    pub fn new(project_root: &Path) -> Self {
        let state_dir = project_root.join(private::STATE_DIR).join("dev");
        DevServer {
            project_root: project_root.to_path_buf(),
            target: LocalTarget::new(state_dir.clone()),
            state_dir,
        }
    }

    fn spec(&self, dev: &DevSpec) -> Result<RunSpec> {
        Ok(RunSpec {
            label: "dev".to_string(),
            deploy_id: None,
            airflow_version: dev.airflow_version.clone(),
            runtime: dev.runtime.clone(),
            venv: dev.venv.clone(),
            code_dir: self.project_root.clone(),
            port: dev.port,
            db: MetaDb::from_url(dev.db_url.as_deref(), &self.state_dir.join("airflow.db"))?,
            env: dev.env.clone(),
        })
    }

    /// Starts Airflow (migrating the DB first when its version or DB changed). Fails when it
    /// already runs: use [`DevServer::restart`].
    pub fn start(&self, dev: &DevSpec, progress: &dyn Progress) -> Result<Health> {
        if self.target.status()?.processes.iter().any(|p| p.alive) {
            return Err(DeployError::Other(
                "the local Airflow is already running; use `skyhop dev restart` to pick up changes"
                    .into(),
            ));
        }
        self.run(dev, progress)
    }

    /// Stops Airflow and starts it again from the project's current version and requirements
    /// (the CLI passes the environment of the Dockerfile's version), migrating when needed.
    pub fn restart(&self, dev: &DevSpec, progress: &dyn Progress) -> Result<Health> {
        self.target.stop(progress)?;
        self.run(dev, progress)
    }

    fn run(&self, dev: &DevSpec, progress: &dyn Progress) -> Result<Health> {
        let spec = self.spec(dev)?;
        spec.db.check_drivers(
            &spec.venv,
            crate::versions::airflow_major(&spec.airflow_version)?,
        )?;
        if private::state_root(&self.project_root)?.1 {
            // State an older skyhop left: readable by others until now.
            private::tighten(&self.project_root.join(private::STATE_DIR))?;
        }
        private::dir(&self.state_dir)?;
        self.migrate_if_needed(&spec, progress)?;
        self.target.start(&spec, progress)?;
        self.target
            .wait_healthy(&spec, dev.health_timeout, progress)
    }

    fn migrate_if_needed(&self, spec: &RunSpec, progress: &dyn Progress) -> Result<()> {
        let marker = self.state_dir.join("migrated.json");
        // A hash: the URL may hold a password.
        let want = Migrated {
            conn: hex::encode(&Sha256::digest(spec.db.sql_alchemy_conn().as_bytes())[..8]),
            airflow_version: spec.airflow_version.clone(),
        };
        let have: Option<Migrated> = fs::read_to_string(&marker)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let db_exists = match &spec.db {
            MetaDb::Sqlite { path } => path.exists(),
            MetaDb::Postgres { .. } => true,
        };
        if have.as_ref() == Some(&want) && db_exists {
            return Ok(());
        }
        if let Some(h) = have.filter(|h| h.conn == want.conn && db_exists)
            && compare_airflow(&spec.airflow_version, &h.airflow_version)?.is_lt()
        {
            return Err(DeployError::Downgrade(format!(
                "the local metadata DB ({}) has the Airflow {} schema and cannot run Airflow {}; \
                 go back to Airflow {} in the Dockerfile, or delete {} to start with an empty DB",
                spec.db.display(),
                h.airflow_version,
                spec.airflow_version,
                h.airflow_version,
                self.state_dir.join("airflow.db").display()
            )));
        }
        self.target.migrate(spec, progress)?;
        let text = serde_json::to_string(&want).map_err(|e| DeployError::Other(e.to_string()))?;
        private::write(&marker, text.as_bytes())
    }

    /// Stops every process.
    pub fn stop(&self, progress: &dyn Progress) -> Result<()> {
        self.target.stop(progress)
    }

    /// Versions, processes (dead ones with their log tail), URL and health.
    pub fn status(&self) -> Result<TargetStatus> {
        self.target.status()
    }

    /// The last `lines` lines of each component's log (or only `component`'s).
    pub fn logs(&self, component: Option<&str>, lines: usize) -> Result<Vec<(String, String)>> {
        self.target.logs(component, lines)
    }
}
