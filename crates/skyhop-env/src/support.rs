//! Conveniences for tests and benchmarks of other crates: a plain Airflow venv, and Airflow's
//! own example DAGs.

use std::fs;
use std::io::Read;
use std::path::PathBuf;

use skyhop_core::{NoProgress, Progress};

use crate::cache::{Cache, lock_file, rename_into_place, temp_dir_in};
use crate::pypi::{day_after, download_wheel, release_date};
use crate::{EnvError, EnvSpec, Venv, install, resolve};

/// Python used by [`airflow_venv`]: every Airflow 2.6+ and 3.x supports it.
pub const TEST_PYTHON: &str = "3.11";

/// A venv with plain `apache-airflow==version` (and what it pulls in) on Python 3.11, resolved
/// as of its PyPI release day; cached (second call well under a second).
pub fn airflow_venv(airflow_version: &str, cache: &Cache) -> Result<Venv, EnvError> {
    airflow_venv_with(airflow_version, cache, &NoProgress)
}

/// [`airflow_venv`] with progress.
pub fn airflow_venv_with(
    airflow_version: &str,
    cache: &Cache,
    progress: &dyn Progress,
) -> Result<Venv, EnvError> {
    venv_of(airflow_version, None, cache, progress)
}

/// Airflow `version` on [`TEST_PYTHON`] as of its release day, plus a requirements file.
fn venv_of(
    airflow_version: &str,
    requirements: Option<PathBuf>,
    cache: &Cache,
    progress: &dyn Progress,
) -> Result<Venv, EnvError> {
    let exclude_newer = release_date("apache-airflow", airflow_version, cache)
        .ok()
        .and_then(|d| day_after(&d));
    let spec = EnvSpec {
        airflow: airflow_version.to_string(),
        python: TEST_PYTHON.to_string(),
        exclude_newer,
        requirements,
        ..EnvSpec::default()
    };
    let lock = resolve(&spec, cache, progress)?;
    install(&lock, cache, progress)
}

/// [`airflow_venv`] plus `requirements` (lines of a requirements.txt, e.g. `psycopg2-binary`):
/// the file is kept under `cache/test-requirements/<lines joined by +>/`, so the same lines give
/// the same cached environment.
pub fn airflow_venv_plus(
    airflow_version: &str,
    requirements: &[&str],
    cache: &Cache,
    progress: &dyn Progress,
) -> Result<Venv, EnvError> {
    let joined = requirements.join("\n");
    let dir = cache
        .root
        .join("test-requirements")
        .join(requirements.join("+"));
    let file = dir.join("requirements.txt");
    fs::create_dir_all(&dir)
        .and_then(|()| fs::write(&file, format!("{joined}\n")))
        .map_err(|e| EnvError::io(format!("cannot write {}", file.display()), e))?;
    venv_of(airflow_version, Some(file), cache, progress)
}

/// `airflow/example_dags/` of Airflow `version` (from the `apache-airflow` wheel for 2.x, the
/// `apache-airflow-core` wheel for 3.x), extracted once into `cache/example-dags/<version>/`;
/// returns that directory (its files are the example DAGs, sub-directories kept).
pub fn airflow_example_dags(version: &str, cache: &Cache) -> Result<PathBuf, EnvError> {
    let parent = cache.dir("example-dags")?;
    let dest = parent.join(version);
    if dest.is_dir() {
        return Ok(dest);
    }
    let _guard = lock_file(&parent.join(format!("{version}.lock")))?;
    if dest.is_dir() {
        return Ok(dest);
    }
    let package = if version.starts_with(['0', '1', '2']) {
        "apache-airflow"
    } else {
        "apache-airflow-core"
    };
    let wheel = download_wheel(package, version, cache)?;
    let file = fs::File::open(&wheel)
        .map_err(|e| EnvError::io(format!("cannot open {}", wheel.display()), e))?;
    let bad_zip = |e: zip::result::ZipError| {
        EnvError::NotFound(format!("{} is not a readable wheel: {e}", wheel.display()))
    };
    let mut archive = zip::ZipArchive::new(file).map_err(bad_zip)?;
    let tmp = temp_dir_in(&parent, ".tmp-")?;
    let out = tmp.path().join(version);
    let mut count = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(bad_zip)?;
        let Some(name) = entry.enclosed_name() else {
            continue;
        };
        let Ok(rel) = name.strip_prefix("airflow/example_dags") else {
            continue;
        };
        if entry.is_dir() || rel.as_os_str().is_empty() {
            continue;
        }
        let target = out.join(rel);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| EnvError::io(format!("cannot create {}", dir.display()), e))?;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| {
            EnvError::io(format!("cannot read {} from the wheel", rel.display()), e)
        })?;
        fs::write(&target, bytes)
            .map_err(|e| EnvError::io(format!("cannot write {}", target.display()), e))?;
        count += 1;
    }
    if count == 0 {
        return Err(EnvError::NotFound(format!(
            "{} has no airflow/example_dags/",
            wheel.display()
        )));
    }
    rename_into_place(&out, &dest)?;
    Ok(dest)
}
