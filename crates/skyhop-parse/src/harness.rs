//! The Python harness shipped inside the binary, and where it is written in the cache.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ParseError;

/// Source of the harness, run by the target environment's Python.
pub const HARNESS_SOURCE: &str = include_str!("../harness/skyhop_parse_harness.py");

/// File name of the harness inside its cache directory.
pub const HARNESS_FILE: &str = "skyhop_parse_harness.py";

/// Version of the harness: a hash of skyhop's version and the harness source, so a new skyhop
/// (or an edited harness) never runs a stale copy.
pub fn harness_version() -> String {
    let mut h = Sha256::new();
    h.update(skyhop_core::SKYHOP_VERSION.as_bytes());
    h.update(b"\0");
    h.update(HARNESS_SOURCE.as_bytes());
    hex::encode(h.finalize())[..16].to_string()
}

/// `<cache>/harness/<version>/`: the harness and its SQLite templates live here.
pub fn harness_dir(cache: &Path) -> PathBuf {
    cache.join("harness").join(harness_version())
}

/// Writes the harness under `cache` (once; atomically, so concurrent runs never see a partial
/// file) and returns its path.
pub fn install(cache: &Path) -> Result<PathBuf, ParseError> {
    let dir = harness_dir(cache);
    let path = dir.join(HARNESS_FILE);
    if fs::read_to_string(&path).is_ok_and(|text| text == HARNESS_SOURCE) {
        return Ok(path);
    }
    let io = |source| ParseError::HarnessInstall {
        path: path.clone(),
        source,
    };
    fs::create_dir_all(&dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io)?;
    tmp.write_all(HARNESS_SOURCE.as_bytes()).map_err(io)?;
    tmp.persist(&path).map_err(|e| io(e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_once_and_repairs_a_damaged_copy() {
        let cache = tempfile::tempdir().unwrap();
        let path = install(cache.path()).unwrap();
        assert!(path.starts_with(cache.path().join("harness")));
        assert_eq!(fs::read_to_string(&path).unwrap(), HARNESS_SOURCE);
        fs::write(&path, "truncated").unwrap();
        assert_eq!(install(cache.path()).unwrap(), path);
        assert_eq!(fs::read_to_string(&path).unwrap(), HARNESS_SOURCE);
    }
}
