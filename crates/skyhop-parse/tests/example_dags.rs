//! Done means: parsing the apache-airflow 2.10.5 example DAGs under Airflow 3.1.3 reports
//! exactly the files a plain DagBag under 3.1.3 reports, with their errors, lines and
//! deprecation warnings.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use skyhop_core::NoProgress;
use skyhop_parse::{ParseOptions, parse, to_text};

#[test]
fn example_dags_of_2_10_5_under_3_1_3_match_a_plain_dagbag() {
    let python = common::airflow_python("3.1.3");
    let project = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::example_dags("2.10.5"),
        &project.path().join("dags"),
    );
    let files = common::dag_files(&project.path().join("dags"));
    let opts = ParseOptions {
        jobs: 2,
        timeout: Duration::from_secs(60),
        ..ParseOptions::default()
    };
    let report = parse(&python, project.path(), &files, &opts, &NoProgress).unwrap();
    assert_eq!(report.airflow, "3.1.3");
    assert_eq!(report.files.len(), files.len());

    // The same set of failing files as Airflow's own DagBag, with the same final error line.
    let plain = common::plain_dagbag_errors(&python, project.path());
    let plain_files: BTreeSet<&str> = plain.iter().map(|(p, _)| p.as_str()).collect();
    let ours: BTreeSet<&str> = report.failures().map(|f| f.path.as_str()).collect();
    assert_eq!(ours, plain_files);
    for (path, last_line) in &plain {
        let file = report.files.iter().find(|f| &f.path == path).unwrap();
        let expected = format!(
            "{}: {}",
            file.error_type.as_deref().unwrap(),
            file.error.as_deref().unwrap()
        );
        assert!(
            last_line.ends_with(&expected) || expected.ends_with(last_line.as_str()),
            "{path}: plain DagBag says {last_line:?}, skyhop says {expected:?}"
        );
    }

    // One by one: file, line, error.
    let failures: Vec<String> = report
        .failures()
        .map(|f| format!("{}: {}", f.location(), f.summary()))
        .collect();
    assert_eq!(
        failures,
        [
            "dags/example_bash_decorator.py:27: ModuleNotFoundError: No module named 'airflow.utils.weekday'",
            "dags/example_branch_day_of_week_operator.py:29: ModuleNotFoundError: No module named 'airflow.utils.weekday'",
            "dags/example_branch_operator.py:32: ImportError: cannot import name 'is_venv_installed' from 'airflow.operators.python' (unknown location)",
            "dags/example_branch_operator_decorator.py:33: ImportError: cannot import name 'is_venv_installed' from 'airflow.operators.python' (unknown location)",
            "dags/example_python_decorator.py:33: ImportError: cannot import name 'is_venv_installed' from 'airflow.operators.python' (unknown location)",
            "dags/example_python_operator.py:33: ImportError: cannot import name 'is_venv_installed' from 'airflow.operators.python' (unknown location)",
            "dags/example_sensors.py:33: ModuleNotFoundError: No module named 'airflow.utils.weekday'",
            "dags/example_subdag_operator.py:33: ModuleNotFoundError: No module named 'airflow.example_dags.subdags'",
            "dags/tutorial_taskflow_api_virtualenv.py:24: ImportError: cannot import name 'is_venv_installed' from 'airflow.operators.python' (unknown location)",
        ]
    );
    for file in report.failures() {
        let tb = file.traceback.as_deref().unwrap();
        assert!(tb.starts_with("Traceback"), "{}", file.path);
        assert!(tb.contains(&file.path), "{}: {tb}", file.path);
    }

    // Deprecation warnings of files that do import, with the line that caused them.
    let good = report
        .files
        .iter()
        .find(|f| f.path == "dags/example_bash_operator.py")
        .unwrap();
    assert!(good.ok);
    assert_eq!(good.dag_ids, ["example_bash_operator"]);
    assert!(good.warnings.iter().any(|w| w.is_deprecation()
        && w.line.is_some()
        && w.message.contains("airflow.operators.bash.BashOperator")));
    insta::assert_snapshot!(to_text(&report));
    assert_no_bytecode(project.path());
}

fn assert_no_bytecode(dir: &Path) {
    for file in common::dag_files(dir) {
        assert!(!file.to_string_lossy().contains("__pycache__"));
    }
    assert!(
        !dir.join("dags/__pycache__").exists(),
        "the harness wrote bytecode into the project"
    );
}

/// Under their own Airflow the example DAGs all import, including those that read the metadata
/// database while parsing (dataset aliases, pools): the throwaway SQLite holds the tables.
#[test]
fn example_dags_of_2_10_5_under_2_10_5_all_import() {
    let python = common::airflow_python("2.10.5");
    let project = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::example_dags("2.10.5"),
        &project.path().join("dags"),
    );
    let files = common::dag_files(&project.path().join("dags"));
    let opts = ParseOptions {
        jobs: 2,
        timeout: Duration::from_secs(60),
        ..ParseOptions::default()
    };
    let report = parse(&python, project.path(), &files, &opts, &NoProgress).unwrap();
    assert_eq!(report.airflow, "2.10.5");
    let failures: Vec<String> = report
        .failures()
        .map(|f| format!("{}: {}", f.location(), f.summary()))
        .collect();
    assert_eq!(failures, Vec::<String>::new());
    let alias = report
        .files
        .iter()
        .find(|f| f.path == "dags/example_dataset_alias.py")
        .unwrap();
    assert!(alias.dag_ids.len() >= 2, "{alias:?}");
}
