//! Real Airflow on loopback: deploys Airflow 2.10.5, then 3.1.3, rolls back, and survives a
//! `kill -9` in the middle of a deploy (SQLite); deploys and rolls back the same way on a real
//! PostgreSQL server started in a temporary directory.
//!
//! Set `SKYHOP_SKIP_REAL_AIRFLOW=1` to skip them (they take minutes).
//!
//! Environments come from skyhop-env (`airflow_venv`, cached), or from the directories in
//! `SKYHOP_TEST_VENV_2` / `SKYHOP_TEST_VENV_3`. The scenarios run one after the other (a global
//! lock) because each runs several Airflow processes; every process is stopped by a drop guard.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use skyhop_core::{NoProgress, Progress};
use skyhop_dbmigrate::pgserver::ScratchPostgres;
use skyhop_deploy::{
    AirflowApi, DeployError, DeployKind, DeployRequest, DeployStatus, Deployment, LocalTarget,
    RollbackRequest, Target,
};

const AF2: &str = "2.10.5";
const AF3: &str = "3.1.3";

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// `true` when real Airflow tests are switched off.
fn skipped() -> bool {
    let off = std::env::var_os("SKYHOP_SKIP_REAL_AIRFLOW").is_some_and(|v| !v.is_empty());
    if off {
        eprintln!("SKIPPED: SKYHOP_SKIP_REAL_AIRFLOW is set");
    }
    off
}

/// A free loopback port.
fn free_port() -> u16 {
    skyhop_dbmigrate::pgserver::free_port().expect("a free port")
}

/// The environment of Airflow `version` (with `extra` requirements), or `None` (test skipped).
fn venv(version: &str, extra: Option<&str>) -> Option<PathBuf> {
    let var = format!("SKYHOP_TEST_VENV_{}", &version[..1]);
    if extra.is_none()
        && let Some(p) = std::env::var_os(&var).map(PathBuf::from)
    {
        return Some(p);
    }
    let cache = skyhop_env::Cache::default();
    let result = match extra {
        None => skyhop_env::airflow_venv(version, &cache),
        Some(req) => {
            let lines: Vec<&str> = req.lines().collect();
            skyhop_env::airflow_venv_plus(version, &lines, &cache, &STEPS)
        }
    };
    match result {
        Ok(v) => Some(v.root),
        Err(e) => {
            eprintln!("SKIPPED: no Airflow {version} environment ({e}); set {var}");
            None
        }
    }
}

/// Stops whatever a deployment runs when the test ends, even on panic.
struct StopOnDrop(PathBuf);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = LocalTarget::new(self.0.join("run")).stop(&STEPS);
    }
}

/// A project whose DAG ids start with `$SKYHOP_DAG_PREFIX`, so the DAGs Airflow serves prove
/// that the deployment's env vars reached it.
fn write_project(root: &Path, dags: &[&str]) {
    let d = root.join("dags");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for name in dags {
        std::fs::write(
            d.join(format!("{name}.py")),
            include_str!("fixtures/prefixed_dag.py").replace("NAME", name),
        )
        .unwrap();
    }
    std::fs::write(root.join("requirements.txt"), "").unwrap();
}

fn request(root: &Path, version: &str, venv: &Path, description: &str) -> DeployRequest {
    DeployRequest {
        description: description.to_string(),
        project_root: root.to_path_buf(),
        airflow_version: version.to_string(),
        runtime: None,
        venv: venv.to_path_buf(),
        lock_hash: format!("lock-{version}"),
        parse_ok: true,
        forced: false,
        health_timeout: Duration::from_secs(240),
        runtime_order: None,
    }
}

fn rollback(id: i64, confirmed: bool) -> RollbackRequest {
    RollbackRequest {
        deploy_id: id,
        description: format!("back to {id}"),
        confirmed,
        venv: None,
        health_timeout: Duration::from_secs(240),
    }
}

/// Waits until the API serves every DAG of `want` (the DAG processor takes a while).
fn wait_for_dags(api: &AirflowApi, want: &[&str]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = api.dag_ids().unwrap_or_default();
        if want.iter().all(|w| got.iter().any(|g| g == w)) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Prints how long each step of a deploy takes (visible with `--nocapture`).
struct StepTimes(Mutex<Vec<(String, Instant)>>);

static STEPS: StepTimes = StepTimes(Mutex::new(Vec::new()));

impl Progress for StepTimes {
    fn begin(&self, step: &str, _: Option<u64>) {
        if let Ok(mut v) = self.0.lock() {
            v.push((step.to_string(), Instant::now()));
        }
    }
    fn advance(&self, _: &str, _: u64) {}
    fn end(&self, step: &str, message: &str) {
        if let Ok(mut v) = self.0.lock()
            && let Some(i) = v.iter().rposition(|(s, _)| s == step)
        {
            let (_, t) = v.remove(i);
            eprintln!(
                "  step {step}: {:.1} s ({message})",
                t.elapsed().as_secs_f64()
            );
        }
    }
    fn note(&self, message: &str) {
        eprintln!("  note: {message}");
    }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    eprintln!("TIMING {what}: {:.1} s", t.elapsed().as_secs_f64());
    r
}

/// The plain 2.10.5 and 3.1.3 environments (SQLite needs no driver), or `None` (test skipped).
fn sqlite_venvs() -> Option<(PathBuf, PathBuf)> {
    if skipped() {
        return None;
    }
    Some((venv(AF2, None)?, venv(AF3, None)?))
}

/// Deploy A (2.10.5), deploy B (3.1.3), refuse a downgrade, roll back to A; then kill -9 a
/// deploy midway and recover. (Failing deploys are covered against a fake Airflow.)
#[test]
fn deploy_upgrade_rollback_and_kill_on_sqlite() {
    let _serial = serial();
    let Some((v2, v3)) = sqlite_venvs() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let port = free_port();
    write_project(root, &["a"]);
    let mut dep = Deployment::create(root, "prod", None, Some(port)).unwrap();
    let _guard = StopOnDrop(dep.dir().to_path_buf());
    dep.set_env("SKYHOP_DAG_PREFIX", "prod", false).unwrap();
    dep.set_env("SKYHOP_TEST_SECRET", "s3cr3t-value", true)
        .unwrap();

    // Deploy A.
    let a = timed("deploy A (2.10.5, sqlite)", || {
        dep.deploy(&request(root, AF2, &v2, "first"), &STEPS)
    })
    .unwrap();
    assert_eq!(a.record.status, DeployStatus::Succeeded, "{}", a.message);
    let api2 = AirflowApi::new(port, 2);
    assert_eq!(api2.version().unwrap(), AF2);
    let dags = timed("DAGs served (2.10.5)", || wait_for_dags(&api2, &["prod_a"]));
    assert!(dags.contains(&"prod_a".to_string()), "{dags:?}");

    // Deploy B: Airflow 3 with one more DAG.
    write_project(root, &["a", "b"]);
    let b = timed("deploy B (3.1.3, sqlite)", || {
        dep.deploy(&request(root, AF3, &v3, "to Airflow 3"), &STEPS)
    })
    .unwrap();
    assert_eq!(b.record.status, DeployStatus::Succeeded, "{}", b.message);
    assert_ne!(a.record.code_hash, b.record.code_hash);
    let api3 = AirflowApi::new(port, 3);
    assert_eq!(api3.version().unwrap(), AF3);
    let dags = timed("DAGs served (3.1.3)", || {
        wait_for_dags(&api3, &["prod_a", "prod_b"])
    });
    assert!(dags.contains(&"prod_b".to_string()), "{dags:?}");

    // Deploying 2.10.5 again is a downgrade: refused, pointing at rollback.
    let err = dep
        .deploy(&request(root, AF2, &v2, "oops"), &STEPS)
        .unwrap_err();
    assert!(matches!(err, DeployError::Downgrade(_)));
    let text = err.to_string();
    assert!(
        text.contains("skyhop rollback") && text.contains("deploy 1 ran that version"),
        "{text}"
    );

    // Roll back to A: needs confirmation first, then downgrades the DB.
    let err = dep
        .rollback(&rollback(a.record.id, false), &STEPS)
        .unwrap_err();
    let DeployError::NeedsConfirmation(plan) = err else {
        panic!("expected a confirmation request, got {err}");
    };
    assert!(plan.downgrade && plan.to_airflow == AF2);
    let r = timed("rollback to A (db downgrade 3.1.3 -> 2.10.5)", || {
        dep.rollback(&rollback(a.record.id, true), &STEPS)
    })
    .unwrap();
    assert_eq!(r.record.status, DeployStatus::Succeeded, "{}", r.message);
    assert_eq!(
        r.record.kind,
        DeployKind::Rollback {
            restored: a.record.id
        }
    );
    assert_eq!(r.record.code_hash, a.record.code_hash);
    assert_eq!(api2.version().unwrap(), AF2);
    let dags = wait_for_dags(&api2, &["prod_a"]);
    assert!(dags.contains(&"prod_a".to_string()), "{dags:?}");
    let running = dep.status().unwrap().target.running.unwrap();
    assert!(!running.code_dir.join("dags/b.py").exists());

    // Env vars stayed, the secret is never shown, not even in JSON.
    let env = dep.list_env().unwrap();
    assert_eq!(env.len(), 2);
    assert_eq!(env[0].to_string(), "SKYHOP_DAG_PREFIX=prod");
    assert_eq!(env[1].to_string(), "SKYHOP_TEST_SECRET=**** (secret)");
    let history = dep.history().unwrap();
    let json = serde_json::to_string(&history).unwrap()
        + &serde_json::to_string(&dep.status().unwrap()).unwrap()
        + &serde_json::to_string(&env).unwrap();
    assert!(!json.contains("s3cr3t-value"));
    // What real Airflow wrote (DB, config, logs) is as private as skyhop's own files, and the
    // secret is in none of them.
    let mut loose = Vec::new();
    let mut stack = vec![root.join(".skyhop")];
    while let Some(d) = stack.pop() {
        // Airflow is running: a file it writes and removes (a pid or temp file) may be gone
        // between listing and reading; what is gone holds nothing
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
            if meta.is_dir() {
                stack.push(path.clone());
            }
            let bytes = if meta.is_file() {
                std::fs::read(&path).unwrap_or_default()
            } else {
                Vec::new()
            };
            if (meta.is_dir() && mode != 0o700)
                || (meta.is_file() && mode != 0o600)
                || bytes.windows(12).any(|w| w == b"s3cr3t-value")
            {
                loose.push(format!("{} {mode:o}", path.display()));
            }
        }
    }
    assert_eq!(loose, Vec::<String>::new());
    let statuses: Vec<_> = history.iter().map(|h| (h.id, h.status, h.active)).collect();
    assert_eq!(
        statuses,
        [
            (1, DeployStatus::Succeeded, false),
            (2, DeployStatus::Succeeded, false),
            (3, DeployStatus::Succeeded, true)
        ]
    );

    // kill -9 in the middle of a deploy of B: once its processes are starting.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_deploy", "--nocapture", "--test-threads=1"])
        .env(
            "SKYHOP_DEPLOY_CHILD",
            format!("{}\n{}", root.display(), v3.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let run_dir = dep.dir().join("run");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let st = LocalTarget::new(&run_dir).status().unwrap();
        if st.running.as_ref().and_then(|s| s.deploy_id) == Some(4) && !st.processes.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the child deploy never started its processes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child deploy ended on its own"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The next open reconciles once it holds the lock: a process the killed deploy was
    // forking at that moment may hold it a little longer (seen under load).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut dep = loop {
        let dep = Deployment::open(root, "prod").unwrap();
        let interrupted = dep
            .history()
            .unwrap()
            .get(3)
            .is_some_and(|h| h.status == DeployStatus::Interrupted);
        if interrupted || Instant::now() > deadline {
            break dep;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let h = dep.history().unwrap();
    assert_eq!(h.len(), 4);
    assert_eq!(h[3].status, DeployStatus::Interrupted);
    assert!(h[2].active, "the previous deploy stays active");
    assert!(dep.status().unwrap().recovery_needed);
    let said = timed("recover after kill -9", || dep.recover(&STEPS))
        .unwrap()
        .unwrap();
    assert!(said.contains("runs again"), "{said}");
    assert_eq!(api2.version().unwrap(), AF2);
    assert!(dep.status().unwrap().target.is_healthy());
    assert_eq!(dep.active().unwrap().unwrap().id, 3);

    let json = serde_json::to_string_pretty(&dep.history().unwrap()).unwrap();
    assert!(json.contains("\"interrupted\""));
}

/// Not a test on its own: the child process of the kill -9 scenario.
#[test]
fn child_deploy() {
    let Ok(args) = std::env::var("SKYHOP_DEPLOY_CHILD") else {
        return;
    };
    let (root, venv) = args.split_once('\n').unwrap();
    let mut dep = Deployment::open(Path::new(root), "prod").unwrap();
    let _ = dep.deploy(
        &request(Path::new(root), AF3, Path::new(venv), "killed midway"),
        &NoProgress,
    );
}

/// The scratch PostgreSQL server, or `None` (test skipped) without the Debian package.
fn postgres() -> Option<ScratchPostgres> {
    ScratchPostgres::start()
        .map_err(|e| {
            eprintln!(
                "SKIPPED: no PostgreSQL server ({e}); run crates/skyhop-deploy/setup-postgres.sh"
            )
        })
        .ok()
}

/// The scratch server and the 2.10.5 / 3.1.3 environments with PostgreSQL drivers, or `None`
/// (test skipped).
fn postgres_and_venvs() -> Option<(ScratchPostgres, PathBuf, PathBuf)> {
    if skipped() {
        return None;
    }
    let pg = postgres()?;
    let v2 = venv(AF2, Some("psycopg2-binary"))?;
    let v3 = venv(AF3, Some("psycopg2-binary\nasyncpg"))?;
    Some((pg, v2, v3))
}

/// Deploy A then B on a real PostgreSQL, roll back to A (pg_dump backup, DB downgrade).
#[test]
fn deploy_upgrade_rollback_on_postgres() {
    let _serial = serial();
    let Some((pg, v2, v3)) = postgres_and_venvs() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let port = free_port();
    write_project(root, &["a"]);
    let mut dep = Deployment::create(root, "pg", Some(&pg.url("airflow")), Some(port)).unwrap();
    let _guard = StopOnDrop(dep.dir().to_path_buf());
    dep.set_env("SKYHOP_DAG_PREFIX", "pg", false).unwrap();

    let a = timed("deploy A (2.10.5, postgres)", || {
        dep.deploy(&request(root, AF2, &v2, "first"), &STEPS)
    })
    .unwrap();
    assert_eq!(a.record.status, DeployStatus::Succeeded, "{}", a.message);
    write_project(root, &["a", "b"]);
    let b = timed("deploy B (3.1.3, postgres)", || {
        dep.deploy(&request(root, AF3, &v3, "to Airflow 3"), &STEPS)
    })
    .unwrap();
    assert_eq!(b.record.status, DeployStatus::Succeeded, "{}", b.message);
    let api3 = AirflowApi::new(port, 3);
    assert_eq!(api3.version().unwrap(), AF3);
    let dags = wait_for_dags(&api3, &["pg_a", "pg_b"]);
    assert!(dags.contains(&"pg_b".to_string()), "{dags:?}");
    let backup = dep.dir().join("backups/before-2.sql");
    assert!(
        std::fs::read_to_string(&backup)
            .unwrap()
            .contains("CREATE TABLE")
    );

    let r = timed("rollback to A (postgres)", || {
        dep.rollback(&rollback(a.record.id, true), &STEPS)
    })
    .unwrap();
    assert_eq!(r.record.status, DeployStatus::Succeeded, "{}", r.message);
    let api2 = AirflowApi::new(port, 2);
    assert_eq!(api2.version().unwrap(), AF2);
    let dags = wait_for_dags(&api2, &["pg_a"]);
    assert!(dags.contains(&"pg_a".to_string()), "{dags:?}");
    assert_eq!(dep.list_env().unwrap().len(), 1);
}
