//! The metadata-database rehearsal as the journey uses it: a database named by URL (or a
//! deployment's), the environment the migration runs in, the rehearsal itself
//! ([`skyhop_dbmigrate::rehearse`]) and its summary for the report.

use std::path::{Path, PathBuf};

use skyhop_dbmigrate::rehearse::{Rehearsal, RehearseSpec};
use skyhop_dbmigrate::{DbError, MetaDb, airflow_major};

use crate::{Ctx, Failure};

/// Bad input is a usage error; a missing tool or environment an environment error.
pub fn failure(e: DbError) -> Failure {
    if e.is_environment() {
        Failure::env(e)
    } else {
        Failure::usage(e)
    }
}

/// Plain Airflow `version` with the metadata-DB drivers (psycopg2; asyncpg on Airflow 3), from
/// skyhop's environment cache: migrations need Airflow and the drivers, not the project's
/// providers.
pub fn db_venv(ctx: &Ctx, version: &str) -> Result<PathBuf, Failure> {
    let major = airflow_major(version).map_err(Failure::usage)?;
    let mut reqs = vec!["psycopg2-binary"];
    if major >= 3 {
        reqs.push("asyncpg");
    }
    skyhop_env::airflow_venv_plus(version, &reqs, &ctx.cache, &ctx.progress)
        .map(|v| v.root)
        .map_err(Failure::env)
}

/// `--db-url` as a database, checked reachable (wrong credentials, an unreachable server and
/// a missing SQLite file are said here, before anything is built); nothing is created.
pub fn source_db(url: &str) -> Result<MetaDb, Failure> {
    let db = MetaDb::from_url(Some(url), Path::new(""))
        .map_err(|e| Failure::usage(format!("--db-url: {e}")))?;
    if let MetaDb::Sqlite { path } = &db
        && !path.is_file()
    {
        return Err(Failure::usage(format!(
            "--db-url: {} does not exist; give the path of the Airflow SQLite file (`sqlite:////abs/path/airflow.db`)",
            path.display()
        )));
    }
    db.query("SELECT 1").map_err(failure)?;
    Ok(db)
}

/// Rehearses the migration of `source` (at Airflow `from`, when known) to Airflow `target`
/// on copies: the migration, and the way back unless `rollback` is false.
pub fn rehearse(
    ctx: &Ctx,
    source: MetaDb,
    from: Option<String>,
    target: &str,
    rollback: bool,
    scratch_dir: Option<PathBuf>,
) -> Result<Rehearsal, Failure> {
    let venv = db_venv(ctx, target)?;
    let spec = RehearseSpec {
        source,
        from_airflow: from,
        target_airflow: target.to_string(),
        target_venv: venv,
        rollback,
        scratch_dir,
    };
    skyhop_dbmigrate::rehearse::rehearse(&spec, &ctx.progress).map_err(failure)
}

/// What the report shows of a rehearsal.
pub fn summary(r: &Rehearsal) -> skyhop_report::DbRehearsal {
    let m = &r.migration;
    let mut tables: Vec<String> = Vec::new();
    for t in &r.moved {
        tables.push(format!("moved aside: {} ({} rows)", t.table, t.rows));
    }
    for t in &r.dropped {
        tables.push(format!("dropped: {} ({} rows)", t.table, t.rows));
    }
    for t in &r.renamed {
        tables.push(format!("renamed: {} -> {} ({} rows)", t.from, t.to, t.rows));
    }
    let (rollback, rollback_loss) = match &r.rollback {
        Some(b) => {
            let mut loss: Vec<String> = b
                .lost_tables
                .iter()
                .map(|t| format!("table {} ({} rows)", t.table, t.rows))
                .collect();
            loss.extend(
                b.lost_columns
                    .iter()
                    .filter(|c| c.values > 0)
                    .map(|c| format!("column {}.{} ({} values)", c.table, c.column, c.values)),
            );
            (Some(b.plan.clone()), loss)
        }
        None => (None, Vec::new()),
    };
    skyhop_report::DbRehearsal {
        source: r.source.clone(),
        ok: m.ok,
        task_instances: r.task_instances,
        seconds: m.seconds,
        predicted_seconds: r.reference_seconds,
        slowest: r
            .slowest(5)
            .into_iter()
            .map(|v| {
                (
                    v.revision.clone(),
                    v.airflow_version.clone(),
                    v.description.clone(),
                    v.seconds,
                )
            })
            .collect(),
        tables,
        error: m.error.as_ref().map(|e| match (&e.revision, &e.statement) {
            (Some(rev), Some(sql)) => format!("revision {rev}: {} (SQL: {sql})", e.message),
            (Some(rev), None) => format!("revision {rev}: {}", e.message),
            _ => e.message.clone(),
        }),
        rollback,
        rollback_loss,
    }
}
