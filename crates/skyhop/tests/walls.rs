//! The environment holds what the image holds (issue 19): one small project per wall, run
//! through the `skyhop` binary against real environments from the package index (cached in
//! skyhop's cache between runs). Each asserts the true finding is there and skyhop's own gap is
//! never reported as the project's breakage.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{Run, skyhop};
use serde_json::Value;

const DAG: &str = "import pendulum\nfrom airflow import DAG\n\nwith DAG('{id}', start_date=pendulum.datetime(2024, 1, 1), schedule=None):\n    pass\n";

fn dag(id: &str, imports: &str) -> String {
    format!("{imports}\n{}", DAG.replace("{id}", id))
}

fn project(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// `upgrade-test` of `dir` to `target` (a Runtime version): the run and its report.
fn upgrade_test(dir: &Path, target: &str, more: &[&str]) -> (Run, Value) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec![
        "upgrade-test",
        "--project",
        dir.to_str().unwrap(),
        "--runtime-version",
        target,
        "--output",
        out.path().to_str().unwrap(),
    ];
    args.extend(more);
    let run = skyhop(&args);
    let folder = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("no report folder\n{}\n{}", run.stdout, run.stderr));
    let report = serde_json::from_str(&fs::read_to_string(folder.join("report.json")).unwrap())
        .unwrap_or_else(|e| panic!("report.json: {e}"));
    (run, report)
}

fn status<'a>(r: &'a Value, path: &str) -> &'a str {
    r["parse_files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .and_then(|f| f["status"].as_str())
        .unwrap_or_else(|| panic!("{path} not parsed: {}", r["parse_files"]))
}

fn errors(r: &Value) -> Vec<&Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect()
}

/// A git repository with a package `acme-lib` whose dependency (`pyfiglet`) is not in Airflow.
fn library_repository(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("acme-lib");
    fs::create_dir_all(repo.join("acme_lib")).unwrap();
    fs::write(
        repo.join("pyproject.toml"),
        "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n[project]\nname = \"acme-lib\"\nversion = \"0.1.0\"\ndependencies = [\"pyfiglet>=1.0\"]\n",
    )
    .unwrap();
    fs::write(
        repo.join("acme_lib/__init__.py"),
        "import pyfiglet\n\ndef banner(text):\n    return pyfiglet.figlet_format(text)\n",
    )
    .unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "acme-lib 0.1.0"]);
    repo
}

/// A library the Dockerfile clones and installs is in the environment with its dependencies,
/// as in the image: the DAG importing it imports.
#[test]
fn a_cloned_library_is_installed_from_its_repository() {
    let libs = tempfile::tempdir().unwrap();
    let repo = library_repository(libs.path());
    let p = project(&[
        (
            "Dockerfile",
            format!(
                "FROM quay.io/astronomer/astro-runtime:11.3.0\nRUN git clone file://{} acme-lib && pip install ./acme-lib\n",
                repo.display()
            ),
        ),
        ("requirements.txt", String::new()),
        (
            "dags/uses_lib.py",
            dag("uses_lib", "from acme_lib import banner\nimport pyfiglet"),
        ),
    ]);
    let (run, r) = upgrade_test(p.path(), "3.1-12", &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(status(&r, "dags/uses_lib.py"), "imports", "{r}");
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
}

/// A library the Dockerfile clones from where skyhop cannot reach: files that need it (or a
/// module it may bring) are not tested, never "add it to requirements.txt"; the constraints
/// file of Airflow 2.9.1 on the same line is a finding with the target's file; a true break in
/// another file is still one.
#[test]
fn an_unreachable_cloned_library_is_not_tested_and_its_constraints_are_a_finding() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\nRUN git clone https://git.invalid/acme/acme-lib.git && pip install --constraint https://raw.githubusercontent.com/apache/airflow/constraints-2.9.1/constraints-3.11.txt ./acme-lib\n".into(),
        ),
        ("requirements.txt", String::new()),
        ("dags/uses_lib.py", dag("uses_lib", "from acme_lib import banner")),
        ("dags/uses_dep.py", dag("uses_dep", "import pyfiglet")),
        (
            "dags/old_import.py",
            dag("old_import", "from airflow.operators.dummy import DummyOperator"),
        ),
    ]);
    let (run, r) = upgrade_test(p.path(), "3.1-12", &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(status(&r, "dags/uses_lib.py"), "not-tested", "{r}");
    assert_eq!(status(&r, "dags/uses_dep.py"), "not-tested", "{r}");
    assert_eq!(status(&r, "dags/old_import.py"), "fails", "{r}");
    let errors = errors(&r);
    assert!(
        errors
            .iter()
            .all(|f| f["rule"] != "SKY104" && f["rule"] != "SKY502"),
        "{errors:?}"
    );
    let constraints = errors
        .iter()
        .find(|f| f["rule"] == "SKY505")
        .unwrap_or_else(|| panic!("no SKY505: {errors:?}"));
    assert_eq!(constraints["path"], "Dockerfile");
    assert_eq!(constraints["line"], 2);
    assert_eq!(
        constraints["replacement"],
        "https://raw.githubusercontent.com/apache/airflow/constraints-3.1.7/constraints-3.12.txt"
    );
    let notes = r["notes"].to_string() + &r["findings"].to_string();
    assert!(notes.contains("git.invalid"), "{notes}");
}

/// A pin without a wheel for the target's Python, whose versions with a wheel all conflict
/// with another requirement: one SKY503 on its line saying so, the package left out (files
/// importing it not tested), and no SKY502 on the other requirement for a version the project
/// never asked for.
#[test]
fn a_pin_without_a_wheel_that_conflicts_is_one_finding() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n".into(),
        ),
        (
            "requirements.txt",
            "pandas==2.0.3\n./libs/old-pandas-user\n".into(),
        ),
        (
            "libs/old-pandas-user/pyproject.toml",
            "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n[project]\nname = \"old-pandas-user\"\nversion = \"1.0\"\ndependencies = [\"pandas<2.1\"]\n[tool.setuptools]\npy-modules = []\n".into(),
        ),
        ("dags/uses_pandas.py", dag("uses_pandas", "import pandas")),
    ]);
    let (run, r) = upgrade_test(p.path(), "3.1-12", &[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let findings = r["findings"].as_array().unwrap();
    let no_wheel: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "SKY503").collect();
    assert_eq!(no_wheel.len(), 1, "{findings:?}");
    assert_eq!(no_wheel[0]["line"], 1);
    let text = no_wheel[0]["message"].as_str().unwrap();
    assert!(text.contains("pandas==2.0.3"), "{text}");
    assert!(text.contains("installs together"), "{text}");
    assert!(
        findings.iter().all(|f| f["rule"] != "SKY502"),
        "{findings:?}"
    );
    assert_eq!(status(&r, "dags/uses_pandas.py"), "not-tested", "{r}");
}

/// A setting that stops Airflow itself from loading (an XCom backend whose module imports
/// something the image lacks): Airflow's real error on the setting's line, and the DAG files
/// still tested without it.
#[test]
fn a_setting_that_breaks_airflow_is_found_and_the_test_goes_on() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n".into(),
        ),
        ("requirements.txt", String::new()),
        (
            ".env",
            "AIRFLOW__CORE__PARALLELISM=8\nAIRFLOW__CORE__XCOM_BACKEND=include.gcs_xcom_backend.GCSXComBackend\n".into(),
        ),
        ("include/__init__.py", String::new()),
        (
            "include/gcs_xcom_backend.py",
            "from not_a_real_package.storage import Client\n\nclass GCSXComBackend:\n    pass\n".into(),
        ),
        ("dags/plain.py", dag("plain", "")),
    ]);
    let (run, r) = upgrade_test(p.path(), "3.1-12", &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let finding = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SKY506")
        .unwrap_or_else(|| panic!("no SKY506: {}", r["findings"]));
    assert_eq!(finding["path"], ".env");
    assert_eq!(finding["line"], 2);
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("not_a_real_package"),
        "{finding}"
    );
    assert_eq!(status(&r, "dags/plain.py"), "imports", "{r}");
}

/// Runtime 8.5.0 pins Astronomer's own build `apache-airflow-providers-cncf-kubernetes==
/// 7.0.0+astro.2`: the environment is built with the upstream 7.0.0, with a note.
#[test]
fn an_astro_build_pin_resolves_to_the_upstream_release() {
    let dir = tempfile::tempdir().unwrap();
    let run = skyhop(&[
        "freeze",
        "--runtime-version",
        "8.5.0",
        "--project",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "apache-airflow-providers-cncf-kubernetes==7.0.0"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("+astro.2"), "{}", run.stderr);
}

/// `apache/airflow:2.6.2`: a default extra of later images that cannot be installed with
/// Airflow 2.6.2 is left out with a note; the environment is built.
#[test]
fn an_old_apache_image_gets_its_environment() {
    let p = project(&[
        ("Dockerfile", "FROM apache/airflow:2.6.2\n".into()),
        ("requirements.txt", String::new()),
        ("dags/plain.py", dag("plain", "")),
    ]);
    let run = skyhop(&["freeze", "--project", p.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.lines().any(|l| l == "apache-airflow==2.6.2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("apache-airflow-providers-amazon==")),
        "{}",
        run.stdout
    );
}

/// A Python this machine cannot have (3.14, Runtime 3.3's): tested with the nearest one the
/// 3.3 line is built for, said in the notes and the target's JSON, naming the image variant.
#[test]
fn a_missing_python_is_replaced_visibly() {
    let p = project(&[
        (
            "Dockerfile",
            "FROM astrocrpublic.azurecr.io/runtime:3.1-12\n".into(),
        ),
        ("requirements.txt", String::new()),
        (
            "dags/plain.py",
            dag("plain", "from airflow.sdk import task"),
        ),
    ]);
    let (run, r) = upgrade_test(p.path(), "3.3-8", &[]);
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(status(&r, "dags/plain.py"), "imports", "{r}");
    let note = r["target"]["python_note"].as_str().unwrap_or_default();
    if note.is_empty() {
        // this machine has Python 3.14 after all
        return;
    }
    assert!(note.contains("3.3-8-python-3.1"), "{note}");
    assert!(
        r["notes"].to_string().contains("3.3-8-python-3.1"),
        "{}",
        r["notes"]
    );
}

/// A package only a private index has, served from a folder (`--extra-index-url file://...`):
/// installed, and the DAG importing it imports.
#[test]
fn a_local_index_served_from_a_folder() {
    let work = tempfile::tempdir().unwrap();
    // a wheel of a private package, built with uv, in a PEP 503 folder layout
    let src = work.path().join("src");
    fs::create_dir_all(src.join("private_pkg")).unwrap();
    fs::write(
        src.join("pyproject.toml"),
        "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n[project]\nname = \"private-pkg\"\nversion = \"1.2.3\"\n",
    )
    .unwrap();
    fs::write(src.join("private_pkg/__init__.py"), "VALUE = 42\n").unwrap();
    let index = work.path().join("simple");
    let wheels = index.join("private-pkg");
    fs::create_dir_all(&wheels).unwrap();
    let uv = common::uv();
    let built = Command::new(&uv)
        .args(["build", "--wheel", "--out-dir"])
        .arg(&wheels)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let wheel = fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".whl"))
        .unwrap();
    fs::write(
        wheels.join("index.html"),
        format!("<html><body><a href=\"{wheel}\">{wheel}</a></body></html>\n"),
    )
    .unwrap();
    fs::write(
        index.join("index.html"),
        "<html><body><a href=\"private-pkg/\">private-pkg</a></body></html>\n",
    )
    .unwrap();
    let p = project(&[
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n".into(),
        ),
        ("requirements.txt", "private-pkg==1.2.3\n".into()),
        ("dags/private.py", dag("private", "import private_pkg")),
    ]);
    let url = format!("file://{}", index.display());
    let (run, r) = upgrade_test(p.path(), "3.1-12", &["--extra-index-url", &url]);
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(status(&r, "dags/private.py"), "imports", "{r}");
}

/// `--offline`: what is cached is enough (the same environment as online); what is not is an
/// error that says so, without the internal command.
#[test]
fn offline_uses_the_cache_only() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().to_str().unwrap();
    let online = skyhop(&[
        "freeze",
        "--runtime-version",
        "11.3.0",
        "--project",
        project,
    ]);
    assert_eq!(online.code, 0, "{}", online.stderr);
    let offline = skyhop(&[
        "freeze",
        "--offline",
        "--runtime-version",
        "11.3.0",
        "--project",
        project,
    ]);
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    assert_eq!(offline.stdout, online.stdout);
    // a requirement nothing has cached
    fs::write(
        dir.path().join("requirements.txt"),
        "skyhop-offline-test-no-such-package==9.9.9\n",
    )
    .unwrap();
    let missing = skyhop(&[
        "freeze",
        "--offline",
        "--runtime-version",
        "11.3.0",
        "--project",
        project,
    ]);
    assert!(!missing.stderr.contains(".tmp-"), "{}", missing.stderr);
    assert!(
        !missing.stderr.contains("--python-platform"),
        "{}",
        missing.stderr
    );
}
