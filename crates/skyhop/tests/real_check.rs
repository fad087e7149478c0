//! `skyhop check` end to end against a real Runtime environment resolved and installed with uv
//! (cached in skyhop's cache between runs: minutes the first time, under a second warm).
//!
//! Set `SKYHOP_SKIP_REAL_AIRFLOW=1` to skip it.

mod common;

use std::path::Path;

use common::{copy_dir, skyhop};

/// Issue 11's subclass case, through the CLI: a Runtime 8.3.0 project (cncf-kubernetes 6.1.0)
/// with a custom operator subclassing `KubernetesPodOperator` and calling `self.get_hook()`,
/// checked with `--runtime-version 8.4.0` (cncf-kubernetes 7.0.0 removed `get_hook`): an error
/// naming 7.0.0's removal, and nothing on `get_namespace`, which the hook still has.
#[test]
fn check_runtime_8_4_0_subclass_of_a_removed_provider_method() {
    if std::env::var_os("SKYHOP_SKIP_REAL_AIRFLOW").is_some_and(|v| !v.is_empty()) {
        eprintln!("SKIPPED: SKYHOP_SKIP_REAL_AIRFLOW is set");
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runtime-subclass");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let run = skyhop(&[
        "check",
        "--project",
        dir.path().to_str().unwrap(),
        "--runtime-version",
        "8.4.0",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let findings: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let on_line = |line: u64| {
        findings
            .iter()
            .filter(move |f| f["path"] == "dags/audited_pod.py" && f["line"] == line)
    };
    // `hook = self.get_hook()`
    assert!(
        on_line(17).any(|f| f["rule"] == "SKY107"
            && f["severity"] == "error"
            && f["message"].as_str().is_some_and(|m| m.contains("get_hook")
                && m.contains("was removed in apache-airflow-providers-cncf-kubernetes 7.0.0"))),
        "{}",
        run.stdout
    );
    // `namespace = self.k8s.get_namespace()`
    assert_eq!(on_line(18).count(), 0, "{}", run.stdout);
}
