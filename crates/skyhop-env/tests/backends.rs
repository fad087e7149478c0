//! The docker and freeze-file backends, and the test helpers other crates use.

use std::path::Path;

use skyhop_env::{
    Cache, EnvError, airflow_example_dags, docker_available, docker_freeze, freeze_file,
};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn freeze_file_backend_reads_the_airflow_version() {
    let lock = freeze_file(&fixture("runtime-11.3.0-freeze.txt")).unwrap();
    assert_eq!(lock.version_of("apache-airflow"), Some("2.9.1+astro.1"));
    assert_eq!(
        lock.version_of("apache-airflow-providers-common-sql"),
        Some("1.13.0")
    );
    assert_eq!(lock.packages.len(), 7);
    assert_eq!(lock.provenance.backend, "freeze");
    assert_eq!(lock.provenance.notes.len(), 1, "the -e line is noted");
}

#[test]
fn freeze_file_errors_name_file_and_line() {
    let err = freeze_file(&fixture("broken-freeze.txt")).unwrap_err();
    let text = err.to_string();
    assert!(text.ends_with("broken-freeze.txt:line 2: expected `name==version` or `name @ url`: `this is not a requirement`"), "{text}");
    let err = freeze_file(&fixture("missing.txt")).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot read the freeze file "),
        "{err}"
    );
}

#[test]
fn docker_backend_says_when_no_engine_answers() {
    if docker_available() {
        let lock = docker_freeze("python:3.11-slim").unwrap();
        assert!(lock.version_of("pip").is_some());
        return;
    }
    let err = docker_freeze("quay.io/astronomer/astro-runtime:11.3.0").unwrap_err();
    assert!(matches!(err, EnvError::NoDocker { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("the docker backend needs a running Docker engine and none answers ("),
        "{text}"
    );
    assert!(
        text.contains("what to do: start Docker, or use the default uv backend"),
        "{text}"
    );
}

#[test]
fn example_dags_are_extracted_once() {
    let cache = Cache::default();
    let dir2 = airflow_example_dags("2.10.5", &cache).unwrap();
    assert!(dir2.join("example_bash_operator.py").is_file());
    let dir3 = airflow_example_dags("3.1.3", &cache).unwrap();
    assert!(dir3.join("example_complex.py").is_file());
    assert_ne!(dir2, dir3);
    let start = std::time::Instant::now();
    assert_eq!(airflow_example_dags("2.10.5", &cache).unwrap(), dir2);
    assert!(start.elapsed().as_millis() < 100);
}
