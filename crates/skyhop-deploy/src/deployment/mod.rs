//! Deployments: named places a project is deployed to, with their settings, environment
//! variables, deploys, history and rollbacks.
//!
//! On disk, `<project>/.skyhop/deployments/<name>/` holds `state.db` (the SQLite store),
//! `lock` (held during deploys and rollbacks), `current` (the active deploy id, a convenience
//! copy of the store's pointer, replaced by rename), `bundles/<hash>/`, `backups/`, the default
//! SQLite metadata DB `airflow.db`, and `run/` (the local target's homes, logs and pids).
//! All of it is private and git-ignored ([`crate::private`]); secret values and the metadata DB
//! URL are stored encrypted ([`crate::secret`]) and decrypted only to start Airflow. A state
//! store that an earlier skyhop wrote with plain-text secrets is migrated by the first
//! [`Deployment::open`] that holds the lock, which says so in [`Deployment::notes`].
//!
//! Crash safety: a deploy is written as `pending` before anything changes, each step's phase
//! is committed before the step starts, and the active pointer only moves (in one transaction)
//! after Airflow reports healthy. When skyhop is killed, the next [`Deployment::open`] marks
//! the entry `interrupted`, and the next [`Deployment::recover`] (run first by every deploy,
//! rollback and start) stops what the interrupted deploy started, restores the metadata DB
//! backup when the DB was touched, and starts the active deploy again.

use std::cmp::Ordering;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use skyhop_core::Progress;

use crate::api::Health;
use crate::bundle;
use crate::error::{DeployError, IoContext, Result};
use crate::local::LocalTarget;
use crate::metadb::{MetaDb, redact_url};
use crate::private;
use crate::rollback::RollbackPlan;
use crate::secret::{self, SecretKey};
use crate::store::{DeployKind, DeployRecord, DeployStatus, NewRecord, Phase, Store};
use crate::target::{RunSpec, Target, TargetStatus};
use crate::versions::{airflow_major, compare_airflow, compare_runtime};

mod switch;

/// Default port of a deployment's web UI / API server.
pub const DEFAULT_PORT: u16 = 8080;
/// Default time a deploy waits for Airflow to report healthy.
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(240);

/// A deployment's settings (kept across deploys and rollbacks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    pub name: String,
    /// PostgreSQL URL of the metadata DB with its password replaced by `****` (the real one
    /// is stored encrypted); `None` for SQLite in the deployment directory.
    #[serde(skip_serializing)]
    pub db_url: Option<String>,
    pub port: u16,
    /// RFC 3339 creation time.
    pub created: String,
}

impl DeploymentConfig {
    /// The metadata DB, password hidden.
    pub fn db_display(&self) -> String {
        match &self.db_url {
            Some(u) => redact_url(u),
            None => "SQLite (in the deployment directory)".to_string(),
        }
    }
}

/// An environment variable of a deployment as listed: secret values are never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub key: String,
    /// The value, or `None` for a secret.
    pub value: Option<String>,
    pub secret: bool,
}

impl std::fmt::Display for EnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.key),
            None => write!(f, "{}=**** (secret)", self.key),
        }
    }
}

/// What to deploy. The CLI fills it from the project, the catalog and the environment crate.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub description: String,
    /// The project whose code is bundled.
    pub project_root: PathBuf,
    /// Airflow version of the environment.
    pub airflow_version: String,
    /// Astro Runtime label, when the project is on Runtime.
    pub runtime: Option<String>,
    /// Root of the installed environment (`bin/airflow`), e.g. `skyhop_env::Venv::root`.
    pub venv: PathBuf,
    /// Hash of the environment's lock.
    pub lock_hash: String,
    /// The parse test passed (the CLI runs it before calling [`Deployment::deploy`]).
    pub parse_ok: bool,
    /// `--force`: deploy even though the parse test was skipped or failed.
    pub forced: bool,
    /// How long to wait for Airflow to report healthy.
    pub health_timeout: Duration,
    /// Orders Runtime labels; `None` uses [`crate::compare_runtime`].
    pub runtime_order: Option<fn(&str, &str) -> Option<Ordering>>,
}

/// What to roll back to.
#[derive(Debug, Clone)]
pub struct RollbackRequest {
    /// The deploy whose code and version come back.
    pub deploy_id: i64,
    pub description: String,
    /// The user confirmed the consequences (`--yes`); needed when Airflow goes down.
    pub confirmed: bool,
    /// The environment of that deploy, when the one it ran with is gone (rebuilt by the CLI
    /// from the deploy's lock); `None` uses the recorded one.
    pub venv: Option<PathBuf>,
    pub health_timeout: Duration,
}

/// How a deploy or rollback ended. A failed deploy that was switched back is not an `Err`:
/// `record.status` is [`DeployStatus::FailedRolledBack`] and `message` says why.
#[derive(Debug, Clone, Serialize)]
pub struct DeployOutcome {
    pub record: DeployRecord,
    /// One or more sentences on what happened.
    pub message: String,
    /// The health that ended the wait, when Airflow became healthy.
    pub health: Option<Health>,
    /// The UI / API URL.
    pub url: String,
}

/// What a deployment is and runs now.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentStatus {
    pub config: DeploymentConfig,
    pub active: Option<DeployRecord>,
    pub target: TargetStatus,
    /// A deploy was interrupted and [`Deployment::recover`] has not run yet.
    pub recovery_needed: bool,
}

enum DbOp {
    Migrate,
    Downgrade { newer: Box<RunSpec> },
}

/// Held while a deploy or rollback runs (an exclusive lock on the `lock` file).
struct LockGuard(#[allow(dead_code)] fs::File);

/// One deployment of a project.
pub struct Deployment {
    dir: PathBuf,
    config: DeploymentConfig,
    /// The stored metadata DB URL: sealed, or plain text until an old store is migrated.
    db_url: Option<String>,
    store: Store,
    target: Box<dyn Target>,
    notes: Vec<String>,
}

/// Config key of the metadata DB URL (sealed) and what it is sealed as.
const DB_URL: &str = "db_url";
/// Config key of the metadata DB URL with its password hidden, for display.
const DB_DISPLAY: &str = "db_display";
/// Config key set while the store must still be rewritten to drop old plain-text pages.
const COMPACT: &str = "compact";

/// What the secret value of variable `key` is sealed as.
fn env_what(key: &str) -> String {
    format!("env:{key}")
}

impl std::fmt::Debug for Deployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployment")
            .field("dir", &self.dir)
            .field("name", &self.config.name)
            .finish()
    }
}

/// Where the deployments of a project live.
pub fn deployments_dir(project_root: &Path) -> PathBuf {
    project_root.join(private::STATE_DIR).join("deployments")
}

/// Names of the project's deployments, sorted.
pub fn list(project_root: &Path) -> Result<Vec<String>> {
    let dir = deployments_dir(project_root);
    let mut names: Vec<String> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("state.db").is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).at(&dir),
    };
    names.sort();
    Ok(names)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_env_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn who() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(|| {
            // No login variables (cron, containers, CI): ask the system for the user name.
            std::process::Command::new("id")
                .arg("-un")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|u| !u.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

impl Deployment {
    /// Creates deployment `name` of the project (`db_url`: PostgreSQL, else SQLite).
    pub fn create(
        project_root: &Path,
        name: &str,
        db_url: Option<&str>,
        port: Option<u16>,
    ) -> Result<Deployment> {
        if !valid_name(name) {
            return Err(DeployError::BadName(name.to_string()));
        }
        let dir = deployments_dir(project_root).join(name);
        if dir.join("state.db").exists() {
            return Err(DeployError::DeploymentExists(name.to_string(), dir));
        }
        MetaDb::from_url(db_url, &dir.join("airflow.db"))?;
        private::state_root(project_root)?;
        private::dir(&dir)?;
        let store = Store::open(&dir.join("state.db"))?;
        store.set_config("name", name)?;
        store.set_config("port", &port.unwrap_or(DEFAULT_PORT).to_string())?;
        store.set_config("created", &jiff::Timestamp::now().to_string())?;
        if let Some(u) = db_url.map(str::trim).filter(|u| !u.is_empty()) {
            store.set_config(DB_DISPLAY, &redact_url(u))?;
            store.set_config(DB_URL, &SecretKey::get_or_create()?.seal(DB_URL, u)?)?;
        }
        drop(store);
        Deployment::open(project_root, name)
    }

    /// Opens deployment `name`; when no deploy is running, marks entries of a killed skyhop
    /// `interrupted` (see [`Deployment::recover`]).
    pub fn open(project_root: &Path, name: &str) -> Result<Deployment> {
        if !valid_name(name) {
            return Err(DeployError::BadName(name.to_string()));
        }
        let dir = deployments_dir(project_root).join(name);
        if !dir.join("state.db").is_file() {
            return Err(DeployError::NoSuchDeployment(name.to_string()));
        }
        let (_, ignore_was_missing) = private::state_root(project_root)?;
        let store = Store::open(&dir.join("state.db"))?;
        let db_url = store.get_config(DB_URL)?.filter(|u| !u.is_empty());
        let config = DeploymentConfig {
            name: name.to_string(),
            db_url: match store.get_config(DB_DISPLAY)? {
                Some(shown) => Some(shown),
                None => db_url
                    .as_deref()
                    .filter(|u| !secret::is_sealed(u))
                    .map(redact_url),
            },
            port: store
                .get_config("port")?
                .and_then(|p| p.parse().ok())
                .unwrap_or(DEFAULT_PORT),
            created: store.get_config("created")?.unwrap_or_default(),
        };
        let target = Box::new(LocalTarget::new(dir.join("run")));
        let mut d = Deployment {
            dir,
            config,
            db_url,
            store,
            target,
            notes: Vec::new(),
        };
        if ignore_was_missing {
            // State an older skyhop left: readable by others and not git-ignored until now.
            let state = project_root.join(private::STATE_DIR);
            private::tighten(&state)?;
            d.notes.push(format!(
                "{} is now private (directories 0700, files 0600) and ignored by git through its own `.gitignore`",
                state.display()
            ));
        }
        if let Ok(_lock) = d.lock() {
            d.seal_plain_text()?;
            d.reconcile()?;
        }
        Ok(d)
    }

    /// What opening the deployment changed and the user should hear once (a migration of an
    /// older skyhop's state).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Encrypts the secret values and DB URL an older skyhop stored in plain text, then
    /// rewrites the store so no old page keeps them. Lock held.
    fn seal_plain_text(&mut self) -> Result<()> {
        let plain: Vec<(String, String)> = self
            .store
            .env()?
            .into_iter()
            .filter(|(_, v, secret)| *secret && !secret::is_sealed(v))
            .map(|(k, v, _)| (k, v))
            .collect();
        let plain_url = self.db_url.clone().filter(|u| !secret::is_sealed(u));
        let pending = self
            .store
            .get_config(COMPACT)?
            .is_some_and(|v| !v.is_empty());
        if plain.is_empty() && plain_url.is_none() && !pending {
            return Ok(());
        }
        let mut what = Vec::new();
        if !plain.is_empty() || plain_url.is_some() {
            let key = SecretKey::get_or_create()?;
            self.store.set_config(COMPACT, "pending")?;
            for (k, v) in &plain {
                self.store.set_env(k, &key.seal(&env_what(k), v)?, true)?;
            }
            if !plain.is_empty() {
                what.push(format!("{} secret value(s)", plain.len()));
            }
            if let Some(u) = plain_url {
                let sealed = key.seal(DB_URL, &u)?;
                self.store.set_config(DB_DISPLAY, &redact_url(&u))?;
                self.store.set_config(DB_URL, &sealed)?;
                self.db_url = Some(sealed);
                what.push("the metadata DB URL".to_string());
            }
        }
        let clean = self.store.compact()?;
        if clean {
            self.store.set_config(COMPACT, "")?;
        }
        private::tighten(&self.dir)?;
        if !what.is_empty() {
            self.notes.push(format!(
                "deployment `{}`: encrypted {} that an earlier skyhop stored in plain text (key: {}); {} was rewritten so that no plain copy is left{}",
                self.config.name,
                what.join(" and "),
                secret::key_path().display(),
                self.dir.join("state.db").display(),
                if clean {
                    ""
                } else {
                    " once no other skyhop has it open (the next command finishes it)"
                }
            ));
        }
        Ok(())
    }

    /// The deployment's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The deployment's settings.
    pub fn config(&self) -> &DeploymentConfig {
        &self.config
    }

    /// Whether a deploy, rollback, start or stop of this deployment is running now (in this
    /// or another process): the error it would be refused with, else `None`. A hint for a
    /// caller that wants to refuse early; the operations take the lock themselves.
    pub fn busy(&self) -> Option<DeployError> {
        self.lock().err()
    }

    fn lock(&self) -> Result<LockGuard> {
        let path = self.dir.join("lock");
        let f = private::open(&path, true)?;
        match f.try_lock() {
            Ok(()) => Ok(LockGuard(f)),
            Err(fs::TryLockError::WouldBlock) => Err(DeployError::Locked(path)),
            Err(fs::TryLockError::Error(e)) => Err(e).at(&path),
        }
    }

    /// Marks pending entries interrupted and remembers what recovery must undo. Lock held.
    fn reconcile(&mut self) -> Result<()> {
        for r in self.store.interrupt_pending()? {
            let phase = r.phase.unwrap_or(Phase::Prepared);
            if phase >= Phase::Stopping {
                let restore = if phase >= Phase::DbChanging {
                    r.backup.as_ref().map(|b| b.display().to_string())
                } else {
                    None
                };
                self.store.set_config(
                    "recovery",
                    &serde_json::json!({ "deploy": r.id, "restore": restore }).to_string(),
                )?;
            }
        }
        self.write_pointer()
    }

    /// Rewrites the `current` pointer file from the store (temp file + rename).
    fn write_pointer(&self) -> Result<()> {
        let path = self.dir.join("current");
        let want = match self.store.active_id()? {
            Some(id) => format!("{id}\n"),
            None => String::new(),
        };
        if fs::read_to_string(&path).ok().as_deref() == Some(want.as_str()) {
            return Ok(());
        }
        private::replace(&path, want.as_bytes())
    }

    /// The metadata DB, its URL decrypted, for a migration rehearsal (`skyhop_dbmigrate::rehearse`);
    /// [`MetaDb`]'s `Debug`, `display` and JSON hide the password.
    pub fn metadb(&self) -> Result<MetaDb> {
        self.db()
    }

    /// The metadata DB, its URL decrypted: only to run Airflow or back it up.
    fn db(&self) -> Result<MetaDb> {
        let url = match &self.db_url {
            Some(u) if secret::is_sealed(u) => Some(SecretKey::get()?.open(DB_URL, u)?),
            other => other.clone(),
        };
        Ok(MetaDb::from_url(
            url.as_deref(),
            &self.dir.join("airflow.db"),
        )?)
    }

    fn bundles(&self) -> PathBuf {
        self.dir.join("bundles")
    }

    /// The variables with secret values decrypted: only to run Airflow.
    fn env_pairs(&self) -> Result<Vec<(String, String)>> {
        let rows = self.store.env()?;
        let key = match rows.iter().any(|(_, v, _)| secret::is_sealed(v)) {
            true => Some(SecretKey::get()?),
            false => None,
        };
        rows.into_iter()
            .map(|(k, v, _)| match &key {
                Some(key) if secret::is_sealed(&v) => {
                    let plain = key.open(&env_what(&k), &v)?;
                    Ok((k, plain))
                }
                _ => Ok((k, v)),
            })
            .collect()
    }

    /// The spec that runs `record`: its bundle and environment, today's settings and env vars.
    fn spec_for(&self, record: &DeployRecord, venv: Option<&Path>) -> Result<RunSpec> {
        Ok(RunSpec {
            label: format!("{} deploy {}", self.config.name, record.id),
            deploy_id: Some(record.id),
            airflow_version: record.airflow.clone(),
            runtime: record.runtime.clone(),
            venv: venv.map_or_else(|| record.venv.clone(), Path::to_path_buf),
            code_dir: bundle::path(&self.bundles(), &record.code_hash),
            port: self.config.port,
            db: self.db()?,
            env: self.env_pairs()?,
        })
    }

    /// Every deploy and rollback, oldest first.
    pub fn history(&self) -> Result<Vec<DeployRecord>> {
        self.store.history()
    }

    /// The deploy running now (the last one that succeeded and was switched to).
    pub fn active(&self) -> Result<Option<DeployRecord>> {
        Ok(self.history()?.into_iter().find(|r| r.active))
    }

    fn record(&self, id: i64) -> Result<DeployRecord> {
        self.history()?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(DeployError::NoSuchDeploy(id))
    }

    /// Sets an environment variable (applied at the next deploy, rollback or restart). A
    /// secret value is stored encrypted (the key is made on first use).
    pub fn set_env(&self, key: &str, value: &str, secret: bool) -> Result<()> {
        if !valid_env_key(key) {
            return Err(DeployError::BadEnvName(key.to_string()));
        }
        if secret {
            let sealed = SecretKey::get_or_create()?.seal(&env_what(key), value)?;
            return self.store.set_env(key, &sealed, true);
        }
        self.store.set_env(key, value, false)
    }

    /// Removes an environment variable; `false` when it was not set.
    pub fn unset_env(&self, key: &str) -> Result<bool> {
        self.store.unset_env(key)
    }

    /// The environment variables, secret values left out.
    pub fn list_env(&self) -> Result<Vec<EnvVar>> {
        Ok(self
            .store
            .env()?
            .into_iter()
            .map(|(key, value, secret)| EnvVar {
                key,
                value: (!secret).then_some(value),
                secret,
            })
            .collect())
    }

    /// Settings, active deploy, processes and health.
    pub fn status(&self) -> Result<DeploymentStatus> {
        Ok(DeploymentStatus {
            config: self.config.clone(),
            active: self.active()?,
            target: self.target.status()?,
            recovery_needed: self
                .store
                .get_config("recovery")?
                .is_some_and(|t| !t.is_empty()),
        })
    }

    /// The last `lines` lines of each component's log (or only `component`'s).
    pub fn logs(&self, component: Option<&str>, lines: usize) -> Result<Vec<(String, String)>> {
        self.target.logs(component, lines)
    }

    /// Undoes what a killed deploy or rollback left: stops its processes, restores the
    /// metadata DB when it was touched, and starts the active deploy again. Returns what it
    /// did, or `None` when there was nothing to recover.
    pub fn recover(&mut self, progress: &dyn Progress) -> Result<Option<String>> {
        let _lock = self.lock()?;
        self.recover_locked(progress)
    }

    fn recover_locked(&mut self, progress: &dyn Progress) -> Result<Option<String>> {
        self.reconcile()?;
        let Some(text) = self.store.get_config("recovery")?.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let info: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let id = info.get("deploy").and_then(|v| v.as_i64()).unwrap_or(0);
        progress.note(&format!(
            "deploy {id} was interrupted; putting the previous deploy back"
        ));
        self.target.stop(progress)?;
        let mut done = vec![format!("stopped what interrupted deploy {id} had started")];
        if let Some(backup) = info.get("restore").and_then(|v| v.as_str()) {
            let backup = PathBuf::from(backup);
            if backup.is_file() {
                self.db()?.restore(&backup)?;
                done.push(format!(
                    "restored the metadata DB from {}",
                    backup.display()
                ));
            }
        }
        if let Some(active) = self.active()? {
            let spec = self.spec_for(&active, None)?;
            self.target.start(&spec, progress)?;
            self.target
                .wait_healthy(&spec, DEFAULT_HEALTH_TIMEOUT, progress)?;
            done.push(format!(
                "deploy {} (Airflow {}) runs again",
                active.id, active.airflow
            ));
        }
        // An empty value means "nothing to recover".
        self.store.set_config("recovery", "")?;
        Ok(Some(done.join("; ")))
    }

    /// Starts the active deploy (after a reboot or `stop`), with the current env vars.
    pub fn start(&mut self, progress: &dyn Progress) -> Result<Health> {
        let _lock = self.lock()?;
        self.recover_locked(progress)?;
        let active = self
            .active()?
            .ok_or_else(|| DeployError::NothingDeployed(self.config.name.clone()))?;
        let spec = self.spec_for(&active, None)?;
        self.target.start(&spec, progress)?;
        self.target
            .wait_healthy(&spec, DEFAULT_HEALTH_TIMEOUT, progress)
    }

    /// Stops the deployment's processes.
    pub fn stop(&mut self, progress: &dyn Progress) -> Result<()> {
        let _lock = self.lock()?;
        self.target.stop(progress)
    }

    /// Stops the deployment and removes everything of it: history, settings, secrets, code
    /// bundles, backups, the SQLite metadata DB, logs. A PostgreSQL metadata DB is the user's
    /// server and is left as it is. Returns the directory removed.
    pub fn delete(self, progress: &dyn Progress) -> Result<PathBuf> {
        let lock = self.lock()?;
        self.target.stop(progress)?;
        let Deployment { dir, store, .. } = self;
        drop(store);
        fs::remove_dir_all(&dir).at(&dir)?;
        drop(lock);
        Ok(dir)
    }
}
