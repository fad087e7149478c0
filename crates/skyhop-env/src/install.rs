//! Installed environments: a venv per lock in a content-addressed cache.
//!
//! `cache/venvs/<lock hash>/` is built in a temporary directory next to it and renamed into
//! place when complete (with a marker file written last inside it), so a half-built venv is
//! never reused; concurrent runs building the same venv wait on `cache/venvs/<hash>.lock`.
//! Venvs are created `--relocatable` so their scripts survive the rename.
//!
//! Python fallback: when the lock's Python cannot be had, the nearest available one is used
//! and a note says so. The lock was resolved for the wanted Python, so it is then installed
//! *with* dependency resolution, every locked version pinned: uv keeps the lock's versions and
//! adds what that Python needs besides (e.g. backports); a lock that cannot install at all on
//! it fails with uv's explanation. Added packages are listed in a note. Without a fallback the
//! lock is installed as is (`--no-deps`: the lock is complete).
//!
//! A package whose sdist cannot be built on this machine (e.g. `mysqlclient` without its
//! system libraries) is left out of the venv with a note instead of failing the whole venv.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use skyhop_core::{Lock, Progress};

use crate::cache::{Cache, lock_file, rename_into_place, temp_dir_in, write_atomic};
use crate::uv::uv;
use crate::{EnvError, cmd, python};

/// How long one `uv pip install` of a lock may take: wheels install in seconds to a minute;
/// past this something is being compiled from source, and the user hears of it rather than wait.
const INSTALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The marker written last into a finished venv; it also records the [`Venv`].
const MARKER: &str = "skyhop-venv.json";

/// An installed environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Venv {
    /// The venv directory.
    pub root: PathBuf,
    /// `root/bin/python`.
    pub python: PathBuf,
    /// Python `X.Y` the venv actually runs (may differ from the lock's: see `notes`).
    pub python_version: String,
    /// [`Lock::hash`] of the lock it was installed from (its cache key).
    pub lock_hash: String,
    /// Notes to show wherever its results are shown (Python fallback, added packages).
    pub notes: Vec<String>,
    /// Packages of the lock left out of the venv (not on the index, not buildable here):
    /// code importing them is not tested by skyhop rather than broken by the upgrade.
    #[serde(default)]
    pub left_out: Vec<String>,
    /// What `pip check` says is broken in the venv, a line each (`The package `x` requires
    /// `y>=2`, but `1.0` is installed`): what pip warns about when it builds the image.
    #[serde(default)]
    pub broken: Vec<String>,
    /// Whether `broken` was recorded (venvs built by older skyhop versions have not).
    #[serde(default)]
    pub checked: bool,
}

/// Where packages are installed from (PyPI when empty). Pass the ones the lock was resolved
/// with ([`crate::EnvSpec::indexes`]) when they include a private index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Indexes {
    /// Replaces PyPI (`--index-url`).
    pub index_url: Option<String>,
    /// More indexes (`--extra-index-url`).
    pub extra_index_urls: Vec<String>,
}

/// Installs `lock` (from PyPI) into its cached venv, or returns that venv when it already
/// exists (no subprocess then).
pub fn install(lock: &Lock, cache: &Cache, progress: &dyn Progress) -> Result<Venv, EnvError> {
    install_with(lock, &Indexes::default(), cache, progress)
}

/// [`install`] from the given package indexes.
pub fn install_with(
    lock: &Lock,
    indexes: &Indexes,
    cache: &Cache,
    progress: &dyn Progress,
) -> Result<Venv, EnvError> {
    let venvs = cache.dir("venvs")?;
    let hash = lock.hash();
    let root = venvs.join(&hash);
    // Marks it used and keeps `skyhop cache prune` off it while this process lives.
    crate::usage::hold(&venvs, &hash)?;
    if let Some(venv) = read_marker(&root) {
        return Ok(checked(venv, cache));
    }
    let _guard = lock_file(&venvs.join(format!("{hash}.lock")))?;
    if let Some(venv) = read_marker(&root) {
        return Ok(checked(venv, cache));
    }
    if root.exists() {
        // No marker: a leftover from an older layout or a crash mid-rename. Never reuse it.
        fs::remove_dir_all(&root)
            .map_err(|e| EnvError::io(format!("cannot remove {}", root.display()), e))?;
    }
    progress.begin("installing", Some(lock.packages.len() as u64));
    let result = build(lock, indexes, cache, &venvs, &hash, &root, progress);
    if result.is_ok() {
        crate::usage::enforce_max_size(cache);
    }
    match &result {
        Ok(v) => {
            // notes travel in the venv (shown with results), not as progress
            progress.end(
                "installing",
                &format!(
                    "{} packages on Python {}",
                    lock.packages.len(),
                    v.python_version
                ),
            );
        }
        Err(_) => progress.end("installing", "failed"),
    }
    result
}

fn build(
    lock: &Lock,
    indexes: &Indexes,
    cache: &Cache,
    venvs: &Path,
    hash: &str,
    root: &Path,
    progress: &dyn Progress,
) -> Result<Venv, EnvError> {
    let uv = uv(cache)?;
    let wanted = lock
        .provenance
        .python
        .clone()
        .unwrap_or_else(|| "3.11".to_string());
    let interp = python::find(&uv, &wanted, progress)?;
    let tmp = temp_dir_in(venvs, &format!(".tmp-{hash}-"))?;
    let dir = tmp.path().join("venv");
    let mut c = crate::uv::command(&uv);
    c.args([
        "venv",
        "--quiet",
        "--relocatable",
        "--no-project",
        "--python",
    ])
    .arg(&interp.path)
    .arg(&dir);
    cmd::run(&mut c, "")?;

    let venv_python = dir.join("bin").join("python");
    let fallback = interp.fallback_note.is_some();
    let (install_notes, with_deps, left_out) =
        install_packages(&uv, &venv_python, tmp.path(), lock, indexes, fallback)?;

    let mut notes: Vec<String> = interp.fallback_note.iter().cloned().collect();
    notes.extend(install_notes);
    if with_deps {
        let added = added_packages(&uv, &venv_python, lock)?;
        if !added.is_empty() {
            notes.push(format!(
                "Python {} needs more packages than the lock for {wanted}: added {}",
                interp.version,
                added.join(", ")
            ));
        }
    }
    let venv = Venv {
        root: root.to_path_buf(),
        python: root.join("bin").join("python"),
        python_version: interp.version,
        lock_hash: hash.to_string(),
        notes,
        left_out,
        broken: pip_check(&uv, &venv_python),
        checked: true,
    };
    let marker = serde_json::to_string_pretty(&venv).unwrap_or_default();
    write_atomic(&dir.join(MARKER), marker.as_bytes())?;
    rename_into_place(&dir, root)?;
    read_marker(root).ok_or_else(|| {
        EnvError::io(
            format!("venv {} vanished after it was built", root.display()),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })
}

/// Installs the lock into the venv at `python`: `--no-deps` (the lock is complete) unless
/// `with_deps` (Python fallback: let uv add what that Python needs, every locked version
/// pinned). Returns notes on what could not be installed as locked, and whether dependencies
/// were resolved.
///
/// Locks read from an image (docker, freeze file) name builds PyPI does not have: local
/// versions (`2.9.1+astro.1`, never on PyPI) are installed as their public version; packages
/// the index does not have, and sdists that cannot be built here (e.g. `mysqlclient` without
/// its system libraries), are left out and the install retried without them (and without
/// dependency resolution, which would bring them back). Each gets a note.
fn install_packages(
    uv: &Path,
    python: &Path,
    tmp: &Path,
    lock: &Lock,
    indexes: &Indexes,
    mut with_deps: bool,
) -> Result<(Vec<String>, bool, Vec<String>), EnvError> {
    let mut packages = lock.clone();
    let mut notes = Vec::new();
    let mut left_out = Vec::new();
    if indexes.index_url.is_none() {
        for p in &mut packages.packages {
            if let Some((public, _)) = p.version.split_once('+') {
                notes.push(format!(
                    "{}=={} is a local build PyPI does not have: installed {}=={public} instead",
                    p.name, p.version, p.name
                ));
                p.version = public.to_string();
            }
        }
    }
    packages.packages.retain(|p| {
        let missing_file = p
            .url
            .as_deref()
            .and_then(|u| u.strip_prefix("file://"))
            .is_some_and(|path| !Path::new(path).exists());
        if missing_file {
            left_out.push(p.name.clone());
            notes.push(format!(
                "{} @ {} is a file not on this machine: left out of the test environment, so code importing it is not tested",
                p.name,
                p.url.as_deref().unwrap_or_default()
            ));
        }
        !missing_file
    });
    // Versions with no wheel for this Python (any other has one) would be compiled from
    // source for minutes, if they build at all: left out, with the SKY503 finding saying so.
    let no_wheel = &lock.provenance.layering.no_wheel;
    packages.packages.retain(|p| {
        let skip = no_wheel
            .iter()
            .any(|n| n.used.is_none() && n.requirement.name == p.name && n.version == p.version);
        if skip {
            left_out.push(p.name.clone());
            notes.push(format!(
                "{}=={} has no wheel for this Python: left out of the venv rather than compiled from source, so code importing it is not tested",
                p.name, p.version
            ));
        }
        !skip
    });
    let freeze = tmp.join("lock.txt");
    for _attempt in 0..20 {
        write_atomic(&freeze, packages.to_freeze().as_bytes())?;
        let mut c = crate::uv::command(uv);
        c.args(["pip", "install", "--quiet", "--python"])
            .arg(python)
            .arg("-r")
            .arg(&freeze);
        if !with_deps {
            c.arg("--no-deps");
        }
        if let Some(url) = &indexes.index_url {
            c.args(["--index-url", url]);
        }
        for url in &indexes.extra_index_urls {
            c.args(["--extra-index-url", url]);
        }
        let Some(out) = cmd::output_with_timeout(&mut c, INSTALL_TIMEOUT, "")? else {
            return Err(EnvError::NotFound(format!(
                "installing {} packages took longer than {} minutes, so skyhop stopped: a package is probably being compiled from source. What to do: find the requirement without a wheel for Python {} (`uv pip install` shows it) and pin a version that has one",
                packages.packages.len(),
                INSTALL_TIMEOUT.as_secs() / 60,
                lock.provenance.python.as_deref().unwrap_or("?")
            )));
        };
        if out.status.success() {
            return Ok((notes, with_deps, left_out));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let position = |name: String| packages.packages.iter().position(|p| p.name == name);
        let (i, why) = if let Some(i) = failed_build(&stderr).and_then(position) {
            (
                i,
                "does not build on this machine (it needs system libraries or files the image build has)",
            )
        } else if let Some(i) = crate::explain::not_in_registry(&stderr).and_then(position) {
            (i, "is not on the package index")
        } else if let Some(i) = no_version_of(&stderr).and_then(position) {
            (i, "is not on the package index")
        } else {
            return Err(cmd::failed(&c, &out));
        };
        let p = packages.packages.remove(i);
        left_out.push(p.name.clone());
        notes.push(format!(
            "{}=={} {why}: left out of the test environment, so code importing it is not tested",
            p.name, p.version
        ));
        with_deps = false;
    }
    Err(EnvError::NotFound(format!(
        "gave up installing the lock after leaving out too many packages: {}",
        notes.join("; ")
    )))
}

/// The package of uv's `there is no version of name==version`, normalized.
fn no_version_of(stderr: &str) -> Option<String> {
    let (_, rest) = stderr.split_once("there is no version of ")?;
    let req: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']'))
        .collect();
    let name = req.split(['[', '=']).next()?;
    (!name.is_empty()).then(|| skyhop_core::normalize_name(name))
}

/// The package of uv's ``Failed to build `name==version` ``, normalized.
fn failed_build(stderr: &str) -> Option<String> {
    let (_, rest) = stderr.split_once("Failed to build `")?;
    let (req, _) = rest.split_once('`')?;
    // `name==version`, or `name @ file:///...` (a local folder that does not build here)
    let name = req.split(['=', ' ', '@']).next()?;
    Some(skyhop_core::normalize_name(name))
}

/// The incompatibilities `uv pip check` finds in the venv at `python`, a line each.
fn pip_check(uv: &Path, python: &Path) -> Vec<String> {
    let mut c = Command::new(uv);
    c.args(["pip", "check", "--python"]).arg(python);
    let Ok(out) = cmd::output(&mut c, "") else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter(|l| l.trim_start().starts_with("The package `"))
        .map(|l| l.trim().to_string())
        .collect()
}

/// `name==version` of the packages installed beyond the lock.
fn added_packages(uv: &Path, python: &Path, lock: &Lock) -> Result<Vec<String>, EnvError> {
    let mut c = Command::new(uv);
    c.args(["pip", "freeze", "--python"]).arg(python);
    let out = cmd::run(&mut c, "")?;
    let installed =
        Lock::from_freeze(&String::from_utf8_lossy(&out.stdout), "venv").unwrap_or_default();
    Ok(installed
        .packages
        .iter()
        .filter(|p| lock.version_of(&p.name).is_none())
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect())
}

/// The finished venv at `root`, when its marker says it is complete and it still has a Python.
/// A venv built before `pip check` was recorded gets it now.
fn checked(mut venv: Venv, cache: &Cache) -> Venv {
    if !venv.checked
        && let Ok(uv) = uv(cache)
    {
        venv.broken = pip_check(&uv, &venv.python);
        venv.checked = true;
    }
    venv
}

fn read_marker(root: &Path) -> Option<Venv> {
    let text = fs::read_to_string(root.join(MARKER)).ok()?;
    let mut venv: Venv = serde_json::from_str(&text).ok()?;
    // the cache may have been moved: trust the directory, not the recorded path
    venv.root = root.to_path_buf();
    venv.python = root.join("bin").join("python");
    venv.python.exists().then_some(venv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_failed_builds() {
        let e = "Resolved 1 package in 129ms\nerror: Failed to build `mysqlclient==2.2.4`\n  cause: The build backend returned an error\n";
        assert_eq!(failed_build(e).as_deref(), Some("mysqlclient"));
        assert_eq!(failed_build("error: something else"), None);
        let e = "  cause: Because there is no version of Foo_Bar[x]==1.0 and you require foo-bar==1.0, we can conclude";
        assert_eq!(no_version_of(e).as_deref(), Some("foo-bar"));
    }
}
