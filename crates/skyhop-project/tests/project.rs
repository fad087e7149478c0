//! The project model on the bundled example project and on small made-up ones.

use std::path::{Path, PathBuf};

use skyhop_project::{BaseImage, DiscoveryOptions, IgnoreSyntax, Project};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/astro-project")
}

#[test]
fn loads_the_example_project() {
    let p = Project::load(&example()).unwrap();
    let current = p.current_image().unwrap();
    assert_eq!(current.line, 1);
    assert!(matches!(
        current.base,
        BaseImage::AstroRuntime { ref version, .. } if version == "11.3.0"
    ));
    let reqs = p.requirements.as_ref().unwrap();
    assert!(!reqs.find("apache-airflow-providers-slack").is_empty());
    assert!(
        p.packages
            .as_ref()
            .is_some_and(|pk| !pk.packages.is_empty())
    );
    assert!(
        p.env
            .as_ref()
            .is_some_and(|e| !e.airflow_config().is_empty())
    );
    assert!(p.include_dir.is_some());
    assert!(p.tests_dir.is_some());
    let dags = p.dag_files(&DiscoveryOptions::for_airflow_major(2));
    let names: Vec<&str> = dags.dag_files.iter().map(|f| f.relative.as_str()).collect();
    assert!(names.contains(&"daily_sales_report.py"), "{names:?}");
    assert!(names.contains(&"reporting/weekly_digest.py"), "{names:?}");
    assert!(
        !names.contains(&"scratch_notes.py"),
        "ignored by .airflowignore"
    );
    assert!(dags.ignored.contains(&"scratch_notes.py".to_string()));
    let settings: Vec<String> = p
        .config_settings()
        .iter()
        .map(|s| {
            format!(
                "{}:{} [{}] {} = {:?}",
                s.file, s.line, s.section, s.key, s.value
            )
        })
        .collect();
    insta::assert_snapshot!(settings.join("\n"), @r#"
    Dockerfile:4 [core] dag_concurrency = Some("16")
    Dockerfile:5 [webserver] expose_config = Some("True")
    .env:2 [core] load_examples = Some("False")
    .env:3 [scheduler] dag_dir_list_interval = Some("30")
    .env:4 [webserver] expose_config = Some("True")
    "#);
    assert_eq!(
        p.relative(&p.dags_dir.join("reporting/weekly_digest.py")),
        "dags/reporting/weekly_digest.py"
    );
}

fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn load_error(files: &[(&str, &[u8])]) -> String {
    let dir = project(files);
    match Project::load(dir.path()) {
        Ok(p) => match p.current_image() {
            Ok(b) => format!("no error: {b:?}"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn discovery_options_follow_project_settings() {
    let dir = project(&[
        (
            "Dockerfile",
            b"FROM quay.io/astronomer/astro-runtime:11.3.0 AS base\nENV AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX=glob\nFROM base\nENV OTHER=1\n",
        ),
        (".env", b"AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE=False\n"),
    ]);
    let p = Project::load(dir.path()).unwrap();
    let opts = p.discovery_options(2);
    assert_eq!(opts.syntax, IgnoreSyntax::Glob);
    assert!(!opts.safe_mode);
    assert!(!opts.airflow3);
    assert_eq!(
        p.dockerfile.as_ref().unwrap().final_env().len(),
        2,
        "ENV of the parent stage counts"
    );
}

#[test]
fn minimal_project_has_only_a_dockerfile() {
    let dir = project(&[("Dockerfile", b"FROM apache/airflow:2.10.5\n")]);
    let p = Project::load(dir.path()).unwrap();
    assert!(p.requirements.is_none() && p.packages.is_none() && p.env.is_none());
    assert_eq!(p.current_image().unwrap().base.version(), Some("2.10.5"));
    assert!(
        p.dag_files(&DiscoveryOptions::default())
            .dag_files
            .is_empty()
    );
}

/// A folder with requirements.txt and dags/ but no Dockerfile is a project too.
#[test]
fn projects_without_a_dockerfile() {
    let dir = project(&[(
        "requirements.txt",
        b"apache-airflow==2.10.5  # MWAA\npandas\n",
    )]);
    let p = Project::load(dir.path()).unwrap();
    assert!(p.dockerfile.is_none());
    assert_eq!(p.pinned_airflow().as_deref(), Some("2.10.5"));
    let e = p.current_image().unwrap_err().to_string();
    assert!(
        e.contains("no Dockerfile") && e.contains("--from-airflow-version"),
        "{e}"
    );
}

/// What a user sees when a project cannot be read.
#[test]
fn project_error_messages() {
    type Files<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: Vec<(&str, Files)> = vec![
        ("binary Dockerfile", vec![("Dockerfile", b"\x7fELF\0\0\0")]),
        (
            "custom image",
            vec![("Dockerfile", b"FROM my.registry.example/airflow:1.0\n")],
        ),
        (
            "bad requirements",
            vec![
                ("Dockerfile", b"FROM apache/airflow:2.10.5\n"),
                ("requirements.txt", b"pandas>=2.1\nrequests===\n"),
            ],
        ),
        (
            "bad packages",
            vec![
                ("Dockerfile", b"FROM apache/airflow:2.10.5\n"),
                ("packages.txt", b"libpq-dev\nRUN apt-get\n"),
            ],
        ),
        (
            "bad .env",
            vec![
                ("Dockerfile", b"FROM apache/airflow:2.10.5\n"),
                (".env", b"A=1\nB=\"unclosed\n"),
            ],
        ),
        (
            "non-UTF-8 .env",
            vec![
                ("Dockerfile", b"FROM apache/airflow:2.10.5\n"),
                (".env", b"A=caf\xe9\n"),
            ],
        ),
    ];
    let mut out = Vec::new();
    for (what, files) in &cases {
        out.push(format!("{what}: {}", load_error(files)));
    }
    let e = Project::load(Path::new("/nonexistent/skyhop/project")).unwrap_err();
    out.push(format!("not a directory: {e}"));
    insta::assert_snapshot!(out.join("\n"));
}

/// What `skyhop upgrade --dry-run` and `skyhop pin-providers --dry-run` show for a copy of the
/// example project's files.
#[test]
fn dry_run_diffs_of_the_example() {
    let copy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example");
    let p = Project::load(&copy).unwrap();
    let rw = p
        .dockerfile
        .as_ref()
        .unwrap()
        .with_base_version("11.8.0")
        .unwrap();
    let diff = skyhop_project::unified_diff(
        p.dockerfile.as_ref().unwrap().text(),
        &rw.text,
        "Dockerfile",
    );
    insta::assert_snapshot!(diff, @r"
    --- a/Dockerfile
    +++ b/Dockerfile
    @@ -1,4 +1,4 @@
    -FROM quay.io/astronomer/astro-runtime:11.3.0
    +FROM quay.io/astronomer/astro-runtime:11.8.0
     
     # Settings that used to be common in Runtime 11 projects.
     ENV AIRFLOW__CORE__DAG_CONCURRENCY=16
    ");
    let reqs = p.requirements.as_ref().unwrap();
    let pinned = reqs.pin(&[
        ("apache-airflow-providers-slack", "8.6.2"),
        ("apache-airflow-providers-snowflake", "5.5.1"),
        ("apache-airflow-providers-celery", "3.6.2"),
    ]);
    let diff = skyhop_project::unified_diff(reqs.root_text(), &pinned.new_text, "requirements.txt");
    insta::assert_snapshot!(diff, @r"
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,5 +1,6 @@
     # Astro Runtime includes the following pre-installed providers packages: https://www.astronomer.io/docs/astro/runtime-image-architecture#provider-packages
     apache-airflow-providers-slack==8.6.2
    -apache-airflow-providers-snowflake
    +apache-airflow-providers-snowflake==5.5.1
     pandas>=2.1,<2.3
     requests==2.32.3
    +apache-airflow-providers-celery==3.6.2
    ");
}
