//! Apache Airflow versions: strict parsing of a full `X.Y.Z` and what the catalog knows of each.

use std::str::FromStr;

use jiff::civil::Date;
use pep440_rs::Version;
use serde::Serialize;

/// Why a string is not a full Apache Airflow version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AirflowVersionError {
    #[error(
        "`{0}` is not a version: pass a full Airflow version such as 2.10.5 (`skyhop versions --airflow` lists them)"
    )]
    Floating(String),
    #[error("`{0}` is a partial Airflow version: pass a full `major.minor.patch` such as 2.10.5")]
    Partial(String),
    #[error(
        "`{input}` is not an Airflow version ({problem}): pass a full `major.minor.patch` such as 2.10.5"
    )]
    Invalid { input: String, problem: String },
}

/// Parses a full Airflow version (`2.9.1`; a local part such as `+astro.1` is kept). Partial
/// versions (`2.9`), `latest` and non-PEP 440 text are errors.
pub fn parse_airflow_version(s: &str) -> Result<Version, AirflowVersionError> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("latest") || t.eq_ignore_ascii_case("stable") {
        return Err(AirflowVersionError::Floating(t.to_string()));
    }
    let v = Version::from_str(t).map_err(|e| AirflowVersionError::Invalid {
        input: t.to_string(),
        problem: e.to_string(),
    })?;
    match v.release().len() {
        0..=2 => Err(AirflowVersionError::Partial(t.to_string())),
        3 => Ok(v),
        _ => Err(AirflowVersionError::Invalid {
            input: t.to_string(),
            problem: "more than three release numbers".into(),
        }),
    }
}

/// The `X.Y.Z` release of a version, without local part (`2.10.5+astro.2` → `2.10.5`).
pub fn base_version(v: &Version) -> Version {
    v.clone().without_local()
}

/// What the catalog knows of one Apache Airflow release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AirflowInfo {
    /// The version, e.g. `2.9.1`.
    #[serde(serialize_with = "ser_display")]
    pub version: Version,
    /// First upload to PyPI.
    pub release_date: Option<Date>,
    /// Python versions this release is tested with (`3.8` ...).
    pub pythons: Vec<String>,
    /// Yanked on PyPI.
    pub yanked: bool,
    pub yanked_reason: Option<String>,
}

impl AirflowInfo {
    /// Airflow major (2, 3).
    pub fn major(&self) -> u64 {
        self.version.release().first().copied().unwrap_or(0)
    }

    /// Airflow `major.minor`.
    pub fn minor(&self) -> (u64, u64) {
        let r = self.version.release();
        (
            r.first().copied().unwrap_or(0),
            r.get(1).copied().unwrap_or(0),
        )
    }
}

pub(crate) fn ser_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_versions_only() {
        assert_eq!(parse_airflow_version("2.9.1").unwrap().to_string(), "2.9.1");
        assert_eq!(
            parse_airflow_version("2.10.5+astro.2").unwrap().to_string(),
            "2.10.5+astro.2"
        );
        let errors: String = ["2.9", "2", "latest", "", "two", "2.9.1.1"]
            .iter()
            .map(|s| format!("{s:?} => {}\n", parse_airflow_version(s).unwrap_err()))
            .collect();
        insta::assert_snapshot!(errors);
    }
}
