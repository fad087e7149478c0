//! End-to-end tests of the `skyhop` binary that need no package index: versions, upgrade
//! (every refusal and bad input, byte-exact rewrites), compare, rule. Every message a user
//! sees in these cases is a snapshot.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs skyhop in `dir` (offline: the embedded catalog only, so output is stable).
fn skyhop(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_skyhop"))
        .args(args)
        .current_dir(dir)
        .env("SKYHOP_OFFLINE", "1")
        .env("SKYHOP_CACHE_DIR", dir.join(".cache-for-test"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run skyhop");
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(&dir.display().to_string(), "[PROJECT]")
            .replace(&fixtures().display().to_string(), "[FIXTURES]")
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: clean(&out.stdout),
        stderr: clean(&out.stderr),
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A temp project holding `dockerfile` (bytes) as its Dockerfile.
fn project_with(dockerfile: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    fs::create_dir(dir.path().join("dags")).unwrap();
    dir
}

fn fixture_project(name: &str) -> tempfile::TempDir {
    project_with(&fs::read(fixtures().join("dockerfiles").join(name)).unwrap())
}

fn dockerfile(dir: &tempfile::TempDir) -> String {
    fs::read_to_string(dir.path().join("Dockerfile")).unwrap()
}

#[test]
fn versions_json_lists_airflow_and_yanked() {
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(dir.path(), &["versions", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = v["runtimes"].as_array().unwrap();
    let find = |ver: &str| rows.iter().find(|r| r["version"] == ver).unwrap().clone();
    assert_eq!(find("11.8.0")["airflow"], "2.9.3");
    let yanked = find("8.0.0");
    assert_eq!(yanked["status"], "yanked", "{yanked}");
    assert!(
        yanked["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{yanked}"
    );
}

#[test]
fn versions_table_marks_status() {
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(dir.path(), &["versions", "--all"]);
    assert_eq!(run.code, 0);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("8.0.0 "))
        .unwrap();
    assert!(line.contains("yanked"), "{line}");
}

/// Upgrades rewrite exactly the tag (and the ARG default, or the repository across schemes).
#[test]
fn upgrade_changes_only_the_tag() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "simple.Dockerfile",
            &["--runtime-version", "13.11.0"],
            "FROM quay.io/astronomer/astro-runtime:13.11.0\n",
        ),
        (
            "multistage.Dockerfile",
            &["--runtime-version", "13.11.0"],
            "# syntax=docker/dockerfile:1\n# Build stage first\nFROM --platform=linux/amd64 quay.io/astronomer/astro-runtime:13.11.0-python-3.11-base AS builder\nRUN pip install --user -r requirements.txt\n\nFROM   quay.io/astronomer/astro-runtime:13.11.0-python-3.11-base   AS   runtime\nCOPY --from=builder /root/.local /root/.local\nENV AIRFLOW__CORE__TEST_CONNECTION=Enabled\n",
        ),
        (
            "arg.Dockerfile",
            &["--runtime-version", "13.11.0"],
            "ARG RUNTIME_VERSION=13.11.0\nFROM quay.io/astronomer/astro-runtime:${RUNTIME_VERSION}-slim\nUSER astro\n",
        ),
        (
            "crlf.Dockerfile",
            &["--runtime-version", "13.11.0"],
            "FROM quay.io/astronomer/astro-runtime:13.11.0\r\nRUN echo crlf\r\n",
        ),
        (
            "apache.Dockerfile",
            &["--airflow-version", "3.1.3"],
            "FROM apache/airflow:3.1.3-python3.11\nCOPY dags/ /opt/airflow/dags/\n",
        ),
    ];
    for (file, args, expected) in cases {
        let dir = fixture_project(file);
        let mut all = vec!["upgrade", "--yes"];
        all.extend_from_slice(args);
        let run = skyhop(dir.path(), &all);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        assert_eq!(dockerfile(&dir), *expected, "{file}");
    }
}

#[test]
fn upgrade_dry_run_shows_diff_and_writes_nothing() {
    let dir = fixture_project("simple.Dockerfile");
    let run = skyhop(
        dir.path(),
        &["upgrade", "--runtime-version", "13.11.0", "--dry-run"],
    );
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("upgrade_dry_run_diff", run.stdout);
    assert_eq!(
        dockerfile(&dir),
        "FROM quay.io/astronomer/astro-runtime:11.3.0\n"
    );
}

#[test]
fn upgrade_without_terminal_or_yes_writes_nothing() {
    let dir = fixture_project("simple.Dockerfile");
    let run = skyhop(dir.path(), &["upgrade", "--runtime-version", "13.11.0"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    assert_eq!(
        dockerfile(&dir),
        "FROM quay.io/astronomer/astro-runtime:11.3.0\n"
    );
}

#[test]
fn upgrade_shows_considerations_of_every_major_crossed() {
    let dir = project_with(b"FROM quay.io/astronomer/astro-runtime:5.0.0\n");
    let run = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--runtime-version",
            "9.7.0",
            "--dry-run",
            "--allow-deprecated",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for major in ["Runtime 5", "Runtime 6", "Runtime 8", "Runtime 9"] {
        assert!(
            run.stderr.contains(major),
            "{major} missing:\n{}",
            run.stderr
        );
    }
}

/// Every refusal: exit 2, the message says why and what to do, nothing written.
#[test]
fn upgrade_refusals() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "downgrade",
            "FROM quay.io/astronomer/astro-runtime:13.11.0\n",
            &["--runtime-version", "11.3.0"],
        ),
        (
            "yanked",
            "FROM quay.io/astronomer/astro-runtime:7.4.2\n",
            &["--runtime-version", "8.0.0", "--allow-deprecated"],
        ),
        (
            "partial",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            &["--runtime-version", "12.0"],
        ),
        (
            "latest",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            &["--runtime-version", "latest"],
        ),
        (
            "unknown",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            &["--runtime-version", "99.0.0"],
        ),
        (
            "airflow3_too_early",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            &["--runtime-version", "3.1-12"],
        ),
        (
            "deprecated",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            &["--runtime-version", "11.8.0"],
        ),
        (
            "no_version",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            &[],
        ),
    ];
    for (name, docker, args) in cases {
        let dir = project_with(docker.as_bytes());
        let mut all = vec!["upgrade", "--yes"];
        all.extend_from_slice(args);
        let run = skyhop(dir.path(), &all);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert_eq!(dockerfile(&dir), *docker, "{name}: file changed");
        insta::assert_snapshot!(format!("refusal_{name}"), run.stderr);
    }
}

/// Bad project files: exit 2, file and line named, nothing written, no panic.
#[test]
fn upgrade_bad_input() {
    let cases: &[(&str, &[u8])] = &[
        ("no_tag", b"FROM quay.io/astronomer/astro-runtime\n"),
        (
            "latest_tag",
            b"FROM quay.io/astronomer/astro-runtime:latest\n",
        ),
        ("custom_image", b"# ours\nFROM python:3.11-slim\n"),
        ("binary", b"\x00\x01\x02FROM\x00"),
        (
            "not_utf8",
            b"FROM quay.io/astronomer/astro-runtime:11.3.0\n# caf\xe9\n",
        ),
        ("empty", b""),
    ];
    for (name, docker) in cases {
        let dir = project_with(docker);
        let run = skyhop(
            dir.path(),
            &["upgrade", "--yes", "--runtime-version", "13.11.0"],
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert_eq!(
            fs::read(dir.path().join("Dockerfile")).unwrap(),
            *docker,
            "{name}"
        );
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        insta::assert_snapshot!(format!("bad_input_{name}"), run.stderr);
    }
    // No Dockerfile at all.
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(
        dir.path(),
        &["upgrade", "--yes", "--runtime-version", "13.11.0"],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("bad_input_missing_dockerfile", run.stderr);
    // A malformed requirements line.
    let dir = fixture_project("simple.Dockerfile");
    fs::write(
        dir.path().join("requirements.txt"),
        "pandas>=2.1\napache-airflow-providers-slack===\n",
    )
    .unwrap();
    let run = skyhop(
        dir.path(),
        &["upgrade", "--yes", "--runtime-version", "13.11.0"],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("bad_input_requirements", run.stderr);
}

#[test]
fn compare_seed_example() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("old.txt"),
        "apache-airflow==2.9.0+astro.2\napache-airflow-providers-celery==3.6.2\nmsrestazure==0.6.4\npandas==2.2.2\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("new.txt"),
        "apache-airflow==2.9.1+astro.1\napache-airflow-providers-celery==3.7.0\nmsrestazure==0.6.4.post1\nmethodtools==0.4.7\npandas==2.1.4\n",
    )
    .unwrap();
    let run = skyhop(dir.path(), &["compare", "old.txt", "new.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("compare_seed", run.stdout);
    assert!(
        run.stdout
            .contains("Apache Airflow Update:\napache-airflow 2.9.0+astro.2 >> 2.9.1+astro.1\n")
    );
    assert!(run.stdout.contains("Downgrades:\npandas 2.2.2 >> 2.1.4\n"));
    let run = skyhop(dir.path(), &["compare", "old.txt", "new.txt", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v["changes"].as_array().unwrap().len() >= 5);
    // A file that is not a freeze: usage error naming the line.
    fs::write(dir.path().join("bad.txt"), "ok==1\nthis is not a line\n").unwrap();
    let run = skyhop(dir.path(), &["compare", "old.txt", "bad.txt"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
}

#[test]
fn upgrade_to_the_same_version_is_nothing_to_do() {
    let docker = "FROM quay.io/astronomer/astro-runtime:13.11.0\n";
    let dir = project_with(docker.as_bytes());
    let run = skyhop(
        dir.path(),
        &["upgrade", "--yes", "--runtime-version", "13.11.0"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to do"), "{}", run.stderr);
    assert_eq!(dockerfile(&dir), docker);
}

#[test]
fn rule_docs() {
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(dir.path(), &["rule"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.lines().count() > 10, "{}", run.stdout);
    let code = run.stdout.split_whitespace().next().unwrap().to_string();
    let run = skyhop(dir.path(), &["rule", &code]);
    assert_eq!(run.code, 0);
    for section in [
        "## What it does",
        "## Why it breaks",
        "## Example",
        "## Use instead",
        "## Applies to versions",
    ] {
        assert!(run.stdout.contains(section), "{section}");
    }
    let run = skyhop(dir.path(), &["rule", "SKY9999"]);
    assert_eq!(run.code, 2);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(dir.path(), &["upgrade", "--bogus"]);
    assert_eq!(run.code, 2);
    let run = skyhop(dir.path(), &["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Exit codes"));
}

/// `db rehearse` and `db seed` refuse bad input before building anything: exit 2, the flag
/// named, no password shown, nothing written.
#[test]
fn db_rehearse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("postgresql://u:hunter2@127.0.0.1:{closed}/airflow");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "db",
                "rehearse",
                "--db-url",
                "mysql://u:hunter2@h/x",
                "--airflow-version",
                "3.1.3",
            ],
            "not a supported database URL",
        ),
        (
            &[
                "db",
                "rehearse",
                "--db-url",
                "sqlite:////nonexistent/airflow.db",
                "--airflow-version",
                "3.1.3",
            ],
            "does not exist",
        ),
        (
            &[
                "db",
                "rehearse",
                "--db-url",
                "sqlite:////nonexistent/airflow.db",
            ],
            "--runtime-version X or --airflow-version Y",
        ),
        (
            &[
                "db",
                "rehearse",
                "--db-url",
                &unreachable,
                "--airflow-version",
                "3.1.3",
            ],
            "check the host and port",
        ),
        (
            &["db", "rehearse", "--airflow-version", "3.1.3"],
            "--db-url",
        ),
    ];
    for (args, want) in cases {
        let run = skyhop(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    }
    let written: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != ".cache-for-test")
        .collect();
    assert!(written.is_empty(), "something was written: {written:?}");
}

/// A deployment's secrets and DB URL are stored encrypted, never printed; `deployment delete`
/// asks (or needs `--yes` off a terminal) and then removes everything of it.
#[test]
fn deployment_secrets_are_sealed_and_delete_needs_yes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("Dockerfile"),
        "FROM apache/airflow:2.10.5-python3.11\n",
    )
    .unwrap();
    let config = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_skyhop"))
            .args(args)
            .current_dir(root)
            .env("SKYHOP_OFFLINE", "1")
            .env("SKYHOP_CACHE_DIR", root.join(".cache-for-test"))
            .env("SKYHOP_CONFIG_DIR", config.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run skyhop");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            !text.contains("pw-in-url-123") && !text.contains("tok-value-456"),
            "{text}"
        );
        (out.status.code().unwrap_or(-1), text)
    };
    let (code, text) = run(&[
        "deployment",
        "create",
        "prod",
        "--db-url",
        "postgresql://af:pw-in-url-123@127.0.0.1:1/af",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("postgresql://af:****@127.0.0.1:1/af"),
        "{text}"
    );
    let (code, text) = run(&[
        "deployment",
        "env",
        "set",
        "prod",
        "API_TOKEN=tok-value-456",
        "--secret",
    ]);
    assert_eq!(code, 0, "{text}");
    let (_, text) = run(&["deployment", "env", "list", "prod"]);
    assert_eq!(text.trim(), "API_TOKEN=**** (secret)");
    // Its database can be rehearsed once something runs on it; the URL's password stays hidden.
    let (code, text) = run(&[
        "db",
        "rehearse",
        "--deployment",
        "prod",
        "--airflow-version",
        "3.1.3",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("has no active deploy"), "{text}");
    let state = root.join(".skyhop/deployments/prod");
    for entry in fs::read_dir(&state).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("pw-in-url-123") && !text.contains("tok-value-456"));
    }
    let key = config.path().join("key");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&key).unwrap().permissions()) & 0o777,
        0o600
    );

    let (code, text) = run(&["deployment", "delete", "prod"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("pass --yes"), "{text}");
    assert!(state.join("state.db").is_file());
    let (code, text) = run(&["deployment", "delete", "prod", "--yes"]);
    assert_eq!(code, 0, "{text}");
    assert!(!state.exists());
}

#[test]
fn upgrade_by_scope_and_clamp() {
    // Every Airflow 2 Runtime is past end of maintenance: --to says so instead of guessing.
    let dir = project_with(b"FROM quay.io/astronomer/astro-runtime:11.3.0\n");
    let run = skyhop(dir.path(), &["upgrade", "--to", "patch", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("past end of maintenance") && run.stderr.contains("--allow-deprecated"),
        "{}",
        run.stderr
    );
    // --to patch: the newest Runtime on Airflow 2.9 (Runtime 11.x), never a yanked one.
    let run = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--to",
            "patch",
            "--allow-deprecated",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("--to patch: 11.3.0 -> 11."),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("+FROM quay.io/astronomer/astro-runtime:11."),
        "{}",
        run.stdout
    );
    assert_eq!(
        dockerfile(&dir),
        "FROM quay.io/astronomer/astro-runtime:11.3.0\n"
    );
    // latest-minor stays on Airflow 2: a 13.x Runtime.
    let minor = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--to",
            "latest-minor",
            "--allow-deprecated",
            "--dry-run",
        ],
    );
    assert_eq!(minor.code, 0, "{}", minor.stderr);
    assert!(
        minor.stderr.contains("--to latest-minor: 11.3.0 -> 13."),
        "{}",
        minor.stderr
    );

    // A version given by hand beyond --max-scope is refused, nothing written.
    let refused = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--runtime-version",
            "3.1-12",
            "--max-scope",
            "minor",
            "--yes",
        ],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--max-scope minor") && refused.stderr.contains("major upgrade"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        dockerfile(&dir),
        "FROM quay.io/astronomer/astro-runtime:11.3.0\n"
    );

    // Airflow 3: patch stays on 3.0, latest-minor leaves it, --max-scope always wins.
    let dir = project_with(b"FROM quay.io/astronomer/astro-runtime:3.0-1\n");
    let patch = skyhop(dir.path(), &["upgrade", "--to", "patch", "--dry-run"]);
    assert_eq!(patch.code, 0, "{}", patch.stderr);
    let picked = patch
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("--to patch: 3.0-1 -> "))
        .unwrap_or_else(|| panic!("no pick in: {}", patch.stderr))
        .to_string();
    assert!(picked.starts_with("3.0-"), "{picked}");
    let minor = skyhop(
        dir.path(),
        &["upgrade", "--to", "latest-minor", "--dry-run"],
    );
    assert!(!minor.stderr.contains("-> 3.0-"), "{}", minor.stderr);
    let clamped = skyhop(
        dir.path(),
        &[
            "upgrade",
            "--to",
            "latest",
            "--max-scope",
            "patch",
            "--dry-run",
        ],
    );
    assert!(
        clamped
            .stderr
            .contains(&format!("--to latest: 3.0-1 -> {picked}")),
        "{}",
        clamped.stderr
    );

    // A digest-pinned FROM is reported, not bumped.
    let pinned = "FROM quay.io/astronomer/astro-runtime:3.0-1@sha256:0123456789abcdef\n";
    let dir = project_with(pinned.as_bytes());
    let run = skyhop(dir.path(), &["upgrade", "--to", "patch", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("pinned by digest"), "{}", run.stderr);
    assert_eq!(dockerfile(&dir), pinned);

    // Already the newest in scope: nothing to do.
    let dir = project_with(format!("FROM quay.io/astronomer/astro-runtime:{picked}\n").as_bytes());
    let run = skyhop(dir.path(), &["upgrade", "--to", "patch", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to do"), "{}", run.stderr);
}

#[test]
fn cache_info_prune_and_clean_on_a_cache_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(".cache-for-test");
    let venv = cache.join("venvs/0123456789abcdef");
    let site = venv.join("lib/python3.11/site-packages");
    fs::create_dir_all(site.join("apache_airflow-2.9.1.dist-info")).unwrap();
    fs::write(site.join("big.bin"), vec![0u8; 300_000]).unwrap();
    fs::write(
        venv.join("skyhop-venv.json"),
        r#"{"python_version": "3.11"}"#,
    )
    .unwrap();
    let used = fs::File::create(cache.join("venvs/0123456789abcdef.use")).unwrap();
    let forty_days = std::time::Duration::from_secs(40 * 86_400);
    used.set_modified(std::time::SystemTime::now() - forty_days)
        .unwrap();
    fs::create_dir_all(cache.join("locks")).unwrap();
    fs::write(cache.join("locks/k.txt"), "apache-airflow==2.9.1\n").unwrap();

    let run = skyhop(dir.path(), &["cache", "dir"]);
    assert_eq!(run.stdout.trim(), "[PROJECT]/.cache-for-test");

    let run = skyhop(dir.path(), &["cache", "info", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let env = &info["environments"][0];
    assert_eq!(env["hash"], "0123456789abcdef");
    assert_eq!(env["airflow"], "2.9.1");
    assert_eq!(env["python"], "3.11");
    assert!(env["bytes"].as_u64().unwrap() >= 300_000);
    let kinds: Vec<&str> = info["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["venvs", "locks"]);

    let run = skyhop(dir.path(), &["cache", "info"]);
    assert!(run.stdout.contains("(40 days ago)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("SKYHOP_CACHE_MAX_SIZE not set"),
        "{}",
        run.stdout
    );

    let run = skyhop(dir.path(), &["cache", "prune", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("would remove venvs [PROJECT]/.cache-for-test/venvs/0123456789abcdef"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("unused for 40 days"), "{}", run.stdout);
    assert!(venv.exists(), "--dry-run removes nothing");

    let run = skyhop(dir.path(), &["cache", "prune", "--max-size", "lots"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("`lots` is not a size"),
        "{}",
        run.stderr
    );

    let run = skyhop(dir.path(), &["cache", "prune"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!venv.exists(), "{}", run.stdout);
    assert!(cache.join("locks/k.txt").exists(), "used recently enough");

    let run = skyhop(dir.path(), &["cache", "clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!cache.join("locks/k.txt").exists(), "{}", run.stdout);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let run = skyhop(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for word in ["upgrade-test", "prune", "runtime-version"] {
            assert!(run.stdout.contains(word), "{shell}: no {word}");
        }
    }
    let run = skyhop(dir.path(), &["man"]);
    assert!(run.stdout.starts_with(".ie") || run.stdout.contains(".TH skyhop 1"));
    assert!(run.stdout.contains("upgrade\\-test"), "{}", run.stdout);
    let pages = dir.path().join("man1");
    let run = skyhop(dir.path(), &["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in ["skyhop.1", "skyhop-upgrade-test.1", "skyhop-cache-prune.1"] {
        assert!(pages.join(page).is_file(), "{page} missing");
    }
}

#[test]
fn upgrade_test_and_check_take_a_scope_or_a_version_not_both() {
    let dir = project_with(b"FROM quay.io/astronomer/astro-runtime:11.3.0\n");
    for cmd in ["upgrade-test", "check"] {
        let run = skyhop(
            dir.path(),
            &[cmd, "--to", "latest", "--runtime-version", "3.1-12"],
        );
        assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
        assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    }
}
