//! Where skyhop's Python scripts run: the migration driver and the seeding script, in a
//! private temporary directory with an Airflow home, against one database.

use super::*;

/// Where skyhop's Python scripts run: a temporary directory with an Airflow home and the
/// scripts, removed on drop.
pub(crate) struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    pub(crate) fn new(parent: Option<&Path>) -> Result<Work> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let dir = tempfile::Builder::new()
            .prefix("skyhop-rehearse-")
            .tempdir_in(&parent)
            .map_err(|e| DbError::Other(format!("cannot make a temporary directory: {e}")))?;
        private::dir(dir.path())?;
        private::write(&dir.path().join("driver.py"), DRIVER.as_bytes())?;
        Ok(Work { dir })
    }

    /// Writes another script into the directory.
    pub(crate) fn add_script(&self, name: &str, text: &str) -> Result<()> {
        private::write(&self.path(name), text.as_bytes())
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the driver in `venv` against `db`; returns its JSON output, its exit status and
    /// its output.
    pub(super) fn driver(
        &self,
        venv: &Path,
        db: &MetaDb,
        args: &[&str],
        out_name: &str,
    ) -> Result<(serde_json::Value, bool, String)> {
        self.script(venv, db, "driver.py", args, out_name)
    }

    /// Runs Python `script` (written into this directory) in `venv` with Airflow pointed at
    /// `db` and a private home, as `script <args[0]> OUT <args[1..]>`; `OUT` is where the
    /// script writes its JSON. An error when it wrote none.
    pub(crate) fn script(
        &self,
        venv: &Path,
        db: &MetaDb,
        script: &str,
        args: &[&str],
        out_name: &str,
    ) -> Result<(serde_json::Value, bool, String)> {
        let python = venv.join("bin").join("python");
        if !python.is_file() {
            return Err(DbError::NoAirflow(venv.to_path_buf()));
        }
        let home = self.path("airflow-home");
        private::dir(&home)?;
        let out = self.path(out_name);
        let _ = std::fs::remove_file(&out);
        let mut cmd = Command::new(&python);
        cmd.env_clear()
            .envs(skyhop_core::sealed_env(&home))
            .env("AIRFLOW_HOME", &home)
            .env("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", db.sql_alchemy_conn())
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
            .env("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
            .env("VIRTUAL_ENV", venv)
            .arg(self.path(script))
            .args(args.iter().take(1))
            .arg(&out)
            .args(args.iter().skip(1))
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::null());
        crate::private::private_umask(&mut cmd);
        let output = cmd
            .output()
            .map_err(|e| DbError::Other(format!("cannot run {}: {e}", python.display())))?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        let json = std::fs::read_to_string(&out)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        match json {
            Some(v) => Ok((v, output.status.success(), text)),
            None => Err(DbError::Command {
                command: format!("{} {script} (skyhop)", python.display()),
                status: output.status.to_string(),
                tail: crate::process::tail(&text, 20),
            }),
        }
    }

    pub(super) fn info(&self, venv: &Path) -> Result<MigrationsInfo> {
        let db = MetaDb::Sqlite {
            path: self.path("unused.db"),
        };
        let (v, _, _) = self.driver(venv, &db, &["info"], "info.json")?;
        serde_json::from_value(v)
            .map_err(|e| DbError::Other(format!("the migration driver's output: {e}")))
    }

    /// Runs `airflow <args>` on `db` with the timing hooks.
    pub(super) fn airflow(
        &self,
        venv: &Path,
        db: &MetaDb,
        args: &[&str],
        info: &MigrationsInfo,
    ) -> Result<Migration> {
        let mut all = vec!["cli", "--"];
        all.extend_from_slice(args);
        let t = Instant::now();
        let (v, _, output) = self.driver(venv, db, &all, "run.json")?;
        let seconds = t.elapsed().as_secs_f64();
        Ok(migration_from(
            &v,
            &format!("airflow {}", args.join(" ")),
            seconds,
            info,
            &output,
        ))
    }
}

/// Reads the driver's `cli` output: the revisions' start times become durations.
pub(super) fn migration_from(
    v: &serde_json::Value,
    command: &str,
    seconds: f64,
    info: &MigrationsInfo,
    output: &str,
) -> Migration {
    let f = |v: &serde_json::Value, k: &str| v.get(k).and_then(serde_json::Value::as_f64);
    let s = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let steps = v
        .get("steps")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let end = f(v, "alembic_end").or_else(|| f(v, "end")).unwrap_or(0.0);
    let mut revisions = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let start = f(step, "start").unwrap_or(0.0);
        let next = steps.get(i + 1).and_then(|n| f(n, "start")).unwrap_or(end);
        let downgrade = s(step, "direction").as_deref() == Some("downgrade");
        // A downgrade step "A -> B" undoes revision A.
        let revision = if downgrade {
            s(step, "from").unwrap_or_default()
        } else {
            s(step, "to").unwrap_or_default()
        };
        let known = info.get(&revision);
        revisions.push(RevisionTime {
            down_revision: known.and_then(|r| r.down_revision.clone()),
            airflow_version: known.and_then(|r| r.airflow_version.clone()),
            description: s(step, "doc")
                .filter(|d| !d.is_empty())
                .or_else(|| known.map(|r| r.doc.clone()))
                .unwrap_or_default(),
            revision,
            seconds: (next - start).max(0.0),
        });
    }
    let ok = v.get("ok").and_then(serde_json::Value::as_bool) == Some(true);
    let error = (!ok).then(|| {
        let e = v.get("error").cloned().unwrap_or_default();
        let running = revisions.last();
        let mut message = s(&e, "message").unwrap_or_else(|| "the migration failed".into());
        if message.starts_with("airflow exited") {
            message = format!(
                "{message}; last lines:\n{}",
                crate::process::tail(output, 15)
            );
        }
        MigrationError {
            revision: running.map(|r| r.revision.clone()),
            airflow_version: running.and_then(|r| r.airflow_version.clone()),
            message,
            statement: s(&e, "statement"),
        }
    });
    Migration {
        command: command.to_string(),
        ok,
        seconds,
        alembic_seconds: revisions.iter().map(|r| r.seconds).sum(),
        revisions,
        error,
    }
}
