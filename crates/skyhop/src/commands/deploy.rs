//! `dev`, `deployment`, `deploy`, `rollback`: the project's Airflow on this machine.

use std::cmp::Ordering;
use std::time::Duration;

use skyhop_catalog::RuntimeVersion;
use skyhop_core::Progress;
use skyhop_deploy::{
    DEFAULT_HEALTH_TIMEOUT, DeployError, DeployKind, DeployRecord, DeployRequest, DeployStatus,
    Deployment, DevServer, DevSpec, RollbackRequest, TargetStatus,
};
use skyhop_project::Project;

use super::{confirm, load_project};
use crate::cli::{
    DeployArgs, DeploySub, DeploymentCommand, DeploymentDeleteArgs, DeploymentEnvCommand,
    DevCommand, RollbackArgs,
};
use crate::{CmdResult, Failure, exit};
use skyhop_upgrade::envs;
use skyhop_upgrade::settings;
use skyhop_upgrade::steps::{Env, installed, run_parse};
use skyhop_upgrade::target::{self, Ctx};

/// The project's current version, resolved and installed (no loosening: this is what runs).
fn current_env(ctx: &Ctx, project: &Project) -> Result<Env, Failure> {
    let pinned = target::current(ctx, project)?;
    let lock = envs::lock(
        ctx,
        &pinned,
        Some(project),
        skyhop_upgrade::Backend::Uv,
        None,
    )?;
    installed(ctx, project, pinned, lock, None)
}

fn deploy_failure(e: DeployError) -> Failure {
    match e {
        DeployError::Downgrade(_)
        | DeployError::ParseFailed
        | DeployError::NeedsConfirmation(_) => Failure::usage(e),
        other => Failure::findings(other),
    }
}

pub fn dev(cmd: DevCommand) -> CmdResult {
    match cmd {
        DevCommand::Start(a) | DevCommand::Restart(a) => {
            // Both (re)start: a changed Dockerfile or requirements.txt gives a new environment,
            // and the metadata DB is migrated when the Airflow version changed.
            let ctx = crate::progress::ctx(false)?;
            let project = load_project(&a.project)?;
            let env = current_env(&ctx, &project)?;
            // Airflow gets what the image would have, plus what the user passes on purpose.
            let mut vars = settings::dag_env(&project);
            for name in &a.pass_env {
                match std::env::var(name) {
                    Ok(value) => vars.push((name.clone(), value)),
                    Err(_) => ctx.progress.note(&format!(
                        "--pass-env {name}: not set in this environment, so not passed"
                    )),
                }
            }
            let spec = DevSpec {
                airflow_version: env.pinned.airflow.clone(),
                runtime: env.pinned.runtime.as_ref().map(|r| r.version.to_string()),
                venv: env.venv.root.clone(),
                port: a.port,
                db_url: a.db_url.clone(),
                env: vars,
                health_timeout: DEFAULT_HEALTH_TIMEOUT,
            };
            let server = DevServer::new(&project.root);
            let health = server
                .restart(&spec, &ctx.progress)
                .map_err(Failure::findings)?;
            println!(
                "{} is up at http://127.0.0.1:{}/ ({})",
                env.pinned.describe(),
                a.port,
                health.detail
            );
            println!(
                "`skyhop dev status` shows the processes, `skyhop dev logs` their logs, `skyhop dev stop` stops them."
            );
            Ok(exit::OK)
        }
        DevCommand::Stop(a) => {
            let project_root = std::path::absolute(&a.project.project)
                .unwrap_or_else(|_| a.project.project.clone());
            let ctx = crate::progress::ctx(false)?;
            DevServer::new(&project_root)
                .stop(&ctx.progress)
                .map_err(Failure::findings)?;
            println!("stopped");
            Ok(exit::OK)
        }
        DevCommand::Status(a) => {
            let project_root = std::path::absolute(&a.project.project)
                .unwrap_or_else(|_| a.project.project.clone());
            let status = DevServer::new(&project_root)
                .status()
                .map_err(Failure::findings)?;
            print_status(&status);
            Ok(if status.is_healthy() {
                exit::OK
            } else {
                exit::FINDINGS
            })
        }
        DevCommand::Logs(a) => {
            let project_root = std::path::absolute(&a.project.project)
                .unwrap_or_else(|_| a.project.project.clone());
            let logs = DevServer::new(&project_root)
                .logs(None, a.lines)
                .map_err(Failure::findings)?;
            for (name, text) in logs {
                println!("==> {name} <==\n{text}");
            }
            Ok(exit::OK)
        }
    }
}

fn print_status(status: &TargetStatus) {
    match &status.running {
        Some(run) => println!(
            "{} (Airflow {}{})",
            run.label,
            run.airflow_version,
            run.runtime
                .as_deref()
                .map(|r| format!(", Runtime {r}"))
                .unwrap_or_default()
        ),
        None => println!("not running"),
    }
    if let Some(url) = &status.url {
        println!("url: {url}");
    }
    if let Some(h) = &status.health {
        println!(
            "health: {} {}",
            if h.healthy { "healthy" } else { "unhealthy" },
            h.detail
        );
    }
    for p in &status.processes {
        println!(
            "  {:<14} pid {:<8} {}",
            p.name,
            p.pid,
            if p.alive { "running" } else { "DEAD" }
        );
        if !p.alive
            && let Some(tail) = &p.log_tail
        {
            println!("    last lines of {}:\n{tail}", p.log.display());
        }
    }
}

pub fn deployment(cmd: DeploymentCommand) -> CmdResult {
    match cmd {
        DeploymentCommand::Create(a) => {
            let project = load_project(&a.project)?;
            let d = Deployment::create(&project.root, &a.name, a.db_url.as_deref(), Some(a.port))
                .map_err(Failure::usage)?;
            println!(
                "created deployment {} ({}, port {}) in {}",
                a.name,
                d.config().db_display(),
                a.port,
                d.dir().display()
            );
            Ok(exit::OK)
        }
        DeploymentCommand::List(p) => {
            let root = std::path::absolute(&p.project).unwrap_or(p.project);
            for name in skyhop_deploy::list(&root).map_err(Failure::usage)? {
                println!("{name}");
            }
            Ok(exit::OK)
        }
        DeploymentCommand::Start(a) => {
            let ctx = crate::progress::ctx(false)?;
            let mut d = open(&a.project.project, a.name.as_deref())?;
            let health = d.start(&ctx.progress).map_err(Failure::findings)?;
            println!("{}", health.detail);
            Ok(exit::OK)
        }
        DeploymentCommand::Stop(a) => {
            let ctx = crate::progress::ctx(false)?;
            let mut d = open(&a.project.project, a.name.as_deref())?;
            d.stop(&ctx.progress).map_err(Failure::findings)?;
            println!("stopped");
            Ok(exit::OK)
        }
        DeploymentCommand::Recover(a) => {
            let ctx = crate::progress::ctx(false)?;
            let mut d = open(&a.project.project, a.name.as_deref())?;
            match d.recover(&ctx.progress).map_err(Failure::findings)? {
                Some(msg) => println!("{msg}"),
                None => println!("nothing to recover"),
            }
            Ok(exit::OK)
        }
        DeploymentCommand::Delete(a) => delete(a),
        DeploymentCommand::Status(a) => {
            let mut d = open(&a.project.project, a.name.as_deref())?;
            if d.status().map_err(Failure::findings)?.recovery_needed {
                // A killed deploy or rollback: put the previous deploy back to running first.
                let ctx = crate::progress::ctx(false)?;
                if let Some(msg) = d.recover(&ctx.progress).map_err(Failure::findings)? {
                    println!("{msg}");
                }
            }
            let status = d.status().map_err(Failure::findings)?;
            println!(
                "deployment {} ({}, port {})",
                status.config.name,
                status.config.db_display(),
                status.config.port
            );
            match &status.active {
                Some(r) => println!("active: {}", history_row(r)),
                None => println!("active: nothing deployed yet"),
            }
            if status.recovery_needed {
                println!("an interrupted deploy will be reconciled at the next deploy");
            }
            print_status(&status.target);
            Ok(if status.target.is_healthy() {
                exit::OK
            } else {
                exit::FINDINGS
            })
        }
        DeploymentCommand::Env(e) => match e {
            DeploymentEnvCommand::Set {
                name,
                assignment,
                secret,
                project,
            } => {
                let (key, value) = assignment
                    .split_once('=')
                    .ok_or_else(|| Failure::usage(format!("`{assignment}`: expected KEY=VALUE")))?;
                let d = open(&project.project, Some(&name))?;
                d.set_env(key, value, secret).map_err(Failure::usage)?;
                println!(
                    "{key} set{} (applies at the next deploy or rollback)",
                    if secret { " as a secret" } else { "" }
                );
                Ok(exit::OK)
            }
            DeploymentEnvCommand::Unset { name, key, project } => {
                let d = open(&project.project, Some(&name))?;
                if d.unset_env(&key).map_err(Failure::usage)? {
                    println!("{key} removed");
                } else {
                    println!("{key} was not set");
                }
                Ok(exit::OK)
            }
            DeploymentEnvCommand::List { name, project } => {
                let d = open(&project.project, Some(&name))?;
                for var in d.list_env().map_err(Failure::usage)? {
                    println!("{var}");
                }
                Ok(exit::OK)
            }
        },
    }
}

fn delete(a: DeploymentDeleteArgs) -> CmdResult {
    let d = open(&a.project.project, Some(&a.name))?;
    if !a.yes {
        println!(
            "Deleting deployment {} removes {}: its history, secrets, code bundles, DB backups and {}.",
            a.name,
            d.dir().display(),
            match d.config().db_url {
                Some(_) => "logs (its PostgreSQL database is left as it is)",
                None => "SQLite metadata DB",
            }
        );
        if !confirm("Stop it and delete it all?") {
            return Err(Failure::usage(
                "deletion not confirmed: nothing changed (pass --yes to confirm from a script)",
            ));
        }
    }
    let ctx = crate::progress::ctx(false)?;
    let dir = d.delete(&ctx.progress).map_err(Failure::findings)?;
    println!("deleted deployment {} ({})", a.name, dir.display());
    Ok(exit::OK)
}

/// Opens the named deployment, or the only one.
fn open(project: &std::path::Path, name: Option<&str>) -> Result<Deployment, Failure> {
    let root = std::path::absolute(project).unwrap_or_else(|_| project.to_path_buf());
    let name = match name {
        Some(n) => n.to_string(),
        None => {
            let all = skyhop_deploy::list(&root).map_err(Failure::usage)?;
            match all.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(Failure::usage(
                        "this project has no deployment yet: `skyhop deployment create NAME`",
                    ));
                }
                _ => {
                    return Err(Failure::usage(format!(
                        "this project has several deployments ({}): pass --deployment NAME",
                        all.join(", ")
                    )));
                }
            }
        }
    };
    let d = Deployment::open(&root, &name).map_err(Failure::usage)?;
    let progress = crate::progress::Bars::new(false);
    for note in d.notes() {
        progress.note(note);
    }
    Ok(d)
}

/// Starts a detached watcher that waits for this skyhop process to end and then runs
/// `skyhop deployment recover`: when a deploy or rollback is killed half-way (`kill -9`, a
/// closed terminal), the previous deploy is put back and started without anyone having to
/// run another command. After a normal end there is nothing to recover and it exits.
pub(crate) fn watch_for_kill(project_root: &std::path::Path, name: &str) {
    use std::os::unix::process::CommandExt;
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" deployment recover "$3" --project "$4""#;
    let log = skyhop_deploy::deployments_dir(project_root)
        .join(name)
        .join("recover.log");
    let out = skyhop_deploy::private::open(&log, false).ok();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg("skyhop-watch")
        .arg(std::process::id().to_string())
        .arg(exe)
        .arg(name)
        .arg(project_root)
        .stdin(std::process::Stdio::null())
        .process_group(0);
    match out.and_then(|f| Some((f.try_clone().ok()?, f))) {
        Some((a, b)) => cmd.stdout(a).stderr(b),
        None => cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    };
    let _ = cmd.spawn();
}

/// Orders Runtime labels with the catalog's rules (`3.1-12` above every `13.x.y`).
fn runtime_order(a: &str, b: &str) -> Option<Ordering> {
    Some(
        RuntimeVersion::parse(a)
            .ok()?
            .cmp(&RuntimeVersion::parse(b).ok()?),
    )
}

pub fn deploy(args: DeployArgs) -> CmdResult {
    if let Some(DeploySub::History {
        project,
        deployment,
        astro,
        api,
        json,
    }) = args.sub
    {
        if let Some(id) = astro {
            return super::astro::history(&id, &api, json);
        }
        return history(&project.project, deployment.as_deref(), json);
    }
    if let Some(id) = args.astro.clone() {
        return super::astro::deploy_dags(args, &id);
    }
    let ctx = crate::progress::ctx(false)?;
    let project = load_project(&args.project)?;
    let mut d = open(&project.root, args.deployment.as_deref())?;
    let env = current_env(&ctx, &project)?;
    let parse_ok = if args.force {
        ctx.progress.note("--force: the parse test is skipped");
        false
    } else {
        let report = run_parse(&ctx, &project, &env, None, None, &args.pass_env.pass_env)?;
        if report.has_failures() {
            print!("{}", skyhop_parse::to_text(&report));
            return Err(Failure::findings(
                "deploy refused: DAG files fail to import (above). Fix them, or pass --force to deploy anyway",
            ));
        }
        true
    };
    let req = DeployRequest {
        description: args.description.unwrap_or_default(),
        project_root: project.root.clone(),
        airflow_version: env.pinned.airflow.clone(),
        runtime: env.pinned.runtime.as_ref().map(|r| r.version.to_string()),
        venv: env.venv.root.clone(),
        lock_hash: env.lock.hash(),
        parse_ok,
        forced: args.force,
        health_timeout: DEFAULT_HEALTH_TIMEOUT,
        runtime_order: Some(runtime_order),
    };
    if !rehearsed_and_agreed(&ctx, &d, &req.airflow_version, args.yes)? {
        eprintln!("nothing deployed");
        return Ok(exit::OK);
    }
    watch_for_kill(&project.root, d.config().name.as_str());
    let outcome = d.deploy(&req, &ctx.progress).map_err(deploy_failure)?;
    println!("{}", outcome.message);
    println!(
        "deploy {} {} — {}",
        outcome.record.id,
        outcome.record.status.as_str(),
        outcome.url
    );
    Ok(if outcome.record.status == DeployStatus::Succeeded {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// Before a deploy that raises Airflow on a large metadata database
/// ([`skyhop_dbmigrate::deploy_gate`]): the migration rehearsed on a copy, its time shown, and
/// the user asked (`--yes`: not asked). `true` to deploy.
fn rehearsed_and_agreed(
    ctx: &Ctx,
    d: &skyhop_deploy::Deployment,
    airflow: &str,
    yes: bool,
) -> Result<bool, Failure> {
    let Some(active) = d.active().map_err(Failure::usage)? else {
        return Ok(true);
    };
    let gate = skyhop_dbmigrate::deploy_gate(
        &active.airflow,
        airflow,
        skyhop_dbmigrate::threshold_from_env(),
        || d.metadb().map_err(Failure::usage),
    )?;
    let skyhop_dbmigrate::DeployGate::Rehearse {
        db,
        task_instances: rows,
    } = gate
    else {
        return Ok(true);
    };
    ctx.progress.note(&format!(
        "the metadata database holds about {rows} task instances: rehearsing the migration from Airflow {} to {airflow} on a copy first",
        active.airflow
    ));
    let r =
        skyhop_upgrade::db::rehearse(ctx, db, Some(active.airflow.clone()), airflow, false, None)?;
    let m = &r.migration;
    if !m.ok {
        print!("{}", r.to_markdown());
        return Err(Failure::findings(
            "deploy refused: the metadata-database migration fails on a copy of the database (above); nothing was deployed",
        ));
    }
    println!(
        "Migration rehearsed on a copy: {:.1} s for {rows} task instances (Airflow {} -> {airflow}); Airflow is down for about that long during the deploy. Slowest revisions:",
        m.seconds, active.airflow
    );
    for v in r.slowest(3) {
        println!(
            "  {} ({}): {:.1} s {}",
            v.revision,
            v.airflow_version.as_deref().unwrap_or("?"),
            v.seconds,
            v.description
        );
    }
    if yes {
        return Ok(true);
    }
    if confirm("Deploy now?") {
        return Ok(true);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Ok(false);
    }
    Err(Failure::usage(
        "not a terminal, so nothing was deployed: pass --yes to deploy with this downtime",
    ))
}

fn history(project: &std::path::Path, name: Option<&str>, json: bool) -> CmdResult {
    let d = open(project, name)?;
    let records = d.history().map_err(Failure::usage)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).unwrap_or_default()
        );
        return Ok(exit::OK);
    }
    println!(
        "{:<4} {:<20} {:<10} {:<9} {:<14} {:<10} {:<19} DESCRIPTION",
        "ID", "TIME", "RUNTIME", "AIRFLOW", "CODE", "WHO", "STATUS"
    );
    for r in &records {
        println!("{}", history_row(r));
    }
    Ok(exit::OK)
}

fn history_row(r: &DeployRecord) -> String {
    let what = match &r.kind {
        DeployKind::Deploy => String::new(),
        DeployKind::Rollback { restored } => format!(" (rollback to {restored})"),
    };
    format!(
        "{:<4} {:<20} {:<10} {:<9} {:<14} {:<10} {:<19} {}{}{}",
        r.id,
        r.time.chars().take(19).collect::<String>(),
        r.runtime.as_deref().unwrap_or("-"),
        r.airflow,
        r.code_hash.chars().take(12).collect::<String>(),
        r.who,
        format!("{}{}", r.status.as_str(), if r.active { " *" } else { "" }),
        r.description,
        what,
        if r.forced { " [forced]" } else { "" }
    )
}

pub fn rollback(args: RollbackArgs) -> CmdResult {
    if let Some(id) = &args.astro {
        return super::astro::rollback(&args, id);
    }
    let Some(description) = args.description.clone() else {
        return Err(Failure::usage(
            "--description is required: say why you roll back (it is recorded in the history)",
        ));
    };
    let ctx = crate::progress::ctx(false)?;
    let mut d = open(&args.project.project, args.deployment.as_deref())?;
    let id: i64 = args.deploy_id.trim().parse().map_err(|_| {
        Failure::usage(format!(
            "`{}` is not a deploy id: `skyhop deploy history` lists them",
            args.deploy_id
        ))
    })?;
    let plan = d.plan_rollback(id).map_err(Failure::usage)?;
    println!("{}", plan.text());
    let mut confirmed = args.yes;
    if plan.downgrade && !confirmed {
        confirmed = confirm(skyhop_deploy::RollbackPlan::DOWNGRADE_QUESTION);
        if !confirmed {
            return Err(Failure::usage(
                "rollback not confirmed: nothing changed (pass --yes to confirm from a script)",
            ));
        }
    }
    let req = RollbackRequest {
        deploy_id: id,
        description,
        confirmed,
        venv: None,
        health_timeout: Duration::from_secs(240),
    };
    let root = std::path::absolute(&args.project.project).unwrap_or(args.project.project.clone());
    watch_for_kill(&root, d.config().name.as_str());
    let outcome = d.rollback(&req, &ctx.progress).map_err(deploy_failure)?;
    println!("{}", outcome.message);
    println!("{}", history_row(&outcome.record));
    Ok(if outcome.record.status == DeployStatus::Succeeded {
        exit::OK
    } else {
        exit::FINDINGS
    })
}
