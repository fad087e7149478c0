//! The parse harness matches the image, under real Airflow 3.1.3 and the newest line (3.3):
//! `sys.path` as Airflow builds it (a project's `plugins/yaml` never shadows PyYAML), the
//! project readable where the image keeps it, connection placeholders that are valid
//! connections, and failures that depend only on placeholder values told apart from the file's
//! own, and the environment's scripts on PATH.

mod common;

use std::path::Path;
use std::time::Duration;

use skyhop_parse::{FileResult, ParseOptions, ParseReport, parse};

fn run(version: &str) -> ParseReport {
    let (report, project) = run_in(version);
    // Airflow wrote nothing into the project (its configuration stays in the throwaway home)
    assert!(!project.path().join("airflow.cfg").exists());
    assert!(!project.path().join("logs").exists());
    report
}

fn run_in(version: &str) -> (ParseReport, tempfile::TempDir) {
    let project = tempfile::tempdir().unwrap();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/image_like"),
        project.path(),
    );
    let files = common::dag_files(&project.path().join("dags"));
    let opts = ParseOptions {
        jobs: 2,
        timeout: Duration::from_secs(20),
        image_home: Some("/usr/local/airflow".into()),
        ..ParseOptions::default()
    };
    let report = parse(
        &common::airflow_python(version),
        project.path(),
        &files,
        &opts,
        &skyhop_core::NoProgress,
    )
    .unwrap();
    (report, project)
}

fn file<'a>(report: &'a ParseReport, name: &str) -> &'a FileResult {
    let path = format!("dags/{name}");
    report
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not in the report"))
}

fn check(report: &ParseReport) {
    let exe = file(report, "finds_executable.py");
    assert!(exe.ok, "the environment's scripts are not on PATH: {exe:?}");

    let yaml = file(report, "uses_yaml.py");
    assert!(yaml.ok, "plugins/yaml shadowed PyYAML: {yaml:?}");

    let conn = file(report, "conn_json.py");
    assert!(conn.ok, "{conn:?}");
    assert_eq!(
        conn.standins,
        ["environment variable AIRFLOW_CONN_DUCKDB_DEFAULT"]
    );

    let standin = file(report, "standin_int.py");
    assert!(!standin.ok);
    assert!(standin.standin_dependent, "{standin:?}");
    assert_eq!(standin.standins, ["environment variable WAREHOUSE_PORT"]);

    let own = file(report, "break_after_standin.py");
    assert_eq!(own.error_type.as_deref(), Some("ModuleNotFoundError"));
    assert!(!own.standin_dependent, "{own:?}");
    assert_eq!(own.standins, ["environment variable DATA_BUCKET"]);

    // `AIRFLOW_HOME` is where the project is, as in the image (also without the layout)
    let home = file(report, "reads_airflow_home.py");
    assert!(home.ok, "{home:?}");

    // where the machine allows a private mount namespace (Linux user namespaces)
    if report.image_home.is_some() {
        let read = file(report, "reads_image_path.py");
        assert!(read.ok, "{read:?}");
    } else {
        assert!(!report.notes.is_empty(), "no layout and no note saying why");
    }
    // the layout is private to the harness: nothing was made on this machine
    assert!(!Path::new("/usr/local/airflow").exists() || Path::new("/usr/local/airflow").is_dir());
}

#[test]
fn harness_matches_the_image_under_airflow_3_1_3() {
    check(&run("3.1.3"));
}

#[test]
fn harness_matches_the_image_under_airflow_3_3() {
    let report = run("3.3.2");
    assert_eq!(report.airflow, "3.3.2");
    check(&report);
}
