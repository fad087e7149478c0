//! A fixture report: an 11.3.0 → 3.1-12 upgrade with findings of every kind.

#![allow(dead_code, clippy::too_many_arguments)]

use skyhop_core::{Finding, Lock, Severity, Source};
use skyhop_report::{
    Consideration, EnvMeta, FileStatus, ParsedFile, ReportData, TestStatus, TestSummary,
};

fn finding(
    path: &str,
    line: u32,
    column: u32,
    rule: &str,
    severity: Severity,
    message: &str,
    replacement: Option<&str>,
    source: Source,
) -> Finding {
    Finding {
        path: path.into(),
        line,
        column,
        rule: rule.into(),
        severity,
        message: message.into(),
        replacement: replacement.map(Into::into),
        source,
        related: Vec::new(),
        facts: Default::default(),
    }
}

pub fn fixture() -> ReportData {
    let old = Lock::from_freeze(
        "apache-airflow==2.9.1+astro.1\napache-airflow-providers-amazon==8.20.0\napache-airflow-providers-celery==3.6.2\nmsrestazure==0.6.4\npendulum==3.0.0\n",
        "uv",
    )
    .unwrap();
    let new = Lock::from_freeze(
        "apache-airflow==3.1.3+astro.1\napache-airflow-providers-amazon==9.16.0\napache-airflow-providers-celery==3.13.0\napache-airflow-providers-standard==1.9.1\nmsrestazure==0.6.4.post1\npendulum==3.1.0\napache-airflow-task-sdk==1.1.3\n",
        "uv",
    )
    .unwrap();
    ReportData {
        current: EnvMeta {
            label: "11.3.0".into(),
            runtime: Some("11.3.0".into()),
            airflow: "2.9.1".into(),
            python: "3.11".into(),
            python_note: None,
            backend: "uv".into(),
            image: Some("quay.io/astronomer/astro-runtime:11.3.0".into()),
        },
        target: EnvMeta {
            label: "3.1-12".into(),
            runtime: Some("3.1-12".into()),
            airflow: "3.1.3".into(),
            python: "3.12".into(),
            python_note: Some("3.12 not found, used 3.11".into()),
            backend: "uv".into(),
            image: Some("astrocrpublic.azurecr.io/runtime:3.1-12".into()),
        },
        is_downgrade: false,
        blocked: None,
        skyhop_version: "0.1.0".into(),
        generated_at: "2026-11-22T00:00:00Z".into(),
        project: "examples/astro-project".into(),
        tests: vec![
            TestSummary {
                name: "dependency".into(),
                status: TestStatus::Passed,
                summary: "7 package changes, 1 major provider bump".into(),
                duration_ms: 1234,
            },
            TestSummary {
                name: "check".into(),
                status: TestStatus::Failed,
                summary: "3 errors, 1 warning in 2 files".into(),
                duration_ms: 85,
            },
            TestSummary {
                name: "parse".into(),
                status: TestStatus::Failed,
                summary: "1 of 3 DAG files fails to import".into(),
                duration_ms: 4100,
            },
        ],
        findings: vec![
            finding(
                "dags/etl.py",
                3,
                1,
                "SKY301",
                Severity::Error,
                "`airflow.operators.bash.BashOperator` moved to the standard provider",
                Some("from airflow.providers.standard.operators.bash import BashOperator"),
                Source::Check,
            ),
            finding(
                "dags/etl.py",
                4,
                1,
                "SKY301",
                Severity::Error,
                "`airflow.operators.python.PythonOperator` moved to the standard provider",
                Some("from airflow.providers.standard.operators.python import PythonOperator"),
                Source::Check,
            ),
            finding(
                "dags/report.py",
                12,
                5,
                "SKY302",
                Severity::Error,
                "`schedule_interval` was removed <script>alert(1)</script>",
                Some("schedule"),
                Source::Check,
            ),
            finding(
                "dags/report.py",
                20,
                9,
                "SKY310",
                Severity::Warning,
                "context key `execution_date` is deprecated | use logical_date",
                Some("logical_date"),
                Source::Check,
            ),
            finding(
                "dags/etl.py",
                3,
                0,
                "SKY900",
                Severity::Error,
                "ModuleNotFoundError: No module named 'airflow.operators.bash'",
                None,
                Source::Parse,
            ),
            finding(
                "",
                0,
                0,
                "SKY501",
                Severity::Warning,
                "the DAGs import apache-airflow-providers-standard, which the target does not install by default",
                Some("Add apache-airflow-providers-standard to requirements.txt"),
                Source::Deps,
            ),
            finding(
                "",
                0,
                0,
                "SKY601",
                Severity::Info,
                "Runtime 3.1-12 is the latest stable release",
                None,
                Source::Catalog,
            ),
        ],
        comparison: Some(skyhop_deps::compare(&old, &new)),
        considerations: vec![Consideration {
            title: "Airflow 3 removes SubDAGs".into(),
            text: "Use TaskGroups instead.".into(),
        }],
        parse_files: vec![
            ParsedFile {
                path: "dags/etl.py".into(),
                ok: false,
                error: Some("No module named 'airflow.operators.bash'".into()),
                error_type: Some("ModuleNotFoundError".into()),
                line: Some(3),
                dag_ids: vec![],
                duration_ms: 900,
                status: FileStatus::Fails,
                note: None,
            },
            ParsedFile {
                path: "dags/report.py".into(),
                ok: true,
                error: None,
                error_type: None,
                line: None,
                dag_ids: vec!["daily_report".into()],
                duration_ms: 700,
                ..Default::default()
            },
            ParsedFile {
                path: "dags/hello.py".into(),
                ok: true,
                error: None,
                error_type: None,
                line: None,
                dag_ids: vec!["hello".into()],
                duration_ms: 500,
                ..Default::default()
            },
        ],
        notes: vec![
            "astronomer-providers-logging was left out: it is only on Astronomer's index".into(),
        ],
        rule_titles: [("SKY101".to_string(), "module-not-found".to_string())]
            .into_iter()
            .collect(),
        db_rehearsal: None,
    }
}

/// A report on a project of many files with long paths (as a real project's): one rule with
/// findings in 13 files, another whose findings are errors in some files and warnings in
/// others (files that fail already today).
pub fn many_files() -> ReportData {
    let mut data = fixture();
    let files: Vec<String> = [
        "dags/customer_sync/customer_sync_daily.py",
        "dags/customer_sync/transformations/customer_sync_helpers.py",
        "dags/marketing/attribution/multi_touch_attribution_model_refresh.py",
        "dags/marketing/campaign_performance_rollup.py",
        "dags/finance/reconciliation/stripe_ledger_reconciliation.py",
        "dags/finance/month_end_close.py",
        "dags/platform/maintenance/airflow_db_cleanup_weekly.py",
        "dags/platform/maintenance/log_retention.py",
        "dags/data_quality/great_expectations_checkpoints.py",
        "dags/ml/feature_store/feature_backfill_from_warehouse.py",
        "dags/ml/model_training_pipeline.py",
        "dags/reporting/executive_dashboard_refresh.py",
        "dags/reporting/exports/partner_sftp_exports.py",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    for (i, path) in files.iter().enumerate() {
        data.findings.push(finding(
            path,
            10 + i as u32,
            5,
            "SKY310",
            Severity::Warning,
            "context key `execution_date` is deprecated",
            Some("logical_date"),
            Source::Check,
        ));
        if i % 3 == 0 {
            let fails_already = i % 2 == 1;
            data.findings.push(finding(
                path,
                3,
                1,
                "SKY104",
                if fails_already {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                &format!(
                    "`google.cloud.bigquery` needs package `google-cloud-bigquery`, which is not installed in the target (Airflow 3.1.3); add `google-cloud-bigquery` to requirements.txt{}",
                    if fails_already {
                        " (the file fails to import for this reason under the current version already)"
                    } else {
                        ""
                    }
                ),
                None,
                Source::Check,
            ));
        }
        data.parse_files.push(ParsedFile {
            path: path.clone(),
            ok: true,
            dag_ids: vec![format!("dag_{i}")],
            duration_ms: 300,
            ..Default::default()
        });
    }
    data.rule_titles
        .insert("SKY104".into(), "package-not-installed".into());
    data.rule_titles
        .insert("SKY310".into(), "deprecated-context-key".into());
    data
}
