//! DAG discovery compared with what Airflow itself finds.
//!
//! The expected lists were produced by running Airflow's own `list_py_file_paths` (safe mode)
//! on the same tree, built by a Python twin of `tree()`, with Airflow 2.10.5 and 3.1.3 and both
//! `dag_ignore_file_syntax` values.

use std::path::Path;

use skyhop_project::{DagFileKind, DiscoveryOptions, IgnoreSyntax, dag_files};

const DAG: &str = "from airflow import DAG\n";
/// The smallest zip archive: an end-of-central-directory record.
const EMPTY_ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Builds the test tree under `base/dags` and returns that path.
fn tree(base: &Path, syntax: IgnoreSyntax) -> std::path::PathBuf {
    let root = base.join("dags");
    for f in [
        "a_dag.py",
        "scratch_notes.py",
        "thing_wip.py",
        "helpers/x_dag.py",
        "sub/local_test.py",
        "sub/ok_dag.py",
        "sub/deep/y.py",
        "nested/keep.py",
        "nested/drop.py",
        "nested/inner/z.py",
        "data/a.py",
    ] {
        write(&root, f, DAG.as_bytes());
    }
    write(&root, "util.py", b"def f():\n    pass\n");
    write(&root, "asset_only.py", b"from airflow.sdk import Asset\n");
    write(&root, "notes.txt", b"airflow dag\n");
    write(&root, "Upper_DAG.py", b"import AIRFLOW\n# my dag\n");
    write(&root, "data/dag.json", b"{}");
    write(&root, "archive.zip", EMPTY_ZIP);
    write(&root, "sub/packed.bin", EMPTY_ZIP);
    match syntax {
        IgnoreSyntax::Regexp => {
            write(
                &root,
                ".airflowignore",
                b"scratch_.*\n.*_wip\\.py   # wip files\nhelpers\n# comment\n^nested/drop\n\n",
            );
            write(&root, "sub/.airflowignore", b"local_.*\n");
        }
        IgnoreSyntax::Glob => {
            write(
                &root,
                ".airflowignore",
                b"scratch_*\n*_wip.py  # wip files\nhelpers/\n/nested/**\n!nested/keep.py\ndata/\n",
            );
            write(&root, "sub/.airflowignore", b"local_*\n/deep\n");
        }
    }
    let outside = base.join("outside");
    write(&outside, "ext_dag.py", DAG.as_bytes());
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
    root
}

fn check(version: &str, syntax: IgnoreSyntax, expected: &[&str], skipped: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tree(tmp.path(), syntax);
    let opts = DiscoveryOptions {
        syntax,
        ..DiscoveryOptions::for_airflow_version(version)
    };
    let found = dag_files(&root, &opts);
    let got: Vec<&str> = found
        .dag_files
        .iter()
        .map(|f| f.relative.as_str())
        .collect();
    assert_eq!(got, expected, "Airflow {version} {syntax:?}");
    let got_skipped: Vec<&str> = found
        .skipped_by_safe_mode
        .iter()
        .map(|f| f.relative.as_str())
        .collect();
    assert_eq!(
        got_skipped, skipped,
        "Airflow {version} {syntax:?} safe mode"
    );
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    let zip = found
        .dag_files
        .iter()
        .find(|f| f.relative == "sub/packed.bin")
        .unwrap();
    assert_eq!(zip.kind, DagFileKind::Zip);
}

#[cfg(unix)]
#[test]
fn airflow2_regexp() {
    check(
        "2.10.5",
        IgnoreSyntax::Regexp,
        &[
            "Upper_DAG.py",
            "a_dag.py",
            "archive.zip",
            "data/a.py",
            "linked/ext_dag.py",
            "nested/inner/z.py",
            "nested/keep.py",
            "sub/deep/y.py",
            "sub/ok_dag.py",
            "sub/packed.bin",
        ],
        &["asset_only.py", "util.py"],
    );
}

#[cfg(unix)]
#[test]
fn airflow2_glob() {
    check(
        "2.10.5",
        IgnoreSyntax::Glob,
        &[
            "Upper_DAG.py",
            "a_dag.py",
            "archive.zip",
            "linked/ext_dag.py",
            "nested/keep.py",
            "sub/ok_dag.py",
            "sub/packed.bin",
        ],
        &["asset_only.py", "util.py"],
    );
}

#[cfg(unix)]
#[test]
fn airflow3_regexp() {
    check(
        "3.1.3",
        IgnoreSyntax::Regexp,
        &[
            "Upper_DAG.py",
            "a_dag.py",
            "archive.zip",
            "asset_only.py",
            "data/a.py",
            "linked/ext_dag.py",
            "nested/inner/z.py",
            "nested/keep.py",
            "sub/deep/y.py",
            "sub/ok_dag.py",
            "sub/packed.bin",
        ],
        &["util.py"],
    );
}

/// In Airflow 3.1.0 to 3.1.5, a glob ending in `/` (`helpers/`, `data/`) excludes nothing:
/// the directory is matched by its bare name.
#[cfg(unix)]
#[test]
fn airflow3_glob() {
    check(
        "3.1.3",
        IgnoreSyntax::Glob,
        &[
            "Upper_DAG.py",
            "a_dag.py",
            "archive.zip",
            "asset_only.py",
            "data/a.py",
            "helpers/x_dag.py",
            "linked/ext_dag.py",
            "nested/keep.py",
            "sub/ok_dag.py",
            "sub/packed.bin",
        ],
        &["util.py"],
    );
}

/// Airflow 3.0 matches directories as Airflow 2 does (`dir/` for patterns ending in `/`).
/// Expected list from Airflow 3.0.6's `find_path_from_directory` on the same tree.
#[cfg(unix)]
#[test]
fn airflow_3_0_glob() {
    check(
        "3.0.6",
        IgnoreSyntax::Glob,
        &[
            "Upper_DAG.py",
            "a_dag.py",
            "archive.zip",
            "asset_only.py",
            "linked/ext_dag.py",
            "nested/keep.py",
            "sub/ok_dag.py",
            "sub/packed.bin",
        ],
        &["util.py"],
    );
}

/// From Airflow 3.1.6 a directory is always matched as `dir/`: `helpers/` and `data/` exclude
/// their directories again, and `/nested/**` excludes `nested/` itself, so `!nested/keep.py`
/// brings nothing back. Expected list from Airflow 3.1.7's and 3.3.2's
/// `find_path_from_directory` on the same tree.
#[cfg(unix)]
#[test]
fn airflow_3_1_6_and_later_glob() {
    for version in ["3.1.7", "3.2.1", "3.3.2"] {
        check(
            version,
            IgnoreSyntax::Glob,
            &[
                "Upper_DAG.py",
                "a_dag.py",
                "archive.zip",
                "asset_only.py",
                "linked/ext_dag.py",
                "sub/ok_dag.py",
                "sub/packed.bin",
            ],
            &["util.py"],
        );
    }
}

/// A real project's `.airflowignore` (`ignore_dags/`, no newline at the end) hides a folder
/// of old DAGs from Airflow 3.0 and 3.3; only 3.1.0 to 3.1.5 load them.
#[test]
fn trailing_slash_folder_pattern_per_airflow_version() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dags");
    write(&root, "live_dag.py", DAG.as_bytes());
    write(&root, "ignore_dags/old_dag.py", DAG.as_bytes());
    write(&root, ".airflowignore", b"ignore_dags/");
    let found = |version: &str| -> Vec<String> {
        dag_files(&root, &DiscoveryOptions::for_airflow_version(version))
            .dag_files
            .into_iter()
            .map(|f| f.relative)
            .collect()
    };
    for version in ["3.0.1", "3.1.6", "3.3.2"] {
        assert_eq!(found(version), ["live_dag.py"], "Airflow {version}");
    }
    assert_eq!(
        found("3.1.3"),
        ["ignore_dags/old_dag.py", "live_dag.py"],
        "Airflow 3.1.3"
    );
    // Airflow 2's default syntax is regexp, which finds `ignore_dags/` in the file's path
    assert_eq!(found("2.10.5"), ["live_dag.py"]);
}

#[test]
fn safe_mode_off_keeps_every_python_file() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "util.py", b"x = 1\n");
    write(tmp.path(), "readme.md", b"airflow dag");
    let opts = DiscoveryOptions {
        safe_mode: false,
        ..DiscoveryOptions::default()
    };
    let found = dag_files(tmp.path(), &opts);
    assert_eq!(found.dag_files.len(), 1);
    assert!(found.skipped_by_safe_mode.is_empty());
}

#[cfg(unix)]
#[test]
fn loops_and_unreadable_directories_are_reported_not_fatal() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dags");
    write(&root, "a_dag.py", DAG.as_bytes());
    write(&root, "sub/b_dag.py", DAG.as_bytes());
    std::os::unix::fs::symlink(&root, root.join("sub/back")).unwrap();
    std::fs::create_dir(root.join("locked")).unwrap();
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    write(&root, ".airflowignore", b"valid\n(unclosed\n");
    let found = dag_files(&root, &DiscoveryOptions::default());
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let got: Vec<&str> = found
        .dag_files
        .iter()
        .map(|f| f.relative.as_str())
        .collect();
    assert_eq!(got, vec!["a_dag.py", "sub/b_dag.py"]);
    let problems: Vec<String> = found
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    let running_as_root = std::fs::read_dir(root.join("locked")).is_ok();
    let mut expected = vec![
        ".airflowignore:2: invalid regular expression `(unclosed`: error: unclosed group; the line is skipped".to_string(),
        "sub/back: symlink loop: this directory was already walked; skipped".to_string(),
    ];
    if !running_as_root {
        expected.insert(
            1,
            "locked: cannot read the directory: permission denied".into(),
        );
    }
    assert_eq!(problems, expected);
}
