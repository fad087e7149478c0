use super::work::migration_from;
use super::*;

fn info() -> MigrationsInfo {
    MigrationsInfo {
        heads_map: [("2.9.2", "b"), ("2.10.3", "c"), ("3.1.0", "e")]
            .iter()
            .map(|(v, r)| (v.to_string(), r.to_string()))
            .collect(),
        head: "e".into(),
        revisions: ["a", "b", "c", "d", "e"]
            .iter()
            .zip(["2.9.0", "2.9.2", "2.10.3", "3.0.0", "3.1.0"])
            .map(|(r, v)| RevisionInfo {
                revision: r.to_string(),
                down_revision: None,
                airflow_version: Some(v.into()),
                doc: format!("doc {r}"),
            })
            .collect(),
    }
}

fn spec(from: Option<&str>) -> RehearseSpec {
    RehearseSpec {
        source: MetaDb::Postgres {
            url: "postgresql://u:secret@h/db".into(),
        },
        from_airflow: from.map(str::to_string),
        target_airflow: "3.1.3".into(),
        target_venv: PathBuf::from("/v"),
        rollback: true,
        scratch_dir: None,
    }
}

#[test]
fn version_checks() {
    let i = info();
    assert_eq!(i.head_of("2.10.5").unwrap().1, "c");
    assert_eq!(i.head_of("2.10.2").unwrap().1, "b");
    assert_eq!(
        check_versions(&spec(Some("2.10.5")), "c", &i).unwrap(),
        "2.10.5"
    );
    assert_eq!(check_versions(&spec(None), "c", &i).unwrap(), "2.10.3");
    let other = check_versions(&spec(Some("2.9.3")), "c", &i)
        .unwrap_err()
        .to_string();
    assert!(
        other.contains("another Airflow version") && !other.contains("secret"),
        "{other}"
    );
    let newer = check_versions(&spec(None), "zz", &i)
        .unwrap_err()
        .to_string();
    assert!(newer.contains("does not know"), "{newer}");
    let same = check_versions(&spec(None), "e", &i)
        .unwrap_err()
        .to_string();
    assert!(same.contains("already"), "{same}");
}

#[test]
fn renamed_and_dropped_tables() {
    let shape = |rows| TableShape {
        columns: vec!["id".into()],
        rows,
    };
    let old: Schema = [
        ("dataset", 10),
        ("dataset_event", 10),
        ("task_fail", 5),
        ("dag_pickle", 0),
        ("kept", 3),
    ]
    .into_iter()
    .map(|(t, r)| (t.to_string(), shape(r)))
    .collect();
    let new: Schema = [
        ("asset", 10),
        ("asset_event", 10),
        ("kept", 3),
        ("backfill", 0),
    ]
    .into_iter()
    .map(|(t, r)| (t.to_string(), shape(r)))
    .collect();
    let (renamed, dropped) = gone_tables(&old, &new);
    let pairs: Vec<(&str, &str)> = renamed
        .iter()
        .map(|r| (r.from.as_str(), r.to.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [("dataset", "asset"), ("dataset_event", "asset_event")]
    );
    let gone: Vec<(&str, u64)> = dropped.iter().map(|t| (t.table.as_str(), t.rows)).collect();
    assert_eq!(gone, [("dag_pickle", 0), ("task_fail", 5)]);
}

#[test]
fn revision_times_from_driver_output() {
    let v = serde_json::json!({
        "ok": false,
        "steps": [
            {"direction": "upgrade", "from": "c", "to": "d", "doc": "", "start": 1.0},
            {"direction": "upgrade", "from": "d", "to": "e", "doc": "two", "start": 3.5},
        ],
        "alembic_end": 4.0,
        "error": {"message": "ProgrammingError: boom", "statement": "ALTER TABLE x"}
    });
    let m = migration_from(&v, "airflow db migrate", 9.0, &info(), "");
    assert_eq!(m.revisions.len(), 2);
    assert_eq!(m.revisions[0].revision, "d");
    assert_eq!(m.revisions[0].description, "doc d");
    assert!((m.revisions[0].seconds - 2.5).abs() < 1e-9);
    assert!((m.revisions[1].seconds - 0.5).abs() < 1e-9);
    let e = m.error.unwrap();
    assert_eq!(e.revision.as_deref(), Some("e"));
    assert_eq!(e.airflow_version.as_deref(), Some("3.1.0"));
    assert_eq!(e.statement.as_deref(), Some("ALTER TABLE x"));
}
