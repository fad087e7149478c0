//! The `uv` backend: resolving an environment from the package index with `uv pip compile`,
//! layered like a Runtime image and cached by its inputs.
//!
//! Layer 1, the base: `apache-airflow==V` plus the runtime's default provider pins, for the
//! runtime's Python on Linux, as of the version's release date (`--exclude-newer`), so it
//! matches what shipped. Layer 2, the user's `requirements.txt`, resolved on top of the base
//! without the cutoff: Airflow and the runtime's pins are hard constraints (a pin that fights
//! them is a conflict, as in the image), every other base version is a preference (kept unless
//! a requirement needs otherwise, like `pip install` on top of an image keeps what is
//! installed). So `requests==2.32.3` on an older runtime works exactly as it does in the image.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use skyhop_core::{Lock, Progress, normalize_name};

use crate::cache::{Cache, key, lock_file, write_atomic};
use crate::explain::{self, Layer};
use crate::index_cache;
use crate::lock_cache::{
    base_key, included_texts, read_cached, read_requirements, refers_to_files, write_cached,
};
use crate::uv::uv;
use crate::{EnvError, cmd};

/// Names the way the requirements layer is modelled, in lock cache keys: locks made by an
/// earlier model are not reused.
const LAYER_MODEL: &str = "layer-v6-moves-tried-in-turn";

/// The platform every environment is resolved for (Runtime images are Linux x86-64).
pub const PYTHON_PLATFORM: &str = "x86_64-unknown-linux-gnu";

/// Everything an environment is resolved from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvSpec {
    /// Airflow version (`2.9.1`); a `+astro.N` local part is ignored (PyPI has none).
    pub airflow: String,
    /// Python `X.Y` the environment is for; it need not be installed to resolve.
    pub python: String,
    /// The runtime's default provider pins, name → version (or a specifier such as `>=1.2`).
    pub base_pins: BTreeMap<String, String>,
    /// Constraints the image's own install used (Airflow's constraints file: name → version):
    /// every base package they name is resolved at their version, none is added by them. When
    /// the base cannot be resolved with them, it is resolved without them, with a note.
    #[serde(default)]
    pub base_constraints: BTreeMap<String, String>,
    /// `YYYY-MM-DD`: resolve the base as of this date (the version's release date + 1 day).
    pub exclude_newer: Option<String>,
    /// The project's `requirements.txt`, layered on top of the base.
    pub requirements: Option<PathBuf>,
    /// Replaces PyPI (`--index-url`).
    pub index_url: Option<String>,
    /// More indexes (`--extra-index-url`).
    pub extra_index_urls: Vec<String>,
    /// Base pins that exist only on Astronomer's index (e.g. `astronomer-providers-logging`):
    /// left out with a note unless `index_url` is given.
    pub unavailable: Vec<String>,
    /// More requirements installed on top, after `requirements` (a Dockerfile's
    /// `RUN pip install` packages), each with where it is written.
    #[serde(default)]
    pub extra_requirements: Vec<skyhop_core::Requirement>,
    /// The requirements' `apache-airflow` lines say which Airflow the project runs (a project
    /// without a Dockerfile), so they give way to `airflow` instead of conflicting with it.
    #[serde(default)]
    pub airflow_pin_is_version: bool,
    /// Paths in the image and the project files they are copied from (`/tmp/x.whl` ->
    /// `/project/include/x.whl`): a requirement line naming an image path installs the file.
    #[serde(default)]
    pub image_paths: Vec<(String, PathBuf)>,
    /// The image's Python when the environment is built for another one (`python`; the
    /// image's cannot be had on this machine): requirements are checked for a wheel on both,
    /// and a pin is moved only to a version with a wheel for both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_python: Option<String>,
}

impl EnvSpec {
    /// The indexes to install this spec's lock from (see [`crate::install_with`]).
    pub fn indexes(&self) -> crate::Indexes {
        crate::Indexes {
            index_url: self.index_url.clone(),
            extra_index_urls: self.extra_index_urls.clone(),
        }
    }

    /// `apache-airflow==V` without any local version part.
    pub(crate) fn airflow_pin(&self) -> String {
        let v = self.airflow.split('+').next().unwrap_or("").trim();
        format!("apache-airflow=={v}")
    }
}

/// Resolves `spec` into a complete lock (every package pinned), from the lock cache when the
/// same inputs were resolved before (no uv call then).
pub fn resolve(spec: &EnvSpec, cache: &Cache, progress: &dyn Progress) -> Result<Lock, EnvError> {
    let locks = cache.dir("locks")?;
    let base_key = base_key(spec);
    let requirements = match &spec.requirements {
        Some(path) => Some(read_requirements(path)?),
        None => None,
    };
    let extra: String = spec
        .extra_requirements
        .iter()
        .map(|r| format!("{}:{}:{}\n", r.file, r.line, r.requirement))
        .chain(
            spec.airflow_pin_is_version
                .then(|| "airflow-pin-is-version\n".to_string()),
        )
        .chain(
            spec.image_paths
                .iter()
                .map(|(i, p)| format!("image-path:{i}={}\n", p.display())),
        )
        .chain(
            spec.image_python
                .iter()
                .filter(|p| **p != spec.python)
                .map(|p| format!("image-python:{p}\n")),
        )
        .collect();
    let final_key = match &requirements {
        _ if requirements.is_none() && extra.is_empty() => base_key.clone(),
        Some((path, text)) => {
            // the file's place matters only when it refers to other files
            let place = if refers_to_files(text) {
                path.to_string_lossy().into_owned()
            } else {
                String::new()
            };
            key(&[
                &base_key,
                LAYER_MODEL,
                &place,
                text,
                &included_texts(path, text, 0),
                &extra,
            ])
        }
        None => key(&[&base_key, LAYER_MODEL, &extra]),
    };
    if let Some(lock) = read_cached(&locks, &final_key) {
        return Ok(lock);
    }
    progress.begin("resolving", None);
    let result = resolve_uncached(spec, cache, &locks, &base_key, &final_key, requirements);
    match &result {
        Ok(lock) => {
            // notes travel in the lock's provenance (shown with results), not as progress
            progress.end(
                "resolving",
                &format!(
                    "{} packages for Airflow {} on Python {}",
                    lock.packages.len(),
                    spec.airflow,
                    spec.python
                ),
            );
        }
        Err(_) => progress.end("resolving", "failed"),
    }
    result
}

fn resolve_uncached(
    spec: &EnvSpec,
    cache: &Cache,
    locks: &Path,
    base_key: &str,
    final_key: &str,
    requirements: Option<(PathBuf, String)>,
) -> Result<Lock, EnvError> {
    // Two runs resolving the same inputs: the second waits and then reads the first's result.
    let _guard = lock_file(&locks.join(format!("{final_key}.lock")))?;
    if let Some(lock) = read_cached(locks, final_key) {
        return Ok(lock);
    }
    let uv = uv(cache)?;
    let base = match read_cached(locks, base_key) {
        Some(lock) => lock,
        None => {
            let _base_guard = (base_key != final_key)
                .then(|| lock_file(&locks.join(format!("{base_key}.lock"))))
                .transpose()?;
            match read_cached(locks, base_key) {
                Some(lock) => lock,
                None => {
                    let lock = resolve_base(spec, &uv, locks)?;
                    write_cached(locks, base_key, &lock)?;
                    lock
                }
            }
        }
    };
    let lock = match requirements {
        None if spec.extra_requirements.is_empty() => base,
        req => crate::layer::resolve_layer(
            spec,
            &uv,
            cache,
            &base,
            req.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
        )?,
    };
    write_cached(locks, final_key, &lock)?;
    Ok(lock)
}

/// `name==version`, or `name<spec>` when the pin is already a specifier.
pub(crate) fn pin_line(name: &str, version: &str) -> String {
    let v = version.trim();
    if v.is_empty() || v == "*" {
        name.to_string()
    } else if v.starts_with(['=', '<', '>', '!', '~']) {
        format!("{name}{v}")
    } else {
        format!("{name}=={v}")
    }
}

fn is_unavailable(spec: &EnvSpec, name: &str) -> bool {
    spec.index_url.is_none()
        && spec
            .unavailable
            .iter()
            .any(|u| normalize_name(u) == normalize_name(name))
}

/// Layer 1: Airflow + the runtime's pins as of the cutoff date. Pins the index does not have
/// are left out with a note and the resolution retried.
fn resolve_base(spec: &EnvSpec, uv: &Path, locks: &Path) -> Result<Lock, EnvError> {
    let mut notes = Vec::new();
    let mut pins: BTreeMap<String, String> = BTreeMap::new();
    for (name, version) in &spec.base_pins {
        if is_unavailable(spec, name) {
            notes.push(format!(
                "{} is only on Astronomer's package index: left out (pass --index-url to include it)",
                pin_line(name, version)
            ));
        } else if let Some((public, _)) = version.split_once('+')
            && spec.index_url.is_none()
        {
            // `7.0.0+astro.2`: Astronomer's own build of an upstream release, only on its index
            notes.push(format!(
                "{} is Astronomer's own build, only on its package index: resolved the upstream release {name}=={public} instead (pass --index-url to use the build)",
                pin_line(name, version)
            ));
            pins.insert(name.clone(), public.to_string());
        } else {
            pins.insert(name.clone(), version.clone());
        }
    }
    let mut cutoff = spec.exclude_newer.clone();
    let mut constrained = !spec.base_constraints.is_empty();
    for _attempt in 0..spec.base_pins.len() + 4 {
        let mut input = format!("{}\n", spec.airflow_pin());
        for (n, v) in &pins {
            input.push_str(&pin_line(n, v));
            input.push('\n');
        }
        let tmp = crate::cache::temp_dir_in(locks, ".tmp-resolve-")?;
        let inp = tmp.path().join("base.in");
        write_atomic(&inp, input.as_bytes())?;
        if constrained {
            let text: String = spec
                .base_constraints
                .iter()
                .filter(|(n, _)| normalize_name(n) != "apache-airflow")
                .map(|(n, v)| format!("{n}=={v}\n"))
                .collect();
            write_atomic(&tmp.path().join(BASE_CONSTRAINTS), text.as_bytes())?;
        }
        let out = tmp.path().join("base.txt");
        let stderr = match offline_base(spec, uv, tmp.path(), &inp, cutoff.as_deref())? {
            Offline::Fresh(mut lock) => {
                lock.provenance.exclude_newer = cutoff;
                lock.provenance.notes = notes;
                return Ok(*lock);
            }
            // a pin's publication date does not change: the offline explanation is enough
            Offline::Failed(stderr) if explain::pin_after_cutoff(&stderr).is_some() => stderr,
            Offline::Failed(_) | Offline::NotUsable => {
                let mut c = compile_command(spec, uv, tmp.path(), &out);
                base_input(&mut c, &inp);
                if let Some(date) = &cutoff {
                    c.args(["--exclude-newer", date]);
                }
                let output = cmd::output(&mut c, "")?;
                if output.status.success() {
                    let mut lock = read_compiled(&out, spec)?;
                    lock.provenance.exclude_newer = cutoff;
                    lock.provenance.notes = notes;
                    return Ok(lock);
                }
                String::from_utf8_lossy(&output.stderr).to_string()
            }
        };
        // A pin published after the cutoff: the date is too early; move it to the pin's day.
        if let (Some(old), Some((pin, published))) = (&cutoff, explain::pin_after_cutoff(&stderr))
            && let Some(next) = crate::pypi::day_after(&published)
            && next > *old
        {
            notes.push(format!(
                "the cutoff date {old} is earlier than {pin} (published {published}): resolved as of {next} instead"
            ));
            cutoff = Some(next);
            continue;
        }
        let missing = explain::not_in_registry(&stderr)
            .filter(|m| pins.keys().any(|p| normalize_name(p) == *m));
        if let Some(name) = missing {
            let (pin_name, version) = pins
                .iter()
                .find(|(p, _)| normalize_name(p) == name)
                .map(|(p, v)| (p.clone(), v.clone()))
                .unwrap_or_default();
            pins.remove(&pin_name);
            notes.push(format!(
                "{} is not on the package index: left out (pass --index-url if it comes from a private index)",
                pin_line(&pin_name, &version)
            ));
            continue;
        }
        // A base package that cannot be installed with this Airflow (a default extra of a
        // later image, say): left out with a note, never the whole environment.
        let why = explain::why_lines(&stderr);
        let text = why.join("\n");
        // the image's unpinned packages (default extras) first, then its pins
        let mentioned = |p: &&String| explain::mentions(&text, p);
        let at_fault = pins
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(p, _)| p)
            .find(mentioned)
            .or_else(|| pins.keys().find(mentioned))
            .cloned();
        match at_fault {
            Some(pin_name) => {
                let version = pins.remove(&pin_name).unwrap_or_default();
                notes.push(format!(
                    "{} cannot be installed with Airflow {} on Python {}: left out of the image's packages ({})",
                    pin_line(&pin_name, &version),
                    spec.airflow,
                    spec.python,
                    why.first().map(String::as_str).unwrap_or("no solution")
                ));
            }
            None if constrained => {
                constrained = false;
                notes.push(format!(
                    "Airflow {}'s constraints could not be applied on Python {} ({}): the image's packages were resolved without them",
                    spec.airflow,
                    spec.python,
                    why.first().map(String::as_str).unwrap_or("no solution")
                ));
            }
            None => {
                return Err(
                    explain::resolution_error(spec, Layer::Base, &stderr, &pins, None).into(),
                );
            }
        }
    }
    Err(EnvError::NotFound(format!(
        "cannot resolve Airflow {} for Python {}: gave up after too many retries ({})",
        spec.airflow,
        spec.python,
        notes.join("; ")
    )))
}

/// The base layer's constraints file, beside its input (written only when there are some).
const BASE_CONSTRAINTS: &str = "base-constraints.txt";

/// The base input, and `-c` its constraints file when one was written beside it.
fn base_input(c: &mut Command, input: &Path) {
    c.arg(input);
    if let Some(constraints) = input
        .parent()
        .map(|d| d.join(BASE_CONSTRAINTS))
        .filter(|p| p.is_file())
    {
        c.arg("-c").arg(constraints);
    }
}

/// What resolving the base from uv's cache alone gave.
enum Offline {
    /// As good as asking the index (see [`crate::index_cache`]).
    Fresh(Box<Lock>),
    /// Failed, with uv's stderr.
    Failed(String),
    /// Not tried, or its result cannot be trusted: resolve online.
    NotUsable,
}

fn offline_base(
    spec: &EnvSpec,
    uv: &Path,
    dir: &Path,
    input: &Path,
    cutoff: Option<&str>,
) -> Result<Offline, EnvError> {
    let Some(cutoff) = cutoff else {
        return Ok(Offline::NotUsable);
    };
    if spec.index_url.is_some() || !spec.extra_index_urls.is_empty() {
        return Ok(Offline::NotUsable);
    }
    let Some(uv_cache) = index_cache::uv_cache_dir(uv) else {
        return Ok(Offline::NotUsable);
    };
    let out = dir.join("base-offline.txt");
    let mut c = compile_command(spec, uv, dir, &out);
    base_input(&mut c, input);
    c.args(["--exclude-newer", cutoff, "--offline"]);
    let output = cmd::output(&mut c, "")?;
    if !output.status.success() {
        return Ok(Offline::Failed(
            String::from_utf8_lossy(&output.stderr).to_string(),
        ));
    }
    let lock = read_compiled(&out, spec)?;
    Ok(
        if index_cache::pages_fresh_since(&uv_cache, &lock, cutoff) {
            Offline::Fresh(Box::new(lock))
        } else {
            Offline::NotUsable
        },
    )
}

pub(crate) fn compile_command(spec: &EnvSpec, uv: &Path, dir: &Path, out: &Path) -> Command {
    let mut c = compile_command_annotated(spec, uv, dir, out);
    c.arg("--no-annotate");
    c
}

/// [`compile_command`] with uv's `# via` annotations in the output ([`read_compiled`] reads
/// them into the lock's `provenance.via`).
pub(crate) fn compile_command_annotated(
    spec: &EnvSpec,
    uv: &Path,
    dir: &Path,
    out: &Path,
) -> Command {
    let mut c = crate::uv::command(uv);
    c.current_dir(dir)
        .args(["pip", "compile", "--quiet", "--no-header"])
        .args(["--python-version", &spec.python])
        .args(["--python-platform", PYTHON_PLATFORM])
        .arg("-o")
        .arg(out);
    if let Some(url) = &spec.index_url {
        c.args(["--index-url", url]);
    }
    for url in &spec.extra_index_urls {
        c.args(["--extra-index-url", url]);
    }
    c
}

/// Reads `uv pip compile` output into a lock for `spec`'s Python.
pub(crate) fn read_compiled(path: &Path, spec: &EnvSpec) -> Result<Lock, EnvError> {
    let text = fs::read_to_string(path)
        .map_err(|e| EnvError::io(format!("cannot read {}", path.display()), e))?;
    let cleaned: String = text
        .lines()
        .map(|l| l.split(" ;").next().unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    let mut lock = Lock::from_freeze(&cleaned, "uv").map_err(|source| EnvError::Freeze {
        path: path.to_path_buf(),
        source,
    })?;
    lock.provenance.python = Some(spec.python.clone());
    lock.provenance.via = read_via(&text);
    Ok(lock)
}

/// uv's `# via` annotations: for each package, the packages that require it (requirement
/// files and constraints, `-r x` / `-c x`, left out).
fn read_via(text: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut via: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut current: Option<String> = None;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if !raw.starts_with(char::is_whitespace) && !trimmed.starts_with('#') {
            let name: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            current = (!name.is_empty()).then(|| skyhop_core::normalize_name(&name));
            continue;
        }
        let Some(pkg) = &current else { continue };
        let Some(comment) = trimmed.strip_prefix('#') else {
            continue;
        };
        let comment = comment.trim();
        let names = match comment.strip_prefix("via") {
            Some(rest) => rest.trim(),
            None => comment,
        };
        if names.is_empty() || names.starts_with("-r") || names.starts_with("-c") {
            continue;
        }
        let name: String = names
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            via.entry(pkg.clone())
                .or_default()
                .push(skyhop_core::normalize_name(&name));
        }
    }
    via
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uvs_via_annotations() {
        let text = "pandas==2.1.4\n    # via\n    #   apache-airflow-providers-trino\n    #   astro_sdk_python\nnumpy==1.26.4\n    # via pandas\nrequests==2.32.3\n    # via -r requirements.txt\n";
        let via = read_via(text);
        assert_eq!(
            via["pandas"],
            ["apache-airflow-providers-trino", "astro-sdk-python"]
        );
        assert_eq!(via["numpy"], ["pandas"]);
        assert!(!via.contains_key("requests"));
    }

    #[test]
    fn pin_lines() {
        assert_eq!(pin_line("a", "1.0"), "a==1.0");
        assert_eq!(pin_line("a", ">=1.0"), "a>=1.0");
        assert_eq!(pin_line("a", ""), "a");
    }
}
