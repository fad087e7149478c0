//! What a failed DAG import means for an upgrade: a break the upgrade causes, a failure the
//! project has today already, or no answer because the test environment could not hold a
//! package the file imports (skyhop's limitation, never shown as the user's breakage).
//!
//! (Belongs in the upgrade pipeline crate `skyhop-upgrade` once the pipeline moves there.)

use std::path::Path;

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

/// What skyhop's environment lacks compared with the image, for telling skyhop's gaps from
/// the project's failures.
#[derive(Debug, Clone, Copy)]
pub struct Gaps<'a> {
    /// Packages the target's environment lacks, with why.
    pub missing: &'a [Missing],
    /// Installs of the image skyhop could not reproduce (what they bring is unknown).
    pub unknown: &'a [String],
    /// Paths in the image that the Dockerfile's `RUN` steps make (`/home/astro/dbt-venv`).
    pub made: &'a [String],
    /// The project folder.
    pub root: &'a Path,
}

/// Classifies every file of the target's parse `report`: `current` holds the current version's
/// results for the files that failed under the target (when it could be run) with what its
/// environment lacks. A current failure that is skyhop's (a package its environment lacks, a
/// harness error, a placeholder value) says nothing about today, so such a file counts as
/// failing because of the upgrade; so does a file that fails today for another reason than
/// under the target (both errors are shown). `unknown` names installs of the image skyhop could
/// not reproduce (a repository the Dockerfile clones): a module missing from the environment
/// (not one of Airflow's) may come from them, so a file failing for one is not tested.
pub fn classify(
    report: &ParseReport,
    current: Option<(&ParseReport, &[Missing])>,
    current_label: &str,
    gaps: &Gaps<'_>,
) -> Vec<ParsedFile> {
    let Gaps { missing, .. } = *gaps;
    report
        .files
        .iter()
        .map(|f| {
            let (status, note) = if f.ok {
                (FileStatus::Imports, None)
            } else if let Some(why) = skyhops_own(f, missing, gaps, report) {
                (FileStatus::NotTested, Some(format!("not tested: {why}")))
            } else {
                match current.and_then(|(c, lacks)| {
                    c.files
                        .iter()
                        .find(|c| c.path == f.path)
                        .filter(|cf| !cf.ok && skyhops_own(cf, lacks, gaps, c).is_none())
                }) {
                    Some(before) if same_failure(f, before) => (
                        FileStatus::FailsAlready,
                        Some(format!(
                            "fails already under {current_label}: {}",
                            before.summary()
                        )),
                    ),
                    Some(before) => (
                        FileStatus::Fails,
                        Some(format!(
                            "fails under {current_label} too, for another reason: {}",
                            before.summary()
                        )),
                    ),
                    None => (FileStatus::Fails, None),
                }
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

/// Whether two failures of a file have the same cause: the same exception type and message,
/// once the environments' own paths are set aside.
fn same_failure(a: &FileResult, b: &FileResult) -> bool {
    a.error_type == b.error_type && normalized(a.error.as_deref()) == normalized(b.error.as_deref())
}

/// An error message without what differs between two environments of the same project: the
/// venvs' paths (`/…/site-packages/`).
fn normalized(error: Option<&str>) -> String {
    let text = error.unwrap_or("");
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(char::is_whitespace) {
        match word.find("/site-packages/") {
            Some(i) => {
                let start = word[..i].rfind(['\'', '"', '(']).map_or(0, |p| p + 1);
                out.push_str(&word[..start]);
                out.push_str("<site-packages>/");
                out.push_str(&word[i + "/site-packages/".len()..]);
            }
            None => out.push_str(word),
        }
    }
    out
}

/// Parse findings of files that are not upgrade breaks become warnings (or notes) saying so.
/// In a file that fails already today, check errors about the same cause (the module today's
/// failure names) become warnings too; the check's other errors keep their severity: they are
/// breaks the target adds.
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
                    "{}; the file's import error under the target was: {}",
                    file.note.as_deref().unwrap_or("not tested"),
                    f.message
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
            FileStatus::FailsAlready
                if f.severity == Severity::Error && same_cause(f, file.error.as_deref()) =>
            {
                f.severity = Severity::Warning;
                f.message = format!(
                    "{} (the file fails to import for this reason under the current version already)",
                    f.message
                );
            }
            FileStatus::Fails if parse_failure && file.note.is_some() => {
                f.message = format!(
                    "{}; {}",
                    f.message,
                    file.note.as_deref().unwrap_or_default()
                );
            }
            _ => {}
        }
    }
}

/// Whether a check finding names what a parse error says is wrong: the missing module (or a
/// module under it), or the name Python could not find (`cannot import name 'X'`,
/// `has no attribute 'X'`, `unexpected keyword argument 'X'`).
fn same_cause(finding: &Finding, parse_error: Option<&str>) -> bool {
    let Some(error) = parse_error else {
        return false;
    };
    let ticked = || finding.message.split('`').skip(1).step_by(2);
    if let Some(module) = missing_module(error) {
        return ticked().any(|name| name == module || name.starts_with(&format!("{module}.")));
    }
    let Some(missing) = missing_name(error) else {
        return false;
    };
    ticked().any(|name| name == missing || name.ends_with(&format!(".{missing}")))
}

/// The name a parse error says Python could not find, other than a module.
fn missing_name(error: &str) -> Option<String> {
    [
        "cannot import name ",
        "has no attribute ",
        "unexpected keyword argument ",
    ]
    .iter()
    .find_map(|marker| {
        let (_, rest) = error.split_once(marker)?;
        let name: String = rest
            .trim_start_matches(['\'', '"'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    })
}

/// Check findings that a package is not installed (SKY104), where the image does install it
/// and only skyhop's environment lacks it (left out, not buildable here, installed by the
/// Dockerfile in a way skyhop could not reproduce): never "add it to requirements.txt", but a
/// note that the code using it was not checked.
pub fn not_checked(findings: &mut [Finding], missing: &[Missing], unknown: &[String]) {
    // why a module the check says is not installed is only missing from skyhop's environment
    let explained = |module: &str| -> Option<String> {
        let top = module.split('.').next().unwrap_or("").to_ascii_lowercase();
        match missing.iter().find(|m| provides(&m.package, &top, module)) {
            Some(m) => Some(format!("the image installs {} ({})", m.package, m.why)),
            None if !module.starts_with("airflow") && !unknown.is_empty() => {
                Some(format!("{}, which may bring it", unknown[0]))
            }
            None => None,
        }
    };
    let ticked = |text: &str| text.split('`').nth(1).map(str::to_string);
    for f in findings.iter_mut() {
        let (module, why) = match f.rule.as_str() {
            "SKY104" => {
                let Some(module) = ticked(&f.message) else {
                    continue;
                };
                let Some(why) = explained(&module) else {
                    continue;
                };
                (module, why)
            }
            // a helper module that fails only because of such a package (SKY104 in it)
            "SKY110" if !f.related.is_empty() => {
                let causes: Vec<Option<(String, String)>> = f
                    .related
                    .iter()
                    .map(|r| {
                        let m = r.message.strip_prefix("SKY104 ").and_then(ticked)?;
                        explained(&m).map(|why| (m, why))
                    })
                    .collect();
                if causes.iter().any(Option::is_none) {
                    continue;
                }
                let Some(Some(first)) = causes.into_iter().next() else {
                    continue;
                };
                first
            }
            _ => continue,
        };
        f.rule = "SKY903".into();
        f.severity = Severity::Info;
        f.message = format!(
            "`{module}` is not in skyhop's environment, so its use here was not checked: {why}"
        );
        f.replacement = None;
    }
}

/// Where Astro images keep the project (`AIRFLOW_HOME`).
const IMAGE_HOME: &str = "/usr/local/airflow";

/// Why a failure is skyhop's rather than the project's, when it is: the harness broke, the
/// file needs a package skyhop's environment lacks, it failed only with skyhop's placeholder
/// values, or it reads the project at its place in the image, which could not be mapped here.
fn skyhops_own(
    f: &FileResult,
    lacks: &[Missing],
    gaps: &Gaps<'_>,
    report: &ParseReport,
) -> Option<String> {
    let (unknown, root) = (gaps.unknown, gaps.root);
    if f.error_type.as_deref() == Some("HarnessError") {
        return Some(format!(
            "skyhop's parse harness failed on this file ({}); this is skyhop's problem, not the file's",
            f.error.as_deref().unwrap_or("no detail")
        ));
    }
    if let Some(m) = needs(f, lacks) {
        return Some(format!("needs {} ({})", m.package, m.why));
    }
    if let Some(lib) = missing_shared_library(f.error.as_deref().unwrap_or("")) {
        return Some(format!(
            "it needs the system library {lib}, which this machine does not have; the image may have it (from its base image, packages.txt or an apt-get step of the Dockerfile): install it here to test the file"
        ));
    }
    if let Some(module) = missing_module(f.error.as_deref().unwrap_or(""))
        && !module.starts_with("airflow.")
        && module != "airflow"
        && let Some(source) = unknown.first()
    {
        return Some(format!(
            "`{module}` is not in skyhop's environment, and {source}, which may bring it"
        ));
    }
    if f.standin_dependent {
        return Some(format!(
            "it fails only with the placeholder values skyhop gave for {} (nothing here sets them; the image or its deployment would): set them in .env, or pass them with --pass-env, to test it",
            f.standins.join(", ")
        ));
    }
    if report.image_home.is_none() && reads_image_paths(f) {
        return Some(format!(
            "it reads {IMAGE_HOME}/..., where the image keeps the project, and the project could not be laid out there on this machine"
        ));
    }
    if let Some(home) = &report.image_home
        && let Some(path) = built_path(f, home, root)
    {
        return Some(format!(
            "it needs {path}, which is not in the project: the image build makes it (a Dockerfile step), skyhop's environment does not"
        ));
    }
    if let Some(made) = gaps
        .made
        .iter()
        .find(|m| f.error.as_deref().is_some_and(|e| e.contains(m.as_str())))
    {
        return Some(format!(
            "it needs {made}, which a `RUN` step of the Dockerfile makes in the image and skyhop's environment does not have"
        ));
    }
    None
}

/// A path under the image's project folder that a failure names and the project does not
/// have (`/usr/local/airflow/dbt_venv/bin/dbt`, made by a `RUN` step of the Dockerfile).
fn built_path(f: &FileResult, home: &str, root: &Path) -> Option<String> {
    if f.error_type
        .as_deref()
        .is_some_and(|t| t.contains("ImportError") || t == "ModuleNotFoundError")
    {
        return None;
    }
    let error = f.error.as_deref()?;
    let prefix = format!("{}/", home.trim_end_matches('/'));
    let at = error.find(&prefix)?;
    let path: String = error[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '<' | '\'' | '"' | ',' | ')'))
        .collect();
    let rel = path.strip_prefix(&prefix)?.trim_end_matches(['.', '/']);
    // the first component the project lacks is what the build made
    let first = rel.split('/').next()?;
    (!first.is_empty() && !root.join(first).exists()).then_some(path)
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

/// `libodbc.so.2: cannot open shared object file: No such file or directory` → `libodbc.so.2`:
/// a system library this machine lacks (the image's apt packages are not installed here).
fn missing_shared_library(error: &str) -> Option<String> {
    let at = error.find(": cannot open shared object file")?;
    let lib = error[..at]
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '(' | ':'))
        .next()?;
    (lib.contains(".so")).then(|| lib.to_string())
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

    /// A real project's packages.txt installs `unixodbc` in the image; pyodbc fails to load
    /// `libodbc.so.2` here, today and after the upgrade alike. That is this machine's gap, not
    /// a failure the project has today (it was shown as "fails already").
    #[test]
    fn missing_system_library_is_not_tested() {
        let odbc = FileResult {
            error_type: Some("ImportError".into()),
            ..failed(
                "dags/etl.py",
                "libodbc.so.2: cannot open shared object file: No such file or directory",
            )
        };
        let report = ParseReport {
            python: "3.13".into(),
            airflow: "3.3.2".into(),
            files: vec![odbc],
            ..Default::default()
        };
        let current = report.clone();
        let gaps = Gaps {
            missing: &[],
            unknown: &[],
            made: &[],
            root: Path::new("/nonexistent"),
        };
        let files = classify(&report, Some((&current, &[])), "13.2.0", &gaps);
        assert_eq!(files[0].status, FileStatus::NotTested);
        let note = files[0].note.as_deref().unwrap();
        assert!(note.contains("libodbc.so.2"), "{note}");
        assert_eq!(
            missing_shared_library("OSError: /x/libgomp.so.1: cannot open shared object file"),
            Some("/x/libgomp.so.1".into())
        );
        assert_eq!(missing_shared_library("No module named 'x'"), None);
    }

    #[test]
    fn classifies_failures() {
        let report = ParseReport {
            python: "3.12".into(),
            airflow: "3.1.7".into(),
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
                // fails today too, but for another reason: an upgrade break
                failed(
                    "dags/differs.py",
                    "No module named 'airflow.operators.dummy'",
                ),
                // the harness's own failure is never the file's
                FileResult {
                    error_type: Some("HarnessError".into()),
                    ..failed("dags/harness.py", "skyhop harness error: TypeError: x")
                },
                // fails only with skyhop's placeholder values
                FileResult {
                    error_type: Some("JSONDecodeError".into()),
                    standins: vec!["environment variable AIRFLOW_CONN_X".into()],
                    standin_dependent: true,
                    ..failed(
                        "dags/standin.py",
                        "Expecting value: line 1 column 1 (char 0)",
                    )
                },
                // a module a cloned library may bring
                failed("dags/cloned.py", "No module named 'google.cloud.bigquery'"),
            ],
            ..Default::default()
        };
        let current = ParseReport {
            files: vec![
                failed("dags/old.py", "No module named 'airflow.operators.dummy'"),
                FileResult {
                    error_type: Some("NameError".into()),
                    ..failed(
                        "dags/differs.py",
                        "name 'nonexistent_helper' is not defined",
                    )
                },
            ],
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
        let unknown = ["Dockerfile:12 clones a repository at build time".to_string()];
        let gaps = Gaps {
            missing: &missing,
            unknown: &unknown,
            made: &[],
            root: Path::new("/nonexistent"),
        };
        let files = classify(&report, Some((&current, &[])), "3.1-1", &gaps);
        let status: Vec<FileStatus> = files.iter().map(|f| f.status).collect();
        assert_eq!(
            status,
            [
                FileStatus::Imports,
                FileStatus::NotTested,
                FileStatus::FailsAlready,
                FileStatus::Fails,
                FileStatus::NotTested,
                FileStatus::NotTested,
                FileStatus::Fails,
                FileStatus::NotTested,
                FileStatus::NotTested,
                FileStatus::NotTested,
            ]
        );
        assert!(files[1].note.as_deref().unwrap().contains("needs dbt-core"));
        assert!(files[2].note.as_deref().unwrap().contains("under 3.1-1"));
        assert!(files[6].note.as_deref().unwrap().contains("another reason"));
        assert!(
            files[6]
                .note
                .as_deref()
                .unwrap()
                .contains("nonexistent_helper")
        );
        assert!(files[7].note.as_deref().unwrap().contains("harness"));
        assert!(files[8].note.as_deref().unwrap().contains("AIRFLOW_CONN_X"));
        assert!(files[9].note.as_deref().unwrap().contains("Dockerfile:12"));
        // the image's project folder mapped: a failure reading it is the file's own
        let mapped = ParseReport {
            image_home: Some("/usr/local/airflow".into()),
            ..report.clone()
        };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("dbt")).unwrap();
        let gaps = Gaps {
            missing: &missing,
            unknown: &[],
            made: &[],
            root: root.path(),
        };
        let files = classify(&mapped, None, "3.1-1", &gaps);
        assert_eq!(files[5].status, FileStatus::Fails);
        assert_eq!(files[9].status, FileStatus::Fails);
        // a path the image build makes (a dbt venv of a RUN step) is not the project's
        let built = ParseReport {
            files: vec![FileResult {
                error_type: Some("CosmosConfigException".into()),
                ..failed(
                    "dags/c.py",
                    "Unable to find the dbt executable, attempted: </usr/local/airflow/dbt_venv/bin/dbt>",
                )
            }],
            ..mapped.clone()
        };
        let none = Gaps {
            missing: &[],
            unknown: &[],
            made: &[],
            root: root.path(),
        };
        let files = classify(&built, None, "3.1-1", &none);
        assert_eq!(files[0].status, FileStatus::NotTested);
        assert!(files[0].note.as_deref().unwrap().contains("dbt_venv"));
        // outside the image's project folder, a path a RUN step makes
        let elsewhere = ParseReport {
            files: vec![FileResult {
                error_type: Some("CosmosConfigException".into()),
                ..failed(
                    "dags/c.py",
                    "Unable to find the dbt executable, attempted: </home/astro/dbt-venv/bin/dbt>",
                )
            }],
            ..mapped.clone()
        };
        let made = ["/home/astro/dbt-venv".to_string()];
        let files = classify(
            &elsewhere,
            None,
            "3.1-1",
            &Gaps {
                made: &made,
                ..none
            },
        );
        assert_eq!(files[0].status, FileStatus::NotTested);
        assert_eq!(
            classify(&elsewhere, None, "3.1-1", &none)[0].status,
            FileStatus::Fails
        );
        assert!(provides(
            "apache-airflow-providers-cncf-kubernetes",
            "airflow",
            "airflow.providers.cncf.kubernetes.operators.pod"
        ));
        assert!(!provides("pandas", "numpy", "numpy"));
    }

    #[test]
    fn same_failure_ignores_the_venvs_paths() {
        let a = failed(
            "d.py",
            "cannot import name 'x' from 'y' (/c/venvs/aaa/lib/python3.11/site-packages/y/__init__.py)",
        );
        let b = failed(
            "d.py",
            "cannot import name 'x' from 'y' (/c/venvs/bbb/lib/python3.12/site-packages/y/__init__.py)",
        );
        assert!(same_failure(&a, &b));
        assert!(!same_failure(&a, &failed("d.py", "No module named 'y'")));
    }

    #[test]
    fn check_errors_of_a_file_failing_already_keep_their_severity_unless_the_same_cause() {
        let file = ParsedFile {
            path: "dags/a.py".into(),
            ok: false,
            error: Some("No module named 'my_helpers'".into()),
            error_type: Some("ModuleNotFoundError".into()),
            line: None,
            dag_ids: Vec::new(),
            duration_ms: 0,
            status: FileStatus::FailsAlready,
            note: Some("fails already under 11.3.0: ...".into()),
        };
        let finding = |rule: &str, message: &str| Finding {
            path: "dags/a.py".into(),
            line: 1,
            column: 1,
            rule: rule.into(),
            severity: Severity::Error,
            message: message.into(),
            replacement: None,
            source: skyhop_core::Source::Check,
            related: Vec::new(),
            facts: Default::default(),
        };
        let mut findings = vec![
            finding(
                "SKY101",
                "`airflow.operators.dummy` does not exist in the target",
            ),
            finding(
                "SKY104",
                "`my_helpers` needs package `my-helpers`, which is not installed",
            ),
        ];
        adjust_findings(&mut findings, std::slice::from_ref(&file));
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[1].severity, Severity::Warning);

        // an Airflow 3 project whose DAG passes `schedule_interval` fails today already: the
        // check's error about that argument is the same cause (Housseem946/weather-data-pipeline)
        let file = ParsedFile {
            error: Some(
                "TypeError: DAG.__init__() got an unexpected keyword argument 'schedule_interval'"
                    .into(),
            ),
            ..file
        };
        let mut findings = vec![
            finding(
                "SKY302",
                "argument `schedule_interval` was removed in Airflow 3.0; use `schedule`",
            ),
            finding("SKY302", "argument `sla` was removed in Airflow 3.0"),
        ];
        adjust_findings(&mut findings, &[file]);
        assert_eq!(findings[0].severity, Severity::Warning);
        assert_eq!(findings[1].severity, Severity::Error);
    }

    #[test]
    fn packages_the_image_installs_are_never_advised() {
        let mut findings = vec![Finding {
            path: "dags/a.py".into(),
            line: 1,
            column: 1,
            rule: "SKY104".into(),
            severity: Severity::Error,
            message: "`google.cloud.bigquery` needs package `google-cloud-bigquery`, which is not installed in the target (Airflow 3.1.7); add `google-cloud-bigquery` to requirements.txt".into(),
            replacement: None,
            source: skyhop_core::Source::Check,
            related: Vec::new(),
            facts: Default::default(),
        }];
        not_checked(
            &mut findings,
            &[],
            &["Dockerfile:12 clones a repository at build time".to_string()],
        );
        assert_eq!(findings[0].severity, Severity::Info);
        assert!(!findings[0].message.contains("add `"));
        assert!(findings[0].message.contains("Dockerfile:12"));
    }
}
