//! `check`, `parse`, `rule`.

use std::path::PathBuf;
use std::time::Duration;

use skyhop_core::Progress;
use skyhop_project::Project;

use super::load_project;
use crate::cli::{Backend, CheckArgs, ParseArgs, RuleArgs, TextOrJson, VersionArgs};
use crate::target::{self, Ctx, Pinned};
use crate::{CmdResult, Failure, exit};

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
    version: &VersionArgs,
    freeze: Option<&PathBuf>,
) -> Result<Env, Failure> {
    let (pinned, lock) = match freeze {
        Some(path) => {
            let lock = target::freeze(path)?;
            (target::from_freeze(&lock, path)?, lock)
        }
        None => {
            let pinned = match target::from_args(ctx, version)? {
                Some(p) => p,
                None => target::current(ctx, project)?,
            };
            let lock = target::lock(ctx, &pinned, Some(project), Backend::Uv, None)?;
            (pinned, lock)
        }
    };
    let venv = target::venv(ctx, &lock, &ctx.progress)?;
    for note in &venv.notes {
        ctx.progress.note(note);
    }
    Ok(Env { pinned, lock, venv })
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
    let discovery = target::dag_files(project, &env.pinned.airflow);
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
        env: target::dag_env(project),
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

pub fn check(_args: CheckArgs) -> CmdResult {
    Err(Failure::usage("check: not wired yet"))
}

pub fn rule(_args: RuleArgs) -> CmdResult {
    Err(Failure::usage("rule: not wired yet"))
}
