//! What a failed DAG import means for an upgrade: a break the upgrade causes, a failure the
//! project has today already, or no answer because the test environment could not hold a
//! package the file imports (skyhop's limitation, never shown as the user's breakage).
//!
//! (Belongs in the upgrade pipeline crate `skyhop-upgrade` once the pipeline moves there.)

use skyhop_core::{Finding, Severity};
use skyhop_parse::{FileResult, ParseReport};
use skyhop_report::{FileStatus, ParsedFile};

/// A package the test environment does not hold, and why.
#[derive(Debug, Clone)]
pub struct Missing {
    /// Normalized package name (`dbt-core`).
    pub package: String,
    /// Why it is not there (`requirements.txt:3 cannot be installed on ...`).
    pub why: String,
}

/// Classifies every file of the target's parse `report`: `current` holds the current version's
/// results for the files that failed under the target (when it could be run) with what its
/// environment lacks. A current failure that is skyhop's (a package its environment lacks, a
/// harness error) says nothing about today, so such a file counts as failing because of the
/// upgrade.
pub fn classify(
    report: &ParseReport,
    current: Option<(&ParseReport, &[Missing])>,
    current_label: &str,
    missing: &[Missing],
) -> Vec<ParsedFile> {
    report
        .files
        .iter()
        .map(|f| {
            let (status, note) = if f.ok {
                (FileStatus::Imports, None)
            } else if let Some(m) = needs(f, missing) {
                (
                    FileStatus::NotTested,
                    Some(format!("not tested: needs {} ({})", m.package, m.why)),
                )
            } else if reads_image_paths(f) {
                (
                    FileStatus::NotTested,
                    Some(format!(
                        "not tested: it reads {IMAGE_HOME}/..., where the image keeps the project; skyhop imports it from the project folder"
                    )),
                )
            } else if let Some(before) = current.and_then(|(c, lacks)| {
                c.files
                    .iter()
                    .find(|c| c.path == f.path)
                    .filter(|c| !c.ok && !skyhops_own(c, lacks))
            }) {
                (
                    FileStatus::FailsAlready,
                    Some(format!(
                        "fails already under {current_label}: {}",
                        before.summary()
                    )),
                )
            } else {
                (FileStatus::Fails, None)
            };
            ParsedFile {
                path: f.path.clone(),
                ok: f.ok,
                error: f.error.clone(),
                error_type: f.error_type.clone(),
                line: f.line,
                dag_ids: f.dag_ids.clone(),
                duration_ms: f.duration_ms,
                status,
                note,
            }
        })
        .collect()
}

/// Parse findings of files that are not upgrade breaks become warnings (or notes) saying so;
/// errors of the static check in a file that fails already today become warnings too.
pub fn adjust_findings(findings: &mut [Finding], files: &[ParsedFile]) {
    for f in findings.iter_mut() {
        let Some(file) = files.iter().find(|p| p.path == f.path) else {
            continue;
        };
        let parse_failure = f.source == skyhop_core::Source::Parse && f.severity == Severity::Error;
        match file.status {
            FileStatus::NotTested if parse_failure => {
                f.rule = "SKY903".into();
                f.severity = Severity::Info;
                f.message = format!(
                    "{} (skyhop could not test this file: the target environment lacks a package it imports)",
                    file.note.as_deref().unwrap_or("not tested")
                );
            }
            FileStatus::FailsAlready if parse_failure => {
                f.rule = "SKY904".into();
                f.severity = Severity::Warning;
                f.message = format!(
                    "{}; {} (not an upgrade break)",
                    f.message,
                    file.note.as_deref().unwrap_or("fails already today")
                );
            }
            // the file does not load today: what the check finds in it is not new either
            FileStatus::FailsAlready if f.severity == Severity::Error => {
                f.severity = Severity::Warning;
                f.message = format!(
                    "{} (the file fails to import under the current version already)",
                    f.message
                );
            }
            _ => {}
        }
    }
}

/// Where Astro images keep the project (`AIRFLOW_HOME`).
const IMAGE_HOME: &str = "/usr/local/airflow";

/// Whether a failure is skyhop's rather than the project's: the harness broke, the file needs
/// a package skyhop's environment lacks, or it reads the project at its place in the image.
fn skyhops_own(f: &FileResult, lacks: &[Missing]) -> bool {
    f.error_type.as_deref() == Some("HarnessError")
        || needs(f, lacks).is_some()
        || reads_image_paths(f)
}

/// A failure about a path under the image's project folder (`/usr/local/airflow/dbt/...`),
/// which exists in the image but not where skyhop runs the file.
fn reads_image_paths(f: &FileResult) -> bool {
    f.error
        .as_deref()
        .is_some_and(|e| e.contains(&format!("{IMAGE_HOME}/")))
        && !f
            .error_type
            .as_deref()
            .is_some_and(|t| t.contains("ImportError") || t == "ModuleNotFoundError")
}

/// The missing package a failed file needs, when its error is an import of one.
fn needs<'a>(f: &FileResult, missing: &'a [Missing]) -> Option<&'a Missing> {
    let error = f.error.as_deref()?;
    let module = missing_module(error)?;
    let top = module.split('.').next()?.to_ascii_lowercase();
    missing.iter().find(|m| provides(&m.package, &top, &module))
}

/// `No module named 'dbt.cli'` → `dbt.cli`.
fn missing_module(error: &str) -> Option<String> {
    let (_, rest) = error.split_once("No module named ")?;
    let name = rest.trim().trim_matches(['\'', '"']);
    let name: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Whether distribution `package` plausibly provides module `module` (top level `top`).
fn provides(package: &str, top: &str, module: &str) -> bool {
    const ALIASES: &[(&str, &str)] = &[
        ("beautifulsoup4", "bs4"),
        ("pyyaml", "yaml"),
        ("scikit-learn", "sklearn"),
        ("pillow", "PIL"),
        ("opencv-python", "cv2"),
        ("python-dotenv", "dotenv"),
        ("psycopg2-binary", "psycopg2"),
        ("protobuf", "google"),
        ("pymysql", "pymysql"),
        ("mysqlclient", "MySQLdb"),
    ];
    let pkg = package.to_ascii_lowercase();
    if ALIASES
        .iter()
        .any(|(p, m)| *p == pkg && m.eq_ignore_ascii_case(top))
    {
        return true;
    }
    if let Some(rest) = pkg.strip_prefix("apache-airflow-providers-") {
        return module.starts_with(&format!("airflow.providers.{}", rest.replace('-', ".")));
    }
    // `airflow-provider-x` does not provide all of `airflow`: generic words never match alone
    const COMMON: &[&str] = &[
        "airflow",
        "apache",
        "provider",
        "providers",
        "python",
        "client",
        "sdk",
        "core",
    ];
    let underscored = pkg.replace('-', "_");
    let first = pkg.split('-').next().filter(|f| !COMMON.contains(f));
    if underscored == top || first == Some(top) {
        return true;
    }
    if pkg.starts_with("google-cloud-") && top == "google" {
        return module.starts_with(&format!("google.cloud.{}", &underscored[13..]));
    }
    // `airflow-provider-weaviate` provides `weaviate_provider`: a shared distinctive word
    let words = |s: &str| -> Vec<String> {
        s.split(['-', '_', '.'])
            .filter(|w| w.len() >= 4 && !COMMON.contains(w))
            .map(str::to_string)
            .collect()
    };
    let pw = words(&pkg);
    words(top).iter().any(|w| pw.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(path: &str, error: &str) -> FileResult {
        FileResult {
            path: path.into(),
            ok: false,
            error: Some(error.into()),
            error_type: Some("ModuleNotFoundError".into()),
            ..Default::default()
        }
    }

    #[test]
    fn classifies_failures() {
        let report = ParseReport {
            python: "3.12".into(),
            airflow: "3.1.7".into(),
            passed_env: Vec::new(),
            files: vec![
                FileResult {
                    path: "dags/ok.py".into(),
                    ok: true,
                    ..Default::default()
                },
                failed("dags/dbt.py", "No module named 'dbt.cli'"),
                failed("dags/old.py", "No module named 'airflow.operators.dummy'"),
                failed("dags/new.py", "No module named 'airflow.operators.bash'"),
                failed("dags/w.py", "No module named 'weaviate_provider'"),
                FileResult {
                    error_type: Some("CosmosValueError".into()),
                    ..failed(
                        "dags/cosmos.py",
                        "Could not find dbt_project.yml at /usr/local/airflow/dbt/jaffle_shop",
                    )
                },
            ],
        };
        let current = ParseReport {
            files: vec![failed(
                "dags/old.py",
                "No module named 'airflow.operators.dummy'",
            )],
            ..report.clone()
        };
        let missing = [
            Missing {
                package: "dbt-core".into(),
                why: "requirements.txt:1 cannot be installed".into(),
            },
            Missing {
                package: "airflow-provider-weaviate".into(),
                why: "the wheel is not here".into(),
            },
        ];
        let files = classify(&report, Some((&current, &[])), "3.1-1", &missing);
        let status: Vec<FileStatus> = files.iter().map(|f| f.status).collect();
        assert_eq!(
            status,
            [
                FileStatus::Imports,
                FileStatus::NotTested,
                FileStatus::FailsAlready,
                FileStatus::Fails,
                FileStatus::NotTested,
                FileStatus::NotTested
            ]
        );
        assert!(files[1].note.as_deref().unwrap().contains("needs dbt-core"));
        assert!(files[2].note.as_deref().unwrap().contains("under 3.1-1"));
        assert!(provides(
            "apache-airflow-providers-cncf-kubernetes",
            "airflow",
            "airflow.providers.cncf.kubernetes.operators.pod"
        ));
        assert!(!provides("pandas", "numpy", "numpy"));
    }
}
