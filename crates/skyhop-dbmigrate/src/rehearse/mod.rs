//! Rehearsing an Airflow metadata-database migration on a copy of a real database.
//!
//! [`rehearse`] reads the source database in read-only sessions only, checks that its Alembic
//! revision is the project's Airflow version and older than the target, copies it (PostgreSQL:
//! `pg_dump` in a read-only snapshot, loaded into a [`ScratchPostgres`] server that is removed
//! afterwards; SQLite: `VACUUM INTO` a scratch file), runs the target's `airflow db migrate` on the
//! copy through a small Python driver that timestamps every Alembic revision, lists the tables
//! the migration moved aside (`_airflow_moved__*`, `dangling_*`), dropped or added, then
//! rehearses the way back on a second copy (`airflow db downgrade --to-version <current>` with
//! the target's environment) and lists what that rollback would lose.
//!
//! The result, [`Rehearsal`], serializes to `db_rehearsal.json` ([`Rehearsal::write_json`]) and
//! renders as a Markdown section ([`Rehearsal::to_markdown`]) for reports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use skyhop_core::Progress;

use crate::error::{DbError, IoContext, Result};
use crate::metadb::MetaDb;
use crate::pgserver::ScratchPostgres;
use crate::private;
use crate::versions::{airflow_major, compare_airflow};

mod render;
mod work;

pub(crate) use work::Work;

const DRIVER: &str = include_str!("rehearse_driver.py");

/// What to rehearse.
#[derive(Debug, Clone)]
pub struct RehearseSpec {
    /// The database to copy; only ever read.
    pub source: MetaDb,
    /// The Airflow version the project runs today. When given, a database whose Alembic
    /// revision is not that version's schema is refused; it is also the downgrade target.
    pub from_airflow: Option<String>,
    /// The Airflow version to migrate to.
    pub target_airflow: String,
    /// An environment of `target_airflow` with the database drivers (`psycopg2`; `asyncpg` on
    /// Airflow 3) installed.
    pub target_venv: PathBuf,
    /// Also rehearse the downgrade back to the current version on a second copy.
    pub rollback: bool,
    /// Where the scratch copies (and the scratch PostgreSQL server) go, in a new directory
    /// removed afterwards; `None`: the system's temporary directory. They need about twice the
    /// database's size.
    pub scratch_dir: Option<PathBuf>,
}

/// The outcome of a rehearsal (also when the migration itself failed: see
/// [`Migration::error`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rehearsal {
    /// The source database, password hidden.
    pub source: String,
    /// `postgresql` or `sqlite`.
    pub backend: String,
    /// The source's Alembic revision.
    pub from_revision: String,
    /// The Airflow version whose schema the source has (the version that introduced its
    /// revision, or the project's version when given).
    pub from_airflow: String,
    pub target_airflow: String,
    /// The target's head revision.
    pub target_revision: String,
    /// Task instances in the source (the size migration time scales with).
    pub task_instances: u64,
    /// Seconds to copy the source (dump and load).
    pub copy_seconds: f64,
    pub migration: Migration,
    /// Rows per table of the copy before the migration.
    pub tables_before: Vec<TableRows>,
    /// `_airflow_moved__*` and `dangling_*` tables after the migration (`new`: made by it).
    pub moved: Vec<MovedTable>,
    /// Tables the migration dropped, with the rows they held.
    pub dropped: Vec<TableRows>,
    /// Tables the migration renamed (a dropped and a created table with the same rows).
    pub renamed: Vec<Renamed>,
    /// Tables the migration created.
    pub added: Vec<String>,
    /// The downgrade rehearsal, when asked for and the migration succeeded.
    pub rollback: Option<Rollback>,
    /// Seconds in Alembic that skyhop's built-in fit ([`crate::predict::builtin`], measured on
    /// skyhop's bench machine) predicts at this size, to compare with the measured time.
    #[serde(default)]
    pub reference_seconds: Option<f64>,
}

/// One run of Alembic migrations on a copy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Migration {
    /// The `airflow` command that ran.
    pub command: String,
    pub ok: bool,
    /// Seconds of the whole command (Python start-up, Airflow's own checks included).
    pub seconds: f64,
    /// Seconds inside Alembic (the sum of the revisions).
    pub alembic_seconds: f64,
    /// Every revision applied, in order.
    pub revisions: Vec<RevisionTime>,
    pub error: Option<MigrationError>,
}

/// One Alembic revision applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevisionTime {
    pub revision: String,
    pub down_revision: Option<String>,
    /// The Airflow version that introduced it (from the migration file's `airflow_version`).
    pub airflow_version: Option<String>,
    pub description: String,
    pub seconds: f64,
}

/// Why a migration failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MigrationError {
    /// The revision that was running.
    pub revision: Option<String>,
    pub airflow_version: Option<String>,
    pub message: String,
    /// The SQL statement that failed, when the error names one.
    pub statement: Option<String>,
}

/// A table and its row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    pub table: String,
    pub rows: u64,
}

/// A table that went away while one with the same (non-zero) number of rows appeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    pub from: String,
    pub to: String,
    pub rows: u64,
}

/// How many leading plus trailing characters two names share (`logical_date` and
/// `execution_date`: 5).
fn likeness(a: &str, b: &str) -> usize {
    let pre = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let suf = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .count();
    pre + suf
}

/// The [`likeness`] from which two names with the same row or value count are taken for a
/// rename.
const LIKE: usize = 3;

/// Tables of `old` missing from `new`: the renamed ones (paired with a table of `new` that
/// `old` lacks, by equal non-zero row count and names sharing at least [`LIKE`] leading or
/// trailing characters, the most alike first) and the dropped ones.
fn gone_tables(old: &Schema, new: &Schema) -> (Vec<Renamed>, Vec<TableRows>) {
    let mut appeared: Vec<(&String, u64)> = new
        .iter()
        .filter(|(t, _)| !old.contains_key(*t))
        .map(|(t, s)| (t, s.rows))
        .collect();
    let (mut renamed, mut dropped) = (Vec::new(), Vec::new());
    for (table, shape) in old.iter().filter(|(t, _)| !new.contains_key(*t)) {
        let best = appeared
            .iter()
            .enumerate()
            .filter(|(_, (t, rows))| {
                shape.rows > 0 && *rows == shape.rows && likeness(table, t) >= LIKE
            })
            .max_by_key(|(_, (t, _))| likeness(table, t))
            .map(|(i, _)| i);
        match best {
            Some(i) => {
                let (to, rows) = appeared.remove(i);
                renamed.push(Renamed {
                    from: table.clone(),
                    to: to.clone(),
                    rows,
                });
            }
            None => dropped.push(TableRows {
                table: table.clone(),
                rows: shape.rows,
            }),
        }
    }
    (renamed, dropped)
}

/// A table holding rows a migration set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedTable {
    pub table: String,
    pub rows: u64,
    /// Made by this migration (not there before).
    pub new: bool,
}

/// The rehearsed way back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rollback {
    /// The Airflow version downgraded to.
    pub to_airflow: String,
    pub downgrade: Migration,
    /// What to do in production: the downgrade when it worked, else restoring the backup.
    pub plan: String,
    /// Tables the downgrade drops, with their rows (empty tables left out).
    pub lost_tables: Vec<TableRows>,
    /// Tables the downgrade renames back (their rows are kept).
    pub renamed: Vec<Renamed>,
    /// Columns the downgrade drops, per table, with the rows whose value is not NULL.
    pub lost_columns: Vec<LostColumn>,
    /// Tables that keep existing but lose rows.
    pub lost_rows: Vec<LostRows>,
}

/// A column a rollback drops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostColumn {
    pub table: String,
    pub column: String,
    /// Rows with a value in it (not NULL) on the migrated copy.
    pub values: u64,
    /// The column the downgrade renames it back to (same table, same number of values):
    /// then nothing is lost.
    pub renamed_to: Option<String>,
}

/// Rows a rollback deletes from a table it keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostRows {
    pub table: String,
    pub before: u64,
    pub after: u64,
}

/// A table's columns and row count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TableShape {
    columns: Vec<String>,
    rows: u64,
}

type Schema = BTreeMap<String, TableShape>;

/// What the target environment's Airflow knows about its migrations.
#[derive(Debug, Clone, Deserialize)]
struct MigrationsInfo {
    heads_map: BTreeMap<String, String>,
    head: String,
    revisions: Vec<RevisionInfo>,
}

#[derive(Debug, Clone, Deserialize)]
struct RevisionInfo {
    revision: String,
    down_revision: Option<String>,
    airflow_version: Option<String>,
    doc: String,
}

impl MigrationsInfo {
    fn get(&self, rev: &str) -> Option<&RevisionInfo> {
        self.revisions.iter().find(|r| r.revision == rev)
    }

    /// The head revision of Airflow `version`: the heads map's entry for the newest version
    /// that is not newer than it.
    fn head_of(&self, version: &str) -> Option<(String, String)> {
        self.heads_map
            .iter()
            .filter(|(v, _)| compare_airflow(v, version).is_ok_and(|o| o.is_le()))
            .max_by(|a, b| compare_airflow(a.0, b.0).unwrap_or(std::cmp::Ordering::Equal))
            .map(|(v, r)| (v.clone(), r.clone()))
    }
}

/// The source's Alembic revision, read in a read-only session.
pub fn source_revision(db: &MetaDb) -> Result<String> {
    let tables = db.query(&tables_sql(db))?;
    if !tables
        .iter()
        .any(|r| r.first().is_some_and(|t| t == "alembic_version"))
    {
        return Err(DbError::Other(format!(
            "{} is not an Airflow metadata database: it has no `alembic_version` table",
            db.display()
        )));
    }
    let rows = db.query("SELECT version_num FROM alembic_version")?;
    match rows.as_slice() {
        [row] if row.first().is_some_and(|r| !r.is_empty()) => Ok(row[0].clone()),
        _ => Err(DbError::Other(format!(
            "{}: `alembic_version` should hold exactly one revision, it holds {}; is a migration half done?",
            db.display(),
            rows.len()
        ))),
    }
}

fn tables_sql(db: &MetaDb) -> String {
    if db.is_sqlite() {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name".into()
    } else {
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' ORDER BY table_name"
            .into()
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn parse_count(row: &[String], i: usize) -> u64 {
    row.get(i).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Every table's columns and exact row count (on a scratch copy: counting is cheap there).
fn schema(db: &MetaDb) -> Result<Schema> {
    let names: Vec<String> = db
        .query(&tables_sql(db))?
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect();
    let mut out = Schema::new();
    if names.is_empty() {
        return Ok(out);
    }
    let cols = if db.is_sqlite() {
        names
            .iter()
            .map(|t| {
                format!(
                    "SELECT '{}', name FROM pragma_table_info('{}')",
                    t.replace('\'', "''"),
                    t.replace('\'', "''")
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    } else {
        "SELECT table_name, column_name FROM information_schema.columns \
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
            .into()
    };
    for row in db.query(&cols)? {
        if let [t, c] = row.as_slice() {
            out.entry(t.clone()).or_default().columns.push(c.clone());
        }
    }
    for chunk in names.chunks(50) {
        let sql = chunk
            .iter()
            .map(|t| {
                format!(
                    "SELECT '{}', COUNT(*) FROM {}",
                    t.replace('\'', "''"),
                    quote(t)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for row in db.query(&sql)? {
            if let Some(t) = row.first() {
                out.entry(t.clone()).or_default().rows = parse_count(&row, 1);
            }
        }
    }
    out.retain(|t, _| names.contains(t));
    Ok(out)
}

fn is_moved(table: &str) -> bool {
    table.starts_with("_airflow_moved__") || table.starts_with("dangling_")
}

/// The copies a rehearsal works on: databases on a scratch server, or scratch SQLite files.
enum Scratch {
    Postgres(ScratchPostgres),
    Sqlite(PathBuf),
}

impl Scratch {
    fn db(&self, name: &str) -> MetaDb {
        match self {
            Scratch::Postgres(pg) => pg.metadb(name),
            Scratch::Sqlite(dir) => MetaDb::Sqlite {
                path: dir.join(format!("{name}.db")),
            },
        }
    }

    /// Database `name` as a copy of database `from`.
    fn clone_db(&self, from: &str, name: &str) -> Result<MetaDb> {
        match self {
            Scratch::Postgres(pg) => pg.create_db_from(name, Some(from))?,
            Scratch::Sqlite(dir) => {
                let src = dir.join(format!("{from}.db"));
                let dest = dir.join(format!("{name}.db"));
                std::fs::copy(&src, &dest).at(&dest)?;
            }
        }
        Ok(self.db(name))
    }
}

/// Checks that the source's revision fits the versions: returns the Airflow version of its
/// schema. Nothing is written before this passes.
fn check_versions(spec: &RehearseSpec, rev: &str, info: &MigrationsInfo) -> Result<String> {
    let target = &spec.target_airflow;
    let Some(known) = info.get(rev) else {
        return Err(DbError::Other(format!(
            "{} is at Alembic revision {rev}, which Airflow {target} does not know: the database \
             is newer than Airflow {target} (was it already migrated? a way back is `airflow db \
             downgrade`, not a rehearsal), or older than the migrations Airflow {target} ships \
             (they start at Airflow {}: upgrade to that first). Nothing was copied or written",
            spec.source.display(),
            info.revisions
                .last()
                .and_then(|r| r.airflow_version.clone())
                .unwrap_or_else(|| "2.7".into())
        )));
    };
    let db_version = known.airflow_version.clone().unwrap_or_default();
    if let Some(from) = &spec.from_airflow
        && let Some((head_version, head)) = info.head_of(from)
        && head != rev
    {
        return Err(DbError::Other(format!(
            "{} has the schema of another Airflow version than the project's: its Alembic \
             revision {rev} came with Airflow {db_version}, but Airflow {from} has revision \
             {head} (the schema of {head_version}). Point --db-url at this project's database, \
             or pass --from-airflow-version with the version that database runs. Nothing was \
             copied or written",
            spec.source.display(),
        )));
    }
    if rev == info.head {
        return Err(DbError::Other(format!(
            "{} is already at Airflow {target}'s schema (revision {rev}): there is no migration \
             to rehearse",
            spec.source.display()
        )));
    }
    Ok(spec.from_airflow.clone().unwrap_or(db_version))
}

/// Rehearses `spec` (see the module doc). Bad input (unreachable or unreadable database,
/// another version's schema, a database newer than the target, a target environment without
/// drivers) is an error before anything is copied; a migration that fails on the copy is a
/// result, with [`Migration::error`] set.
pub fn rehearse(spec: &RehearseSpec, progress: &dyn Progress) -> Result<Rehearsal> {
    let major = airflow_major(&spec.target_airflow)?;
    if let Some(from) = &spec.from_airflow
        && compare_airflow(from, &spec.target_airflow)?.is_ge()
    {
        return Err(DbError::Other(format!(
            "the target Airflow {} is not newer than the current {from}: a rehearsal migrates up",
            spec.target_airflow
        )));
    }
    spec.source.check_drivers(&spec.target_venv, major)?;

    progress.begin("read the source database", None);
    let rev = source_revision(&spec.source);
    progress.end("read the source database", "read-only");
    let rev = rev?;
    let work = Work::new(spec.scratch_dir.as_deref())?;
    progress.begin("read the target's migrations", None);
    let info = work.info(&spec.target_venv);
    progress.end("read the target's migrations", &spec.target_airflow);
    let info = info?;
    let from_airflow = check_versions(spec, &rev, &info)?;

    // Copy.
    progress.begin("copy the database", None);
    let t = Instant::now();
    let scratch = copy(spec, &work);
    let copy_seconds = t.elapsed().as_secs_f64();
    progress.end("copy the database", &format!("{copy_seconds:.1} s"));
    let scratch = scratch?;
    let main = scratch.db("rehearsal");
    let before = schema(&main)?;
    let task_instances = before.get("task_instance").map_or(0, |t| t.rows);

    // Migrate.
    progress.begin("migrate the copy", None);
    let migration = work.airflow(&spec.target_venv, &main, &["db", "migrate"], &info);
    let msg = match &migration {
        Ok(m) if m.ok => format!("{} revisions in {:.1} s", m.revisions.len(), m.seconds),
        _ => "failed".into(),
    };
    progress.end("migrate the copy", &msg);
    let migration = migration?;
    // After a failure the copy is half migrated (each revision commits on its own):
    // what it moved or dropped so far is not what the migration does.
    let after = if migration.ok {
        schema(&main)?
    } else {
        before.clone()
    };
    let moved = after
        .iter()
        .filter(|(t, _)| is_moved(t))
        .map(|(t, s)| MovedTable {
            table: t.clone(),
            rows: s.rows,
            new: !before.contains_key(t),
        })
        .collect();
    let (renamed, dropped) = gone_tables(&before, &after);
    let added = after
        .keys()
        .filter(|t| {
            !before.contains_key(*t) && !is_moved(t) && !renamed.iter().any(|r| &r.to == *t)
        })
        .cloned()
        .collect();

    let rollback = if spec.rollback && migration.ok {
        progress.begin("rehearse the rollback", None);
        let r = rehearse_rollback(spec, &work, &scratch, &after, &from_airflow, &info);
        progress.end(
            "rehearse the rollback",
            match &r {
                Ok(r) if r.downgrade.ok => "the downgrade works",
                Ok(_) => "the downgrade fails",
                Err(_) => "failed",
            },
        );
        Some(r?)
    } else {
        None
    };

    Ok(Rehearsal {
        source: spec.source.display(),
        backend: if spec.source.is_sqlite() {
            "sqlite"
        } else {
            "postgresql"
        }
        .into(),
        from_revision: rev.clone(),
        from_airflow,
        target_airflow: spec.target_airflow.clone(),
        target_revision: info.head.clone(),
        task_instances,
        copy_seconds,
        migration,
        tables_before: before
            .iter()
            .map(|(t, s)| TableRows {
                table: t.clone(),
                rows: s.rows,
            })
            .collect(),
        moved,
        dropped,
        renamed,
        added,
        rollback,
        reference_seconds: crate::predict::builtin(&rev, &spec.target_airflow)
            .map(|f| f.predict(task_instances)),
    })
}

/// Copies the source into database `rehearsal` of a new scratch server (or file).
fn copy(spec: &RehearseSpec, work: &Work) -> Result<Scratch> {
    match &spec.source {
        MetaDb::Postgres { .. } => {
            let dump = work.path("source.sql");
            spec.source.snapshot(&dump)?;
            let pg = match &spec.scratch_dir {
                Some(dir) => ScratchPostgres::start_in(dir)?,
                None => ScratchPostgres::start()?,
            };
            pg.create_db("rehearsal")?;
            pg.metadb("rehearsal").restore(&dump)?;
            let _ = std::fs::remove_file(&dump);
            Ok(Scratch::Postgres(pg))
        }
        MetaDb::Sqlite { .. } => {
            let dir = work.path("copies");
            private::dir(&dir)?;
            spec.source.snapshot(&dir.join("rehearsal.db"))?;
            Ok(Scratch::Sqlite(dir))
        }
    }
}

/// Downgrades a second copy of the migrated database and compares it with the first.
fn rehearse_rollback(
    spec: &RehearseSpec,
    work: &Work,
    scratch: &Scratch,
    migrated: &Schema,
    to: &str,
    info: &MigrationsInfo,
) -> Result<Rollback> {
    let db = scratch.clone_db("rehearsal", "rollback")?;
    let downgrade = work.airflow(
        &spec.target_venv,
        &db,
        &["db", "downgrade", "--to-version", to, "-y"],
        info,
    )?;
    let mut rollback = Rollback {
        to_airflow: to.to_string(),
        plan: String::new(),
        lost_tables: Vec::new(),
        renamed: Vec::new(),
        lost_columns: Vec::new(),
        lost_rows: Vec::new(),
        downgrade,
    };
    if !rollback.downgrade.ok {
        rollback.plan = format!(
            "`airflow db downgrade --to-version {to}` fails (see the error): to go back, restore \
             the backup taken before the migration; everything written after it is lost"
        );
        return Ok(rollback);
    }
    rollback.plan = format!(
        "`airflow db downgrade --to-version {to}` with the Airflow {} environment works; it loses \
         what is listed here (or restore the backup taken before the migration and lose \
         everything written after it)",
        spec.target_airflow
    );
    let after = schema(&db)?;
    let (renamed, dropped) = gone_tables(migrated, &after);
    rollback.renamed = renamed;
    rollback.lost_tables = dropped.into_iter().filter(|t| t.rows > 0).collect();
    for (table, shape) in migrated {
        match after.get(table) {
            None => {}
            Some(down) => {
                let kept: BTreeSet<&String> = down.columns.iter().collect();
                let had: BTreeSet<&String> = shape.columns.iter().collect();
                let mut gained: Vec<(String, u64)> = Vec::new();
                for col in down.columns.iter().filter(|c| !had.contains(c)) {
                    gained.push((col.clone(), count_values(&db, table, col, down.rows)?));
                }
                for col in shape.columns.iter().filter(|c| !kept.contains(c)) {
                    // Counted on the migrated copy, which still has the column.
                    let values = count_values(&scratch.db("rehearsal"), table, col, shape.rows)?;
                    let renamed_to = gained
                        .iter()
                        .enumerate()
                        .filter(|(_, (g, n))| {
                            values > 0 && *n == values && likeness(col, g) >= LIKE
                        })
                        .max_by_key(|(_, (g, _))| likeness(col, g))
                        .map(|(i, _)| i)
                        .map(|i| gained.remove(i).0);
                    rollback.lost_columns.push(LostColumn {
                        table: table.clone(),
                        column: col.clone(),
                        values,
                        renamed_to,
                    });
                }
                if down.rows < shape.rows {
                    rollback.lost_rows.push(LostRows {
                        table: table.clone(),
                        before: shape.rows,
                        after: down.rows,
                    });
                }
            }
        }
    }
    Ok(rollback)
}

/// Rows of `table` whose `column` is not NULL (`rows`: the table's count, 0 skips the query).
fn count_values(db: &MetaDb, table: &str, column: &str, rows: u64) -> Result<u64> {
    if rows == 0 {
        return Ok(0);
    }
    Ok(db
        .query(&format!(
            "SELECT COUNT({}) FROM {}",
            quote(column),
            quote(table)
        ))?
        .first()
        .map_or(0, |r| parse_count(r, 0)))
}

#[cfg(test)]
mod tests;
