//! Done means: a custom operator subclassing `KubernetesPodOperator` and calling
//! `self.get_hook()` — removed in apache-airflow-providers-cncf-kubernetes 7.0.0, which
//! Runtime 8.4.0 ships (Runtime 8.3.0 ships 6.1.0) — is an error naming 7.0.0's removal when
//! checked against the target environment, with no finding on `get_namespace`, which still
//! exists.
//!
//! The target environment is Runtime 8.4.0's Airflow (2.6.1) with Runtime 8.4.0's
//! cncf-kubernetes pin (7.0.0), resolved as of 8.4.0's release day; Runtime 8.4.0's other
//! provider pins are left out to keep the environment small (they play no part here).

use std::collections::BTreeMap;
use std::path::Path;

use skyhop_check::{ApiIndex, CheckOptions, check, to_text};
use skyhop_core::{NoProgress, Severity};

fn target_index(cncf_kubernetes: &str) -> ApiIndex {
    let cache = skyhop_env::Cache::default();
    let spec = skyhop_env::EnvSpec {
        airflow: "2.6.1".into(),
        python: skyhop_env::TEST_PYTHON.into(),
        base_pins: BTreeMap::from([(
            "apache-airflow-providers-cncf-kubernetes".to_string(),
            cncf_kubernetes.to_string(),
        )]),
        exclude_newer: Some("2023-06-03".into()),
        ..skyhop_env::EnvSpec::default()
    };
    let lock = skyhop_env::resolve(&spec, &cache, &NoProgress).expect("resolve the target");
    let venv = skyhop_env::install(&lock, &cache, &NoProgress).expect("install the target");
    ApiIndex::build(&venv.python, &venv.lock_hash, &NoProgress).expect("index the target")
}

#[test]
fn subclass_calling_a_method_removed_in_cncf_kubernetes_7() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subclass");
    let file = root.join("audited_pod.py");
    let opts = CheckOptions {
        target_airflow: "2.6.1".into(),
        current_airflow: Some("2.6.1".into()),
        ..CheckOptions::default()
    };

    // Runtime 8.4.0: cncf-kubernetes 7.0.0.
    let index = target_index("7.0.0");
    assert_eq!(
        index.installed("apache-airflow-providers-cncf-kubernetes"),
        Some("7.0.0")
    );
    let findings = check(std::slice::from_ref(&file), &root, Some(&index), &opts);
    let text = to_text(&findings);
    eprintln!("{text}");
    let at = |line: u32| findings.iter().filter(move |f| f.line == line);
    // self.get_hook(): an error naming 7.0.0's removal.
    assert!(
        at(15).any(|f| f.severity == Severity::Error
            && f.rule == "SKY107"
            && f.message
                .contains("apache-airflow-providers-cncf-kubernetes 7.0.0")
            && f.message.contains("get_hook")),
        "{text}"
    );
    // cls.get_hook and super().get_hook() (two levels down) too.
    assert!(at(26).any(|f| f.severity == Severity::Error), "{text}");
    assert!(at(33).any(|f| f.severity == Severity::Error), "{text}");
    // `self.k8s` was built from KubernetesHook in `__init__`: its calls are checked.
    assert!(at(22).any(|f| f.rule == "SKY105"), "{text}");
    // The override of a method the target no longer calls: a warning.
    assert!(
        at(32).any(|f| f.rule == "SKY108" && f.severity == Severity::Warning),
        "{text}"
    );
    // get_namespace still exists; the user's own members are fine.
    for line in [16, 17, 18, 19, 36] {
        assert_eq!(at(line).count(), 0, "line {line}: {text}");
    }

    insta::assert_snapshot!("subclass_on_cncf_kubernetes_7_0_0", text);

    // Runtime 8.3.0: cncf-kubernetes 6.1.0 still has get_hook: only the made-up method.
    let old = target_index("6.1.0");
    let findings = check(std::slice::from_ref(&file), &root, Some(&old), &opts);
    let errors: Vec<u32> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.line)
        .collect();
    assert_eq!(errors, vec![22], "{}", to_text(&findings));
}
