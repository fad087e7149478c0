//! End-to-end tests of the `skyhop` binary against the real package index: real Airflow 2.x
//! and 3.x environments resolved and installed with uv (cached in skyhop's cache between runs),
//! real DAG files imported. Slow the first time, seconds once the cache is warm.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{copy_dir, example_project, skyhop, snapshot_tree};

#[test]
fn freeze_runtime_11_3_0() {
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(&[
        "freeze",
        "--runtime-version",
        "11.3.0",
        "--project",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    for pin in [
        "apache-airflow==2.9.1",
        "apache-airflow-providers-amazon==8.20.0",
        "apache-airflow-providers-celery==3.7.0",
        "apache-airflow-providers-google==10.17.0",
        "astronomer-providers==1.19.0",
    ] {
        assert!(lines.contains(&pin), "{pin} missing from:\n{}", run.stdout);
    }
    // Astronomer's own package is left out, visibly.
    assert!(
        run.stderr.contains("astronomer-providers-logging"),
        "{}",
        run.stderr
    );
}

#[test]
fn pin_providers_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&example_project(), dir.path());
    let before = fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    let project = dir.path().to_str().unwrap();
    let run = skyhop(&["pin-providers", "--project", project, "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("+apache-airflow-providers-snowflake=="),
        "{}",
        run.stdout
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        before
    );

    let run = skyhop(&["pin-providers", "--project", project]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    // The already-pinned slack provider is reported and left alone.
    assert!(
        run.stderr
            .contains("apache-airflow-providers-slack is already pinned"),
        "{}",
        run.stderr
    );
    // Every original line is still there, in order, unchanged, except the unpinned provider.
    let mut after_lines = after.lines();
    for line in before.lines() {
        let want = if line == "apache-airflow-providers-snowflake" {
            "apache-airflow-providers-snowflake=="
        } else {
            line
        };
        assert!(
            after_lines.any(|l| l.starts_with(want) && (l == line || line != want)),
            "line `{line}` lost or changed:\n{after}"
        );
    }
    // Providers of the image are added after the original lines.
    assert!(after.starts_with(&before.replace(
        "apache-airflow-providers-snowflake\n",
        &format!(
            "{}\n",
            after.lines().find(|l| l.starts_with("apache-airflow-providers-snowflake==")).unwrap()
        )
    )));
    assert!(
        after.contains("\napache-airflow-providers-celery==3.7.0\n"),
        "{after}"
    );
    // A second run has nothing left to do.
    let run = skyhop(&["pin-providers", "--project", project]);
    assert_eq!(run.code, 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        after
    );
}

/// The seed feature on the bundled example: every file written, the project untouched.
#[test]
fn upgrade_test_example_project_to_airflow_3() {
    let project = example_project();
    let before = snapshot_tree(&project.join("dags"));
    let before_root: Vec<_> = ["Dockerfile", "requirements.txt", "packages.txt", ".env"]
        .iter()
        .map(|f| fs::read(project.join(f)).unwrap())
        .collect();
    let out = tempfile::tempdir().unwrap();
    let run = skyhop(&[
        "upgrade-test",
        "--project",
        project.to_str().unwrap(),
        "--runtime-version",
        "3.1-12",
        "--output",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        run.code, 1,
        "needs changes expected:\n{}\n{}",
        run.stdout, run.stderr
    );
    let folder = out.path().join("upgrade-test-11.3.0--3.1-12");
    for f in [
        "Dockerfile",
        "pip_freeze_11.3.0.txt",
        "pip_freeze_3.1-12.txt",
        "dependency_compare.txt",
        "report.html",
        "report.md",
        "report.json",
        "check-results.sarif",
    ] {
        assert!(folder.join(f).is_file(), "{f} missing");
    }
    assert_eq!(
        snapshot_tree(&project.join("dags")),
        before,
        "dags/ changed"
    );
    let after_root: Vec<_> = ["Dockerfile", "requirements.txt", "packages.txt", ".env"]
        .iter()
        .map(|f| fs::read(project.join(f)).unwrap())
        .collect();
    assert_eq!(after_root, before_root, "project files changed");
    // The upgraded Dockerfile changes only the FROM line, to the Airflow 3 repository.
    let upgraded = fs::read_to_string(folder.join("Dockerfile")).unwrap();
    assert!(
        upgraded.starts_with("FROM astrocrpublic.azurecr.io/runtime:3.1-12\n"),
        "{upgraded}"
    );
    assert_eq!(
        upgraded.lines().skip(1).collect::<Vec<_>>(),
        String::from_utf8(before_root[0].clone())
            .unwrap()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
    );
    let compare = fs::read_to_string(folder.join("dependency_compare.txt")).unwrap();
    assert!(
        compare.starts_with("Apache Airflow Update:\napache-airflow 2.9.1 >> 3.1.7\n"),
        "{compare}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "needs_changes");
    let findings = report["findings"].as_array().unwrap();
    let has = |path: &str, rule: &str| {
        findings
            .iter()
            .any(|f| f["path"] == path && f["rule"] == rule)
    };
    // What the DAGs import that Airflow 3 no longer has, found statically and by importing.
    assert!(
        has("dags/daily_sales_report.py", "SKY101"),
        "airflow.operators.dummy"
    );
    assert!(
        has("dags/daily_sales_report.py", "SKY900"),
        "import failure"
    );
    assert!(
        has("dags/customer_sync.py", "SKY104"),
        "http provider dropped from the image"
    );
    assert!(
        has("dags/daily_sales_report.py", "SKY301"),
        "execution_date"
    );
    assert!(
        has("requirements.txt", "SKY504"),
        "requests pin breaks the target's openlineage (pip installs it with a warning)"
    );
    assert!(has("Dockerfile", "SKY401"), "renamed config");
    // Airflow 3 reads the regexp .airflowignore as globs: the scratch file gets parsed.
    assert!(
        has("dags/.airflowignore", "SKY310"),
        ".airflowignore syntax"
    );
    // Every DAG file that fails to import is listed with its reason.
    let failing: Vec<&str> = report["parse_files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ok"] == false)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for path in [
        "dags/customer_sync.py",
        "dags/daily_sales_report.py",
        "dags/ml_training.py",
    ] {
        assert!(
            failing.contains(&path),
            "{path} not listed as failing: {failing:?}"
        );
    }
    let html = fs::read_to_string(folder.join("report.html")).unwrap();
    assert!(html.contains("daily_sales_report.py"));
    assert!(
        !html.contains("<script src="),
        "the report must be self-contained"
    );
}

/// A plain `apache/airflow` project holding Airflow 2.10.5's example DAGs, tested against
/// Airflow 3.1.3: every DAG file that fails under 3.1.3 is in the report with its reason.
#[test]
fn upgrade_test_apache_airflow_example_dags() {
    let cache = skyhop_env::Cache::default();
    let dags = skyhop_env::airflow_example_dags("2.10.5", &cache).expect("example DAGs");
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM apache/airflow:2.10.5-python3.11\n",
    )
    .unwrap();
    copy_dir(&dags, &dir.path().join("dags"));
    let before = snapshot_tree(dir.path());
    let out = tempfile::tempdir().unwrap();
    let run = skyhop(&[
        "upgrade-test",
        "--project",
        dir.path().to_str().unwrap(),
        "--airflow-version",
        "3.1.3",
        "--output",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(snapshot_tree(dir.path()), before, "the project changed");
    let folder = out.path().join("upgrade-test-2.10.5--3.1.3");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("report.json")).unwrap()).unwrap();
    let files = report["parse_files"].as_array().unwrap();
    assert!(files.len() > 40, "only {} DAG files parsed", files.len());
    let findings = report["findings"].as_array().unwrap();
    let failing: Vec<&serde_json::Value> = files.iter().filter(|f| f["ok"] == false).collect();
    assert!(failing.len() >= 5, "only {} failing files", failing.len());
    for f in &failing {
        let path = f["path"].as_str().unwrap();
        assert!(
            f["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path} has no reason"
        );
        // Found by the parse test...
        assert!(
            findings
                .iter()
                .any(|x| x["path"] == path && x["source"] == "parse"),
            "{path}: no parse finding"
        );
        // ... and by the static check, with something to do.
        assert!(
            findings
                .iter()
                .any(|x| x["path"] == path && x["source"] == "check" && x["severity"] == "error"),
            "{path}: the static check found no error"
        );
    }
    let md = fs::read_to_string(folder.join("report.md")).unwrap();
    for f in &failing {
        assert!(md.contains(f["path"].as_str().unwrap()));
    }
}

/// A downgrade may be tested (it is labelled), and its dependency changes land in the
/// downgrade sections.
#[test]
fn upgrade_test_labels_a_downgrade() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM quay.io/astronomer/astro-runtime:12.0.0\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("dags")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = skyhop(&[
        "upgrade-test",
        "--project",
        dir.path().to_str().unwrap(),
        "--runtime-version",
        "11.3.0",
        "--version-test",
        "--output",
        out.path().to_str().unwrap(),
    ]);
    assert!(run.code <= 1, "{}\n{}", run.stdout, run.stderr);
    let folder = out.path().join("upgrade-test-12.0.0--11.3.0");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["is_downgrade"], true);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "SKY601" && f["message"].as_str().unwrap().contains("downgrade")),
        "{report}"
    );
    let compare = fs::read_to_string(folder.join("dependency_compare.txt")).unwrap();
    assert!(
        compare.starts_with("Apache Airflow Update:\napache-airflow 2.10.0 >> 2.9.1\n"),
        "{compare}"
    );
    assert!(
        compare.contains("Airflow Providers Downgrades:\n"),
        "{compare}"
    );
    // Only the dependency test ran.
    let tests: Vec<&str> = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tests, ["dependency"]);
}

/// DAG code runs sealed: a DAG file that records its environment and `~` at import time, run by
/// `skyhop parse` with tokens in the caller's environment, sees the Dockerfile's `ENV` and the
/// variable passed with `--pass-env`, none of the tokens, and a `HOME` that is not the caller's.
#[test]
fn parse_seals_dag_code_off_from_the_callers_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let seen_file = out.path().join("seen.json");
    fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM apache/airflow:2.10.5-python3.11\nENV SEEN_FILE={}\nENV FROM_DOCKERFILE=dockerfile-value\n",
            seen_file.display()
        ),
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("dags")).unwrap();
    fs::write(
        dir.path().join("dags/record_env.py"),
        "# An airflow DAG file by name only (safe mode looks for both words).\n\
         import json, os\n\
         with open(os.environ['SEEN_FILE'], 'w') as f:\n    \
         json.dump({'environ': dict(os.environ), 'home': os.path.expanduser('~')}, f)\n",
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_skyhop"))
        .args(["parse", "--format", "json", "--pass-env", "SKYHOP_HANDED"])
        .arg("--project")
        .arg(dir.path())
        .env("AWS_SECRET_ACCESS_KEY", "aws-secret-value-1f2e")
        .env("GITHUB_TOKEN", "ghp_token_value_3d4c")
        .env("SKYHOP_HANDED", "handed-value")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run skyhop");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["passed_env"], serde_json::json!(["SKYHOP_HANDED"]));
    assert_eq!(report["files"][0]["ok"], true, "{stdout}");
    let text = fs::read_to_string(&seen_file).expect("the DAG file ran");
    assert!(
        !text.contains("aws-secret-value") && !text.contains("ghp_token_value"),
        "{text}"
    );
    let seen: serde_json::Value = serde_json::from_str(&text).unwrap();
    let environ = &seen["environ"];
    assert!(environ["AWS_SECRET_ACCESS_KEY"].is_null(), "{environ}");
    assert!(environ["GITHUB_TOKEN"].is_null(), "{environ}");
    assert_eq!(environ["FROM_DOCKERFILE"], "dockerfile-value");
    assert_eq!(environ["SKYHOP_HANDED"], "handed-value");
    let home = seen["home"].as_str().unwrap();
    assert_ne!(Some(home), std::env::var("HOME").ok().as_deref());
    assert!(!Path::new(home).join(".aws").exists(), "{home}");

    // The upgrade test's parse step is sealed the same way, and its report lists what was passed.
    fs::remove_file(&seen_file).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_skyhop"))
        .args(["upgrade-test", "--airflow-version", "3.1.3", "--dag-test"])
        .args(["--pass-env", "SKYHOP_HANDED", "--project"])
        .arg(dir.path())
        .arg("--output")
        .arg(out.path())
        .env("GITHUB_TOKEN", "ghp_token_value_3d4c")
        .env("SKYHOP_HANDED", "handed-value")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run skyhop");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = fs::read_to_string(&seen_file).expect("the DAG file ran");
    assert!(!text.contains("ghp_token_value") && text.contains("handed-value"));
    let folder = out.path().join("upgrade-test-2.10.5--3.1.3");
    for file in ["report.json", "report.md", "report.html"] {
        let report = fs::read_to_string(folder.join(file)).unwrap();
        // (Markdown escapes the underscore.)
        assert!(
            report.contains("(--pass-env): SKYHOP") && report.contains("HANDED"),
            "{file} does not list the passed variable"
        );
    }
}

/// `upgrade-test --db-url`: the metadata-DB migration rehearsed on a copy of a real Airflow
/// 2.10.5 SQLite database (seeded by `skyhop db seed`) lands in the report; the source is only
/// read; a database that cannot be reached stops the run with nothing written.
#[test]
fn upgrade_test_rehearses_the_metadata_database() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    fs::create_dir_all(project.join("dags")).unwrap();
    fs::write(project.join("Dockerfile"), "FROM apache/airflow:2.10.5\n").unwrap();
    fs::write(project.join("requirements.txt"), "").unwrap();
    let db = tmp.path().join("airflow.db");
    let url = format!("sqlite:///{}", db.display());
    let seeded = skyhop(&[
        "db",
        "seed",
        "--db-url",
        &url,
        "--airflow-version",
        "2.10.5",
        "--dag-runs",
        "20",
        "--task-instances",
        "200",
    ]);
    assert_eq!(seeded.code, 0, "{}\n{}", seeded.stdout, seeded.stderr);
    let before = fs::read(&db).unwrap();

    let out = tmp.path().join("out");
    let p = project.to_str().unwrap();
    let o = out.to_str().unwrap();
    let args = |url: &str| {
        let v: Vec<String> = [
            "upgrade-test",
            "--project",
            p,
            "--airflow-version",
            "3.1.3",
            "--version-test",
            "--output",
            o,
            "--db-url",
            url,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v
    };
    // Bad input first: nothing is written.
    let missing = format!("sqlite:///{}", tmp.path().join("nope.db").display());
    let bad: Vec<String> = args(&missing);
    let run = skyhop(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope.db"), "{}", run.stderr);
    assert!(!out.exists(), "nothing written on bad input");

    let good = args(&url);
    let run = skyhop(&good.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let dir = out.join("upgrade-test-2.10.5--3.1.3");
    let md = fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("## Metadata database migration (rehearsed on a copy)"),
        "{md}"
    );
    assert!(md.contains("`airflow db migrate` worked"), "{md}");
    assert!(md.contains("Rollback:"), "{md}");
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"db-rehearsal\""));
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("db_rehearsal.json")).unwrap()).unwrap();
    assert_eq!(json["migration"]["ok"], true, "{json}");
    assert!(
        json["migration"]["revisions"].as_array().unwrap().len() > 5,
        "every revision applied is listed: {json}"
    );
    assert!(dir.join("db_rehearsal.md").is_file());
    assert_eq!(fs::read(&db).unwrap(), before, "the source is only read");
}
