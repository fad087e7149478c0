//! The local target: Airflow's components as detached processes on this machine, no Docker.
//!
//! Layout under the state directory:
//! - `home/<airflow version>/`: `AIRFLOW_HOME` (one per version, so an Airflow 2
//!   `airflow.cfg` never leaks into Airflow 3);
//! - `logs/<component>.log`: each component's output (appended, one header per start);
//! - `run.json`: the spec and the pids (each the leader of its own process group), rewritten
//!   after every spawn so a crash never loses track of a process;
//! - `instance.json`: per-instance secrets (Fernet key, web secret key, JWT secret), sealed
//!   like a deployment's secrets ([`crate::secret`]).
//!
//! Everything here is private (directories 0700, files 0600, see [`crate::private`]), and
//! Airflow's processes run with umask 077 so what they write is too (the home is tightened once
//! Airflow is healthy: gunicorn sets its pid file's mode itself). They start from an empty
//! environment: [`skyhop_core::sealed_env`] with `HOME` set to the `AIRFLOW_HOME`, Airflow's
//! settings, and the deployment's variables, never the caller's whole environment.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use skyhop_core::Progress;

use crate::api::{AirflowApi, Health};
use crate::error::{DeployError, IoContext, Result};
use crate::private;
use crate::process::{run_checked, tail_file, tail_since};
use crate::secret::{self, SecretKey, random_bytes};
use crate::sys;
use crate::target::{ProcessStatus, RunSpec, Target, TargetStatus};
use crate::versions::{airflow_major, compare_airflow};

/// Runs Airflow as local processes with state under one directory.
#[derive(Debug, Clone)]
pub struct LocalTarget {
    state_dir: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
struct RunFile {
    spec: RunSpec,
    processes: Vec<(String, u32)>,
    started: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct InstanceSecrets {
    fernet_key: String,
    secret_key: String,
    jwt_secret: String,
}

impl LocalTarget {
    /// A target keeping its homes, logs and pids under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        LocalTarget {
            state_dir: state_dir.into(),
        }
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    fn run_file(&self) -> PathBuf {
        self.state_dir.join("run.json")
    }

    fn log_path(&self, component: &str) -> PathBuf {
        self.state_dir.join("logs").join(format!("{component}.log"))
    }

    fn home(&self, version: &str) -> PathBuf {
        self.state_dir.join("home").join(version)
    }

    fn read_run(&self) -> Option<RunFile> {
        let text = fs::read_to_string(self.run_file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn write_run(&self, run: &RunFile) -> Result<()> {
        let path = self.run_file();
        let text =
            serde_json::to_string_pretty(run).map_err(|e| DeployError::Other(e.to_string()))?;
        private::replace(&path, text.as_bytes())
    }

    /// The instance's secrets, stored sealed ([`crate::secret`]) and made on first use; a file
    /// an older skyhop wrote in plain text is sealed in place, its keys kept (the metadata DB's
    /// connections stay readable).
    fn secrets(&self) -> Result<InstanceSecrets> {
        const WHAT: &str = "instance.json";
        let path = self.state_dir.join(WHAT);
        let stored = fs::read_to_string(&path).ok();
        let stored = stored.as_deref().map(str::trim);
        let sealed = stored.is_some_and(secret::is_sealed);
        let plain = match stored {
            Some(t) if sealed => Some(SecretKey::get()?.open(WHAT, t)?),
            other => other.map(str::to_string),
        };
        let parsed: Option<InstanceSecrets> =
            plain.as_deref().and_then(|t| serde_json::from_str(t).ok());
        if let Some(s) = parsed.as_ref().filter(|_| sealed) {
            return Ok(s.clone());
        }
        let s = match parsed {
            Some(s) => s,
            None => InstanceSecrets {
                fernet_key: base64_url(&random_bytes(32)?),
                secret_key: hex::encode(random_bytes(24)?),
                jwt_secret: hex::encode(random_bytes(32)?),
            },
        };
        private::dir(&self.state_dir)?;
        let text = serde_json::to_string(&s).map_err(|e| DeployError::Other(e.to_string()))?;
        let sealed = SecretKey::get_or_create()?.seal(WHAT, &text)?;
        private::replace(&path, sealed.as_bytes())?;
        Ok(s)
    }

    /// The environment every Airflow command of `spec` runs with.
    fn environment(&self, spec: &RunSpec) -> Result<Vec<(String, String)>> {
        let major = airflow_major(&spec.airflow_version)?;
        let home = self.home(&spec.airflow_version);
        private::dir(&home)?;
        let secrets = self.secrets()?;
        let code = &spec.code_dir;
        let url = format!("http://127.0.0.1:{}", spec.port);
        let mut ours = vec![
            ("AIRFLOW_HOME", home.display().to_string()),
            (
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                spec.db.sql_alchemy_conn(),
            ),
            (
                "AIRFLOW__CORE__DAGS_FOLDER",
                code.join("dags").display().to_string(),
            ),
            (
                "AIRFLOW__CORE__PLUGINS_FOLDER",
                code.join("plugins").display().to_string(),
            ),
            ("AIRFLOW__CORE__LOAD_EXAMPLES", "False".into()),
            ("AIRFLOW__CORE__FERNET_KEY", secrets.fernet_key),
            (
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
                self.state_dir.join("logs/airflow").display().to_string(),
            ),
            (
                "PYTHONPATH",
                format!("{}:{}", code.display(), code.join("include").display()),
            ),
            ("VIRTUAL_ENV", spec.venv.display().to_string()),
            (
                "PATH",
                format!(
                    "{}:{}",
                    spec.venv.join("bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            ),
        ];
        if major >= 3 {
            ours.extend([
                ("AIRFLOW__API__INSTANCE_NAME", spec.instance_name()),
                ("AIRFLOW__API__SECRET_KEY", secrets.secret_key),
                ("AIRFLOW__API_AUTH__JWT_SECRET", secrets.jwt_secret),
                ("AIRFLOW__API__BASE_URL", url.clone()),
                ("AIRFLOW__API__PORT", spec.port.to_string()),
                ("AIRFLOW__API__WORKERS", "1".into()),
                (
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                    format!("{url}/execution/"),
                ),
                (
                    "AIRFLOW__CORE__AUTH_MANAGER",
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                        .into(),
                ),
                ("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True".into()),
            ]);
        } else {
            let config = home.join("webserver_config.py");
            private::write(&config, WEBSERVER_CONFIG.as_bytes())?;
            ours.extend([
                ("AIRFLOW__WEBSERVER__INSTANCE_NAME", spec.instance_name()),
                ("AIRFLOW__WEBSERVER__SECRET_KEY", secrets.secret_key),
                ("AIRFLOW__WEBSERVER__BASE_URL", url.clone()),
                ("AIRFLOW__WEBSERVER__WEB_SERVER_PORT", spec.port.to_string()),
                ("AIRFLOW__WEBSERVER__WORKERS", "1".into()),
                (
                    "AIRFLOW__WEBSERVER__CONFIG_FILE",
                    config.display().to_string(),
                ),
                (
                    "AIRFLOW__API__AUTH_BACKENDS",
                    "airflow.api.auth.backend.default".into(),
                ),
            ]);
            if !spec.db.is_sqlite() {
                ours.push(("AIRFLOW__CORE__EXECUTOR", "LocalExecutor".into()));
            }
        }
        // The deployment's variables may tune Airflow, but not move its home, DB or code.
        let mut env: Vec<(String, String)> =
            ours.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        for (k, v) in &spec.env {
            if PROTECTED.contains(&k.as_str()) {
                continue;
            }
            env.retain(|(e, _)| e != k);
            env.push((k.clone(), v.clone()));
        }
        Ok(env)
    }

    fn command(&self, spec: &RunSpec, env: &[(String, String)]) -> Result<Command> {
        let airflow = spec.venv.join("bin").join("airflow");
        if !airflow.is_file() {
            return Err(DeployError::NoAirflow(spec.venv.clone()));
        }
        // Sealed: nothing of the caller's environment but what `sealed_env` keeps; `HOME` is the
        // Airflow home, as in an Astro image.
        let mut cmd = Command::new(airflow);
        cmd.env_clear()
            .envs(skyhop_core::sealed_env(&self.home(&spec.airflow_version)))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(&spec.code_dir)
            .stdin(Stdio::null());
        sys::private_umask(&mut cmd);
        Ok(cmd)
    }

    fn components(major: u64) -> Vec<(&'static str, Vec<String>)> {
        if major >= 3 {
            vec![
                ("api-server", vec!["api-server".into()]),
                ("scheduler", vec!["scheduler".into()]),
                ("dag-processor", vec!["dag-processor".into()]),
                ("triggerer", vec!["triggerer".into()]),
            ]
        } else {
            vec![
                ("webserver", vec!["webserver".into()]),
                ("scheduler", vec!["scheduler".into()]),
                ("triggerer", vec!["triggerer".into()]),
            ]
        }
    }

    fn api(spec: &RunSpec) -> AirflowApi {
        AirflowApi::new(spec.port, airflow_major(&spec.airflow_version).unwrap_or(2))
    }

    fn dead_processes(&self, run: &RunFile) -> Vec<ProcessStatus> {
        self.process_statuses(run)
            .into_iter()
            .filter(|p| !p.alive)
            .collect()
    }

    fn process_statuses(&self, run: &RunFile) -> Vec<ProcessStatus> {
        run.processes
            .iter()
            .map(|(name, pid)| {
                let alive = sys::is_alive(*pid);
                let log = self.log_path(name);
                ProcessStatus {
                    name: name.clone(),
                    pid: *pid,
                    alive,
                    log_tail: (!alive).then(|| tail_since(&log, LOG_HEADER, 15)),
                    log,
                }
            })
            .collect()
    }
}

/// How long Airflow must stay healthy, every process alive, before a start counts as healthy.
const SETTLE: Duration = Duration::from_secs(3);

/// Starts the line the supervisor writes into a component's log at each start.
const LOG_HEADER: &str = "===== skyhop:";

/// Settings a deployment's environment variables cannot override.
const PROTECTED: &[&str] = &[
    "AIRFLOW_HOME",
    "HOME",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER",
    "PATH",
    "VIRTUAL_ENV",
];

/// Airflow 2 webserver config: local only (bound to 127.0.0.1), every visitor is Admin so the
/// UI and REST API work without a login.
const WEBSERVER_CONFIG: &str = "# Written by skyhop for a local Airflow bound to 127.0.0.1.\n\
from flask_appbuilder.const import AUTH_DB\n\
AUTH_TYPE = AUTH_DB\n\
AUTH_ROLE_PUBLIC = \"Admin\"\n";

impl Target for LocalTarget {
    fn migrate(&self, spec: &RunSpec, progress: &dyn Progress) -> Result<()> {
        let env = self.environment(spec)?;
        let sub = if compare_airflow(&spec.airflow_version, "2.7.0")?.is_lt() {
            "upgrade"
        } else {
            "migrate"
        };
        progress.begin("migrate the metadata DB", None);
        let mut cmd = self.command(spec, &env)?;
        cmd.args(["db", sub]);
        let r = run_checked(&mut cmd, &format!("airflow db {sub}"));
        progress.end(
            "migrate the metadata DB",
            &format!("Airflow {} schema", spec.airflow_version),
        );
        r.map(|_| ())
    }

    fn downgrade(&self, newer: &RunSpec, to_version: &str, progress: &dyn Progress) -> Result<()> {
        let env = self.environment(newer)?;
        progress.begin("downgrade the metadata DB", None);
        let mut cmd = self.command(newer, &env)?;
        cmd.args(["db", "downgrade", "--to-version", to_version, "-y"]);
        let r = run_checked(
            &mut cmd,
            &format!("airflow db downgrade --to-version {to_version}"),
        );
        progress.end(
            "downgrade the metadata DB",
            &format!("Airflow {to_version} schema"),
        );
        r.map(|_| ())
    }

    fn start(&self, spec: &RunSpec, progress: &dyn Progress) -> Result<()> {
        self.stop(progress)?;
        if TcpListener::bind(("127.0.0.1", spec.port)).is_err() {
            return Err(DeployError::Other(format!(
                "port {} on 127.0.0.1 is in use by another program; choose another port (`--port`)",
                spec.port
            )));
        }
        let env = self.environment(spec)?;
        private::dir(&self.state_dir.join("logs"))?;
        let major = airflow_major(&spec.airflow_version)?;
        let mut run = RunFile {
            spec: spec.clone(),
            processes: Vec::new(),
            started: jiff::Timestamp::now().to_string(),
        };
        progress.begin("start Airflow", None);
        for (name, mut args) in Self::components(major) {
            if name == "api-server" || name == "webserver" {
                let host = if major >= 3 { "--host" } else { "--hostname" };
                args.extend([
                    "--port".into(),
                    spec.port.to_string(),
                    host.into(),
                    "127.0.0.1".into(),
                ]);
            }
            let log_path = self.log_path(name);
            let mut log = private::open(&log_path, true)?;
            writeln!(
                log,
                "{LOG_HEADER} {} starting `airflow {}` ({}) =====",
                run.started,
                args.join(" "),
                spec.instance_name()
            )
            .at(&log_path)?;
            let err = log.try_clone().at(&log_path)?;
            let mut cmd = self.command(spec, &env)?;
            cmd.args(&args).stdout(log).stderr(err).process_group(0);
            let child = cmd.spawn().at(spec.venv.join("bin/airflow"))?;
            run.processes.push((name.to_string(), child.id()));
            // Record every pid at once: a crash right after must not lose a process.
            self.write_run(&run)?;
            progress.advance("start Airflow", 1);
        }
        progress.end("start Airflow", &format!("http://127.0.0.1:{}", spec.port));
        Ok(())
    }

    fn stop(&self, progress: &dyn Progress) -> Result<()> {
        let Some(run) = self.read_run() else {
            return Ok(());
        };
        progress.begin("stop Airflow", None);
        for (_, pid) in &run.processes {
            sys::is_alive(*pid); // reaps our own finished children
            sys::signal_group(*pid, false);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left: Vec<u32> = run
                .processes
                .iter()
                .map(|(_, p)| *p)
                .filter(|p| {
                    sys::is_alive(*p);
                    sys::group_alive(*p)
                })
                .collect();
            if left.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                for p in left {
                    sys::signal_group(p, true);
                }
                std::thread::sleep(Duration::from_millis(300));
                for (_, p) in &run.processes {
                    sys::is_alive(*p);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let path = self.run_file();
        fs::remove_file(&path).at(&path)?;
        progress.end("stop Airflow", "stopped");
        Ok(())
    }

    fn status(&self) -> Result<TargetStatus> {
        let Some(run) = self.read_run() else {
            return Ok(TargetStatus {
                running: None,
                processes: Vec::new(),
                url: None,
                health: None,
            });
        };
        let api = Self::api(&run.spec);
        let processes = self.process_statuses(&run);
        let health = processes.iter().any(|p| p.alive).then(|| api.health());
        Ok(TargetStatus {
            url: Some(api.url().to_string()),
            running: Some(run.spec),
            processes,
            health,
        })
    }

    fn wait_healthy(
        &self,
        spec: &RunSpec,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Health> {
        let api = Self::api(spec);
        let started = Instant::now();
        progress.begin("wait until Airflow is healthy", None);
        let unhealthy = |detail: String| DeployError::Unhealthy {
            seconds: started.elapsed().as_secs(),
            detail,
        };
        let mut healthy_since: Option<Instant> = None;
        loop {
            let Some(run) = self.read_run() else {
                return Err(unhealthy("Airflow is not running".into()));
            };
            let dead = self.dead_processes(&run);
            if let Some(p) = dead.first() {
                return Err(unhealthy(format!(
                    "`{}` exited; the end of {}:\n{}",
                    p.name,
                    p.log.display(),
                    p.log_tail.clone().unwrap_or_default()
                )));
            }
            let health = api.health();
            let right_version = health.version.as_deref() == Some(spec.airflow_version.as_str());
            if health.healthy && right_version {
                // Healthy twice, a few seconds apart, with every process alive: a component
                // that crashes right after starting is not taken for a healthy deploy.
                match healthy_since {
                    Some(t) if t.elapsed() >= SETTLE => {
                        // gunicorn makes its pid file 0644 whatever the umask.
                        private::tighten(&self.home(&spec.airflow_version))?;
                        progress.end("wait until Airflow is healthy", &health.detail);
                        return Ok(health);
                    }
                    Some(_) => {}
                    None => healthy_since = Some(Instant::now()),
                }
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
            healthy_since = None;
            if started.elapsed() > timeout {
                let detail = if health.healthy {
                    format!(
                        "the API reports Airflow {} instead of {}",
                        health.version.unwrap_or_default(),
                        spec.airflow_version
                    )
                } else {
                    health.detail
                };
                return Err(unhealthy(detail));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    fn logs(&self, process: Option<&str>, lines: usize) -> Result<Vec<(String, String)>> {
        let dir = self.state_dir.join("logs");
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()?
                            .strip_suffix(".log")
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        if let Some(p) = process {
            if !names.iter().any(|n| n == p) {
                return Err(DeployError::Other(format!(
                    "no log for `{p}` in {}; components with logs: {}",
                    dir.display(),
                    names.join(", ")
                )));
            }
            names.retain(|n| n == p);
        }
        Ok(names
            .into_iter()
            .map(|n| {
                let t = tail_file(&self.log_path(&n), lines);
                (n, t)
            })
            .collect())
    }
}

/// URL-safe base64 with padding (the Fernet key format).
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadb::MetaDb;

    fn spec(version: &str) -> RunSpec {
        RunSpec {
            label: "prod".into(),
            deploy_id: Some(1),
            airflow_version: version.into(),
            runtime: Some("3.1-5".into()),
            venv: "/venv".into(),
            code_dir: "/code".into(),
            port: 8080,
            db: MetaDb::Sqlite {
                path: "/s/airflow.db".into(),
            },
            env: vec![
                ("MY_VAR".into(), "1".into()),
                ("AIRFLOW__CORE__DAGS_FOLDER".into(), "/elsewhere".into()),
                ("AIRFLOW__CORE__LOAD_EXAMPLES".into(), "True".into()),
            ],
        }
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64_url(b"foob"), "Zm9vYg==");
        assert_eq!(base64_url(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8=");
        assert_eq!(base64_url(&[0u8; 32]).len(), 44);
    }

    #[test]
    fn environment_per_major_version() {
        let d = tempfile::tempdir().unwrap();
        let t = LocalTarget::new(d.path());
        let get = |env: &[(String, String)], k: &str| {
            env.iter().find(|(ek, _)| ek == k).map(|(_, v)| v.clone())
        };
        let env3 = t.environment(&spec("3.1.3")).unwrap();
        assert_eq!(
            get(&env3, "AIRFLOW__API__INSTANCE_NAME").as_deref(),
            Some("prod · Astro Runtime 3.1-5 · Airflow 3.1.3")
        );
        assert_eq!(
            get(&env3, "AIRFLOW__CORE__DAGS_FOLDER").as_deref(),
            Some("/code/dags")
        );
        assert_eq!(
            get(&env3, "AIRFLOW__CORE__LOAD_EXAMPLES").as_deref(),
            Some("True")
        );
        assert_eq!(get(&env3, "MY_VAR").as_deref(), Some("1"));
        assert!(get(&env3, "AIRFLOW__WEBSERVER__INSTANCE_NAME").is_none());
        let env2 = t.environment(&spec("2.10.5")).unwrap();
        assert!(get(&env2, "AIRFLOW__WEBSERVER__INSTANCE_NAME").is_some());
        assert!(get(&env2, "AIRFLOW_HOME").unwrap().ends_with("home/2.10.5"));
        // The secrets stay the same across versions, so connections stay readable.
        assert_eq!(
            get(&env2, "AIRFLOW__CORE__FERNET_KEY"),
            get(&env3, "AIRFLOW__CORE__FERNET_KEY")
        );
    }
}
