//! Installing locks: content-addressed reuse, concurrency, half-built venvs, Python fallback.

use std::path::Path;
use std::time::Instant;

use skyhop_core::{Lock, NoProgress};
use skyhop_env::{Cache, UV_VERSION, install, uv};

/// A fresh cache that shares the pinned uv of the default cache (no bootstrap per test).
fn fresh_cache() -> (tempfile::TempDir, Cache) {
    let shared = uv(&Cache::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join(format!("uv-{UV_VERSION}")).join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(&shared, bin.join("uv")).unwrap();
    let cache = Cache::at(dir.path());
    (dir, cache)
}

fn small_lock(python: &str) -> Lock {
    let mut lock = Lock::from_freeze("six==1.17.0\n", "uv").unwrap();
    lock.provenance.python = Some(python.to_string());
    lock
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn concurrent_installs_share_one_venv() {
    let (_dir, cache) = fresh_cache();
    let lock = small_lock("3.11");
    let venvs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| install(&lock, &cache, &NoProgress).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(venvs.iter().all(|v| *v == venvs[0]));
    let hash = lock.hash();
    assert_eq!(
        entries(&cache.root.join("venvs")),
        vec![hash.clone(), format!("{hash}.lock"), format!("{hash}.use")],
        "no temporary directory left behind (`.use`: its last use, for `skyhop cache prune`)"
    );
    let start = Instant::now();
    assert_eq!(install(&lock, &cache, &NoProgress).unwrap(), venvs[0]);
    assert!(start.elapsed().as_secs_f64() < 1.0);
    let out = std::process::Command::new(&venvs[0].python)
        .args(["-c", "import six; print(six.__version__)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1.17.0");
}

#[test]
fn a_half_built_venv_is_never_reused() {
    let (_dir, cache) = fresh_cache();
    let lock = small_lock("3.11");
    let half = cache.root.join("venvs").join(lock.hash());
    std::fs::create_dir_all(half.join("bin")).unwrap();
    std::fs::write(half.join("junk"), "left by a crash").unwrap();
    let venv = install(&lock, &cache, &NoProgress).unwrap();
    assert_eq!(venv.root, half);
    assert!(!half.join("junk").exists());
    assert!(venv.python.exists());
}

#[test]
fn a_missing_python_falls_back_to_the_nearest_with_a_note() {
    let (_dir, cache) = fresh_cache();
    // anyio needs more packages on older Pythons (exceptiongroup, typing-extensions)
    let mut lock = Lock::from_freeze("anyio==4.8.0\nidna==3.10\nsniffio==1.3.1\n", "uv").unwrap();
    lock.provenance.python = Some("3.99".to_string());
    let venv = install(&lock, &cache, &NoProgress).unwrap();
    assert_ne!(venv.python_version, "3.99");
    assert_eq!(
        venv.notes[0],
        format!(
            "Python 3.99 cannot be had on this machine (not installed, and uv could not download it): tested with Python {} instead",
            venv.python_version
        )
    );
    if venv.python_version == "3.11" {
        assert!(
            venv.notes[1]
                .starts_with("Python 3.11 needs more packages than the lock for 3.99: added "),
            "{:?}",
            venv.notes
        );
        assert!(
            venv.notes[1].contains("exceptiongroup=="),
            "{:?}",
            venv.notes
        );
    }
    let out = std::process::Command::new(&venv.python)
        .args(["-c", "import anyio"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_lock_read_from_an_image_installs_what_pypi_has_with_notes() {
    let (_dir, cache) = fresh_cache();
    let freeze = "six==1.17.0+astro.1\nastronomer-providers-logging==1.4.7\nmy-lib @ file:///nonexistent/my_lib-0.1-py3-none-any.whl\n";
    let mut lock = Lock::from_freeze(freeze, "freeze").unwrap();
    lock.provenance.python = Some("3.11".into());
    let venv = install(&lock, &cache, &NoProgress).unwrap();
    assert_eq!(
        venv.notes,
        vec![
            "six==1.17.0+astro.1 is a local build PyPI does not have: installed six==1.17.0 instead",
            "my-lib @ file:///nonexistent/my_lib-0.1-py3-none-any.whl is a file not on this machine: left out of the test environment, so code importing it is not tested",
            "astronomer-providers-logging==1.4.7 is not on the package index: left out of the test environment, so code importing it is not tested",
        ]
    );
    let out = std::process::Command::new(&venv.python)
        .args(["-c", "import six"])
        .output()
        .unwrap();
    assert!(out.status.success());
}
