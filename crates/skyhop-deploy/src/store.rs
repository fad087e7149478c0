//! The state store of one deployment: an embedded SQLite database (WAL) with its config,
//! environment variables, deploy history and the active deploy. The file is 0600 (SQLite gives
//! its `-wal` and `-shm` files the same mode) and deleted content is zeroed
//! (`secure_delete`); secret values arrive here already sealed ([`crate::secret`]).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreContext};

/// What a history entry is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum DeployKind {
    /// A deploy of the project's current code.
    Deploy,
    /// A rollback, restoring the code and version of deploy `restored`.
    Rollback { restored: i64 },
}

/// How a deploy or rollback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployStatus {
    /// Under way (or skyhop was killed; reconciled to `Interrupted` at the next open).
    Pending,
    /// Healthy and switched to.
    Succeeded,
    /// Failed; the previous deploy was restored automatically.
    FailedRolledBack,
    /// skyhop stopped in the middle; the previous deploy stayed (or was put back) active.
    Interrupted,
}

impl DeployStatus {
    /// The word shown in history (`succeeded`, `failed-rolled-back`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DeployStatus::Pending => "pending",
            DeployStatus::Succeeded => "succeeded",
            DeployStatus::FailedRolledBack => "failed-rolled-back",
            DeployStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> DeployStatus {
        match s {
            "succeeded" => DeployStatus::Succeeded,
            "failed-rolled-back" => DeployStatus::FailedRolledBack,
            "interrupted" => DeployStatus::Interrupted,
            _ => DeployStatus::Pending,
        }
    }
}

/// Where a pending deploy got to: what recovery must undo after a crash. Each phase is
/// committed before its step starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Bundle stored; nothing running was touched.
    Prepared,
    /// The running deploy is being stopped.
    Stopping,
    /// The metadata DB is backed up and being migrated / downgraded.
    DbChanging,
    /// The new processes are being started.
    Starting,
    /// Finished (success or rolled back).
    Done,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Prepared => "prepared",
            Phase::Stopping => "stopping",
            Phase::DbChanging => "db-changing",
            Phase::Starting => "starting",
            Phase::Done => "done",
        }
    }

    fn parse(s: &str) -> Phase {
        match s {
            "stopping" => Phase::Stopping,
            "db-changing" => Phase::DbChanging,
            "starting" => Phase::Starting,
            "done" => Phase::Done,
            _ => Phase::Prepared,
        }
    }
}

/// One entry of a deployment's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRecord {
    pub id: i64,
    /// RFC 3339 UTC time the deploy started.
    pub time: String,
    pub description: String,
    /// Astro Runtime label, when the project is on Runtime.
    pub runtime: Option<String>,
    pub airflow: String,
    /// Hash of the code bundle.
    pub code_hash: String,
    /// Hash of the environment's lock.
    pub lock_hash: String,
    pub kind: DeployKind,
    pub status: DeployStatus,
    /// `$USER` of whoever ran it.
    pub who: String,
    /// Whether this is the deploy running now.
    pub active: bool,
    /// The parse test was skipped (`--force`) or failed and was overridden.
    pub forced: bool,
    /// What went wrong, for failed and interrupted entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The environment the deploy ran with.
    #[serde(skip)]
    pub venv: PathBuf,
    #[serde(skip)]
    pub(crate) phase: Option<Phase>,
    #[serde(skip)]
    pub(crate) backup: Option<PathBuf>,
}

/// A new history entry, before it has an id.
pub(crate) struct NewRecord<'a> {
    pub description: &'a str,
    pub runtime: Option<&'a str>,
    pub airflow: &'a str,
    pub code_hash: &'a str,
    pub lock_hash: &'a str,
    pub venv: &'a Path,
    pub kind: DeployKind,
    pub forced: bool,
}

/// One deployment's SQLite state store.
pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS env (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, secret INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deploys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL, description TEXT NOT NULL, runtime TEXT, airflow TEXT NOT NULL,
    code_hash TEXT NOT NULL, lock_hash TEXT NOT NULL, venv TEXT NOT NULL,
    kind TEXT NOT NULL, restored INTEGER, status TEXT NOT NULL, who TEXT NOT NULL,
    forced INTEGER NOT NULL, phase TEXT NOT NULL, backup TEXT, message TEXT);
CREATE TABLE IF NOT EXISTS active (
    one INTEGER PRIMARY KEY CHECK (one = 1), deploy_id INTEGER NOT NULL REFERENCES deploys(id));
";

impl Store {
    /// Opens (creating when asked) the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        // Created (or tightened) 0600 before SQLite opens it: its WAL files copy the mode.
        crate::private::open(path, true)?;
        let conn = Connection::open(path).db(path)?;
        conn.pragma_update(None, "secure_delete", "ON").db(path)?;
        conn.pragma_update(None, "journal_mode", "WAL").db(path)?;
        conn.pragma_update(None, "synchronous", "FULL").db(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .db(path)?;
        conn.execute_batch(SCHEMA).db(path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn get_config(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM config WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .db(&self.path)
    }

    pub fn set_config(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO config (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .db(&self.path)
            .map(|_| ())
    }

    /// Rewrites the whole file so no old page (or WAL frame) keeps a value that was replaced:
    /// the WAL is checkpointed and emptied, the database vacuumed, and the WAL emptied again.
    /// `false` when another connection kept the WAL from being emptied.
    pub fn compact(&self) -> Result<bool> {
        let truncate = || -> Result<bool> {
            let busy: i64 = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                .db(&self.path)?;
            Ok(busy == 0)
        };
        truncate()?;
        self.conn.execute_batch("VACUUM").db(&self.path)?;
        truncate()
    }

    /// `(key, value, secret)` sorted by key.
    pub fn env(&self) -> Result<Vec<(String, String, bool)>> {
        let mut st = self
            .conn
            .prepare("SELECT key, value, secret FROM env ORDER BY key")
            .db(&self.path)?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)))
            .db(&self.path)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db(&self.path)
    }

    pub fn set_env(&self, key: &str, value: &str, secret: bool) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO env (key, value, secret) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, secret = excluded.secret",
                params![key, value, secret as i64],
            )
            .db(&self.path)
            .map(|_| ())
    }

    /// Removes a variable; `false` when there was none.
    pub fn unset_env(&self, key: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM env WHERE key = ?1", [key])
            .db(&self.path)
            .map(|n| n > 0)
    }

    /// Writes a `pending` entry and returns its id.
    pub fn insert_pending(&self, r: &NewRecord<'_>, who: &str) -> Result<i64> {
        let (kind, restored) = match r.kind {
            DeployKind::Deploy => ("deploy", None),
            DeployKind::Rollback { restored } => ("rollback", Some(restored)),
        };
        self.conn
            .execute(
                "INSERT INTO deploys (time, description, runtime, airflow, code_hash, lock_hash,
                   venv, kind, restored, status, who, forced, phase)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11, ?12)",
                params![
                    jiff::Timestamp::now().to_string(),
                    r.description,
                    r.runtime,
                    r.airflow,
                    r.code_hash,
                    r.lock_hash,
                    r.venv.display().to_string(),
                    kind,
                    restored,
                    who,
                    r.forced as i64,
                    Phase::Prepared.as_str(),
                ],
            )
            .db(&self.path)?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn set_phase(&self, id: i64, phase: Phase) -> Result<()> {
        self.conn
            .execute(
                "UPDATE deploys SET phase = ?2 WHERE id = ?1",
                params![id, phase.as_str()],
            )
            .db(&self.path)
            .map(|_| ())
    }

    pub fn set_backup(&self, id: i64, backup: &Path) -> Result<()> {
        self.conn
            .execute(
                "UPDATE deploys SET backup = ?2 WHERE id = ?1",
                params![id, backup.display().to_string()],
            )
            .db(&self.path)
            .map(|_| ())
    }

    /// Ends a deploy: its status and message, and when it succeeded, makes it the active one,
    /// all in one transaction.
    pub fn finish(&mut self, id: i64, status: DeployStatus, message: Option<&str>) -> Result<()> {
        let tx = self.conn.transaction().db(&self.path)?;
        tx.execute(
            "UPDATE deploys SET status = ?2, message = ?3, phase = 'done' WHERE id = ?1",
            params![id, status.as_str(), message],
        )
        .db(&self.path)?;
        if status == DeployStatus::Succeeded {
            tx.execute(
                "INSERT INTO active (one, deploy_id) VALUES (1, ?1)
                 ON CONFLICT(one) DO UPDATE SET deploy_id = excluded.deploy_id",
                [id],
            )
            .db(&self.path)?;
        }
        tx.commit().db(&self.path)
    }

    pub fn active_id(&self) -> Result<Option<i64>> {
        self.conn
            .query_row("SELECT deploy_id FROM active WHERE one = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .db(&self.path)
    }

    /// Every entry, oldest first.
    pub fn history(&self) -> Result<Vec<DeployRecord>> {
        let active = self.active_id()?;
        let mut st = self
            .conn
            .prepare(
                "SELECT id, time, description, runtime, airflow, code_hash, lock_hash, venv,
                        kind, restored, status, who, forced, phase, backup, message
                 FROM deploys ORDER BY id",
            )
            .db(&self.path)?;
        st.query_map([], |r| {
            let id: i64 = r.get(0)?;
            let kind: String = r.get(8)?;
            let restored: Option<i64> = r.get(9)?;
            let status: String = r.get(10)?;
            let phase: String = r.get(13)?;
            let venv: String = r.get(7)?;
            let backup: Option<String> = r.get(14)?;
            Ok(DeployRecord {
                id,
                time: r.get(1)?,
                description: r.get(2)?,
                runtime: r.get(3)?,
                airflow: r.get(4)?,
                code_hash: r.get(5)?,
                lock_hash: r.get(6)?,
                kind: match (kind.as_str(), restored) {
                    ("rollback", Some(restored)) => DeployKind::Rollback { restored },
                    _ => DeployKind::Deploy,
                },
                status: DeployStatus::parse(&status),
                who: r.get(11)?,
                active: active == Some(id),
                forced: r.get::<_, i64>(12)? != 0,
                message: r.get(15)?,
                venv: PathBuf::from(venv),
                phase: Some(Phase::parse(&phase)),
                backup: backup.map(PathBuf::from),
            })
        })
        .db(&self.path)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .db(&self.path)
    }

    /// Marks every `pending` entry `interrupted` (they belong to a killed skyhop: callers hold
    /// the deploy lock) and returns them as they were, with their phase.
    pub fn interrupt_pending(&mut self) -> Result<Vec<DeployRecord>> {
        let pending: Vec<DeployRecord> = self
            .history()?
            .into_iter()
            .filter(|r| r.status == DeployStatus::Pending)
            .collect();
        if pending.is_empty() {
            return Ok(pending);
        }
        let tx = self.conn.transaction().db(&self.path)?;
        for r in &pending {
            tx.execute(
                "UPDATE deploys SET status = 'interrupted', message = ?2 WHERE id = ?1",
                params![
                    r.id,
                    format!(
                        "skyhop stopped during this {} (at the `{}` step); the previous deploy stayed active",
                        match r.kind {
                            DeployKind::Deploy => "deploy",
                            DeployKind::Rollback { .. } => "rollback",
                        },
                        r.phase.unwrap_or(Phase::Prepared).as_str()
                    )
                ],
            )
            .db(&self.path)?;
        }
        tx.commit().db(&self.path)?;
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new<'a>(airflow: &'a str, kind: DeployKind) -> NewRecord<'a> {
        NewRecord {
            description: "d",
            runtime: None,
            airflow,
            code_hash: "c",
            lock_hash: "l",
            venv: Path::new("/v"),
            kind,
            forced: false,
        }
    }

    #[test]
    fn history_and_active_switch_together() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("state.db")).unwrap();
        let a = s
            .insert_pending(&new("2.10.5", DeployKind::Deploy), "me")
            .unwrap();
        assert_eq!(s.active_id().unwrap(), None);
        s.finish(a, DeployStatus::Succeeded, None).unwrap();
        let b = s
            .insert_pending(&new("3.1.3", DeployKind::Deploy), "me")
            .unwrap();
        s.set_phase(b, Phase::Starting).unwrap();
        // skyhop killed here: the next open reconciles.
        let mut s = Store::open(&d.path().join("state.db")).unwrap();
        let interrupted = s.interrupt_pending().unwrap();
        assert_eq!(interrupted.len(), 1);
        assert_eq!(interrupted[0].phase, Some(Phase::Starting));
        let h = s.history().unwrap();
        assert_eq!(h[1].status, DeployStatus::Interrupted);
        assert!(h[0].active && !h[1].active);
        let r = s
            .insert_pending(&new("2.10.5", DeployKind::Rollback { restored: a }), "me")
            .unwrap();
        s.finish(r, DeployStatus::Succeeded, None).unwrap();
        let h = s.history().unwrap();
        assert_eq!(h[2].kind, DeployKind::Rollback { restored: a });
        assert!(h[2].active);
    }

    #[test]
    fn env_vars_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("state.db")).unwrap();
        s.set_env("B", "2", true).unwrap();
        s.set_env("A", "1", false).unwrap();
        s.set_env("A", "3", false).unwrap();
        assert_eq!(
            s.env().unwrap(),
            [
                ("A".into(), "3".into(), false),
                ("B".into(), "2".into(), true)
            ]
        );
        assert!(s.unset_env("A").unwrap());
        assert!(!s.unset_env("A").unwrap());
    }
}
