//! Where the project's Airflow runs, as its files say: an Astro Runtime or `apache/airflow`
//! image built from the Dockerfile, the official Helm chart (a values file with the chart's
//! `defaultAirflowTag` / `airflowVersion` / `images.airflow`), docker-compose (a compose file
//! whose services run `apache/airflow`), Amazon MWAA (requirements.txt with a `--constraint`
//! URL beside `plugins.zip`, `plugins/` or `startup.sh`), Google Cloud Composer (named only by
//! the caller: its files look like any pip project).
//!
//! For Helm and compose, [`Deployment`] holds every place the Airflow version is written
//! ([`VersionSite`]: the bytes of the version inside a tag, an image reference or
//! `airflowVersion`) and [`Deployment::rewrite`] changes only those bytes.

pub mod compose;
pub mod helm;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use crate::dockerfile::{Dockerfile, Family};
use crate::text::read_text;

/// A home of Airflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// An Astro project: a Dockerfile `FROM` an Astro Runtime (or Astronomer Certified) image.
    Astro,
    /// A Dockerfile `FROM apache/airflow` (or another image).
    Image,
    /// Amazon Managed Workflows for Apache Airflow.
    Mwaa,
    /// The official Helm chart.
    Helm,
    /// docker-compose with the official image.
    Compose,
    /// Google Cloud Composer.
    Composer,
}

impl Platform {
    /// Every platform, in the order `--platform` lists them.
    pub const ALL: [Platform; 6] = [
        Platform::Astro,
        Platform::Image,
        Platform::Mwaa,
        Platform::Helm,
        Platform::Compose,
        Platform::Composer,
    ];

    /// The name `--platform` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Astro => "astro",
            Platform::Image => "image",
            Platform::Mwaa => "mwaa",
            Platform::Helm => "helm",
            Platform::Compose => "compose",
            Platform::Composer => "composer",
        }
    }

    /// The platform named `s` (`--platform` spelling).
    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// How reports name it.
    pub fn title(self) -> &'static str {
        match self {
            Platform::Astro => "Astro (a Runtime image built from the Dockerfile)",
            Platform::Image => "a Docker image built from the Dockerfile",
            Platform::Mwaa => "Amazon MWAA",
            Platform::Helm => "the official Helm chart",
            Platform::Compose => "docker-compose with the official image",
            Platform::Composer => "Google Cloud Composer",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The platform a project's files point to, and the file that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub platform: Platform,
    /// The file (relative to the project) the platform was read from.
    pub file: Option<String>,
    /// Why, in a few words (`FROM apache/airflow:2.9.2`, `defaultAirflowTag: 2.9.2`).
    pub why: String,
}

impl Detected {
    /// `the official Helm chart, from values.yaml (defaultAirflowTag: 2.9.2)`.
    pub fn describe(&self) -> String {
        match &self.file {
            Some(f) => format!("{}, from {f} ({})", self.platform.title(), self.why),
            None => format!("{} ({})", self.platform.title(), self.why),
        }
    }
}

/// The platform of the project in `root` (its Dockerfile already read, when it has one):
/// the Dockerfile's image family first, then a Helm values file with the chart's keys, a
/// compose file running `apache/airflow`, then the MWAA layout. `None`: a plain folder.
pub fn detect(root: &Path, dockerfile: Option<&Dockerfile>) -> Option<Detected> {
    if let Some(df) = dockerfile {
        let (platform, why) = match df.base_image() {
            Ok(b) => {
                let platform = match b.base.family() {
                    Family::AstroRuntime | Family::LegacyApAirflow => Platform::Astro,
                    Family::ApacheAirflow | Family::Custom => Platform::Image,
                };
                (platform, format!("FROM {}", b.image))
            }
            Err(_) => (Platform::Image, "a Dockerfile".to_string()),
        };
        return Some(Detected {
            platform,
            file: Some("Dockerfile".into()),
            why,
        });
    }
    if let Some(d) = find(root, Platform::Helm).into_iter().next() {
        return Some(d.detected());
    }
    if let Some(d) = find(root, Platform::Compose).into_iter().next() {
        return Some(d.detected());
    }
    mwaa_layout(root).map(|why| Detected {
        platform: Platform::Mwaa,
        file: Some("requirements.txt".into()),
        why,
    })
}

/// What makes `root` look like an MWAA project: requirements.txt with a `--constraint` URL
/// (the line MWAA's documentation asks for) beside `plugins.zip`, `plugins/` or `startup.sh`.
pub fn mwaa_layout(root: &Path) -> Option<String> {
    let text = read_text(&root.join("requirements.txt")).ok()?;
    let url = text.lines().find_map(constraint_url)?;
    let beside: Vec<&str> = ["plugins.zip", "startup.sh", "plugins"]
        .into_iter()
        .filter(|n| root.join(n).exists())
        .collect();
    if beside.is_empty() {
        return None;
    }
    Some(format!(
        "--constraint \"{url}\" beside {}",
        beside.join(", ")
    ))
}

/// The URL of a `--constraint URL` / `-c URL` requirements line.
pub fn constraint_url(line: &str) -> Option<&str> {
    let t = line.trim();
    let rest = t
        .strip_prefix("--constraint")
        .or_else(|| t.strip_prefix("-c"))?;
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    let url = rest.split_whitespace().next()?.trim_matches(['"', '\'']);
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// One place a deployment file writes the Airflow version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSite {
    /// The file, relative to the project.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Where in the file (`defaultAirflowTag`, `images.airflow.tag`,
    /// `x-airflow-common.image`, `AIRFLOW_IMAGE_NAME`).
    pub key: String,
    /// The value as read (`2.9.2-python3.11`, `${AIRFLOW_IMAGE_NAME:-apache/airflow:2.9.2}`).
    pub value: String,
    /// The Airflow version it names.
    pub version: String,
    /// Bytes of the version in the file.
    pub span: Range<usize>,
    /// The image's Python, when the tag names one.
    pub python: Option<String>,
    /// A `slim-` image (no default extras' providers).
    pub slim: bool,
    /// Whether this site decides what runs (the effective image); others are kept in step.
    pub effective: bool,
}

/// A Helm values file or compose file(s) running Airflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub platform: Platform,
    /// The main file, relative to the project.
    pub file: String,
    /// Every place the Airflow version is written; the effective one first.
    pub sites: Vec<VersionSite>,
    /// Requirements installed when the containers start (compose's
    /// `_PIP_ADDITIONAL_REQUIREMENTS`), in order.
    pub requirements: Vec<String>,
    /// Where the requirements are written (`(file, line)`: the compose file, or `.env`).
    pub requirements_at: Option<(String, usize)>,
    /// The image that runs when it is not `apache/airflow` (a build of the user's own).
    pub custom_image: Option<String>,
    /// What the reader noticed (a digest that wins over the tag, sites that disagree...).
    pub notes: Vec<String>,
    /// The text of each file a site is in.
    texts: BTreeMap<String, String>,
}

/// One file after [`Deployment::rewrite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRewrite {
    /// Relative to the project.
    pub file: String,
    pub before: String,
    pub text: String,
    /// `(line, key, before, after)` for each changed site.
    pub changes: Vec<(usize, String, String, String)>,
}

impl Deployment {
    /// The Airflow version that runs: the effective site's.
    pub fn airflow_version(&self) -> Option<&str> {
        self.sites.first().map(|s| s.version.as_str())
    }

    /// The image's Python, when its tag names one.
    pub fn python(&self) -> Option<&str> {
        self.sites.first().and_then(|s| s.python.as_deref())
    }

    /// Whether the image is a `slim-` one.
    pub fn slim(&self) -> bool {
        self.sites.first().is_some_and(|s| s.slim)
    }

    /// How the report names it: platform and file.
    pub fn detected(&self) -> Detected {
        let why = match self.sites.first() {
            Some(s) => format!("{}:{} `{}: {}`", s.file, s.line, s.key, s.value),
            None => "no Airflow version written".into(),
        };
        Detected {
            platform: self.platform,
            file: Some(self.file.clone()),
            why,
        }
    }

    /// Every file with a site, each with every site's version bytes replaced by `version` and
    /// every other byte kept. Files where nothing changes are left out (so a second run
    /// rewrites nothing).
    pub fn rewrite(&self, version: &str) -> Vec<FileRewrite> {
        let mut out = Vec::new();
        for (file, text) in &self.texts {
            let mut sites: Vec<&VersionSite> = self
                .sites
                .iter()
                .filter(|s| &s.file == file && s.version != version)
                .collect();
            if sites.is_empty() {
                continue;
            }
            sites.sort_by_key(|s| s.span.start);
            let mut new = String::with_capacity(text.len() + 8);
            let mut at = 0;
            let mut changes = Vec::new();
            for s in sites {
                if s.span.start < at || text.get(s.span.clone()) != Some(s.version.as_str()) {
                    continue;
                }
                new.push_str(&text[at..s.span.start]);
                new.push_str(version);
                at = s.span.end;
                let after = s.value.replacen(&s.version, version, 1);
                changes.push((s.line, s.key.clone(), s.value.clone(), after));
            }
            new.push_str(&text[at..]);
            out.push(FileRewrite {
                file: file.clone(),
                before: text.clone(),
                text: new,
                changes,
            });
        }
        out
    }

    fn new(platform: Platform, file: &str) -> Deployment {
        Deployment {
            platform,
            file: file.to_string(),
            sites: Vec::new(),
            requirements: Vec::new(),
            requirements_at: None,
            custom_image: None,
            notes: Vec::new(),
            texts: BTreeMap::new(),
        }
    }

    /// Notes when the sites do not all name the effective version.
    fn note_disagreement(&mut self) {
        let Some(first) = self.sites.first() else {
            return;
        };
        let others: Vec<String> = self
            .sites
            .iter()
            .skip(1)
            .filter(|s| s.version != first.version)
            .map(|s| format!("{}:{} `{}` names {}", s.file, s.line, s.key, s.version))
            .collect();
        if !others.is_empty() {
            let note = format!(
                "{}:{} `{}` runs Airflow {}, but {}; an upgrade writes the new version into all of them",
                first.file,
                first.line,
                first.key,
                first.version,
                others.join(", ")
            );
            self.notes.push(note);
        }
    }
}

/// The Helm or compose deployments of `root` (`platform` is [`Platform::Helm`] or
/// [`Platform::Compose`]; others have none), the first being the one modelled. Files that
/// cannot be read or parsed are left out.
pub fn find(root: &Path, platform: Platform) -> Vec<Deployment> {
    match platform {
        Platform::Helm => {
            let mut values = Vec::new();
            crate::config::find_values(root, "", 0, &mut values);
            values.sort();
            values
                .iter()
                .filter_map(|rel| {
                    let text = read_text(&root.join(rel)).ok()?;
                    helm::read(&text, rel)
                })
                .collect()
        }
        Platform::Compose => {
            let mut files: Vec<String> = crate::config::list_dir(root)
                .into_iter()
                .filter(|n| crate::config::is_compose_name(n) && root.join(n).is_file())
                .collect();
            // `docker-compose.yaml` before `docker-compose.override.yaml`, as compose merges
            files.sort_by_key(|n| (n.matches('.').count(), n.clone()));
            let texts: Vec<(String, String)> = files
                .into_iter()
                .filter_map(|n| Some((read_text(&root.join(&n)).ok()?, n)))
                .map(|(t, n)| (n, t))
                .collect();
            let env = read_text(&root.join(".env")).ok();
            compose::read(&texts, env.as_deref()).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// The bytes of a one-line scalar `value` that starts at `at` (its quote, when `quoted`).
pub(crate) fn scalar_span(
    text: &str,
    at: usize,
    quoted: bool,
    value: &str,
) -> Option<Range<usize>> {
    let start = at + usize::from(quoted);
    (text.get(start..start + value.len()) == Some(value)).then_some(start..start + value.len())
}

/// A site for the `apache/airflow` image reference `reference`; its span is the version's
/// bytes inside `reference` and its line 0 (the caller places it in the file).
pub(crate) fn image_site(
    file: &str,
    key: &str,
    value: &str,
    reference: &str,
) -> Option<VersionSite> {
    use crate::dockerfile::{BaseImage, ImageRef};
    let r = ImageRef::parse(reference);
    let (base, range) = crate::dockerfile::classify_image(&r).ok()?;
    let BaseImage::ApacheAirflow {
        version,
        python,
        slim,
        ..
    } = base
    else {
        return None;
    };
    Some(VersionSite {
        file: file.to_string(),
        line: 0,
        key: key.to_string(),
        value: value.to_string(),
        version,
        span: range?,
        python,
        slim,
        effective: false,
    })
}

#[cfg(test)]
mod tests;
