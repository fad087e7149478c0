//! Real Airflow metadata databases: seeds a real PostgreSQL under Airflow 2.10.5, rehearses
//! its migration to 3.1.3 (with the way back) on copies and checks that the source was never
//! written; measures the migration's time at several sizes (the benchmark); rehearses a
//! migration that fails (SQLite).
//!
//! Set `SKYHOP_SKIP_REAL_AIRFLOW=1` to skip them (they take minutes).
//!
//! Environments come from skyhop-env (`airflow_venv`, cached), or from the directories in
//! `SKYHOP_TEST_VENV_2` / `SKYHOP_TEST_VENV_3`. The scenarios run one after the other (a global
//! lock).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use skyhop_core::Progress;
use skyhop_dbmigrate::pgserver::ScratchPostgres;

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

/// `sha256` of the `pg_dump` of `db`: the same before and after means it was not written.
/// The random key of pg_dump's `\restrict` lines (new in each dump) is left out.
fn dump_checksum(db: &skyhop_dbmigrate::MetaDb, dir: &Path) -> String {
    use sha2::Digest;
    let file = dir.join("checksum.sql");
    db.backup(&file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let mut hash = sha2::Sha256::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
    {
        hash.update(line.as_bytes());
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}

/// A directory for a rehearsal's scratch copies that the `postgres` user can reach.
fn scratch_parent() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        d.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    d
}

/// What is left in a scratch directory (should be nothing).
fn left_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Seeds a real PostgreSQL under Airflow 2.10.5 with 10⁵ task instances
/// (`SKYHOP_REHEARSE_TASK_INSTANCES` sets another size; 10⁵ takes ~3.5 min on 2 busy cores,
/// 10⁴ about 40 s), rehearses 2.10.5 → 3.1.3 with the rollback, and checks the report and
/// that the source database was never written; then the bad inputs, each refused before
/// anything is copied.
#[test]
fn rehearse_postgres_migration_2_to_3() {
    use skyhop_dbmigrate::rehearse::{RehearseSpec, rehearse};
    use skyhop_dbmigrate::seed::{SeedSpec, seed};

    let _serial = serial();
    let Some((pg, v2, v3)) = postgres_and_venvs() else {
        return;
    };
    let tis: u64 = std::env::var("SKYHOP_REHEARSE_TASK_INSTANCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let source = pg.metadb("airflow");
    let counts = timed(&format!("seed {tis} task instances (2.10.5)"), || {
        seed(
            &SeedSpec {
                db: source.clone(),
                airflow_version: AF2.into(),
                venv: v2.clone(),
                dag_runs: tis / 20,
                task_instances: tis,
            },
            &STEPS,
        )
    })
    .unwrap();
    assert_eq!(counts["task_instance"], tis, "{counts:?}");
    assert!(counts["xcom"] > 0 && counts["task_instance_history"] > 0 && counts["log"] > 0);
    let tmp = tempfile::tempdir().unwrap();
    let before = dump_checksum(&source, tmp.path());
    let scratch = scratch_parent();

    let spec = RehearseSpec {
        source: source.clone(),
        from_airflow: Some(AF2.into()),
        target_airflow: AF3.into(),
        target_venv: v3.clone(),
        rollback: true,
        scratch_dir: Some(scratch.path().to_path_buf()),
    };
    let r = timed("rehearse 2.10.5 -> 3.1.3", || rehearse(&spec, &STEPS)).unwrap();
    eprintln!("{}", r.to_markdown());
    assert!(r.migration.ok, "{:?}", r.migration.error);
    assert_eq!(r.task_instances, tis);
    assert_eq!(r.from_revision, "5f2621c13b39");
    assert!(r.reference_seconds.is_some_and(|s| s > 0.0));
    let revs = &r.migration.revisions;
    assert!(revs.len() > 20, "{revs:?}");
    assert_eq!(revs.last().unwrap().revision, r.target_revision);
    assert!(
        revs.iter()
            .all(|v| v.airflow_version.is_some() && v.seconds >= 0.0)
    );
    assert!(
        revs.iter()
            .any(|v| v.airflow_version.as_deref() == Some("3.0.0"))
    );
    assert!(
        revs.iter()
            .any(|v| v.airflow_version.as_deref() == Some("3.1.0"))
    );
    let sum: f64 = revs.iter().map(|v| v.seconds).sum();
    assert!(
        sum > 0.0 && sum <= r.migration.seconds + 0.5,
        "{sum} vs {}",
        r.migration.seconds
    );
    let rollback = r.rollback.as_ref().expect("the rollback was rehearsed");
    assert!(!rollback.plan.is_empty());
    if rollback.downgrade.ok {
        assert!(!rollback.downgrade.revisions.is_empty());
    }
    let written = r.write_json(&tmp.path().join("out")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert!(json["migration"]["revisions"].as_array().unwrap().len() == revs.len());
    assert!(json.get("moved").is_some() && json.get("rollback").is_some());

    // Bad input: each a clear error, nothing copied.
    let other = RehearseSpec {
        from_airflow: Some("2.9.3".into()),
        ..spec.clone()
    };
    let e = rehearse(&other, &STEPS).unwrap_err().to_string();
    assert!(e.contains("another Airflow version"), "{e}");
    let closed = skyhop_dbmigrate::pgserver::free_port().unwrap();
    let unreachable = RehearseSpec {
        source: skyhop_dbmigrate::MetaDb::Postgres {
            url: format!("postgresql://airflow:pw@127.0.0.1:{closed}/airflow"),
        },
        ..spec.clone()
    };
    let e = rehearse(&unreachable, &STEPS).unwrap_err().to_string();
    assert!(
        e.contains("check the host and port") && !e.contains(":pw@"),
        "{e}"
    );
    let nobody = RehearseSpec {
        source: skyhop_dbmigrate::MetaDb::Postgres {
            url: pg.url("airflow").replace("airflow@", "nobody:secret@"),
        },
        ..spec.clone()
    };
    let e = rehearse(&nobody, &STEPS).unwrap_err().to_string();
    assert!(
        e.contains("check the user name") && !e.contains("secret"),
        "{e}"
    );
    let backwards = RehearseSpec {
        from_airflow: Some(AF3.into()),
        target_airflow: AF2.into(),
        target_venv: v2.clone(),
        ..spec.clone()
    };
    let e = rehearse(&backwards, &STEPS).unwrap_err().to_string();
    assert!(e.contains("not newer"), "{e}");

    assert_eq!(
        dump_checksum(&source, tmp.path()),
        before,
        "the source was written"
    );
    assert_eq!(
        left_in(scratch.path()),
        Vec::<String>::new(),
        "scratch left"
    );
}

/// The benchmark behind `scripts/db-bench.sh` (ignored: it takes long): for each size in
/// `SKYHOP_BENCH_SIZES` (task instances, default `10000,100000,1000000`), a fresh database
/// seeded under 2.10.5 and rehearsed to 3.1.3 (no rollback); then per-revision lines fitted on
/// all sizes but the largest predict the largest. Writes `rehearsal-<size>.json`, `fit.json`,
/// `fit-all.json` (on every size: the built-in fit of `skyhop db rehearse --estimate`) and
/// `bench.md` into `SKYHOP_BENCH_OUT` (default: a temporary directory).
#[test]
#[ignore = "a benchmark: run scripts/db-bench.sh"]
fn bench_migration_time() {
    use std::fmt::Write;

    use skyhop_dbmigrate::predict::Fit;
    use skyhop_dbmigrate::rehearse::{RehearseSpec, rehearse};
    use skyhop_dbmigrate::seed::{SeedSpec, seed};

    let _serial = serial();
    let Some((pg, v2, v3)) = postgres_and_venvs() else {
        return;
    };
    let sizes: Vec<u64> = std::env::var("SKYHOP_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SKYHOP_BENCH_SIZES: numbers"))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = std::env::var_os("SKYHOP_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&out).unwrap();
    let mut runs = Vec::new();
    let mut md = String::from(
        "| task instances | seed (s) | copy (s) | `db migrate` (s) | in Alembic (s) | slowest revision (s) |\n\
         | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for (i, &n) in sizes.iter().enumerate() {
        let db = format!("bench{i}");
        pg.create_db(&db).unwrap();
        let source = pg.metadb(&db);
        let t = Instant::now();
        seed(
            &SeedSpec {
                db: source.clone(),
                airflow_version: AF2.into(),
                venv: v2.clone(),
                dag_runs: (n / 20).max(1),
                task_instances: n,
            },
            &STEPS,
        )
        .unwrap();
        let seed_s = t.elapsed().as_secs_f64();
        let spec = RehearseSpec {
            source,
            from_airflow: Some(AF2.into()),
            target_airflow: AF3.into(),
            target_venv: v3.clone(),
            rollback: false,
            scratch_dir: None,
        };
        let r = timed(&format!("rehearse at {n} task instances"), || {
            rehearse(&spec, &STEPS)
        })
        .unwrap();
        assert!(r.migration.ok, "{:?}", r.migration.error);
        std::fs::write(
            out.join(format!("rehearsal-{n}.json")),
            serde_json::to_string_pretty(&r).unwrap(),
        )
        .unwrap();
        let slow = r.slowest(1)[0];
        let _ = writeln!(
            md,
            "| {n} | {seed_s:.0} | {:.1} | {:.1} | {:.1} | `{}` {:.1} |",
            r.copy_seconds,
            r.migration.seconds,
            r.migration.alembic_seconds,
            slow.revision,
            slow.seconds
        );
        eprintln!(
            "BENCH {n}: seed {seed_s:.0} s, migrate {:.1} s",
            r.migration.seconds
        );
        runs.push(r);
    }
    if runs.len() >= 3 {
        let (small, big) = runs.split_at(runs.len() - 1);
        let fit = Fit::from_rehearsals(small).unwrap();
        let big = &big[0];
        let predicted = fit.predict(big.task_instances);
        let measured = big.migration.alembic_seconds;
        let _ = writeln!(
            md,
            "\nFit on {:?} task instances, predicting {}: **{predicted:.1} s** in Alembic, \
             measured {measured:.1} s: error **{:+.0} %**.\n\nSteepest revisions (seconds per 10⁶ task instances):\n",
            fit.sizes,
            big.task_instances,
            (predicted - measured) / measured * 100.0
        );
        for r in fit.steepest(5) {
            let got = big
                .migration
                .revisions
                .iter()
                .find(|x| x.revision == r.revision)
                .map_or(0.0, |x| x.seconds);
            let _ = writeln!(
                md,
                "- `{}` ({}): {:.1} s + {:.1} s/10⁶ → predicted {:.1} s, measured {got:.1} s",
                r.revision,
                r.description,
                r.fixed,
                r.per_million,
                (r.fixed + r.per_million * big.task_instances as f64 / 1e6).max(0.0)
            );
        }
        std::fs::write(
            out.join("fit.json"),
            serde_json::to_string_pretty(&fit).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(out.join("bench.md"), &md).unwrap();
    eprintln!("{md}");
}

/// A migration that fails on the copy is a result, not an error: the failing revision, its
/// Airflow version and the SQL statement, and the SQLite source is left as it was.
#[test]
fn rehearse_reports_the_failing_revision_on_sqlite() {
    use sha2::Digest;
    use skyhop_dbmigrate::rehearse::{RehearseSpec, rehearse};
    use skyhop_dbmigrate::seed::{SeedSpec, seed};

    let _serial = serial();
    let Some((v2, v3)) = sqlite_venvs() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("airflow.db");
    let source = skyhop_dbmigrate::MetaDb::Sqlite { path: path.clone() };
    let seeded = seed(
        &SeedSpec {
            db: source.clone(),
            airflow_version: AF2.into(),
            venv: v2,
            dag_runs: 10,
            task_instances: 100,
        },
        &STEPS,
    )
    .unwrap();
    assert_eq!(seeded["task_instance"], 100);
    // A table Airflow 3.0's "Add tables for backfill" revision creates: that revision fails.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE backfill (id INTEGER PRIMARY KEY)")
        .unwrap();
    let sum = || hex::encode(sha2::Sha256::digest(std::fs::read(&path).unwrap()));
    let before = sum();
    let spec = RehearseSpec {
        source,
        from_airflow: Some(AF2.into()),
        target_airflow: AF3.into(),
        target_venv: v3,
        rollback: true,
        scratch_dir: Some(tmp.path().to_path_buf()),
    };
    let r = timed("rehearse a failing migration (sqlite)", || {
        rehearse(&spec, &STEPS)
    })
    .unwrap();
    eprintln!("{}", r.to_markdown());
    assert!(!r.migration.ok);
    let e = r.migration.error.as_ref().unwrap();
    assert_eq!(e.revision.as_deref(), Some("522625f6d606"), "{e:?}");
    assert_eq!(e.airflow_version.as_deref(), Some("3.0.0"));
    assert!(e.message.contains("already exists"), "{e:?}");
    assert!(
        e.statement
            .as_deref()
            .is_some_and(|s| s.contains("CREATE TABLE backfill")),
        "{e:?}"
    );
    assert!(
        r.rollback.is_none(),
        "no rollback rehearsal after a failed migration"
    );
    assert!(
        r.to_markdown()
            .contains("**failed** at revision `522625f6d606`")
    );
    assert_eq!(sum(), before, "the source was written");
    assert_eq!(left_in(tmp.path()), ["airflow.db"], "scratch left");
}
