//! The pinned `uv`: the one the `uv` wheel installed next to a pip-installed skyhop, else the
//! one in the cache, else one on PATH when it is the right version, else installed into the
//! cache with `python3 -m pip install --target`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::cache::{Cache, lock_file, rename_into_place, temp_dir_in};
use crate::{EnvError, cmd};

/// The uv version skyhop is tested with. Resolution results (and so lock cache keys) depend on it.
pub const UV_VERSION: &str = "0.13.9";

/// Where the `uv` skyhop uses comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UvSource {
    /// Next to the skyhop binary: what the `uv` wheel installed with the skyhop wheel.
    BesideSkyhop,
    /// `cache/uv-<version>/`, installed there by skyhop earlier.
    Cache,
    /// On `PATH`, of the pinned version.
    Path,
}

impl UvSource {
    /// A few words for `skyhop cache info`.
    pub fn describe(self) -> &'static str {
        match self {
            UvSource::BesideSkyhop => "installed with skyhop (the uv wheel)",
            UvSource::Cache => "in skyhop's cache",
            UvSource::Path => "on PATH",
        }
    }
}

/// Path of a `uv` binary of exactly [`UV_VERSION`] ([`find_uv`]), else one installed now into
/// `cache/uv-<version>/` with `python3 -m pip install --target`.
pub fn uv(cache: &Cache) -> Result<PathBuf, EnvError> {
    if let Some((path, _)) = find_uv(cache) {
        return Ok(path);
    }
    let home = cache.root.join(format!("uv-{UV_VERSION}"));
    install_uv(cache, &home)?;
    Ok(home.join("bin").join("uv"))
}

/// A `uv` of exactly [`UV_VERSION`] that is already there, without installing one: next to
/// the skyhop binary (a wheel-installed skyhop: pip, pipx, `uv tool`, `uvx` put the `uv`
/// wheel's binary in the same scripts directory), else in the cache, else on PATH.
pub fn find_uv(cache: &Cache) -> Option<(PathBuf, UvSource)> {
    if let Some(beside) = beside_skyhop() {
        return Some((beside.clone(), UvSource::BesideSkyhop));
    }
    let cached = cache
        .root
        .join(format!("uv-{UV_VERSION}"))
        .join("bin")
        .join("uv");
    if cached.is_file() {
        return Some((cached, UvSource::Cache));
    }
    which::which("uv")
        .ok()
        .filter(|p| version_of(p).as_deref() == Some(UV_VERSION))
        .map(|p| (p, UvSource::Path))
}

/// `uv` of the pinned version in the directory of the running executable (symlinks resolved:
/// `uv tool` and pipx link the binary into `~/.local/bin`). Looked up once per process.
fn beside_skyhop() -> Option<&'static PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let exe = exe.canonicalize().unwrap_or(exe);
            beside(&exe)
        })
        .as_ref()
}

/// `uv` next to `exe`, when it is of the pinned version.
fn beside(exe: &Path) -> Option<PathBuf> {
    let candidate = exe.parent()?.join("uv");
    (candidate.is_file() && version_of(&candidate).as_deref() == Some(UV_VERSION))
        .then_some(candidate)
}

/// `uv --version` → `0.13.9`.
fn version_of(uv: &Path) -> Option<String> {
    let out = Command::new(uv).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).map(str::to_string)
}

fn install_uv(cache: &Cache, home: &Path) -> Result<(), EnvError> {
    let uv_err = |reason: String| EnvError::Uv {
        version: UV_VERSION.to_string(),
        reason,
    };
    let parent = cache.dir(".")?;
    let _guard = lock_file(&parent.join(format!("uv-{UV_VERSION}.lock")))?;
    if home.join("bin").join("uv").is_file() {
        return Ok(()); // another run installed it while we waited
    }
    let tmp = temp_dir_in(&parent, ".tmp-uv-")?;
    let target = tmp.path().join("uv");
    let python = which::which("python3")
        .or_else(|_| which::which("python"))
        .map_err(|_| uv_err("no `python3` on PATH to install it with".to_string()))?;
    let mut c = Command::new(python);
    c.args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
        .arg(&target)
        .arg(format!("uv=={UV_VERSION}"));
    let out = cmd::output(&mut c, "is Python installed?")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(uv_err(format!(
            "`pip install uv=={UV_VERSION}` failed: {}",
            last.into_iter().rev().collect::<Vec<_>>().join(" / ")
        )));
    }
    if !target.join("bin").join("uv").is_file() {
        return Err(uv_err(format!(
            "pip installed no `bin/uv` into {}",
            target.display()
        )));
    }
    rename_into_place(&target, home)
}

/// A `uv` command with the run's settings: `--offline` (`UV_OFFLINE`) keeps it to uv's cache.
pub(crate) fn command(uv: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(uv);
    if skyhop_core::settings::get().offline {
        c.env("UV_OFFLINE", "1");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uv_beside_the_binary_only_of_the_pinned_version() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("skyhop");
        assert_eq!(beside(&exe), None, "no uv there");
        let uv = dir.path().join("uv");
        let script = |version: &str| format!("#!/bin/sh\necho uv {version}\n");
        std::fs::write(&uv, script("0.0.1")).unwrap();
        std::fs::set_permissions(&uv, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        assert_eq!(beside(&exe), None, "another version is not used");
        std::fs::write(&uv, script(UV_VERSION)).unwrap();
        assert_eq!(beside(&exe), Some(uv));
    }
}
