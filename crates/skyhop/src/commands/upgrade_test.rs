//! `skyhop upgrade-test`: the arguments in, the short answer out; the test itself is
//! [`skyhop_upgrade::upgrade_test`].

use std::path::Path;
use std::time::Instant;

use skyhop_report::ReportData;
use skyhop_upgrade::upgrade_test::{self, Options};

use super::load_project;
use crate::cli::{ReportFormat, UpgradeTestArgs};
use crate::progress::ctx;
use crate::{CmdResult, exit};

pub fn upgrade_test(args: UpgradeTestArgs) -> CmdResult {
    let started = Instant::now();
    let ctx = ctx(false)?;
    let project = load_project(&args.project)?;
    // From an Astro Deployment: the version it runs is the current one.
    let current = match &args.astro {
        Some(id) => {
            let c = super::astro::client(&args.api)?;
            let d = skyhop_deploy::astro::AstroDeployment::open(&c, id)
                .map_err(super::astro::failure)?;
            Some(super::astro::deployment_pinned(
                &ctx,
                &project,
                &d.info,
                "the test starts from the Deployment's version",
            )?)
        }
        None => None,
    };
    let Some(target) = super::upgrade::scoped_target(
        &project,
        &args.version,
        args.to,
        args.max_scope,
        args.allow_deprecated,
        "nothing to test",
        current.as_ref(),
    )?
    else {
        return Ok(exit::OK); // already the newest in scope: nothing to test
    };
    let opts = Options {
        target,
        image_name: args.image_name,
        current_freeze: args.env.current_freeze,
        target_freeze: args.env.target_freeze,
        backend: args.env.backend.into(),
        index_url: None,
        version_test: args.version_test,
        dag_test: args.dag_test,
        lint_test: args.lint_test,
        output: args.output,
        jobs: args.jobs,
        pass_env: args.pass_env.pass_env,
        db_url: args.db_url,
        current,
    };
    let ends = upgrade_test::ends(&ctx, &project, &opts)?;
    eprintln!(
        "skyhop upgrade-test: {} -> {}",
        ends.current.describe(),
        ends.new.describe()
    );
    let outcome = upgrade_test::run(&ctx, &project, &opts, ends)?;
    match args.format {
        ReportFormat::Json => println!("{}", skyhop_report::render_json(&outcome.data)),
        ReportFormat::Text => print_summary(&outcome.data, &outcome.out_dir, started),
        ReportFormat::Github => {
            print!("{}", github_annotations(&outcome.data, &project.root));
            print_summary(&outcome.data, &outcome.out_dir, started);
        }
    }
    Ok(outcome.code)
}

/// Every finding as a GitHub Actions annotation, its path relative to the working directory
/// (the repository checkout) when the project is inside it, as GitHub needs.
fn github_annotations(data: &ReportData, project_root: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let prefix = project_root
        .strip_prefix(&cwd)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let findings: Vec<skyhop_core::Finding> = data
        .findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if !f.path.is_empty() && Path::new(&f.path).is_relative() {
                f.path = prefix.join(&f.path).to_string_lossy().into_owned();
            }
            f
        })
        .collect();
    skyhop_report::render_github(&findings)
}

fn print_summary(data: &ReportData, out_dir: &std::path::Path, started: Instant) {
    let verdict = skyhop_report::verdict(data);
    println!();
    println!(
        "{} -> {}: {}",
        data.current.label,
        data.target.label,
        verdict.headline()
    );
    for t in &data.tests {
        println!("  {:<11} {:<9} {}", t.name, t.status.as_str(), t.summary);
    }
    let actions = skyhop_report::actions(data);
    if !actions.is_empty() {
        println!("What to do:");
        for a in actions.iter().take(8) {
            println!("  - {}", a.title);
        }
        if actions.len() > 8 {
            println!("  ... and {} more in the report", actions.len() - 8);
        }
    }
    for n in data.target.python_note.iter() {
        println!("note: {n}");
    }
    println!(
        "Report: {} ({:.1}s)",
        out_dir.join("report.html").display(),
        started.elapsed().as_secs_f64()
    );
}
