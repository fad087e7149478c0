use super::plan::bridge_target;
use super::*;
use skyhop_core::Facts;

#[test]
fn config_reads_renamed_in_place() {
    let src = "x = 1\nnamespace = conf.get('kubernetes', \"NAMESPACE\")  # ns\n";
    assert_eq!(
        rename_config_read(src, 2, 22, "kubernetes_executor", "namespace").unwrap(),
        "x = 1\nnamespace = conf.get('kubernetes_executor', \"namespace\")  # ns\n"
    );
    // not the literal the finding points at: nothing
    assert_eq!(rename_config_read(src, 2, 1, "a", "b"), None);
    assert_eq!(
        needed_module("No module named 'airflow.compat'").as_deref(),
        Some("airflow.compat")
    );
}

#[test]
fn text_edits_keep_every_other_byte() {
    let req = "# pins\r\npandas==2.1 ; python_version>'3'  # x\r\nrequests==2.32.3";
    assert_eq!(
        replace_requirement(req, 2, "pandas==2.2.3").unwrap(),
        "# pins\r\npandas==2.2.3 ; python_version>'3'  # x\r\nrequests==2.32.3"
    );
    assert_eq!(replace_requirement(req, 2, "numpy==1"), None);
    assert_eq!(
        append_line(req, "apache-airflow-providers-http>=5.3.0"),
        "# pins\r\npandas==2.1 ; python_version>'3'  # x\r\nrequests==2.32.3\r\napache-airflow-providers-http>=5.3.0\r\n"
    );
    let df = "FROM x:1\nENV A=1";
    assert_eq!(
        insert_after_line(df, 1, "ENV B=2").unwrap(),
        "FROM x:1\nENV B=2\nENV A=1"
    );
    assert_eq!(
        insert_after_line(df, 2, "ENV B=2").unwrap(),
        "FROM x:1\nENV A=1\nENV B=2\n"
    );
}

#[test]
fn provider_modules_and_packages() {
    assert_eq!(
        new_provider_modules(
            "from airflow.operators.bash import BashOperator\n",
            "from airflow.providers.standard.operators.bash import BashOperator\n"
        ),
        ["airflow.providers.standard.operators.bash"]
    );
}

#[test]
fn trigger_rules_and_bridges() {
    let src =
        "t = EmptyOperator(\n    task_id='e',\n    trigger_rule='none_failed_or_skipped',\n)\n";
    let (new, old) = trigger_rule_fix(src, 1).unwrap();
    assert_eq!(old, "none_failed_or_skipped");
    assert_eq!(
        new,
        src.replace("'none_failed_or_skipped'", "'none_failed_min_one_success'")
    );
    assert_eq!(trigger_rule_fix(&new, 1), None);
    // both removed values, from the check's table
    let dummy = "t = EmptyOperator(task_id='e', trigger_rule=\"dummy\")\n";
    assert_eq!(
        trigger_rule_fix(dummy, 1),
        Some((
            "t = EmptyOperator(task_id='e', trigger_rule=\"always\")\n".to_string(),
            "dummy"
        ))
    );
    assert_eq!(
        bridge_target("the latest 12.x/13.x (Runtime 13.11.0)").map(|t| t.to_string()),
        skyhop_catalog::RuntimeVersion::parse("13.11.0")
            .ok()
            .map(|r| skyhop_catalog::Target::Runtime(r).to_string())
    );
    assert!(bridge_target("Airflow 2.7.0 or later").is_some());
    assert!(bridge_target("a later version").is_none());
}

/// A finding as a detector makes it, with `facts`.
fn finding(path: &str, line: u32, column: u32, rule: &str, replacement: Option<&str>) -> Finding {
    Finding {
        path: path.into(),
        line,
        column,
        rule: rule.into(),
        severity: Severity::Error,
        message: "whatever the message says".into(),
        replacement: replacement.map(str::to_string),
        source: Source::Check,
        related: Vec::new(),
        facts: Facts::default(),
    }
}

/// Applies the fix `f` carries to `text`: the change it reports and the new text.
fn fixed(f: &Finding, text: &str) -> Option<(String, String)> {
    let (change, fix) = finding_fix(f)?;
    Some((change.what, fix.apply(text)?))
}

#[test]
fn trigger_rule_fix_comes_from_the_facts_not_the_message() {
    let dag = "from airflow import DAG\nt = EmptyOperator(\n    task_id='e',\n    trigger_rule=\"none_failed_or_skipped\",\n)\n";
    let mut f = finding("dags/a.py", 2, 0, "SKY900", None);
    f.message = "DAG file fails: ValueError: 'trigger_rule' must be one of ...".into();
    // the message names a trigger rule, the detector said nothing: no fix
    assert!(finding_fix(&f).is_none());
    f.facts.trigger_rule = true;
    f.message = "reworded".into();
    let (what, new) = fixed(&f, dag).unwrap();
    assert_eq!(what, "removed trigger rule renamed");
    assert_eq!(
        new,
        "from airflow import DAG\nt = EmptyOperator(\n    task_id='e',\n    trigger_rule=\"none_failed_min_one_success\",\n)\n"
    );
    // the same for a deprecation warning; other rules with the fact are not this fix
    f.rule = "SKY910".into();
    assert_eq!(fixed(&f, dag).unwrap().1, new);
    f.rule = "SKY911".into();
    assert!(finding_fix(&f).is_none());
}

#[test]
fn config_read_fix() {
    let src =
        "from airflow.configuration import conf\nns = conf.get(\"kubernetes\", \"namespace\")\n";
    let f = finding(
        "dags/k.py",
        2,
        15,
        "SKY402",
        Some("kubernetes_executor.namespace"),
    );
    let (what, new) = fixed(&f, src).unwrap();
    assert_eq!(what, "config read as [kubernetes_executor] namespace");
    assert_eq!(
        new,
        "from airflow.configuration import conf\nns = conf.get(\"kubernetes_executor\", \"namespace\")\n"
    );
    // no `section.key` replacement: nothing to do
    assert!(finding_fix(&finding("dags/k.py", 2, 15, "SKY402", None)).is_none());
}

#[test]
fn requirement_fix() {
    let req = "pandas==2.1.0\napache-airflow-providers-amazon==8.0.0 # aws\n";
    let f = finding(
        "requirements.txt",
        2,
        0,
        "SKY503",
        Some("apache-airflow-providers-amazon==9.1.0"),
    );
    let (what, new) = fixed(&f, req).unwrap();
    assert_eq!(what, "requirement");
    assert_eq!(
        new,
        "pandas==2.1.0\napache-airflow-providers-amazon==9.1.0 # aws\n"
    );
    // the Dockerfile's `pip install` lines and project-wide findings are not edited here
    let mut d = f.clone();
    d.path = "Dockerfile".into();
    assert!(finding_fix(&d).is_none());
    let mut w = f.clone();
    w.line = 0;
    assert!(finding_fix(&w).is_none());
    assert!(finding_fix(&finding("dags/a.py", 3, 1, "SKY104", None)).is_none());
}

#[test]
fn airflowignore_syntax_fix_sets_the_variable_once() {
    let fix = super::edits::TextFix::EnvAfter {
        line: 1,
        key: "AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX".into(),
        setting: "AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX=regexp".into(),
    };
    let dockerfile = "FROM quay.io/astronomer/astro-runtime:12.0.0\r\nENV A=1\r\n";
    let new = fix.apply(dockerfile).unwrap();
    assert_eq!(
        new,
        "FROM quay.io/astronomer/astro-runtime:12.0.0\r\nENV AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX=regexp\r\nENV A=1\r\n"
    );
    // run again: nothing to do
    assert_eq!(fix.apply(&new), None);
}

#[test]
fn text_fixes_are_span_edits_of_the_one_engine() {
    use skyhop_core::edit::{Edit, is_idempotent};
    let fixed = |fix: &super::edits::TextFix, t: &str| fix.apply(t).unwrap_or_else(|| t.into());
    let req = "# pins\npandas==2.1  # x\n";
    let fix = super::edits::TextFix::Requirement {
        line: 2,
        new: "pandas==2.2.3".into(),
    };
    assert_eq!(
        fix.edits(req),
        Some(vec![Edit::replacement(7..18, "pandas==2.2.3")])
    );
    assert!(is_idempotent(req, |t| fixed(&fix, t)));
    let src = "namespace = conf.get('kubernetes', \"NAMESPACE\")\n";
    let fix = super::edits::TextFix::ConfigRead {
        line: 1,
        column: 22,
        section: "kubernetes_executor".into(),
        key: "namespace".into(),
    };
    assert_eq!(
        fix.edits(src),
        Some(vec![
            Edit::replacement(21..33, "'kubernetes_executor'"),
            Edit::replacement(35..46, "\"namespace\""),
        ])
    );
    assert!(is_idempotent(src, |t| fixed(&fix, t)));
    let df = "FROM x:1\nENV A=1";
    let fix = super::edits::TextFix::EnvAfter {
        line: 1,
        key: "B".into(),
        setting: "B=2".into(),
    };
    assert_eq!(fix.edits(df), Some(vec![Edit::insertion(9, "ENV B=2\n")]));
    assert!(is_idempotent(df, |t| fixed(&fix, t)));
}
