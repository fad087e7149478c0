//! Real environments: resolve and install Airflow 2.x and 3.x from the package index.
//! They use the shared cache (`skyhop_core::cache_dir()`), so reruns are fast.

use std::process::Command;
use std::time::Instant;

use skyhop_env::{Cache, airflow_venv};

fn airflow_version(python: &std::path::Path) -> String {
    let out = Command::new(python)
        .args(["-c", "import airflow; print(airflow.__version__)"])
        .env(
            "AIRFLOW_HOME",
            std::env::temp_dir().join("skyhop-env-test-airflow-home"),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn airflow_2_venv_imports_and_is_reused() {
    let cache = Cache::default();
    let venv = airflow_venv("2.10.5", &cache).unwrap();
    assert_eq!(venv.python_version, "3.11");
    assert_eq!(airflow_version(&venv.python), "2.10.5");
    let start = Instant::now();
    let again = airflow_venv("2.10.5", &cache).unwrap();
    assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    assert_eq!(again, venv);
}

#[test]
fn airflow_3_venv_imports() {
    let cache = Cache::default();
    let venv = airflow_venv("3.1.3", &cache).unwrap();
    assert_eq!(airflow_version(&venv.python), "3.1.3");
    assert!(venv.root.join("bin").join("airflow").is_file());
}
