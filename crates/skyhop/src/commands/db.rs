//! `db rehearse`, `db seed`: the metadata-database migration, tried on a copy first.

use std::path::Path;

use skyhop_core::Progress;
use skyhop_dbmigrate::MetaDb;
use skyhop_dbmigrate::seed::{SeedSpec, seed};
use skyhop_upgrade::db::{db_venv, failure, rehearse, source_db};

use super::load_project;
use crate::cli::{DbCommand, DbRehearseArgs, DbSeedArgs};
use crate::{CmdResult, Failure, exit};
use skyhop_upgrade::target::{self, Ctx};

pub fn db(cmd: DbCommand) -> CmdResult {
    match cmd {
        DbCommand::Rehearse(a) => db_rehearse(a),
        DbCommand::Seed(a) => db_seed(a),
    }
}

fn db_rehearse(a: DbRehearseArgs) -> CmdResult {
    let ctx = crate::progress::ctx(a.json)?;
    let target = target::from_args(&ctx, &a.version.target())?.ok_or_else(|| {
        Failure::usage("pass the target: --runtime-version X or --airflow-version Y")
    })?;
    // The source, and the version it should be at.
    let (source, from) = match (&a.db_url, &a.deployment) {
        (_, Some(name)) => {
            let root = std::path::absolute(&a.project.project)
                .unwrap_or_else(|_| a.project.project.clone());
            let d = skyhop_deploy::Deployment::open(&root, name).map_err(Failure::usage)?;
            let active = d.active().map_err(Failure::usage)?.ok_or_else(|| {
                Failure::usage(format!(
                    "deployment `{name}` has no active deploy: nothing to rehearse"
                ))
            })?;
            let from = a
                .project
                .from_airflow_version
                .clone()
                .unwrap_or(active.airflow);
            let db = d.metadb().map_err(Failure::usage)?;
            // Unreachable or wrong credentials: said before any environment is built (a
            // --db-url is checked by `source_db`).
            db.query("SELECT 1").map_err(failure)?;
            (db, Some(from))
        }
        (Some(url), None) => {
            let db = source_db(url)?;
            let from = match &a.project.from_airflow_version {
                Some(v) => Some(v.clone()),
                None => project_version(&ctx, &a)?,
            };
            (db, from)
        }
        (None, None) => return Err(Failure::usage("pass --db-url URL or --deployment NAME")),
    };
    if a.estimate {
        return estimate(&source, &target.airflow, a.json);
    }
    let r = rehearse(
        &ctx,
        source,
        from,
        &target.airflow,
        !a.no_rollback,
        a.scratch_dir.clone(),
    )?;
    if let Some(dir) = &a.output {
        let json = r.write_json(dir).map_err(Failure::usage)?;
        let md = r.write_markdown(dir).map_err(Failure::usage)?;
        ctx.progress
            .note(&format!("wrote {} and {}", json.display(), md.display()));
    }
    if a.json {
        let text = serde_json::to_string_pretty(&r).map_err(Failure::usage)?;
        println!("{text}");
    } else {
        print!("{}", r.to_markdown());
    }
    Ok(if r.migration.ok {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// `--estimate`: the built-in fit at the database's size.
fn estimate(source: &MetaDb, target: &str, json: bool) -> CmdResult {
    let rev = skyhop_dbmigrate::rehearse::source_revision(source).map_err(failure)?;
    let n = skyhop_dbmigrate::predict::task_instances(source).map_err(failure)?;
    let fit = skyhop_dbmigrate::predict::builtin(&rev, target).ok_or_else(|| {
        Failure::usage(format!(
            "skyhop has no measurements of a migration from Alembic revision {rev} to Airflow \
             {target}; run the rehearsal itself (without --estimate)"
        ))
    })?;
    let seconds = fit.predict(n);
    if json {
        let v = serde_json::json!({
            "source": source.display(),
            "from_revision": rev,
            "target_airflow": target,
            "task_instances": n,
            "predicted_alembic_seconds": seconds,
            "fit": fit,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(Failure::usage)?
        );
        return Ok(exit::OK);
    }
    println!(
        "{}: about {n} task instances; Airflow {} → {target}: predicted {seconds:.1} s of \
         migrations (fit on skyhop's PostgreSQL measurements at {:?} task instances; your server differs: \
         rehearse on a copy to know)",
        source.display(),
        fit.from_airflow,
        fit.sizes
    );
    for r in fit.steepest(3) {
        println!(
            "  {} ({}): {:.1} s",
            r.revision,
            r.description,
            (r.fixed + r.per_million * n as f64 / 1e6).max(0.0)
        );
    }
    Ok(exit::OK)
}

/// The project's current Airflow version, when `--project` is a project (has a Dockerfile or
/// requirements.txt); `None` otherwise (the database's revision decides).
fn project_version(ctx: &Ctx, a: &DbRehearseArgs) -> Result<Option<String>, Failure> {
    let dir = &a.project.project;
    if !dir.join("Dockerfile").is_file() && !dir.join("requirements.txt").is_file() {
        return Ok(None);
    }
    let project = load_project(&a.project)?;
    Ok(Some(target::current(ctx, &project)?.airflow))
}

fn db_seed(a: DbSeedArgs) -> CmdResult {
    let ctx = crate::progress::ctx(false)?;
    let db = MetaDb::from_url(Some(&a.db_url), Path::new(""))
        .map_err(|e| Failure::usage(format!("--db-url: {e}")))?;
    skyhop_dbmigrate::seed::supported(&a.airflow_version).map_err(failure)?;
    let venv = db_venv(&ctx, &a.airflow_version)?;
    let counts = seed(
        &SeedSpec {
            db: db.clone(),
            airflow_version: a.airflow_version.clone(),
            venv,
            dag_runs: a.dag_runs,
            task_instances: a.task_instances,
        },
        &ctx.progress,
    )
    .map_err(failure)?;
    println!("seeded {} (Airflow {}):", db.display(), a.airflow_version);
    for (table, rows) in &counts {
        println!("  {table}: {rows} rows");
    }
    Ok(exit::OK)
}
