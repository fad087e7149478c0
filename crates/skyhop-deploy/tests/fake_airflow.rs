//! Fast tests of deploys, history, rollback, locking and the supervisor against a fake
//! `airflow` (a small Python script serving the health and version endpoints), so the logic is
//! covered in seconds; `real_airflow.rs` runs the real thing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use skyhop_core::NoProgress;
use skyhop_deploy::{
    DeployError, DeployKind, DeployRequest, DeployStatus, Deployment, DevServer, DevSpec,
    LocalTarget, RollbackRequest, Target,
};

const FAKE: &str = r#"#!/usr/bin/env python3
import http.server, json, os, sys, time
VERSION = "@VERSION@"
args = sys.argv[1:]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "calls.log"), "a") as f:
    f.write(" ".join(args) + "\n")
if args[:1] == ["db"]:
    if os.environ.get("FAKE_DB_FAIL"):
        print("fake migration failure", file=sys.stderr)
        sys.exit(1)
    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if conn.startswith("sqlite:///"):
        with open(conn[len("sqlite:///"):], "a") as f:
            f.write("\n" + " ".join(args) + " by " + VERSION)
    sys.exit(0)
if os.environ.get("FAKE_CRASH") == args[0] + "@" + VERSION:
    print("boom: " + args[0] + " crashed", file=sys.stderr)
    sys.exit(1)
if args[0] in ("webserver", "api-server"):
    port = int(args[args.index("--port") + 1])
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path in ("/health", "/api/v2/monitor/health"):
                body = {"metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy"}}
            elif self.path in ("/api/v1/version", "/api/v2/version"):
                body = {"version": VERSION}
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)
        def log_message(self, *a):
            pass
    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
while True:
    time.sleep(1)
"#;

/// A fake environment of Airflow `version`: `bin/airflow`, `bin/python`, and `calls.log`.
fn fake_venv(dir: &Path, version: &str) -> PathBuf {
    let root = dir.join(format!("venv-{version}"));
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let airflow = root.join("bin/airflow");
    std::fs::write(&airflow, FAKE.replace("@VERSION@", version)).unwrap();
    std::fs::set_permissions(
        &airflow,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let _ = std::os::unix::fs::symlink(which_python(), root.join("bin/python"));
    root
}

fn which_python() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("python3"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("/usr/bin/python3"))
}

fn calls(venv: &Path) -> String {
    std::fs::read_to_string(venv.join("calls.log")).unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

struct StopOnDrop(PathBuf);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = LocalTarget::new(&self.0).stop(&NoProgress);
    }
}

fn request(root: &Path, version: &str, runtime: Option<&str>, venv: &Path) -> DeployRequest {
    DeployRequest {
        description: format!("deploy {version}"),
        project_root: root.to_path_buf(),
        airflow_version: version.to_string(),
        runtime: runtime.map(str::to_string),
        venv: venv.to_path_buf(),
        lock_hash: format!("lock-{version}"),
        parse_ok: true,
        forced: false,
        health_timeout: Duration::from_secs(20),
        runtime_order: None,
    }
}

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("dags")).unwrap();
    std::fs::write(d.path().join("dags/a.py"), "# a\n").unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM x:1\n").unwrap();
    d
}

/// History entries without times, paths and hashes, for snapshots.
fn history_text(dep: &Deployment) -> String {
    dep.history()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {} airflow={} runtime={} active={} forced={} who-set={} message={}",
                r.id,
                r.kind,
                r.status.as_str(),
                r.airflow,
                r.runtime.as_deref().unwrap_or("-"),
                r.active,
                r.forced,
                !r.who.is_empty(),
                r.message
                    .as_deref()
                    .map(|m| m.split(':').next().unwrap_or(""))
                    .unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn deploy_refuse_downgrade_and_roll_back() {
    let p = project();
    let root = p.path();
    let v2 = fake_venv(root, "2.10.5");
    let v3 = fake_venv(root, "3.1.3");
    let mut dep = Deployment::create(root, "prod", None, Some(free_port())).unwrap();
    let _guard = StopOnDrop(dep.dir().join("run"));
    dep.set_env("TOKEN", "very-secret-value", true).unwrap();
    dep.set_env("PLAIN", "1", false).unwrap();

    // Parse failures stop a deploy unless forced.
    let mut failing = request(root, "2.10.5", Some("12.7.1"), &v2);
    failing.parse_ok = false;
    assert!(matches!(
        dep.deploy(&failing, &NoProgress),
        Err(DeployError::ParseFailed)
    ));

    let a = dep
        .deploy(&request(root, "2.10.5", Some("12.7.1"), &v2), &NoProgress)
        .unwrap();
    assert_eq!(a.record.status, DeployStatus::Succeeded, "{}", a.message);
    assert!(calls(&v2).contains("db migrate"));
    std::fs::write(root.join("dags/b.py"), "# b\n").unwrap();
    let b = dep
        .deploy(&request(root, "3.1.3", Some("3.1-5"), &v3), &NoProgress)
        .unwrap();
    assert_eq!(b.record.status, DeployStatus::Succeeded, "{}", b.message);
    let st = dep.status().unwrap();
    assert!(st.target.is_healthy());
    let names: Vec<_> = st
        .target
        .processes
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["api-server", "scheduler", "dag-processor", "triggerer"]
    );
    assert_eq!(
        std::fs::read_to_string(dep.dir().join("current")).unwrap(),
        "2\n"
    );

    // A downgrade by deploy is refused; the message points to rollback.
    let err = dep
        .deploy(&request(root, "2.10.5", Some("12.7.1"), &v2), &NoProgress)
        .unwrap_err();
    insta::assert_snapshot!("downgrade_refused", err.to_string());
    // A Runtime downgrade with the same Airflow is refused too.
    let err = dep
        .deploy(&request(root, "3.1.3", Some("3.1-4"), &v3), &NoProgress)
        .unwrap_err();
    assert!(matches!(err, DeployError::Downgrade(_)), "{err}");

    // Rollback: the plan first, then confirmation, then the downgrade with the newer env.
    let rb = |confirmed| RollbackRequest {
        deploy_id: 1,
        description: "bad upgrade".into(),
        confirmed,
        venv: None,
        health_timeout: Duration::from_secs(20),
    };
    let err = dep.rollback(&rb(false), &NoProgress).unwrap_err();
    insta::assert_snapshot!("rollback_needs_confirmation", err.to_string());
    let r = dep.rollback(&rb(true), &NoProgress).unwrap();
    assert_eq!(r.record.status, DeployStatus::Succeeded, "{}", r.message);
    assert!(calls(&v3).contains("db downgrade --to-version 2.10.5 -y"));
    assert_eq!(r.record.kind, DeployKind::Rollback { restored: 1 });
    let st = dep.status().unwrap();
    let running = st.target.running.unwrap();
    assert_eq!(running.airflow_version, "2.10.5");
    assert!(running.code_dir.join("dags/a.py").is_file());
    assert!(!running.code_dir.join("dags/b.py").exists());
    assert_eq!(st.target.processes.len(), 3);
    assert_eq!(dep.list_env().unwrap().len(), 2);

    insta::assert_snapshot!("history", history_text(&dep));
    let json = serde_json::to_string(&dep.history().unwrap()).unwrap()
        + &serde_json::to_string(&dep.list_env().unwrap()).unwrap()
        + &serde_json::to_string(&dep.status().unwrap()).unwrap();
    assert!(!json.contains("very-secret-value"));
    assert!(
        json.contains(r#""kind":{"type":"rollback","restored":1}"#),
        "{json}"
    );
}

#[test]
fn failures_switch_back_by_themselves() {
    let p = project();
    let root = p.path();
    let v2 = fake_venv(root, "2.10.5");
    let v3 = fake_venv(root, "3.1.3");
    let mut dep = Deployment::create(root, "prod", None, Some(free_port())).unwrap();
    let _guard = StopOnDrop(dep.dir().join("run"));
    let a = dep
        .deploy(&request(root, "2.10.5", None, &v2), &NoProgress)
        .unwrap();
    assert_eq!(a.record.status, DeployStatus::Succeeded, "{}", a.message);
    std::fs::write(dep.dir().join("airflow.db"), "version A data").unwrap();

    // A crashing scheduler: reported with its log, the DB restored, A running again.
    dep.set_env("FAKE_CRASH", "scheduler@3.1.3", false).unwrap();
    let b = dep
        .deploy(&request(root, "3.1.3", None, &v3), &NoProgress)
        .unwrap();
    assert_eq!(b.record.status, DeployStatus::FailedRolledBack);
    assert!(b.message.contains("`scheduler` exited"), "{}", b.message);
    assert!(
        b.message.contains("boom: scheduler crashed"),
        "{}",
        b.message
    );
    assert!(b.message.contains("runs again"), "{}", b.message);
    dep.unset_env("FAKE_CRASH").unwrap();
    assert_eq!(
        std::fs::read_to_string(dep.dir().join("airflow.db")).unwrap(),
        "version A data"
    );
    let st = dep.status().unwrap();
    assert!(st.target.is_healthy());
    assert_eq!(st.active.unwrap().id, 1);

    // A failing migration.
    dep.set_env("FAKE_DB_FAIL", "1", false).unwrap();
    let c = dep
        .deploy(&request(root, "3.1.3", None, &v3), &NoProgress)
        .unwrap();
    assert_eq!(c.record.status, DeployStatus::FailedRolledBack);
    assert!(
        c.message.contains("fake migration failure"),
        "{}",
        c.message
    );
    assert!(dep.status().unwrap().target.is_healthy());
    insta::assert_snapshot!("failed_history", history_text(&dep));
}

#[test]
fn a_second_deploy_waits_for_the_lock_and_crashes_are_recovered() {
    let p = project();
    let root = p.path();
    let v2 = fake_venv(root, "2.10.5");
    let v3 = fake_venv(root, "3.1.3");
    let mut dep = Deployment::create(root, "prod", None, Some(free_port())).unwrap();
    let _guard = StopOnDrop(dep.dir().join("run"));
    assert!(matches!(
        dep.start(&NoProgress),
        Err(DeployError::NothingDeployed(_))
    ));
    dep.deploy(&request(root, "2.10.5", None, &v2), &NoProgress)
        .unwrap();

    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(dep.dir().join("lock"))
        .unwrap();
    held.lock().unwrap();
    let err = dep
        .deploy(&request(root, "3.1.3", None, &v3), &NoProgress)
        .unwrap_err();
    assert!(matches!(err, DeployError::Locked(_)), "{err}");
    held.unlock().unwrap();

    // Simulate a skyhop killed after migrating: a pending entry in the `db-changing` phase
    // with a backup, and the new version's processes running.
    let db = dep.dir().join("airflow.db");
    std::fs::write(&db, "before").unwrap();
    let backup = dep.dir().join("backups/before-2.db");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    std::fs::write(&backup, "before").unwrap();
    std::fs::write(&db, "migrated by the killed deploy").unwrap();
    insert_killed_deploy(&dep.dir().join("state.db"), &backup);
    drop(dep);

    let mut dep = Deployment::open(root, "prod").unwrap();
    let h = dep.history().unwrap();
    assert_eq!(h[1].status, DeployStatus::Interrupted);
    assert!(h[0].active);
    assert!(dep.status().unwrap().recovery_needed);
    let said = dep.recover(&NoProgress).unwrap().unwrap();
    assert!(said.contains("restored the metadata DB"), "{said}");
    assert_eq!(std::fs::read_to_string(&db).unwrap(), "before");
    assert!(dep.status().unwrap().target.is_healthy());
    assert!(!dep.status().unwrap().recovery_needed);
    assert_eq!(dep.recover(&NoProgress).unwrap(), None);
}

/// Writes the pending entry a killed deploy leaves (through Python's sqlite3: the store is plain
/// SQLite).
fn insert_killed_deploy(state: &Path, backup: &Path) {
    let sql = format!(
        "INSERT INTO deploys (time, description, runtime, airflow, code_hash, lock_hash, venv, kind, \
         status, who, forced, phase, backup) VALUES ('2026-01-01T00:00:00Z', 'killed', NULL, '3.1.3', \
         'x', 'l', '/nowhere', 'deploy', 'pending', 'me', 0, 'db-changing', '{}');",
        backup.display()
    );
    let script = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute({:?}); c.commit()",
        state.display().to_string(),
        sql
    );
    let out = std::process::Command::new(which_python())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn dev_server_start_status_logs_restart_stop() {
    let p = project();
    let root = p.path();
    let v2 = fake_venv(root, "2.10.5");
    let v3 = fake_venv(root, "3.1.3");
    let dev = DevServer::new(root);
    let _guard = StopOnDrop(root.join(".skyhop/dev"));
    let spec = |venv: &Path, version: &str| DevSpec {
        airflow_version: version.to_string(),
        runtime: None,
        venv: venv.to_path_buf(),
        port: free_port(),
        db_url: None,
        env: vec![("FROM_DOTENV".into(), "1".into())],
        health_timeout: Duration::from_secs(20),
    };
    let h = dev.start(&spec(&v2, "2.10.5"), &NoProgress).unwrap();
    assert_eq!(h.version.as_deref(), Some("2.10.5"));
    assert!(calls(&v2).contains("db migrate"));
    assert!(dev.start(&spec(&v2, "2.10.5"), &NoProgress).is_err());
    let st = dev.status().unwrap();
    assert!(st.is_healthy());
    assert_eq!(st.running.as_ref().unwrap().code_dir, root);
    let logs = dev.logs(None, 5).unwrap();
    let names: Vec<_> = logs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["scheduler", "triggerer", "webserver"]);
    assert!(logs[0].1.contains("skyhop"));

    // The Dockerfile moved to Airflow 3: restart migrates and runs the new version.
    let h = dev.restart(&spec(&v3, "3.1.3"), &NoProgress).unwrap();
    assert_eq!(h.version.as_deref(), Some("3.1.3"));
    assert!(calls(&v3).contains("db migrate"));
    // Going back down is refused: the local DB has the newer schema.
    std::fs::write(root.join(".skyhop/dev/airflow.db"), "x").unwrap();
    let err = dev.restart(&spec(&v2, "2.10.5"), &NoProgress).unwrap_err();
    assert!(
        err.to_string().contains("cannot run Airflow 2.10.5"),
        "{err}"
    );
    dev.stop(&NoProgress).unwrap();
    assert!(dev.status().unwrap().processes.is_empty());
}
