//! Environments of pinned versions: resolution inputs, locks (uv, Docker, freeze files), the
//! venvs installed from them, and loosening a requirements.txt pin that fights the target.

use std::path::Path;

use skyhop_core::{Lock, Progress};
use skyhop_env::{EnvSpec, Venv};
use skyhop_project::Project;

use crate::Failure;
use crate::cli::Backend;
use crate::target::{Ctx, Pinned};

/// Packages of Runtime images that only Astronomer's own index serves.
pub const ASTRONOMER_ONLY: &[&str] = &["astronomer-providers-logging"];

/// The resolution inputs of `pinned` for `project`.
pub fn spec(
    ctx: &Ctx,
    pinned: &Pinned,
    project: Option<&Project>,
    index_url: Option<&str>,
) -> EnvSpec {
    let date = pinned
        .runtime
        .as_ref()
        .and_then(|r| r.release_date.map(|d| d.to_string()))
        .or_else(|| {
            ctx.catalog
                .airflow(&pinned.airflow)
                .and_then(|a| a.release_date.map(|d| d.to_string()))
        })
        .or_else(|| skyhop_env::release_date("apache-airflow", &pinned.airflow, &ctx.cache).ok());
    let requirements = project
        .map(|p| p.requirements_path())
        .filter(|p| p.is_file());
    let indexes = indexes(project, index_url);
    for note in &pinned.notes {
        ctx.progress.note(note);
    }
    EnvSpec {
        airflow: pinned.airflow.clone(),
        python: pinned.python.clone(),
        base_pins: pinned.base_pins(),
        exclude_newer: date.as_deref().and_then(skyhop_env::day_after),
        requirements,
        index_url: indexes.index_url,
        extra_index_urls: indexes.extra_index_urls,
        unavailable: ASTRONOMER_ONLY.iter().map(|s| s.to_string()).collect(),
    }
}

/// The lock of `pinned`: resolved with uv, or `pip freeze` in the image with Docker.
pub fn lock(
    ctx: &Ctx,
    pinned: &Pinned,
    project: Option<&Project>,
    backend: Backend,
    index_url: Option<&str>,
) -> Result<Lock, Failure> {
    match backend {
        Backend::Docker => {
            let image = pinned.image.clone().unwrap_or_default();
            skyhop_env::docker_freeze(&image).map_err(Failure::env)
        }
        Backend::Uv => {
            let spec = spec(ctx, pinned, project, index_url);
            skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress).map_err(Failure::env)
        }
    }
}

/// A `pip freeze` file as a lock.
pub fn freeze(path: &Path) -> Result<Lock, Failure> {
    skyhop_env::freeze_file(path).map_err(Failure::usage)
}

/// The package indexes of a project: `--index-url` when given, plus requirements.txt's
/// `--extra-index-url` options.
pub fn indexes(project: Option<&Project>, index_url: Option<&str>) -> skyhop_env::Indexes {
    let from_file = project
        .and_then(|p| p.requirements.as_ref())
        .map(|r| r.index_urls());
    skyhop_env::Indexes {
        index_url: index_url
            .map(str::to_string)
            .or_else(|| from_file.as_ref().and_then(|u| u.index_url.clone())),
        extra_index_urls: from_file.map(|u| u.extra_index_urls).unwrap_or_default(),
    }
}

/// The installed venv of `lock`, installed from the same indexes it was resolved from.
pub fn venv(
    ctx: &Ctx,
    lock: &Lock,
    indexes: &skyhop_env::Indexes,
    progress: &dyn Progress,
) -> Result<Venv, Failure> {
    skyhop_env::install_with(lock, indexes, &ctx.cache, progress).map_err(Failure::env)
}

/// A requirement skyhop loosened so that the target environment could be resolved at all.
#[derive(Debug, Clone)]
pub struct Relaxed {
    /// `requests==2.32.3`
    pub requirement: String,
    /// `requests`
    pub name: String,
    /// 1-based line in requirements.txt.
    pub line: usize,
    /// The resolver's explanation.
    pub why: Vec<String>,
    /// What the user should do.
    pub what_to_do: String,
}

/// Like [`lock`] with uv, but when a pin of requirements.txt conflicts with the target, the
/// pin is loosened to the bare name (in a copy under the cache; the project is never touched)
/// and resolution tried again, up to three times: the tests can then still run, and each
/// loosened pin is reported as what it is, a conflict the user must fix.
pub fn lock_relaxed(
    ctx: &Ctx,
    pinned: &Pinned,
    project: &Project,
    index_url: Option<&str>,
) -> Result<(Lock, Vec<Relaxed>), Failure> {
    let mut relaxed: Vec<Relaxed> = Vec::new();
    let mut spec = spec(ctx, pinned, Some(project), index_url);
    let original = project
        .requirements
        .as_ref()
        .map(|r| r.root_text().to_string());
    let mut text = original.clone();
    loop {
        match skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress) {
            Ok(lock) => return Ok((lock, relaxed)),
            Err(skyhop_env::EnvError::Resolution(err)) if relaxed.len() < 3 => {
                let culprit = err
                    .requirement
                    .as_deref()
                    .and_then(|r| culprit(project, r))
                    .filter(|(name, _)| !relaxed.iter().any(|x| &x.name == name));
                let (Some((name, line)), Some(current)) = (culprit, text.as_ref()) else {
                    return Err(Failure::env(err));
                };
                let Some(loosened) = loosen_line(current, line, &name) else {
                    return Err(Failure::env(err));
                };
                let dir = ctx.cache.root.join("relaxed").join(fnv_hash(&loosened));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| Failure::env(format!("{}: {e}", dir.display())))?;
                let path = dir.join("requirements.txt");
                std::fs::write(&path, &loosened)
                    .map_err(|e| Failure::env(format!("{}: {e}", path.display())))?;
                let requirement = current
                    .lines()
                    .nth(line - 1)
                    .unwrap_or(&name)
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                ctx.progress.note(&format!(
                    "requirements.txt:{line}: `{requirement}` conflicts with {}: testing with `{name}` unpinned instead",
                    pinned.describe()
                ));
                relaxed.push(Relaxed {
                    requirement,
                    name,
                    line,
                    why: err.why.clone(),
                    what_to_do: err.what_to_do.clone(),
                });
                spec.requirements = Some(path);
                text = Some(loosened);
            }
            Err(e) => return Err(Failure::env(e)),
        }
    }
}

/// `(normalized name, line)` of the requirement a resolution error names, when it is a line
/// of the project's root requirements.txt without includes (which a copy elsewhere would break).
fn culprit(project: &Project, requirement: &str) -> Option<(String, usize)> {
    let reqs = project.requirements.as_ref()?;
    if !reqs.includes().is_empty() {
        return None;
    }
    let name: String = requirement
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let found = reqs.find(&name);
    let r = found.first()?;
    Some((r.normalized.clone(), r.line))
}

/// `text` with line `line` (1-based) replaced by the bare `name`.
fn loosen_line(text: &str, line: usize, name: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let ending = &l[l.trim_end_matches(['\r', '\n']).len()..];
            out.push_str(name);
            out.push_str(ending);
            found = true;
        } else {
            out.push_str(l);
        }
    }
    found.then_some(out)
}

/// A stable name for a relaxed copy (FNV-1a of its text).
fn fnv_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loosens_only_the_named_line() {
        let text = "# pins\r\nrequests==2.32.3\r\npandas>=2.1\r\n";
        assert_eq!(
            loosen_line(text, 2, "requests").as_deref(),
            Some("# pins\r\nrequests\r\npandas>=2.1\r\n")
        );
        assert_eq!(loosen_line(text, 9, "requests"), None);
        assert_ne!(fnv_hash("a"), fnv_hash("b"));
    }
}
