//! `skyhop upgrade --fix` end to end on a copy of the example project (Runtime 11.3.0), against
//! the real package index (environments cached in skyhop's cache between runs): two hops
//! (13.11.0, then 3.1-12) leave every DAG file importing under 3.1-12, and a second run
//! changes nothing.

mod common;

use std::fs;
use std::path::Path;

use common::{Run, copy_dir, example_project as example, skyhop, snapshot_tree as tree};

fn upgrade(dir: &Path, version: &str, extra: &[&str]) -> Run {
    let d = dir.to_str().unwrap();
    let mut args = vec![
        "upgrade",
        "--project",
        d,
        "--runtime-version",
        version,
        "--fix",
    ];
    args.extend_from_slice(extra);
    let run = skyhop(&args);
    assert!(
        run.code == 0 || run.code == 1,
        "upgrade {version} failed ({}):\n{}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

#[test]
fn example_project_two_hops_to_airflow_3_import_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    copy_dir(&example(), &dir);
    let original = tree(&dir);

    // Without a terminal and without --yes: nothing written, exit 2.
    let refused = skyhop(&[
        "upgrade",
        "--project",
        dir.to_str().unwrap(),
        "--runtime-version",
        "13.11.0",
        "--fix",
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(tree(&dir), original);

    // --diff: the diff, and nothing written.
    let diff = upgrade(&dir, "13.11.0", &["--diff"]);
    assert!(
        diff.stdout
            .contains("+FROM quay.io/astronomer/astro-runtime:13.11.0")
    );
    assert!(diff.stdout.contains("+    schedule=\"@hourly\","));
    assert_eq!(tree(&dir), original);

    let hop1 = upgrade(&dir, "13.11.0", &["--yes"]);
    assert!(
        hop1.stdout.contains("DAG files importing   3/5 -> 5/5"),
        "{}",
        hop1.stdout
    );
    let summary = tmp.path().join("pr.md");
    let hop2 = upgrade(
        &dir,
        "3.1-12",
        &["--yes", "--summary", summary.to_str().unwrap()],
    );
    assert_eq!(hop2.code, 0, "{}\n{}", hop2.stdout, hop2.stderr);
    assert!(
        hop2.stdout.contains("-> 5/5"),
        "every DAG file imports under 3.1-12:\n{}",
        hop2.stdout
    );
    let md = fs::read_to_string(&summary).unwrap();
    assert!(md.contains("| SKY104 | safe |"), "{md}");

    let after = tree(&dir);
    let text = |p: &str| String::from_utf8(after[Path::new(p)].clone()).unwrap();
    let dockerfile = text("Dockerfile");
    assert!(dockerfile.contains("runtime:3.1-12"));
    // scratch_notes.py stays ignored: the .airflowignore is read as regexps, as before
    assert!(dockerfile.contains("ENV AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX=regexp\n"));
    let requirements = text("requirements.txt");
    assert!(
        requirements.starts_with(
            &String::from_utf8(original[Path::new("requirements.txt")].clone()).unwrap()
        )
    );
    for p in [
        "apache-airflow-providers-http>=",
        "apache-airflow-providers-cncf-kubernetes>=",
        "apache-airflow-providers-standard>=",
        "apache-airflow-providers-common-sql>=",
    ] {
        assert!(requirements.contains(p), "{p} in\n{requirements}");
    }
    let sales = text("dags/daily_sales_report.py");
    assert!(sales.contains("start_date=pendulum.today(\"UTC\").add(days=-2),"));
    assert!(!sales.contains("provide_context"));
    assert!(sales.contains("{{ logical_date }} until {{ data_interval_end | ds }}"));
    // untouched: nothing to fix in it
    for p in ["dags/scratch_notes.py", "include/sales.py", "packages.txt"] {
        assert_eq!(after[Path::new(p)], original[Path::new(p)], "{p}");
    }

    // Idempotent: a second run changes nothing.
    let again = upgrade(&dir, "3.1-12", &["--yes"]);
    assert!(
        again.stderr.contains("nothing to change"),
        "{}",
        again.stderr
    );
    assert_eq!(tree(&dir), after);
}

#[test]
fn plan_prints_the_hops_the_catalog_requires() {
    let run = skyhop(&[
        "upgrade",
        "--project",
        example().to_str().unwrap(),
        "--runtime-version",
        "3.1-12",
        "--plan",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("plan: 11.3.0 -> 13.11.0 -> 3.1-12")
            || run.stdout.contains("plan: 11.3.0 -> "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("hop 2:"), "{}", run.stdout);
}

#[test]
fn plan_with_fix_goes_hop_by_hop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    copy_dir(&example(), &dir);
    let original = tree(&dir);
    let run = upgrade(&dir, "3.1-12", &["--plan", "--diff"]);
    assert!(
        run.stdout.contains("plan: 11.3.0 -> 13.11.0 -> 3.1-12"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("11.3.0 -> 13.11.0: "), "{}", run.stdout);
    assert!(run.stdout.contains("13.11.0 -> 3.1-12: "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("+FROM astrocrpublic.azurecr.io/runtime:3.1-12"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("+import pendulum"), "{}", run.stdout);
    assert_eq!(tree(&dir), original, "--diff writes nothing");
}

#[test]
fn providers_bump_pinned_providers_alone_verified_under_the_current_airflow() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    copy_dir(&example(), &dir);
    let d = dir.to_str().unwrap();
    let before = fs::read_to_string(dir.join("requirements.txt")).unwrap();
    let dockerfile = fs::read(dir.join("Dockerfile")).unwrap();

    let run = skyhop(&["upgrade", "--project", d, "--providers", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // slack is pinned (8.6.2, what Runtime 11.3.0 ships); the unpinned snowflake is left alone.
    let bumped = run
        .stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("  requirements.txt:2: apache-airflow-providers-slack 8.6.2 -> ")
        })
        .unwrap_or_else(|| panic!("no bump in:\n{}", run.stdout))
        .to_string();
    assert!(
        run.stdout
            .contains("DAG files importing under 11.3.0 with the new providers")
    );
    let after = fs::read_to_string(dir.join("requirements.txt")).unwrap();
    assert_eq!(
        after,
        before.replace(
            "apache-airflow-providers-slack==8.6.2",
            &format!("apache-airflow-providers-slack=={bumped}")
        ),
        "only the pin changes"
    );
    assert_eq!(
        fs::read(dir.join("Dockerfile")).unwrap(),
        dockerfile,
        "runtime kept"
    );

    // Again: the pin is the newest that resolves now, nothing changes.
    let again = skyhop(&["upgrade", "--project", d, "--providers", "--yes"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing to change"),
        "{}",
        again.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.join("requirements.txt")).unwrap(),
        after
    );
}

/// A fix is a claim too: `DatasetOrTimeSchedule(timetable=..., datasets=...)` imports under
/// Airflow 3.1 (a deprecated alias that still takes `datasets`). Whatever the fixes do to it,
/// the file must still import afterwards: a rename that keeps the old keyword (which breaks
/// it) is taken back and listed for a person.
#[test]
fn a_fix_that_breaks_a_file_that_imported_is_taken_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    fs::create_dir_all(dir.join("dags")).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        "FROM quay.io/astronomer/astro-runtime:13.11.0\n",
    )
    .unwrap();
    fs::write(dir.join("requirements.txt"), "").unwrap();
    fs::write(
        dir.join("dags/scheduled.py"),
        "import pendulum\nfrom airflow import DAG\nfrom airflow.datasets import Dataset\nfrom airflow.timetables.datasets import DatasetOrTimeSchedule\nfrom airflow.timetables.trigger import CronTriggerTimetable\n\nwith DAG(\n    \"scheduled\",\n    start_date=pendulum.datetime(2024, 1, 1),\n    schedule=DatasetOrTimeSchedule(\n        timetable=CronTriggerTimetable(\"0 0 * * *\", timezone=\"UTC\"),\n        datasets=[Dataset(\"s3://bucket/key\")],\n    ),\n    catchup=False,\n):\n    pass\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    // it imports under the target before any fix
    let before = skyhop(&["parse", "--project", d, "--runtime-version", "3.1-12"]);
    assert_eq!(before.code, 0, "{}\n{}", before.stdout, before.stderr);

    let run = upgrade(&dir, "3.1-12", &["--yes"]);
    assert!(
        !run.stdout
            .contains("files that imported before and fail now"),
        "{}",
        run.stdout
    );
    let after = skyhop(&["parse", "--project", d, "--runtime-version", "3.1-12"]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    let text = fs::read_to_string(dir.join("dags/scheduled.py")).unwrap();
    // either the rename carried its keyword, or it was taken back
    assert!(
        !text.contains("AssetOrTimeSchedule(") || text.contains("assets="),
        "{text}"
    );
    if text.contains("DatasetOrTimeSchedule(") && run.stdout.contains("DatasetOrTimeSchedule") {
        assert!(run.stdout.contains("taken back"), "{}", run.stdout);
    }
}
