//! `skyhop upgrade`: validate the target, show what crossing to it means, rewrite the base image.

use skyhop_project::{Project, unified_diff, write_atomic};
use skyhop_upgrade::base::{Prepare, prepare};
use skyhop_upgrade::platform::PlatformPrepare;
use skyhop_upgrade::scope::{self, Scope};
use skyhop_upgrade::{TargetArgs, target};

use super::{Consent, load_project};
use crate::cli::{ScopeArg, ToArg, UpgradeArgs, VersionArgs};
use crate::progress::ctx;
use crate::{CmdResult, Failure, exit};

pub fn upgrade(args: UpgradeArgs) -> CmdResult {
    if args.providers {
        return super::providers::upgrade_providers(args);
    }
    let project = load_project(&args.project)?;
    let Some(target) = scoped_target(
        &project,
        &args.version,
        args.to,
        args.max_scope,
        args.allow_deprecated,
        "nothing to do",
        None,
    )?
    else {
        return Ok(exit::OK);
    };
    let elsewhere = match project.deployment() {
        Some(d) => Some((d.file.clone(), d.platform)),
        None if skyhop_upgrade::mwaa::is_mwaa(&project) => Some((
            "requirements.txt".to_string(),
            skyhop_project::Platform::Mwaa,
        )),
        None => None,
    };
    if args.plan
        && project.dockerfile.is_none()
        && let Some((file, platform)) = elsewhere
    {
        // The hop-by-hop plan upgrades a Dockerfile; here the version lives in another file.
        return Err(Failure::usage(format!(
            "{file}: --plan works on a Dockerfile; for {} run `skyhop upgrade --airflow-version V --fix` one version at a time",
            platform.title(),
        )));
    }
    // --fix on a Helm / compose / MWAA project: that file rewritten (below), then the DAGs
    // fixed as `skyhop check --fix` does.
    let fix_elsewhere = args.fix && project.dockerfile.is_none() && elsewhere.is_some();
    if (args.fix && !fix_elsewhere) || args.plan {
        return super::fix::upgrade_fix(args, target);
    }
    // No Dockerfile: the Helm values or compose file that runs apache/airflow.
    if let Some(prepared) =
        skyhop_upgrade::platform::prepare(&target, args.allow_deprecated, &project)?
    {
        return upgrade_platform(&args, &project, prepared);
    }
    // MWAA: the `--constraint` URL of requirements.txt.
    if let Some(prepared) = skyhop_upgrade::mwaa::prepare(&target, args.allow_deprecated, &project)?
    {
        return upgrade_platform(&args, &project, prepared);
    }
    let (plan, rewrite) = match prepare(&target, args.allow_deprecated, &project)? {
        Prepare::Ready(p) => (p.plan, p.rewrite),
        Prepare::NothingToDo(why) => {
            eprintln!("{why}");
            return Ok(exit::OK);
        }
    };
    let Some(dockerfile) = project.dockerfile.as_ref() else {
        return Ok(exit::OK);
    };

    eprint!("{}", plan.render());
    for note in &rewrite.notes {
        eprintln!("note: {note}");
    }
    let path = project.dockerfile_path();
    let diff = unified_diff(dockerfile.text(), &rewrite.text, "Dockerfile");
    let consent = Consent {
        dry: args.dry_run,
        yes: args.yes,
        dry_flag: "--dry-run",
    };
    if !consent.ask(&diff, &format!("Write {}?", path.display()))? {
        return Ok(exit::OK);
    }
    write_atomic(&path, rewrite.text.as_bytes())
        .map_err(|e| Failure::usage(format!("{}: cannot write: {e}", path.display())))?;
    for c in &rewrite.changes {
        eprintln!("Dockerfile:{}: {} -> {}", c.line, c.before, c.after);
    }
    eprintln!(
        "upgraded {}: next, run `skyhop upgrade-test` if you have not, then deploy",
        path.display()
    );
    Ok(exit::OK)
}

/// `skyhop upgrade` of a Helm values / compose file: the plan, the notes (the chart's
/// forward-only migration job), the diff of every file, then each written atomically.
fn upgrade_platform(args: &UpgradeArgs, project: &Project, prepared: PlatformPrepare) -> CmdResult {
    let p = match prepared {
        PlatformPrepare::Ready(p) => p,
        PlatformPrepare::NothingToDo(why) => {
            eprintln!("{why}");
            return Ok(exit::OK);
        }
    };
    eprint!("{}", p.plan.render());
    eprintln!("Platform: {}", p.detected.describe());
    for note in &p.notes {
        eprintln!("note: {note}");
    }
    if p.rewrites.is_empty() {
        eprintln!(
            "nothing to write: every version in {} is already the target",
            p.detected.file.as_deref().unwrap_or("the project")
        );
        if args.fix {
            return fix_dags(args, args.diff);
        }
        return Ok(exit::OK);
    }
    let diff: String = p
        .rewrites
        .iter()
        .map(|r| unified_diff(&r.before, &r.text, &r.file))
        .collect();
    let consent = Consent {
        dry: args.dry_run || args.diff,
        yes: args.yes,
        dry_flag: if args.diff { "--diff" } else { "--dry-run" },
    };
    let files: Vec<&str> = p.rewrites.iter().map(|r| r.file.as_str()).collect();
    if !consent.ask(&diff, &format!("Write {}?", files.join(", ")))? {
        return match args.fix && args.diff {
            true => fix_dags(args, true),
            false => Ok(exit::OK),
        };
    }
    for r in &p.rewrites {
        let path = project.root.join(&r.file);
        write_atomic(&path, r.text.as_bytes())
            .map_err(|e| Failure::usage(format!("{}: cannot write: {e}", path.display())))?;
        for (line, key, before, after) in &r.changes {
            eprintln!("{}:{line}: {key}: {before} -> {after}", r.file);
        }
    }
    eprintln!(
        "upgraded {}: next, run `skyhop upgrade-test` if you have not, then deploy",
        files.join(", ")
    );
    if args.fix {
        return fix_dags(args, false);
    }
    Ok(exit::OK)
}

/// The DAGs fixed for the target as `skyhop check --fix` does (`diff`: shown, not written).
fn fix_dags(args: &UpgradeArgs, diff: bool) -> CmdResult {
    eprintln!("fixing the DAGs for the target (as `skyhop check --fix`)");
    super::lint::check(crate::cli::CheckArgs {
        paths: Vec::new(),
        project: args.project.clone(),
        version: args.version.clone(),
        to: None,
        target_freeze: None,
        format: crate::cli::CheckFormat::Text,
        fix: true,
        diff,
        no_env: false,
        allow_no_env: false,
    })
}

/// The version to upgrade (or test the upgrade) to: named (`--runtime-version`,
/// `--airflow-version`) or picked by `--to`, and within `--max-scope`. `None` (said on stderr)
/// when there is nothing to do (`when_newest` says what follows from that).
pub(super) fn scoped_target(
    project: &Project,
    version: &VersionArgs,
    to: Option<ToArg>,
    max_scope: Option<ScopeArg>,
    allow_deprecated: bool,
    when_newest: &str,
    current: Option<&target::Pinned>,
) -> Result<Option<TargetArgs>, Failure> {
    if to.is_none() && max_scope.is_none() {
        return Ok(Some(version.target()));
    }
    let ctx = ctx(true)?;
    let current = match current {
        Some(pinned) => pinned.clone(),
        None => target::current(&ctx, project)?,
    };
    let max: Option<Scope> = max_scope.map(Into::into);
    let Some(to) = to else {
        // A version given by hand: refused when it goes further than --max-scope.
        let Some(new) = target::from_args(&ctx, &version.target())? else {
            return Ok(Some(version.target()));
        };
        if let Some(max) = max {
            scope::check(&current, &new, max)?;
        }
        return Ok(Some(version.target()));
    };
    // a Helm / compose / MWAA project has no base image to read a digest from
    let located = match project.dockerfile {
        None if target::current(&ctx, project).is_ok() => None,
        _ => Some(project.current_image().map_err(Failure::usage)?),
    };
    let within = match max {
        Some(m) => format!(" within --max-scope {}", m.as_str()),
        None => String::new(),
    };
    let to_name = skyhop_upgrade::scope::To::from(to).as_str();
    let picked = match scope::pick(&ctx.catalog, &current, to.into(), max, allow_deprecated) {
        scope::Pick::To(t) => t,
        scope::Pick::Newest => {
            eprintln!(
                "--to {to_name}: {} is the newest version in scope{within}; {when_newest}",
                current.describe()
            );
            return Ok(None);
        }
        scope::Pick::OnlyDeprecated(v) => {
            return Err(Failure::usage(format!(
                "--to {to_name}: every newer version in scope{within} is past end of maintenance (the newest is {v}); pass --allow-deprecated to upgrade to it anyway, or widen the scope (`--to latest`)"
            )));
        }
    };
    let name = picked
        .runtime_version
        .clone()
        .or_else(|| picked.airflow_version.clone())
        .unwrap_or_default();
    if let Some(located) = &located
        && located.image.contains('@')
    {
        eprintln!(
            "Dockerfile:{}: `{}` is pinned by digest, so skyhop does not bump it: the newest version in scope{within} is {name}. Pin that image's digest yourself, or drop the digest and run this again.",
            located.line, located.image
        );
        return Ok(None);
    }
    eprintln!("--to {to_name}: {} -> {name}", current.label);
    Ok(Some(picked))
}
