//! Predicting migration time at another size: per Alembic revision, a least-squares line of
//! seconds against task instances, fitted on rehearsals of the same upgrade at several sizes
//! (`skyhop db seed` makes them; `scripts/db-bench.sh` runs them).

use serde::{Deserialize, Serialize};

use crate::error::{DbError, Result};
use crate::metadb::MetaDb;
use crate::rehearse::Rehearsal;

/// Lines fitted on rehearsals of one upgrade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fit {
    pub from_airflow: String,
    /// The Alembic revision migrated from (the fit holds for databases at it).
    pub from_revision: String,
    pub target_airflow: String,
    /// The task-instance counts fitted on.
    pub sizes: Vec<u64>,
    pub revisions: Vec<RevisionFit>,
}

/// `seconds ≈ fixed + per_million × task_instances / 10⁶` for one revision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevisionFit {
    pub revision: String,
    pub airflow_version: Option<String>,
    pub description: String,
    pub fixed: f64,
    pub per_million: f64,
}

impl Fit {
    /// Fits every revision of `runs` (rehearsals of the same upgrade at two or more sizes).
    pub fn from_rehearsals(runs: &[Rehearsal]) -> Result<Fit> {
        let first = runs
            .first()
            .ok_or_else(|| DbError::Other("no rehearsals to fit".into()))?;
        let mut sizes: Vec<u64> = runs.iter().map(|r| r.task_instances).collect();
        sizes.sort_unstable();
        sizes.dedup();
        if sizes.len() < 2 {
            return Err(DbError::Other(
                "fitting needs rehearsals at two or more sizes (task instances)".into(),
            ));
        }
        if let Some(bad) = runs.iter().find(|r| {
            !r.migration.ok
                || r.target_airflow != first.target_airflow
                || r.from_revision != first.from_revision
        }) {
            return Err(DbError::Other(format!(
                "the rehearsal of {} is not a successful {} → {} migration like the first",
                bad.source, first.from_airflow, first.target_airflow
            )));
        }
        let revisions = first
            .migration
            .revisions
            .iter()
            .map(|rev| {
                let points: Vec<(f64, f64)> = runs
                    .iter()
                    .filter_map(|r| {
                        let t = r
                            .migration
                            .revisions
                            .iter()
                            .find(|x| x.revision == rev.revision)?;
                        Some((r.task_instances as f64 / 1e6, t.seconds))
                    })
                    .collect();
                let (fixed, per_million) = least_squares(&points);
                RevisionFit {
                    revision: rev.revision.clone(),
                    airflow_version: rev.airflow_version.clone(),
                    description: rev.description.clone(),
                    fixed,
                    per_million,
                }
            })
            .collect();
        Ok(Fit {
            from_airflow: first.from_airflow.clone(),
            from_revision: first.from_revision.clone(),
            target_airflow: first.target_airflow.clone(),
            sizes,
            revisions,
        })
    }

    /// Predicted seconds in Alembic for `task_instances` (no revision below zero).
    pub fn predict(&self, task_instances: u64) -> f64 {
        let m = task_instances as f64 / 1e6;
        self.revisions
            .iter()
            .map(|r| (r.fixed + r.per_million * m).max(0.0))
            .sum()
    }

    /// The `n` revisions that grow fastest with size.
    pub fn steepest(&self, n: usize) -> Vec<&RevisionFit> {
        let mut v: Vec<&RevisionFit> = self.revisions.iter().collect();
        v.sort_by(|a, b| b.per_million.total_cmp(&a.per_million));
        v.truncate(n);
        v
    }
}

/// Fits measured by `scripts/db-bench.sh` on skyhop's own machine (2 shared cores, PostgreSQL
/// 15, `fsync=off`): a first idea of the downtime, not this database server's.
const BUILTIN: &[&str] = &[include_str!("fit-2.10.5-3.1.3.json")];

/// The built-in fit for a database at Alembic revision `from_revision` migrated to Airflow
/// `target` (same major.minor as the measured target).
pub fn builtin(from_revision: &str, target: &str) -> Option<Fit> {
    let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    BUILTIN
        .iter()
        .filter_map(|t| serde_json::from_str::<Fit>(t).ok())
        .find(|f| f.from_revision == from_revision && minor(&f.target_airflow) == minor(target))
}

/// The number of task instances of `db` without counting them on PostgreSQL (the planner's
/// `pg_class.reltuples`; `COUNT(*)` when the table was never analysed, and on SQLite), read in
/// a read-only session.
pub fn task_instances(db: &MetaDb) -> Result<u64> {
    let count = || -> Result<u64> {
        Ok(db
            .query("SELECT COUNT(*) FROM task_instance")?
            .first()
            .and_then(|r| r.first())
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    };
    if db.is_sqlite() {
        return count();
    }
    let estimate: i64 = db
        .query(
            "SELECT reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = 'task_instance' AND n.nspname = current_schema()",
        )?
        .first()
        .and_then(|r| r.first())
        .and_then(|c| c.parse().ok())
        .unwrap_or(-1);
    match u64::try_from(estimate) {
        Ok(n) if n > 0 => Ok(n),
        _ => count(),
    }
}

/// Intercept and slope of the least-squares line through `points` (x, y).
fn least_squares(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    if points.is_empty() {
        return (0.0, 0.0);
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return (my, 0.0);
    }
    let slope = sxy / sxx;
    (my - slope * mx, slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_a_line() {
        let (a, b) = least_squares(&[(0.01, 1.1), (0.1, 2.0), (1.0, 11.0)]);
        assert!((a - 1.0).abs() < 1e-9 && (b - 10.0).abs() < 1e-9, "{a} {b}");
        assert_eq!(least_squares(&[(1.0, 2.0), (1.0, 4.0)]), (3.0, 0.0));
    }

    #[test]
    fn builtin_fit_and_size_of_a_database() {
        let fit = builtin("5f2621c13b39", "3.1.7").expect("the 2.10 -> 3.1 fit");
        assert!(builtin("5f2621c13b39", "3.0.6").is_none());
        assert!(builtin("unknown", "3.1.3").is_none());
        assert!(fit.predict(1_000_000) > fit.predict(10_000));
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("a.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE task_instance (id INTEGER); \
                 INSERT INTO task_instance VALUES (1), (2), (3);",
            )
            .unwrap();
        assert_eq!(task_instances(&MetaDb::Sqlite { path }).unwrap(), 3);
    }
}
