use super::*;

#[test]
fn sizes_parse_and_print() {
    assert_eq!(parse_size("20G"), Some(20 << 30));
    assert_eq!(parse_size("20 GiB"), Some(20 << 30));
    assert_eq!(parse_size("1.5gb"), Some(3 << 29));
    assert_eq!(parse_size("500M"), Some(500 << 20));
    assert_eq!(parse_size("123"), Some(123));
    assert_eq!(parse_size("lots"), None);
    assert_eq!(parse_size("12X"), None);
    assert_eq!(human_bytes(10), "10 B");
    assert_eq!(human_bytes(1536), "1.5 KiB");
    assert_eq!(human_bytes(17 << 30), "17 GiB");
}

fn venv(root: &Path, hash: &str, bytes: usize, age_days: u64) -> PathBuf {
    let dir = root.join("venvs").join(hash);
    fs::create_dir_all(dir.join("bin")).unwrap();
    fs::write(dir.join("skyhop-venv.json"), r#"{"python_version":"3.11"}"#).unwrap();
    fs::write(dir.join("bin/data"), vec![b'x'; bytes]).unwrap();
    let site = dir.join("lib/python3.11/site-packages/apache_airflow-2.9.1.dist-info");
    fs::create_dir_all(site).unwrap();
    let use_file = root.join("venvs").join(format!("{hash}.use"));
    let f = File::create(&use_file).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(age_days * 86_400))
        .unwrap();
    dir
}

#[test]
fn prunes_by_age_then_by_size_least_recently_used_first() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path());
    let old = venv(dir.path(), "aaaa", 200_000, 40);
    let mid = venv(dir.path(), "bbbb", 200_000, 10);
    let new = venv(dir.path(), "cccc", 200_000, 0);
    // a hard link shared by two venvs frees nothing until both are gone
    fs::hard_link(mid.join("bin/data"), new.join("bin/shared")).unwrap();
    fs::create_dir_all(dir.path().join("locks")).unwrap();
    fs::write(dir.path().join("locks/k.txt"), "a==1\n").unwrap();
    fs::write(dir.path().join("locks/k.json"), "{}").unwrap();
    fs::write(dir.path().join("locks/k.lock"), "").unwrap();

    let u = usage(&cache).unwrap();
    assert_eq!(u.environments.len(), 3);
    assert_eq!(u.environments[0].hash, "aaaa", "least recently used first");
    assert_eq!(u.environments[0].python.as_deref(), Some("3.11"));
    assert_eq!(u.environments[0].airflow.as_deref(), Some("2.9.1"));
    let mid_use = u.environments.iter().find(|e| e.hash == "bbbb").unwrap();
    assert!(
        mid_use.frees < mid_use.bytes,
        "its data is shared with cccc"
    );
    let venvs = u.kinds.iter().find(|k| k.kind == Kind::Venvs).unwrap();
    assert_eq!(venvs.entries, 3);
    assert!(
        u.kinds
            .iter()
            .any(|k| k.kind == Kind::Locks && k.entries == 1)
    );

    // dry run: nothing removed
    let dry = prune(
        &cache,
        &PruneOptions {
            older_than: Some(Duration::from_secs(30 * 86_400)),
            dry_run: true,
            ..PruneOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dry.removed.len(), 1);
    assert!(old.exists());

    let r = prune(
        &cache,
        &PruneOptions {
            older_than: Some(Duration::from_secs(30 * 86_400)),
            ..PruneOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.removed.len(), 1, "{r:?}");
    assert_eq!(r.removed[0].path, old);
    assert!(!old.exists() && mid.exists() && new.exists());
    assert!(
        dir.path().join("venvs/aaaa.use").exists(),
        "lock files stay"
    );

    // bound: the least recently used go first until it fits
    let now = usage(&cache).unwrap().bytes;
    let r = prune(
        &cache,
        &PruneOptions {
            max_size: Some(now - 1),
            ..PruneOptions::default()
        },
    )
    .unwrap();
    assert!(r.after < now);
    assert!(!mid.exists(), "{r:?}");
    assert!(new.exists(), "the most recently used stays while it fits");
}

#[test]
fn never_removes_a_venv_another_process_holds() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path());
    let held = venv(dir.path(), "dddd", 1000, 90);
    // another process's shared lock: a second open file description conflicts the same way
    let f = File::open(dir.path().join("venvs/dddd.use")).unwrap();
    f.lock_shared().unwrap();
    let r = prune(
        &cache,
        &PruneOptions {
            everything: true,
            ..PruneOptions::default()
        },
    )
    .unwrap();
    assert!(held.exists());
    assert_eq!(r.kept_in_use.len(), 1, "{r:?}");
    let u = usage(&cache).unwrap();
    assert_eq!(
        u.environments[0].in_use.as_deref(),
        Some("a skyhop process")
    );
    let building = dir.path().join("venvs/.tmp-eeee-123");
    fs::create_dir_all(building.join("venv")).unwrap();
    drop(f);
    prune(
        &cache,
        &PruneOptions {
            everything: true,
            ..PruneOptions::default()
        },
    )
    .unwrap();
    assert!(!held.exists());
    assert!(building.exists(), "a venv being built is left alone");
}
