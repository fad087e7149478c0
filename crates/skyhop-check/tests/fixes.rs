//! The fix engine, one fixture per fix kind under `tests/fixtures/fixes/`: findings as the
//! check reports them (rule, position, replacement), the unified diff snapshotted, and every
//! byte outside the changed spans kept.

use std::path::{Path, PathBuf};

use skyhop_check::{FixOptions, fix, fix_with, unified_diff};
use skyhop_core::{Finding, Severity, Source};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fixes")
        .join(name)
}

/// A finding of `rule` at the `nth` (0-based) occurrence of `needle` in `file`.
fn at(file: &str, needle: &str, nth: usize, rule: &str, replacement: Option<&str>) -> Finding {
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle} #{nth} in {file}"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count() as u32
        + 1;
    Finding {
        path: file.into(),
        line,
        column,
        rule: rule.into(),
        severity: Severity::Error,
        message: String::new(),
        replacement: replacement.map(str::to_string),
        source: Source::Check,
        related: Vec::new(),
        facts: Default::default(),
    }
}

/// The diff of the fixes of `findings` in `file`, with the rules applied; checks that the bytes
/// before the first and after the last changed line are kept.
fn run(file: &str, findings: &[Finding], unsafe_fixes: bool) -> String {
    let path = fixture(file);
    let fixes = fix_with(
        std::slice::from_ref(&path),
        findings,
        FixOptions { unsafe_fixes },
    );
    let Some(f) = fixes.first() else {
        return "(no change)\n".into();
    };
    let common_prefix = f
        .old
        .bytes()
        .zip(f.new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let common_suffix = f
        .old
        .bytes()
        .rev()
        .zip(f.new.bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    assert!(common_prefix + common_suffix <= f.old.len().max(f.new.len()) + 1);
    let shown = skyhop_check::FileFix {
        path: PathBuf::from(file),
        ..f.clone()
    };
    let rules: Vec<String> = f
        .applied
        .iter()
        .map(|a| {
            format!(
                "{}:{} {}",
                a.rule,
                a.line,
                if a.safe { "safe" } else { "unsafe" }
            )
        })
        .collect();
    format!(
        "{}\napplied: {}\n",
        unified_diff(&[shown]),
        rules.join(", ")
    )
}

#[test]
fn import_moves() {
    let f = "imports.py";
    let findings = [
        at(
            f,
            "BashOperator",
            0,
            "SKY103",
            Some("airflow.providers.standard.operators.bash.BashOperator"),
        ),
        // the module is gone: the tables know where its names went
        at(f, "airflow.operators.dummy", 0, "SKY101", None),
        // a name the module lost
        at(f, "SimpleHttpOperator", 0, "SKY102", None),
        at(
            f,
            "PythonOperator",
            0,
            "SKY103",
            Some("airflow.providers.standard.operators.python.PythonOperator"),
        ),
        at(
            f,
            "get_current_context",
            0,
            "SKY103",
            Some("airflow.sdk.get_current_context"),
        ),
    ];
    insta::assert_snapshot!(run(f, &findings, false));
}

#[test]
fn keywords_renamed_and_dropped() {
    let f = "keywords.py";
    let findings = [
        at(f, "schedule_interval", 0, "SKY302", Some("schedule")),
        at(f, "concurrency=2", 0, "SKY303", Some("max_active_tasks")),
        at(f, "provide_context", 0, "SKY303", None),
        at(
            f,
            "task_concurrency",
            0,
            "SKY303",
            Some("max_active_tis_per_dag"),
        ),
        at(f, "provide_context", 1, "SKY303", None),
        at(f, "provide_context", 2, "SKY303", None),
    ];
    insta::assert_snapshot!(run(f, &findings, false));
}

#[test]
fn context_keys_safe_and_unsafe() {
    let f = "context_keys.py";
    let findings = [
        at(f, "execution_date", 0, "SKY301", None),
        at(f, "next_ds", 0, "SKY301", None),
        at(f, "prev_ds_nodash", 0, "SKY301", None),
        // a parameter: renamed with its uses (unsafe)
        at(f, "execution_date", 1, "SKY301", None),
        at(f, "\"execution_date\"", 0, "SKY301", None),
        at(f, "'next_ds'", 0, "SKY301", None),
        at(f, "\"prev_ds\"", 0, "SKY301", None),
    ];
    insta::assert_snapshot!("context_keys_safe", run(f, &findings, false));
    insta::assert_snapshot!("context_keys_unsafe", run(f, &findings, true));
}

#[test]
fn task_parameter_renamed_with_its_uses_where_sure() {
    let f = "context_parameter.py";
    let findings = [
        at(f, "execution_date", 0, "SKY301", None),
        // the function already holds `logical_date`: left for a person
        at(f, "execution_date", 5, "SKY301", None),
        // the module calls the function with `execution_date=`: left for a person
        at(f, "execution_date", 7, "SKY301", None),
        // a lambda inside has a parameter of the same name: left for a person
        at(f, "next_execution_date", 0, "SKY301", None),
    ];
    // a parameter rename is unsafe: nothing by default
    assert_eq!(run(f, &findings, false), "(no change)\n");
    insta::assert_snapshot!(run(f, &findings, true));
}

#[test]
fn snowflake_operator_calls_move_with_the_import() {
    let finding = |f: &str| at(f, "SnowflakeOperator", 0, "SKY201", None);
    insta::assert_snapshot!(run("hook_params.py", &[finding("hook_params.py")], false));
    // a finding on a keyword the call rewrite makes too does not split the fix
    let f = "hook_params.py";
    let with_keyword = [
        at(f, "snowflake_conn_id", 0, "SKY303", Some("conn_id")),
        at(f, "warehouse", 0, "SKY303", None),
        finding(f),
    ];
    let both = run(f, &with_keyword, false);
    let alone = run(f, &[finding(f)], false);
    assert_eq!(
        both.split("applied:").next(),
        alone.split("applied:").next(),
        "{both}"
    );
    // `snowflake_conn_id` in `default_args` would be left behind: neither import nor calls move
    assert_eq!(
        run(
            "hook_params_kept.py",
            &[finding("hook_params_kept.py")],
            false
        ),
        "(no change)\n"
    );
}

#[test]
fn days_ago_to_pendulum() {
    let finding = |f: &str| at(f, "days_ago", 0, "SKY102", None);
    insta::assert_snapshot!(
        "days_ago",
        run("days_ago.py", &[finding("days_ago.py")], false)
    );
    insta::assert_snapshot!(
        "days_ago_more",
        run("days_ago_more.py", &[finding("days_ago_more.py")], false)
    );
    // `days_ago(1, hour=6)` has no one-to-one replacement: left alone
    assert_eq!(
        run("days_ago_kept.py", &[finding("days_ago_kept.py")], false),
        "(no change)\n"
    );
}

#[test]
fn module_alias_rebound_to_the_object() {
    let f = "module_alias.py";
    let findings = [at(
        f,
        "get(",
        0,
        "SKY105",
        Some("airflow.configuration.conf.get"),
    )];
    insta::assert_snapshot!(run(f, &findings, false));
}

#[test]
fn byte_exact_outside_the_edit_and_idempotent() {
    let f = "crlf.py";
    let finding = at(
        f,
        "task_concurrency",
        0,
        "SKY303",
        Some("max_active_tis_per_dag"),
    );
    let fixes = fix(&[fixture(f)], std::slice::from_ref(&finding));
    assert_eq!(fixes.len(), 1);
    let (old, new) = (&fixes[0].old, &fixes[0].new);
    assert_eq!(
        new,
        &old.replace("task_concurrency=1", "max_active_tis_per_dag=1")
    );
    assert_eq!(new.matches("\r\n").count(), old.matches("\r\n").count());
    // a file whose findings carry no fix is not touched at all
    let none = fix(
        &[fixture("keywords.py")],
        &[at("keywords.py", "DAG", 0, "SKY305", None)],
    );
    assert!(none.is_empty());
    // the fixed text has nothing left to fix for the same findings (nothing at the position)
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(f);
    std::fs::write(&path, new).unwrap();
    let again = fix(&[path], &[]);
    assert!(again.is_empty());
}
