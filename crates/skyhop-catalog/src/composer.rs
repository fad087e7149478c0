//! Google Cloud Composer image versions (`composer-3-airflow-2.10.5-build.15`,
//! `composer-2.9.7-airflow-2.9.3`) and Composer's own Airflow builds (`2.10.5+composer`): the
//! upstream Apache Airflow release each runs. Composer's preinstalled package list is not
//! public data: a `pip list` / `pip freeze` of the environment (`--current-freeze`,
//! `--target-freeze`) is how the exact environment is given.

use crate::airflow::{AirflowVersionError, parse_airflow_version};

/// A Composer image version, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerImage {
    /// The Composer version: `3`, `2.9.7`, `1.20.12`.
    pub composer: String,
    /// The Airflow version it runs, as written (`2.10.5`).
    pub airflow: String,
    /// The Composer 3 build number (`15` of `build.15`).
    pub build: Option<u32>,
}

impl std::fmt::Display for ComposerImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "composer-{}-airflow-{}", self.composer, self.airflow)?;
        if let Some(b) = self.build {
            write!(f, "-build.{b}")?;
        }
        Ok(())
    }
}

/// Why a Composer image version cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposerVersionError {
    /// `composer-3-airflow-2` / `composer-latest-airflow-x.y`: an alias that moves.
    #[error(
        "`{0}` is a Composer version alias, not one image: pass the full image version your environment runs (`gcloud composer environments describe ... --format='value(config.softwareConfig.imageVersion)'`), e.g. composer-3-airflow-2.10.5-build.15"
    )]
    Alias(String),
    #[error("`{input}`: {error}")]
    Airflow {
        input: String,
        error: AirflowVersionError,
    },
}

/// Parses `composer-<composer>-airflow-<airflow>[-build.<n>]`; `None` when `s` is not a
/// Composer image version at all.
pub fn parse_composer_image(s: &str) -> Option<Result<ComposerImage, ComposerVersionError>> {
    let t = s.trim();
    let rest = t.strip_prefix("composer-")?;
    let (composer, after) = rest.split_once("-airflow-")?;
    let (airflow, build) = match after.split_once("-build.") {
        Some((a, b)) => (a, Some(b)),
        None => (after, None),
    };
    let alias = || Some(Err(ComposerVersionError::Alias(t.to_string())));
    if composer == "latest" || composer.is_empty() {
        return alias();
    }
    let build = match build.map(str::parse::<u32>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return alias(),
    };
    match parse_airflow_version(airflow) {
        Ok(_) => Some(Ok(ComposerImage {
            composer: composer.to_string(),
            airflow: airflow.to_string(),
            build,
        })),
        Err(AirflowVersionError::Partial(_)) => alias(),
        Err(error) => Some(Err(ComposerVersionError::Airflow {
            input: t.to_string(),
            error,
        })),
    }
}

/// The upstream Airflow release of a Composer version string: a Composer image version or an
/// Airflow version with Composer's local part (`2.10.5+composer`), with the note that says
/// how it was read. `None` when `s` is neither (an ordinary Airflow version).
pub fn composer_upstream(s: &str) -> Option<Result<(String, String), ComposerVersionError>> {
    if let Some(parsed) = parse_composer_image(s) {
        return Some(parsed.map(|img| {
            let note = format!(
                "Cloud Composer image {img} runs Apache Airflow {}: modelled as the upstream release, resolved as of its release date (Composer's own builds and preinstalled packages, providers included, are not public: pass a `pip freeze` of the environment as --current-freeze / --target-freeze for the exact set)",
                img.airflow
            );
            (img.airflow, note)
        }));
    }
    let t = s.trim();
    let (public, local) = t.split_once('+')?;
    if !local.to_ascii_lowercase().starts_with("composer") {
        return None;
    }
    Some(
        parse_airflow_version(public)
            .map(|_| {
                (
                    public.to_string(),
                    format!(
                        "Airflow {t} is Cloud Composer's build of {public}: modelled as the upstream release {public}"
                    ),
                )
            })
            .map_err(|error| ComposerVersionError::Airflow {
                input: t.to_string(),
                error,
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_image_versions_are_parsed() {
        let img = parse_composer_image("composer-3-airflow-2.10.5-build.15")
            .unwrap()
            .unwrap();
        assert_eq!(img.composer, "3");
        assert_eq!(img.airflow, "2.10.5");
        assert_eq!(img.build, Some(15));
        assert_eq!(img.to_string(), "composer-3-airflow-2.10.5-build.15");
        let img = parse_composer_image("composer-2.9.7-airflow-2.9.3")
            .unwrap()
            .unwrap();
        assert_eq!(
            (img.composer.as_str(), img.airflow.as_str()),
            ("2.9.7", "2.9.3")
        );
        assert_eq!(img.build, None);
        assert!(parse_composer_image("2.10.5").is_none());
        assert!(parse_composer_image("composer-3").is_none());
    }

    #[test]
    fn aliases_and_bad_versions_are_refused_with_the_way_out() {
        for alias in [
            "composer-3-airflow-2",
            "composer-latest-airflow-2.10.5",
            "composer-2-airflow-2.9",
        ] {
            let e = parse_composer_image(alias).unwrap().unwrap_err();
            assert!(matches!(e, ComposerVersionError::Alias(_)), "{alias}");
            assert!(e.to_string().contains("imageVersion"), "{e}");
        }
        assert!(matches!(
            parse_composer_image("composer-3-airflow-x.y.z"),
            Some(Err(ComposerVersionError::Airflow { .. }))
        ));
    }

    #[test]
    fn composer_builds_map_to_upstream() {
        let (v, note) = composer_upstream("2.10.5+composer").unwrap().unwrap();
        assert_eq!(v, "2.10.5");
        assert!(note.contains("Cloud Composer's build of 2.10.5"), "{note}");
        let (v, note) = composer_upstream("composer-3-airflow-2.10.5-build.15")
            .unwrap()
            .unwrap();
        assert_eq!(v, "2.10.5");
        assert!(note.contains("--current-freeze"), "{note}");
        assert!(composer_upstream("2.10.5").is_none());
        assert!(composer_upstream("2.10.5+astro.2").is_none());
    }
}
