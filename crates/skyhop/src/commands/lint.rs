//! `check`, `parse`, `rule`.

use skyhop_upgrade::settings;
use skyhop_upgrade::steps::{
    broken_findings, build_index, check_files, check_options, layering_findings, run_parse,
    target_env,
};
use skyhop_upgrade::target;

use super::load_project;
use crate::cli::{CheckArgs, CheckFormat, ParseArgs, RuleArgs, TextOrJson};
use crate::{CmdResult, Failure, exit};

pub fn parse(args: ParseArgs) -> CmdResult {
    let json = args.format == TextOrJson::Json;
    let ctx = crate::progress::ctx(false)?;
    let project = load_project(&args.project)?;
    let env = target_env(
        &ctx,
        &project,
        &args.version.target(),
        args.target_freeze.as_ref(),
    )?;
    let report = run_parse(
        &ctx,
        &project,
        &env,
        args.jobs,
        args.timeout,
        &args.pass_env.pass_env,
    )?;
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

pub fn check(args: CheckArgs) -> CmdResult {
    let ctx = crate::progress::ctx(args.format != CheckFormat::Text)?;
    let project = load_project(&args.project)?;
    let current = target::current(&ctx, &project).ok();
    // `--to`: the version picked by scope, or the project's own when it is the newest in scope.
    let wanted = match args.to {
        Some(to) => super::upgrade::scoped_target(
            &project,
            &args.version,
            Some(to),
            None,
            false,
            "checking against it",
            None,
        )?
        .unwrap_or_default(),
        None => args.version.target(),
    };
    let no_env = || -> Result<_, Failure> {
        let pinned = match target::from_args(&ctx, &wanted)? {
            Some(p) => p,
            None => current.clone().ok_or_else(|| {
                Failure::usage("--no-env needs --runtime-version or --airflow-version (the project's base image is not a known Airflow image)")
            })?,
        };
        Ok((pinned, None, None))
    };
    let with_env = || -> Result<_, Failure> {
        let env = target_env(&ctx, &project, &wanted, args.target_freeze.as_ref())?;
        let index = build_index(&ctx, &env)?;
        Ok((env.pinned.clone(), Some(index), Some(env)))
    };
    let (pinned, index, env) = if args.no_env {
        no_env()?
    } else {
        match with_env() {
            Err(e) if args.allow_no_env && e.code == exit::ENV => {
                // uv's reason is on the last line of its output
                let why = e
                    .message
                    .lines()
                    .rev()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or_default();
                eprintln!(
                    "note: the target environment could not be built ({why}); checked with skyhop's curated rules only (as --no-env): names that exist only in the real target are not verified"
                );
                no_env()?
            }
            other => other?,
        }
    };
    let target_airflow = pinned.airflow.clone();
    let files = check_files(&project, &args.paths, &target_airflow);
    let mut opts = check_options(&project, &target_airflow, current.as_ref());
    if !args.paths.is_empty() {
        // Files named on the command line are checked as Airflow would run them.
        opts.loaded = None;
    }
    let mut findings = files.1;
    if args.paths.is_empty()
        && let Some(cur) = &current
    {
        findings.extend(settings::config_problems(&project));
        findings.extend(settings::discovery_changes(
            &project,
            &cur.airflow,
            &target_airflow,
        ));
    }
    if let Some(env) = &env {
        // What the environment says about the project's files (e.g. a requirements.txt pin
        // that breaks a package of the image): with PATHS, only for the files named, as a
        // linter answers for the files it is given (a pre-commit hook for a DAG change).
        let asked: Vec<std::path::PathBuf> = args
            .paths
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect();
        let named = |f: &skyhop_core::Finding| {
            asked.is_empty() || {
                let at = project.root.join(&f.path);
                asked.iter().any(|a| at.starts_with(a))
            }
        };
        findings.extend(
            layering_findings(&env.lock, &pinned)
                .into_iter()
                .chain(broken_findings(env, &project))
                .filter(named),
        );
    }
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

pub fn rule(args: RuleArgs) -> CmdResult {
    match args.code {
        Some(code) => {
            let rule = skyhop_check::Rule::from_code(&code).ok_or_else(|| {
                Failure::usage(format!(
                    "unknown rule `{code}`: `skyhop rule` lists every rule"
                ))
            })?;
            print!("{}", rule.doc().to_markdown());
            let fix = rule.fix();
            if fix.safe.is_some() || fix.unsafe_.is_some() {
                println!("\n## Fix\n");
                if let Some(s) = fix.safe {
                    println!("Safe (made by default): {s}.");
                }
                if let Some(u) = fix.unsafe_ {
                    println!("Unsafe (only with `skyhop upgrade --fix --unsafe-fixes`): {u}.");
                }
            } else {
                println!(
                    "\n## Fix\n\nNone: what this rule finds is left for a person (`skyhop upgrade --fix` lists it)."
                );
            }
        }
        None => {
            for rule in skyhop_check::Rule::ALL {
                let doc = rule.doc();
                println!(
                    "{:<8} {:<36} {:<16} {}",
                    doc.code,
                    doc.name,
                    rule.fix().label(),
                    doc.summary
                );
            }
        }
    }
    Ok(exit::OK)
}
