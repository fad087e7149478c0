//! Reading DAG files safely, finding them, and knowing which top-level modules are the
//! project's own code (the DAG folder, `plugins/`, `include/` are on `sys.path` in Airflow).

use std::collections::HashSet;

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use std::path::{Path, PathBuf};

use skyhop_core::{Finding, Severity, Source};

/// Files larger than this are reported, not parsed.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The file as UTF-8 text, or a one-line reason it cannot be checked.
pub(crate) fn read_source(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is {} MB, larger than the {} MB limit: not checked",
            meta.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let mut bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "file is not UTF-8 (invalid byte at offset {}): not checked",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Top-level module names that resolve to the project's own files: entries of `root`,
/// `root/dags`, `root/plugins`, `root/include` and of every directory holding a checked file
/// (and its parents up to `root`).
pub(crate) fn local_top_levels(files: &[PathBuf], root: &Path) -> FxHashSet<String> {
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    for sub in ["", "dags", "plugins", "include"] {
        dirs.insert(root.join(sub));
    }
    for f in files {
        let mut dir = f.parent();
        while let Some(d) = dir {
            if !dirs.insert(d.to_path_buf()) || !d.starts_with(root) || d == root {
                break;
            }
            dir = d.parent();
        }
    }
    // One directory per task: thousands of files lie in hundreds of directories.
    let dirs: Vec<PathBuf> = dirs.into_iter().collect();
    let mut tops: FxHashSet<String> = dirs
        .par_iter()
        .flat_map_iter(|d| {
            let mut names = Vec::new();
            if let Ok(entries) = std::fs::read_dir(d) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().to_string();
                    let stem = name.strip_suffix(".py").unwrap_or(&name);
                    if !stem.is_empty() && stem.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        names.push(stem.to_string());
                    }
                }
            }
            names
        })
        .collect();
    tops.remove("airflow");
    tops
}

/// All `.py` files under `paths` (files are taken as given), sorted, plus findings for
/// what could not be walked (unreadable directories, symlink loops). Hidden directories and
/// `__pycache__` are skipped.
pub fn collect_python_files(paths: &[PathBuf], root: &Path) -> (Vec<PathBuf>, Vec<Finding>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        if p.is_file() {
            files.push(p.clone());
            continue;
        }
        let walker = walkdir::WalkDir::new(p)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0 || !(name.starts_with('.') || name == "__pycache__")
            });
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "py") {
                        files.push(e.into_path());
                    }
                }
                Err(err) => {
                    let path = err
                        .path()
                        .map(|p| crate::relative(p, root))
                        .unwrap_or_default();
                    let what = if err.loop_ancestor().is_some() {
                        "symlink loop: not followed".to_string()
                    } else {
                        format!("cannot read: {err}")
                    };
                    problems.push(Finding {
                        path,
                        line: 0,
                        column: 0,
                        rule: "SKY002".into(),
                        severity: Severity::Warning,
                        message: what,
                        replacement: None,
                        source: Source::Check,
                        related: Vec::new(),
                        facts: Default::default(),
                    });
                }
            }
        }
    }
    sort_paths(&mut files);
    files.dedup();
    (files, problems)
}

/// Sorts `paths` in `Path` order. Comparing paths component by component is slow (8,000
/// paths took longer to sort than to walk); for the paths a walk yields, the bytes with `/` as
/// the lowest byte sort the same, which is checked, falling back to the `Path` sort.
fn sort_paths(paths: &mut [PathBuf]) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        paths.sort_by_cached_key(|p| {
            p.as_os_str()
                .as_bytes()
                .iter()
                .map(|&b| if b == b'/' { 0 } else { b })
                .collect::<Vec<u8>>()
        });
        if paths.is_sorted() {
            return;
        }
    }
    paths.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_as_path_order() {
        let names = [
            "d/a-b/x.py",
            "d/a/x.py",
            "d/a.py",
            "d/a/b/c.py",
            "d/a_b.py",
            "d/A.py",
            "./z.py",
            "-q/x.py",
            "d//b.py",
            "d/a/./c.py",
        ];
        let mut fast: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        let mut slow = fast.clone();
        sort_paths(&mut fast);
        slow.sort();
        assert_eq!(fast, slow);
        // Clean paths (as a walk yields them) need no fallback.
        let mut clean: Vec<PathBuf> = names[..6].iter().map(PathBuf::from).collect();
        sort_paths(&mut clean);
        assert!(clean.is_sorted());
    }
}
