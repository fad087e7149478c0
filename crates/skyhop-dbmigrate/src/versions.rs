//! Ordering of Airflow versions (PEP 440): which migration is an upgrade, which Alembic head
//! belongs to a version. `skyhop-deploy` orders deploys with the same functions.

use std::cmp::Ordering;

use crate::error::{DbError, Result};

/// Compares two Airflow versions by PEP 440 (`2.10.5 < 3.1.3`, `3.0.0rc1 < 3.0.0`).
pub fn compare_airflow(a: &str, b: &str) -> Result<Ordering> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// The major version of an Airflow version (`3` for `3.1.3`).
pub fn airflow_major(version: &str) -> Result<u64> {
    Ok(parse(version)?.release().first().copied().unwrap_or(0))
}

fn parse(v: &str) -> Result<pep440_rs::Version> {
    skyhop_core::parse_version(v.trim()).ok_or_else(|| DbError::BadVersion(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflow_versions_order_by_pep440() {
        assert_eq!(compare_airflow("2.10.5", "3.1.3").unwrap(), Ordering::Less);
        assert_eq!(
            compare_airflow("2.10.5", "2.9.3").unwrap(),
            Ordering::Greater
        );
        assert_eq!(
            compare_airflow("3.0.0rc1", "3.0.0").unwrap(),
            Ordering::Less
        );
        assert_eq!(airflow_major("3.1.3").unwrap(), 3);
        assert!(compare_airflow("two", "3").is_err());
    }
}
