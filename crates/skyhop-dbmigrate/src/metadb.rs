//! An Airflow metadata database (a deployment's, or any a rehearsal reads): its connection
//! string, read-only queries, backups and restores.
//!
//! SQLite (a file in the state directory) is backed up by copying the file while Airflow is
//! stopped; PostgreSQL with `pg_dump` to a plain SQL file and restored with `psql` into an
//! emptied `public` schema. Backups are 0600; the password never appears on a command line
//! (`pg_dump` and `psql` get it through `PGPASSWORD`), in messages or in serialized specs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::{DbError, IoContext, Result};
use crate::private;
use crate::process::run_checked;

/// Where a deployment's Airflow metadata lives. `Debug` hides the password, as
/// [`MetaDb::display`] does.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MetaDb {
    /// A SQLite file (the default, in the state directory).
    Sqlite { path: PathBuf },
    /// A PostgreSQL database, by SQLAlchemy/libpq URL (`postgresql://user@host:port/db`).
    /// Serialized with its password replaced by `****` (status JSON, `run.json`).
    Postgres {
        #[serde(serialize_with = "serialize_redacted")]
        url: String,
    },
}

impl std::fmt::Debug for MetaDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl MetaDb {
    /// From a `--db-url`: `None` gives SQLite at `default_sqlite`.
    pub fn from_url(url: Option<&str>, default_sqlite: &Path) -> Result<MetaDb> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(MetaDb::Sqlite {
                path: default_sqlite.to_path_buf(),
            }),
            Some(u) if u.starts_with("sqlite:///") => Ok(MetaDb::Sqlite {
                path: PathBuf::from(&u["sqlite:///".len()..]),
            }),
            Some(u) if u.starts_with("postgres") => Ok(MetaDb::Postgres { url: u.to_string() }),
            Some(u) => Err(DbError::Other(format!(
                "`{}` is not a supported database URL: use `postgresql://user:password@host:port/db` or leave it out for SQLite",
                redact_url(u)
            ))),
        }
    }

    /// `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN` for this database.
    pub fn sql_alchemy_conn(&self) -> String {
        match self {
            MetaDb::Sqlite { path } => format!("sqlite:///{}", path.display()),
            MetaDb::Postgres { url } => {
                let rest = url
                    .strip_prefix("postgresql+psycopg2://")
                    .or_else(|| url.strip_prefix("postgresql://"))
                    .or_else(|| url.strip_prefix("postgres://"))
                    .unwrap_or(url);
                format!("postgresql+psycopg2://{rest}")
            }
        }
    }

    /// The libpq URL (`postgresql://…`) for `pg_dump`/`psql`.
    fn libpq_url(&self) -> Option<String> {
        match self {
            MetaDb::Postgres { .. } => Some(self.sql_alchemy_conn().replacen(
                "postgresql+psycopg2://",
                "postgresql://",
                1,
            )),
            MetaDb::Sqlite { .. } => None,
        }
    }

    /// A PostgreSQL client `tool` for this database, its password in `PGPASSWORD` (other users
    /// can read command lines), and the URL without it, to pass as the last argument.
    fn pg_command(&self, tool: &str) -> Result<(Command, String)> {
        let url = self.libpq_url().unwrap_or_default();
        let mut cmd = Command::new(pg_tool(tool)?);
        private::private_umask(&mut cmd);
        let (url, password) = split_password(&url);
        if let Some(pw) = password {
            cmd.env("PGPASSWORD", pw);
        }
        Ok((cmd, url))
    }

    /// Whether the database uses the SQLite backend (Airflow 2 then needs the SequentialExecutor).
    pub fn is_sqlite(&self) -> bool {
        matches!(self, MetaDb::Sqlite { .. })
    }

    /// The connection string with any password replaced by `****`, for messages.
    pub fn display(&self) -> String {
        match self {
            MetaDb::Sqlite { path } => format!("SQLite {}", path.display()),
            MetaDb::Postgres { url } => format!("PostgreSQL {}", redact_url(url)),
        }
    }

    /// Checks that the environment at `venv` has the database drivers Airflow `major` needs
    /// (`psycopg2`, plus `asyncpg` on Airflow 3, for PostgreSQL; nothing for SQLite).
    pub fn check_drivers(&self, venv: &Path, major: u64) -> Result<()> {
        if self.is_sqlite() {
            return Ok(());
        }
        let modules: &[&str] = if major >= 3 {
            &["psycopg2", "asyncpg"]
        } else {
            &["psycopg2"]
        };
        let python = venv.join("bin").join("python");
        let missing: Vec<&str> = modules
            .iter()
            .copied()
            .filter(|m| {
                !Command::new(&python)
                    .args(["-c", &format!("import {m}")])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(DbError::Other(format!(
            "the environment {} lacks the Python module(s) {} needed for a PostgreSQL metadata DB; \
             add `apache-airflow-providers-postgres` (or `psycopg2-binary`{}) to requirements.txt",
            venv.display(),
            missing.join(", "),
            if major >= 3 { " and `asyncpg`" } else { "" }
        )))
    }

    /// Backs the database up to `dest` (a file). A SQLite database that does not exist yet is
    /// backed up as "absent" (an empty marker), so restoring removes it again.
    pub fn backup(&self, dest: &Path) -> Result<()> {
        if let Some(parent) = dest.parent() {
            private::dir(parent)?;
        }
        let tmp = dest.with_extension("tmp");
        match self {
            MetaDb::Sqlite { path } => {
                if path.exists() {
                    private::copy(path, &tmp)?;
                } else {
                    private::write(&tmp, b"")?;
                }
            }
            MetaDb::Postgres { .. } => {
                // Created 0600 before pg_dump writes into it: the dump holds connections.
                private::write(&tmp, b"")?;
                let (mut cmd, url) = self.pg_command("pg_dump")?;
                // A read-only session: pg_dump reads in one repeatable-read snapshot anyway;
                // this makes sure nothing it runs can write to the source.
                cmd.env("PGOPTIONS", "-c default_transaction_read_only=on")
                    .env("PGCONNECT_TIMEOUT", "10")
                    .arg("--no-owner")
                    .arg("--no-privileges")
                    .arg("-f")
                    .arg(&tmp)
                    .arg(&url);
                run_checked(&mut cmd, "pg_dump")?;
                private::set_mode(&tmp, 0o600)?;
            }
        }
        fs::rename(&tmp, dest).at(dest)
    }

    /// A consistent copy of a live database to `dest`, never writing to it: PostgreSQL with
    /// [`MetaDb::backup`] (`pg_dump` in a read-only session), SQLite with `VACUUM INTO` on a
    /// read-only connection (a missing file is an error, not created).
    pub fn snapshot(&self, dest: &Path) -> Result<()> {
        match self {
            MetaDb::Postgres { .. } => self.backup(dest),
            MetaDb::Sqlite { path } => {
                let conn = self.sqlite_readonly(path)?;
                let _ = fs::remove_file(dest);
                conn.execute("VACUUM INTO ?1", [dest.display().to_string()])
                    .map_err(|e| DbError::Other(format!("cannot copy {}: {e}", self.display())))?;
                private::set_mode(dest, 0o600)
            }
        }
    }

    fn sqlite_readonly(&self, path: &Path) -> Result<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            DbError::Other(format!(
                "cannot open {} read-only: {e}; check the path in the URL",
                self.display()
            ))
        })
    }

    /// Runs a query in a read-only session and returns its rows, every value as text (NULL as
    /// an empty string). PostgreSQL through `psql` (`PGOPTIONS` makes the session read-only),
    /// SQLite through a read-only connection. A connection failure says what to check.
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        match self {
            MetaDb::Sqlite { path } => {
                let conn = self.sqlite_readonly(path)?;
                let fail = |e: rusqlite::Error| {
                    DbError::Other(format!("{}: query failed: {e}", self.display()))
                };
                let mut stmt = conn.prepare(sql).map_err(fail)?;
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |row| {
                        (0..n)
                            .map(|i| {
                                Ok(match row.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => String::new(),
                                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Text(t)
                                    | rusqlite::types::ValueRef::Blob(t) => {
                                        String::from_utf8_lossy(t).into_owned()
                                    }
                                })
                            })
                            .collect::<rusqlite::Result<Vec<String>>>()
                    })
                    .map_err(fail)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(fail)
            }
            MetaDb::Postgres { .. } => {
                let (mut cmd, url) = self.pg_command("psql")?;
                cmd.env("PGOPTIONS", "-c default_transaction_read_only=on")
                    .env("PGCONNECT_TIMEOUT", "10")
                    .args([
                        "-X",
                        "-q",
                        "-A",
                        "-t",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-F",
                        "\x1f",
                        "-c",
                    ])
                    .arg(sql)
                    .arg(&url)
                    .stdin(std::process::Stdio::null());
                let out = cmd
                    .output()
                    .map_err(|e| DbError::Other(format!("cannot run psql: {e}")))?;
                if !out.status.success() {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let first = err
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("psql failed")
                        .trim();
                    let hint = if err.contains("password authentication failed")
                        || err.contains("no password supplied")
                        || (err.contains("role") && err.contains("does not exist"))
                    {
                        "check the user name and password in the URL"
                    } else if err.contains("could not connect")
                        || err.contains("Connection refused")
                        || err.contains("could not translate host name")
                        || err.contains("timeout expired")
                    {
                        "check the host and port in the URL and that the server is up and reachable from here"
                    } else if err.contains("database") && err.contains("does not exist") {
                        "check the database name in the URL"
                    } else {
                        "check the URL and the database"
                    };
                    return Err(DbError::Other(format!(
                        "cannot read {}: {first}; {hint}",
                        self.display()
                    )));
                }
                Ok(String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(|l| l.split('\x1f').map(str::to_string).collect())
                    .collect())
            }
        }
    }

    /// Restores a backup made by [`MetaDb::backup`]. Airflow must be stopped.
    pub fn restore(&self, backup: &Path) -> Result<()> {
        match self {
            MetaDb::Sqlite { path } => {
                let empty = fs::metadata(backup).at(backup)?.len() == 0;
                for suffix in ["-wal", "-shm", "-journal"] {
                    let mut side = path.clone().into_os_string();
                    side.push(suffix);
                    let _ = fs::remove_file(PathBuf::from(side));
                }
                if empty {
                    let _ = fs::remove_file(path);
                    return Ok(());
                }
                let tmp = path.with_extension("restore-tmp");
                private::copy(backup, &tmp)?;
                fs::rename(&tmp, path).at(path)
            }
            MetaDb::Postgres { .. } => {
                let (mut wipe, url) = self.pg_command("psql")?;
                wipe.args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
                    .arg("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
                    .arg(&url);
                run_checked(&mut wipe, "psql (empty the public schema)")?;
                let (mut load, _) = self.pg_command("psql")?;
                load.args(["-v", "ON_ERROR_STOP=1", "-q", "-f"])
                    .arg(backup)
                    .arg(&url);
                run_checked(&mut load, "psql (restore the backup)")?;
                Ok(())
            }
        }
    }
}

fn serialize_redacted<S: serde::Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url(url))
}

/// Replaces the password of `scheme://user:password@host` (and a `password=` query
/// parameter) with `****`.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match split_password(base) {
        (_, None) => base.to_string(),
        (_, Some(_)) => {
            let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
            let (userinfo, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:****@{host}")
        }
    };
    match query {
        None => base,
        Some(q) => {
            let params: Vec<String> = q
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=****"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
    }
}

/// `scheme://user:password@host/...` → (`scheme://user@host/...`, the password decoded from
/// its percent-encoding); the URL unchanged and `None` when it holds no password.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let (userinfo, host) = (&rest[..at], &rest[at + 1..]);
    match userinfo.split_once(':') {
        Some((user, pw)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decode(pw)),
        ),
        None => (url.to_string(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds a PostgreSQL client tool on `PATH` or under `/usr/lib/postgresql/*/bin` (Debian).
pub fn pg_tool(name: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    }) {
        return Ok(p);
    }
    pg_bin_dir()
        .map(|d| d.join(name))
        .filter(|p| p.is_file())
        .ok_or_else(|| DbError::MissingTool(name.to_string()))
}

/// The newest `/usr/lib/postgresql/<major>/bin` directory, when PostgreSQL is installed there.
pub fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, p)| p.is_dir())
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings() {
        let db = MetaDb::from_url(None, Path::new("/s/airflow.db")).unwrap();
        assert_eq!(db.sql_alchemy_conn(), "sqlite:////s/airflow.db");
        let pg =
            MetaDb::from_url(Some("postgresql://u:pw@127.0.0.1:5433/af"), Path::new("/x")).unwrap();
        assert_eq!(
            pg.sql_alchemy_conn(),
            "postgresql+psycopg2://u:pw@127.0.0.1:5433/af"
        );
        assert_eq!(
            pg.libpq_url().unwrap(),
            "postgresql://u:pw@127.0.0.1:5433/af"
        );
        assert_eq!(
            pg.display(),
            "PostgreSQL postgresql://u:****@127.0.0.1:5433/af"
        );
        let err = MetaDb::from_url(Some("mysql://u:pw@h/x"), Path::new("/x")).unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
        assert_eq!(
            split_password("postgresql://u:p%40ss@h:5/db"),
            ("postgresql://u@h:5/db".into(), Some("p@ss".into()))
        );
        assert_eq!(
            split_password("postgresql://u@h/db"),
            ("postgresql://u@h/db".into(), None)
        );
        assert_eq!(
            redact_url("postgresql://u@h/db?sslmode=require&password=x"),
            "postgresql://u@h/db?sslmode=require&password=****"
        );
        assert!(!format!("{pg:?}").contains("pw"));
        let json = serde_json::to_string(&pg).unwrap();
        assert!(json.contains("u:****@") && !json.contains("pw"), "{json}");
    }

    #[test]
    fn sqlite_backup_and_restore_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let db = MetaDb::Sqlite {
            path: d.path().join("a.db"),
        };
        let b0 = d.path().join("b0");
        db.backup(&b0).unwrap(); // absent
        fs::write(d.path().join("a.db"), "v1").unwrap();
        let b1 = d.path().join("b1");
        db.backup(&b1).unwrap();
        fs::write(d.path().join("a.db"), "v2").unwrap();
        db.restore(&b1).unwrap();
        assert_eq!(fs::read_to_string(d.path().join("a.db")).unwrap(), "v1");
        db.restore(&b0).unwrap();
        assert!(!d.path().join("a.db").exists());
    }
}
