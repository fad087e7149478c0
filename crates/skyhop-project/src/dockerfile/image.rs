//! Image references (`registry/repo:tag@digest`) and the classification of base images into the
//! Airflow image families skyhop knows.

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// Airflow-2 era Astro Runtime images (`11.3.0`, `11.3.0-python-3.11-base`, `11.0.0-slim`).
pub const RUNTIME_AF2_REPO: &str = "quay.io/astronomer/astro-runtime";
/// Airflow-3 era Astro Runtime images (`3.1-12`, `3.1-12-python-3.11-base`).
pub const RUNTIME_AF3_REPO: &str = "astrocrpublic.azurecr.io/runtime";
/// The slim flavour of Airflow-2 era Runtime images as a repository of its own
/// (`quay.io/astronomer/astro-runtime-slim:12.8.0`, in Astronomer's best-practice guide).
pub const RUNTIME_AF2_SLIM_REPO: &str = "quay.io/astronomer/astro-runtime-slim";
/// Airflow-2 era Runtime images mirrored on Astronomer's Azure registry.
pub const RUNTIME_AF2_MIRROR_REPO: &str = "astrocrpublic.azurecr.io/astronomer/astro-runtime";
/// Where Airflow-3 Runtime images lived before April 2025.
pub const RUNTIME_AF3_OLD_REPO: &str = "air.astronomer.io/runtime";
/// Apache Airflow's own images on Docker Hub.
pub const APACHE_AIRFLOW_REPO: &str = "apache/airflow";
/// Astronomer Certified, the images before Astro Runtime.
pub const AP_AIRFLOW_REPO: &str = "quay.io/astronomer/ap-airflow";

/// An image reference split into its parts: `[registry/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), when the reference names one (`quay.io`, `localhost:5000`).
    pub registry: Option<String>,
    /// Repository path (`astronomer/astro-runtime`, `apache/airflow`, `python`).
    pub repository: String,
    /// Tag, when given.
    pub tag: Option<String>,
    /// Digest (`sha256:…`), when given.
    pub digest: Option<String>,
    /// Byte ranges of the parts inside the reference string.
    pub(crate) repo_range: Range<usize>,
    pub(crate) tag_range: Option<Range<usize>>,
    /// Range of `@digest`, the `@` included.
    pub(crate) digest_range: Option<Range<usize>>,
}

impl ImageRef {
    /// Splits a reference. Never fails: odd strings end up as a repository without tag.
    pub fn parse(reference: &str) -> ImageRef {
        let (name_end, digest, digest_range) = match reference.find('@') {
            Some(at) => (
                at,
                Some(reference[at + 1..].to_string()),
                Some(at..reference.len()),
            ),
            None => (reference.len(), None, None),
        };
        let name = &reference[..name_end];
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repo_end, tag, tag_range) = match name[last_slash..].rfind(':') {
            Some(c) => {
                let colon = last_slash + c;
                (
                    colon,
                    Some(name[colon + 1..].to_string()),
                    Some(colon + 1..name_end),
                )
            }
            None => (name_end, None, None),
        };
        let full = &name[..repo_end];
        let (registry, repository) = match full.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_string()), rest.to_string())
            }
            _ => (None, full.to_string()),
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
            repo_range: 0..repo_end,
            tag_range,
            digest_range,
        }
    }

    /// `registry/repository`, with Docker Hub spelled the short way (`apache/airflow`, not
    /// `docker.io/apache/airflow`; `python`, not `docker.io/library/python`).
    pub fn name(&self) -> String {
        match self.registry.as_deref() {
            None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => self
                .repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_string(),
            Some(r) => format!("{r}/{}", self.repository),
        }
    }
}

/// The base image of a stage, classified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum BaseImage {
    /// Astro Runtime, either scheme: `quay.io/astronomer/astro-runtime:11.3.0-python-3.11-base`
    /// or `astrocrpublic.azurecr.io/runtime:3.1-12`.
    AstroRuntime {
        /// Repository as written, normalized (`quay.io/astronomer/astro-runtime`).
        repo: String,
        /// Runtime version: `11.3.0` (Airflow 2 scheme) or `3.1-12` (Airflow 3 scheme).
        version: String,
        /// Everything after the version in the tag: `-python-3.11-base`, `-slim`, `-base`, ``.
        suffix: String,
        /// Python version named by a `-python-X.Y` suffix.
        python: Option<String>,
    },
    /// Apache Airflow's image: `apache/airflow:2.10.5`, `2.10.5-python3.11`,
    /// `slim-2.10.5-python3.11`.
    ApacheAirflow {
        repo: String,
        /// Airflow version (`2.10.5`).
        version: String,
        /// Python version named by a `-pythonX.Y` suffix.
        python: Option<String>,
        /// Whether it is the `slim-` flavour.
        slim: bool,
        /// Everything after the version in the tag (`-python3.11`).
        suffix: String,
    },
    /// Astronomer Certified (`quay.io/astronomer/ap-airflow:2.2.5-onbuild`,
    /// `2.3.0-2-buster-onbuild`), the images before Astro Runtime.
    LegacyApAirflow {
        repo: String,
        /// The Astronomer Certified version: Airflow version plus an optional build number
        /// (`2.2.5`, `2.3.0-2`).
        version: String,
        /// The Airflow version (`2.3.0`).
        airflow: String,
        /// Everything after the version (`-onbuild`, `-buster-onbuild`).
        suffix: String,
    },
    /// Anything else (`python:3.11-slim`, `my.registry/airflow:1.0`).
    Custom {
        /// The image as resolved.
        image: String,
    },
}

/// Image family of a [`BaseImage`], used to decide which stages an upgrade rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    AstroRuntime,
    ApacheAirflow,
    LegacyApAirflow,
    Custom,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::AstroRuntime => "Astro Runtime",
            Family::ApacheAirflow => "Apache Airflow",
            Family::LegacyApAirflow => "Astronomer Certified",
            Family::Custom => "custom",
        })
    }
}

impl BaseImage {
    /// The image family.
    pub fn family(&self) -> Family {
        match self {
            BaseImage::AstroRuntime { .. } => Family::AstroRuntime,
            BaseImage::ApacheAirflow { .. } => Family::ApacheAirflow,
            BaseImage::LegacyApAirflow { .. } => Family::LegacyApAirflow,
            BaseImage::Custom { .. } => Family::Custom,
        }
    }

    /// The version in the tag (Runtime, Airflow or Astronomer Certified version), if any.
    pub fn version(&self) -> Option<&str> {
        match self {
            BaseImage::AstroRuntime { version, .. }
            | BaseImage::ApacheAirflow { version, .. }
            | BaseImage::LegacyApAirflow { version, .. } => Some(version),
            BaseImage::Custom { .. } => None,
        }
    }

    /// The Python version the tag names, if it names one.
    pub fn python(&self) -> Option<&str> {
        match self {
            BaseImage::AstroRuntime { python, .. } | BaseImage::ApacheAirflow { python, .. } => {
                python.as_deref()
            }
            _ => None,
        }
    }
}

/// Why a recognised Airflow image cannot be classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    NoTag { name: String, family: Family },
    Latest,
    BadTag { family: Family },
    UnknownRegistry { registry: String },
}

static RUNTIME_AF3_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d+\.\d+-\d+)(-.*)?$").expect("valid regex"));
static RUNTIME_AF2_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d+\.\d+\.\d+)(-.*)?$").expect("valid regex"));
static RUNTIME_PYTHON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-python-(\d+\.\d+)").expect("valid regex"));
static APACHE_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(slim-)?(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(-python-?(\d+\.\d+))?$")
        .expect("valid regex")
});
static AP_AIRFLOW_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((\d+\.\d+\.\d+)(?:-\d+)?)(-.*)?$").expect("valid regex"));

/// Classifies a resolved image reference. Returns the base image and, for recognised families,
/// the byte range of the version inside the reference string.
pub(crate) fn classify(r: &ImageRef) -> Result<(BaseImage, Option<Range<usize>>), Problem> {
    let name = r.name();
    let family = match name.as_str() {
        RUNTIME_AF2_REPO
        | RUNTIME_AF2_SLIM_REPO
        | RUNTIME_AF2_MIRROR_REPO
        | RUNTIME_AF3_REPO
        | RUNTIME_AF3_OLD_REPO => Family::AstroRuntime,
        APACHE_AIRFLOW_REPO => Family::ApacheAirflow,
        AP_AIRFLOW_REPO => Family::LegacyApAirflow,
        _ => {
            let looks_airflow = matches!(
                r.repository.as_str(),
                "astronomer/astro-runtime"
                    | "astronomer/astro-runtime-slim"
                    | "astronomer/ap-airflow"
                    | "apache/airflow"
                    | "runtime"
            ) && r.registry.is_some();
            if let (true, Some(registry)) = (looks_airflow, &r.registry)
                && (r.repository != "runtime" || registry.contains("astronomer"))
            {
                return Err(Problem::UnknownRegistry {
                    registry: registry.clone(),
                });
            }
            let image = match (&r.tag, &r.digest) {
                (Some(t), _) => format!("{name}:{t}"),
                (None, Some(d)) => format!("{name}@{d}"),
                (None, None) => name,
            };
            return Ok((BaseImage::Custom { image }, None));
        }
    };
    let (Some(tag), Some(tag_range)) = (&r.tag, &r.tag_range) else {
        return Err(Problem::NoTag { name, family });
    };
    if tag == "latest" || tag.starts_with("latest-") || tag.starts_with("slim-latest") {
        return Err(Problem::Latest);
    }
    let bad = Problem::BadTag { family };
    let at = |range: Range<usize>| Some(tag_range.start + range.start..tag_range.start + range.end);
    match family {
        Family::AstroRuntime => {
            let caps = RUNTIME_AF3_TAG
                .captures(tag)
                .or_else(|| RUNTIME_AF2_TAG.captures(tag))
                .ok_or(bad)?;
            let v = caps.get(1).expect("group 1 always matches");
            let suffix = caps.get(2).map_or("", |m| m.as_str()).to_string();
            let python = RUNTIME_PYTHON.captures(&suffix).map(|c| c[1].to_string());
            Ok((
                BaseImage::AstroRuntime {
                    repo: name,
                    version: v.as_str().to_string(),
                    suffix,
                    python,
                },
                at(v.range()),
            ))
        }
        Family::ApacheAirflow => {
            let caps = APACHE_TAG.captures(tag).ok_or(bad)?;
            let v = caps.get(2).expect("group 2 always matches");
            Ok((
                BaseImage::ApacheAirflow {
                    repo: name,
                    version: v.as_str().to_string(),
                    python: caps.get(4).map(|m| m.as_str().to_string()),
                    slim: caps.get(1).is_some(),
                    suffix: caps.get(3).map_or("", |m| m.as_str()).to_string(),
                },
                at(v.range()),
            ))
        }
        Family::LegacyApAirflow => {
            let caps = AP_AIRFLOW_TAG.captures(tag).ok_or(bad)?;
            let v = caps.get(1).expect("group 1 always matches");
            Ok((
                BaseImage::LegacyApAirflow {
                    repo: name,
                    version: v.as_str().to_string(),
                    airflow: caps[2].to_string(),
                    suffix: caps.get(3).map_or("", |m| m.as_str()).to_string(),
                },
                at(v.range()),
            ))
        }
        // Custom images returned above; kept total rather than panicking.
        Family::Custom => Ok((BaseImage::Custom { image: name }, None)),
    }
}

/// Whether `v` is an Airflow-3 scheme Runtime version (`3.1-12`).
pub(crate) fn is_af3_runtime_version(v: &str) -> bool {
    RUNTIME_AF3_TAG
        .captures(v)
        .is_some_and(|c| c.get(2).is_none())
}

/// Whether `v` is an Airflow-2 scheme Runtime version (`11.3.0`).
pub(crate) fn is_af2_runtime_version(v: &str) -> bool {
    RUNTIME_AF2_TAG
        .captures(v)
        .is_some_and(|c| c.get(2).is_none())
}

/// Whether `v` is an Apache Airflow release version (`2.10.5`, `3.0.0rc1`).
pub(crate) fn is_airflow_version(v: &str) -> bool {
    APACHE_TAG
        .captures(v)
        .is_some_and(|c| c.get(1).is_none() && c.get(3).is_none())
}

/// Whether `v` is an Astronomer Certified version (`2.2.5`, `2.3.0-2`).
pub(crate) fn is_ap_airflow_version(v: &str) -> bool {
    AP_AIRFLOW_TAG
        .captures(v)
        .is_some_and(|c| c.get(3).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Result<BaseImage, Problem> {
        classify(&ImageRef::parse(s)).map(|(b, _)| b)
    }

    #[test]
    fn splits_references() {
        let r = ImageRef::parse("localhost:5000/a/b:1.0@sha256:abc");
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        let r = ImageRef::parse("docker.io/library/python:3.11");
        assert_eq!(r.name(), "python");
        let r = ImageRef::parse("localhost:5000/img");
        assert_eq!(r.tag, None);
        assert_eq!(r.name(), "localhost:5000/img");
    }

    #[test]
    fn classifies_families() {
        assert_eq!(
            base("quay.io/astronomer/astro-runtime:11.3.0-python-3.11-base").unwrap(),
            BaseImage::AstroRuntime {
                repo: RUNTIME_AF2_REPO.into(),
                version: "11.3.0".into(),
                suffix: "-python-3.11-base".into(),
                python: Some("3.11".into())
            }
        );
        assert_eq!(
            base("astrocrpublic.azurecr.io/runtime:3.1-12-python-3.11").unwrap(),
            BaseImage::AstroRuntime {
                repo: RUNTIME_AF3_REPO.into(),
                version: "3.1-12".into(),
                suffix: "-python-3.11".into(),
                python: Some("3.11".into())
            }
        );
        assert_eq!(
            base("docker.io/apache/airflow:slim-2.10.5-python3.11").unwrap(),
            BaseImage::ApacheAirflow {
                repo: APACHE_AIRFLOW_REPO.into(),
                version: "2.10.5".into(),
                python: Some("3.11".into()),
                slim: true,
                suffix: "-python3.11".into()
            }
        );
        assert_eq!(
            base("quay.io/astronomer/ap-airflow:2.3.0-2-buster-onbuild").unwrap(),
            BaseImage::LegacyApAirflow {
                repo: AP_AIRFLOW_REPO.into(),
                version: "2.3.0-2".into(),
                airflow: "2.3.0".into(),
                suffix: "-buster-onbuild".into()
            }
        );
        assert_eq!(
            base("python:3.11-slim").unwrap(),
            BaseImage::Custom {
                image: "python:3.11-slim".into()
            }
        );
        assert!(matches!(
            base("quay.io/astronomer/astro-runtime").unwrap_err(),
            Problem::NoTag { .. }
        ));
        assert_eq!(base("apache/airflow:latest").unwrap_err(), Problem::Latest);
        assert_eq!(
            base("apache/airflow:slim-latest-python3.11").unwrap_err(),
            Problem::Latest
        );
        assert_eq!(
            base("astrocrpublic.azurecr.io/runtime:3.1").unwrap_err(),
            Problem::BadTag {
                family: Family::AstroRuntime
            }
        );
        assert_eq!(
            base("myreg.example.com/astronomer/astro-runtime:11.3.0").unwrap_err(),
            Problem::UnknownRegistry {
                registry: "myreg.example.com".into()
            }
        );
    }

    #[test]
    fn version_ranges_point_at_the_version() {
        for s in [
            "quay.io/astronomer/astro-runtime:11.3.0-slim",
            "apache/airflow:slim-2.10.5-python3.11",
            "astrocrpublic.azurecr.io/runtime:3.1-12-base@sha256:00",
        ] {
            let (b, range) = classify(&ImageRef::parse(s)).unwrap();
            assert_eq!(&s[range.unwrap()], b.version().unwrap());
        }
    }

    #[test]
    fn version_schemes() {
        assert!(is_af3_runtime_version("3.1-12"));
        assert!(!is_af3_runtime_version("3.1-12-base"));
        assert!(is_af2_runtime_version("12.1.0"));
        assert!(!is_af2_runtime_version("12.1"));
        assert!(is_airflow_version("2.10.5"));
        assert!(!is_airflow_version("slim-2.10.5"));
        assert!(is_ap_airflow_version("2.3.0-2"));
    }
}
