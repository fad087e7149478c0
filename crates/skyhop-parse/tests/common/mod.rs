//! Helpers shared by the real-Airflow tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Python of a venv holding plain `apache-airflow==version` (built once by skyhop-env into
/// skyhop's cache, reused afterwards).
pub fn airflow_python(version: &str) -> PathBuf {
    let venv = skyhop_env::airflow_venv(version, &skyhop_env::Cache::default())
        .unwrap_or_else(|e| panic!("cannot build an Airflow {version} venv: {e}"));
    venv.python
}

/// Directory holding the example DAGs of the apache-airflow `version` wheel.
pub fn example_dags(version: &str) -> PathBuf {
    skyhop_env::airflow_example_dags(version, &skyhop_env::Cache::default())
        .unwrap_or_else(|e| panic!("cannot get the Airflow {version} example DAGs: {e}"))
}

/// Copies `from` into `to` recursively (skipping `__pycache__`).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every `.py` and `.zip` file under `dir`, sorted (what Airflow lists without an
/// `.airflowignore`; its safe-mode heuristic is applied by the DagBag itself).
pub fn dag_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("py" | "zip")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Import errors of a plain `DagBag(dag_folder)` run by `python` in a fresh process with a
/// throwaway AIRFLOW_HOME: `(path relative to project, last line of the error)`, sorted.
pub fn plain_dagbag_errors(python: &Path, project: &Path) -> Vec<(String, String)> {
    let home = tempfile::tempdir().unwrap();
    let dags = project.join("dags");
    let script = r#"
import json, os, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
root = sys.argv[2]
out = {}
for path, err in bag.import_errors.items():
    full = path if os.path.isabs(path) else os.path.join(sys.argv[1], path)
    lines = [l for l in str(err).strip().splitlines() if l.strip()]
    out[os.path.relpath(full, root)] = lines[-1] if lines else ""
print("SKYHOP-RESULT " + json.dumps(out, sort_keys=True))
"#;
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&dags)
        .arg(project)
        .current_dir(project)
        .env("AIRFLOW_HOME", home.path())
        .env(
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
            format!("sqlite:///{}/airflow.db", home.path().display()),
        )
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        .env("AIRFLOW__CORE__DAGS_FOLDER", &dags)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SKYHOP-RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "plain DagBag failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
    map.into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or("").to_string()))
        .collect()
}
