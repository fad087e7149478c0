//! Filling a metadata database with realistic history, to measure how migration time grows
//! with its size (`skyhop db seed`).
//!
//! The rows are written by a Python script ([`seed.py`](../seed.py)) in the environment of the
//! Airflow version the database is for, through Airflow's own models: DAGs, DAG runs, task
//! instances with retries (earlier tries in `task_instance_history`), XComs, audit log rows,
//! rendered template fields, task failures, datasets and dataset events. Airflow 2.7–2.11 only:
//! the current side of a 2 → 3 upgrade.

use std::collections::BTreeMap;
use std::path::PathBuf;

use skyhop_core::Progress;

use crate::error::{DbError, Result};
use crate::metadb::MetaDb;
use crate::rehearse::Work;
use crate::versions::{airflow_major, compare_airflow};

const SCRIPT: &str = include_str!("seed.py");

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    /// The database to fill (an empty one is first created with Airflow's `upgradedb`).
    pub db: MetaDb,
    /// The Airflow version of `venv` (2.7 – 2.11).
    pub airflow_version: String,
    /// An environment of that version with the database driver (`psycopg2` for PostgreSQL).
    pub venv: PathBuf,
    pub dag_runs: u64,
    pub task_instances: u64,
}

/// Whether [`seed`] supports Airflow `v` (2.7 – 2.11), as a clear error when not.
pub fn supported(v: &str) -> Result<()> {
    if airflow_major(v)? != 2 || compare_airflow(v, "2.7.0")?.is_lt() {
        return Err(DbError::Other(format!(
            "seeding supports Airflow 2.7 to 2.11 (the version before a 2 → 3 upgrade), not {v}"
        )));
    }
    Ok(())
}

/// Fills `spec.db`; returns the rows added per table.
pub fn seed(spec: &SeedSpec, progress: &dyn Progress) -> Result<BTreeMap<String, u64>> {
    supported(&spec.airflow_version)?;
    if spec.dag_runs == 0 || spec.task_instances < spec.dag_runs {
        return Err(DbError::Other(format!(
            "--dag-runs must be at least 1 and --task-instances at least --dag-runs (got {} and {})",
            spec.dag_runs, spec.task_instances
        )));
    }
    spec.db.check_drivers(&spec.venv, 2)?;
    let work = Work::new(None)?;
    work.add_script("seed.py", SCRIPT)?;
    let (runs, tis) = (spec.dag_runs.to_string(), spec.task_instances.to_string());
    progress.begin("seed the database", Some(spec.task_instances));
    let r = work.script(
        &spec.venv,
        &spec.db,
        "seed.py",
        &["seed", &runs, &tis],
        "seed.json",
    );
    progress.end("seed the database", &format!("{tis} task instances"));
    let (value, _, _) = r.map_err(|e| match e {
        DbError::Command { tail, .. } => {
            DbError::Other(format!("seeding {} failed:\n{tail}", spec.db.display()))
        }
        other => other,
    })?;
    serde_json::from_value(value)
        .map_err(|e| DbError::Other(format!("the seed script's output: {e}")))
}
