//! Finding a Python interpreter for a venv: `uv python find`, pyenv's versions, `uv python
//! install`, and when none of those gives the wanted version, the nearest one available.

use std::path::{Path, PathBuf};
use std::process::Command;

use skyhop_core::Progress;

use crate::EnvError;

/// An interpreter chosen for a venv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interpreter {
    pub path: PathBuf,
    /// `X.Y` actually used.
    pub version: String,
    /// Set when it is not the wanted version: the note to show.
    pub fallback_note: Option<String>,
}

/// `3.11` → (3, 11).
fn parse_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim().split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Finds Python `wanted` (`X.Y`), installing it with uv when uv can; else the nearest 3.x
/// available, with a note.
pub(crate) fn find(
    uv: &Path,
    wanted: &str,
    progress: &dyn Progress,
) -> Result<Interpreter, EnvError> {
    find_among(uv, wanted, &[], progress)
}

/// [`find`], preferring among the substitutes the versions in `allowed` (the Pythons an image
/// line is built for), nearest first; any other 3.x only when none of those is available.
pub(crate) fn find_among(
    uv: &Path,
    wanted: &str,
    allowed: &[String],
    progress: &dyn Progress,
) -> Result<Interpreter, EnvError> {
    if let Some(path) = find_exact(uv, wanted) {
        return Ok(Interpreter {
            path,
            version: wanted.to_string(),
            fallback_note: None,
        });
    }
    if downloads_allowed()
        && try_install(uv, wanted, progress)
        && let Some(path) = find_exact(uv, wanted)
    {
        return Ok(Interpreter {
            path,
            version: wanted.to_string(),
            fallback_note: None,
        });
    }
    let (major, minor) = parse_minor(wanted).unwrap_or((3, 12));
    let mut candidates: Vec<u32> = (8..=15).filter(|m| *m != minor || major != 3).collect();
    let in_line = |m: &u32| allowed.iter().any(|a| parse_minor(a) == Some((3, *m)));
    // the image line's own Pythons first, then nearest; on a tie, the older one
    candidates.sort_by_key(|m| (!in_line(m), m.abs_diff(minor), *m));
    for m in candidates {
        let v = format!("3.{m}");
        if let Some(path) = find_exact(uv, &v) {
            let note = if allowed.is_empty() || in_line(&m) {
                format!(
                    "Python {wanted} cannot be had on this machine (not installed, and uv could not download it): tested with Python {v} instead"
                )
            } else {
                format!(
                    "Python {wanted} cannot be had on this machine, nor any Python the image line supports ({}): tested with Python {v}, which no image of this line has; results may differ",
                    allowed.join(", ")
                )
            };
            return Ok(Interpreter {
                path,
                fallback_note: Some(note),
                version: v,
            });
        }
    }
    Err(EnvError::NoPython {
        wanted: wanted.to_string(),
    })
}

/// Whether uv may download interpreters (`UV_PYTHON_DOWNLOADS=never`, `--offline` turn it off).
fn downloads_allowed() -> bool {
    std::env::var("UV_PYTHON_DOWNLOADS").as_deref() != Ok("never")
        && !std::env::var("UV_OFFLINE").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
        && !skyhop_core::settings::get().offline
}

/// How long a failed `uv python install` is remembered (a download that failed here, behind
/// a proxy or offline, costs seconds each time and fails again).
const FAILED_DOWNLOAD_FRESH: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// `uv python install wanted`, tried once per process for each version, and not again for a
/// day after it failed on this machine.
fn try_install(uv: &Path, wanted: &str, progress: &dyn Progress) -> bool {
    static TRIED: std::sync::Mutex<Vec<(String, bool)>> = std::sync::Mutex::new(Vec::new());
    let mut tried = TRIED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ok)) = tried.iter().find(|(v, _)| v == wanted) {
        return *ok;
    }
    let marker = skyhop_core::cache_dir()
        .join("python-downloads")
        .join(format!("{wanted}.failed"));
    let failed_recently = std::fs::metadata(&marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < FAILED_DOWNLOAD_FRESH);
    if failed_recently {
        tried.push((wanted.to_string(), false));
        return false;
    }
    progress.begin(&format!("installing Python {wanted}"), None);
    let ok = Command::new(uv)
        .args(["python", "install", wanted])
        .stdin(std::process::Stdio::null())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    progress.end(
        &format!("installing Python {wanted}"),
        if ok { "done" } else { "not available" },
    );
    if !ok {
        if let Some(dir) = marker.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&marker, b"uv python install failed here\n");
    }
    tried.push((wanted.to_string(), ok));
    ok
}

/// The Python a venv for an image with Python `wanted` is built with here: `wanted` when it
/// can be had (installed, or downloaded by uv), else the nearest of `allowed` (the Pythons the
/// image line is built for) that is installed, else the nearest 3.x; with the note to show
/// when it is not `wanted`. Resolve for the version returned, so the test environment is the
/// image variant of that Python (`3.3-8-python-3.13`).
pub fn choose_python(
    cache: &crate::Cache,
    wanted: &str,
    allowed: &[String],
    progress: &dyn Progress,
) -> Result<(String, Option<String>), EnvError> {
    let uv = crate::uv(cache)?;
    let found = find_among(&uv, wanted, allowed, progress)?;
    Ok((found.version, found.fallback_note))
}

/// Python `X.Y` exactly: pyenv's installed versions (pyenv keeps versions that are not on PATH
/// unless selected), else uv's discovery; remembered for the run.
fn find_exact(uv: &Path, version: &str) -> Option<PathBuf> {
    static FOUND: std::sync::Mutex<Vec<(String, Option<PathBuf>)>> =
        std::sync::Mutex::new(Vec::new());
    if let Some((_, p)) = FOUND
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(v, _)| v == version)
    {
        return p.clone();
    }
    let found = pyenv_python(version).or_else(|| uv_find(uv, version));
    FOUND
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((version.to_string(), found.clone()));
    found
}

/// `uv python find X.Y`, with pyenv's shims left off `PATH` (pyenv's versions are looked up
/// directly; running each shim costs a shell script per interpreter uv probes).
fn uv_find(uv: &Path, version: &str) -> Option<PathBuf> {
    let path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| !d.to_string_lossy().contains("/.pyenv/shims"))
                .collect()
        })
        .unwrap_or_default();
    let mut c = Command::new(uv);
    c.args(["python", "find", "--no-project", version])
        .env("UV_PYTHON_DOWNLOADS", "never")
        .stdin(std::process::Stdio::null());
    if let Ok(joined) = std::env::join_paths(path) {
        c.env("PATH", joined);
    }
    let out = c.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    path.is_file().then_some(path)
}

fn pyenv_python(version: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")))?;
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(root.join("versions"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let patch = name
                .strip_prefix(&format!("{version}."))?
                .parse::<u32>()
                .ok()?;
            let exe = e.path().join("bin").join(format!("python{version}"));
            exe.is_file().then_some((patch, exe))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minor() {
        assert_eq!(parse_minor("3.12"), Some((3, 12)));
        assert_eq!(parse_minor("x"), None);
    }
}
