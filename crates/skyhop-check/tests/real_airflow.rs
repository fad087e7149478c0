//! Done means: on the example DAGs shipped in the apache-airflow 2.10.5 wheel, checking against
//! the index of a real Airflow 3.1.3 environment flags exactly the files that really fail to
//! import under Airflow 3.1.3, with the reason. The real import runs in that environment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use common::real_import;
use skyhop_check::{ApiIndex, CheckOptions, check_detailed, to_text};
use skyhop_core::{NoProgress, Severity};

#[test]
fn example_dags_of_2_10_5_against_real_airflow_3_1_3() {
    let cache = skyhop_env::Cache::default();
    let venv = skyhop_env::airflow_venv("3.1.3", &cache).expect("Airflow 3.1.3 venv");
    let dags = skyhop_env::airflow_example_dags("2.10.5", &cache).expect("2.10.5 example DAGs");

    let start = Instant::now();
    let index = ApiIndex::build(&venv.python, &venv.lock_hash, &NoProgress).expect("index");
    eprintln!(
        "index: {} modules, {} classes; introspection took {:.1} s, build/load {:.1} s",
        index.modules.len(),
        index.classes.len(),
        index.seconds,
        start.elapsed().as_secs_f64()
    );
    assert_eq!(index.airflow_version.as_deref(), Some("3.1.3"));
    let again = Instant::now();
    ApiIndex::build(&venv.python, &venv.lock_hash, &NoProgress).expect("cached index");
    assert!(again.elapsed().as_secs() < 5, "the index is cached");

    let mut names: Vec<String> = std::fs::read_dir(&dags)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".py") && n != "__init__.py")
        .collect();
    names.sort();
    assert!(names.len() > 40, "{names:?}");
    let files: Vec<PathBuf> = names.iter().map(|n| dags.join(n)).collect();

    let opts = CheckOptions {
        target_airflow: "3.1.3".into(),
        ..CheckOptions::default()
    };
    let checked = check_detailed(&files, &dags, Some(&index), &opts);
    let flagged: BTreeSet<String> = checked
        .iter()
        .filter(|c| c.at_import && c.finding.severity == Severity::Error)
        .map(|c| c.finding.path.clone())
        .collect();

    let real = real_import(&venv.python, &dags, &names);
    assert_eq!(real.len(), names.len(), "{real:?}");
    let failing: BTreeSet<String> = real
        .iter()
        .filter(|(_, e)| e.is_some())
        .map(|(f, _)| f.clone())
        .collect();
    eprintln!("really failing under 3.1.3: {failing:?}");
    assert!(!failing.is_empty());
    assert_eq!(
        flagged, failing,
        "files flagged with an import-time error vs files that really fail to import"
    );

    // With the reason: the name in the real error appears in one of the file's errors.
    let quoted = regex::Regex::new(r"'([^']+)'").unwrap();
    for (file, error) in real.iter().filter_map(|(f, e)| Some((f, e.as_ref()?))) {
        let name = quoted
            .captures(error)
            .map(|c| c[1].to_string())
            .unwrap_or_default();
        let messages: Vec<&str> = checked
            .iter()
            .filter(|c| &c.finding.path == file && c.finding.severity == Severity::Error)
            .map(|c| c.finding.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains(&name)),
            "{file}: real error `{error}`, our errors: {messages:#?}"
        );
    }

    // Fixes: on a copy, the safe rewrites make the weekday files import under 3.1.3.
    let copy = tempfile::tempdir().unwrap();
    let fixed_names: Vec<String> = failing
        .iter()
        .filter(|f| {
            std::fs::read_to_string(dags.join(f.as_str()))
                .is_ok_and(|t| t.contains("airflow.utils.weekday"))
        })
        .cloned()
        .collect();
    assert!(!fixed_names.is_empty());
    let copies: Vec<PathBuf> = fixed_names
        .iter()
        .map(|n| {
            let to = copy.path().join(n);
            std::fs::copy(dags.join(n), &to).unwrap();
            to
        })
        .collect();
    let findings = skyhop_check::check(&copies, copy.path(), Some(&index), &opts);
    let fixes = skyhop_check::fix(&copies, &findings);
    assert_eq!(fixes.len(), copies.len());
    skyhop_check::apply_fixes(&fixes).unwrap();
    let after = real_import(&venv.python, copy.path(), &fixed_names);
    assert!(
        after.values().all(Option::is_none),
        "still failing after --fix: {after:?}\n{}",
        skyhop_check::unified_diff(&fixes)
    );

    let errors: Vec<_> = checked
        .iter()
        .filter(|c| c.at_import && c.finding.severity == Severity::Error)
        .map(|c| c.finding.clone())
        .collect();
    insta::assert_snapshot!(
        "example_dags_2_10_5_import_errors_on_3_1_3",
        to_text(&errors)
    );
}

/// Done means (issue 11): a DAG file that fails to import because of a helper module it imports
/// (from `include/`, or a module next to it that imports one) has an error finding on the DAG
/// file, pointing to the helper's line; the files flagged are exactly the files that really fail.
#[test]
fn dag_files_failing_through_helper_modules_against_real_airflow_3_1_3() {
    let cache = skyhop_env::Cache::default();
    let venv = skyhop_env::airflow_venv("3.1.3", &cache).expect("Airflow 3.1.3 venv");
    let index = ApiIndex::build(&venv.python, &venv.lock_hash, &NoProgress).expect("index");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/SKY110_project");
    let dags = root.join("dags");
    let names = vec!["fine.py".to_string(), "report.py".to_string()];
    let files: Vec<PathBuf> = names.iter().map(|n| dags.join(n)).collect();
    let opts = CheckOptions {
        target_airflow: "3.1.3".into(),
        ..CheckOptions::default()
    };
    let checked = check_detailed(&files, &root, Some(&index), &opts);
    let flagged: BTreeSet<String> = checked
        .iter()
        .filter(|c| c.at_import && c.finding.severity == Severity::Error)
        .filter(|c| {
            c.finding.path.starts_with("dags/") && c.finding.path != "dags/local_helpers.py"
        })
        .map(|c| c.finding.path.trim_start_matches("dags/").to_string())
        .collect();
    let (real, failing) = common::import_project_dags(&venv.python, &root, &names);
    assert_eq!(flagged, failing, "{real:?}");
    let helper = checked
        .iter()
        .find(|c| c.finding.path == "dags/report.py" && c.finding.rule == "SKY110")
        .expect("SKY110 on report.py");
    assert_eq!(helper.finding.related[0].path, "include/reporting/tasks.py");
    assert_eq!(helper.finding.related[0].line, 2);
    // The real error names the module the helper imports.
    let error = real["report.py"].as_deref().unwrap_or_default();
    assert!(
        error.contains("airflow.operators.dummy_operator"),
        "{error}"
    );
    assert!(
        helper
            .finding
            .message
            .contains("airflow.operators.dummy_operator")
    );
}
