//! `skyhop upgrade-test`: the arguments in, the short answer out; the test itself is
//! [`skyhop_upgrade::upgrade_test`].

use std::time::Instant;

use skyhop_report::ReportData;
use skyhop_upgrade::upgrade_test::{self, Options};

use super::load_project;
use crate::CmdResult;
use crate::cli::{TextOrJson, UpgradeTestArgs};
use crate::progress::ctx;

pub fn upgrade_test(args: UpgradeTestArgs) -> CmdResult {
    let started = Instant::now();
    let ctx = ctx(false)?;
    let project = load_project(&args.project)?;
    let opts = Options {
        target: args.version.target(),
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
    };
    let ends = upgrade_test::ends(&ctx, &project, &opts)?;
    eprintln!(
        "skyhop upgrade-test: {} -> {}",
        ends.current.describe(),
        ends.new.describe()
    );
    let outcome = upgrade_test::run(&ctx, &project, &opts, ends)?;
    if args.format == TextOrJson::Json {
        println!("{}", skyhop_report::render_json(&outcome.data));
    } else {
        print_summary(&outcome.data, &outcome.out_dir, started);
    }
    Ok(outcome.code)
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
