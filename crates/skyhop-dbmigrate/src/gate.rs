//! The "rehearse before a large deploy" decision: a deploy that raises Airflow on a metadata
//! database holding many task instances rehearses the migration on a copy first, so the
//! downtime is known (and a failing migration refuses the deploy) before anything changes.

use crate::metadb::MetaDb;
use crate::predict;
use crate::versions::compare_airflow;

/// Task instances from which an Airflow upgrade's migration is rehearsed before a deploy.
pub const REHEARSE_THRESHOLD: u64 = 100_000;

/// `SKYHOP_REHEARSE_THRESHOLD` (task instances; 0 rehearses always), else
/// [`REHEARSE_THRESHOLD`].
pub fn threshold_from_env() -> u64 {
    std::env::var("SKYHOP_REHEARSE_THRESHOLD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(REHEARSE_THRESHOLD)
}

/// What a deploy does before it deploys.
#[derive(Debug)]
pub enum DeployGate {
    /// Deploy straight away: Airflow is not raised, the database is small, or its size cannot
    /// be read.
    Deploy,
    /// Rehearse the migration of `db` on a copy first: it holds about `task_instances`.
    Rehearse { db: MetaDb, task_instances: u64 },
}

/// The gate of a deploy from Airflow `from` to `to`: [`DeployGate::Rehearse`] when `to` is
/// newer (PEP 440) and the database (`db`, only opened then) holds at least `threshold` task
/// instances.
pub fn deploy_gate<E>(
    from: &str,
    to: &str,
    threshold: u64,
    db: impl FnOnce() -> Result<MetaDb, E>,
) -> Result<DeployGate, E> {
    if !compare_airflow(to, from).is_ok_and(|o| o.is_gt()) {
        return Ok(DeployGate::Deploy);
    }
    let db = db()?;
    let Ok(task_instances) = predict::task_instances(&db) else {
        return Ok(DeployGate::Deploy);
    };
    if task_instances < threshold {
        return Ok(DeployGate::Deploy);
    }
    Ok(DeployGate::Rehearse { db, task_instances })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_with(task_instances: usize) -> (tempfile::TempDir, MetaDb) {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("airflow.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE task_instance (id INTEGER)")
            .unwrap();
        for i in 0..task_instances {
            c.execute("INSERT INTO task_instance VALUES (?1)", [i as i64])
                .unwrap();
        }
        (d, MetaDb::Sqlite { path })
    }

    fn gate(from: &str, to: &str, threshold: u64, db: &MetaDb) -> DeployGate {
        let db = db.clone();
        deploy_gate::<()>(from, to, threshold, || Ok(db)).unwrap()
    }

    #[test]
    fn only_an_airflow_upgrade_of_a_large_database_is_rehearsed() {
        let (_d, db) = sqlite_with(3);
        assert!(matches!(
            gate("2.10.5", "3.1.3", 3, &db),
            DeployGate::Rehearse {
                task_instances: 3,
                ..
            }
        ));
        assert!(matches!(
            gate("2.10.5", "3.1.3", 0, &db),
            DeployGate::Rehearse { .. }
        ));
        // smaller than the threshold, the same version, a downgrade
        assert!(matches!(
            gate("2.10.5", "3.1.3", 4, &db),
            DeployGate::Deploy
        ));
        assert!(matches!(gate("3.1.3", "3.1.3", 0, &db), DeployGate::Deploy));
        assert!(matches!(
            gate("3.1.3", "2.10.5", 0, &db),
            DeployGate::Deploy
        ));
        // the database is not opened when Airflow is not raised
        let gated = deploy_gate("3.1.3", "3.0.0", 0, || Err("never opened"));
        assert!(matches!(gated, Ok(DeployGate::Deploy)));
        assert_eq!(
            deploy_gate("2.10.5", "3.0.0", 0, || Err("opened")).unwrap_err(),
            "opened"
        );
    }
}
