//! Runs the harness in a target environment and streams its results back.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use serde::Deserialize;
use skyhop_core::Progress;

use crate::ParseError;
use crate::harness;
use crate::report::{FileResult, ParseReport};

/// Progress step of the one Airflow import (no count).
pub const STEP_IMPORT: &str = "importing Airflow";
/// Progress step of the per-file parse (one `advance` per file).
pub const STEP_PARSE: &str = "parsing DAG files";

/// How to run a parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Files parsed at the same time (one forked process each). Default: the number of cores.
    pub jobs: usize,
    /// Per-file import timeout. Default: Airflow's `dagbag_import_timeout`, 30 s.
    pub timeout: Duration,
    /// What the image would set: the project's Dockerfile `ENV` and `.env`. The harness starts
    /// from an empty environment ([`skyhop_core::sealed_env`], with a fresh empty `HOME`) plus
    /// these (not `PATH` or `HOME`); Airflow's database settings are always replaced by a
    /// throwaway SQLite database.
    pub env: Vec<(String, String)>,
    /// Names of the caller's variables handed through on purpose (`--pass-env`); listed in
    /// [`ParseReport::passed_env`] when set.
    pub pass_env: Vec<String>,
    /// Address space a DAG file may add on top of what Airflow already uses, in MiB
    /// (`RLIMIT_AS` of each child); `None` for no limit. Default: 4096.
    pub memory_limit_mb: Option<u64>,
    /// Where the image keeps the project (`/usr/local/airflow` for Astro Runtime): the DAG
    /// code also finds the project there (in a private mount namespace of the harness, when
    /// the machine allows one), so absolute paths into it resolve as in the image.
    pub image_home: Option<PathBuf>,
}

/// Airflow's default `[core] dagbag_import_timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            jobs: thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: DEFAULT_TIMEOUT,
            env: Vec::new(),
            pass_env: Vec::new(),
            memory_limit_mb: Some(4096),
            image_home: None,
        }
    }
}

/// One line of the harness's output.
#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Event {
    Ready {
        python: String,
        airflow: String,
        #[serde(default)]
        import_seconds: f64,
        #[serde(default)]
        image_home: Option<String>,
        #[serde(default)]
        image_home_note: Option<String>,
    },
    File(FileResult),
    Fatal {
        error: String,
        #[serde(default)]
        traceback: String,
    },
    Done,
}

/// Parses `files` (absolute, or relative to `project_root`) with the Airflow installed for
/// `python`: imports Airflow once, then imports each file in its own forked process, the way
/// Airflow's DagBag does. Files that fail, hang, crash or exit are results, not errors; an error
/// means the run itself could not be done (no Airflow, harness died...).
///
/// As in a runtime image, the harness runs in `project_root` with the project root, `dags/` and
/// `plugins/` importable. It runs sealed: from an empty environment plus `PATH`, `LANG`, a
/// fresh empty `HOME`, `opts.env` and the variables named in `opts.pass_env`, so the caller's
/// tokens and `~/.aws`-style credential files are out of the DAG code's reach. It writes
/// nothing into the project: Airflow's home is a temporary directory and bytecode goes to
/// skyhop's cache. Progress: [`STEP_IMPORT`], then
/// [`STEP_PARSE`] with one `advance` per file as results stream in.
pub fn parse(
    python: &Path,
    project_root: &Path,
    files: &[PathBuf],
    opts: &ParseOptions,
    progress: &dyn Progress,
) -> Result<ParseReport, ParseError> {
    parse_with_cache(
        python,
        project_root,
        files,
        opts,
        progress,
        &skyhop_core::cache_dir(),
    )
}

/// [`parse`] with an explicit cache directory (where the harness is written).
pub fn parse_with_cache(
    python: &Path,
    project_root: &Path,
    files: &[PathBuf],
    opts: &ParseOptions,
    progress: &dyn Progress,
    cache: &Path,
) -> Result<ParseReport, ParseError> {
    let script = harness::install(cache)?;
    let root = std::path::absolute(project_root).unwrap_or_else(|_| project_root.to_path_buf());
    let mut absolute: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut relative: Vec<String> = Vec::new();
    for file in files {
        let full = root.join(file);
        let full = std::path::absolute(&full).unwrap_or(full);
        let key = full.to_string_lossy().into_owned();
        if index.contains_key(&key) {
            continue;
        }
        index.insert(key.clone(), absolute.len());
        relative.push(display_path(&root, &full));
        absolute.push(key);
    }
    let request = serde_json::json!({
        "project_root": root.to_string_lossy(),
        "files": absolute,
        "jobs": opts.jobs.max(1),
        "timeout": opts.timeout.as_secs_f64(),
        "memory_limit_mb": opts.memory_limit_mb,
        "image_home": opts.image_home.as_ref().map(|p| p.to_string_lossy()),
        "db_template": harness::harness_dir(cache).join("db").to_string_lossy(),
        "pycache": cache.join("pycache").to_string_lossy(),
    });

    // Sealed: DAG code sees what the image would have, never the caller's credentials.
    let home = tempfile::Builder::new()
        .prefix("skyhop-home-")
        .tempdir()
        .map_err(|source| ParseError::Home {
            dir: std::env::temp_dir(),
            source,
        })?;
    let mut passed = Vec::new();
    for name in &opts.pass_env {
        match std::env::var_os(name) {
            Some(value) => passed.push((name.clone(), value)),
            None => progress.note(&format!(
                "--pass-env {name}: not set in this environment, so not passed"
            )),
        }
    }
    // The environment's scripts are on PATH, as in the image (where Airflow's Python and what
    // pip installed with it, `dbt` say, are on PATH): DAG code that looks for an executable
    // (`shutil.which("dbt")`) finds what the requirements installed.
    let mut env = skyhop_core::sealed_env(home.path());
    if let Some(bin) = python.parent().filter(|b| !b.as_os_str().is_empty()) {
        for (k, v) in env.iter_mut() {
            if k == "PATH" {
                *v = format!("{}:{v}", bin.display());
            }
        }
    }
    let mut command = Command::new(python);
    command
        .arg(&script)
        .current_dir(&root)
        .env_clear()
        .envs(env)
        .envs(
            opts.env
                .iter()
                .filter(|(k, _)| k != "PATH" && k != "HOME")
                .map(|(k, v)| (k, v)),
        )
        .envs(passed.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let io = |source| ParseError::Io {
        python: python.to_path_buf(),
        source,
    };
    progress.begin(STEP_IMPORT, None);
    let mut child = command.spawn().map_err(|source| ParseError::Spawn {
        python: python.to_path_buf(),
        source,
    })?;
    let stderr = child.stderr.take().map(|mut err| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            tail(&String::from_utf8_lossy(&buf), 6000)
        })
    });
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(request.to_string().as_bytes())
            .map_err(io)?;
    }
    let stdout = child.stdout.take().expect("stdout is piped");

    let mut report = ParseReport {
        passed_env: passed.into_iter().map(|(k, _)| k).collect(),
        ..ParseReport::default()
    };
    let mut results: Vec<Option<FileResult>> = vec![None; absolute.len()];
    let mut done = false;
    let mut fatal: Option<(String, String)> = None;
    let mut protocol: Option<(String, String)> = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(&line) {
            Ok(Event::Ready {
                python: py,
                airflow,
                import_seconds,
                image_home,
                image_home_note,
            }) => {
                report.image_home = image_home;
                report.notes.extend(image_home_note);
                progress.end(
                    STEP_IMPORT,
                    &format!("Airflow {airflow} (Python {py}) imported in {import_seconds:.1}s"),
                );
                progress.begin(STEP_PARSE, Some(absolute.len() as u64));
                report.python = py;
                report.airflow = airflow;
            }
            Ok(Event::File(mut file)) => {
                if let Some(&i) = index.get(&file.path) {
                    file.path = relative[i].clone();
                    results[i] = Some(file);
                    progress.advance(STEP_PARSE, 1);
                }
            }
            Ok(Event::Fatal { error, traceback }) => fatal = Some((error, traceback)),
            Ok(Event::Done) => done = true,
            Err(e) => {
                protocol.get_or_insert((line.chars().take(300).collect(), e.to_string()));
            }
        }
    }
    let status = child.wait().map_err(io)?;
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if let Some((message, detail)) = fatal {
        progress.end(STEP_IMPORT, "failed");
        return Err(ParseError::AirflowUnavailable {
            python: python.to_path_buf(),
            message,
            detail: if detail.is_empty() { stderr } else { detail },
        });
    }
    if !done {
        if let Some((line, message)) = protocol {
            return Err(ParseError::Protocol {
                python: python.to_path_buf(),
                line,
                message,
            });
        }
        return Err(ParseError::HarnessDied {
            python: python.to_path_buf(),
            status: status.to_string(),
            done: results.iter().flatten().count(),
            total: results.len(),
            stderr,
        });
    }
    report.files = results
        .into_iter()
        .zip(relative)
        .map(|(result, path)| {
            result.unwrap_or_else(|| FileResult {
                path,
                ok: false,
                error: Some("the parse harness returned no result for this file".into()),
                error_type: Some("HarnessError".into()),
                ..FileResult::default()
            })
        })
        .collect();
    let failed = report.failures().count();
    progress.end(
        STEP_PARSE,
        &format!("{} ok, {failed} failed", report.files.len() - failed),
    );
    Ok(report)
}

/// `file` relative to `root` with `/` separators, or the full path when outside the root.
fn display_path(root: &Path, file: &Path) -> String {
    match file.strip_prefix(root) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => file.to_string_lossy().into_owned(),
    }
}

/// The last `max` bytes of `text` (on a char boundary).
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_to_the_project() {
        let root = Path::new("/p");
        assert_eq!(display_path(root, Path::new("/p/dags/a.py")), "dags/a.py");
        assert_eq!(display_path(root, Path::new("/q/a.py")), "/q/a.py");
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 3), "ab");
        assert_eq!(tail("aé", 1), "");
    }

    #[test]
    fn reads_harness_events() {
        let line = r#"{"path": "/p/dags/a.py", "ok": true, "error": null, "error_type": null, "line": null, "traceback": null, "dag_ids": ["a"], "warnings": [], "duration_ms": 3, "event": "file"}"#;
        match serde_json::from_str::<Event>(line).unwrap() {
            Event::File(f) => assert_eq!(f.dag_ids, ["a"]),
            _ => panic!("not a file event"),
        }
        let ready = r#"{"event": "ready", "python": "3.11.7", "airflow": "3.1.3", "import_seconds": 1.5, "db_seconds": 0}"#;
        assert!(matches!(
            serde_json::from_str::<Event>(ready).unwrap(),
            Event::Ready { .. }
        ));
    }

    #[test]
    fn a_python_without_airflow_is_an_error_that_says_so() {
        let cache = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let Ok(python) = which_python() else { return };
        let err = parse_with_cache(
            &python,
            project.path(),
            &[],
            &ParseOptions::default(),
            &skyhop_core::NoProgress,
            cache.path(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Airflow cannot be loaded"), "{text}");
        assert!(text.contains("No module named 'airflow'"), "{text}");
    }

    fn which_python() -> Result<PathBuf, ()> {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] {
            let p = PathBuf::from(candidate);
            if p.exists() {
                return Ok(p);
            }
        }
        Err(())
    }
}
