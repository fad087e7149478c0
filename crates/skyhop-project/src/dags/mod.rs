//! Finding DAG files the way Airflow's `list_py_file_paths` does: walk the DAGs folder following
//! symlinks, apply `.airflowignore` files (each one to its own subtree, added to the rules
//! inherited from above), keep `.py` files and zip archives, and apply the safe-mode heuristic.

mod ignore;

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use ignore::IgnoreSyntax;
use ignore::{Rule, compile, is_ignored};

/// The name of Airflow's ignore files.
pub const IGNORE_FILE: &str = ".airflowignore";

/// How to look for DAG files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// `.airflowignore` syntax (`[core] dag_ignore_file_syntax`).
    pub syntax: IgnoreSyntax,
    /// `[core] dag_discovery_safe_mode`: only files mentioning Airflow and DAGs count.
    pub safe_mode: bool,
    /// Airflow 3 behaviour: the heuristic also accepts `asset` instead of `dag`.
    pub airflow3: bool,
    /// How glob patterns meet directories, which changed within Airflow 3.
    pub glob_dirs: GlobDirs,
}

/// How `glob` `.airflowignore` patterns are matched against directories (Airflow's
/// `_GlobIgnoreRule.match`, which changed twice in Airflow 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobDirs {
    /// Airflow 2 and 3.0: a directory is matched as `dir/` by patterns ending in `/`, by its
    /// bare name by the others.
    SlashForSlashPatterns,
    /// Airflow 3.1.0 to 3.1.5: a directory is matched by its bare name, so a pattern ending in
    /// `/` (`helpers/`) excludes nothing.
    Bare,
    /// Airflow 3.1.6 and later: a directory is always matched as `dir/` (`/nested/**` then
    /// excludes the directory itself); from 3.2.0 (`dir_only`) a pattern ending in `/` no
    /// longer matches files.
    Slash { dir_only: bool },
}

impl DiscoveryOptions {
    /// Airflow's defaults for a major version: regexp syntax for 2, glob for 3; safe mode on.
    /// For 3, directories are matched as the newest Airflow 3 does
    /// ([`DiscoveryOptions::for_airflow_version`] tells the 3.x releases apart).
    pub fn for_airflow_major(major: u32) -> DiscoveryOptions {
        DiscoveryOptions {
            syntax: if major >= 3 {
                IgnoreSyntax::Glob
            } else {
                IgnoreSyntax::Regexp
            },
            safe_mode: true,
            airflow3: major >= 3,
            glob_dirs: if major >= 3 {
                GlobDirs::Slash { dir_only: true }
            } else {
                GlobDirs::SlashForSlashPatterns
            },
        }
    }

    /// Airflow's defaults for a version (`3.1.3`; major 2 when it cannot be read).
    pub fn for_airflow_version(version: &str) -> DiscoveryOptions {
        let mut parts = version
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().ok());
        let major = parts.next().flatten().unwrap_or(2);
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        let mut opts = DiscoveryOptions::for_airflow_major(major);
        if major == 3 {
            opts.glob_dirs = match (minor, patch) {
                (0, _) => GlobDirs::SlashForSlashPatterns,
                (1, p) if p < 6 => GlobDirs::Bare,
                (1, _) => GlobDirs::Slash { dir_only: false },
                _ => GlobDirs::Slash { dir_only: true },
            };
        }
        opts
    }
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions::for_airflow_major(2)
    }
}

/// What kind of file a DAG file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DagFileKind {
    Python,
    Zip,
}

/// A file Airflow would parse.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DagFile {
    /// The path (the DAGs folder joined with `relative`).
    pub path: PathBuf,
    /// Path relative to the DAGs folder, `/`-separated.
    pub relative: String,
    pub kind: DagFileKind,
}

/// Something that went wrong while walking; the walk goes on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WalkProblem {
    /// Path relative to the DAGs folder.
    pub path: String,
    pub message: String,
}

/// The result of a walk.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DagDiscovery {
    /// Files Airflow would parse, sorted by relative path.
    pub dag_files: Vec<DagFile>,
    /// `.py` files the safe-mode heuristic skips (they mention neither Airflow nor DAGs).
    pub skipped_by_safe_mode: Vec<DagFile>,
    /// Files and directories `.airflowignore` rules exclude (relative paths).
    pub ignored: Vec<String>,
    /// Unreadable directories or files, symlink loops, invalid ignore patterns.
    pub problems: Vec<WalkProblem>,
}

/// Walks `dags_dir` as Airflow's DAG processor does. Never fails: problems are collected.
pub fn dag_files(dags_dir: &Path, opts: &DiscoveryOptions) -> DagDiscovery {
    let mut out = DagDiscovery::default();
    if dags_dir.is_file() {
        // Airflow accepts a single file as the DAGs "folder".
        let relative = dags_dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        consider(dags_dir, relative, opts, &mut out);
        return out;
    }
    let mut visited = HashSet::new();
    if let Ok(c) = std::fs::canonicalize(dags_dir) {
        visited.insert(c);
    }
    walk(dags_dir, "", Vec::new(), opts, &mut visited, &mut out);
    out.dag_files.sort_by(|a, b| a.relative.cmp(&b.relative));
    out.skipped_by_safe_mode
        .sort_by(|a, b| a.relative.cmp(&b.relative));
    out.ignored.sort();
    out
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

fn walk(
    dir: &Path,
    rel: &str,
    mut rules: Vec<Rule>,
    opts: &DiscoveryOptions,
    visited: &mut HashSet<PathBuf>,
    out: &mut DagDiscovery,
) {
    let shown = if rel.is_empty() { "." } else { rel };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.problems.push(WalkProblem {
                path: shown.to_string(),
                message: format!("cannot read the directory: {}", crate::text::io_reason(&e)),
            });
            return;
        }
    };
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Like os.walk(followlinks=True): a symlink to a directory is a directory.
        if entry.path().is_dir() {
            dirs.push(name);
        } else {
            files.push(name);
        }
    }
    dirs.sort();
    files.sort();

    if files.iter().any(|f| f == IGNORE_FILE) {
        let ignore_path = dir.join(IGNORE_FILE);
        let ignore_rel = join(rel, IGNORE_FILE);
        match crate::text::read_text(&ignore_path) {
            Err(e) => out.problems.push(WalkProblem {
                path: ignore_rel,
                message: e.to_string(),
            }),
            Ok(text) => {
                for (i, line) in text.split('\n').enumerate() {
                    // Python reads the file with universal newlines: `\r\n` is `\n`.
                    let line = strip_comment(line.strip_suffix('\r').unwrap_or(line));
                    if line.is_empty() {
                        continue;
                    }
                    match compile(line, opts.syntax, rel) {
                        Ok(Some(rule)) => rules.push(rule),
                        Ok(None) => {}
                        Err(message) => out.problems.push(WalkProblem {
                            path: format!("{ignore_rel}:{}", i + 1),
                            message: format!("{message}; the line is skipped"),
                        }),
                    }
                }
            }
        }
    }

    let mut keep = Vec::new();
    for d in dirs {
        let d_rel = join(rel, &d);
        if is_ignored(&d_rel, true, &rules, opts.glob_dirs) {
            out.ignored.push(format!("{d_rel}/"));
            continue;
        }
        let path = dir.join(&d);
        let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !visited.insert(resolved) {
            out.problems.push(WalkProblem {
                path: d_rel,
                message: "symlink loop: this directory was already walked; skipped".into(),
            });
            continue;
        }
        keep.push((path, d_rel));
    }

    for f in files {
        if f == IGNORE_FILE {
            continue;
        }
        let f_rel = join(rel, &f);
        if is_ignored(&f_rel, false, &rules, opts.glob_dirs) {
            out.ignored.push(f_rel);
            continue;
        }
        consider(&dir.join(&f), f_rel, opts, out);
    }

    for (path, d_rel) in keep {
        walk(&path, &d_rel, rules.clone(), opts, visited, out);
    }
}

/// Airflow strips comments with `\s*#.*` before compiling a line.
fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(i) => line[..i].trim_end(),
        None => line,
    }
}

/// Classifies one non-ignored file: a `.py` file or a zip archive is a candidate; safe mode then
/// keeps those that might hold a DAG.
fn consider(path: &Path, relative: String, opts: &DiscoveryOptions, out: &mut DagDiscovery) {
    if !path.is_file() {
        return;
    }
    let is_py = path.extension().is_some_and(|e| e == "py");
    let zip = !is_py && is_zipfile(path);
    if !is_py && !zip {
        return;
    }
    let kind = if is_py {
        DagFileKind::Python
    } else {
        DagFileKind::Zip
    };
    let file = DagFile {
        path: path.to_path_buf(),
        relative,
        kind,
    };
    if !opts.safe_mode || zip {
        out.dag_files.push(file);
        return;
    }
    match std::fs::read(path) {
        Ok(bytes) if might_contain_dag(&bytes, opts.airflow3) => out.dag_files.push(file),
        Ok(_) => out.skipped_by_safe_mode.push(file),
        Err(e) => out.problems.push(WalkProblem {
            path: file.relative,
            message: format!("cannot read the file: {}", crate::text::io_reason(&e)),
        }),
    }
}

/// Airflow's default heuristic: the content (lower-cased) holds `airflow` and `dag` (Airflow 3
/// also accepts `asset` instead of `dag`).
pub fn might_contain_dag(content: &[u8], airflow3: bool) -> bool {
    let lower = content.to_ascii_lowercase();
    let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    has(b"airflow") && (has(b"dag") || (airflow3 && has(b"asset")))
}

/// Python's `zipfile.is_zipfile`: an end-of-central-directory record in the last 64 KiB.
fn is_zipfile(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    if len < 22 {
        return false;
    }
    let tail = len.min(65_536 + 22);
    if f.seek(SeekFrom::Start(len - tail)).is_err() {
        return false;
    }
    let mut buf = Vec::with_capacity(tail as usize);
    if f.take(tail).read_to_end(&mut buf).is_err() {
        return false;
    }
    buf.windows(4).any(|w| w == b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heuristic() {
        assert!(might_contain_dag(b"from airflow import DAG", false));
        assert!(!might_contain_dag(b"import airflow", false));
        assert!(!might_contain_dag(b"from airflow.sdk import Asset", false));
        assert!(might_contain_dag(b"from airflow.sdk import Asset", true));
    }

    #[test]
    fn comments() {
        assert_eq!(strip_comment("foo  # bar"), "foo");
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("x"), "x");
    }
}
