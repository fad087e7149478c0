//! A throwaway PostgreSQL server: `initdb` in a temporary directory, started on a free loopback
//! port with trust authentication, stopped and removed on drop (also when the caller fails).
//!
//! Used by the migration rehearsal ([`crate::rehearse`]) for its scratch copies, and by tests.
//! The server binaries come from the Debian package (`/usr/lib/postgresql/<major>/bin`); as
//! root, the server runs as the `postgres` user Debian creates (root cannot run `postgres`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{DbError, Result};
use crate::metadb::{MetaDb, pg_bin_dir};

/// A running scratch server; dropping it stops the server and deletes its directory.
pub struct ScratchPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_user: Option<&'static str>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for ScratchPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScratchPostgres(127.0.0.1:{})", self.port)
    }
}

impl ScratchPostgres {
    /// Starts a server with one database, `airflow`, owned by the superuser `airflow`, in the
    /// system's temporary directory.
    pub fn start() -> Result<ScratchPostgres> {
        Self::start_in(&std::env::temp_dir())
    }

    /// [`ScratchPostgres::start`] in a new directory under `parent` (as root, the `postgres`
    /// user must be able to reach it: `parent` and its ancestors need `o+x`).
    pub fn start_in(parent: &Path) -> Result<ScratchPostgres> {
        let bin = pg_bin_dir().ok_or_else(|| {
            DbError::MissingTool("the PostgreSQL server (/usr/lib/postgresql/*/bin/initdb)".into())
        })?;
        let dir = tempfile::Builder::new()
            .prefix("skyhop-pg-")
            .tempdir_in(parent)
            .map_err(|e| DbError::Other(format!("cannot make a temporary directory: {e}")))?;
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
        let as_user = is_root.then_some("postgres");
        if as_user.is_some() {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success())
                && Command::new("chmod")
                    .arg("755")
                    .arg(dir.path())
                    .status()
                    .is_ok_and(|s| s.success());
            if !ok {
                return Err(DbError::Other(format!(
                    "cannot hand {} to the `postgres` user (running as root needs it; install the \
                     Debian `postgresql` package, which creates that user)",
                    dir.path().display()
                )));
            }
        }
        let pg = ScratchPostgres {
            bin,
            data: dir.path().join("data"),
            port: free_port()?,
            as_user,
            _dir: dir,
        };
        let data = pg.data.display().to_string();
        pg.run(
            "initdb",
            &["-D", &data, "-U", "airflow", "--auth=trust", "-E", "UTF8"],
        )?;
        let opts = format!(
            "-p {} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            pg.port
        );
        let log = format!("{data}/server.log");
        pg.run(
            "pg_ctl",
            &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
        )?;
        pg.create_db("airflow")?;
        Ok(pg)
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://airflow@127.0.0.1:{}/{db}", self.port)
    }

    /// [`ScratchPostgres::url`] as a [`MetaDb`].
    pub fn metadb(&self, db: &str) -> MetaDb {
        MetaDb::Postgres { url: self.url(db) }
    }

    /// Creates database `db` (empty, or a copy of database `template` when given).
    pub fn create_db_from(&self, db: &str, template: Option<&str>) -> Result<()> {
        let port = self.port.to_string();
        let mut args = vec!["-h", "127.0.0.1", "-p", &port, "-U", "airflow"];
        if let Some(t) = template {
            args.extend(["-T", t]);
        }
        args.push(db);
        self.run("createdb", &args)
    }

    /// Creates the empty database `db`.
    pub fn create_db(&self, db: &str) -> Result<()> {
        self.create_db_from(db, None)
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<()> {
        let exe = self.bin.join(tool);
        let mut cmd = match self.as_user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).current_dir("/");
        crate::process::run_checked(&mut cmd, &format!("{tool} (scratch PostgreSQL server)"))
            .map(|_| ())
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
    }
}

/// A free loopback port.
pub fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DbError::Other(format!("no free loopback port: {e}")))
}
