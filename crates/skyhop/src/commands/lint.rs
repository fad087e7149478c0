//! `check`, `parse`, `rule`.

use std::path::PathBuf;
use std::time::Duration;

use skyhop_core::{Finding, Progress, Severity, Source};
use skyhop_project::Project;

use super::load_project;
use crate::cli::{CheckArgs, CheckFormat, ParseArgs, RuleArgs, TextOrJson, VersionArgs};
use crate::envs;
use crate::envs::Relaxed;
use crate::settings;
use crate::target::{self, Ctx, Pinned};
use crate::{CmdResult, Failure, exit};

/// The environment a command works in: the pinned version, its lock and installed venv.
pub struct Env {
    pub pinned: Pinned,
    pub lock: skyhop_core::Lock,
    pub venv: skyhop_env::Venv,
    /// Pins of requirements.txt loosened because they conflict with this version.
    pub relaxed: Vec<envs::Relaxed>,
}

/// Pins the version (args, freeze file, or the project's current one) and builds its venv.
pub fn target_env(
    ctx: &Ctx,
    project: &Project,
    version: &VersionArgs,
    freeze: Option<&PathBuf>,
) -> Result<Env, Failure> {
    let (pinned, lock, relaxed) = match freeze {
        Some(path) => {
            let lock = envs::freeze(path)?;
            (target::from_freeze(&lock, path)?, lock, Vec::new())
        }
        None => {
            let pinned = match target::from_args(ctx, version)? {
                Some(p) => p,
                None => target::current(ctx, project)?,
            };
            let (lock, relaxed) = envs::lock_relaxed(ctx, &pinned, project, None)?;
            (pinned, lock, relaxed)
        }
    };
    installed(ctx, project, pinned, lock, relaxed, None)
}

/// Installs the venv of `lock` (from `index_url` and the project's package indexes) and shows
/// its notes.
pub fn installed(
    ctx: &Ctx,
    project: &Project,
    pinned: Pinned,
    lock: skyhop_core::Lock,
    relaxed: Vec<envs::Relaxed>,
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
    Ok(Env {
        pinned,
        lock,
        venv,
        relaxed,
    })
}

pub fn parse(args: ParseArgs) -> CmdResult {
    let json = args.format == TextOrJson::Json;
    let ctx = Ctx::new(false)?;
    let project = load_project(&args.project.project)?;
    let env = target_env(&ctx, &project, &args.version, args.target_freeze.as_ref())?;
    let report = run_parse(&ctx, &project, &env, args.jobs, args.timeout)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", skyhop_parse::to_text(&report));
        for note in &env.venv.notes {
            println!("note: {note}");
        }
    }
    Ok(if report.has_failures() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// Runs the parse test of the project's DAG files in `env`.
pub fn run_parse(
    ctx: &Ctx,
    project: &Project,
    env: &Env,
    jobs: Option<usize>,
    timeout: Option<u64>,
) -> Result<skyhop_parse::ParseReport, Failure> {
    let discovery = settings::dag_files(project, &env.pinned.airflow);
    for p in &discovery.problems {
        ctx.progress
            .note(&format!("dags/{}: {}", p.path, p.message));
    }
    let files: Vec<PathBuf> = discovery.dag_files.iter().map(|f| f.path.clone()).collect();
    let opts = skyhop_parse::ParseOptions {
        jobs: jobs.unwrap_or_else(default_jobs).max(1),
        timeout: timeout
            .map(Duration::from_secs)
            .unwrap_or(skyhop_parse::DEFAULT_TIMEOUT),
        env: settings::dag_env(project),
        ..Default::default()
    };
    skyhop_parse::parse(
        &env.venv.python,
        &project.root,
        &files,
        &opts,
        &ctx.progress,
    )
    .map_err(Failure::env)
}

fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

pub fn check(args: CheckArgs) -> CmdResult {
    let ctx = Ctx::new(args.format != CheckFormat::Text)?;
    let project = load_project(&args.project.project)?;
    let current = target::current(&ctx, &project).ok();
    let (pinned, index, relaxed) = if args.no_env {
        let pinned = match target::from_args(&ctx, &args.version)? {
            Some(p) => p,
            None => current.clone().ok_or_else(|| {
                Failure::usage("--no-env needs --runtime-version or --airflow-version (the project's base image is not a known Airflow image)")
            })?,
        };
        (pinned, None, Vec::new())
    } else {
        let env = target_env(&ctx, &project, &args.version, args.target_freeze.as_ref())?;
        let index = build_index(&ctx, &env)?;
        (env.pinned, Some(index), env.relaxed)
    };
    let target_airflow = pinned.airflow.clone();
    let files = check_files(&project, &args.paths, &target_airflow);
    let opts = check_options(&project, &target_airflow, current.as_ref());
    let mut findings = files.1;
    if args.paths.is_empty()
        && let Some(cur) = &current
    {
        findings.extend(settings::discovery_changes(
            &project,
            &cur.airflow,
            &target_airflow,
        ));
    }
    findings.extend(relaxed.iter().map(|r| relaxed_finding(r, &pinned)));
    findings.extend(skyhop_check::check(
        &files.0,
        &project.root,
        index.as_ref(),
        &opts,
    ));
    if args.fix {
        let fixes = skyhop_check::fix(&files.0, &findings);
        if args.diff {
            // Paths as the user knows them: relative to the project.
            let shown: Vec<skyhop_check::FileFix> = fixes
                .iter()
                .map(|f| skyhop_check::FileFix {
                    path: f
                        .path
                        .strip_prefix(&project.root)
                        .unwrap_or(&f.path)
                        .to_path_buf(),
                    ..f.clone()
                })
                .collect();
            print!("{}", skyhop_check::unified_diff(&shown));
            return Ok(exit::OK);
        }
        skyhop_check::apply_fixes(&fixes).map_err(Failure::usage)?;
        eprintln!(
            "fixed {} file(s); run skyhop check again for what is left",
            fixes.len()
        );
        return Ok(exit::OK);
    }
    let out = match args.format {
        CheckFormat::Text => skyhop_check::to_text(&findings),
        CheckFormat::Json => skyhop_check::to_json(&findings),
        CheckFormat::Sarif => skyhop_report::render_sarif(&findings, skyhop_core::SKYHOP_VERSION),
        CheckFormat::Github => skyhop_report::render_github(&findings),
    };
    print!("{out}");
    if !out.ends_with('\n') && !out.is_empty() {
        println!();
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == skyhop_core::Severity::Error)
        .count();
    Ok(if errors > 0 { exit::FINDINGS } else { exit::OK })
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

/// Check options: target and current Airflow, and the project's `AIRFLOW__*` settings.
pub fn check_options(
    project: &Project,
    target_airflow: &str,
    current: Option<&Pinned>,
) -> skyhop_check::CheckOptions {
    skyhop_check::CheckOptions {
        target_airflow: target_airflow.to_string(),
        current_airflow: current.map(|c| c.airflow.clone()),
        config_env: settings::check_config(project),
    }
}

pub fn rule(args: RuleArgs) -> CmdResult {
    match args.code {
        Some(code) => {
            let doc = skyhop_check::rule_doc(&code.to_ascii_uppercase()).ok_or_else(|| {
                Failure::usage(format!(
                    "unknown rule `{code}`: `skyhop rule` lists every rule"
                ))
            })?;
            print!("{}", doc.to_markdown());
        }
        None => {
            for doc in skyhop_check::all_rules() {
                println!("{:<8} {:<36} {}", doc.code, doc.name, doc.summary);
            }
        }
    }
    Ok(exit::OK)
}

/// A pin of requirements.txt that conflicts with the target, as a finding.
pub fn relaxed_finding(r: &Relaxed, new: &Pinned) -> Finding {
    let why = r.why.last().cloned().unwrap_or_default();
    Finding {
        path: "requirements.txt".into(),
        line: r.line as u32,
        column: 1,
        rule: "SKY502".into(),
        severity: Severity::Error,
        message: format!(
            "`{}` conflicts with {}: {why} What to do: {} (the tests ran with `{}` unpinned)",
            r.requirement,
            new.describe(),
            r.what_to_do,
            r.name
        ),
        // No single replacement: the message says which versions the target accepts.
        replacement: None,
        source: Source::Deps,
        related: Vec::new(),
    }
}
