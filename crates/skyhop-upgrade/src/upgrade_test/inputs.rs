//! What `upgrade-test` runs besides its main line: the target picked by `--to latest`, the
//! packages the image installs that skyhop's environment lacks, the current side's parse
//! test, environments' locks, the catalog's findings and the static check.

use super::*;

/// The latest stable version of the project's kind (Runtime or Airflow).
pub(super) fn latest_for(ctx: &Ctx, current: &Pinned) -> Result<Pinned, Failure> {
    match &current.runtime {
        Some(_) => {
            let info = ctx.catalog.latest_runtime(false).ok_or_else(|| {
                Failure::usage("the catalog has no current Runtime version: pass --runtime-version")
            })?;
            target::runtime(ctx, &info.version)
        }
        None => {
            let info = ctx.catalog.latest_airflow().ok_or_else(|| {
                Failure::usage("the catalog has no Airflow version: pass --airflow-version")
            })?;
            target::airflow(ctx, &info.version.to_string())
        }
    }
}

/// The packages requirements.txt names.
pub(super) fn requirement_names(project: &Project) -> Vec<String> {
    project
        .requirements
        .iter()
        .flat_map(|r| r.requirements().iter().map(|r| r.normalized.clone()))
        .collect()
}

/// Packages the target's test environment lacks, with why: requirements left out (SKY502),
/// versions without a wheel that could not be built, packages the venv could not install.
pub(super) fn missing_packages(
    env: &Env,
    new: &Pinned,
    project: &Project,
) -> Vec<classify::Missing> {
    let layering = &env.lock.provenance.layering;
    let mut out: Vec<classify::Missing> = layering
        .left_out
        .iter()
        .map(|r| classify::Missing {
            package: r.name.clone(),
            why: format!(
                "{}:{} `{}` cannot be installed on {}, see SKY502",
                r.file,
                r.line,
                r.requirement,
                new.describe()
            ),
        })
        .collect();
    out.extend(layering.unreachable.iter().map(|r| classify::Missing {
        package: r.name.clone(),
        why: format!(
            "{}:{} installs it, and skyhop could not: {}",
            r.file,
            r.line,
            r.why.first().cloned().unwrap_or_default()
        ),
    }));
    out.extend(env.venv.left_out.iter().map(|p| {
        classify::Missing {
            package: p.clone(),
            why:
                "skyhop could not install it here (no wheel, and it does not build on this machine)"
                    .into(),
        }
    }));
    out.extend(dockerfile_missing(project));
    out
}

/// What the Dockerfile installs from paths skyhop cannot trace to the project.
pub(super) fn dockerfile_missing(project: &Project) -> Vec<classify::Missing> {
    envs::dockerfile_missing(project)
        .into_iter()
        .map(|(package, why)| classify::Missing { package, why })
        .collect()
}

/// The current version's parse results for `files` (relative paths), when its environment can
/// be had; `None` (with a note) when not. What its install left out or substituted, and why it
/// could not be had, go to `notes` (the report's, not only the console).
pub(super) fn parse_current(
    ctx: &Ctx,
    project: &Project,
    current: &Pinned,
    lock: Option<&Lock>,
    files: &[String],
    args: &Options,
    notes: &mut Vec<String>,
) -> Option<(skyhop_parse::ParseReport, Vec<classify::Missing>)> {
    let lock = lock?;
    // Only files the current version loads at all: one its .airflowignore hides today fails
    // because of the upgrade, not before it.
    let loaded: Vec<std::path::PathBuf> = crate::settings::dag_files(project, &current.airflow)
        .dag_files
        .into_iter()
        .map(|f| f.path)
        .collect();
    let files: Vec<String> = files
        .iter()
        .filter(|f| loaded.contains(&project.root.join(f)))
        .cloned()
        .collect();
    if files.is_empty() {
        return None;
    }
    let files = &files[..];
    let mut run = || -> Result<(skyhop_parse::ParseReport, Vec<classify::Missing>), Failure> {
        let env = lint::installed(
            ctx,
            project,
            current.clone(),
            lock.clone(),
            args.index_url.as_deref(),
        )?;
        for n in &env.venv.notes {
            if !notes.iter().any(|x| x.ends_with(n.as_str())) {
                notes.push(format!("{} (current): {n}", current.label));
            }
        }
        let report = lint::run_parse_of(
            ctx,
            project,
            &env,
            Some(files),
            args.jobs,
            None,
            &args.pass_env,
        )?;
        Ok((report, missing_packages(&env, current, project)))
    };
    match run() {
        Ok(r) => Some(r),
        Err(f) => {
            let note = format!(
                "the files failing under the target were not parsed under {} ({}): pre-existing failures cannot be told apart",
                current.describe(),
                f.message
            );
            ctx.progress.note(&note);
            notes.push(note);
            None
        }
    }
}

/// Resolves (or reads from Docker) one end.
pub(super) fn env_lock(
    ctx: &Ctx,
    pinned: &Pinned,
    project: &Project,
    backend: &Backend,
    index_url: Option<&str>,
) -> Result<Lock, Failure> {
    envs::lock(ctx, pinned, Some(project), *backend, index_url)
}

/// `requirements.txt changes 2 packages of Runtime 3.1-12: ...`, when it changes any.
pub(super) fn changed_note(pinned: &Pinned, lock: &Lock) -> Option<String> {
    let changed = &lock.provenance.layering.changed;
    if changed.is_empty() {
        return None;
    }
    let list: Vec<String> = changed
        .iter()
        .map(|(n, from, to)| format!("{n} {from} -> {to}"))
        .collect();
    Some(format!(
        "changed by requirements.txt: installing the project's requirements on {} changes {} of its packages, as pip does in the image: {}",
        pinned.describe(),
        changed.len(),
        list.join(", ")
    ))
}

pub(super) fn join<T>(
    h: std::thread::ScopedJoinHandle<'_, Result<T, Failure>>,
) -> Result<T, Failure> {
    h.join()
        .unwrap_or_else(|_| Err(Failure::env("a resolution thread panicked")))
}

/// Catalog facts as findings and considerations; returns (considerations, is_downgrade).
pub(super) fn catalog_findings(
    ctx: &Ctx,
    current: &Pinned,
    new: &Pinned,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) -> (Vec<Consideration>, bool) {
    let opts = UpgradeOptions::new(false);
    let cmp = ctx.catalog.compare(&current.target, &new.target);
    let mut out = Vec::new();
    let mut push_plan = |plan: &skyhop_catalog::UpgradePlan, out: &mut Vec<Consideration>| {
        for c in &plan.considerations {
            let title = format!(
                "{} ({}): {}",
                ctx.catalog.line_title(c.line),
                c.kind,
                c.title
            );
            if !out.iter().any(|o: &Consideration| o.title == title) {
                out.push(Consideration {
                    title,
                    text: c.text.clone(),
                });
            }
        }
        notes.extend(plan.notes.iter().cloned());
    };
    let catalog = |message: String, severity: Severity, replacement: Option<String>| Finding {
        path: "Dockerfile".into(),
        line: 0,
        column: 0,
        rule: "SKY601".into(),
        severity,
        message,
        replacement,
        source: Source::Catalog,
        related: Vec::new(),
        facts: Default::default(),
    };
    match ctx
        .catalog
        .check_upgrade(&current.target, &new.target, opts)
    {
        Ok(plan) => push_plan(&plan, &mut out),
        Err(UpgradeRefusal::Airflow3TooEarly { bridge, reason, .. }) => {
            findings.push(catalog(
                format!(
                    "{} cannot be upgraded straight to {}: {reason} `skyhop upgrade` refuses it; upgrade to {bridge} first",
                    current.describe(),
                    new.describe()
                ),
                Severity::Warning,
                Some(bridge.clone()),
            ));
            if let Ok(b) = RuntimeVersion::parse(&bridge) {
                let b = Target::Runtime(b);
                for (from, to) in [(&current.target, &b), (&b, &new.target)] {
                    if let Ok(plan) = ctx
                        .catalog
                        .check_upgrade(from, to, UpgradeOptions::new(true))
                    {
                        push_plan(&plan, &mut out);
                    }
                }
            }
        }
        Err(UpgradeRefusal::Downgrade { .. }) => {
            findings.push(catalog(
                format!(
                    "this is a downgrade ({} -> {}): `skyhop upgrade` refuses it; the way down is `skyhop rollback` to an earlier deploy, which also downgrades the metadata database",
                    current.describe(),
                    new.describe()
                ),
                Severity::Warning,
                None,
            ));
        }
        Err(r @ UpgradeRefusal::Yanked { .. }) => {
            findings.push(catalog(r.to_string(), Severity::Error, None));
        }
        Err(r @ UpgradeRefusal::Deprecated { .. }) => {
            findings.push(catalog(r.to_string(), Severity::Warning, None));
            if let Ok(plan) =
                ctx.catalog
                    .check_upgrade(&current.target, &new.target, UpgradeOptions::new(true))
            {
                push_plan(&plan, &mut out);
            }
        }
        Err(r) => notes.push(r.to_string()),
    }
    (out, cmp.is_downgrade)
}

/// The static check against the target's index.
pub(super) fn run_lint(
    ctx: &Ctx,
    project: &Project,
    env: Option<&Env>,
    current: &Pinned,
    new: &Pinned,
) -> (Result<Vec<Finding>, Failure>, u64) {
    timed(|| {
        let env = env.ok_or_else(|| Failure::env("no target environment"))?;
        let index = lint::build_index(ctx, env)?;
        let (files, mut problems) = lint::check_files(project, &[], &new.airflow);
        problems.extend(settings::config_problems(project));
        problems.extend(settings::discovery_changes(
            project,
            &current.airflow,
            &new.airflow,
        ));
        let opts = lint::check_options(project, &new.airflow, Some(current));
        problems.extend(skyhop_check::check(
            &files,
            &project.root,
            Some(&index),
            &opts,
        ));
        Ok(problems)
    })
}
