//! The plain input of every renderer ([`ReportData`]) and the verdict computed from it.

use serde::{Deserialize, Serialize};
use skyhop_core::{Finding, Severity};
use skyhop_deps::Comparison;

/// Everything a report shows. The CLI fills it; renderers only read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// The environment the project runs today.
    pub current: EnvMeta,
    /// The environment the project is tested against.
    pub target: EnvMeta,
    /// The target is older than the current version (a downgrade test).
    #[serde(default)]
    pub is_downgrade: bool,
    /// When set, the test could not be run to the end: an environment could not be built or the
    /// target was refused. The text says what happened and what to do. Makes the verdict
    /// [`Verdict::Blocked`].
    #[serde(default)]
    pub blocked: Option<String>,
    pub skyhop_version: String,
    /// When the report was made (RFC 3339 text; the caller formats it).
    pub generated_at: String,
    /// Project directory or name, as the user should recognise it.
    pub project: String,
    /// One row per test that was run or skipped.
    #[serde(default)]
    pub tests: Vec<TestSummary>,
    /// Every finding of every test.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The dependency compare, when the dependency test ran.
    #[serde(default)]
    pub comparison: Option<Comparison>,
    /// Upgrade considerations of the versions crossed (from the catalog).
    #[serde(default)]
    pub considerations: Vec<Consideration>,
    /// Result of importing each DAG file under the target, when the parse test ran.
    #[serde(default)]
    pub parse_files: Vec<ParsedFile>,
    /// Things to show wherever results are shown (left-out packages, Python fallbacks...).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The metadata-database migration rehearsed on a copy (`upgrade-test --db-url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_rehearsal: Option<DbRehearsal>,
    /// Short names of rule codes (`SKY101` → `module-removed`), shown in the actions table.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub rule_titles: std::collections::BTreeMap<String, String>,
}

/// The metadata-database migration rehearsed on a copy, as the report shows it (the whole
/// rehearsal is `db_rehearsal.json` beside the report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DbRehearsal {
    /// The database (password hidden).
    pub source: String,
    /// The migration worked on the copy.
    pub ok: bool,
    pub task_instances: u64,
    /// Time of `airflow db migrate` on the copy.
    pub seconds: f64,
    /// skyhop's own measured fit at this size, when it has one for this crossing.
    #[serde(default)]
    pub predicted_seconds: Option<f64>,
    /// The slowest revisions: `(revision, Airflow version, description, seconds)`.
    #[serde(default)]
    pub slowest: Vec<(String, Option<String>, String, f64)>,
    /// Tables the migration moved aside, dropped or renamed, each with what happened.
    #[serde(default)]
    pub tables: Vec<String>,
    /// The failing revision and statement, when the migration failed.
    #[serde(default)]
    pub error: Option<String>,
    /// The way back: the downgrade's plan (or restoring the backup).
    #[serde(default)]
    pub rollback: Option<String>,
    /// What a rollback loses (tables, columns, rows).
    #[serde(default)]
    pub rollback_loss: Vec<String>,
}

/// One environment (current or target) as the report shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvMeta {
    /// The version as the user names it: `11.3.0`, `3.1-12` or an Airflow version.
    pub label: String,
    /// Astro Runtime version, when the project is on Runtime.
    #[serde(default)]
    pub runtime: Option<String>,
    /// Airflow version.
    pub airflow: String,
    /// Python version the environment uses (`3.12`).
    pub python: String,
    /// Set when the Python used is not the one the version ships with (a fallback), saying so.
    #[serde(default)]
    pub python_note: Option<String>,
    /// How the environment was made: `uv`, `docker`, `freeze`.
    pub backend: String,
    /// Base image, when known.
    #[serde(default)]
    pub image: Option<String>,
}

/// Outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Passed,
    Failed,
    Skipped,
    Warnings,
}

impl TestStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Skipped => "skipped",
            TestStatus::Warnings => "warnings",
        }
    }
}

/// One row of the results table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSummary {
    /// `dependency`, `check`, `parse`, ...
    pub name: String,
    pub status: TestStatus,
    /// One line: what was tested and what came out.
    pub summary: String,
    pub duration_ms: u64,
}

/// A catalog note about crossing a version (e.g. "Airflow 3 removes SubDAGs").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consideration {
    pub title: String,
    pub text: String,
}

/// The result of importing one DAG file under the target environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedFile {
    /// Path relative to the project root.
    pub path: String,
    pub ok: bool,
    /// The error message when the import failed.
    #[serde(default)]
    pub error: Option<String>,
    /// The exception type (`ModuleNotFoundError`).
    #[serde(default)]
    pub error_type: Option<String>,
    /// Line of the error in `path`, when known.
    #[serde(default)]
    pub line: Option<u32>,
    /// DAG ids the file defines (when it imported).
    #[serde(default)]
    pub dag_ids: Vec<String>,
    pub duration_ms: u64,
    /// What the upgrade means for the file.
    #[serde(default)]
    pub status: FileStatus,
    /// For [`FileStatus::FailsAlready`]: the error under the current version; for
    /// [`FileStatus::NotTested`]: why it was not tested.
    #[serde(default)]
    pub note: Option<String>,
}

/// How a DAG file is classified by an upgrade test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Imports under the target.
    #[default]
    Imports,
    /// Fails under the target and not under the current version: an upgrade break.
    Fails,
    /// Fails under the current version too: not an upgrade break.
    FailsAlready,
    /// Not tested: it needs a package the test environment could not hold (the reason says
    /// which and why).
    NotTested,
}

impl FileStatus {
    /// `imports`, `fails`, `fails already today`, `not tested`.
    pub fn label(self) -> &'static str {
        match self {
            FileStatus::Imports => "imports",
            FileStatus::Fails => "fails",
            FileStatus::FailsAlready => "fails already today",
            FileStatus::NotTested => "not tested",
        }
    }
}

/// The one-word answer of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing breaks.
    Safe,
    /// Something breaks under the target and must change first.
    NeedsChanges,
    /// The test could not be completed (an environment failed, the target was refused).
    Blocked,
}

impl Verdict {
    /// `safe`, `needs changes`, `blocked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::NeedsChanges => "needs changes",
            Verdict::Blocked => "blocked",
        }
    }

    /// A short sentence for the top of a report.
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::Safe => "Nothing breaks under the target: upgrade when ready.",
            Verdict::NeedsChanges => {
                "Something breaks under the target: do what the table below says before upgrading."
            }
            Verdict::Blocked => {
                "The test could not be completed; the reason and what to do follow."
            }
        }
    }
}

/// [`Verdict::Blocked`] when `data.blocked` is set; [`Verdict::NeedsChanges`] when any finding
/// is an error, a DAG file fails to import or a test failed; [`Verdict::Safe`] otherwise.
pub fn verdict(data: &ReportData) -> Verdict {
    if data.blocked.is_some() {
        Verdict::Blocked
    } else if data.findings.iter().any(|f| f.severity == Severity::Error)
        || data
            .parse_files
            .iter()
            .any(|p| p.status == FileStatus::Fails)
        || data.tests.iter().any(|t| t.status == TestStatus::Failed)
    {
        Verdict::NeedsChanges
    } else {
        Verdict::Safe
    }
}

/// Findings sorted for display: errors first, then by path, line, column and rule.
pub(crate) fn sorted_findings(data: &ReportData) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = data.findings.iter().collect();
    findings.sort_by(|a, b| {
        (a.severity, &a.path, a.line, a.column, &a.rule)
            .cmp(&(b.severity, &b.path, b.line, b.column, &b.rule))
    });
    findings
}

/// Counts of findings per severity: (errors, warnings, infos).
pub(crate) fn severity_counts(findings: &[Finding]) -> (usize, usize, usize) {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    )
}
