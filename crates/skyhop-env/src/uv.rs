//! The pinned `uv`: found on PATH when it is the right version, else installed into the cache
//! with `python3 -m pip install --target`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cache::{Cache, lock_file, rename_into_place, temp_dir_in};
use crate::{EnvError, cmd};

/// The uv version skyhop is tested with. Resolution results (and so lock cache keys) depend on it.
pub const UV_VERSION: &str = "0.13.9";

/// Path of a `uv` binary of exactly [`UV_VERSION`]: the cached one, else one on PATH, else
/// one installed now into `cache/uv-<version>/` with `python3 -m pip install --target`.
pub fn uv(cache: &Cache) -> Result<PathBuf, EnvError> {
    let home = cache.root.join(format!("uv-{UV_VERSION}"));
    let cached = home.join("bin").join("uv");
    if cached.is_file() {
        return Ok(cached);
    }
    if let Ok(on_path) = which::which("uv")
        && version_of(&on_path).as_deref() == Some(UV_VERSION)
    {
        return Ok(on_path);
    }
    install_uv(cache, &home)?;
    Ok(cached)
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
