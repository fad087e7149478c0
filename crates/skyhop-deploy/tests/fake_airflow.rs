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

/// The fake `airflow` (tests replace `@VERSION@`); `skyhop-ui`'s tests use it too.
const FAKE: &str = include_str!("fixtures/fake_airflow.py");

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

/// What the last fake scheduler of `venv` saw in its environment.
fn seen_env(venv: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(venv.join("env.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
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

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file and directory under `root` (symlinks not followed).
fn walk(root: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        // a running (fake) Airflow may remove a file between listing and reading it
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.push((path, meta));
        }
    }
    out
}

/// Files under `root` whose bytes contain `needle`.
fn files_containing(root: &Path, needle: &str) -> Vec<PathBuf> {
    walk(root)
        .into_iter()
        .filter(|(p, m)| {
            m.is_file()
                && std::fs::read(p)
                    .unwrap_or_default()
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes())
        })
        .map(|(p, _)| p)
        .collect()
}

fn mode(m: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777
}

#[test]
fn deployment_state_stays_out_of_git_private_and_without_plain_secrets() {
    const SECRET: &str = "s3cret-token-4f9a1c";
    const DB_PASSWORD: &str = "db-pass-77e2b0";
    let p = project();
    let root = p.path();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "project"]);
    let venvs = tempfile::tempdir().unwrap();
    let v2 = fake_venv(venvs.path(), "2.10.5");
    let v3 = fake_venv(venvs.path(), "3.1.3");

    let mut dep = Deployment::create(root, "prod", None, Some(free_port())).unwrap();
    let _guard = StopOnDrop(dep.dir().join("run"));
    dep.set_env("TOKEN", SECRET, true).unwrap();
    let a = dep
        .deploy(&request(root, "2.10.5", None, &v2), &NoProgress)
        .unwrap();
    assert_eq!(a.record.status, DeployStatus::Succeeded, "{}", a.message);
    // Airflow gets the secret decrypted, HOME inside the deployment, none of the caller's
    // variables (cargo sets CARGO_PKG_NAME for this test process).
    let seen = seen_env(&v2);
    assert_eq!(seen["TOKEN"], SECRET);
    assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
    assert!(seen["CARGO_PKG_NAME"].is_null(), "{seen}");
    assert!(
        seen["HOME"]
            .as_str()
            .is_some_and(|h| Path::new(h).starts_with(dep.dir())),
        "{seen}"
    );
    std::fs::write(root.join("dags/b.py"), "# b\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "b"]);
    let b = dep
        .deploy(&request(root, "3.1.3", None, &v3), &NoProgress)
        .unwrap();
    assert_eq!(b.record.status, DeployStatus::Succeeded, "{}", b.message);
    let rb = RollbackRequest {
        deploy_id: 1,
        description: "back".into(),
        confirmed: true,
        venv: None,
        health_timeout: Duration::from_secs(20),
    };
    let r = dep.rollback(&rb, &NoProgress).unwrap();
    assert_eq!(r.record.status, DeployStatus::Succeeded, "{}", r.message);
    // A second deployment on PostgreSQL: its URL's password is stored sealed, shown hidden.
    let pg = Deployment::create(
        root,
        "pg",
        Some(&format!("postgresql://af:{DB_PASSWORD}@127.0.0.1:1/af")),
        Some(free_port()),
    )
    .unwrap();
    assert_eq!(
        pg.config().db_display(),
        "postgresql://af:****@127.0.0.1:1/af"
    );
    let json = serde_json::to_string(&dep.status().unwrap()).unwrap()
        + &serde_json::to_string(&pg.status().unwrap()).unwrap()
        + &serde_json::to_string(&dep.history().unwrap()).unwrap();
    assert!(
        !json.contains(SECRET) && !json.contains(DB_PASSWORD),
        "{json}"
    );

    assert_eq!(git(root, &["status", "--porcelain", "--ignored=no"]), "");
    let state = root.join(".skyhop");
    assert!(state.join("deployments/prod/state.db-wal").is_file());
    for needle in [SECRET, DB_PASSWORD] {
        assert_eq!(files_containing(&state, needle), Vec::<PathBuf>::new());
    }
    let loose: Vec<_> = walk(&state)
        .into_iter()
        .filter(|(_, m)| (m.is_dir() && mode(m) != 0o700) || (m.is_file() && mode(m) != 0o600))
        .map(|(p, m)| format!("{} {:o}", p.display(), mode(&m)))
        .collect();
    assert_eq!(loose, Vec::<String>::new());
    assert_eq!(mode(&std::fs::metadata(&state).unwrap()), 0o700);
    // Airflow's own secrets (the Fernet key of the connections in airflow.db) are sealed too.
    let instance = std::fs::read_to_string(dep.dir().join("run/instance.json")).unwrap();
    assert!(instance.starts_with("skyhop-sealed:v1:"), "{instance}");
    let fernet = seen_env(&v2)["AIRFLOW__CORE__FERNET_KEY"].clone();
    assert!(fernet.as_str().is_some_and(|k| k.len() == 44), "{fernet}");
    assert_eq!(
        files_containing(&state, fernet.as_str().unwrap()),
        Vec::<PathBuf>::new()
    );

    // Delete: stops Airflow and removes everything of the deployment.
    let dir = dep.dir().to_path_buf();
    let run = dep.status().unwrap().target;
    let pid = run.processes[0].pid;
    let removed = dep.delete(&NoProgress).unwrap();
    assert_eq!(removed, dir);
    assert!(!dir.exists());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists() || {
            std::thread::sleep(Duration::from_millis(500));
            !Path::new(&format!("/proc/{pid}")).exists()
        }
    );
    assert!(matches!(
        Deployment::open(root, "prod"),
        Err(DeployError::NoSuchDeployment(_))
    ));
    assert_eq!(skyhop_deploy::list(root).unwrap(), ["pg"]);
}

#[test]
fn plain_text_secrets_of_an_older_skyhop_are_encrypted_on_first_open() {
    const SECRET: &str = "old-plain-secret-9d3e";
    const DB_PASSWORD: &str = "old-db-pass-51c8";
    let p = project();
    let root = p.path();
    let venvs = tempfile::tempdir().unwrap();
    let v2 = fake_venv(venvs.path(), "2.10.5");
    let dep = Deployment::create(root, "prod", None, Some(free_port())).unwrap();
    let dir = dep.dir().to_path_buf();
    drop(dep);
    // What an older skyhop left: plain-text rows, modes from the umask, no `.gitignore`.
    let db = dir.join("state.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO env (key, value, secret) VALUES ('TOKEN', ?1, 1)",
            [SECRET],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO config (key, value) VALUES ('db_url', ?1)",
            [format!("postgresql://af:{DB_PASSWORD}@127.0.0.1:1/af")],
        )
        .unwrap();
    }
    std::fs::remove_file(root.join(".skyhop/.gitignore")).unwrap();
    for (path, meta) in walk(&root.join(".skyhop")) {
        let loose = if meta.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(loose))
            .unwrap();
    }
    assert_eq!(
        files_containing(&dir, SECRET),
        vec![db.clone()],
        "precondition"
    );

    let dep = Deployment::open(root, "prod").unwrap();
    let notes = dep.notes().join("\n");
    assert!(
        notes.contains("encrypted 1 secret value(s) and the metadata DB URL"),
        "{notes}"
    );
    assert!(notes.contains("now private"), "{notes}");
    assert!(!notes.contains(SECRET) && !notes.contains(DB_PASSWORD));
    for needle in [SECRET, DB_PASSWORD] {
        assert_eq!(
            files_containing(&root.join(".skyhop"), needle),
            Vec::<PathBuf>::new()
        );
    }
    assert!(root.join(".skyhop/.gitignore").is_file());
    assert!(
        walk(&root.join(".skyhop"))
            .iter()
            .all(|(_, m)| mode(m) & 0o077 == 0)
    );
    assert_eq!(
        dep.config().db_display(),
        "postgresql://af:****@127.0.0.1:1/af"
    );
    drop(dep);
    // Said once: the next open has nothing to migrate.
    let mut dep = Deployment::open(root, "prod").unwrap();
    assert_eq!(dep.notes(), Vec::<String>::new());

    // The migrated secret still reaches Airflow (back on SQLite for the fake).
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "DELETE FROM config WHERE key IN ('db_url', 'db_display')",
        [],
    )
    .unwrap();
    drop(conn);
    drop(dep);
    dep = Deployment::open(root, "prod").unwrap();
    let _guard = StopOnDrop(dep.dir().join("run"));
    // An older skyhop's plain instance.json: sealed in place, its Fernet key kept.
    let fernet = "a".repeat(43) + "=";
    let instance = dep.dir().join("run/instance.json");
    std::fs::create_dir_all(instance.parent().unwrap()).unwrap();
    std::fs::write(
        &instance,
        format!(r#"{{"fernet_key":"{fernet}","secret_key":"s","jwt_secret":"j"}}"#),
    )
    .unwrap();
    let a = dep
        .deploy(&request(root, "2.10.5", None, &v2), &NoProgress)
        .unwrap();
    assert_eq!(a.record.status, DeployStatus::Succeeded, "{}", a.message);
    assert_eq!(seen_env(&v2)["TOKEN"], SECRET);
    assert_eq!(seen_env(&v2)["AIRFLOW__CORE__FERNET_KEY"], fernet.as_str());
    assert!(
        std::fs::read_to_string(&instance)
            .unwrap()
            .starts_with("skyhop-sealed:v1:")
    );
}
