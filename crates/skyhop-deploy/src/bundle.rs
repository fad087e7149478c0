//! Content-addressed code bundles: the part of a project a deploy runs.
//!
//! A bundle holds `dags/`, `plugins/`, `include/`, `requirements.txt`, `Dockerfile`,
//! `packages.txt` and `.airflowignore`. Its hash is the SHA-256 of the sorted
//! `(path, sha256(content))` list, so the same code always gives the same bundle, and a bundle
//! directory, once renamed into place, is never changed. Bundles are private (directories
//! 0700, files 0600) and never hold `.env` or anything else outside the list above.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{IoContext, Result};
use crate::private;

/// Directories of a project that go into a bundle.
pub const BUNDLE_DIRS: &[&str] = &["dags", "plugins", "include"];
/// Single files of a project that go into a bundle (when present).
pub const BUNDLE_FILES: &[&str] = &[
    "requirements.txt",
    "Dockerfile",
    "packages.txt",
    ".airflowignore",
];

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// The files of `project_root` a bundle holds, sorted by path, with their hashes.
pub fn list_files(project_root: &Path) -> Result<Vec<BundleFile>> {
    let mut files = Vec::new();
    for name in BUNDLE_FILES {
        let p = project_root.join(name);
        if p.is_file() {
            files.push(BundleFile {
                path: (*name).to_string(),
                sha256: sha256_file(&p)?,
            });
        }
    }
    for dir in BUNDLE_DIRS {
        let root = project_root.join(dir);
        if !root.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&root)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !is_junk(e.file_name().to_str().unwrap_or("")))
        {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&root).to_path_buf();
                crate::error::DeployError::Io {
                    path,
                    source: e.into(),
                }
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(project_root)
                .unwrap_or(entry.path());
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push(BundleFile {
                path: rel,
                sha256: sha256_file(entry.path())?,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Caches and editor droppings that never belong to a bundle.
fn is_junk(name: &str) -> bool {
    name == "__pycache__" || name.ends_with(".pyc") || name == ".DS_Store" || name == ".git"
}

/// The bundle hash of a sorted file list (16 hex characters).
pub fn hash_files(files: &[BundleFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update(b"\0");
        h.update(f.sha256.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())[..16].to_string()
}

/// Stores the project's code under `bundles_dir/<hash>/` (written to a temporary directory,
/// then renamed into place) and returns the hash. Storing the same code twice is a no-op.
pub fn store(project_root: &Path, bundles_dir: &Path) -> Result<String> {
    let files = list_files(project_root)?;
    let hash = hash_files(&files);
    let dest = bundles_dir.join(&hash);
    if dest.is_dir() {
        return Ok(hash);
    }
    private::dir(bundles_dir)?;
    let tmp = bundles_dir.join(format!(".tmp-{hash}-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).at(&tmp)?;
    }
    for f in &files {
        let to = tmp.join(&f.path);
        if let Some(parent) = to.parent() {
            private::dir(parent)?;
        }
        private::copy(&project_root.join(&f.path), &to)?;
    }
    // Airflow needs the folders even when the project has none.
    for dir in BUNDLE_DIRS {
        private::dir(&tmp.join(dir))?;
    }
    private::write(&tmp.join(".skyhop-bundle"), manifest(&files).as_bytes())?;
    match fs::rename(&tmp, &dest) {
        Ok(()) => Ok(hash),
        // Another process stored the same bundle meanwhile: same content, keep theirs.
        Err(_) if dest.is_dir() => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(hash)
        }
        Err(e) => Err(e).at(&dest),
    }
}

/// Where a stored bundle lives.
pub fn path(bundles_dir: &Path, hash: &str) -> PathBuf {
    bundles_dir.join(hash)
}

fn manifest(files: &[BundleFile]) -> String {
    files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect()
}

fn sha256_file(path: &Path) -> Result<String> {
    let bytes = fs::read(path).at(path)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("dags/sub/__pycache__")).unwrap();
        fs::write(d.path().join("dags/a.py"), "a = 1\n").unwrap();
        fs::write(d.path().join("dags/sub/b.py"), "b = 1\n").unwrap();
        fs::write(d.path().join("dags/sub/__pycache__/b.pyc"), "junk").unwrap();
        fs::write(d.path().join("Dockerfile"), "FROM x:1\n").unwrap();
        fs::write(d.path().join("README.md"), "not code\n").unwrap();
        d
    }

    #[test]
    fn lists_code_files_only() {
        let d = project();
        let paths: Vec<_> = list_files(d.path())
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(paths, ["Dockerfile", "dags/a.py", "dags/sub/b.py"]);
    }

    #[test]
    fn same_code_same_bundle_and_changes_change_it() {
        let d = project();
        let out = tempfile::tempdir().unwrap();
        let h1 = store(d.path(), out.path()).unwrap();
        let h2 = store(d.path(), out.path()).unwrap();
        assert_eq!(h1, h2);
        assert!(out.path().join(&h1).join("dags/sub/b.py").is_file());
        assert!(out.path().join(&h1).join("plugins").is_dir());
        fs::write(d.path().join("dags/a.py"), "a = 2\n").unwrap();
        let h3 = store(d.path(), out.path()).unwrap();
        assert_ne!(h1, h3);
        assert_eq!(
            fs::read_to_string(out.path().join(&h1).join("dags/a.py")).unwrap(),
            "a = 1\n"
        );
    }
}
