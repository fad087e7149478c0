//! Small fixture DAGs (good, syntax error, import error, parse-time Variable/Connection/env
//! reads, and files that hang, crash, exit or eat memory) under real Airflow 2.10.5 and 3.1.3.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use skyhop_core::Progress;
use skyhop_parse::{
    FileResult, ParseOptions, ParseReport, RULE_CRASH, RULE_TIMEOUT, parse, to_findings,
};

/// Records progress calls.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn begin(&self, step: &str, total: Option<u64>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("begin {step} {total:?}"));
    }
    fn advance(&self, step: &str, n: u64) {
        self.0.lock().unwrap().push(format!("advance {step} {n}"));
    }
    fn end(&self, step: &str, _message: &str) {
        self.0.lock().unwrap().push(format!("end {step}"));
    }
    fn note(&self, message: &str) {
        self.0.lock().unwrap().push(format!("note {message}"));
    }
}

fn run(version: &str) -> (ParseReport, Vec<String>) {
    let project = tempfile::tempdir().unwrap();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project"),
        project.path(),
    );
    write_zip(&project.path().join("dags/packaged.zip"));
    let mut files = common::dag_files(&project.path().join("dags"));
    files.push("dags/does_not_exist.py".into()); // relative to the project root
    let opts = ParseOptions {
        jobs: 2,
        timeout: Duration::from_secs(3),
        env: vec![("AIRFLOW_VAR_DATA_BUCKET".into(), "real-bucket".into())],
        ..ParseOptions::default()
    };
    let progress = Recorder::default();
    let report = parse(
        &common::airflow_python(version),
        project.path(),
        &files,
        &opts,
        &progress,
    )
    .unwrap();
    assert!(!project.path().join("dags/__pycache__").exists());
    assert!(!project.path().join("include/__pycache__").exists());
    (report, progress.0.into_inner().unwrap())
}

fn write_zip(path: &Path) {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    zip.start_file::<_, ()>("zipped_dag.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(
        b"from datetime import datetime\nfrom airflow import DAG\n\nwith DAG(dag_id=\"zipped_dag\", start_date=datetime(2024, 1, 1), schedule=None):\n    pass\n",
    )
    .unwrap();
    zip.finish().unwrap();
}

fn file<'a>(report: &'a ParseReport, name: &str) -> &'a FileResult {
    let path = format!("dags/{name}");
    report
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not in the report"))
}

fn failure(report: &ParseReport, name: &str) -> (String, Option<u32>) {
    let f = file(report, name);
    assert!(!f.ok, "{name} should fail");
    (f.error_type.clone().unwrap(), f.line)
}

fn check(version: &str, report: &ParseReport, progress: &[String]) {
    assert_eq!(report.airflow, version);
    assert!(report.python.starts_with("3.11"));
    assert_eq!(report.files.len(), 13);

    let good = file(report, "good.py");
    assert!(good.ok, "{good:?}");
    assert_eq!(good.dag_ids, ["good_dag"]);
    assert_eq!(good.error, None);

    // A background process the file started does not hold the run (nor its result) back.
    let leaves = file(report, "leaves_a_process.py");
    assert!(leaves.ok, "{leaves:?}");
    assert_eq!(leaves.dag_ids, ["leaves_a_process"]);

    assert_eq!(
        failure(report, "does_not_exist.py"),
        ("FileNotFoundError".into(), None)
    );

    let zipped = file(report, "packaged.zip");
    assert!(zipped.ok, "{zipped:?}");
    assert_eq!(zipped.dag_ids, ["zipped_dag"]);

    // Variables, Connections and env vars read at parse time get mock values; an
    // AIRFLOW_VAR_ from the given environment wins over the mock.
    let mocked = file(report, "reads_variable.py");
    assert!(mocked.ok, "{mocked:?}");
    assert_eq!(mocked.dag_ids, ["reads_variable_MOCKED_KEY_VALUE"]);

    assert_eq!(
        failure(report, "syntax_error.py"),
        ("SyntaxError".into(), Some(6))
    );
    assert_eq!(
        failure(report, "import_error.py"),
        ("ModuleNotFoundError".into(), Some(4))
    );
    assert_eq!(
        failure(report, "sys_exit.py"),
        ("SystemExit".into(), Some(4))
    );
    assert_eq!(
        failure(report, "memory_hog.py"),
        ("MemoryError".into(), Some(2))
    );
    // Airflow's own SIGALRM timeout, at the looping line.
    assert_eq!(
        failure(report, "loops_forever.py"),
        ("AirflowTaskTimeout".into(), Some(2))
    );
    // A file that blocks SIGALRM is killed by the harness; the line comes from the stack dump.
    let (kind, line) = failure(report, "ignores_alarm.py");
    assert_eq!(kind, "Timeout");
    assert!(matches!(line, Some(5 | 6)), "{line:?}"); // `while True:` or its `pass`
    assert_eq!(failure(report, "segfault.py"), ("Crash".into(), Some(4)));
    assert!(
        file(report, "segfault.py")
            .error
            .as_deref()
            .unwrap()
            .contains("SIGSEGV")
    );
    assert_eq!(failure(report, "os_exit.py"), ("Exit".into(), None));
    assert!(
        file(report, "os_exit.py")
            .error
            .as_deref()
            .unwrap()
            .contains("exit status 3")
    );

    let findings = to_findings(report);
    let rule_of = |name: &str| {
        findings
            .iter()
            .find(|f| {
                f.path == format!("dags/{name}") && f.severity == skyhop_core::Severity::Error
            })
            .map(|f| f.rule.clone())
    };
    assert_eq!(rule_of("ignores_alarm.py").as_deref(), Some(RULE_TIMEOUT));
    assert_eq!(rule_of("loops_forever.py").as_deref(), Some(RULE_TIMEOUT));
    assert_eq!(rule_of("segfault.py").as_deref(), Some(RULE_CRASH));
    assert_eq!(rule_of("os_exit.py").as_deref(), Some(RULE_CRASH));
    assert_eq!(rule_of("good.py"), None);

    assert_eq!(progress.first().unwrap(), "begin importing Airflow None");
    assert!(progress.contains(&"begin parsing DAG files Some(13)".to_string()));
    assert_eq!(
        progress.iter().filter(|p| p.starts_with("advance")).count(),
        13
    );
    assert_eq!(progress.last().unwrap(), "end parsing DAG files");
}

#[test]
fn fixture_dags_under_airflow_2_10_5() {
    let (report, progress) = run("2.10.5");
    check("2.10.5", &report, &progress);
}

#[test]
fn fixture_dags_under_airflow_3_1_3() {
    let (report, progress) = run("3.1.3");
    check("3.1.3", &report, &progress);
    let report = &report;
    // Airflow 3 deprecates the Airflow 2 import paths the fixtures use: each warning points at
    // the importing line.
    let good = file(report, "good.py");
    assert!(good.warnings.iter().any(|w| w.is_deprecation()
        && w.line == Some(4)
        && w.message.contains("airflow.operators.empty.EmptyOperator")));
}
