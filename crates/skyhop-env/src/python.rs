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
    if let Some(path) = find_exact(uv, wanted) {
        return Ok(Interpreter {
            path,
            version: wanted.to_string(),
            fallback_note: None,
        });
    }
    if std::env::var("UV_PYTHON_DOWNLOADS").as_deref() != Ok("never") {
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
        if ok && let Some(path) = find_exact(uv, wanted) {
            return Ok(Interpreter {
                path,
                version: wanted.to_string(),
                fallback_note: None,
            });
        }
    }
    let (major, minor) = parse_minor(wanted).unwrap_or((3, 12));
    let mut candidates: Vec<u32> = (8..=14).filter(|m| *m != minor || major != 3).collect();
    // nearest first; on a tie, the older one (what the older runtime had)
    candidates.sort_by_key(|m| (m.abs_diff(minor), *m));
    for m in candidates {
        let v = format!("3.{m}");
        if let Some(path) = find_exact(uv, &v) {
            return Ok(Interpreter {
                path,
                fallback_note: Some(format!(
                    "Python {wanted} is not available; using {v} instead: results may differ"
                )),
                version: v,
            });
        }
    }
    Err(EnvError::NoPython {
        wanted: wanted.to_string(),
    })
}

/// Python `X.Y` exactly, from uv's discovery or pyenv's installed versions (pyenv keeps
/// versions that are not on PATH unless selected).
fn find_exact(uv: &Path, version: &str) -> Option<PathBuf> {
    let out = Command::new(uv)
        .args(["python", "find", "--no-project", version])
        .env("UV_PYTHON_DOWNLOADS", "never")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if out.status.success() {
        let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if path.is_file() {
            return Some(path);
        }
    }
    pyenv_python(version)
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
