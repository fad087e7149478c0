//! The project's import graph: DAG files → `include/`, `plugins/`, any local module. A DAG
//! file whose import of a project module fails in the target (that module, or one it imports
//! in turn, has an import-time error) gets a `SKY110` finding on its importing line, pointing
//! to the helper's line.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use skyhop_core::{Finding, Related, Severity, Source};

use crate::analyze::{Checked, LocalImport};

/// What checking one file gave.
pub(crate) struct FileResult {
    pub path: PathBuf,
    pub rel: String,
    pub checked: Vec<Checked>,
    pub imports: Vec<LocalImport>,
}

/// At most this many project modules are added to the files given.
const MAX_HELPERS: usize = 5_000;

/// Files a local import may load: the module itself, or for `from pkg import name` the
/// submodule `pkg/name`.
fn candidates(import: &LocalImport, file: &Path, bases: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if import.level > 0 {
        let mut dir = file.parent().map(Path::to_path_buf);
        for _ in 1..import.level {
            dir = dir.and_then(|d| d.parent().map(Path::to_path_buf));
        }
        dirs.extend(dir);
    } else {
        dirs.extend(file.parent().map(Path::to_path_buf));
        dirs.extend(bases.iter().cloned());
    }
    let module: Vec<&str> = import.module.split('.').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    for dir in dirs {
        let mut base = dir.clone();
        for seg in &module {
            base.push(seg);
        }
        let mut found = false;
        for name in &import.names {
            let sub = base.join(format!("{name}.py"));
            if sub.is_file() {
                out.push(sub);
                found = true;
            }
        }
        if !module.is_empty() {
            let file = base.with_extension("py");
            let init = base.join("__init__.py");
            if file.is_file() {
                out.push(file);
                found = true;
            } else if init.is_file() {
                out.push(init);
                found = true;
            }
        }
        if found {
            break;
        }
    }
    out
}

/// Import edges of each file: `(import index, file index)` for each project module an import
/// of file `i` loads.
pub(crate) type Edges = Vec<Vec<(usize, usize)>>;

/// Checks the project modules the files import (transitively) that were not given, then
/// adds a `SKY110` finding to each file whose import of a project module fails. Returns the
/// import edges.
pub(crate) fn link(
    results: &mut Vec<FileResult>,
    root: &Path,
    check: &(dyn Fn(&Path) -> FileResult + Sync),
) -> Edges {
    let bases: Vec<PathBuf> = ["", "dags", "plugins"]
        .iter()
        .map(|s| root.join(s))
        .filter(|d| d.is_dir())
        .collect();
    let mut by_path: HashMap<PathBuf, usize> = results
        .iter()
        .enumerate()
        .map(|(i, r)| (r.path.clone(), i))
        .collect();
    // edges[i] = (import, file index) for each resolved import of file i.
    let mut edges: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut i = 0;
    let mut added = 0;
    while i < results.len() {
        let mut out = Vec::new();
        let targets: Vec<(usize, Vec<PathBuf>)> = results[i]
            .imports
            .iter()
            .enumerate()
            .map(|(n, imp)| (n, candidates(imp, &results[i].path, &bases)))
            .collect();
        for (n, paths) in targets {
            for p in paths {
                if !p.starts_with(root) || p == results[i].path {
                    continue;
                }
                let j = match by_path.get(&p) {
                    Some(&j) => j,
                    None if added < MAX_HELPERS => {
                        added += 1;
                        let r = check(&p);
                        results.push(r);
                        by_path.insert(p.clone(), results.len() - 1);
                        results.len() - 1
                    }
                    None => continue,
                };
                out.push((n, j));
            }
        }
        edges.push(out);
        i += 1;
    }
    // The first import-time error of each module, through its own imports too.
    let mut memo: HashMap<usize, Option<Related>> = HashMap::new();
    let mut new = Vec::new();
    for (i, file_edges) in edges.iter().enumerate() {
        // One finding per import statement, with every helper it brings in that fails.
        let mut by_import: Vec<(usize, Vec<Related>)> = Vec::new();
        for &(n, j) in file_edges {
            if !results[i].imports[n].at_import {
                continue;
            }
            let mut visiting = HashSet::new();
            let Some(cause) = breaks(j, results, &edges, &mut memo, &mut visiting) else {
                continue;
            };
            match by_import.iter_mut().find(|(m, _)| *m == n) {
                Some((_, causes)) if !causes.contains(&cause) => causes.push(cause),
                Some(_) => {}
                None => by_import.push((n, vec![cause])),
            }
        }
        for (n, causes) in by_import {
            let import = &results[i].imports[n];
            let cause = &causes[0];
            let module = if import.module.is_empty() {
                import.names.join(", ")
            } else {
                format!("{}{}", ".".repeat(import.level as usize), import.module)
            };
            let more = match causes.len() {
                1 => String::new(),
                k => format!(" (and {} more helper line(s))", k - 1),
            };
            let mut message = format!(
                "importing `{module}` fails in the target: {}:{}: {}{more}; fix that line of the helper module",
                cause.path, cause.line, cause.message
            );
            let severity = if import.guarded {
                message.push_str(" (guarded: the `except ImportError` branch runs instead)");
                Severity::Warning
            } else {
                Severity::Error
            };
            new.push((
                i,
                Checked {
                    finding: Finding {
                        path: results[i].rel.clone(),
                        line: import.line,
                        column: import.column,
                        rule: "SKY110".into(),
                        severity,
                        message,
                        replacement: None,
                        source: Source::Check,
                        related: causes,
                        facts: Default::default(),
                    },
                    at_import: true,
                },
            ));
        }
    }
    for (i, c) in new {
        results[i].checked.push(c);
    }
    edges
}

/// Makes the findings of files Airflow never runs information only: files that are not in
/// `loaded` (its DAG files and plugins) and that no loaded file imports, directly or through
/// other project modules (an AWS Glue job script kept under `dags/`, a stand-alone script in
/// `include/`).
pub(crate) fn not_loaded_is_information(
    results: &mut [FileResult],
    edges: &Edges,
    loaded: &[PathBuf],
) {
    let loaded: HashSet<&Path> = loaded.iter().map(PathBuf::as_path).collect();
    let mut reached = vec![false; results.len()];
    let mut stack: Vec<usize> = (0..results.len())
        .filter(|&i| loaded.contains(results[i].path.as_path()))
        .collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        if let Some(out) = edges.get(i) {
            stack.extend(out.iter().map(|&(_, j)| j).filter(|&j| !reached[j]));
        }
    }
    for (r, reached) in results.iter_mut().zip(reached) {
        if reached {
            continue;
        }
        for c in &mut r.checked {
            if c.finding.severity == Severity::Info {
                continue;
            }
            c.finding.severity = Severity::Info;
            c.finding.message.push_str(
                " (information only: Airflow does not load this file — its DAG discovery skips it and no DAG file or plugin imports it)",
            );
        }
    }
}

fn breaks(
    i: usize,
    results: &[FileResult],
    edges: &[Vec<(usize, usize)>],
    memo: &mut HashMap<usize, Option<Related>>,
    visiting: &mut HashSet<usize>,
) -> Option<Related> {
    if let Some(known) = memo.get(&i) {
        return known.clone();
    }
    if !visiting.insert(i) {
        return None; // an import cycle: Python finds the partly-initialised module
    }
    let own = results[i]
        .checked
        .iter()
        .filter(|c| c.at_import && c.finding.severity == Severity::Error)
        .min_by_key(|c| (c.finding.line, c.finding.column))
        .map(|c| Related {
            path: c.finding.path.clone(),
            line: c.finding.line,
            column: c.finding.column,
            message: format!("{} {}", c.finding.rule, c.finding.message),
        });
    let found = own.or_else(|| {
        edges[i].iter().find_map(|&(n, j)| {
            let import = &results[i].imports[n];
            if !import.at_import || import.guarded {
                return None;
            }
            breaks(j, results, edges, memo, visiting)
        })
    });
    visiting.remove(&i);
    memo.insert(i, found.clone());
    found
}
