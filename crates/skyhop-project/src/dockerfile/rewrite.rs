//! Rewriting the base image of a Dockerfile: only the bytes of the version (and, when the
//! version scheme needs it, the repository; and a digest that would no longer match) change.

use std::ops::Range;

use super::image::{
    self, BaseImage, Family, ImageRef, RUNTIME_AF2_MIRROR_REPO, RUNTIME_AF2_REPO,
    RUNTIME_AF2_SLIM_REPO, RUNTIME_AF3_OLD_REPO, RUNTIME_AF3_REPO,
};
use super::{Dockerfile, DockerfileError, ErrorKind, Stage, example};

/// The base image to move to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBase {
    /// Repository to use (`astrocrpublic.azurecr.io/runtime`). `None`: keep the current one,
    /// except for Astro Runtime, whose repository follows the version scheme (`11.3.0` →
    /// `quay.io/astronomer/astro-runtime`, `3.1-12` → `astrocrpublic.azurecr.io/runtime`).
    pub repo: Option<String>,
    /// The new version for the tag: a Runtime version (`12.1.0`, `3.1-12`) for Runtime images, an
    /// Airflow version (`2.10.5`) for `apache/airflow`.
    pub version: String,
}

/// The result of a rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The new Dockerfile text (equal to the old one when nothing changes).
    pub text: String,
    /// One entry per stage whose image changed.
    pub changes: Vec<Change>,
    /// Things the user should know (a dropped digest, an `ARG` default changed...).
    pub notes: Vec<String>,
}

/// One stage whose image changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 0-based stage index.
    pub stage: usize,
    /// 1-based line of its FROM.
    pub line: usize,
    /// Image before (resolved).
    pub before: String,
    /// Image after (resolved).
    pub after: String,
}

impl Dockerfile {
    /// Rewrites every stage that uses the final stage's image family to `version`, keeping the
    /// repository (Runtime: the repository of the version's scheme), suffixes and all other bytes.
    pub fn with_base_version(&self, version: &str) -> Result<Rewrite, DockerfileError> {
        self.rewrite_base(&NewBase {
            repo: None,
            version: version.to_string(),
        })
    }

    /// Rewrites the base image of every stage that uses the final stage's image family (Astro
    /// Runtime, Apache Airflow or Astronomer Certified). Keeps suffixes (`-python-3.11-base`),
    /// aliases, `--platform`, comments, line endings and every other byte. When the version comes
    /// from an `ARG` default, that default is changed. A digest pin is dropped (with a note): it
    /// names the old image.
    pub fn rewrite_base(&self, new: &NewBase) -> Result<Rewrite, DockerfileError> {
        let current = self.base_image()?;
        let family = current.base.family();
        let target = match &new.repo {
            None => family,
            Some(repo) => repo_family(repo),
        };
        let allowed = target == family
            || (family == Family::LegacyApAirflow && target == Family::AstroRuntime);
        if !allowed {
            return Err(self.error(
                current.line,
                ErrorKind::FamilySwitch {
                    image: current.image.clone(),
                    from: family,
                    to: new.repo.clone().unwrap_or_default(),
                },
            ));
        }
        let valid = match target {
            Family::AstroRuntime => {
                image::is_af2_runtime_version(&new.version)
                    || image::is_af3_runtime_version(&new.version)
            }
            Family::ApacheAirflow => image::is_airflow_version(&new.version),
            Family::LegacyApAirflow => image::is_ap_airflow_version(&new.version),
            Family::Custom => false,
        };
        if !valid {
            return Err(self.error(
                current.line,
                ErrorKind::BadNewVersion {
                    version: new.version.clone(),
                    family: target,
                    example: example(target),
                },
            ));
        }

        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        let mut changes = Vec::new();
        let mut notes = Vec::new();
        for stage in &self.stages {
            let Some(reference) = &stage.reference else {
                continue;
            };
            let (base, version_range) = match image::classify(reference) {
                Ok((BaseImage::Custom { .. }, _)) => continue,
                Ok((base, Some(range))) => (base, range),
                Ok((_, None)) => continue,
                Err(_) => {
                    if let Err(e) = self.stage_base(stage.index) {
                        notes.push(format!("line {}: left alone: {}", stage.line, e.kind));
                    }
                    continue;
                }
            };
            if base.family() != family {
                notes.push(format!(
                    "line {}: `{}` ({}) is not an {} image; left alone",
                    stage.line,
                    stage.resolved,
                    base.family(),
                    family
                ));
                continue;
            }
            let plan = plan_stage(stage, reference, &base, version_range, new, target);
            let mut stage_edits = Vec::new();
            for (range, replacement) in &plan.edits {
                let span = stage.expanded.original_span(range.clone()).ok_or_else(|| {
                    self.error(stage.line, ErrorKind::SplitVersion(stage.image.clone()))
                })?;
                stage_edits.push((span, replacement.clone()));
            }
            notes.extend(
                plan.notes
                    .iter()
                    .map(|n| format!("line {}: {n}", stage.line)),
            );
            for (span, _) in &stage_edits {
                let line = crate::text::line_of(&self.text, span.start);
                if line < stage.line {
                    let arg = self
                        .args
                        .iter()
                        .filter(|a| a.line == line)
                        .map(|a| a.name.as_str())
                        .find(|n| stage.args_used.iter().any(|u| u == n))
                        .unwrap_or("the build argument");
                    let note = format!(
                        "line {}: the image comes from `ARG {arg}` on line {line}; its default was changed (a `--build-arg {arg}=...` would still override it)",
                        stage.line
                    );
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                }
            }
            edits.extend(stage_edits);
            let after = apply(&stage.resolved, &plan.edits);
            if after != stage.resolved {
                changes.push(Change {
                    stage: stage.index,
                    line: stage.line,
                    before: stage.resolved.clone(),
                    after,
                });
            }
        }
        edits.sort_by_key(|e| (e.0.start, e.0.end));
        edits.dedup();
        for pair in edits.windows(2) {
            if pair[0].0.end > pair[1].0.start {
                let line = crate::text::line_of(&self.text, pair[1].0.start);
                return Err(self.error(line, ErrorKind::SplitVersion(current.image.clone())));
            }
        }
        Ok(Rewrite {
            text: apply(&self.text, &edits),
            changes,
            notes,
        })
    }
}

/// The edits of one stage, as ranges of its resolved image.
struct Plan {
    edits: Vec<(Range<usize>, String)>,
    notes: Vec<String>,
}

fn plan_stage(
    stage: &Stage,
    reference: &ImageRef,
    base: &BaseImage,
    version_range: Range<usize>,
    new: &NewBase,
    target: Family,
) -> Plan {
    let mut edits = Vec::new();
    let mut notes = Vec::new();
    let current_repo = reference.name();
    let af3 = image::is_af3_runtime_version(&new.version);
    // A Runtime repository of the target's scheme is kept (the slim repository, a mirror).
    let same_scheme = target == Family::AstroRuntime
        && match current_repo.as_str() {
            RUNTIME_AF2_REPO | RUNTIME_AF2_SLIM_REPO | RUNTIME_AF2_MIRROR_REPO => !af3,
            RUNTIME_AF3_REPO | RUNTIME_AF3_OLD_REPO => af3,
            _ => false,
        };
    let new_repo = match (&new.repo, target) {
        _ if same_scheme => current_repo.clone(),
        (Some(r), _) => r.clone(),
        (None, Family::AstroRuntime) if af3 => RUNTIME_AF3_REPO.to_string(),
        (None, Family::AstroRuntime) => RUNTIME_AF2_REPO.to_string(),
        (None, _) => current_repo.clone(),
    };
    if new_repo != current_repo {
        edits.push((reference.repo_range.clone(), new_repo.clone()));
    }
    let suffix = match base {
        BaseImage::AstroRuntime { suffix, .. } | BaseImage::LegacyApAirflow { suffix, .. } => {
            suffix.as_str()
        }
        _ => "",
    };
    if base.family() == Family::LegacyApAirflow && target == Family::AstroRuntime {
        // Astronomer Certified tags (`2.2.5-onbuild`) mean nothing to Runtime: the whole tag goes.
        let tag_range = reference.tag_range.clone().unwrap_or(version_range);
        edits.push((tag_range, new.version.clone()));
        if !suffix.is_empty() {
            notes.push(format!(
                "the Astronomer Certified tag suffix `{suffix}` was dropped: Runtime images have ONBUILD steps by default"
            ));
        }
    } else {
        edits.push((version_range, new.version.clone()));
        if af3 && target == Family::AstroRuntime && suffix.contains("slim") {
            notes.push(format!(
                "Airflow 3 Runtime images are not known to have a `-slim` flavour; check that `{}:{}{suffix}` exists",
                new_repo, new.version
            ));
        }
    }
    if let Some(range) = &reference.digest_range {
        edits.push((range.clone(), String::new()));
        notes.push(format!(
            "the digest pin `{}` was dropped: it names the old image (pin the new image's digest again if you want one)",
            &stage.resolved[range.start + 1..range.end]
        ));
    }
    Plan { edits, notes }
}

/// The image family a repository belongs to.
fn repo_family(repo: &str) -> Family {
    match ImageRef::parse(repo).name().as_str() {
        RUNTIME_AF2_REPO
        | RUNTIME_AF2_SLIM_REPO
        | RUNTIME_AF2_MIRROR_REPO
        | RUNTIME_AF3_REPO
        | RUNTIME_AF3_OLD_REPO => Family::AstroRuntime,
        super::APACHE_AIRFLOW_REPO => Family::ApacheAirflow,
        super::AP_AIRFLOW_REPO => Family::LegacyApAirflow,
        _ => Family::Custom,
    }
}

/// Applies sorted, non-overlapping `(range, replacement)` edits to `text`.
fn apply(text: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut sorted: Vec<&(Range<usize>, String)> = edits.iter().collect();
    sorted.sort_by_key(|e| e.0.start);
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (range, replacement) in sorted {
        if range.start < at || range.end > text.len() {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}
