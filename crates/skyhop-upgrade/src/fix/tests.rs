use super::plan::bridge_target;
use super::*;

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
    assert_eq!(
        needed_package("`airflow.providers.http.operators.http` needs package `apache-airflow-providers-http`, which is not installed").as_deref(),
        Some("apache-airflow-providers-http")
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
    assert_eq!(
        bridge_target("the latest 12.x/13.x (Runtime 13.11.0)").map(|t| t.to_string()),
        skyhop_catalog::RuntimeVersion::parse("13.11.0")
            .ok()
            .map(|r| skyhop_catalog::Target::Runtime(r).to_string())
    );
    assert!(bridge_target("Airflow 2.7.0 or later").is_some());
    assert!(bridge_target("a later version").is_none());
}
