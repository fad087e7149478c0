//! The steps every command shares: the target environment, the API index of what exists in
//! it, the files to check and their options, the parse test, and the findings the environment
//! itself gives (requirements left out, no wheel, broken installs).

use std::path::PathBuf;
use std::time::Duration;

use skyhop_core::{Finding, Progress, Severity, Source};
use skyhop_project::Project;

use crate::envs;
use crate::settings;
use crate::target::{self, Ctx, Pinned};
use crate::{Backend, Failure, TargetArgs};

/// The environment a command works in: the pinned version, its lock and installed venv.
pub struct Env {
    pub pinned: Pinned,
    pub lock: skyhop_core::Lock,
    pub venv: skyhop_env::Venv,
}

/// Pins the version (args, freeze file, or the project's current one) and builds its venv.
pub fn target_env(
    ctx: &Ctx,
    project: &Project,
    version: &TargetArgs,
    freeze: Option<&PathBuf>,
) -> Result<Env, Failure> {
    let (pinned, lock) = match freeze {
        Some(path) => {
            let lock = envs::freeze(path)?;
            (target::from_freeze(&lock, path)?, lock)
        }
        None => {
            let pinned = match target::from_args(ctx, version)? {
                Some(p) => p,
                None => target::current(ctx, project)?,
            };
            let lock = envs::lock(ctx, &pinned, Some(project), Backend::Uv, None)?;
            (pinned, lock)
        }
    };
    installed(ctx, project, pinned, lock, None)
}

/// Installs the venv of `lock` (from `index_url` and the project's package indexes) and shows
/// its notes.
pub fn installed(
    ctx: &Ctx,
    project: &Project,
    pinned: Pinned,
    lock: skyhop_core::Lock,
    index_url: Option<&str>,
) -> Result<Env, Failure> {
    let venv = envs::venv(
        ctx,
        &lock,
        &envs::indexes(Some(project), index_url),
        &ctx.progress,
    )?;
    for note in &venv.notes {
        ctx.progress.note(note);
    }
    Ok(Env { pinned, lock, venv })
}

/// Runs the parse test of the project's DAG files in `env`, sealed from the caller's
/// environment but for the variables named in `pass_env`.
pub fn run_parse(
    ctx: &Ctx,
    project: &Project,
    env: &Env,
    jobs: Option<usize>,
    timeout: Option<u64>,
    pass_env: &[String],
) -> Result<skyhop_parse::ParseReport, Failure> {
    run_parse_of(ctx, project, env, None, jobs, timeout, pass_env)
}

/// [`run_parse`] of the DAG files among `only` (paths relative to the project), or of all.
pub fn run_parse_of(
    ctx: &Ctx,
    project: &Project,
    env: &Env,
    only: Option<&[String]>,
    jobs: Option<usize>,
    timeout: Option<u64>,
    pass_env: &[String],
) -> Result<skyhop_parse::ParseReport, Failure> {
    let discovery = settings::dag_files(project, &env.pinned.airflow);
    if only.is_none() {
        for p in &discovery.problems {
            ctx.progress
                .note(&format!("dags/{}: {}", p.path, p.message));
        }
    }
    let files: Vec<PathBuf> = match only {
        Some(rel) => rel.iter().map(|r| project.root.join(r)).collect(),
        None => discovery.dag_files.iter().map(|f| f.path.clone()).collect(),
    };
    let opts = skyhop_parse::ParseOptions {
        jobs: jobs.unwrap_or_else(default_jobs).max(1),
        timeout: timeout
            .map(Duration::from_secs)
            .unwrap_or(skyhop_parse::DEFAULT_TIMEOUT),
        env: settings::dag_env(project),
        pass_env: pass_env.to_vec(),
        image_home: project.image_home().map(PathBuf::from),
        ..Default::default()
    };
    let report = match skyhop_parse::parse(
        &env.venv.python,
        &project.root,
        &files,
        &opts,
        &ctx.progress,
    ) {
        Err(skyhop_parse::ParseError::AirflowUnavailable {
            message, detail, ..
        }) if opts.env.iter().any(|(k, _)| k.starts_with("AIRFLOW__")) => {
            without_breaking_settings(ctx, project, env, &files, opts.clone(), &message, &detail)
        }
        other => other.map_err(Failure::env),
    }?;
    Ok(retry_timeouts(project, env, report, &opts))
}

/// Files that ran out of time are parsed again one at a time with three times the time: on
/// a loaded machine (parallel parses, a busy CPU) a file can outrun Airflow's timeout here and
/// not in the image. One that imports then counts as importing, with a note of its time.
fn retry_timeouts(
    project: &Project,
    env: &Env,
    mut report: skyhop_parse::ParseReport,
    opts: &skyhop_parse::ParseOptions,
) -> skyhop_parse::ParseReport {
    let slow: Vec<PathBuf> = report
        .files
        .iter()
        .filter(|f| f.timed_out())
        .map(|f| project.root.join(&f.path))
        .collect();
    if slow.is_empty() {
        return report;
    }
    let again = skyhop_parse::ParseOptions {
        jobs: 1,
        timeout: opts.timeout * 3,
        ..opts.clone()
    };
    let Ok(second) = skyhop_parse::parse(
        &env.venv.python,
        &project.root,
        &slow,
        &again,
        &skyhop_core::NoProgress,
    ) else {
        return report;
    };
    for f in second.files.into_iter().filter(|f| f.ok) {
        if let Some(first) = report.files.iter_mut().find(|r| r.path == f.path) {
            report.notes.push(format!(
                "{}: imported in {:.1} s when parsed alone, over the {} s import timeout when parsed with others on this machine; the image's own timeout (`[core] dagbag_import_timeout`) applies there",
                f.path,
                f.duration_ms as f64 / 1000.0,
                opts.timeout.as_secs()
            ));
            *first = f;
        }
    }
    report
}

/// Airflow does not load with the project's settings: finds the setting(s) at fault (those
/// Airflow's error names first, then one at a time), and parses without them. The report
/// lists what was left out, with Airflow's own error, for a finding on its line.
fn without_breaking_settings(
    ctx: &Ctx,
    project: &Project,
    env: &Env,
    files: &[PathBuf],
    opts: skyhop_parse::ParseOptions,
    message: &str,
    detail: &str,
) -> Result<skyhop_parse::ParseReport, Failure> {
    let loads = |env_vars: Vec<(String, String)>| {
        let probe = skyhop_parse::ParseOptions {
            env: env_vars,
            ..opts.clone()
        };
        skyhop_parse::parse(
            &env.venv.python,
            &project.root,
            &[],
            &probe,
            &skyhop_core::NoProgress,
        )
        .is_ok()
    };
    let settings: Vec<(String, String)> = opts
        .env
        .iter()
        .filter(|(k, _)| k.starts_with("AIRFLOW__"))
        .cloned()
        .collect();
    let without = |out: &[&(String, String)]| -> Vec<(String, String)> {
        opts.env
            .iter()
            .filter(|kv| !out.iter().any(|o| o.0 == kv.0))
            .cloned()
            .collect()
    };
    let all: Vec<&(String, String)> = settings.iter().collect();
    let fails_anyway = || {
        Failure::env(format!(
            "Airflow cannot be loaded by {}: {message}\n{detail}",
            env.venv.python.display()
        ))
    };
    if !loads(without(&all)) {
        return Err(fails_anyway());
    }
    // the settings the error names (a module path, a class) first, then each in turn
    let text = format!("{message}\n{detail}");
    let mut order: Vec<&(String, String)> = settings
        .iter()
        .filter(|(_, v)| {
            let v = v.trim();
            !v.is_empty()
                && (text.contains(v) || v.rsplit_once('.').is_some_and(|(m, _)| text.contains(m)))
        })
        .collect();
    let rest: Vec<&(String, String)> = settings.iter().filter(|s| !order.contains(s)).collect();
    order.extend(rest);
    let mut at_fault: Vec<&(String, String)> = Vec::new();
    for s in order {
        if loads(without(&[s])) {
            at_fault.push(s);
            break;
        }
    }
    if at_fault.is_empty() {
        // more than one setting at fault: all of them, named together
        at_fault = all;
    }
    let error = first_line(message);
    let opts = skyhop_parse::ParseOptions {
        env: without(&at_fault),
        ..opts
    };
    let mut report =
        skyhop_parse::parse(&env.venv.python, &project.root, files, &opts, &ctx.progress)
            .map_err(Failure::env)?;
    report.settings_left_out = at_fault
        .into_iter()
        .map(|(k, _)| (k.clone(), error.clone()))
        .collect();
    Ok(report)
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// SKY506 for each setting without which the parse test ran because Airflow does not load
/// with it: on the line of the Dockerfile or .env that sets it.
pub fn setting_findings(
    report: &skyhop_parse::ParseReport,
    project: &Project,
    pinned: &Pinned,
) -> Vec<Finding> {
    report
        .settings_left_out
        .iter()
        .map(|(key, error)| {
            let (path, line) = project
                .config_settings()
                .into_iter()
                .rev()
                .find(|s| s.name == *key)
                .map(|s| (s.file, s.line))
                .unwrap_or_else(|| ("Dockerfile".into(), 0));
            Finding {
                path,
                line: line as u32,
                column: 1,
                rule: "SKY506".into(),
                severity: Severity::Error,
                message: format!(
                    "with `{key}` set, Airflow itself does not load on {}: {error}. The parse test ran without it; fix the setting (or what it names) for this version",
                    pinned.describe()
                ),
                replacement: None,
                source: Source::Parse,
                related: Vec::new(),
                facts: Default::default(),
            }
        })
        .collect()
}

fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// The index of what exists in the target environment (cached per environment).
pub fn build_index(ctx: &Ctx, env: &Env) -> Result<skyhop_check::ApiIndex, Failure> {
    skyhop_check::ApiIndex::build(&env.venv.python, &env.venv.lock_hash, &ctx.progress)
        .map_err(Failure::env)
}

/// The Python files to check: `paths` when given, else the DAG files the target Airflow would
/// parse plus the project's `include/` and `plugins/` code (DAGs import it). Walk problems
/// come back as findings.
pub fn check_files(
    project: &Project,
    paths: &[PathBuf],
    airflow: &str,
) -> (Vec<PathBuf>, Vec<skyhop_core::Finding>) {
    if !paths.is_empty() {
        let abs: Vec<PathBuf> = paths
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect();
        return skyhop_check::collect_python_files(&abs, &project.root);
    }
    let discovery = settings::dag_files(project, airflow);
    let mut files: Vec<PathBuf> = discovery
        .dag_files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "py"))
        .map(|f| f.path.clone())
        .collect();
    let extra: Vec<PathBuf> = [&project.include_dir, &project.plugins_dir]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (more, problems) = skyhop_check::collect_python_files(&extra, &project.root);
    files.extend(more);
    files.sort();
    files.dedup();
    (files, problems)
}

/// Check options: target and current Airflow, the project's `AIRFLOW__*` settings, and the
/// files the target Airflow loads by itself (its DAG files and the plugins; findings in other
/// files no loaded file imports are information only).
pub fn check_options(
    project: &Project,
    target_airflow: &str,
    current: Option<&Pinned>,
) -> skyhop_check::CheckOptions {
    let mut loaded: Vec<PathBuf> = settings::dag_files(project, target_airflow)
        .dag_files
        .into_iter()
        .map(|f| f.path)
        .collect();
    if let Some(plugins) = &project.plugins_dir {
        loaded.extend(
            skyhop_check::collect_python_files(std::slice::from_ref(plugins), &project.root).0,
        );
    }
    skyhop_check::CheckOptions {
        target_airflow: target_airflow.to_string(),
        current_airflow: current.map(|c| c.airflow.clone()),
        config_env: settings::check_config(project),
        config_home: settings::config_home(project),
        loaded: Some(loaded),
    }
}

/// Packages of the image the project's requirements break (what pip warns about after
/// `pip install -r requirements.txt`), as SKY504 findings on the requirement at fault. An
/// incompatibility no requirement touches is the image's own, or skyhop's, and is not reported.
pub fn broken_findings(env: &Env, project: &Project) -> Vec<Finding> {
    let changed = &env.lock.provenance.layering.changed;
    let moved = |name: &str| changed.iter().any(|(n, _, _)| n == name);
    let line_of = |name: &str| {
        project
            .requirements
            .as_ref()
            .and_then(|r| r.find(name).first().map(|r| (r.file.clone(), r.line)))
    };
    let mut out = Vec::new();
    for text in &env.venv.broken {
        let ticks: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
        let (Some(pkg), Some(req)) = (ticks.first(), ticks.get(1)) else {
            continue;
        };
        let req_name = skyhop_core::normalize_name(
            req.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .next()
                .unwrap_or(""),
        );
        let pkg = skyhop_core::normalize_name(pkg);
        if !moved(&req_name) && !moved(&pkg) {
            continue;
        }
        let (file, line) = line_of(&req_name)
            .or_else(|| line_of(&pkg))
            .unwrap_or_else(|| ("requirements.txt".into(), 0));
        out.push(Finding {
            path: file,
            line: line as u32,
            column: 1,
            rule: "SKY504".into(),
            severity: Severity::Error,
            message: format!(
                "the project's requirements break a package of {}: {text}. pip installs them with a warning and that package may fail at run time; pin a version both accept",
                env.pinned.describe()
            ),
            replacement: None,
            source: Source::Deps,
            related: Vec::new(),
            facts: Default::default(),
        });
    }
    out
}

/// SKY502 for requirements that cannot be resolved on `new` at all: the check and the parse
/// test then run against the image without them (files importing one of them not tested).
pub fn requirements_unresolvable(new: &Pinned, why: &str) -> Finding {
    Finding {
        path: "requirements.txt".into(),
        line: 0,
        column: 0,
        rule: "SKY502".into(),
        severity: Severity::Error,
        message: format!(
            "the project's requirements cannot be installed on {}: {why} (the check and the parse test ran against the image without them; DAG files that import one of them are not tested)",
            new.describe()
        ),
        replacement: None,
        source: Source::Deps,
        related: Vec::new(),
        facts: Default::default(),
    }
}

/// What installing the requirements on top of `new` could not do, as findings: requirements
/// left out because they conflict (SKY502), versions with no wheel for the image's Python
/// (SKY503).
pub fn layering_findings(lock: &skyhop_core::Lock, new: &Pinned) -> Vec<Finding> {
    let layering = &lock.provenance.layering;
    let mut out = Vec::new();
    for r in &layering.unreachable {
        out.push(on_requirement(
            r,
            "SKY903",
            Severity::Info,
            format!(
                "`{}` is not in the test environment: {}; {}",
                r.requirement,
                r.why.join("; "),
                r.what_to_do
            ),
            None,
        ));
    }
    for r in &layering.left_out {
        let why = r.why.last().cloned().unwrap_or_default();
        // No single replacement: the message says which versions the target accepts.
        out.push(on_requirement(
            r,
            "SKY502",
            Severity::Error,
            format!(
                "`{}` cannot be installed on {}: {why} What to do: {} (the tests ran without it; DAG files that import it are not tested)",
                r.requirement,
                new.describe(),
                r.what_to_do,
            ),
            None,
        ));
    }
    for n in &layering.no_wheel {
        let r = &n.requirement;
        let range = match (&n.oldest, &n.newest) {
            (Some(o), Some(w)) if o == w => format!("only {o} has one"),
            (Some(o), Some(w)) => format!("versions {o} to {w} have one"),
            _ => "no version has one".to_string(),
        };
        let tested = match &n.used {
            Some(v) => format!(
                "the image build would compile it from source, which needs a compiler and headers the image does not have; the nearest version with a wheel that installs with the other requirements is {v}, and the tests used it"
            ),
            None if !n.conflicting.is_empty() => format!(
                "the image build would compile it from source, which needs a compiler and headers the image does not have; none of the nearest versions with a wheel ({}) installs together with the other requirements, so skyhop left it out and DAG files importing it are not tested",
                n.conflicting.join(", ")
            ),
            None if n.tested_with.is_some() => format!(
                "the image build would compile it from source, which needs a compiler and headers the image does not have; no version the requirements accept has a wheel for Python {}, so pin one that does (the tests used {}=={} on Python {}, which has a wheel for it)",
                n.python,
                r.name,
                n.version,
                n.tested_with.as_deref().unwrap_or_default()
            ),
            None => {
                "pip would compile it from source, which needs build tools in the image; skyhop left it out rather than compile it, so DAG files importing it are not tested".to_string()
            }
        };
        // Only what the requirements add or move is checked: a package no line names is
        // brought in by one of the project's requirements, never by the image alone.
        let through = if !n.via.is_empty() {
            format!(
                " (no line of {} names it: `{}` brings it in, through {}; pin `{}` to a version that accepts a {} with a wheel)",
                r.file,
                n.via[0],
                n.via.join(" -> "),
                n.via[0],
                r.name
            )
        } else if r.file.is_empty() {
            format!(
                " (no line of requirements.txt names it: one of the project's requirements brings it in on {}; pin that requirement to a version that accepts a {} with a wheel)",
                new.describe(),
                r.name
            )
        } else {
            String::new()
        };
        out.push(on_requirement(
            r,
            "SKY503",
            Severity::Error,
            format!(
                "{}=={} has no wheel for Python {} on Linux x86-64 ({range}); {tested}{through}",
                r.name, n.version, n.python,
            ),
            // a pin of the package itself goes on its own line, not on the one that brings it
            n.used
                .as_ref()
                .filter(|_| n.via.is_empty())
                .map(|v| format!("{}=={v}", r.name)),
        ));
    }
    out
}

/// A finding on the line of requirement `r` (requirements.txt when it names no file).
fn on_requirement(
    r: &skyhop_core::Requirement,
    rule: &str,
    severity: Severity,
    message: String,
    replacement: Option<String>,
) -> Finding {
    Finding {
        path: if r.file.is_empty() {
            "requirements.txt".into()
        } else {
            r.file.clone()
        },
        line: r.line as u32,
        column: 1,
        rule: rule.into(),
        severity,
        message,
        replacement,
        source: Source::Deps,
        related: Vec::new(),
        facts: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real project's `apache-airflow-providers-snowflake==6.2.2` needs pandas < 2.2, which
    /// has no wheel for Runtime 3.3's Python 3.14: the finding says one of the project's own
    /// requirements brings it in (it said "another requirement of Runtime 3.3-8", as if the
    /// runtime did).
    #[test]
    fn a_package_no_line_names_is_brought_in_by_the_requirements() {
        let mut lock = skyhop_core::Lock::default();
        lock.provenance
            .layering
            .no_wheel
            .push(skyhop_core::NoWheel {
                requirement: skyhop_core::Requirement {
                    requirement: "pandas==2.1.4".into(),
                    name: "pandas".into(),
                    ..Default::default()
                },
                version: "2.1.4".into(),
                python: "3.14".into(),
                used: None,
                oldest: Some("2.3.3".into()),
                newest: Some("3.1.1".into()),
                conflicting: Vec::new(),
                tested_with: None,
                via: Vec::new(),
            });
        let new = crate::Pinned {
            label: "3.3.2".into(),
            target: skyhop_catalog::Target::parse_airflow("3.3.2").unwrap(),
            runtime: None,
            airflow: "3.3.2".into(),
            python: "3.14".into(),
            image: None,
            suffix: String::new(),
            notes: Vec::new(),
            image_packages: Default::default(),
            image_constraints: None,
        };
        let f = layering_findings(&lock, &new);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "SKY503");
        assert!(
            f[0].message
                .contains("one of the project's requirements brings it in"),
            "{}",
            f[0].message
        );
        assert!(!f[0].message.contains("another requirement of"));
    }

    /// `pandas>=2.1,<2.3` on Runtime 3.3 (Python 3.14, tested with 3.13): no accepted version has
    /// a 3.14 wheel, so the image build compiles it; the tests installed 2.2.3 (it has a 3.13
    /// wheel), and the finding must not say it was left out (seen on the example project).
    #[test]
    fn a_version_the_tested_python_has_a_wheel_for_is_not_said_left_out() {
        let mut lock = skyhop_core::Lock::default();
        lock.provenance
            .layering
            .no_wheel
            .push(skyhop_core::NoWheel {
                requirement: skyhop_core::Requirement {
                    requirement: "pandas>=2.1,<2.3".into(),
                    name: "pandas".into(),
                    file: "requirements.txt".into(),
                    line: 4,
                    ..Default::default()
                },
                version: "2.2.3".into(),
                python: "3.14".into(),
                used: None,
                oldest: Some("2.3.3".into()),
                newest: Some("3.1.1".into()),
                conflicting: Vec::new(),
                tested_with: Some("3.13".into()),
                via: Vec::new(),
            });
        let new = crate::Pinned {
            label: "3.3.2".into(),
            target: skyhop_catalog::Target::parse_airflow("3.3.2").unwrap(),
            runtime: None,
            airflow: "3.3.2".into(),
            python: "3.14".into(),
            image: None,
            suffix: String::new(),
            notes: Vec::new(),
            image_packages: Default::default(),
            image_constraints: None,
        };
        let f = layering_findings(&lock, &new);
        assert_eq!(f[0].rule, "SKY503");
        assert_eq!(f[0].line, 4);
        assert!(!f[0].message.contains("left it out"), "{}", f[0].message);
        assert!(
            f[0].message
                .contains("the tests used pandas==2.2.3 on Python 3.13"),
            "{}",
            f[0].message
        );
    }
}
