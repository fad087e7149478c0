//! Wiring between the catalog, the project and environments: which version a command works
//! against ([`Pinned`]), and its lock and venv. Plain glue; the rules live in the crates.

use std::collections::BTreeMap;
use std::path::Path;

use skyhop_catalog::{Catalog, RuntimeInfo, RuntimeVersion, Target};
use skyhop_core::{Lock, Progress};
use skyhop_env::{Cache, EnvSpec, Venv};
use skyhop_project::{BaseImage, Project};

use crate::Failure;
use crate::cli::{Backend, VersionArgs};

/// Packages of Runtime images that only Astronomer's own index serves.
pub const ASTRONOMER_ONLY: &[&str] = &["astronomer-providers-logging"];

/// Python used when neither the image tag nor the catalog names one.
const FALLBACK_PYTHON: &str = "3.11";

/// Shared state of one CLI run.
pub struct Ctx {
    pub catalog: Catalog,
    pub cache: Cache,
    pub progress: crate::progress::Bars,
    /// Notes from loading the catalog (offline, feed age), shown once when relevant.
    pub catalog_notes: Vec<String>,
}

impl Ctx {
    pub fn new(quiet: bool) -> Result<Ctx, Failure> {
        let cache = Cache::default();
        let (catalog, catalog_notes) =
            Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
        Ok(Ctx {
            catalog,
            cache,
            progress: crate::progress::Bars::new(quiet),
            catalog_notes,
        })
    }
}

/// One version pinned down: what a command resolves, installs and reports.
#[derive(Debug, Clone)]
pub struct Pinned {
    /// As shown and used in folder names: the Runtime version (`11.3.0`, `3.1-12`) or the
    /// Airflow version (`2.10.5`).
    pub label: String,
    pub target: Target,
    pub runtime: Option<RuntimeInfo>,
    /// Airflow version (`2.9.1`, no local part).
    pub airflow: String,
    /// Python `X.Y` of the image.
    pub python: String,
    /// The image reference, when known.
    pub image: Option<String>,
    /// Suffix of the Runtime tag (`-slim`, `-python-3.11-base`), empty otherwise.
    pub suffix: String,
    /// What was inferred about this version, to show with its results.
    pub notes: Vec<String>,
}

impl Pinned {
    /// Runtime default provider pins (slim image: the slim list when known).
    pub fn base_pins(&self) -> BTreeMap<String, String> {
        let Some(info) = &self.runtime else {
            return BTreeMap::new();
        };
        if self.suffix.contains("slim")
            && let Some(slim) = &info.slim_providers
        {
            return slim.clone();
        }
        info.providers.clone()
    }

    /// `Runtime 11.3.0 (Airflow 2.9.1, Python 3.11)`.
    pub fn describe(&self) -> String {
        match &self.runtime {
            Some(_) => format!(
                "Runtime {} (Airflow {}, Python {})",
                self.label, self.airflow, self.python
            ),
            None => format!("Airflow {} (Python {})", self.airflow, self.python),
        }
    }
}

/// The project's current version, from its Dockerfile's base image.
pub fn current(ctx: &Ctx, project: &Project) -> Result<Pinned, Failure> {
    let located = project.current_image().map_err(Failure::usage)?;
    let at = format!("Dockerfile:{}", located.line);
    match &located.base {
        BaseImage::AstroRuntime {
            version,
            suffix,
            python,
            ..
        } => {
            let v =
                RuntimeVersion::parse(version).map_err(|e| Failure::usage(format!("{at}: {e}")))?;
            let mut pinned = runtime(ctx, &v).map_err(|f| Failure {
                code: f.code,
                message: format!("{at}: {}", f.message),
            })?;
            if let Some(py) = python {
                pinned.python = py.clone();
            }
            pinned.suffix = suffix.clone();
            pinned.image = Some(located.image.clone());
            Ok(pinned)
        }
        BaseImage::ApacheAirflow {
            version, python, ..
        } => {
            let mut pinned = airflow(ctx, version)?;
            if let Some(py) = python {
                pinned.python = py.clone();
            }
            pinned.image = Some(located.image.clone());
            Ok(pinned)
        }
        BaseImage::LegacyApAirflow { airflow: af, .. } => {
            let mut pinned = airflow(ctx, af)?;
            pinned.image = Some(located.image.clone());
            Ok(pinned)
        }
        BaseImage::Custom { image } => Err(Failure::usage(format!(
            "{at}: unknown base image `{image}`: skyhop cannot tell which Airflow it runs. Pass --airflow-version (the Airflow version inside the image)."
        ))),
    }
}

/// A Runtime version from the catalog.
pub fn runtime(ctx: &Ctx, v: &RuntimeVersion) -> Result<Pinned, Failure> {
    let info = ctx
        .catalog
        .runtime(v)
        .ok_or_else(|| Failure::usage(ctx.catalog.unknown_runtime(v)))?;
    let airflow = info
        .airflow_version()
        .map(|v| v.to_string())
        .unwrap_or_else(|| info.airflow.clone());
    let mut info = info.clone();
    let mut notes = Vec::new();
    if info.providers.is_empty()
        && let Some(donor) = provider_donor(ctx, v)
    {
        // The catalog does not list this image's providers: take the set of the nearest
        // earlier runtime of the same Airflow major, unpinned (resolved as of the release date).
        info.providers = donor
            .providers
            .keys()
            .map(|name| (name.clone(), String::new()))
            .collect();
        notes.push(format!(
            "the catalog does not list the default providers of Runtime {v}: assuming those of Runtime {} (versions resolved as of the release date); pass a pip freeze of the real image (--target-freeze) for exact results",
            donor.version
        ));
    }
    Ok(Pinned {
        label: v.to_string(),
        target: Target::Runtime(*v),
        airflow,
        python: info
            .default_python
            .clone()
            .unwrap_or_else(|| FALLBACK_PYTHON.to_string()),
        image: Some(info.image("")),
        suffix: String::new(),
        notes,
        runtime: Some(info),
    })
}

/// The nearest earlier Runtime of the same Airflow major whose default providers are known.
fn provider_donor<'a>(ctx: &'a Ctx, v: &RuntimeVersion) -> Option<&'a RuntimeInfo> {
    ctx.catalog.runtimes().rev().find(|r| {
        r.version < *v && r.version.airflow_major() == v.airflow_major() && !r.providers.is_empty()
    })
}

/// An Apache Airflow version (need not be in the catalog: any release on PyPI works).
pub fn airflow(ctx: &Ctx, version: &str) -> Result<Pinned, Failure> {
    let target = Target::parse_airflow(version).map_err(Failure::usage)?;
    let info = ctx.catalog.airflow(version);
    // The newest Python the release supports, capped at what Runtime images of its era use.
    let python = info
        .and_then(|i| {
            i.pythons
                .iter()
                .rev()
                .find(|p| p.as_str() <= "3.12")
                .cloned()
        })
        .unwrap_or_else(|| FALLBACK_PYTHON.to_string());
    Ok(Pinned {
        label: version.to_string(),
        target,
        runtime: None,
        airflow: version.to_string(),
        python,
        image: Some(format!("apache/airflow:{version}")),
        suffix: String::new(),
        notes: Vec::new(),
    })
}

/// A version from an image reference (`--image-name`).
pub fn image(ctx: &Ctx, image: &str) -> Result<Pinned, Failure> {
    let text = format!("FROM {image}\n");
    let df =
        skyhop_project::Dockerfile::parse_named(&text, "--image-name").map_err(Failure::usage)?;
    let located = df.base_image().map_err(Failure::usage)?;
    let mut pinned = match &located.base {
        BaseImage::AstroRuntime {
            version,
            suffix,
            python,
            ..
        } => {
            let v = RuntimeVersion::parse(version).map_err(Failure::usage)?;
            let mut p = runtime(ctx, &v)?;
            if let Some(py) = python {
                p.python = py.clone();
            }
            p.suffix = suffix.clone();
            p
        }
        BaseImage::ApacheAirflow {
            version, python, ..
        } => {
            let mut p = airflow(ctx, version)?;
            if let Some(py) = python {
                p.python = py.clone();
            }
            p
        }
        BaseImage::LegacyApAirflow { airflow: af, .. } => airflow(ctx, af)?,
        BaseImage::Custom { image } => {
            return Err(Failure::usage(format!(
                "unknown base image `{image}`: pass --airflow-version or --runtime-version instead of --image-name"
            )));
        }
    };
    pinned.image = Some(image.to_string());
    Ok(pinned)
}

/// `--runtime-version` / `--airflow-version`, or `None` when neither was given.
pub fn from_args(ctx: &Ctx, args: &VersionArgs) -> Result<Option<Pinned>, Failure> {
    if let Some(rv) = &args.runtime_version {
        let v = RuntimeVersion::parse(rv)
            .map_err(|e| Failure::usage(format!("--runtime-version {rv}: {e}")))?;
        return runtime(ctx, &v).map(Some);
    }
    if let Some(av) = &args.airflow_version {
        return airflow(ctx, av).map(Some);
    }
    Ok(None)
}

/// The pinned version from a `pip freeze` file: Airflow read from it.
pub fn from_freeze(lock: &Lock, path: &Path) -> Result<Pinned, Failure> {
    let af = lock.version_of("apache-airflow").ok_or_else(|| {
        Failure::usage(format!(
            "{}: no apache-airflow in this pip freeze file, so its Airflow version is unknown; add the apache-airflow line or pass a version instead",
            path.display()
        ))
    })?;
    let base = af.split('+').next().unwrap_or(af).to_string();
    let target = Target::parse_airflow(&base).map_err(Failure::usage)?;
    Ok(Pinned {
        label: base.clone(),
        target,
        runtime: None,
        airflow: base,
        python: lock
            .provenance
            .python
            .clone()
            .unwrap_or_else(|| FALLBACK_PYTHON.to_string()),
        image: None,
        suffix: String::new(),
        notes: Vec::new(),
    })
}

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

/// One setting from the project: `(KEY, value, file, line)`, Dockerfile `ENV` lines first, then
/// `.env` (which wins when both set a key, as `astro dev start` does).
pub fn config_env(project: &Project) -> Vec<(String, String, String, u32)> {
    let mut out: Vec<(String, String, String, u32)> = project
        .dockerfile
        .env()
        .iter()
        .map(|e| {
            (
                e.key.clone(),
                e.value.clone(),
                "Dockerfile".to_string(),
                e.line as u32,
            )
        })
        .collect();
    if let Some(env) = &project.env {
        out.extend(env.entries.iter().filter_map(|e| {
            Some((
                e.key.clone(),
                e.value.clone()?,
                ".env".to_string(),
                e.line as u32,
            ))
        }));
    }
    out
}

/// The project's setting of `KEY`, if any (`.env` over Dockerfile).
fn setting(project: &Project, key: &str) -> Option<String> {
    config_env(project)
        .into_iter()
        .rev()
        .find(|(k, ..)| k == key)
        .map(|(_, v, ..)| v)
}

/// The DAG files the target Airflow would parse: its `.airflowignore` syntax and safe mode
/// (Airflow 3 reads `.airflowignore` as glob patterns unless the project says otherwise).
pub fn dag_files(project: &Project, airflow: &str) -> skyhop_project::DagDiscovery {
    let major = airflow
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(2);
    let mut opts = skyhop_project::DiscoveryOptions::for_airflow_major(major);
    if let Some(syntax) = setting(project, "AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX") {
        match syntax.trim().to_ascii_lowercase().as_str() {
            "glob" => opts.syntax = skyhop_project::IgnoreSyntax::Glob,
            "regexp" => opts.syntax = skyhop_project::IgnoreSyntax::Regexp,
            _ => {}
        }
    }
    if let Some(safe) = setting(project, "AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE") {
        opts.safe_mode = !matches!(safe.trim().to_ascii_lowercase().as_str(), "false" | "0");
    }
    project.dag_files(&opts)
}

/// Environment variables for processes that import the project's DAGs: its Dockerfile `ENV`
/// and `.env` settings, less anything that would point Airflow at a real database or home.
pub fn dag_env(project: &Project) -> Vec<(String, String)> {
    config_env(project)
        .into_iter()
        .filter(|(k, ..)| {
            !(k.starts_with("AIRFLOW__DATABASE__")
                || k == "AIRFLOW__CORE__SQL_ALCHEMY_CONN"
                || k == "AIRFLOW_HOME"
                || k.starts_with("AIRFLOW__CORE__DAGS_FOLDER"))
        })
        .map(|(k, v, ..)| (k, v))
        .collect()
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
