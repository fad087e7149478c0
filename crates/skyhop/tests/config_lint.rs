//! The peer is the target itself: a project that sets every option Airflow 3.1.3's own
//! `airflow config lint` list renames or removes, in every place skyhop reads configuration
//! (Dockerfile `ENV`, `.env`, `airflow.cfg`, docker-compose, Helm values `config:` and `env:`),
//! and reads each one in DAG code. The target's `airflow config lint` is run on what each place
//! sets (`tests/fixtures/config_lint.py`, in the real Airflow 3.1.3 environment); skyhop must
//! report every option it reports, on its line, naming the new section and option where there
//! is one, and after `skyhop upgrade --fix --unsafe-fixes` the target's lint reports nothing.
//! Slow (about 3 minutes on a loaded 2-core machine): nine `airflow config lint` runs and a
//! real `upgrade --fix`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::skyhop;
use serde_json::Value;

/// Each source the harness lints, with the file skyhop reports it in.
const SOURCES: &[(&str, &str)] = &[
    ("dockerfile", "Dockerfile"),
    ("dotenv", ".env"),
    ("cfg", "airflow.cfg"),
    ("compose", "docker-compose.yaml"),
    ("helm-config", "chart/values.yaml"),
    ("helm-env", "chart/values.yaml"),
];

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config_lint.py")
}

fn python(py: &Path, args: &[&str]) -> Value {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(py)
        .arg(harness())
        .args(args)
        .env("AIRFLOW_HOME", home.path())
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .expect("run the target python");
    assert!(
        out.status.success(),
        "config_lint.py {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{') || l.starts_with('['))
        .expect("JSON on stdout");
    serde_json::from_str(json).unwrap()
}

type Option2 = (String, String);

fn pair(v: &Value) -> Option2 {
    (
        v[0].as_str().unwrap().to_string(),
        v[1].as_str().unwrap().to_string(),
    )
}

/// What the target's `airflow config lint` reports for each of `sources`, run at once.
fn lint_all(
    py: &Path,
    dir: &Path,
    sources: &[&'static str],
) -> BTreeMap<&'static str, BTreeSet<Option2>> {
    let d = dir.to_str().unwrap();
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|source| {
                scope.spawn(move || {
                    let out = python(py, &["lint", d, source]);
                    let reported: BTreeSet<Option2> = out["reported"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(pair)
                        .collect();
                    (*source, reported)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// `[section] key` named first in a finding's message (`` `NAME` ([core] x) ...``).
fn option_of(message: &str) -> Option2 {
    let rest = &message[message.find("([").expect(message) + 2..];
    let (section, rest) = rest.split_once("] ").unwrap();
    let key = &rest[..rest.find(')').unwrap()];
    (section.to_string(), key.to_string())
}

fn check(dir: &Path) -> Vec<Value> {
    let run = skyhop(&[
        "check",
        "--project",
        dir.to_str().unwrap(),
        "--airflow-version",
        "3.1.3",
        "--format",
        "json",
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    serde_json::from_str::<Vec<Value>>(&run.stdout).unwrap()
}

/// SKY401 findings of one source: the options they are about.
fn set_findings<'a>(findings: &'a [Value], source: &str, file: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| f["rule"] == "SKY401" && f["path"] == file && f["severity"] != "info")
        .filter(|f| {
            let env = f["message"].as_str().unwrap().starts_with("`AIRFLOW__");
            match source {
                "helm-config" => !env,
                "helm-env" => env,
                _ => true,
            }
        })
        .collect()
}

#[test]
fn every_option_airflow_config_lint_knows_is_found_everywhere_and_fixed() {
    let cache = skyhop_env::Cache::default();
    let venv = skyhop_env::airflow_venv("3.1.3", &cache).expect("Airflow 3.1.3 venv");
    let py = venv.python.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    let listed = python(&py, &["gen", dir.to_str().unwrap()]);
    let listed = listed.as_array().unwrap();
    // Airflow 3.1.3's list: 97 options renamed, 53 removed.
    assert_eq!(listed.len(), 150);
    let renamed: BTreeMap<Option2, Option2> = listed
        .iter()
        .filter(|o| !o["new"].is_null())
        .map(|o| (pair(&o["old"]), pair(&o["new"])))
        .collect();
    assert_eq!(renamed.len(), 97);
    let all: BTreeSet<Option2> = listed.iter().map(|o| pair(&o["old"])).collect();

    // The target's own lint, on each place the project sets configuration.
    let every: Vec<&str> = SOURCES.iter().map(|(s, _)| *s).collect();
    let before = lint_all(&py, &dir, &every);
    for (source, reported) in &before {
        assert_eq!(reported, &all, "airflow config lint on {source}");
    }

    // skyhop: a finding on every one, naming the new option.
    let findings = check(&dir);
    for (source, file) in SOURCES {
        let found = set_findings(&findings, source, file);
        let options: BTreeSet<Option2> = found
            .iter()
            .map(|f| option_of(f["message"].as_str().unwrap()))
            .collect();
        assert_eq!(&options, &before[source], "skyhop's SKY401 on {source}");
        for f in found {
            let message = f["message"].as_str().unwrap();
            if let Some((ns, nk)) = renamed.get(&option_of(message)) {
                assert!(message.contains(&format!("[{ns}] {nk}")), "{message}");
            }
        }
    }
    let reads: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "SKY402" && f["path"] == "dags/reads.py")
        .collect();
    assert_eq!(reads.len(), 150);
    for f in &reads {
        let m = f["message"].as_str().unwrap();
        if let Some((ns, nk)) = renamed.get(&read_option(m)) {
            assert!(m.contains(&format!("[{ns}] {nk}")), "{m}");
        }
    }

    // skyhop upgrade --fix (removals are unsafe fixes), then the target's lint again.
    let run = skyhop(&[
        "upgrade",
        "--project",
        dir.to_str().unwrap(),
        "--airflow-version",
        "3.1.3",
        "--fix",
        "--unsafe-fixes",
        "--yes",
    ]);
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    // The places that set variables linted at once: nothing left in the union means nothing
    // left in any.
    let after = lint_all(&py, &dir, &["env-all", "cfg", "helm-config"]);
    for (source, reported) in &after {
        assert!(
            reported.is_empty(),
            "airflow config lint on {source} after the fix: {reported:?}\n{}",
            run.stdout
        );
    }
    let findings = check(&dir);
    for (source, file) in SOURCES {
        let left = set_findings(&findings, source, file);
        assert!(left.is_empty(), "{source}: {left:?}");
    }
    // Reads of renamed options read the new names; reads of removed options (one of them
    // the new name of a renamed one: [core] -> [database] load_default_connections, removed
    // too) are left for a person.
    let removed: BTreeSet<Option2> = listed
        .iter()
        .filter(|o| o["new"].is_null())
        .map(|o| pair(&o["old"]))
        .collect();
    for f in findings
        .iter()
        .filter(|f| f["rule"] == "SKY402" && f["path"] == "dags/reads.py")
    {
        let m = f["message"].as_str().unwrap();
        assert!(removed.contains(&read_option(m)), "{m}");
        assert!(m.contains("was removed"), "{m}");
    }
}

/// `[section] key` of a config read's finding (`` `conf.get("s", "k")`: ...``).
fn read_option(m: &str) -> Option2 {
    let (_, rest) = m.split_once("(\"").expect(m);
    let (section, rest) = rest.split_once("\", \"").expect(m);
    (
        section.to_string(),
        rest[..rest.find('"').expect(m)].to_string(),
    )
}
