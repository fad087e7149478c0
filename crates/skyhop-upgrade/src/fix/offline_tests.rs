//! Offline snapshot tests of the fix families that otherwise need an environment: SKY401
//! configuration settings, SKY104 missing provider packages, SKY900 pin bumps. Each feeds
//! [`plan_edits_with`] a small project written to a tempdir, hand-built findings and parse
//! results, and index answers given as data ([`Lookups`]); the snapshot is every changed
//! file's new text, the changes and the notes. Applying the edits and planning again changes
//! nothing.

use super::*;
use skyhop_core::Facts;
use skyhop_parse::{FileResult, ParseReport};

/// A project of `files` (relative path, text) in a fresh tempdir.
fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("dags")).unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let p = Project::load(dir.path()).unwrap();
    (dir, p)
}

fn target() -> Pinned {
    Pinned {
        label: "3.0.6".into(),
        target: skyhop_catalog::Target::parse_airflow("3.0.6").unwrap(),
        runtime: None,
        airflow: "3.0.6".into(),
        python: "3.12".into(),
        image: None,
        suffix: String::new(),
        notes: Vec::new(),
        image_packages: Default::default(),
        image_constraints: None,
    }
}

fn eval(
    findings: Vec<Finding>,
    report: Option<ParseReport>,
    lock: Option<skyhop_core::Lock>,
) -> Eval {
    Eval {
        findings,
        report,
        lock,
        index: None,
    }
}

/// A lock of `name==version` lines.
fn lock(freeze: &str) -> skyhop_core::Lock {
    skyhop_core::Lock::from_freeze(freeze, "test").unwrap()
}

/// Index answers nobody may ask for: the families under test must decide from the data.
fn no_index(_: &[String]) -> Result<skyhop_core::Lock, String> {
    panic!("the index was asked for packages")
}

fn no_newer(_: &skyhop_project::Requirement, _: &str) -> Option<String> {
    panic!("the index was asked for a newer version")
}

/// The edits of `eval` on `project`, and the notes, with `lookups` as the index.
fn plan(
    project: &Project,
    eval: &Eval,
    today: &[&str],
    unsafe_fixes: bool,
    lookups: &Lookups<'_>,
) -> (Vec<FileEdit>, Vec<String>) {
    let today: BTreeSet<String> = today.iter().map(|s| s.to_string()).collect();
    let mut notes = Vec::new();
    let edits = plan_edits_with(
        project,
        eval,
        &target(),
        &today,
        unsafe_fixes,
        &mut notes,
        lookups,
    );
    (edits, notes)
}

/// Every edit's new text (line endings shown), its changes, then the notes.
fn render(edits: &[FileEdit], notes: &[String]) -> String {
    let mut out = String::new();
    for e in edits {
        let created = if e.old_file.is_none() { " (new)" } else { "" };
        out.push_str(&format!("=== {}{created}\n", e.path));
        out.push_str(&e.new.replace('\r', "\\r"));
        if !e.new.ends_with('\n') {
            out.push_str("\n\\ no newline at end of file\n");
        }
        for c in &e.changes {
            let safe = if c.safe { "safe" } else { "unsafe" };
            out.push_str(&format!(
                "- {}:{} {} {safe}: {}\n",
                c.path, c.line, c.rule, c.what
            ));
        }
    }
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// Writes the edits into the project and reads it again.
fn apply(project: &Project, edits: &[FileEdit]) -> Project {
    for e in edits {
        std::fs::write(project.root.join(&e.path), &e.new).unwrap();
    }
    Project::load(&project.root).unwrap()
}

/// Only the lines `changed` (1-based, of `old`) differ between `old` and `new`, which have
/// the same number of lines plus `added` at the end.
fn only_lines_changed(old: &str, new: &str, changed: &[usize], added: usize) {
    let o: Vec<&str> = old.split_inclusive('\n').collect();
    let n: Vec<&str> = new.split_inclusive('\n').collect();
    assert!(n.len() >= o.len(), "{new:?}");
    for (i, l) in o.iter().enumerate() {
        if changed.contains(&(i + 1)) {
            assert_ne!(n[i].trim_end(), l.trim_end(), "line {}", i + 1);
        } else if !(i + 1 == o.len() && added > 0) {
            assert_eq!(n[i], *l, "line {}", i + 1);
        } else {
            // the last line may gain the line ending it lacked
            assert_eq!(
                n[i].trim_end_matches(['\r', '\n']),
                l.trim_end_matches(['\r', '\n'])
            );
        }
    }
    assert_eq!(n.len(), o.len() + added, "{new:?}");
}

// ---------------------------------------------------------------- SKY401 configuration

const DOCKERFILE: &str = "FROM quay.io/astronomer/astro-runtime:12.0.0\n# settings\nENV AIRFLOW__WEBSERVER__WEB_SERVER_PORT=8081 \\\n    OTHER=1\nENV AIRFLOW__CORE__CHECK_SLAS=False\nENV AIRFLOW__CORE__PARALLELISM=8\n";
const DOTENV: &str =
    "# local runs\r\nAIRFLOW__WEBSERVER__BASE_URL=http://localhost:8080 # ui\r\nFOO=bar\r\n";
const AIRFLOW_CFG: &str = "[core]\ndags_folder = /usr/local/airflow/dags\ncheck_slas = False\n\n[webserver]\n; where it listens\nweb_server_host = 0.0.0.0\nexpose_config = True\n";
const COMPOSE: &str = "services:\n  scheduler:\n    image: x\n    environment:\n      AIRFLOW__WEBSERVER__WORKERS: \"4\"  # busy\n      OTHER: \"1\"\n";
const VALUES: &str = "images: {}\nconfig:\n  core:\n    dags_folder: /x\n  webserver:\n    web_server_port: 8080\nenv:\n  - name: AIRFLOW__CORE__CHECK_SLAS\n    value: \"False\"\n  - name: OTHER\n    value: \"1\"\nworkers: {}\n";

fn config_project() -> (tempfile::TempDir, Project) {
    project(&[
        ("Dockerfile", DOCKERFILE),
        (".env", DOTENV),
        ("airflow.cfg", AIRFLOW_CFG),
        ("docker-compose.yaml", COMPOSE),
        ("chart/values.yaml", VALUES),
    ])
}

/// The SKY401 findings the check reports on `project`'s settings for the target, as a round
/// has them.
fn config_findings(project: &Project) -> Vec<Finding> {
    let opts = lint::check_options(project, &target().airflow, None);
    skyhop_check::config_fixes(&opts, None)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

fn config_lookups() -> Lookups<'static> {
    Lookups {
        with_packages: &no_index,
        newest: &no_newer,
    }
}

#[test]
fn config_settings_renamed_safely_in_every_file() {
    let (_dir, p) = config_project();
    let findings = config_findings(&p);
    assert_eq!(findings.len(), 9, "{findings:#?}");
    assert!(findings.iter().all(|f| f.rule == "SKY401"));
    let e = eval(findings.clone(), None, None);
    let (edits, notes) = plan(&p, &e, &[], false, &config_lookups());
    // the renames only; removing a setting is unsafe
    insta::assert_snapshot!(render(&edits, &notes));
    let dockerfile = edits.iter().find(|e| e.path == "Dockerfile").unwrap();
    only_lines_changed(DOCKERFILE, &dockerfile.new, &[3], 0);
    let dotenv = edits.iter().find(|e| e.path == ".env").unwrap();
    only_lines_changed(DOTENV, &dotenv.new, &[2], 0);
    let compose = edits
        .iter()
        .find(|e| e.path == "docker-compose.yaml")
        .unwrap();
    only_lines_changed(COMPOSE, &compose.new, &[5], 0);

    // applied, planned again (with the findings of the fixed project, and with the stale
    // ones): nothing
    let fixed = apply(&p, &edits);
    let again = config_findings(&fixed);
    let (edits2, _) = plan(
        &fixed,
        &eval(again, None, None),
        &[],
        false,
        &config_lookups(),
    );
    assert_eq!(render(&edits2, &[]), "");
    let (edits3, _) = plan(
        &fixed,
        &eval(findings, None, None),
        &[],
        false,
        &config_lookups(),
    );
    assert_eq!(render(&edits3, &[]), "");
}

#[test]
fn config_settings_removed_with_unsafe_fixes() {
    let (_dir, p) = config_project();
    let findings = config_findings(&p);
    let e = eval(findings, None, None);
    let (edits, notes) = plan(&p, &e, &[], true, &config_lookups());
    insta::assert_snapshot!(render(&edits, &notes));
    let fixed = apply(&p, &edits);
    let again = config_findings(&fixed);
    let (edits2, _) = plan(
        &fixed,
        &eval(again, None, None),
        &[],
        true,
        &config_lookups(),
    );
    assert_eq!(render(&edits2, &[]), "");
}

#[test]
fn config_settings_not_reported_are_left_alone() {
    let (_dir, p) = config_project();
    // only the Dockerfile's findings reported this round
    let findings: Vec<Finding> = config_findings(&p)
        .into_iter()
        .filter(|f| f.path == "Dockerfile")
        .collect();
    let (edits, notes) = plan(
        &p,
        &eval(findings, None, None),
        &[],
        true,
        &config_lookups(),
    );
    insta::assert_snapshot!(render(&edits, &notes));
    assert!(edits.iter().all(|e| e.path == "Dockerfile"));
}

// ---------------------------------------------------------- SKY104 missing packages

const REQUIREMENTS: &str =
    "# pins\r\npandas==2.1.0 ; python_version >= '3.9'  # data\r\nrequests==2.32.3";
const DAG_HTTP: &str = "from airflow import DAG\nfrom airflow.providers.http.operators.http import HttpOperator\nfrom airflow.providers.slack.hooks.slack import SlackHook\n";

/// A SKY104 finding: `package` provides the module the line imports, and the target lacks it.
fn missing(path: &str, line: u32, package: &str) -> Finding {
    Finding {
        path: path.into(),
        line,
        column: 1,
        rule: "SKY104".into(),
        severity: Severity::Error,
        message: "whatever the message says".into(),
        replacement: None,
        source: Source::Check,
        related: Vec::new(),
        facts: Facts {
            missing_package: Some(package.into()),
            ..Default::default()
        },
    }
}

#[test]
fn missing_providers_added_at_the_targets_version() {
    let (_dir, p) = project(&[("requirements.txt", REQUIREMENTS), ("dags/a.py", DAG_HTTP)]);
    let findings = vec![
        // installed in the target: its version, the index is not asked
        missing("dags/a.py", 2, "apache-airflow-providers-http"),
        // not installed: the index resolves it with the project
        missing("dags/a.py", 3, "Apache_Airflow_Providers_Slack"),
        // reported twice: added once
        missing("dags/b.py", 1, "apache-airflow-providers-http"),
    ];
    let e = eval(
        findings.clone(),
        None,
        Some(lock(
            "apache-airflow==3.0.6\napache-airflow-providers-http==5.3.4\n",
        )),
    );
    let asked = std::sync::Mutex::new(Vec::new());
    let with_packages = |packages: &[String]| {
        asked.lock().unwrap().push(packages.to_vec());
        Ok(lock(
            "apache-airflow-providers-slack==9.1.2\npandas==2.1.0\n",
        ))
    };
    let lookups = Lookups {
        with_packages: &with_packages,
        newest: &no_newer,
    };
    let (edits, notes) = plan(&p, &e, &[], false, &lookups);
    insta::assert_snapshot!(render(&edits, &notes));
    assert_eq!(
        *asked.lock().unwrap(),
        [vec!["apache-airflow-providers-slack".to_string()]]
    );
    only_lines_changed(REQUIREMENTS, &edits[0].new, &[], 2);

    // applied, planned again: the requirements name them now, nothing to add or resolve
    let fixed = apply(&p, &edits);
    let lookups = Lookups {
        with_packages: &no_index,
        newest: &no_newer,
    };
    let (edits2, notes2) = plan(&fixed, &eval(findings, None, None), &[], false, &lookups);
    assert_eq!(render(&edits2, &notes2), "");
}

#[test]
fn missing_packages_that_do_not_resolve_or_are_guesses() {
    let (_dir, p) = project(&[
        ("requirements.txt", "pandas==2.1.0\n"),
        (
            "Dockerfile",
            "FROM quay.io/astronomer/astro-runtime:12.0.0\nRUN pip install --no-cache-dir apache-airflow-providers-ftp==3.1.0\n",
        ),
        ("dags/a.py", DAG_HTTP),
    ]);
    let findings = vec![
        // named in the requirements or the Dockerfile's `pip install`: nothing
        missing("dags/a.py", 1, "pandas"),
        missing("dags/a.py", 1, "apache-airflow-providers-ftp"),
        // not a provider, and the current environment lacks it: a note
        missing("dags/a.py", 2, "vendor-sdk"),
        // not a provider, installed today: added
        missing("dags/a.py", 3, "boto3"),
        // the index does not have it
        missing("dags/a.py", 3, "apache-airflow-providers-nowhere"),
    ];
    let with_packages = |packages: &[String]| {
        assert_eq!(packages, ["apache-airflow-providers-nowhere", "boto3"]);
        Ok(lock("boto3==1.35.0\n"))
    };
    let lookups = Lookups {
        with_packages: &with_packages,
        newest: &no_newer,
    };
    let e = eval(findings.clone(), None, None);
    let (edits, notes) = plan(&p, &e, &["boto3"], false, &lookups);
    insta::assert_snapshot!(render(&edits, &notes));

    // the index fails: the error is a note, nothing is added
    let failing = |_: &[String]| Err("no solution: boto3 conflicts".to_string());
    let lookups = Lookups {
        with_packages: &failing,
        newest: &no_newer,
    };
    let (edits, notes) = plan(&p, &e, &["boto3"], false, &lookups);
    insta::assert_snapshot!("missing_packages_the_index_fails", render(&edits, &notes));
}

// ------------------------------------------------------------------ SKY900 pin bumps

const PINNED: &str =
    "# vendor\nvendorlib==1.0.0 ; python_version >= '3.9'  # pinned\r\nother==2.0\n";
const DAG_VENDOR: &str = "from airflow import DAG\n\nfrom vendorlib.compat import thing\n\nwith DAG('v'):\n    thing()\n";

/// `dags/v.py` fails at its line 3, inside `vendorlib` (which imports what the target removed).
fn vendor_failure() -> ParseReport {
    ParseReport {
        files: vec![FileResult {
            path: "dags/v.py".into(),
            ok: false,
            error: Some("ModuleNotFoundError: No module named 'airflow.compat'".into()),
            error_type: Some("ModuleNotFoundError".into()),
            line: Some(3),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The index: of the versions of `vendorlib` that resolve with the target, the newest newer
/// than the pin.
fn vendorlib_resolves(
    resolving: &'static [&'static str],
) -> impl Fn(&skyhop_project::Requirement, &str) -> Option<String> {
    move |req, version| {
        assert_eq!(req.normalized, "vendorlib");
        resolving
            .iter()
            .filter(|v| is_newer(v, version))
            .max_by(|a, b| skyhop_core::compare_versions(a, b).unwrap())
            .map(|v| v.to_string())
    }
}

#[test]
fn failing_pin_bumped_to_the_newest_that_resolves() {
    let (_dir, p) = project(&[("requirements.txt", PINNED), ("dags/v.py", DAG_VENDOR)]);
    let e = eval(Vec::new(), Some(vendor_failure()), None);
    let newest = vendorlib_resolves(&["0.9.0", "1.1.0", "1.3.0"]);
    let lookups = Lookups {
        with_packages: &no_index,
        newest: &newest,
    };
    let (edits, notes) = plan(&p, &e, &[], false, &lookups);
    insta::assert_snapshot!(render(&edits, &notes));
    let req = edits.iter().find(|e| e.path == "requirements.txt").unwrap();
    only_lines_changed(PINNED, &req.new, &[2], 0);

    // applied, the same failure again: no newer version resolves, the pin stays (a note says
    // so); with the file importing, nothing at all
    let fixed = apply(&p, &edits);
    let (edits2, notes2) = plan(&fixed, &e, &[], false, &lookups);
    assert!(edits2.iter().all(|e| e.path != "requirements.txt"));
    insta::assert_snapshot!("failing_pin_bumped_again", render(&edits2, &notes2));
    let mut ok = vendor_failure();
    ok.files[0].ok = true;
    ok.files[0].error = None;
    let (edits3, notes3) = plan(
        &fixed,
        &eval(Vec::new(), Some(ok), None),
        &[],
        false,
        &lookups,
    );
    assert_eq!(render(&edits3, &notes3), "");
}

#[test]
fn failing_pin_with_no_newer_version_let_up_only_unsafely() {
    let (_dir, p) = project(&[("requirements.txt", PINNED), ("dags/v.py", DAG_VENDOR)]);
    let e = eval(Vec::new(), Some(vendor_failure()), None);
    let newest = vendorlib_resolves(&["0.9.0", "1.0.0"]);
    let lookups = Lookups {
        with_packages: &no_index,
        newest: &newest,
    };
    let (edits, notes) = plan(&p, &e, &[], false, &lookups);
    assert!(edits.iter().all(|e| e.path != "requirements.txt"));
    insta::assert_snapshot!("failing_pin_safe", render(&edits, &notes));
    let (edits, notes) = plan(&p, &e, &[], true, &lookups);
    insta::assert_snapshot!("failing_pin_unsafe", render(&edits, &notes));
    let req = edits.iter().find(|e| e.path == "requirements.txt").unwrap();
    only_lines_changed(PINNED, &req.new, &[2], 0);
    // applied: not pinned any more, nothing to bump
    let fixed = apply(&p, &edits);
    let (edits2, notes2) = plan(&fixed, &e, &[], true, &lookups);
    assert!(edits2.iter().all(|e| e.path != "requirements.txt"));
    assert!(notes2.is_empty(), "{notes2:?}");
}

/// What the index is asked for a pin bump: the project's requirements with the pin opened
/// (`>` it, every other byte kept), and the answer taken only when newer.
#[test]
fn newest_of_opens_the_pin_and_takes_only_newer() {
    let (_dir, p) = project(&[("requirements.txt", PINNED)]);
    let req = p
        .requirements
        .iter()
        .flat_map(|r| r.requirements().iter())
        .find(|r| r.normalized == "vendorlib")
        .unwrap()
        .clone();
    let seen = std::cell::RefCell::new(String::new());
    let answer = |version: &'static str| {
        let seen = &seen;
        move |file: &Path| {
            *seen.borrow_mut() = std::fs::read_to_string(file).unwrap();
            Some(lock(&format!("vendorlib=={version}\nother==2.0\n")))
        }
    };
    assert_eq!(
        newest_of(&p, &req, "1.0.0", answer("1.3.0")).as_deref(),
        Some("1.3.0")
    );
    assert_eq!(
        *seen.borrow(),
        "# vendor\nvendorlib>1.0.0 ; python_version >= '3.9'  # pinned\r\nother==2.0\n"
    );
    // the image's own version, or an older one: no bump
    assert_eq!(newest_of(&p, &req, "1.0.0", answer("1.0.0")), None);
    assert_eq!(newest_of(&p, &req, "1.0.0", answer("0.9")), None);
    // a requirement of an included file is not opened up; the index is not asked
    let mut included = req.clone();
    included.file = "requirements/base.txt".into();
    assert_eq!(
        newest_of(
            &p,
            &included,
            "1.0.0",
            |_: &Path| -> Option<skyhop_core::Lock> { panic!("asked") }
        ),
        None
    );
}
