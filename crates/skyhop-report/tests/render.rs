//! Snapshot and behaviour tests of every renderer on the fixture report.

mod common;

use skyhop_core::Severity;
use skyhop_report::{
    FileStatus, ReportData, TestStatus, Verdict, render_github, render_html, render_json,
    render_markdown, render_sarif, verdict, write_report_dir,
};

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", render_markdown(&common::fixture()));
}

#[test]
fn json_snapshot() {
    let json = render_json(&common::fixture());
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["verdict"], "needs_changes");
    // The JSON reads back as report data.
    let back: ReportData = serde_json::from_value(value).unwrap();
    assert_eq!(back, common::fixture());
    insta::assert_snapshot!("json", json);
}

#[test]
fn sarif_snapshot_has_required_fields() {
    let data = common::fixture();
    let sarif = render_sarif(&data.findings, "0.1.0");
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "skyhop");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["SKY301", "SKY302", "SKY310", "SKY501", "SKY601", "SKY900"]
    );
    for result in run["results"].as_array().unwrap() {
        assert!(result["message"]["text"].is_string());
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        // GitHub code scanning needs one location with a line on every result.
        let loc = &result["locations"][0]["physicalLocation"];
        assert!(!loc["artifactLocation"]["uri"].as_str().unwrap().is_empty());
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    insta::assert_snapshot!("sarif", sarif);
}

#[test]
fn github_snapshot() {
    insta::assert_snapshot!("github", render_github(&common::fixture().findings));
}

#[test]
fn verdicts() {
    let mut data = common::fixture();
    assert_eq!(verdict(&data), Verdict::NeedsChanges);
    data.blocked = Some("the target environment could not be resolved".into());
    assert_eq!(verdict(&data), Verdict::Blocked);
    data.blocked = None;
    data.findings.retain(|f| f.severity != Severity::Error);
    data.parse_files.retain(|p| p.ok);
    data.tests
        .iter_mut()
        .for_each(|t| t.status = TestStatus::Passed);
    assert_eq!(verdict(&data), Verdict::Safe);
    // a file that fails already today, or was not tested, is not an upgrade break
    data.parse_files[0].ok = false;
    for status in [FileStatus::FailsAlready, FileStatus::NotTested] {
        data.parse_files[0].status = status;
        assert_eq!(verdict(&data), Verdict::Safe);
    }
    data.parse_files[0].status = FileStatus::Fails;
    assert_eq!(verdict(&data), Verdict::NeedsChanges);
}

#[test]
fn actions_group_findings() {
    let acts = skyhop_report::actions(&common::fixture());
    let titles: Vec<&str> = acts.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Fix 1 DAG file that fails to import under 3.1-12",
            "Fix SKY301 at 2 places in 1 file",
            "Fix SKY302 at 1 place in 1 file",
            "Fix SKY900 at 1 place in 1 file",
            "Add apache-airflow-providers-standard to requirements.txt",
            "Fix SKY310 at 1 place in 1 file",
            "Python 3.11 → 3.12",
            "Read the changelogs of 1 provider with a major version bump",
            "Read 1 upgrade consideration for the versions crossed",
        ]
    );
}

#[test]
fn one_row_per_rule_at_its_most_severe_level() {
    let acts = skyhop_report::actions(&common::many_files());
    let sky104: Vec<_> = acts
        .iter()
        .filter(|a| a.title.starts_with("Fix SKY104"))
        .collect();
    assert_eq!(sky104.len(), 1, "{acts:#?}");
    let row = sky104[0];
    assert_eq!(row.level, Severity::Error);
    assert_eq!(
        row.title,
        "Fix SKY104 (package-not-installed) at 5 places in 5 files"
    );
    let detail = row.detail.as_deref().unwrap();
    assert!(
        detail.starts_with(
            "3 errors and 2 warnings. e.g. dags/customer_sync/customer_sync_daily.py:3:1: "
        ),
        "{detail}"
    );
    assert_eq!(row.files.len(), 5);
    // a rule whose findings are all warnings stays a warning, without the counts
    let sky310 = acts
        .iter()
        .find(|a| a.title.starts_with("Fix SKY310"))
        .unwrap();
    assert_eq!(sky310.level, Severity::Warning);
    assert!(sky310.detail.as_deref().unwrap().starts_with("e.g. "));
    assert_eq!(sky310.files.len(), 14);
}

#[test]
fn markdown_of_many_files_lists_them_under_the_action() {
    let md = render_markdown(&common::many_files());
    let row = md.lines().find(|l| l.contains("**Fix SKY310")).unwrap();
    assert!(
        row.ends_with("<br>Files: `dags/customer_sync/customer_sync_daily.py`, `dags/customer_sync/transformations/customer_sync_helpers.py`, `dags/data_quality/great_expectations_checkpoints.py`, `dags/finance/month_end_close.py`, `dags/finance/reconciliation/stripe_ledger_reconciliation.py`, and 9 more |"),
        "{row}"
    );
    assert!(!md.contains("&gt;") && !md.contains("&lt;") && !md.contains("\\`"));
}

#[test]
fn html_escapes_everything() {
    let html = render_html(&common::fixture());
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert_eq!(html.matches("<script>").count(), 1, "only our own script");
    assert!(
        !html.contains("http://") && !html.contains("src="),
        "no network"
    );
    assert!(html.contains("data-verdict=\"needs_changes\""));
}

#[test]
fn html_of_a_blocked_downgrade() {
    let mut data = common::fixture();
    data.is_downgrade = true;
    data.blocked = Some("no version of `foo` supports Python 3.12: pin it".into());
    let html = render_html(&data);
    assert!(html.contains("Downgrade test"));
    assert!(html.contains("data-verdict=\"blocked\""));
    assert!(html.contains("no version of `foo` supports Python 3.12: pin it"));
}

#[test]
fn writes_the_report_folder_and_keeps_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("upgrade-test-11.3.0--3.1-12");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "keep").unwrap();
    std::fs::write(out.join("report.md"), "old").unwrap();
    let data = common::fixture();
    let written = write_report_dir(
        &out,
        &data,
        &[("dependency_compare.txt", b"Apache Airflow Update:\n")],
    )
    .unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "dependency_compare.txt",
            "report.html",
            "report.md",
            "report.json",
            "check-results.sarif"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("mine.txt")).unwrap(),
        "keep"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        render_markdown(&data)
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let err = write_report_dir(&out, &data, &[("../escape", b"x")]).unwrap_err();
    assert!(err.to_string().contains("../escape"), "{err}");
}

#[test]
fn an_empty_report_is_safe_and_says_so() {
    let data = ReportData {
        skyhop_version: "0.1.0".into(),
        ..ReportData::default()
    };
    assert_eq!(verdict(&data), Verdict::Safe);
    assert!(skyhop_report::actions(&data).is_empty());
    assert!(render_markdown(&data).contains("Nothing: upgrade when ready."));
    let html = render_html(&data);
    assert!(html.contains("data-verdict=\"safe\""));
    assert!(html.contains("Nothing to do"));
    assert_eq!(render_github(&[]), "");
    let sarif: serde_json::Value = serde_json::from_str(&render_sarif(&[], "0.1.0")).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn only_web_links_are_rendered() {
    let mut data = common::fixture();
    for change in &mut data.comparison.as_mut().unwrap().changes {
        change.changelog_url = "javascript:alert(1)".into();
    }
    assert!(!render_html(&data).contains("javascript:"));
    assert!(!render_markdown(&data).contains("javascript:"));
}

#[test]
fn sarif_related_locations_point_to_the_helper_line() {
    let finding = skyhop_core::Finding {
        path: "dags/report.py".into(),
        line: 3,
        column: 1,
        rule: "SKY110".into(),
        severity: skyhop_core::Severity::Error,
        message: "importing `include.helpers` fails in the target".into(),
        replacement: None,
        source: skyhop_core::Source::Check,
        related: vec![skyhop_core::Related {
            path: "include/helpers.py".into(),
            line: 7,
            column: 6,
            message: "SKY101 No module named `airflow.operators.dummy_operator`".into(),
        }],
        facts: Default::default(),
    };
    let sarif: serde_json::Value =
        serde_json::from_str(&render_sarif(&[finding], "0.1.0")).unwrap();
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0];
    let location = &related["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "include/helpers.py");
    assert_eq!(location["region"]["startLine"], 7);
    assert_eq!(location["region"]["startColumn"], 6);
    assert!(
        related["message"]["text"]
            .as_str()
            .unwrap()
            .contains("SKY101")
    );
}

#[test]
fn the_db_rehearsal_section() {
    let mut data = common::fixture();
    data.db_rehearsal = Some(skyhop_report::DbRehearsal {
        source: "postgresql://airflow:****@db:5432/airflow".into(),
        ok: true,
        task_instances: 100_000,
        seconds: 27.04,
        predicted_seconds: Some(31.5),
        slowest: vec![(
            "d59cbbef95eb".into(),
            Some("3.0.0".into()),
            "Add UUID primary key to <task_instance>".into(),
            9.81,
        )],
        tables: vec!["dropped: task_fail (15008 rows)".into()],
        error: None,
        rollback: Some("airflow db downgrade --to-version 2.10.5 works".into()),
        rollback_loss: vec!["column dag_run.run_after (1000 values)".into()],
    });
    let md = render_markdown(&data);
    assert!(md.contains("## Metadata database migration (rehearsed on a copy)"));
    assert!(md.contains("in **27.0 s** on a copy with 100000 task instances"));
    assert!(md.contains("predict 31.5 s"));
    assert!(md.contains("| `d59cbbef95eb` | 3.0.0 |"));
    assert!(md.contains("- dropped: task\\_fail (15008 rows)"));
    assert!(md.contains("- column dag\\_run.run\\_after (1000 values)"));
    let html = render_html(&data);
    assert!(html.contains("<section id=\"db-rehearsal\">"));
    assert!(html.contains("<strong>27.0 s</strong>"));
    assert!(html.contains("Add UUID primary key to &lt;task_instance&gt;"));
    assert!(!html.contains("<task_instance>"));
    // without a rehearsal there is no section
    assert!(!render_html(&common::fixture()).contains("db-rehearsal"));
}
