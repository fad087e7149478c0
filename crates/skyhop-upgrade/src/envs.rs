//! Environments of pinned versions: resolution inputs, locks (uv, Docker, freeze files) and the
//! venvs installed from them.

use std::path::Path;

use skyhop_core::{Lock, Progress};
use skyhop_env::{EnvSpec, Venv};
use skyhop_project::{Project, SourceKind};

use crate::Backend;
use crate::Failure;
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
        .map(|p| {
            // an Airflow constraints URL: the embedded copy MWAA (or pip) would fetch
            crate::mwaa::offline_requirements(&ctx.cache.root, p, pinned)
                .unwrap_or_else(|| p.requirements_path())
        })
        .filter(|p| p.is_file());
    let indexes = indexes(project, index_url);
    for note in &pinned.notes {
        ctx.progress.note(note);
    }
    let (python, _) = ctx.python_for(pinned);
    // The official image installs with Airflow's constraints: resolved at their pins, as of the
    // later of the release and the day they were generated (for the Python they are for).
    let constraints = pinned
        .image_constraints
        .as_ref()
        .filter(|c| c.python == python);
    let date = match (constraints, date) {
        (Some(c), Some(d)) => Some(d.max(c.generated.clone())),
        (Some(c), None) => Some(c.generated.clone()),
        (None, d) => d,
    };
    EnvSpec {
        airflow: pinned.airflow.clone(),
        base_pins: pinned.base_pins(),
        base_constraints: constraints.map(|c| c.pins.clone()).unwrap_or_default(),
        exclude_newer: date.as_deref().and_then(skyhop_env::day_after),
        requirements,
        index_url: indexes.index_url,
        extra_index_urls: indexes.extra_index_urls,
        unavailable: ASTRONOMER_ONLY.iter().map(|s| s.to_string()).collect(),
        extra_requirements: project
            .map(|p| {
                let mut r = dockerfile_requirements(p);
                r.extend(crate::platform::start_requirements(p));
                r
            })
            .unwrap_or_default(),
        image_paths: project
            .map(|p| {
                pip_installs(p)
                    .copied
                    .into_iter()
                    .map(|(image, local, _)| (image, p.root.join(local)))
                    .collect()
            })
            .unwrap_or_default(),
        airflow_pin_is_version: project.is_some_and(|p| p.dockerfile.is_none()),
        // tested with another Python than the image's: wheels are checked for the image's too
        image_python: (python != pinned.python).then(|| pinned.python.clone()),
        python,
    }
}

/// The Dockerfile's `pip install` steps, with paths traced to the project folder.
fn pip_installs(project: &Project) -> skyhop_project::PipInstalls {
    project
        .dockerfile
        .as_ref()
        .map(|df| df.pip_installs_in(Some(&project.root)))
        .unwrap_or_default()
}

/// The packages the Dockerfile's `RUN pip install` steps add to Airflow's environment: from the
/// index, from URLs and repositories it clones (installed from them, as the build does), and
/// from the project's own folders and files it copies in.
fn dockerfile_requirements(project: &Project) -> Vec<skyhop_core::Requirement> {
    let installs = pip_installs(project);
    let from_index = installs
        .requirements
        .into_iter()
        .map(|(line, requirement)| skyhop_core::Requirement {
            name: skyhop_core::normalize_name(
                requirement
                    .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .next()
                    .unwrap_or(""),
            ),
            requirement,
            file: "Dockerfile".into(),
            line,
            ..Default::default()
        });
    let from_elsewhere = installs.sources.into_iter().filter_map(|s| {
        let requirement = match &s.kind {
            SourceKind::Remote { requirement } => match &s.package {
                Some(name) if !requirement.contains("#egg=") => format!("{name} @ {requirement}"),
                _ => requirement.clone(),
            },
            SourceKind::Project { path, extras, .. } => {
                let abs = project.root.join(path);
                match &s.package {
                    Some(name) => format!("{name}{extras} @ file://{}", abs.display()),
                    None => abs.display().to_string(),
                }
            }
            SourceKind::Unmapped { .. } => return None,
        };
        Some(skyhop_core::Requirement {
            name: s.package.clone().unwrap_or_default(),
            requirement,
            file: "Dockerfile".into(),
            line: s.line,
            ..Default::default()
        })
    });
    let files =
        installs
            .requirement_files
            .into_iter()
            .map(|(line, path)| skyhop_core::Requirement {
                requirement: format!("-r {}", project.root.join(path).display()),
                file: "Dockerfile".into(),
                line,
                ..Default::default()
            });
    from_index.chain(from_elsewhere).chain(files).collect()
}

/// Paths in the image that the Dockerfile's `RUN` steps make (a dbt virtual environment...).
pub fn made_paths(project: &Project) -> Vec<String> {
    pip_installs(project).made
}

/// What the Dockerfile installs that skyhop does not model, each naming its line.
pub fn dockerfile_notes(project: &Project) -> Vec<String> {
    let installs = pip_installs(project);
    installs
        .unmodelled
        .into_iter()
        .map(|(line, what)| format!("Dockerfile:{line}: {what}"))
        .chain(
            installs
                .sources
                .iter()
                .filter(|s| matches!(s.kind, SourceKind::Unmapped { .. }))
                .map(|s| format!("{}: not installed in the test environment", s.describe())),
        )
        .collect()
}

/// Packages the Dockerfile installs from paths skyhop cannot trace to the project (the tests
/// run without them), as far as their paths name them.
pub fn dockerfile_missing(project: &Project) -> Vec<(String, String)> {
    pip_installs(project)
        .sources
        .into_iter()
        .filter(|s| matches!(s.kind, SourceKind::Unmapped { .. }))
        .filter_map(|s| {
            let why = format!("{}, so the tests ran without it", s.describe());
            s.package.map(|p| (p, why))
        })
        .collect()
}

/// Installs of the image skyhop could not reproduce, so what they bring is unknown: paths it
/// cannot trace, steps it does not model, and URLs or files left out of `lock` (a repository
/// that could not be fetched here). Each says where it is written.
pub fn unreproduced(project: &Project, lock: Option<&Lock>) -> Vec<String> {
    let installs = pip_installs(project);
    let mut out: Vec<String> = installs
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Unmapped { .. }))
        .map(|s| s.describe())
        .collect();
    out.extend(
        installs
            .unmodelled
            .into_iter()
            .filter(|(_, what)| !what.contains("separate virtual environment"))
            .map(|(line, what)| format!("Dockerfile:{line} {what}")),
    );
    for r in lock.iter().flat_map(|l| &l.provenance.layering.unreachable) {
        out.push(format!(
            "{}:{} installs `{}`, which skyhop could not install here",
            r.file, r.line, r.requirement
        ));
    }
    out
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
            let mut lock =
                skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress).map_err(Failure::env)?;
            // the Python it stands for, when not the image's: a note of this run, not of the
            // cached lock (another image's Python can come to the same one)
            if let (_, Some(note)) = ctx.python_for(pinned)
                && !lock.provenance.notes.contains(&note)
            {
                lock.provenance.notes.insert(0, note);
            }
            Ok(lock)
        }
    }
}

/// A `pip freeze` file as a lock.
pub fn freeze(path: &Path) -> Result<Lock, Failure> {
    skyhop_env::freeze_file(path).map_err(Failure::usage)
}

/// The package indexes of a project, as its image build would use them: `--index-url` (this
/// call's, else the run's), else requirements.txt's, else the machine's (environment variables,
/// pip.conf); extra indexes from requirements.txt, `--extra-index-url` and the machine's.
pub fn indexes(project: Option<&Project>, index_url: Option<&str>) -> skyhop_env::Indexes {
    let settings = skyhop_core::settings::get();
    let from_file = project
        .and_then(|p| p.requirements.as_ref())
        .map(|r| r.index_urls());
    let machine = skyhop_env::environment_indexes();
    let mut extra: Vec<String> = from_file
        .as_ref()
        .map(|u| u.extra_index_urls.clone())
        .unwrap_or_default();
    for url in settings
        .extra_index_urls
        .iter()
        .chain(&machine.extra_index_urls)
    {
        if !extra.contains(url) {
            extra.push(url.clone());
        }
    }
    skyhop_env::Indexes {
        index_url: index_url
            .map(str::to_string)
            .or_else(|| settings.index_url.clone())
            .or_else(|| from_file.as_ref().and_then(|u| u.index_url.clone()))
            .or(machine.index_url),
        extra_index_urls: extra,
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
