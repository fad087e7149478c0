//! The precision corpus (`tests/fixtures/precision/`, listed in its README.md): every false
//! finding seen on real projects, reduced to a fixture that must give no finding, each next to
//! the true break that must still be found.
//!
//! - `precision_corpus_against_a_cut_of_the_real_index`: against a cut of the real index of
//!   the target below (`tests/fixtures/precision/index-3.1.7-cut.json`, made by
//!   `cut_index.py` from the index the real test builds); fast, snapshotted.
//! - `precision_corpus_against_real_airflow_3_1_7` (slow: builds and indexes the target once,
//!   then it is cached): Airflow 3.1.7 with the amazon, snowflake and postgres providers, and
//!   every DAG file really imported there: the files with an import-time error are exactly the
//!   files that fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod common;

use skyhop_check::{
    ApiIndex, CheckOptions, Checked, check_detailed, collect_python_files, to_text,
};
use skyhop_core::{NoProgress, Severity};
use skyhop_project::DiscoveryOptions;

/// The target's providers, pinned to versions that install with Airflow 3.1.7 (as in Runtime
/// 3.1-12 environments) so that the environment stays the same.
const PROVIDERS: &[&str] = &[
    "apache-airflow-providers-amazon==9.39.0",
    "apache-airflow-providers-snowflake==6.20.0",
    "apache-airflow-providers-postgres==7.1.1",
];

/// The true breaks next to the false findings: `(path, line, rule)` of every error expected.
const TRUE_BREAKS: &[(&str, u32, &str)] = &[
    // A helper that fails to import: the DAG importing it, and the helper's line.
    ("dags/dates_dag.py", 6, "SKY110"),
    ("plugins/helpers/dates.py", 2, "SKY102"),
    // A closed constructor, a classmethod's parameter.
    ("dags/hooks_dag.py", 27, "SKY106"),
    ("dags/hooks_dag.py", 28, "SKY106"),
    // Not installed, named by its real distribution; a path that never existed.
    ("dags/imports_dag.py", 14, "SKY104"),
    ("dags/imports_dag.py", 20, "SKY101"),
    // Direct metadata-database access: at run time, on its own lines.
    ("plugins/helpers/db.py", 3, "SKY307"),
    // Members no class of the MRO has.
    ("plugins/operators/comms_operator.py", 18, "SKY105"),
    ("plugins/operators/vendor_operator.py", 22, "SKY105"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/precision")
}

/// The files `skyhop upgrade-test` checks (the DAG files Airflow 3 discovers and the plugins),
/// plus the Glue script given by hand, and the options saying which files Airflow loads.
fn files_and_options() -> (Vec<PathBuf>, CheckOptions) {
    let root = root();
    let discovery = skyhop_project::dags::dag_files(
        &root.join("dags"),
        &DiscoveryOptions::for_airflow_major(3),
    );
    let mut loaded: Vec<PathBuf> = discovery.dag_files.iter().map(|f| f.path.clone()).collect();
    assert!(
        discovery
            .skipped_by_safe_mode
            .iter()
            .any(|f| f.relative == "glue/orders_job.py"),
        "{discovery:?}"
    );
    loaded.extend(collect_python_files(&[root.join("plugins")], &root).0);
    let mut files = loaded.clone();
    files.extend(collect_python_files(&[root.join("include")], &root).0);
    files.push(root.join("dags/glue/orders_job.py"));
    files.sort();
    let opts = CheckOptions {
        target_airflow: "3.1.7".into(),
        current_airflow: Some("2.9.3".into()),
        loaded: Some(loaded),
        ..CheckOptions::default()
    };
    (files, opts)
}

/// Asserts the corpus's findings: errors exactly at the true breaks, the Glue script's
/// findings information only, and the named facts right.
fn assert_precision(checked: &[Checked]) {
    let text = to_text(
        &checked
            .iter()
            .map(|c| c.finding.clone())
            .collect::<Vec<_>>(),
    );
    let errors: BTreeSet<(String, u32, String)> = checked
        .iter()
        .filter(|c| c.finding.severity == Severity::Error)
        .map(|c| {
            (
                c.finding.path.clone(),
                c.finding.line,
                c.finding.rule.clone(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, u32, String)> = TRUE_BREAKS
        .iter()
        .map(|(p, l, r)| (p.to_string(), *l, r.to_string()))
        .collect();
    assert_eq!(errors, expected, "\n{text}");
    // Files Airflow does not load: information only.
    for path in ["dags/glue/orders_job.py", "include/standalone_report.py"] {
        let of: Vec<&Checked> = checked.iter().filter(|c| c.finding.path == path).collect();
        assert!(!of.is_empty(), "{path}: {text}");
        assert!(
            of.iter().all(|c| c.finding.severity == Severity::Info),
            "{path}: {text}"
        );
    }
    let message = |path: &str, line: u32| {
        checked
            .iter()
            .find(|c| c.finding.path == path && c.finding.line == line)
            .map(|c| c.finding.message.clone())
            .unwrap_or_default()
    };
    assert!(
        message("dags/imports_dag.py", 14).contains("`google-api-python-client`"),
        "{text}"
    );
    let s3 = message("dags/imports_dag.py", 20);
    assert!(
        s3.contains("`airflow.providers.amazon.aws.hooks.s3`") && !s3.contains(".fs."),
        "{text}"
    );
    // The shim is a deprecation, not a break.
    assert!(
        checked
            .iter()
            .any(|c| c.finding.path == "dags/imports_dag.py"
                && c.finding.line == 7
                && c.finding.rule == "SKY103"),
        "{text}"
    );
    // Run-time findings never make a module fail to import.
    let db = checked
        .iter()
        .find(|c| c.finding.path == "plugins/helpers/db.py" && c.finding.rule == "SKY307")
        .expect("SKY307");
    assert!(!db.at_import, "{text}");
}

#[test]
fn precision_corpus_against_a_cut_of_the_real_index() {
    let path = root().join("index-3.1.7-cut.json");
    let index = ApiIndex::load_json(&path).expect("cut index");
    let (files, opts) = files_and_options();
    let checked = check_detailed(&files, &root(), Some(&index), &opts);
    assert_precision(&checked);
    let findings: Vec<_> = checked.into_iter().map(|c| c.finding).collect();
    // Nothing is fixed in a file Airflow does not load.
    let fixed = skyhop_check::fix(&files, &findings);
    assert!(
        fixed
            .iter()
            .all(|f| !f.path.ends_with("include/standalone_report.py")),
        "{fixed:?}"
    );
    insta::assert_snapshot!("precision_corpus", to_text(&findings));
}

#[test]
fn precision_corpus_against_real_airflow_3_1_7() {
    let cache = skyhop_env::Cache::default();
    let venv = skyhop_env::airflow_venv_plus("3.1.7", PROVIDERS, &cache, &NoProgress)
        .expect("Airflow 3.1.7 with providers");
    let index = ApiIndex::build(&venv.python, &venv.lock_hash, &NoProgress).expect("index");
    if let Ok(out) = std::env::var("SKYHOP_WRITE_INDEX") {
        // For `cut_index.py`: the real index this test checks against.
        std::fs::write(&out, serde_json::to_vec(&index).expect("index json")).expect("write");
    }
    let (files, opts) = files_and_options();
    let checked = check_detailed(&files, &root(), Some(&index), &opts);
    assert_precision(&checked);

    // Every DAG file imported for real: those with an import-time error are those that fail.
    let dags = root().join("dags");
    let names: Vec<String> =
        skyhop_project::dags::dag_files(&dags, &DiscoveryOptions::for_airflow_major(3))
            .dag_files
            .iter()
            .map(|f| f.relative.clone())
            .collect();
    let flagged: BTreeSet<String> = checked
        .iter()
        .filter(|c| c.at_import && c.finding.severity == Severity::Error)
        .filter_map(|c| c.finding.path.strip_prefix("dags/").map(str::to_string))
        .filter(|p| names.contains(p))
        .collect();
    let (real, failing) = common::import_project_dags(&venv.python, &root(), &names);
    assert_eq!(flagged, failing, "{real:?}");
    assert!(failing.contains("dates_dag.py"), "{real:?}");
}
