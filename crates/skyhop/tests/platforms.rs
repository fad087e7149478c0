//! `skyhop upgrade` of projects whose Airflow runs from a Helm values file or a compose file
//! (no Dockerfile): byte-exact rewrites, idempotence, the catalog's refusals, the Helm notes.
//! No package index needed.

use std::fs;
use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stderr: String,
}

fn skyhop(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_skyhop"))
        .args(args)
        .current_dir(dir)
        .env("SKYHOP_OFFLINE", "1")
        .env("SKYHOP_CACHE_DIR", dir.join(".cache-for-test"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run skyhop");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The image keys of the official chart's values.yaml, with a user's comments.
const VALUES: &str = "# Production values for the apache-airflow/airflow chart\r\nexecutor: \"CeleryExecutor\"\r\n\r\n# Default airflow repository -- overridden by all the specific images below\r\ndefaultAirflowRepository: apache/airflow\r\n\r\n# Default airflow tag to deploy\r\ndefaultAirflowTag: \"2.10.3\"   # bump with airflowVersion\r\n\r\n# Airflow version (Used to make some decisions based on Airflow Version being deployed)\r\nairflowVersion: '2.10.3'\r\n\r\nimages:\r\n  airflow:\r\n    repository: ~\r\n    tag: ~\r\n  pgbouncer:\r\n    repository: apache/airflow\r\n    tag: airflow-pgbouncer-2024.01.19-1.21.0\r\nconfig:\r\n  core:\r\n    load_examples: 'False'\r\n";

/// Airflow's docker-compose.yaml, the parts that name the image.
const COMPOSE: &str = "---\nx-airflow-common:\n  &airflow-common\n  # Comment the image line, place your Dockerfile in the directory where you placed the docker-compose.yaml\n  image: ${AIRFLOW_IMAGE_NAME:-apache/airflow:2.10.3}\n  # build: .\n  environment:\n    &airflow-common-env\n    AIRFLOW__CORE__EXECUTOR: CeleryExecutor\n    _PIP_ADDITIONAL_REQUIREMENTS: ${_PIP_ADDITIONAL_REQUIREMENTS:-}\n  user: \"${AIRFLOW_UID:-50000}:0\"\n\nservices:\n  postgres:\n    image: postgres:13\n  airflow-scheduler:\n    <<: *airflow-common\n    command: scheduler\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("dags")).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn read(dir: &tempfile::TempDir, name: &str) -> String {
    fs::read_to_string(dir.path().join(name)).unwrap()
}

#[test]
fn helm_values_are_upgraded_byte_exact_with_the_migration_note() {
    let dir = project(&[("chart/values.yaml", VALUES)]);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--yes"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&dir, "chart/values.yaml"),
        VALUES
            .replace("\"2.10.3\"", "\"3.0.6\"")
            .replace("'2.10.3'", "'3.0.6'")
    );
    assert!(
        run.stderr
            .contains("Platform: the official Helm chart, from chart/values.yaml"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("apache/airflow#68072"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("helm rollback"), "{}", run.stderr);
    assert!(run.stderr.contains("skyhop db rehearse"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("chart/values.yaml:8: defaultAirflowTag: 2.10.3 -> 3.0.6"),
        "{}",
        run.stderr
    );
    // again: nothing to do, nothing written
    let again = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--yes"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
}

#[test]
fn helm_downgrade_and_runtime_versions_are_refused() {
    let dir = project(&[("values.yaml", VALUES)]);
    let run = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--airflow-version",
            "2.9.3",
            "--yes",
            "--allow-deprecated",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("upgrade refused"), "{}", run.stderr);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--runtime-version", "3.1-12", "--yes"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("pass --airflow-version"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&dir, "values.yaml"), VALUES);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--plan", "--yes"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--plan works on a Dockerfile"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&dir, "values.yaml"), VALUES);
}

#[test]
fn compose_file_and_its_dot_env_are_upgraded_byte_exact() {
    let env = "AIRFLOW_UID=50000\nAIRFLOW_IMAGE_NAME=apache/airflow:2.10.3-python3.11\n";
    let dir = project(&[("docker-compose.yaml", COMPOSE), (".env", env)]);
    let dry = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--dry-run"],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(read(&dir, "docker-compose.yaml"), COMPOSE);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--yes"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&dir, "docker-compose.yaml"),
        COMPOSE.replace("apache/airflow:2.10.3}", "apache/airflow:3.0.6}")
    );
    assert_eq!(read(&dir, ".env"), env.replace("2.10.3", "3.0.6"));
    assert!(
        run.stderr
            .contains("docker-compose with the official image"),
        "{}",
        run.stderr
    );
}

#[test]
fn platform_override_picks_the_file() {
    // both a values file and a compose file: --platform compose upgrades the compose file only
    let dir = project(&[("values.yaml", VALUES), ("docker-compose.yaml", COMPOSE)]);
    let run = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--platform",
            "compose",
            "--airflow-version",
            "3.0.6",
            "--yes",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read(&dir, "values.yaml"), VALUES);
    assert_ne!(read(&dir, "docker-compose.yaml"), COMPOSE);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--platform", "k8s", "--airflow-version", "3.0.6"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// An MWAA project: requirements.txt with the `--constraint` line MWAA's docs ask for,
/// `plugins/` and `startup.sh`.
const MWAA_REQS: &str = "# MWAA requirements\r\n--constraint \"https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\"\r\napache-airflow-providers-snowflake  # from constraints\r\nboto3\r\n";

#[test]
fn mwaa_constraint_line_is_upgraded_byte_exact() {
    let dir = project(&[
        ("requirements.txt", MWAA_REQS),
        ("startup.sh", "#!/bin/sh\n"),
        ("plugins/__init__.py", ""),
    ]);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--yes"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // MWAA's Airflow 3.0.6 image runs Python 3.12
    assert_eq!(
        read(&dir, "requirements.txt"),
        MWAA_REQS.replace(
            "constraints-2.10.3/constraints-3.11.txt",
            "constraints-3.0.6/constraints-3.12.txt"
        )
    );
    assert!(
        run.stderr.contains("Platform: Amazon MWAA"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("aws mwaa update-environment"),
        "{}",
        run.stderr
    );
    let again = skyhop(
        dir.path(),
        &["upgrade", "--airflow-version", "3.0.6", "--yes"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    let down = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--airflow-version",
            "2.11.0",
            "--yes",
            "--allow-deprecated",
        ],
    );
    assert_eq!(down.code, 2, "{}", down.stderr);
}

#[test]
fn mwaa_by_platform_flag_without_the_layout() {
    let dir = project(&[("requirements.txt", MWAA_REQS)]);
    let run = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--platform",
            "mwaa",
            "--airflow-version",
            "2.11.0",
            "--allow-deprecated",
            "--yes",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&dir, "requirements.txt"),
        MWAA_REQS.replace(
            "constraints-2.10.3/constraints-3.11.txt",
            "constraints-2.11.0/constraints-3.12.txt"
        )
    );
}

#[test]
fn helm_upgrade_by_scope() {
    let dir = project(&[("values.yaml", VALUES)]);
    let run = skyhop(
        dir.path(),
        &["upgrade", "--to", "patch", "--allow-deprecated", "--yes"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("--to patch: 2.10.3 -> 2.10."),
        "{}",
        run.stderr
    );
    let after = read(&dir, "values.yaml");
    assert_ne!(after, VALUES);
    assert!(!after.contains("2.10.3"), "{after}");
}
