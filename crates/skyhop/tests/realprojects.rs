//! Real projects and the walls they hit (issue 10): the `skyhop` binary against real public
//! Astro projects in `../shared/realprojects/` (read-only test data beside the repository, never
//! copied into it) and small projects of our own that reproduce each wall. Real environments
//! from the package index, cached in skyhop's cache between runs.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Run, skyhop, skyhop_in, snapshot_tree};

use serde_json::Value;

/// `shared/realprojects/<name>` beside the repository.
fn real_project(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/realprojects")
        .join(name)
}

/// `skyhop upgrade-test --project DIR <version flag> VERSION`, the report folder in a new
/// temporary directory (returned with the run).
fn upgrade_test(dir: &Path, flag: &str, version: &str) -> (Run, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let run = skyhop(&[
        "upgrade-test",
        "--project",
        dir.to_str().unwrap(),
        flag,
        version,
        "--output",
        out.path().to_str().unwrap(),
    ]);
    (run, out)
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn report(out: &Path) -> Value {
    let folder = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("upgrade-test-")
        })
        .expect("report folder");
    serde_json::from_str(&fs::read_to_string(folder.join("report.json")).unwrap()).unwrap()
}

/// Words that would mean skyhop's own environment stood in for a finding. A note may say them
/// (a package that does not build here is left out, visibly, and code importing it is not
/// tested); a finding never.
const ARTEFACTS: &[&str] = &[
    "unpinned instead",
    "does not build on this machine",
    "left out of the test environment",
];

/// Runs `upgrade-test` on a real project to an Airflow 3 runtime and checks the bar of issue
/// 10: exit 0 or 1, dependency, check and parse all ran, every DAG file classified, and no
/// finding that is an artefact of skyhop's environment (a note saying what was left out is fine).
fn upgrade_test_answers(name: &str) -> Value {
    let dir = real_project(name);
    let before = snapshot_tree(&dir);
    let (run, out) = upgrade_test(&dir, "--runtime-version", "3.1-12");
    assert!(
        run.code == 0 || run.code == 1,
        "{name}: exit {}\n{}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    assert_eq!(snapshot_tree(&dir), before, "{name}: the project changed");
    let r = report(out.path());
    for t in r["tests"].as_array().unwrap() {
        assert!(
            t["status"] != "skipped" && !(t["status"] == "failed" && t["duration_ms"] == 0),
            "{name}: test {} did not run: {}",
            t["name"],
            t["summary"]
        );
    }
    let files = r["parse_files"].as_array().unwrap();
    assert!(!files.is_empty(), "{name}: no DAG file parsed");
    for f in files {
        let status = f["status"].as_str().unwrap();
        assert!(
            ["imports", "fails", "fails-already", "not-tested"].contains(&status),
            "{name}: {f}"
        );
        if status != "imports" {
            assert!(f["error"].is_string(), "{name}: no reason for {f}");
        }
    }
    let text = r["findings"].to_string();
    for a in ARTEFACTS {
        assert!(!text.contains(a), "{name}: artefact `{a}` in\n{text}");
    }
    for note in r["notes"].as_array().unwrap() {
        let note = note.as_str().unwrap();
        if note.contains("left out of the test environment") {
            assert!(
                note.contains("not tested"),
                "{name}: a left-out package must say what is not tested: {note}"
            );
        }
    }
    r
}

fn statuses(r: &Value) -> Vec<(String, String)> {
    r["parse_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// An Airflow 3 project whose DAG is written for Airflow 2: it fails under 3.1-1 already, so
/// the upgrade to 3.1-12 breaks nothing new.
#[test]
fn real_project_failing_today_is_not_an_upgrade_break() {
    let r = upgrade_test_answers("Housseem946__weather-data-pipeline");
    assert!(
        statuses(&r).contains(&("dags/extract_weather_dag.py".into(), "fails-already".into())),
        "{:?}",
        statuses(&r)
    );
    assert_eq!(r["verdict"], "safe", "{}", r["findings"]);
}

/// An `apache/airflow:2.8.1` project (image from a build ARG): the image's slack provider is
/// part of the current environment, so the slack DAG breaks because Runtime 3.1-12 lacks it.
#[test]
fn real_project_on_the_apache_image() {
    let r = upgrade_test_answers("PacktPublishing__Apache-Airflow-Best-Practices");
    assert!(statuses(&r).contains(&("dags/slack_example.py".into(), "fails".into())));
    assert_eq!(r["verdict"], "needs_changes");
}

/// A Runtime 7 project with `airflow.contrib` imports and a removed trigger rule.
#[test]
fn real_project_on_runtime_7() {
    let r = upgrade_test_answers("KattsonBastos__astro-airflow-certification");
    assert!(statuses(&r).contains(&("dags/file_sensor_example.py".into(), "fails".into())));
}

/// Runtime 12.8.0 from the slim repository, with Astronomer's advice applied: a provider pinned
/// newer than the runtime ships. It installs, as pip does in the image, in both environments.
#[test]
fn a_provider_pinned_newer_than_the_runtime_is_installed() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime-slim:12.8.0\n",
        ),
        (
            "requirements.txt",
            "apache-airflow-providers-google ~= 14.0\n",
        ),
        (
            "dags/g.py",
            "from airflow.providers.google.cloud.hooks.gcs import GCSHook\n",
        ),
    ]);
    let (run, out) = upgrade_test(p.path(), "--runtime-version", "3.1-12");
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let folder = fs::read_dir(out.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for freeze in ["pip_freeze_12.8.0.txt", "pip_freeze_3.1-12.txt"] {
        let text = fs::read_to_string(folder.join(freeze)).unwrap();
        assert!(
            text.lines()
                .any(|l| l.starts_with("apache-airflow-providers-google==14.")),
            "{freeze}: google 14.x expected"
        );
    }
    let r = report(out.path());
    assert!(
        !r["findings"].to_string().contains("SKY502"),
        "{}",
        r["findings"]
    );
}

/// A Runtime 6.0.4 project pinning the databricks provider newer than the runtime's: no
/// conflict, the pin is installed as is.
#[test]
fn a_pin_newer_than_the_runtime_provider_is_no_conflict() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:6.0.4\n",
        ),
        (
            "requirements.txt",
            "apache-airflow-providers-databricks==4.0.0\n",
        ),
    ]);
    let run = skyhop(&["freeze", "--project", p.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("apache-airflow-providers-databricks==4.0.0\n")
    );
    assert!(
        run.stdout.contains("apache-airflow==2.4."),
        "{}",
        run.stdout
    );
}

/// `pandas==2.1.0` has no CPython 3.12 wheel: a finding naming the version to use, and the
/// DAG that imports pandas is tested with it (not reported as "No module named 'pandas'").
#[test]
fn a_pin_without_a_wheel_for_the_new_python_is_a_finding() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
        ),
        ("requirements.txt", "pandas==2.1.0\n"),
        (
            "dags/p.py",
            "import pandas\nfrom airflow.sdk import DAG\nimport pendulum\nwith DAG('p', start_date=pendulum.datetime(2024, 1, 1), schedule=None):\n    pass\n",
        ),
    ]);
    let run = skyhop(&[
        "check",
        "--project",
        p.path().to_str().unwrap(),
        "--runtime-version",
        "3.1-12",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("SKY503 error: pandas==2.1.0 has no wheel for Python 3.12")
            && run.stdout.contains("use `pandas==2.1.1`"),
        "{}",
        run.stdout
    );
    // pandas is there (at 2.1.1), not reported missing
    let run = skyhop(&[
        "parse",
        "--project",
        p.path().to_str().unwrap(),
        "--runtime-version",
        "3.1-12",
    ]);
    assert!(
        !run.stdout.contains("No module named 'pandas'"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// A folder with requirements.txt and dags/ but no Dockerfile (MWAA, Composer): `check` with
/// `--airflow-version` works on any path, and the upgrade test takes the current version from
/// the `apache-airflow==` pin.
#[test]
fn projects_without_a_dockerfile() {
    let p = project(&[
        ("requirements.txt", "apache-airflow==2.10.5\n"),
        (
            "dags/n.py",
            "from airflow import DAG\nfrom airflow.operators.dummy import DummyOperator\n",
        ),
    ]);
    let run = skyhop_in(
        Some(p.path()),
        &["check", "--airflow-version", "3.1.3", "dags/"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("dags/n.py:2:"), "{}", run.stdout);
    let (run, out) = upgrade_test(p.path(), "--airflow-version", "3.1.3");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2.10.5 -> 3.1.3"), "{}", run.stdout);
    let r = report(out.path());
    assert_eq!(
        statuses(&r),
        [("dags/n.py".to_string(), "fails".to_string())]
    );
}

/// A pin that fights the target's Airflow (pendulum 2; Airflow 3 needs 3) and a private
/// package the index does not have, next to unpinned dbt: both are left out (SKY502) and the rest tested; nothing stops, and the DAG
/// file that imports the missing package is not tested rather than failing.
#[test]
fn an_unsatisfiable_requirement_is_left_out_and_the_rest_tested() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:7.1.0\n",
        ),
        (
            "requirements.txt",
            "dbt-postgres\npendulum==2.1.2\nskyhop-test-private-package==1.0\n",
        ),
        // "airflow" and "dag" in the text: Airflow's safe mode only parses such files
        (
            "dags/d.py",
            "# airflow dag\nimport skyhop_test_private_package\n",
        ),
        (
            "dags/ok.py",
            "# airflow dag\nimport pendulum\nimport psycopg2\n",
        ),
    ]);
    let (run, out) = upgrade_test(p.path(), "--runtime-version", "3.1-12");
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let r = report(out.path());
    let findings = r["findings"].as_array().unwrap();
    for line in [2, 3] {
        assert!(
            findings.iter().any(|f| f["rule"] == "SKY502"
                && f["path"] == "requirements.txt"
                && f["line"] == line),
            "line {line}: {}",
            r["findings"]
        );
    }
    let st = statuses(&r);
    assert!(
        st.contains(&("dags/d.py".into(), "not-tested".into())),
        "{st:?}"
    );
    assert!(
        st.contains(&("dags/ok.py".into(), "imports".into())),
        "{st:?}"
    );
}

/// A Runtime version the embedded catalog does not list but whose line it knows is inferred
/// from its neighbours, with a note, never refused.
#[test]
fn an_unknown_version_of_a_known_line_is_inferred() {
    let p = project(&[(
        "Dockerfile",
        "FROM quay.io/astronomer/astro-runtime:13.6.3\n",
    )]);
    let run = skyhop(&["freeze", "--project", p.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("13.6.3 is not in the catalog"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("apache-airflow==2.11."),
        "{}",
        run.stdout
    );
}
