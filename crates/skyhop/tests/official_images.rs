//! The official `apache/airflow` image as it is built: `skyhop freeze` of a project
//! `FROM apache/airflow:<V>-python<X.Y>` has every package Airflow's constraints file pins at
//! the pinned version, for every version whose constraints are embedded. Real resolutions
//! against the package index (seconds each once uv's cache is warm).

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::skyhop;

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

#[test]
fn freeze_of_official_images_follows_their_constraints() {
    for v in skyhop_catalog::embedded_constraints() {
        let c = skyhop_catalog::image_constraints(v).unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("dags")).unwrap();
        fs::write(
            dir.path().join("Dockerfile"),
            format!("FROM apache/airflow:{v}-python{}\n", c.python),
        )
        .unwrap();
        let run = skyhop(&["freeze", "--project", dir.path().to_str().unwrap()]);
        assert_eq!(run.code, 0, "{v}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("constraints-{v} for Python {}", c.python)),
            "{v}: {}",
            run.stderr
        );
        let freeze: BTreeMap<String, String> = run
            .stdout
            .lines()
            .filter_map(|l| l.split_once("=="))
            .map(|(n, ver)| (normalize(n), ver.trim().to_string()))
            .collect();
        let off: Vec<String> = freeze
            .iter()
            .filter_map(|(n, ver)| {
                let pin = c.pin(n)?;
                (pin != ver).then(|| format!("{n}=={ver} (constraints: {pin})"))
            })
            .collect();
        assert!(
            off.is_empty(),
            "{v}: not at the constraints' version: {off:?}"
        );
        // the image's default extras are all installed, at their pins
        for p in [
            "amazon",
            "celery",
            "cncf-kubernetes",
            "google",
            "snowflake",
            "postgres",
        ] {
            let name = format!("apache-airflow-providers-{p}");
            assert_eq!(
                freeze.get(&name).map(String::as_str),
                c.pin(&name),
                "{v}: {name}"
            );
        }
    }
}

const DAG: &str = "from datetime import datetime\nfrom airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\nwith DAG(\"hello\", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):\n    BashOperator(task_id=\"t\", bash_command=\"echo hi\")\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("dags")).unwrap();
    fs::write(dir.path().join("dags/hello.py"), DAG).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn report(dir: &tempfile::TempDir, name: &str) -> serde_json::Value {
    let text = fs::read_to_string(dir.path().join(name).join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn notes(report: &serde_json::Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap_or("").to_string())
        .collect()
}

/// An MWAA project on 2.10.3: both ends are MWAA's images (constraints applied, offline), a
/// requirement MWAA would refuse is reported on its line (SKY507), the `--constraint` line of
/// another version on its line (SKY505), and `skyhop upgrade` rewrites that line.
#[test]
fn mwaa_project_upgrade_test_and_upgrade() {
    let reqs = "--constraint \"https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\"\napache-airflow-providers-snowflake\napache-airflow-providers-amazon==9.0.0\n";
    let dir = project(&[("requirements.txt", reqs), ("plugins/__init__.py", "")]);
    let p = dir.path().to_str().unwrap();
    let run = skyhop(&["upgrade-test", "--project", p, "--airflow-version", "3.0.6"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let r = report(&dir, "upgrade-test-2.10.3--3.0.6");
    let notes = notes(&r);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("platform modelled: Amazon MWAA, from requirements.txt")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("MWAA's Airflow 2.10.3 image")),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.starts_with("current environment:")),
        "the current environment builds: {notes:?}"
    );
    let findings = r["findings"].as_array().unwrap();
    let at = |rule: &str| -> Vec<u64> {
        findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["line"].as_u64().unwrap_or(0))
            .collect()
    };
    assert_eq!(at("SKY507"), [3], "{findings:?}");
    assert_eq!(at("SKY505"), [1], "{findings:?}");
    // the current environment is MWAA's 2.10.3 image: the constraints' versions
    let freeze = fs::read_to_string(
        dir.path()
            .join("upgrade-test-2.10.3--3.0.6/pip_freeze_2.10.3.txt"),
    )
    .unwrap();
    assert!(
        freeze
            .lines()
            .any(|l| l == "apache-airflow-providers-amazon==9.0.0"),
        "{freeze}"
    );
    assert!(freeze.lines().any(|l| l == "watchtower==3.3.1"), "{freeze}");

    // --fix: the `--constraint` line upgraded, then the DAGs fixed for the target
    let run = skyhop(&[
        "upgrade",
        "--project",
        p,
        "--airflow-version",
        "3.0.6",
        "--fix",
        "--yes",
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        reqs.replace(
            "constraints-2.10.3/constraints-3.11",
            "constraints-3.0.6/constraints-3.12"
        )
    );
    let dag = fs::read_to_string(dir.path().join("dags/hello.py")).unwrap();
    assert!(
        dag.contains("airflow.providers.standard.operators.bash"),
        "{dag}\n{}",
        run.stderr
    );
}

/// A Helm values file and the official compose file: upgrade-tested from the image they run
/// (constraints applied), the report saying which platform and file, and the Helm note.
#[test]
fn helm_and_compose_projects_are_upgrade_tested() {
    let values = "defaultAirflowTag: \"2.10.3-python3.11\"\nairflowVersion: \"2.10.3\"\n";
    let compose = "x-airflow-common:\n  &airflow-common\n  image: ${AIRFLOW_IMAGE_NAME:-apache/airflow:2.10.3-python3.11}\n  environment:\n    &airflow-common-env\n    _PIP_ADDITIONAL_REQUIREMENTS: ${_PIP_ADDITIONAL_REQUIREMENTS:-apache-airflow-providers-snowflake}\nservices:\n  airflow-scheduler:\n    <<: *airflow-common\n";
    for (file, text, platform) in [
        ("values.yaml", values, "the official Helm chart"),
        (
            "docker-compose.yaml",
            compose,
            "docker-compose with the official image",
        ),
    ] {
        let dir = project(&[(file, text)]);
        let p = dir.path().to_str().unwrap();
        let run = skyhop(&["upgrade-test", "--project", p, "--airflow-version", "3.0.6"]);
        assert!(run.code == 0 || run.code == 1, "{file}: {}", run.stderr);
        let r = report(&dir, "upgrade-test-2.10.3--3.0.6");
        let notes = notes(&r);
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(&format!("platform modelled: {platform}, from {file}"))),
            "{file}: {notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("constraints-2.10.3 for Python 3.11")),
            "{file}: {notes:?}"
        );
        if file == "values.yaml" {
            assert!(
                notes.iter().any(|n| n.contains("apache/airflow#68072") && n.contains("skyhop db rehearse")),
                "{notes:?}"
            );
        } else {
            let freeze = fs::read_to_string(
                dir.path()
                    .join("upgrade-test-2.10.3--3.0.6/pip_freeze_2.10.3.txt"),
            )
            .unwrap();
            assert!(
                freeze
                    .lines()
                    .any(|l| l.starts_with("apache-airflow-providers-snowflake==")),
                "_PIP_ADDITIONAL_REQUIREMENTS installed: {freeze}"
            );
        }
    }
}
