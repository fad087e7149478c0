//! Real resolutions against the package index (uv's index cache makes reruns fast; the lock
//! cache makes identical reruns instant). They use the shared cache.

use std::collections::BTreeMap;
use std::time::Instant;

use skyhop_core::NoProgress;
use skyhop_env::{Cache, EnvSpec, install, resolve};

/// Runtime 11.3.0-like: Airflow 2.9.1 and the slim image's provider pins, as of its release.
fn runtime_11_3_spec() -> EnvSpec {
    let pins: BTreeMap<String, String> = [
        ("apache-airflow-providers-celery", "3.7.0"),
        ("apache-airflow-providers-common-io", "1.3.1"),
        ("apache-airflow-providers-common-sql", "1.13.0"),
        ("apache-airflow-providers-fab", "1.1.0"),
        ("apache-airflow-providers-ftp", "3.9.0"),
        ("apache-airflow-providers-http", "4.11.0"),
        ("apache-airflow-providers-imap", "3.6.0"),
        ("apache-airflow-providers-smtp", "1.7.0"),
        ("apache-airflow-providers-sqlite", "3.8.0"),
        ("astronomer-providers-logging", "1.4.7"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    EnvSpec {
        airflow: "2.9.1".into(),
        python: "3.11".into(),
        base_pins: pins,
        exclude_newer: Some("2024-05-07".into()),
        unavailable: vec!["astronomer-providers-logging".into()],
        ..EnvSpec::default()
    }
}

#[test]
fn runtime_like_base_is_resolved_as_of_its_date() {
    let cache = Cache::default();
    let lock = resolve(&runtime_11_3_spec(), &cache, &NoProgress).unwrap();
    assert_eq!(lock.version_of("apache-airflow"), Some("2.9.1"));
    assert_eq!(
        lock.version_of("apache-airflow-providers-celery"),
        Some("3.7.0")
    );
    assert_eq!(lock.version_of("astronomer-providers-logging"), None);
    // requests 2.32.0 came out on 2024-05-20: the cutoff keeps the older one
    assert_eq!(lock.version_of("requests"), Some("2.31.0"));
    assert_eq!(lock.provenance.backend, "uv");
    assert_eq!(lock.provenance.python.as_deref(), Some("3.11"));
    assert_eq!(lock.provenance.exclude_newer.as_deref(), Some("2024-05-07"));
    assert_eq!(
        lock.provenance.notes,
        vec![
            "astronomer-providers-logging==1.4.7 is only on Astronomer's package index: left out (pass --index-url to include it)"
        ]
    );

    // an identical second run comes from the lock cache, without calling uv
    let start = Instant::now();
    let again = resolve(&runtime_11_3_spec(), &cache, &NoProgress).unwrap();
    assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    assert_eq!(again, lock);
}

#[test]
fn pins_missing_from_the_index_are_left_out_with_a_note() {
    let mut spec = runtime_11_3_spec();
    spec.base_pins.retain(|n, _| n.ends_with("celery"));
    spec.base_pins
        .insert("skyhop-test-no-such-package-xyz".into(), "1.0".into());
    let lock = resolve(&spec, &Cache::default(), &NoProgress).unwrap();
    assert_eq!(lock.version_of("apache-airflow"), Some("2.9.1"));
    assert!(
        lock.provenance.notes.iter().any(|n| n
            == "skyhop-test-no-such-package-xyz==1.0 is not on the package index: left out (pass --index-url if it comes from a private index)"),
        "{:?}",
        lock.provenance.notes
    );
}

#[test]
fn user_requirements_are_layered_on_the_base() {
    let cache = Cache::default();
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    std::fs::write(
        &req,
        "# newer than the runtime\nrequests==2.32.3\nmethodtools\n",
    )
    .unwrap();
    let base = resolve(&runtime_11_3_spec(), &cache, &NoProgress).unwrap();
    let mut spec = runtime_11_3_spec();
    spec.requirements = Some(req);
    let lock = resolve(&spec, &cache, &NoProgress).unwrap();
    // the user's pin wins over the base's cutoff, as `pip install` on the image does
    assert_eq!(lock.version_of("requests"), Some("2.32.3"));
    assert!(lock.version_of("methodtools").is_some());
    // the runtime's own packages stay as shipped
    assert_eq!(lock.version_of("apache-airflow"), Some("2.9.1"));
    assert_eq!(
        lock.version_of("apache-airflow-providers-celery"),
        Some("3.7.0")
    );
    let changed: Vec<_> = base
        .packages
        .iter()
        .filter(|p| lock.version_of(&p.name) != Some(p.version.as_str()))
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        changed,
        vec!["requests"],
        "only what the user asked for moves"
    );
    assert_eq!(lock.provenance.notes, base.provenance.notes);
}

#[test]
fn a_conflicting_pin_is_left_out_and_named_with_what_to_do() {
    let cache = Cache::default();
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    std::fs::write(
        &req,
        "requests==2.32.3\n# Airflow 2 needs SQLAlchemy 1.4\nSQLAlchemy==2.0.30\n",
    )
    .unwrap();
    let mut spec = runtime_11_3_spec();
    spec.requirements = Some(req.clone());
    let lock = resolve(&spec, &cache, &NoProgress).unwrap();
    // the rest is tested: requests as pinned, SQLAlchemy as Airflow needs it
    assert_eq!(lock.version_of("requests"), Some("2.32.3"));
    assert!(lock.version_of("sqlalchemy").unwrap().starts_with("1.4"));
    let left = &lock.provenance.layering.left_out;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        (left[0].requirement.as_str(), left[0].line),
        ("SQLAlchemy==2.0.30", 3)
    );
    assert!(
        left[0].why.join(" ").to_lowercase().contains("sqlalchemy"),
        "{left:?}"
    );
    assert!(left[0].what_to_do.contains("SQLAlchemy"), "{left:?}");
}

#[test]
fn a_provider_pinned_newer_than_the_runtime_ships_moves_it() {
    // Astronomer's advice: pin providers in requirements.txt, newer than the runtime has.
    let cache = Cache::default();
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    std::fs::write(&req, "apache-airflow-providers-http==4.13.3\n").unwrap();
    let mut spec = runtime_11_3_spec();
    let shipped = resolve(&spec, &cache, &NoProgress).unwrap();
    assert_ne!(
        shipped.version_of("apache-airflow-providers-http"),
        Some("4.13.3")
    );
    spec.requirements = Some(req.clone());
    let lock = resolve(&spec, &cache, &NoProgress).unwrap();
    assert_eq!(
        lock.version_of("apache-airflow-providers-http"),
        Some("4.13.3")
    );
    assert_eq!(lock.version_of("apache-airflow"), Some("2.9.1"));
    assert!(lock.provenance.layering.left_out.is_empty());
    assert!(
        lock.provenance
            .layering
            .changed
            .iter()
            .any(|(n, _, to)| n == "apache-airflow-providers-http" && to == "4.13.3")
    );
}

#[test]
fn a_pin_without_a_wheel_for_the_python_is_moved_to_the_nearest_with_one() {
    let cache = Cache::default();
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    std::fs::write(&req, "pandas==2.1.0\n").unwrap();
    let spec = EnvSpec {
        airflow: "2.10.5".into(),
        python: "3.12".into(),
        exclude_newer: Some("2025-02-11".into()),
        requirements: Some(req),
        ..EnvSpec::default()
    };
    let lock = resolve(&spec, &cache, &NoProgress).unwrap();
    let nw = &lock.provenance.layering.no_wheel;
    assert_eq!(nw.len(), 1, "{nw:?}");
    assert_eq!(nw[0].requirement.line, 1);
    assert_eq!(nw[0].version, "2.1.0");
    assert_eq!(nw[0].used.as_deref(), Some("2.1.1"));
    assert_eq!(lock.version_of("pandas"), Some("2.1.1"));
}

#[test]
fn resolves_for_a_python_without_needing_it() {
    // Python 3.13's markers and wheels, without needing it: uv resolves for the target
    let spec = EnvSpec {
        airflow: "3.1.3".into(),
        python: "3.13".into(),
        exclude_newer: Some("2025-11-15".into()),
        ..EnvSpec::default()
    };
    let lock = resolve(&spec, &Cache::default(), &NoProgress).unwrap();
    assert_eq!(lock.version_of("apache-airflow"), Some("3.1.3"));
    assert!(lock.version_of("apache-airflow-task-sdk").is_some());
    assert_eq!(lock.provenance.python.as_deref(), Some("3.13"));
}

#[test]
fn airflow_3_for_python_3_12_installs_or_falls_back_with_a_note() {
    let cache = Cache::default();
    let spec = EnvSpec {
        airflow: "3.1.3".into(),
        python: "3.12".into(),
        exclude_newer: Some("2025-11-15".into()),
        ..EnvSpec::default()
    };
    let lock = resolve(&spec, &cache, &NoProgress).unwrap();
    assert_eq!(lock.version_of("apache-airflow"), Some("3.1.3"));
    let venv = install(&lock, &cache, &NoProgress).unwrap();
    if venv.python_version == "3.12" {
        assert!(venv.notes.is_empty(), "{:?}", venv.notes);
    } else {
        assert_eq!(
            venv.notes[0],
            format!(
                "Python 3.12 is not available; using {} instead: results may differ",
                venv.python_version
            )
        );
    }
    let out = std::process::Command::new(&venv.python)
        .args(["-c", "import airflow.sdk, sys; print(sys.version_info[:2])"])
        .env("AIRFLOW_HOME", dir_for_airflow_home())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn dir_for_airflow_home() -> std::path::PathBuf {
    std::env::temp_dir().join("skyhop-env-test-airflow-home")
}
