//! Benchmark driver for `bench.sh`: parses every DAG file of a project with a plain Airflow
//! venv and prints one JSON line of timings.
//!
//! `cargo run -p skyhop-parse --example parse_bench -- <airflow-version> <project-dir> <jobs>`

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use skyhop_core::Progress;
use skyhop_parse::{ParseOptions, STEP_IMPORT, STEP_PARSE, parse};

/// Remembers when the Airflow import and the parse ended.
struct Clock {
    start: Instant,
    import_done: Mutex<Option<Duration>>,
    parse_done: Mutex<Option<Duration>>,
}

impl Progress for Clock {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: &str, _: u64) {}
    fn end(&self, step: &str, _: &str) {
        let slot = match step {
            STEP_IMPORT => &self.import_done,
            STEP_PARSE => &self.parse_done,
            _ => return,
        };
        *slot.lock().unwrap() = Some(self.start.elapsed());
    }
    fn note(&self, _: &str) {}
}

/// CPU seconds (user + system) used by finished child processes (the harness and its forks).
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn dag_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    out.sort();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, version, project, jobs] = args.as_slice() else {
        eprintln!("usage: parse_bench <airflow-version> <project-dir> <jobs>");
        std::process::exit(2);
    };
    let venv =
        skyhop_env::airflow_venv(version, &skyhop_env::Cache::default()).expect("an Airflow venv");
    let project = Path::new(project);
    let files = dag_files(&project.join("dags"));
    let opts = ParseOptions {
        jobs: jobs.parse().expect("jobs is a number"),
        ..ParseOptions::default()
    };
    let clock = Clock {
        start: Instant::now(),
        import_done: Mutex::new(None),
        parse_done: Mutex::new(None),
    };
    let report = parse(&venv.python, project, &files, &opts, &clock).expect("parse");
    let import = clock.import_done.lock().unwrap().unwrap();
    let done = clock.parse_done.lock().unwrap().unwrap();
    let parse_wall = (done - import).as_secs_f64();
    let mean_file_ms = report.files.iter().map(|f| f.duration_ms).sum::<u64>() as f64
        / report.files.len().max(1) as f64;
    println!(
        "{{\"airflow\": \"{}\", \"jobs\": {jobs}, \"files\": {}, \"failed\": {}, \"import_s\": {:.2}, \"parse_wall_s\": {:.2}, \"wall_per_file_s\": {:.3}, \"mean_file_import_ms\": {:.0}, \"cpu_s\": {:.2}}}",
        report.airflow,
        report.files.len(),
        report.failures().count(),
        import.as_secs_f64(),
        parse_wall,
        parse_wall / report.files.len().max(1) as f64,
        mean_file_ms,
        children_cpu_seconds(),
    );
}
