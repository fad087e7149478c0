//! skyhop-check: the static checker that finds every line of DAG code that breaks in a
//! target Airflow version, before running it.
//!
//! It owns:
//! - parsing DAG files (`ruff_python_parser`, in parallel with rayon) and per-file name
//!   resolution ([`analyze`]): imports and aliases, relative and local imports, attribute
//!   chains, `try/except ImportError` fallbacks, `TYPE_CHECKING` blocks, imports inside task
//!   functions; the classes of objects (constructors, well-known factories, `with DAG(...) as
//!   dag`, `@dag` functions, `self.x` set in `__init__`, context values) and of user classes
//!   that subclass library classes (`self.x`, `super().x`, `cls.x` resolve through the
//!   whole MRO: the target's bases and the project's own classes and mixins from any module
//!   of the project; a base it cannot follow means no finding); configuration read in code
//!   (`conf.get*`);
//! - the project's import graph: DAG files → `include/`, `plugins/`, any local module, so a
//!   DAG file that fails through a helper module gets a finding pointing to the helper's line
//!   (helper modules not given are found and checked too), and files Airflow does not load
//!   that no loaded file imports get information-only findings;
//! - the [`ApiIndex`] of a target environment, built by running the embedded
//!   `introspect.py` with that environment's Python once and cached as JSON (modules, names,
//!   classes, signatures, and the target's configuration: its options, deprecation maps and
//!   Airflow 3's `airflow config lint` list);
//! - what became of a configuration option in the target ([`Fate`], `config_rules`), one
//!   decision for configuration the project sets (SKY401, with [`config_fixes`]), reads in
//!   code (SKY402) and the defaults it relies on (SKY403);
//! - the curated rules, as data files under `rules/` embedded at build time ([`rules`]), with
//!   their docs ([`rule_doc`], [`all_rules`]) and version ranges;
//! - the list of every rule skyhop reports ([`Rule`]: code, name, what fixes it, its doc);
//! - text / JSON output ([`to_text`], [`to_json`]) and safe fixes ([`fix`], [`unified_diff`],
//!   [`apply_fixes`]);
//! - [`no_transparent_huge_pages`], the process setting its binaries start with (mimalloc).
//!
//! It knows nothing of how environments are made (it gets a Python path or an index), of
//! projects' files other than the DAG files and config settings it is handed (and the project
//! modules those files import), and of reports
//! (SARIF / GitHub output belong to skyhop-report).

pub mod analyze;
mod config_rules;
mod files;
mod fix;
mod helpers;
pub mod index;
mod output;
pub mod registry;
pub mod rules;
pub mod version;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use skyhop_core::{Finding, Severity, Source};

pub use analyze::Checked;
pub use config_rules::{ConfigChange, ConfigFix, DeprecatedValue, Fate};
pub use files::{MAX_FILE_BYTES, collect_python_files};
pub use fix::{
    Applied, FileFix, FixError, FixOptions, apply_fixes, fix, fix_doc, fix_with, unified_diff,
};
pub use index::{ApiIndex, Distribution, IndexError, Resolved};
pub use output::{to_json, to_text};
pub use registry::{Fixability, Rule};
pub use rules::{RuleDoc, all_rules, rule_doc};
pub use version::Version;

/// One Airflow configuration setting of the project (Dockerfile `ENV` / `ARG`, `.env`,
/// `airflow.cfg`, docker-compose, Helm values), as `skyhop-project` reads it.
pub use skyhop_project::ConfigSetting;

/// What to check against.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Target Airflow version (`3.1.3`).
    pub target_airflow: String,
    /// Current Airflow version, when known: behaviour changes fire only when crossed.
    pub current_airflow: Option<String>,
    /// Configuration the project sets (wherever it sets it).
    pub config_env: Vec<ConfigSetting>,
    /// Where a setting the project does not have would go (the Dockerfile's `FROM` line):
    /// the place of findings about defaults the project relies on (SKY403).
    pub config_home: Option<(String, u32)>,
    /// The files Airflow loads by itself: the DAG files its discovery finds (safe mode,
    /// `.airflowignore`) and the plugins. A file given that none of these imports (directly
    /// or through other project modules) is never run by Airflow: its findings are only
    /// information. `None`: every file given counts as loaded.
    pub loaded: Option<Vec<PathBuf>>,
}

/// Checks `files` (paths of Python DAG files) against the target. Paths in findings are
/// relative to `root`. With `index` = `None` only the curated tables are used.
/// Sorted by path, line, column, rule.
pub fn check(
    files: &[PathBuf],
    root: &Path,
    index: Option<&ApiIndex>,
    opts: &CheckOptions,
) -> Vec<Finding> {
    check_detailed(files, root, index, opts)
        .into_iter()
        .map(|c| c.finding)
        .collect()
}

/// Like [`check`], also telling for each finding whether it breaks while Airflow imports the
/// file (module-level code) or only when a task runs.
pub fn check_detailed(
    files: &[PathBuf],
    root: &Path,
    index: Option<&ApiIndex>,
    opts: &CheckOptions,
) -> Vec<Checked> {
    let target = Version::parse(&opts.target_airflow)
        .or_else(|| index.and_then(|i| i.airflow_version.as_deref().and_then(Version::parse)))
        .unwrap_or_else(|| Version::parse("3.0").expect("literal version"));
    let local_tops = files::local_top_levels(files, root);
    let target_text = if opts.target_airflow.is_empty() {
        index
            .and_then(|i| i.airflow_version.clone())
            .unwrap_or_else(|| "3.0".into())
    } else {
        opts.target_airflow.clone()
    };
    let mut ctx = analyze::Ctx::new(
        index,
        target,
        target_text,
        opts.current_airflow.as_deref().and_then(Version::parse),
        &local_tops,
    );
    ctx.project = Some(analyze::ProjectModules::new(root));
    ctx.config_set = opts
        .config_env
        .iter()
        .flat_map(|s| {
            let base = s
                .key
                .strip_suffix("_cmd")
                .or_else(|| s.key.strip_suffix("_secret"))
                .unwrap_or(&s.key);
            [
                (s.section.clone(), s.key.clone()),
                (s.section.clone(), base.to_string()),
            ]
        })
        .collect();
    let mut results: Vec<helpers::FileResult> = files
        .par_iter()
        .map(|path| check_file(path, root, &ctx))
        .collect();
    let edges = if results.iter().any(|r| !r.imports.is_empty()) {
        helpers::link(&mut results, root, &|p: &Path| check_file(p, root, &ctx))
    } else {
        Vec::new()
    };
    if let Some(loaded) = &opts.loaded {
        helpers::not_loaded_is_information(&mut results, &edges, loaded);
    }
    // Each file's findings sorted in parallel; the stable sort of the whole list then finds
    // sorted runs and merges them (the same order as one sort of everything).
    results
        .par_iter_mut()
        .for_each(|r| r.checked.sort_by(finding_order));
    let total: usize = results.iter().map(|r| r.checked.len()).sum();
    let mut out: Vec<Checked> = Vec::with_capacity(total + 8);
    for r in results {
        out.extend(r.checked);
    }
    out.extend(config_findings(opts, index, &ctx.target, &ctx.target_text));
    if let Some(index) = index {
        out.extend(provider_findings(index));
    }
    out.sort_by(finding_order);
    out.dedup_by(|a, b| a.finding == b.finding);
    out
}

/// By path, line, column, rule, message.
fn finding_order(a: &Checked, b: &Checked) -> std::cmp::Ordering {
    let (a, b) = (&a.finding, &b.finding);
    (&a.path, a.line, a.column, &a.rule, &a.message)
        .cmp(&(&b.path, b.line, b.column, &b.rule, &b.message))
}

/// Turns transparent huge pages off for this process (Linux; a no-op elsewhere). Call it first
/// thing in `main` of a binary whose allocator is mimalloc: with THP on (`always`, or
/// `madvise`, which mimalloc opts into), every fresh 2 MB page the parser's allocations touch
/// is zeroed by the kernel — about a quarter of a whole check's CPU time on 8,000 DAG files.
/// Child processes inherit the setting (harmless: THP off is the common distribution default).
pub fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments only and changes no memory.
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Path of `path` relative to `root`, with `/` separators (as `Path::strip_prefix` gives it).
pub(crate) fn relative(path: &Path, root: &Path) -> String {
    // Paths under `root` were made by joining it: its bytes are their prefix (comparing
    // components, as `Path::strip_prefix` does, cost more than the rest of this).
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (bytes, root_bytes) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
        if let Some(rest) = bytes.strip_prefix(root_bytes)
            && let Some(rest) = rest
                .strip_prefix(b"/")
                .or((root_bytes.ends_with(b"/")).then_some(rest))
            && !rest.starts_with(b"/")
            && !rest.starts_with(b"./")
            && !rest.windows(3).any(|w| w == b"/./")
            && let Ok(text) = std::str::from_utf8(rest)
        {
            return text.to_string();
        }
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

fn check_file(path: &Path, root: &Path, ctx: &analyze::Ctx<'_>) -> helpers::FileResult {
    let rel = relative(path, root);
    let (checked, imports) = check_source(path, &rel, ctx);
    helpers::FileResult {
        path: path.to_path_buf(),
        rel,
        checked,
        imports,
    }
}

fn check_source(
    path: &Path,
    rel: &str,
    ctx: &analyze::Ctx<'_>,
) -> (Vec<Checked>, Vec<analyze::LocalImport>) {
    let source = match files::read_source(path) {
        Ok(s) => s,
        Err(message) => {
            let checked = Checked {
                finding: file_finding(rel, 0, 0, "SKY002", message),
                at_import: true,
            };
            return (vec![checked], Vec::new());
        }
    };
    match ruff_python_parser::parse_module(&source) {
        Ok(parsed) => {
            let analyzer = analyze::Analyzer::new(ctx, path, rel, &source);
            analyzer.run(&parsed.syntax().body)
        }
        Err(err) => {
            let lines = ruff_source_file::LineIndex::from_source_text(&source);
            let pos = lines.line_column(err.location.start(), &source);
            let checked = Checked {
                finding: file_finding(
                    rel,
                    pos.line.get() as u32,
                    pos.column.get() as u32,
                    "SKY001",
                    format!("syntax error: {}", err.error),
                ),
                at_import: true,
            };
            (vec![checked], Vec::new())
        }
    }
}

fn file_finding(path: &str, line: u32, column: u32, rule: &str, message: String) -> Finding {
    Finding {
        path: path.to_string(),
        line,
        column,
        rule: rule.to_string(),
        severity: Severity::Error,
        message,
        replacement: None,
        source: Source::Check,
        related: Vec::new(),
        facts: Default::default(),
    }
}

/// SKY401 on the project's settings and SKY403 on the defaults it relies on.
fn config_findings(
    opts: &CheckOptions,
    index: Option<&ApiIndex>,
    target: &Version,
    target_text: &str,
) -> Vec<Checked> {
    let info = index.and_then(|i| i.config.as_ref());
    let mut out: Vec<Checked> =
        config_rules::set_findings(&opts.config_env, info, target, target_text)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
    let three = Version::parse("3.0").expect("literal version");
    let current = opts.current_airflow.as_deref().and_then(Version::parse);
    // Only for a project whose current version is known to be older: defaults it lives with
    // today.
    if *target >= three && current.is_some_and(|c| c < three) {
        out.extend(config_rules::default_findings(opts, info));
    }
    out
}

/// The fixes of the SKY401 findings on the project's settings, as [`check`] reports them:
/// each finding with what its fix does (a rename is safe, a removal unsafe).
pub fn config_fixes(opts: &CheckOptions, index: Option<&ApiIndex>) -> Vec<(Finding, ConfigFix)> {
    let target = Version::parse(&opts.target_airflow)
        .or_else(|| index.and_then(|i| i.airflow_version.as_deref().and_then(Version::parse)))
        .unwrap_or_else(|| Version::parse("3.0").expect("literal version"));
    config_rules::set_findings(
        &opts.config_env,
        index.and_then(|i| i.config.as_ref()),
        &target,
        &opts.target_airflow,
    )
    .into_iter()
    .filter_map(|(c, fix)| Some((c.finding, fix?)))
    .collect()
}

fn provider_findings(index: &ApiIndex) -> Vec<Checked> {
    let mut out = Vec::new();
    let airflow = index.airflow_version.clone().unwrap_or_default();
    for rule in &rules::rules().providers {
        let all = rule.packages.iter().all(|(name, spec)| {
            let version = if name == "apache-airflow" {
                Some(airflow.as_str())
            } else {
                index.installed(name)
            };
            version.is_some_and(|v| version::satisfies(v, spec))
        });
        if all {
            out.push(Checked {
                finding: Finding {
                    path: String::new(),
                    line: 0,
                    column: 0,
                    rule: rule.rule.clone(),
                    severity: Severity::Error,
                    message: rule.message.clone(),
                    replacement: Some(rule.use_instead.clone()),
                    source: Source::Check,
                    related: Vec::new(),
                    facts: Default::default(),
                },
                at_import: false,
            });
        }
    }
    out
}

/// Unique paths of files with at least one error finding.
pub fn files_with_errors(findings: &[Finding]) -> HashSet<String> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error && !f.path.is_empty())
        .map(|f| f.path.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_as_strip_prefix_gives_them() {
        let cases = [
            ("/r/dags/x.py", "/r"),
            ("/r/dags/x.py", "/r/"),
            ("/rc/x.py", "/r"),
            ("/r", "/r"),
            ("/r/./x.py", "/r"),
            ("/r//x.py", "/r"),
            ("./dags/x.py", "."),
            ("dags/x.py", ""),
            ("dags/x.py", "dags"),
        ];
        for (path, root) in cases {
            let (path, root) = (Path::new(path), Path::new(root));
            let want = path
                .strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            assert_eq!(relative(path, root), want, "{path:?} under {root:?}");
        }
    }
}
