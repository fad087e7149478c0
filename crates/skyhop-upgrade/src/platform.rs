//! The upgrade of a project that runs `apache/airflow` from a Helm values file or a compose
//! file instead of a Dockerfile: validated against the catalog like a base image (downgrades,
//! yanked and partial versions refused) and the version rewritten where those files write it,
//! only those bytes. Also the notes each platform's upgrade needs (the chart's forward-only
//! migration job).

use skyhop_catalog::{Target, UpgradeOptions};
use skyhop_project::{Deployment, FileRewrite, Platform, Project};

use crate::{Failure, TargetArgs};

/// A validated upgrade of a Helm / compose deployment (or an MWAA requirements file).
pub struct PlatformPrepared {
    pub plan: skyhop_catalog::UpgradePlan,
    /// The platform and the file the version was read from.
    pub detected: skyhop_project::Detected,
    /// The files to write (files where nothing changes are left out).
    pub rewrites: Vec<FileRewrite>,
    /// What the user should know before writing: the reader's notes and the platform's.
    pub notes: Vec<String>,
}

/// What [`prepare`] found.
pub enum PlatformPrepare {
    Ready(Box<PlatformPrepared>),
    /// Already at the target; the catalog's words.
    NothingToDo(String),
}

/// The upgrade of the project's Helm values / compose file(s) to the version `version` asks
/// for, or `None` when the project has none (or has a Dockerfile and no `--platform helm|compose`).
pub fn prepare(
    version: &TargetArgs,
    allow_deprecated: bool,
    project: &Project,
) -> Result<Option<PlatformPrepare>, Failure> {
    let Some(deployment) = project.deployment() else {
        return Ok(None);
    };
    let first = deployment.sites.first().ok_or_else(|| {
        Failure::usage(format!(
            "{}: no Airflow version written there, so there is nothing to upgrade",
            deployment.file
        ))
    })?;
    let at = format!("{}:{}", first.file, first.line);
    let current =
        Target::parse_airflow(&first.version).map_err(|e| Failure::usage(format!("{at}: {e}")))?;
    let target = crate::base::parse_target(version)?;
    let new_version = match &target {
        Target::Airflow(v) => v.to_string(),
        Target::Runtime(_) => {
            return Err(Failure::usage(format!(
                "{at}: {} runs apache/airflow; pass --airflow-version (a Runtime version names an Astro Runtime image)",
                deployment.platform.title()
            )));
        }
    };
    let (catalog, _) =
        skyhop_catalog::Catalog::load(&skyhop_core::cache_dir(), skyhop_catalog::Refresh::Auto);
    let plan = match catalog.check_upgrade(&current, &target, UpgradeOptions::new(allow_deprecated))
    {
        Ok(plan) => plan,
        Err(refusal) if refusal.is_nothing_to_do() => {
            return Ok(Some(PlatformPrepare::NothingToDo(refusal.to_string())));
        }
        Err(refusal) => {
            return Err(Failure::usage(format!("upgrade refused: {refusal}")));
        }
    };
    let mut notes = deployment.notes.clone();
    notes.extend(upgrade_notes(&deployment, &first.version, &new_version));
    let rewrites = deployment.rewrite(&new_version);
    Ok(Some(PlatformPrepare::Ready(Box::new(PlatformPrepared {
        plan,
        detected: deployment.detected(),
        rewrites,
        notes,
    }))))
}

/// The chart's migration job only goes forward; what that means for a rollback, and the
/// command that rehearses it. `from` and `to` are Airflow versions.
pub fn helm_migration_note(from: &str, to: &str) -> String {
    format!(
        "the Helm chart's migration job (`run-airflow-migrations`, `airflow db migrate` on install and upgrade) only migrates forward: `helm rollback` brings back the Airflow {from} image but leaves the metadata database at Airflow {to}'s schema, which the old version cannot run on (apache/airflow#68072). Rehearse the migration and its downgrade on a copy first: `skyhop db rehearse --db-url URL --from-airflow-version {from} --airflow-version {to}`, and keep its rollback plan (`airflow db downgrade` with the old version's revision before `helm rollback`)"
    )
}

/// Notes for an upgrade of `deployment` from `from` to `to`.
pub fn upgrade_notes(deployment: &Deployment, from: &str, to: &str) -> Vec<String> {
    let mut notes = Vec::new();
    match deployment.platform {
        Platform::Helm => notes.push(helm_migration_note(from, to)),
        Platform::Compose => {
            notes.push(format!(
                "docker-compose runs `airflow db migrate` in `airflow-init` (`_AIRFLOW_DB_MIGRATE`) when the new image starts: going back to Airflow {from} afterwards needs `airflow db downgrade` first; `skyhop db rehearse --db-url URL --from-airflow-version {from} --airflow-version {to}` tries both on a copy"
            ));
            if !deployment.requirements.is_empty() {
                notes.push(format!(
                    "{}: `_PIP_ADDITIONAL_REQUIREMENTS` installs {} at every start; its pins are not upgraded by this command (`skyhop upgrade-test` tests them with Airflow {to})",
                    deployment.file,
                    deployment.requirements.join(" ")
                ));
            }
        }
        _ => {}
    }
    notes
}

/// The notes that say which platform was modelled and from which file, for the report (and
/// what modelling that platform leaves to the user).
pub fn modelled_note(project: &Project, from: &str, to: &str) -> Vec<String> {
    let Some(d) = project.detect_platform() else {
        return Vec::new();
    };
    let mut notes = vec![format!("platform modelled: {}", d.describe())];
    if let Some(dep) = project.deployment() {
        notes.extend(upgrade_notes(&dep, from, to));
    }
    match d.platform {
        Platform::Composer => notes.push(
            "Cloud Composer: its preinstalled packages are not public data, so both environments are resolved as the upstream Airflow with the project's requirements; for the exact sets pass `pip freeze` output taken inside the environments as --current-freeze FILE / --target-freeze FILE".into(),
        ),
        Platform::Mwaa => {
            notes.push(
                "Amazon MWAA: modelled as MWAA's image (Airflow with the packages its bootstrap installs, and requirements.txt, installed with Airflow's constraints) where the constraints are embedded; startup.sh, plugins.zip and MWAA's own Python packages are not run or installed".into(),
            );
            notes.extend(crate::mwaa::startup_note(project));
        }
        _ => {}
    }
    notes
}

/// The current version of a project whose Helm values or compose file runs `apache/airflow`:
/// that image (its Python, its default extras' providers unless `slim-`), with a note naming
/// the file. `None` when the project has no such file (or has a Dockerfile).
pub fn current(ctx: &crate::Ctx, project: &Project) -> Result<Option<crate::Pinned>, Failure> {
    let Some(d) = project.deployment() else {
        return Ok(None);
    };
    let Some(site) = d.sites.first() else {
        return Ok(None);
    };
    let mut pinned = crate::target::airflow(ctx, &site.version)
        .map_err(|f| Failure::usage(format!("{}:{}: {}", site.file, site.line, f.message)))?;
    if let Some(py) = &site.python {
        pinned.python = py.clone();
    }
    if d.custom_image.is_none() {
        crate::target::apache_image(ctx, &mut pinned, site.slim);
    }
    pinned.image = Some(match &d.custom_image {
        Some(image) => image.clone(),
        None => format!(
            "apache/airflow:{}{}{}",
            if site.slim { "slim-" } else { "" },
            site.version,
            site.python
                .as_deref()
                .map(|p| format!("-python{p}"))
                .unwrap_or_default()
        ),
    });
    pinned.notes.extend(d.notes.iter().cloned());
    Ok(Some(pinned))
}

/// What the Helm values / compose file installs when the containers start
/// (`_PIP_ADDITIONAL_REQUIREMENTS`), as requirements naming the file.
pub fn start_requirements(project: &Project) -> Vec<skyhop_core::Requirement> {
    let Some(d) = project.deployment() else {
        return Vec::new();
    };
    let (file, line) = d.requirements_at.clone().unwrap_or((d.file.clone(), 0));
    d.requirements
        .iter()
        .map(|r| skyhop_core::Requirement {
            name: skyhop_core::normalize_name(
                r.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .next()
                    .unwrap_or(""),
            ),
            requirement: r.clone(),
            file: file.clone(),
            line,
            ..Default::default()
        })
        .collect()
}
