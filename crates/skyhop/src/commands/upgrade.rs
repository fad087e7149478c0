//! `skyhop upgrade`: validate the target, show what crossing to it means, rewrite the base image.

use skyhop_catalog::{RuntimeVersion, Target, UpgradeOptions};
use skyhop_project::{BaseImage, NewBase, Project, unified_diff, write_atomic};

use super::{confirm, load_project};
use crate::cli::UpgradeArgs;
use crate::{CmdResult, Failure, exit};

/// A validated upgrade: the catalog's plan and the Dockerfile rewritten to the target.
pub(super) struct Prepared {
    pub plan: skyhop_catalog::UpgradePlan,
    pub rewrite: skyhop_project::Rewrite,
}

/// Validates the upgrade `args` ask for (refusing downgrades, yanked and partial versions)
/// and rewrites the base image; `None` (said on stderr) when there is nothing to do.
pub(super) fn prepare(args: &UpgradeArgs, project: &Project) -> Result<Option<Prepared>, Failure> {
    let located = project.current_image().map_err(Failure::usage)?;
    let at = format!("Dockerfile:{}", located.line);
    let current =
        current_target(&located.base).map_err(|m| Failure::usage(format!("{at}: {m}")))?;
    let target = match (&args.version.runtime_version, &args.version.airflow_version) {
        (Some(rv), _) => Target::parse_runtime(rv)
            .map_err(|e| Failure::usage(format!("--runtime-version {rv}: {e}")))?,
        (None, Some(av)) => Target::parse_airflow(av)
            .map_err(|e| Failure::usage(format!("--airflow-version {av}: {e}")))?,
        (None, None) => {
            return Err(Failure::usage(
                "say which version to upgrade to: --runtime-version X (e.g. 12.0.0 or 3.1-12) or --airflow-version Y (`skyhop versions` lists them)",
            ));
        }
    };
    let (catalog, _) =
        skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
    let opts = UpgradeOptions::new(args.allow_deprecated);
    let plan = match catalog.check_upgrade(&current, &target, opts) {
        Ok(plan) => plan,
        Err(refusal) if refusal.is_nothing_to_do() => {
            eprintln!("{refusal}");
            return Ok(None);
        }
        Err(refusal) => {
            let hint = if matches!(
                refusal,
                skyhop_catalog::UpgradeRefusal::Airflow3TooEarly { .. }
            ) {
                " (`skyhop upgrade --plan` shows the hops, `--plan --fix` makes them one by one)"
            } else {
                ""
            };
            return Err(Failure::usage(format!("upgrade refused: {refusal}{hint}")));
        }
    };

    // The version written into the tag: a Runtime version for Runtime images, else Airflow's.
    let new = match (&located.base, plan.target_runtime, &target) {
        (BaseImage::ApacheAirflow { .. }, _, Target::Airflow(v)) => NewBase {
            repo: None,
            version: v.to_string(),
        },
        (BaseImage::ApacheAirflow { .. }, _, Target::Runtime(_)) => {
            return Err(Failure::usage(format!(
                "{at}: the project uses apache/airflow; pass --airflow-version (a Runtime version names an Astro Runtime image)"
            )));
        }
        (_, Some(rv), _) => NewBase {
            repo: plan.target_image_repository.map(str::to_string),
            version: rv.to_string(),
        },
        (_, None, Target::Runtime(rv)) => NewBase {
            repo: Some(rv.image_repository().to_string()),
            version: rv.to_string(),
        },
        (_, None, Target::Airflow(v)) => {
            return Err(Failure::usage(format!(
                "no Astro Runtime in the catalog ships Airflow {v}; pass --runtime-version (`skyhop versions` lists them)"
            )));
        }
    };
    let dockerfile = project.dockerfile.as_ref().ok_or_else(|| {
        Failure::usage("the project has no Dockerfile: there is no base image to upgrade")
    })?;
    let rewrite = dockerfile.rewrite_base(&new).map_err(Failure::usage)?;

    Ok(Some(Prepared { plan, rewrite }))
}

pub fn upgrade(args: UpgradeArgs) -> CmdResult {
    if args.fix || args.plan {
        return super::fix::upgrade_fix(args);
    }
    let project = load_project(&args.project)?;
    let Some(Prepared { plan, rewrite }) = prepare(&args, &project)? else {
        return Ok(exit::OK);
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
    if args.dry_run {
        print!("{diff}");
        eprintln!("dry run: nothing written");
        return Ok(exit::OK);
    }
    if !args.yes {
        print!("{diff}");
        if !confirm(&format!("Write {}?", path.display())) {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!("nothing written");
                return Ok(exit::OK);
            }
            return Err(Failure::usage(
                "not a terminal, so nothing was written: pass --yes to write, or --dry-run to only see the diff",
            ));
        }
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

/// The current version as the catalog sees it.
pub(super) fn current_target(base: &BaseImage) -> Result<Target, String> {
    match base {
        BaseImage::AstroRuntime { version, .. } => RuntimeVersion::parse(version)
            .map(Target::Runtime)
            .map_err(|e| e.to_string()),
        BaseImage::ApacheAirflow { version, .. } => {
            Target::parse_airflow(version).map_err(|e| e.to_string())
        }
        BaseImage::LegacyApAirflow { airflow, .. } => {
            Target::parse_airflow(airflow).map_err(|e| e.to_string())
        }
        BaseImage::Custom { image } => Err(format!(
            "unknown base image `{image}`: skyhop cannot tell which Airflow it runs, so it cannot upgrade it. Edit the FROM line yourself."
        )),
    }
}
