//! The result of a parse run ([`ParseReport`]) and its two views: a text summary and findings.

use serde::{Deserialize, Serialize};
use skyhop_core::{Facts, Finding, Severity, Source};

/// Rule code of a DAG file that raised an exception while being imported.
pub const RULE_IMPORT_ERROR: &str = "SKY900";
/// Rule code of a DAG file whose import did not finish within the timeout.
pub const RULE_TIMEOUT: &str = "SKY901";
/// Rule code of a DAG file that crashed or ended the Python process (segfault, `os._exit`).
pub const RULE_CRASH: &str = "SKY902";
/// Rule code of a deprecation warning raised while importing a DAG file.
pub const RULE_DEPRECATION: &str = "SKY910";
/// Rule code of any other warning raised while importing a DAG file.
pub const RULE_WARNING: &str = "SKY911";

/// `error_type` of a file the harness killed after the timeout.
pub const ERROR_TYPE_TIMEOUT: &str = "Timeout";
/// `error_type` of a file whose process died from a signal (segfault, abort...).
pub const ERROR_TYPE_CRASH: &str = "Crash";
/// `error_type` of a file that ended its process without an exception (`os._exit`).
pub const ERROR_TYPE_EXIT: &str = "Exit";

/// Everything one parse run found, in the JSON shape `skyhop parse --format json` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseReport {
    /// Python version of the environment (`3.11.7`).
    pub python: String,
    /// Airflow version of the environment (`3.1.3`).
    pub airflow: String,
    /// One entry per DAG file, in the order of the file list given to [`crate::parse`].
    pub files: Vec<FileResult>,
    /// Variables of the caller's environment handed to the DAG code on purpose
    /// ([`crate::ParseOptions::pass_env`]); it saw no other of the caller's variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_env: Vec<String>,
    /// Where the DAG code also found the project, as in the image (`/usr/local/airflow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_home: Option<String>,
    /// What the run could not do as the image does (shown with the results).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Settings of the project (`AIRFLOW__CORE__XCOM_BACKEND`) without which the run was made,
    /// because with them Airflow itself does not load: each with Airflow's error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings_left_out: Vec<(String, String)>,
}

/// How one DAG file fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileResult {
    /// Path relative to the project root, with `/` separators.
    pub path: String,
    /// `true` when the file imported without error (it may still hold no DAG).
    pub ok: bool,
    /// The error message (the exception's text, or what happened to the process).
    pub error: Option<String>,
    /// The exception's class name (`ModuleNotFoundError`), or [`ERROR_TYPE_TIMEOUT`],
    /// [`ERROR_TYPE_CRASH`], [`ERROR_TYPE_EXIT`].
    pub error_type: Option<String>,
    /// 1-based line of the failing statement in this file, when the traceback reaches it.
    pub line: Option<u32>,
    /// The full traceback (or the crash dump of the process).
    pub traceback: Option<String>,
    /// Ids of the DAGs the file defines, sorted.
    pub dag_ids: Vec<String>,
    /// Every warning raised while importing the file.
    pub warnings: Vec<ParseWarning>,
    /// Wall time spent importing the file, in milliseconds.
    pub duration_ms: u64,
    /// Placeholders the file was handed because nothing here sets them
    /// (`environment variable SNOWFLAKE_ACCOUNT`, `Variable config`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standins: Vec<String>,
    /// The file failed, and parsed again with other placeholders it failed differently (or
    /// not at all): the failure depends on the placeholder values, not on the file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub standin_dependent: bool,
}

/// A warning raised while importing a DAG file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseWarning {
    /// 1-based line in the DAG file that led to the warning, when on the stack.
    pub line: Option<u32>,
    /// Warning class with its module (`airflow.exceptions.RemovedInAirflow3Warning`).
    pub category: String,
    pub message: String,
}

impl ParseWarning {
    /// Whether the category is a deprecation (Airflow's or Python's).
    pub fn is_deprecation(&self) -> bool {
        let name = short_name(&self.category);
        name.contains("Deprecat") || name.starts_with("RemovedIn") || name == "FutureWarning"
    }
}

impl FileResult {
    /// The rule code of this file's failure, `None` when it imported.
    pub fn failure_rule(&self) -> Option<&'static str> {
        if self.ok {
            return None;
        }
        Some(match self.error_type.as_deref() {
            Some(ERROR_TYPE_TIMEOUT | "AirflowTaskTimeout") => RULE_TIMEOUT,
            Some(ERROR_TYPE_CRASH | ERROR_TYPE_EXIT) => RULE_CRASH,
            _ => RULE_IMPORT_ERROR,
        })
    }

    /// Whether the import ran out of time (Airflow's own timeout, or the harness's).
    pub fn timed_out(&self) -> bool {
        self.failure_rule() == Some(RULE_TIMEOUT)
    }

    /// `path:line` (or just `path` when the line is unknown).
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }

    /// `ErrorType: first line of the message`.
    pub fn summary(&self) -> String {
        let message = self
            .error
            .as_deref()
            .and_then(|e| e.lines().find(|l| !l.trim().is_empty()))
            .unwrap_or("import failed");
        match self.error_type.as_deref() {
            Some(kind) => format!("{kind}: {message}"),
            None => message.to_string(),
        }
    }
}

impl ParseReport {
    /// Files that failed to import.
    pub fn failures(&self) -> impl Iterator<Item = &FileResult> {
        self.files.iter().filter(|f| !f.ok)
    }

    /// Whether any file failed to import (the CLI exits 1).
    pub fn has_failures(&self) -> bool {
        self.failures().next().is_some()
    }

    /// Total number of warnings over all files.
    pub fn warning_count(&self) -> usize {
        self.files.iter().map(|f| f.warnings.len()).sum()
    }
}

fn short_name(category: &str) -> &str {
    category.rsplit('.').next().unwrap_or(category)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Text summary: counts, then each failure as `path:line: ErrorType: message`, then each
/// warning as `path:line: Category: message`.
pub fn to_text(report: &ParseReport) -> String {
    let failed = report.failures().count();
    let mut out = format!(
        "Parsed {} with Airflow {} (Python {}): {} ok, {} failed, {}.\n",
        plural(report.files.len(), "DAG file"),
        report.airflow,
        report.python,
        report.files.len() - failed,
        failed,
        plural(report.warning_count(), "warning"),
    );
    if !report.passed_env.is_empty() {
        out.push_str(&format!(
            "Passed from your environment on purpose (--pass-env): {}.\n",
            report.passed_env.join(", ")
        ));
    }
    if failed > 0 {
        out.push_str("\nImport errors:\n");
        for file in report.failures() {
            out.push_str(&format!("  {}: {}\n", file.location(), file.summary()));
        }
    }
    if report.warning_count() > 0 {
        out.push_str("\nWarnings:\n");
        for file in &report.files {
            for w in &file.warnings {
                let at = match w.line {
                    Some(line) => format!("{}:{line}", file.path),
                    None => file.path.clone(),
                };
                let message = w.message.lines().next().unwrap_or("");
                out.push_str(&format!("  {at}: {}: {message}\n", short_name(&w.category)));
            }
        }
    }
    out
}

/// One [`Finding`] per failed file (SKY900 import error, SKY901 timeout, SKY902 crash) and per
/// warning (SKY910 deprecation, SKY911 other warning).
pub fn to_findings(report: &ParseReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in &report.files {
        if let Some(rule) = file.failure_rule() {
            let message = format!(
                "DAG file fails to import under Airflow {}: {}",
                report.airflow,
                file.summary()
            );
            findings.push(Finding {
                path: file.path.clone(),
                line: file.line.unwrap_or(0),
                column: 0,
                rule: rule.to_string(),
                severity: Severity::Error,
                facts: facts_of(&message, false),
                message,
                replacement: None,
                source: Source::Parse,
                related: Vec::new(),
            });
        }
        for w in &file.warnings {
            let deprecation = w.is_deprecation();
            let message = format!(
                "{}: {}",
                short_name(&w.category),
                w.message.lines().next().unwrap_or("")
            );
            findings.push(Finding {
                path: file.path.clone(),
                line: w.line.unwrap_or(0),
                column: 0,
                rule: if deprecation {
                    RULE_DEPRECATION
                } else {
                    RULE_WARNING
                }
                .to_string(),
                severity: if deprecation {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                facts: facts_of(&message, deprecation),
                message,
                replacement: None,
                source: Source::Parse,
                related: Vec::new(),
            });
        }
    }
    findings
}

/// What a fix needs to know of Airflow's error or warning (`message`, the finding's own text):
/// whether it is about a trigger rule, and for a deprecation warning the name it says moved.
fn facts_of(message: &str, deprecation: bool) -> Facts {
    Facts {
        trigger_rule: message.contains("trigger_rule") || message.contains("Trigger Rule"),
        moved: if deprecation {
            moved_name(message)
        } else {
            None
        },
        ..Facts::default()
    }
}

/// The old and new dotted names of a deprecation warning that names both: Airflow's
/// `Import 'airflow.datasets.Dataset' is deprecated ... Please import it from
/// 'airflow.sdk.Asset'`, or a provider's ``The `old` ... Please use `new` ``.
fn moved_name(message: &str) -> Option<(String, String)> {
    let quoted = |after: &str| -> Option<String> {
        let (_, rest) = message.split_once(after)?;
        let v = rest.split('\'').next()?;
        (!v.is_empty() && !v.contains(' ')).then(|| v.to_string())
    };
    let ticked = |after: &str| -> Option<String> {
        let (_, rest) = message.split_once(after)?;
        let v = rest
            .trim_start_matches(['\'', '`'])
            .split(['\'', '`'])
            .next()?;
        (!v.is_empty() && !v.contains(' ')).then(|| v.to_string())
    };
    match (quoted("Import '"), quoted("import it from '")) {
        (Some(o), Some(n)) => Some((o, n)),
        _ => ticked("The `").zip(ticked("Please use `")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ParseReport {
        ParseReport {
            python: "3.11.7".into(),
            airflow: "3.1.3".into(),
            files: vec![
                FileResult {
                    path: "dags/good.py".into(),
                    ok: true,
                    dag_ids: vec!["good_dag".into()],
                    warnings: vec![ParseWarning {
                        line: Some(4),
                        category: "airflow.utils.deprecation_tools.DeprecatedImportWarning".into(),
                        message:
                            "The `airflow.operators.empty.EmptyOperator` attribute is deprecated."
                                .into(),
                    }],
                    duration_ms: 30,
                    ..FileResult::default()
                },
                FileResult {
                    path: "dags/broken.py".into(),
                    ok: false,
                    error: Some("No module named 'foo'".into()),
                    error_type: Some("ModuleNotFoundError".into()),
                    line: Some(3),
                    traceback: Some("Traceback ...".into()),
                    duration_ms: 12,
                    ..FileResult::default()
                },
                FileResult {
                    path: "dags/slow.py".into(),
                    ok: false,
                    error: Some(
                        "DagBag import timeout for dags/slow.py after 30.0s.\nPlease ...".into(),
                    ),
                    error_type: Some("AirflowTaskTimeout".into()),
                    line: Some(7),
                    warnings: vec![ParseWarning {
                        line: None,
                        category: "UserWarning".into(),
                        message: "something".into(),
                    }],
                    ..FileResult::default()
                },
                FileResult {
                    path: "dags/crash.py".into(),
                    ok: false,
                    error: Some(
                        "the Python process crashed with SIGSEGV while importing the file".into(),
                    ),
                    error_type: Some(ERROR_TYPE_CRASH.into()),
                    ..FileResult::default()
                },
            ],
            passed_env: Vec::new(),
            ..ParseReport::default()
        }
    }

    #[test]
    fn text_summary() {
        insta::assert_snapshot!(to_text(&sample()));
    }

    #[test]
    fn findings() {
        let findings = to_findings(&sample());
        let rows: Vec<String> = findings
            .iter()
            .map(|f| format!("{} {} {} {}", f.location(), f.rule, f.severity, f.message))
            .collect();
        insta::assert_snapshot!(rows.join("\n"));
    }

    #[test]
    fn trigger_rule_errors_carry_the_fact() {
        let report = ParseReport {
            airflow: "3.1.3".into(),
            files: vec![FileResult {
                path: "dags/t.py".into(),
                ok: false,
                error: Some(
                    "Invalid trigger_rule 'none_failed_or_skipped'; valid trigger rules are: ..."
                        .into(),
                ),
                error_type: Some("AirflowException".into()),
                line: Some(5),
                ..FileResult::default()
            }],
            ..ParseReport::default()
        };
        let findings = to_findings(&report);
        assert!(findings[0].facts.trigger_rule);
        // other failures carry nothing, and the fact is in no report
        assert!(
            to_findings(&sample())
                .iter()
                .all(|f| f.facts == Facts::default())
        );
        let json = serde_json::to_string(&findings[0]).unwrap();
        assert!(!json.contains("facts") && !json.contains("TriggerRule"));
    }

    #[test]
    fn deprecation_warnings_name_what_moved() {
        let warning = |category: &str, message: &str| ParseReport {
            airflow: "3.1.3".into(),
            files: vec![FileResult {
                path: "dags/d.py".into(),
                ok: true,
                warnings: vec![ParseWarning {
                    line: Some(2),
                    category: category.into(),
                    message: message.into(),
                }],
                ..FileResult::default()
            }],
            ..ParseReport::default()
        };
        let moved = |category: &str, message: &str| {
            to_findings(&warning(category, message))[0]
                .facts
                .moved
                .clone()
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(
            moved(
                "airflow.exceptions.RemovedInAirflow3Warning",
                "Import 'airflow.datasets.Dataset' is deprecated and will be removed. Please import it from 'airflow.sdk.Asset'."
            ),
            pair("airflow.datasets.Dataset", "airflow.sdk.Asset")
        );
        assert_eq!(
            moved(
                "DeprecationWarning",
                "The `airflow.operators.dummy.DummyOperator` class is deprecated. Please use `airflow.operators.empty.EmptyOperator`."
            ),
            pair(
                "airflow.operators.dummy.DummyOperator",
                "airflow.operators.empty.EmptyOperator"
            )
        );
        // not a deprecation (SKY911): nothing for the import fix
        assert_eq!(
            moved(
                "UserWarning",
                "Import 'a.b' is deprecated. Please import it from 'c.d'."
            ),
            None
        );
    }

    #[test]
    fn json_shape() {
        let value = serde_json::to_value(sample()).unwrap();
        let keys: Vec<&String> = value["files"][1].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "path",
                "ok",
                "error",
                "error_type",
                "line",
                "traceback",
                "dag_ids",
                "warnings",
                "duration_ms"
            ]
        );
        let back: ParseReport = serde_json::from_value(value).unwrap();
        assert_eq!(back, sample());
    }
}
