//! The on-disk cache: where locks, venvs, uv, wheels and example DAGs live, and the small
//! helpers that keep it safe under concurrent runs (atomic writes, one file lock per entry).

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::EnvError;

/// skyhop's cache directory. Everything in it can be deleted at any time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    pub root: PathBuf,
}

impl Default for Cache {
    /// [`skyhop_core::cache_dir`].
    fn default() -> Self {
        Cache {
            root: skyhop_core::cache_dir(),
        }
    }
}

impl Cache {
    /// A cache rooted at `root` (tests use a temporary directory).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Cache { root: root.into() }
    }

    /// `root/<name>`, created.
    pub(crate) fn dir(&self, name: &str) -> Result<PathBuf, EnvError> {
        let dir = self.root.join(name);
        fs::create_dir_all(&dir)
            .map_err(|e| EnvError::io(format!("cannot create {}", dir.display()), e))?;
        Ok(dir)
    }
}

/// Hex SHA-256 of `parts`, each followed by a separator (so `["ab","c"]` != `["a","bc"]`).
pub(crate) fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())[..32].to_string()
}

/// An exclusive lock on `path` (created), released when the returned file is dropped.
/// Concurrent skyhop runs building the same cache entry wait for each other here.
pub(crate) fn lock_file(path: &Path) -> Result<File, EnvError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| EnvError::io(format!("cannot open lock file {}", path.display()), e))?;
    file.lock()
        .map_err(|e| EnvError::io(format!("cannot lock {}", path.display()), e))?;
    Ok(file)
}

/// Writes `contents` to `path` atomically (temporary file in the same directory, then rename):
/// readers see the old file or the whole new one, never half of it.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), EnvError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let ctx = |e| EnvError::io(format!("cannot write {}", path.display()), e);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(ctx)?;
    std::io::Write::write_all(&mut tmp, contents).map_err(ctx)?;
    tmp.persist(path).map_err(|e| ctx(e.error))?;
    Ok(())
}

/// A temporary directory inside `parent` (same file system, so it can be renamed into place).
pub(crate) fn temp_dir_in(parent: &Path, prefix: &str) -> Result<tempfile::TempDir, EnvError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(parent)
        .map_err(|e| {
            EnvError::io(
                format!("cannot create a directory in {}", parent.display()),
                e,
            )
        })
}

/// Moves the finished directory `from` to `to`. When another run got there first (`to`
/// exists), keeps theirs: same key, same contents.
pub(crate) fn rename_into_place(from: &Path, to: &Path) -> Result<(), EnvError> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(_) if to.exists() => Ok(()),
        Err(e) => Err(EnvError::io(
            format!("cannot move {} to {}", from.display(), to.display()),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_parts() {
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        assert_eq!(key(&["a"]), key(&["a"]));
        assert_eq!(key(&["a"]).len(), 32);
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
