//! The base-image upgrade: the target validated against the catalog (downgrades, yanked and
//! partial versions refused) and the Dockerfile's `FROM` rewritten, only the tag.

use skyhop_catalog::{RuntimeVersion, Target, UpgradeOptions};
use skyhop_project::{BaseImage, NewBase, Project};

use crate::{Failure, TargetArgs};

/// What [`prepare`] found: an upgrade to make, or why there is none.
pub enum Prepare {
    Ready(Box<Prepared>),
    /// Already at the target; the catalog's words.
    NothingToDo(String),
}

/// A validated upgrade: the catalog's plan and the Dockerfile rewritten to the target.
pub struct Prepared {
    pub plan: skyhop_catalog::UpgradePlan,
    pub rewrite: skyhop_project::Rewrite,
}

/// Validates the upgrade `args` ask for (refusing downgrades, yanked and partial versions)
/// and rewrites the base image, or says why there is nothing to do.
pub fn prepare(
    version: &TargetArgs,
    allow_deprecated: bool,
    project: &Project,
) -> Result<Prepare, Failure> {
    let located = project.current_image().map_err(Failure::usage)?;
    let at = format!("Dockerfile:{}", located.line);
    let current =
        current_target(&located.base).map_err(|m| Failure::usage(format!("{at}: {m}")))?;
    let target = parse_target(version)?;
    let (catalog, _) =
        skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
    let opts = UpgradeOptions::new(allow_deprecated);
    let plan = match catalog.check_upgrade(&current, &target, opts) {
        Ok(plan) => plan,
        Err(refusal) if refusal.is_nothing_to_do() => {
            return Ok(Prepare::NothingToDo(refusal.to_string()));
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

    Ok(Prepare::Ready(Box::new(Prepared { plan, rewrite })))
}

/// The current version as the catalog sees it.
pub fn current_target(base: &BaseImage) -> Result<Target, String> {
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

/// The version asked for, parsed; neither given is a usage error.
pub fn parse_target(version: &TargetArgs) -> Result<Target, Failure> {
    match (&version.runtime_version, &version.airflow_version) {
        (Some(rv), _) => Target::parse_runtime(rv)
            .map_err(|e| Failure::usage(format!("--runtime-version {rv}: {e}"))),
        (None, Some(av)) => Target::parse_airflow(av)
            .map_err(|e| Failure::usage(format!("--airflow-version {av}: {e}"))),
        (None, None) => Err(Failure::usage(
            "say which version to upgrade to: --runtime-version X (e.g. 12.0.0 or 3.1-12), --airflow-version Y (`skyhop versions` lists them) or --to patch|latest-minor|latest",
        )),
    }
}
