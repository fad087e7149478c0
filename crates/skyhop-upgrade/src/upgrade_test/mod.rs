//! `skyhop upgrade-test`: both environments, the dependency compare, the static check and the
//! parse test, joined into `upgrade-test-<current>--<new>/`. Never touches the project.

use std::path::PathBuf;
use std::time::Instant;

use skyhop_catalog::{RuntimeVersion, Target, UpgradeOptions, UpgradeRefusal};
use skyhop_core::{Finding, Lock, Progress, Severity, Source};
use skyhop_project::{NewBase, Project};
use skyhop_report::{Consideration, EnvMeta, FileStatus, ReportData, TestStatus, TestSummary};

use crate::classify;
use crate::envs;
use crate::settings;
use crate::steps::{self as lint, Env};
use crate::target::{self, Ctx, Pinned};
use crate::{Backend, Failure, TargetArgs, exit};

mod inputs;
mod summaries;
use inputs::*;
use summaries::*;

/// What `skyhop upgrade-test` was asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The target version (neither: the latest stable of the project's kind).
    pub target: TargetArgs,
    /// Test against this image instead (`quay.io/astronomer/astro-runtime:12.0.0`).
    pub image_name: Option<String>,
    /// `pip freeze` files to use instead of resolving an end.
    pub current_freeze: Option<PathBuf>,
    pub target_freeze: Option<PathBuf>,
    pub backend: Backend,
    /// Extra package index for packages not on PyPI.
    pub index_url: Option<String>,
    /// Which tests run (none set: all, like the Astro CLI).
    pub version_test: bool,
    pub dag_test: bool,
    pub lint_test: bool,
    /// Where `upgrade-test-<current>--<new>/` goes (default: the project directory).
    pub output: Option<PathBuf>,
    /// Parallel DAG parse workers (default: number of cores).
    pub jobs: Option<usize>,
    /// Variables of the caller's environment handed to DAG code.
    pub pass_env: Vec<String>,
    /// A copy of this metadata database (only read) gets the target's migration, rehearsed.
    pub db_url: Option<String>,
    /// The current version as given (what an Astro Deployment runs) instead of the
    /// Dockerfile's.
    pub current: Option<Pinned>,
}

/// Both ends of the test, pinned down (and read from `pip freeze` files when given).
pub struct Ends {
    pub current: Pinned,
    pub new: Pinned,
    current_freeze: Option<Lock>,
    target_freeze: Option<Lock>,
}

/// What the test found, written to [`Outcome::out_dir`].
pub struct Outcome {
    pub data: ReportData,
    pub out_dir: PathBuf,
    /// The exit code of the verdict: 0 safe, 1 needs changes, 3 blocked.
    pub code: u8,
}

/// Which tests run: all when no flag was given, like the Astro CLI.
struct Tests {
    version: bool,
    dag: bool,
    lint: bool,
}

/// Pins both ends: the project's current version (or `current_freeze`) and the target (the
/// image, the version asked for, or the latest stable of the project's kind).
pub fn ends(ctx: &Ctx, project: &Project, args: &Options) -> Result<Ends, Failure> {
    let (current, current_freeze) = match &args.current_freeze {
        Some(path) => {
            let lock = envs::freeze(path)?;
            (target::from_freeze(&lock, path)?, Some(lock))
        }
        None => match &args.current {
            Some(pinned) => (pinned.clone(), None),
            None => (target::current(ctx, project)?, None),
        },
    };
    let (new, target_freeze) = match (&args.target_freeze, &args.image_name) {
        (Some(path), _) => {
            let lock = envs::freeze(path)?;
            (target::from_freeze(&lock, path)?, Some(lock))
        }
        (None, Some(image)) => (target::image(ctx, image)?, None),
        (None, None) => match target::from_args(ctx, &args.target)? {
            Some(p) => (p, None),
            None => (latest_for(ctx, &current)?, None),
        },
    };
    // An `apache/airflow` project tested against another Airflow version: the same image
    // family, so the same providers.
    let mut new = new;
    if new.runtime.is_none()
        && target_freeze.is_none()
        && args.image_name.is_none()
        && crate::mwaa::is_mwaa(project)
    {
        // MWAA's image of the target version, as for the current one
        crate::mwaa::image(ctx, &mut new);
    } else if new.runtime.is_none()
        && new.image_packages.is_empty()
        && !current.image_packages.is_empty()
    {
        target::apache_image(ctx, &mut new, false);
    }
    Ok(Ends {
        current,
        new,
        current_freeze,
        target_freeze,
    })
}

/// Runs the tests between the [`Ends`] and writes the report folder.
pub fn run(ctx: &Ctx, project: &Project, args: &Options, ends: Ends) -> Result<Outcome, Failure> {
    let Ends {
        current,
        new,
        current_freeze,
        target_freeze,
    } = ends;
    // A database to rehearse on: reachable, or nothing else is done.
    let db_source = args
        .db_url
        .as_deref()
        .map(crate::db::source_db)
        .transpose()?;
    let tests = if args.version_test || args.dag_test || args.lint_test {
        Tests {
            version: args.version_test,
            dag: args.dag_test,
            lint: args.lint_test,
        }
    } else {
        Tests {
            version: true,
            dag: true,
            lint: true,
        }
    };
    let dir_name = format!("upgrade-test-{}--{}", current.label, new.label);
    let out_dir = args
        .output
        .clone()
        .unwrap_or_else(|| project.root.clone())
        .join(&dir_name);

    let mut findings: Vec<Finding> = Vec::new();
    let mut notes: Vec<String> = ctx.catalog_notes.clone();
    notes.extend(current.notes.iter().chain(&new.notes).cloned());
    notes.extend(crate::platform::modelled_note(
        project,
        &current.airflow,
        &new.airflow,
    ));
    let mut summaries: Vec<TestSummary> = Vec::new();

    // 2. What the catalog knows about this crossing.
    let (considerations, is_downgrade) =
        catalog_findings(ctx, &current, &new, &mut findings, &mut notes);

    // 3. Both environments, concurrently.
    let t_env = Instant::now();
    let (cur_lock, new_lock) = std::thread::scope(|s| {
        let cur = s.spawn(|| match current_freeze.clone() {
            Some(lock) => Ok(lock),
            None => env_lock(
                ctx,
                &current,
                project,
                &args.backend,
                args.index_url.as_deref(),
            ),
        });
        let new_l = s.spawn(|| match target_freeze.clone() {
            Some(lock) => Ok(lock),
            None => env_lock(ctx, &new, project, &args.backend, args.index_url.as_deref()),
        });
        (join(cur), join(new_l))
    });
    let env_ms = t_env.elapsed().as_millis() as u64;
    let mut blocked: Option<String> = None;
    let cur_lock = match cur_lock {
        Ok(lock) => Some(lock),
        Err(f) => {
            notes.push(format!("current environment: {}", f.message));
            None
        }
    };
    // Without the project's requirements when even they cannot be resolved on the target:
    // the check and the parse test still run against the image itself.
    let mut without_requirements = false;
    let new_lock = match new_lock {
        Ok(lock) => Some(lock),
        Err(f) if args.backend == Backend::Uv && target_freeze.is_none() => {
            match envs::lock(ctx, &new, None, Backend::Uv, args.index_url.as_deref()) {
                Ok(lock) => {
                    without_requirements = true;
                    findings.push(lint::requirements_unresolvable(&new, &f.message));
                    Some(lock)
                }
                Err(_) => {
                    blocked = Some(format!(
                        "the {} environment could not be built: {}",
                        new.describe(),
                        f.message
                    ));
                    None
                }
            }
        }
        Err(f) => {
            blocked = Some(format!(
                "the {} environment could not be built: {}",
                new.describe(),
                f.message
            ));
            None
        }
    };
    let left_out = new_lock
        .as_ref()
        .map_or(0, |l| l.provenance.layering.left_out.len());
    if let Some(lock) = &new_lock {
        let mut layering = lint::layering_findings(lock, &new);
        // a requirement without a wheel today already is not an upgrade break
        if let Some(cur) = &cur_lock {
            let before = &cur.provenance.layering.no_wheel;
            for (f, n) in layering
                .iter_mut()
                .filter(|f| f.rule == "SKY503")
                .zip(&lock.provenance.layering.no_wheel)
            {
                if before
                    .iter()
                    .any(|b| b.requirement.name == n.requirement.name && b.version == n.version)
                {
                    f.severity = Severity::Warning;
                    f.message = format!("{} (the same under {} today)", f.message, current.label);
                }
            }
        }
        findings.extend(layering);
    }
    notes.extend(envs::dockerfile_notes(project));
    findings.extend(crate::constraints::findings(project, &new, &new.python));
    let (refused, refused_note) = crate::mwaa::refusals(project, &new);
    findings.extend(refused);
    notes.extend(refused_note);
    for (pinned, lock) in [(&current, &cur_lock), (&new, &new_lock)] {
        if let Some(note) = lock.as_ref().and_then(|l| changed_note(pinned, l)) {
            notes.push(note);
        }
    }
    for lock in [&cur_lock, &new_lock].into_iter().flatten() {
        notes.extend(lock.provenance.notes.iter().cloned());
    }

    // 4. The dependency compare.
    let comparison = match (&cur_lock, &new_lock) {
        (Some(a), Some(b)) if tests.version => {
            let cmp = skyhop_deps::compare(a, b);
            let majors = cmp.major_provider_bumps().len();
            summaries.push(TestSummary {
                name: "dependency".into(),
                status: if majors > 0 || left_out > 0 {
                    TestStatus::Warnings
                } else {
                    TestStatus::Passed
                },
                summary: format!(
                    "{} package changes, {} major provider bumps{}",
                    cmp.changes.len(),
                    majors,
                    if left_out == 0 {
                        String::new()
                    } else {
                        format!(", {left_out} requirements left out")
                    }
                ),
                duration_ms: env_ms,
            });
            Some(cmp)
        }
        _ => {
            if tests.version {
                summaries.push(skipped("dependency", "an environment could not be built"));
            }
            None
        }
    };

    // 5. The target venv, then the static check and the parse test side by side.
    let mut parse_files = Vec::new();
    let mut python_note = None;
    if tests.dag || tests.lint {
        let env = match &new_lock {
            Some(lock) => match lint::installed(
                ctx,
                project,
                new.clone(),
                lock.clone(),
                args.index_url.as_deref(),
            ) {
                Ok(env) => Some(env),
                Err(f) => {
                    blocked.get_or_insert(format!(
                        "the {} environment could not be installed: {}",
                        new.describe(),
                        f.message
                    ));
                    None
                }
            },
            None => None,
        };
        if let Some(env) = &env {
            findings.extend(lint::broken_findings(env, project));
            // what the install left out or substituted, in the report (not only on the console)
            notes.extend(env.venv.notes.iter().map(|n| format!("{}: {n}", new.label)));
            python_note = python_note_of(ctx, env, &new);
            if let Some(n) = &python_note {
                ctx.progress.note(n);
            }
        }
        let (lint_result, parse_result) = std::thread::scope(|s| {
            let lint_h = s.spawn(|| {
                (tests.lint && env.is_some())
                    .then(|| run_lint(ctx, project, env.as_ref(), &current, &new))
            });
            let parse_h = s.spawn(|| {
                (tests.dag)
                    .then(|| {
                        env.as_ref().map(|e| {
                            timed(|| {
                                lint::run_parse(ctx, project, e, args.jobs, None, &args.pass_env)
                            })
                        })
                    })
                    .flatten()
            });
            (
                lint_h.join().unwrap_or(None),
                parse_h.join().unwrap_or(None),
            )
        });
        match lint_result {
            Some((Ok(mut fs), ms)) => {
                let errors = count(&fs, Severity::Error);
                let warnings = count(&fs, Severity::Warning);
                summaries.push(TestSummary {
                    name: "check".into(),
                    status: status_of(errors, warnings),
                    summary: format!(
                        "{errors} errors, {warnings} warnings in {} files",
                        files_of(&fs)
                    ),
                    duration_ms: ms,
                });
                findings.append(&mut fs);
            }
            Some((Err(f), _)) => summaries.push(failed("check", &f.message)),
            None if tests.lint => summaries.push(skipped("check", "no target environment")),
            None => {}
        }
        match parse_result {
            Some((Ok(report), ms)) => {
                // What a failure means: a package skyhop could not install, a failure the
                // project has today already (parsed again under the current version), or a
                // break the upgrade causes.
                let mut missing = env
                    .as_ref()
                    .map(|e| missing_packages(e, &new, project))
                    .unwrap_or_default();
                if without_requirements {
                    missing.extend(requirement_names(project).into_iter().map(|package| {
                        classify::Missing {
                            package,
                            why: "the project's requirements could not be resolved, see SKY502"
                                .into(),
                        }
                    }));
                }
                let failing: Vec<String> = report.failures().map(|f| f.path.clone()).collect();
                let before = if failing.is_empty() || current_freeze.is_some() {
                    None
                } else {
                    parse_current(
                        ctx,
                        project,
                        &current,
                        cur_lock.as_ref(),
                        &failing,
                        args,
                        &mut notes,
                    )
                };
                let unknown = envs::unreproduced(project, env.as_ref().map(|e| &e.lock));
                let made = envs::made_paths(project);
                let files = classify::classify(
                    &report,
                    before.as_ref().map(|(r, m)| (r, m.as_slice())),
                    &current.label,
                    &classify::Gaps {
                        missing: &missing,
                        unknown: &unknown,
                        made: &made,
                        root: &project.root,
                    },
                );
                classify::not_checked(&mut findings, &missing, &unknown);
                notes.extend(report.notes.iter().cloned());
                let count = |s: FileStatus| files.iter().filter(|f| f.status == s).count();
                let (new_n, already, untested) = (
                    count(FileStatus::Fails),
                    count(FileStatus::FailsAlready),
                    count(FileStatus::NotTested),
                );
                summaries.push(TestSummary {
                    name: "parse".into(),
                    status: if new_n > 0 {
                        TestStatus::Failed
                    } else if report.warning_count() > 0 || already + untested > 0 {
                        TestStatus::Warnings
                    } else {
                        TestStatus::Passed
                    },
                    summary: format!(
                        "{} DAG files: {} ok, {new_n} failed{}{}, {} warnings (Airflow {}, Python {})",
                        report.files.len(),
                        count(FileStatus::Imports),
                        if already > 0 {
                            format!(", {already} fail already under {}", current.label)
                        } else {
                            String::new()
                        },
                        if untested > 0 {
                            format!(", {untested} not tested")
                        } else {
                            String::new()
                        },
                        report.warning_count(),
                        report.airflow,
                        report.python
                    ),
                    duration_ms: ms,
                });
                findings.extend(skyhop_parse::to_findings(&report));
                findings.extend(lint::setting_findings(&report, project, &new));
                if !report.passed_env.is_empty() {
                    notes.push(format!(
                        "DAG files were imported with none of your environment's variables but these, passed on purpose (--pass-env): {}",
                        report.passed_env.join(", ")
                    ));
                }
                classify::adjust_findings(&mut findings, &files);
                parse_files = files;
            }
            Some((Err(f), _)) => summaries.push(failed("parse", &f.message)),
            None if tests.dag => summaries.push(skipped("parse", "no target environment")),
            None => {}
        }
    }

    // The check's counts after classification (errors in files that fail already are warnings).
    if let Some(t) = summaries.iter_mut().find(|t| t.name == "check") {
        let checked: Vec<Finding> = findings
            .iter()
            .filter(|f| f.source == Source::Check)
            .cloned()
            .collect();
        let (errors, warnings) = (
            count(&checked, Severity::Error),
            count(&checked, Severity::Warning),
        );
        // only a check that ran (not one that failed to run or was skipped)
        if t.summary.contains(" errors, ") {
            t.status = status_of(errors, warnings);
            t.summary = format!(
                "{errors} errors, {warnings} warnings in {} files",
                files_of(&checked)
            );
        }
    }

    // 6. The metadata database, rehearsed on copies: bad input (another version's database, a
    //    newer one) stops here with nothing written.
    let rehearsal = match db_source {
        Some(source) => {
            let r = crate::db::rehearse(
                ctx,
                source,
                Some(current.airflow.clone()),
                &new.airflow,
                true,
                None,
            )?;
            if !r.migration.ok {
                let s = crate::db::summary(&r);
                findings.push(Finding {
                    path: "Dockerfile".into(),
                    line: 0,
                    column: 0,
                    rule: "SKY602".into(),
                    severity: Severity::Error,
                    message: format!(
                        "the metadata-database migration to Airflow {} fails on a copy of {}: {}",
                        new.airflow,
                        s.source,
                        s.error.unwrap_or_default()
                    ),
                    replacement: None,
                    source: Source::Catalog,
                    related: Vec::new(),
                    facts: Default::default(),
                });
            }
            Some(r)
        }
        None => None,
    };

    // 7. The report folder.
    let data = ReportData {
        current: meta(
            &current,
            cur_lock.as_ref(),
            None,
            &args.backend,
            current_freeze.is_some(),
        ),
        target: meta(
            &new,
            new_lock.as_ref(),
            python_note.clone(),
            &args.backend,
            target_freeze.is_some(),
        ),
        is_downgrade,
        blocked: blocked.clone(),
        skyhop_version: skyhop_core::SKYHOP_VERSION.to_string(),
        generated_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        project: project.root.display().to_string(),
        tests: summaries,
        findings,
        comparison: comparison.clone(),
        considerations,
        parse_files,
        notes: dedup(notes),
        rule_titles: skyhop_check::all_rules()
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect(),
        db_rehearsal: rehearsal.as_ref().map(crate::db::summary),
    };
    let mut extra: Vec<(String, Vec<u8>)> = Vec::new();
    match upgraded_dockerfile(project, &new) {
        Ok(text) => extra.push(("Dockerfile".into(), text.into_bytes())),
        Err(e) => ctx
            .progress
            .note(&format!("upgraded Dockerfile not written: {e}")),
    }
    if let Some(lock) = &cur_lock {
        extra.push((
            format!("pip_freeze_{}.txt", current.label),
            lock.to_freeze().into_bytes(),
        ));
    }
    if let Some(lock) = &new_lock {
        extra.push((
            format!("pip_freeze_{}.txt", new.label),
            lock.to_freeze().into_bytes(),
        ));
    }
    if let Some(cmp) = &comparison {
        let mut text = cmp.to_text();
        // what pip in each image changes of the image's own packages for the requirements
        for (pinned, lock) in [(&current, &cur_lock), (&new, &new_lock)] {
            let changed = lock
                .as_ref()
                .map(|l| l.provenance.layering.changed.clone())
                .unwrap_or_default();
            if !changed.is_empty() {
                text.push_str(&format!(
                    "\nChanged by requirements.txt in {}:\n",
                    pinned.label
                ));
                for (name, from, to) in changed {
                    text.push_str(&format!("{name} {from} >> {to}\n"));
                }
            }
        }
        extra.push(("dependency_compare.txt".into(), text.into_bytes()));
    }
    let extra_refs: Vec<(&str, &[u8])> = extra
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    skyhop_report::write_report_dir(&out_dir, &data, &extra_refs).map_err(|e| {
        Failure::usage(format!(
            "{}: cannot write the report: {e}",
            out_dir.display()
        ))
    })?;

    if let Some(r) = &rehearsal {
        let json = serde_json::to_string_pretty(r).unwrap_or_default();
        for (name, text) in [
            ("db_rehearsal.json", json),
            ("db_rehearsal.md", r.to_markdown()),
        ] {
            std::fs::write(out_dir.join(name), text).map_err(|e| {
                Failure::usage(format!("{}: cannot write {name}: {e}", out_dir.display()))
            })?;
        }
    }

    // 8. The short answer.
    let code = match skyhop_report::verdict(&data) {
        skyhop_report::Verdict::Safe => exit::OK,
        skyhop_report::Verdict::NeedsChanges => exit::FINDINGS,
        skyhop_report::Verdict::Blocked => exit::ENV,
    };
    Ok(Outcome {
        data,
        out_dir,
        code,
    })
}
