//! One fixture per rule under `tests/fixtures/rules/`, checked against a small cut of a real
//! Airflow 3.1.3 API index (`tests/fixtures/index-3.1.3-small.json`), with the text output
//! snapshotted.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use skyhop_check::{
    ApiIndex, CheckOptions, ConfigSetting, check, check_detailed, fix, rule_doc, to_json, to_text,
    unified_diff,
};
use skyhop_core::Severity;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn index() -> &'static ApiIndex {
    static INDEX: OnceLock<ApiIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-3.1.3-small.json");
        ApiIndex::load_json(&path).expect("fixture index")
    })
}

/// A setting of `name` (an `AIRFLOW__SECTION__KEY` variable) in `file` at `line`.
fn env_setting(name: &str, value: &str, file: &str, line: usize) -> ConfigSetting {
    let (section, key) = name
        .strip_prefix("AIRFLOW__")
        .and_then(|r| r.split_once("__"))
        .expect("an AIRFLOW__SECTION__KEY name");
    ConfigSetting {
        section: section.to_lowercase(),
        key: key.to_lowercase(),
        name: name.into(),
        value: Some(value.into()),
        file: file.into(),
        line,
        column: 1,
        source: if file == "Dockerfile" {
            skyhop_project::ConfigSource::DockerfileEnv
        } else {
            skyhop_project::ConfigSource::DotEnv
        },
    }
}

fn opts(target: &str) -> CheckOptions {
    CheckOptions {
        target_airflow: target.into(),
        ..CheckOptions::default()
    }
}

fn run(file: &str, target: &str, with_index: bool) -> String {
    let root = fixtures();
    let findings = check(
        &[root.join(file)],
        &root,
        with_index.then(index),
        &opts(target),
    );
    to_text(&findings)
}

fn rules_in(text: &str) -> Vec<String> {
    let mut rules: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split(": ").nth(1))
        .filter_map(|r| r.split(' ').next())
        .map(str::to_string)
        .collect();
    rules.dedup();
    rules
}

macro_rules! rule_test {
    ($name:ident, $file:expr, $target:expr, $index:expr, $code:expr) => {
        #[test]
        fn $name() {
            let text = run($file, $target, $index);
            assert!(
                rules_in(&text).iter().any(|r| r == $code),
                "{} not reported for {}:\n{text}",
                $code,
                $file
            );
            insta::assert_snapshot!(stringify!($name), text);
        }
    };
}

rule_test!(sky001_syntax_error, "SKY001.py", "3.1.3", true, "SKY001");
rule_test!(
    sky101_module_not_found,
    "SKY101.py",
    "3.1.3",
    true,
    "SKY101"
);
rule_test!(sky102_name_not_found, "SKY102.py", "3.1.3", true, "SKY102");
rule_test!(
    sky103_deprecated_import,
    "SKY103.py",
    "3.1.3",
    true,
    "SKY103"
);
rule_test!(
    sky104_package_not_installed,
    "SKY104.py",
    "3.1.3",
    true,
    "SKY104"
);
rule_test!(
    sky105_attribute_not_found,
    "SKY105.py",
    "3.1.3",
    true,
    "SKY105"
);
rule_test!(
    sky106_unknown_argument,
    "SKY106.py",
    "3.1.3",
    true,
    "SKY106"
);
rule_test!(
    sky201_moved_name_without_index,
    "SKY201.py",
    "3.0.0",
    false,
    "SKY201"
);
rule_test!(
    sky301_removed_context_key,
    "SKY301.py",
    "3.1.3",
    true,
    "SKY301"
);
rule_test!(
    sky302_schedule_argument,
    "SKY302.py",
    "3.1.3",
    true,
    "SKY302"
);
rule_test!(
    sky303_removed_argument,
    "SKY303.py",
    "3.1.3",
    true,
    "SKY303"
);
rule_test!(sky304_subdag, "SKY304.py", "3.1.3", true, "SKY304");
rule_test!(sky305_sla, "SKY305.py", "3.1.3", true, "SKY305");
rule_test!(sky306_smart_sensor, "SKY306.py", "2.4.0", false, "SKY306");
rule_test!(
    sky307_metadata_db_access,
    "SKY307.py",
    "3.1.3",
    true,
    "SKY307"
);
rule_test!(
    sky308_sky309_changed_defaults,
    "SKY308_SKY309.py",
    "3.1.3",
    true,
    "SKY309"
);
rule_test!(name_resolution, "resolution.py", "3.1.3", true, "SKY105");
rule_test!(sky107_removed_member, "SKY107.py", "3.1.3", true, "SKY107");
rule_test!(sky108_stale_override, "SKY108.py", "3.1.3", true, "SKY108");
rule_test!(
    sky301_execute_parameters,
    "SKY301_more.py",
    "3.1.3",
    true,
    "SKY301"
);
rule_test!(
    sky303_removed_argument_more,
    "SKY303_more.py",
    "3.1.3",
    true,
    "SKY303"
);
rule_test!(
    sky311_removed_argument_value,
    "SKY311.py",
    "3.1.3",
    true,
    "SKY311"
);
rule_test!(sky402_config_read, "SKY402.py", "3.1.3", true, "SKY402");

/// Lines of `file` with a finding of `rule`, and their severities.
fn lines_of(findings: &[skyhop_core::Finding], rule: &str) -> Vec<(u32, Severity)> {
    findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.line, f.severity))
        .collect()
}

#[test]
fn objects_subclasses_and_config_reads_in_detail() {
    let root = fixtures();
    let run = |file: &str| check(&[root.join(file)], &root, Some(index()), &opts("3.1.3"));
    // Objects: `with DAG() as d`, `DAG()`, a @dag function's result, context values.
    let objects = run("SKY107.py");
    let removed = lines_of(&objects, "SKY107");
    for line in [10, 13, 22, 28, 29, 30, 31, 37, 39, 41] {
        assert!(
            removed.contains(&(line, Severity::Error)),
            "line {line}: {}",
            to_text(&objects)
        );
    }
    // What still exists is not reported.
    assert!(objects.iter().all(|f| f.line != 25 && f.line != 38));
    assert!(lines_of(&objects, "SKY105").contains(&(26, Severity::Error)));
    // Subclasses: overrides warn, removed members through self / super() / cls are errors,
    // the class's own methods and what still exists are fine.
    let classes = run("SKY108.py");
    let overrides = lines_of(&classes, "SKY108");
    // 41, 46: overrides whose parameters no longer fit how the target calls the method.
    for line in [9, 10, 11, 12, 17, 41, 46] {
        assert!(
            overrides.contains(&(line, Severity::Warning)),
            "line {line}: {}",
            to_text(&classes)
        );
    }
    for line in [24, 27, 31] {
        assert!(
            lines_of(&classes, "SKY107").contains(&(line, Severity::Error)),
            "line {line}: {}",
            to_text(&classes)
        );
    }
    assert!(
        classes
            .iter()
            .all(|f| ![13, 20, 21, 34, 51].contains(&f.line)),
        "{}",
        to_text(&classes)
    );
    // Config reads: removed and unknown options raise; renamed ones warn; fallbacks and
    // has_option only warn; the project's own sections and existing options are fine.
    let config = run("SKY402.py");
    let reads = lines_of(&config, "SKY402");
    for (line, severity) in [
        (6, Severity::Error),
        (7, Severity::Error),
        (8, Severity::Warning),
        (9, Severity::Warning),
        (10, Severity::Warning),
        (11, Severity::Warning),
        (12, Severity::Error),
        (18, Severity::Error),
    ] {
        assert!(
            reads.contains(&(line, severity)),
            "line {line}: {}",
            to_text(&config)
        );
    }
    assert!(config.iter().all(|f| ![5, 13, 14].contains(&f.line)));
    assert!(
        config
            .iter()
            .any(|f| f.line == 7 && f.message.contains("[database] sql_alchemy_conn"))
    );
    // A project setting the option through the environment reads it fine.
    let set = check(
        &[root.join("SKY402.py")],
        &root,
        Some(index()),
        &CheckOptions {
            config_env: vec![env_setting("AIRFLOW__CORE__NO_SUCH_OPTION", "1", ".env", 1)],
            ..opts("3.1.3")
        },
    );
    assert!(set.iter().all(|f| f.line != 12), "{}", to_text(&set));
}

#[test]
fn sky110_dag_files_failing_through_helper_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/SKY110_project");
    let dags = ["report.py", "fine.py"].map(|f| root.join("dags").join(f));
    let findings = check(&dags, &root, Some(index()), &opts("3.1.3"));
    let text = to_text(&findings);
    let on = |path: &str, line: u32| {
        findings
            .iter()
            .find(|f| f.path == path && f.line == line && f.rule == "SKY110")
    };
    // The DAG file gets an error on its import line, pointing to the helper's line.
    let direct = on("dags/report.py", 4).expect(&text);
    assert_eq!(direct.severity, Severity::Error);
    assert_eq!(direct.related.len(), 1);
    assert_eq!(direct.related[0].path, "include/reporting/tasks.py");
    assert_eq!(direct.related[0].line, 2);
    assert!(
        direct.message.contains("include/reporting/tasks.py:2"),
        "{text}"
    );
    // Two modules down (a module next to the DAG files that imports the broken one).
    let indirect = on("dags/report.py", 6).expect(&text);
    assert_eq!(indirect.related[0].path, "include/reporting/tasks.py");
    // Guarded by `except ImportError`: a warning.
    assert_eq!(
        on("dags/report.py", 9).expect(&text).severity,
        Severity::Warning
    );
    // Working helpers, and the DAG file that only uses them, are not reported.
    assert!(on("dags/report.py", 5).is_none(), "{text}");
    assert!(findings.iter().all(|f| f.path != "dags/fine.py"), "{text}");
    // The helper module's own finding is reported too, though only DAG files were given.
    assert!(
        findings
            .iter()
            .any(|f| f.path == "include/reporting/tasks.py" && f.line == 2)
    );
    insta::assert_snapshot!("sky110_broken_helper_module", text);
}

#[test]
fn versions_decide_what_fires() {
    // Deprecated, not removed, in 2.10: warnings only.
    let text = run("SKY302.py", "2.10.5", false);
    assert!(text.contains("SKY302 warning"), "{text}");
    assert!(!text.contains("error"), "{text}");
    // Before 2.4 `schedule_interval` was the way: nothing to say.
    let text = run("SKY302.py", "2.3.0", false);
    assert!(!text.contains("SKY302"), "{text}");
    // Changed defaults fire only when the upgrade crosses 3.0.
    let root = fixtures();
    let files = [root.join("SKY308_SKY309.py")];
    let crossing = check(&files, &root, Some(index()), &opts("3.1.3"));
    assert!(crossing.iter().any(|f| f.rule == "SKY308"));
    let within = check(
        &files,
        &root,
        Some(index()),
        &CheckOptions {
            current_airflow: Some("3.0.6".into()),
            ..opts("3.1.3")
        },
    );
    assert!(
        within
            .iter()
            .all(|f| f.rule != "SKY308" && f.rule != "SKY309")
    );
}

#[test]
fn resolution_details() {
    let root = fixtures();
    let checked = check_detailed(
        &[root.join("resolution.py")],
        &root,
        Some(index()),
        &opts("3.1.3"),
    );
    let at = |line: u32| checked.iter().filter(move |c| c.finding.line == line);
    // TYPE_CHECKING imports, the local module and relative imports are not reported.
    for line in [10, 22, 23] {
        assert_eq!(at(line).count(), 0, "line {line}: {checked:#?}");
    }
    // The fallback of a working import never runs.
    assert_eq!(at(15).count(), 0);
    // A failing import guarded by `except ImportError` is only a warning.
    assert!(at(18).all(|c| c.finding.severity == Severity::Warning));
    assert!(at(18).count() > 0);
    // `import a.b.c` then `a.b.c.Class(nope=1)`, `import a.b as alias` then `alias.missing`.
    assert!(at(25).any(|c| c.finding.rule == "SKY106"));
    assert!(at(26).any(|c| c.finding.rule == "SKY105"));
    // Task bodies are checked, and marked as breaking at run time, not at import.
    let inside: Vec<_> = at(30).collect();
    assert!(
        inside
            .iter()
            .any(|c| c.finding.rule == "SKY101" && !c.at_import)
    );
    assert!(at(26).all(|c| c.at_import));
}

#[test]
fn unreadable_and_bad_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.py");
    std::fs::write(&latin1, b"x = '\xe9t\xe9'\n").unwrap();
    let big = dir.path().join("big.py");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(skyhop_check::MAX_FILE_BYTES + 1).unwrap();
    let missing = dir.path().join("missing.py");
    let ok = dir.path().join("ok.py");
    std::fs::write(
        &ok,
        "from airflow.operators.python import is_venv_installed\n",
    )
    .unwrap();
    let files = [latin1, big, missing, ok];
    let findings = check(&files, dir.path(), Some(index()), &opts("3.1.3"));
    let text = to_text(&findings);
    insta::assert_snapshot!("sky002_unreadable_files", text);
    assert_eq!(findings.iter().filter(|f| f.rule == "SKY002").count(), 3);
    assert!(
        findings
            .iter()
            .any(|f| f.path == "ok.py" && f.rule == "SKY102")
    );
}

#[test]
fn symlink_loops_are_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("dags");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("a.py"), "x = 1\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&sub, sub.join("loop")).unwrap();
    let (files, problems) =
        skyhop_check::collect_python_files(std::slice::from_ref(&sub), dir.path());
    assert_eq!(files, vec![sub.join("a.py")]);
    #[cfg(unix)]
    assert!(
        problems.iter().any(|p| p.message.contains("symlink loop")),
        "{problems:?}"
    );
}

#[test]
fn sky401_config_options() {
    let settings = vec![
        env_setting(
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT",
            "8080",
            "Dockerfile",
            3,
        ),
        env_setting("AIRFLOW__CORE__CHECK_SLAS", "False", ".env", 1),
        env_setting("AIRFLOW__CORE__SQL_ALCHEMY_CONN", "sqlite://", ".env", 2),
        env_setting("AIRFLOW__CORE__DAGS_FOLDER", "/x", ".env", 4),
    ];
    let options = CheckOptions {
        config_env: settings,
        ..opts("3.1.3")
    };
    let findings = check(&[], Path::new("."), None, &options);
    insta::assert_snapshot!("sky401_config_options", to_text(&findings));
    assert_eq!(findings.len(), 3);
    let before = check(
        &[],
        Path::new("."),
        None,
        &CheckOptions {
            target_airflow: "2.10.5".into(),
            ..options
        },
    );
    assert_eq!(before.len(), 1, "{before:?}"); // only sql_alchemy_conn, deprecated in 2.3
}

#[test]
fn sky501_provider_incompatibility() {
    let index: ApiIndex = serde_json::from_value(serde_json::json!({
        "script_version": 1,
        "python": "3.10.12",
        "airflow_version": "2.6.3",
        "distributions": [
            {"name": "apache-airflow-providers-cncf-kubernetes", "version": "6.1.0"},
            {"name": "apache_airflow_providers_google", "version": "10.0.0"},
        ],
    }))
    .unwrap();
    let findings = check(&[], Path::new("."), Some(&index), &opts("2.6.3"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, "SKY501");
    assert!(to_text(&findings).starts_with("(environment): SKY501 error:"));
}

#[test]
fn json_output() {
    let root = fixtures();
    let findings = check(
        &[root.join("SKY102.py")],
        &root,
        Some(index()),
        &opts("3.1.3"),
    );
    let json = to_json(&findings);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = &value[0];
    for key in [
        "path",
        "line",
        "column",
        "rule",
        "severity",
        "message",
        "replacement",
    ] {
        assert!(first.get(key).is_some(), "missing {key} in {json}");
    }
    insta::assert_snapshot!("json_output", json);
}

#[test]
fn fixes_are_safe_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["SKY103.py", "SKY302.py", "SKY303.py"] {
        std::fs::copy(fixtures().join(name), dir.path().join(name)).unwrap();
    }
    let files: Vec<PathBuf> = ["SKY103.py", "SKY302.py", "SKY303.py"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let findings = check(&files, dir.path(), Some(index()), &opts("3.1.3"));
    let fixes = fix(&files, &findings);
    let prefix = format!("{}/", dir.path().display());
    let diff = unified_diff(&fixes).replace(&prefix, "");
    insta::assert_snapshot!("fix_diff", diff);
    skyhop_check::apply_fixes(&fixes).unwrap();
    // After fixing, the fixed findings are gone and the files still parse. Uses through an
    // attribute (`py.PythonOperator`, line 6) are not rewritten.
    let after = check(&files, dir.path(), Some(index()), &opts("3.1.3"));
    let left: Vec<_> = after
        .iter()
        .filter(|f| matches!(f.rule.as_str(), "SKY302" | "SKY103" | "SKY001"))
        .filter(|f| !(f.path == "SKY103.py" && f.line == 6))
        .collect();
    assert!(left.is_empty(), "{}", to_text(&after));
    assert!(
        after
            .iter()
            .all(|f| !f.message.contains("task_concurrency"))
    );
    // Applying stale fixes is refused.
    assert!(skyhop_check::apply_fixes(&fixes).is_err());
}

#[test]
fn every_rule_has_a_doc_with_all_sections() {
    let docs = skyhop_check::all_rules();
    assert!(docs.len() >= 20);
    for d in &docs {
        let md = d.to_markdown();
        for section in [
            "What it does",
            "Why it breaks",
            "Example",
            "Use instead",
            "Applies to versions",
        ] {
            assert!(md.contains(section), "{} lacks {section}", d.code);
        }
    }
    insta::assert_snapshot!("rule_doc_sky302", rule_doc("SKY302").unwrap().to_markdown());
}

#[test]
fn sky308_not_reported_when_the_project_sets_catchup_by_default() {
    let root = fixtures();
    let file = [root.join("SKY308_SKY309.py")];
    let plain = check(&file, &root, Some(index()), &opts("3.1.3"));
    assert!(
        plain.iter().any(|f| f.rule == "SKY308"),
        "{}",
        to_text(&plain)
    );
    let set = check(
        &file,
        &root,
        Some(index()),
        &CheckOptions {
            config_env: vec![env_setting(
                "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT",
                "True",
                ".env",
                1,
            )],
            ..opts("3.1.3")
        },
    );
    assert!(set.iter().all(|f| f.rule != "SKY308"), "{}", to_text(&set));
}

rule_test!(
    sky303_removed_where_used,
    "SKY303_usage.py",
    "3.1.3",
    true,
    "SKY303"
);

#[test]
fn classes_through_project_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project_classes");
    let findings = check(
        &[root.join("dags.py")],
        &root,
        Some(index()),
        &opts("3.1.3"),
    );
    let text = to_text(&findings);
    let members: Vec<u32> = findings
        .iter()
        .filter(|f| f.rule == "SKY105")
        .map(|f| f.line)
        .collect();
    // Only the member no class of the MRO has; open classes say nothing.
    assert_eq!(members, vec![13], "{text}");
    assert!(
        text.contains("`AuditMixin`") && text.contains("`RetryMixin`"),
        "{text}"
    );
}

#[test]
fn sky104_names_its_package_as_a_fact() {
    let root = fixtures();
    let findings = check(
        &[root.join("SKY104.py")],
        &root,
        Some(index()),
        &opts("3.1.3"),
    );
    let facts: Vec<(u32, Option<String>)> = findings
        .iter()
        .filter(|f| f.rule == "SKY104")
        .map(|f| (f.line, f.facts.missing_package.clone()))
        .collect();
    let package = |p: &str| Some(p.to_string());
    assert_eq!(
        facts,
        [
            (1, package("apache-airflow-providers-http")),
            (2, package("astronomer-providers")),
            // no distribution known: nothing for a fix to add
            (3, None),
            (4, package("google-api-python-client")),
        ]
    );
}
