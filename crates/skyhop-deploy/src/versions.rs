//! Ordering of Airflow versions (PEP 440) and Astro Runtime labels, for downgrade checks, and
//! how a version is named in messages.

use crate::error::Result;
use std::cmp::Ordering;

/// "Astro Runtime 12.7.1 (Airflow 2.10.5)", or "Airflow 2.10.5" without a Runtime: how
/// every message of the crate (and the web UI) names a version.
pub fn version_label(airflow: &str, runtime: Option<&str>) -> String {
    match runtime {
        Some(rt) => format!("Astro Runtime {rt} (Airflow {airflow})"),
        None => format!("Airflow {airflow}"),
    }
}

/// Compares two Airflow versions by PEP 440 (`2.10.5 < 3.1.3`, `3.0.0rc1 < 3.0.0`), as the
/// migration rehearsal does ([`skyhop_dbmigrate::compare_airflow`]).
pub fn compare_airflow(a: &str, b: &str) -> Result<Ordering> {
    Ok(skyhop_dbmigrate::compare_airflow(a, b)?)
}

/// The major version of an Airflow version (`3` for `3.1.3`).
pub fn airflow_major(version: &str) -> Result<u64> {
    Ok(skyhop_dbmigrate::airflow_major(version)?)
}

/// Compares two Astro Runtime labels the way the Astro CLI orders them: the Airflow 3 scheme
/// (`3.1-12`, `<airflow major.minor>-<patch>`) is newer than every Airflow 2 scheme label
/// (`11.3.0`, `13.1.0`). Returns `None` when a label is not understood; callers with the
/// catalog at hand may pass their own ordering instead.
pub fn compare_runtime(a: &str, b: &str) -> Option<Ordering> {
    Some(runtime_key(a)?.cmp(&runtime_key(b)?))
}

fn runtime_key(label: &str) -> Option<(u8, Vec<u64>)> {
    let label = label.trim();
    // `-python-3.11`, `-base` and similar suffixes do not change the order.
    let core = label.split("-python").next()?.trim_end_matches("-base");
    if let Some((af, patch)) = core.split_once('-') {
        let mut parts = numbers(af)?;
        parts.push(patch.parse().ok()?);
        Some((1, parts))
    } else {
        Some((0, numbers(core)?))
    }
}

fn numbers(s: &str) -> Option<Vec<u64>> {
    s.split('.').map(|p| p.parse().ok()).collect()
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

    #[test]
    fn runtime_labels_order_like_astro() {
        assert_eq!(compare_runtime("11.3.0", "13.1.0"), Some(Ordering::Less));
        assert_eq!(compare_runtime("3.1-12", "13.1.0"), Some(Ordering::Greater));
        assert_eq!(compare_runtime("3.1-2", "3.1-12"), Some(Ordering::Less));
        assert_eq!(compare_runtime("3.0-9", "3.1-1"), Some(Ordering::Less));
        assert_eq!(
            compare_runtime("12.1.0-python-3.11", "12.1.0"),
            Some(Ordering::Equal)
        );
        assert_eq!(compare_runtime("latest", "3.1-1"), None);
    }
}
