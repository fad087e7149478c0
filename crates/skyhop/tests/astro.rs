//! `skyhop astro …` and `--astro` end to end, against a local server that implements Astro's
//! API contract (`crates/skyhop-deploy/tests/support/astro_server.rs`): the fleet, the deploy
//! history, rollbacks (the Airflow-version consequences, the refusal of 3 → 2 without --force,
//! --yes without a terminal), every error class, and the token never shown or stored in plain
//! text. The DAG-only deploy and upgrade-test from a Deployment use a real Airflow
//! environment (Runtime 11.3.0, as `real.rs` builds it).

#[path = "../../skyhop-deploy/tests/support/astro_server.rs"]
mod astro_server;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use astro_server::{
    AstroServer, Fault, ORG, TOKEN_SECRET, UPLOAD_SECRET, deployment, workspace_token,
};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Exited `code`, saying `text` on standard error.
    #[track_caller]
    fn says(&self, code: i32, text: &str) {
        assert_eq!(self.code, code, "{}", self.all());
        assert!(self.stderr.contains(text), "{}", self.stderr);
    }
}

/// A sandbox: its own config dir (the key, the stored token), cache shared.
struct Env {
    server: AstroServer,
    token: String,
    config: tempfile::TempDir,
    /// Every output of every run, for the byte search.
    outputs: std::cell::RefCell<String>,
}

impl Env {
    fn new() -> Env {
        let token = workspace_token();
        let server = astro_server::fleet(&token);
        Env {
            server,
            token,
            config: tempfile::tempdir().unwrap(),
            outputs: Default::default(),
        }
    }

    fn cmd(&self, args: &[&str], token: Option<&str>) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_skyhop"));
        c.args(args)
            .env("ASTRO_API_URL", &self.server.url)
            .env("SKYHOP_CONFIG_DIR", self.config.path())
            .env("SKYHOP_OFFLINE", "1")
            .env("SKYHOP_ASTRO_TIMEOUT", "1")
            .env_remove("ASTRO_API_TOKEN")
            .env_remove("ASTRO_ORGANIZATION_ID");
        if let Some(t) = token {
            c.env("ASTRO_API_TOKEN", t);
        }
        c
    }

    fn run_with(&self, args: &[&str], token: Option<&str>, stdin: Option<&str>) -> Run {
        let mut c = self.cmd(args, token);
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().expect("run skyhop");
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.outputs.borrow_mut().push_str(&run.all());
        run
    }

    /// With the token in ASTRO_API_TOKEN.
    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, Some(&self.token.clone()), None)
    }

    fn posts(&self) -> usize {
        self.server
            .seen()
            .iter()
            .filter(|r| r.method == "POST")
            .count()
    }

    /// No output and no file under `dirs` holds the token (or the upload URL's signature).
    fn assert_no_secret(&self, dirs: &[&Path]) {
        let out = self.outputs.borrow();
        for secret in [TOKEN_SECRET, UPLOAD_SECRET, &self.token] {
            assert!(!out.contains(secret), "a secret in the output:\n{out}");
        }
        for dir in dirs {
            for (path, bytes) in common::snapshot_tree(dir) {
                for secret in [TOKEN_SECRET.as_bytes(), self.token.as_bytes()] {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret),
                        "the token in plain text in {}",
                        dir.join(path).display()
                    );
                }
            }
        }
    }
}

#[test]
fn fleet_lists_every_deployment_with_the_catalogs_view() {
    let env = Env::new();
    let run = env.run(&["astro", "deployments"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("DEPLOYMENT"), "{}", run.stdout);
    assert_eq!(
        lines.len(),
        1 + 4 + 1,
        "one line a Deployment:\n{}",
        run.stdout
    );
    let line = |name: &str| *lines.iter().find(|l| l.starts_with(name)).unwrap();
    assert!(line("team-yanked").contains("YANKED"), "{}", run.stdout);
    assert!(
        line("team-eom").contains("END OF MAINTENANCE since 2025-10-31"),
        "{}",
        run.stdout
    );
    assert!(
        line("team-af2").contains("(Airflow 3; newest on Airflow 2: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("4 Deployments of Organization {ORG}"))
    );
    let json = env.run(&["astro", "deployments", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let row = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row("yanked")["yanked"], true);
    assert_eq!(row("eom")["catalog"], "end-of-maintenance");
    assert_eq!(row("af2")["crosses_to_airflow_3"], true);
    assert_eq!(row("prod")["crosses_to_airflow_3"], false);
    assert_eq!(row("prod")["runtime"], "3.1-5");
    // Pagination: 4 Deployments in pages of 2.
    assert!(
        env.server
            .seen()
            .iter()
            .any(|r| r.query == "offset=2&limit=100")
    );
    env.assert_no_secret(&[env.config.path()]);
}

#[test]
fn history_and_rollback_with_consequences_and_confirmation() {
    let env = Env::new();
    let h = env.run(&["deploy", "history", "--astro", "prod"]);
    assert_eq!(h.code, 0, "{}", h.all());
    assert!(
        h.stdout
            .contains("Astro Deployment prod (prod): Astro Runtime 3.1-5 (Airflow 3.1.3)")
    );
    assert_eq!(
        h.stdout.lines().filter(|l| l.starts_with('d')).count(),
        5,
        "{}",
        h.stdout
    );
    assert!(
        h.stdout
            .lines()
            .any(|l| l.starts_with("d5") && l.contains("DEPLOYED *"))
    );
    // Without --yes and without a terminal: the consequences, then nothing done.
    let r = env.run(&["rollback", "d4", "--astro", "prod", "--description", "back"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout
            .contains("Rolling Astro Deployment prod (prod) back to deploy d4:"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "Astro Runtime 3.1-5 (Airflow 3.1.3) goes back to Astro Runtime 3.1-3 (Airflow 3.1.1)"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Astro migrates the metadata DB down to the Airflow 3.1.1 schema"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("not a terminal, so nothing was rolled back: pass --yes"),
        "{}",
        r.stderr
    );
    assert_eq!(env.posts(), 0);
    // Airflow 3 -> 2: refused without --force, before any call that changes anything.
    let r = env.run(&["rollback", "d2", "--astro", "prod", "--yes"]);
    r.says(2, "across Airflow 3 → 2: refused without --force");
    assert_eq!(env.posts(), 0);
    // A description Astro would refuse.
    let long = "x".repeat(501);
    let r = env.run(&[
        "rollback",
        "d4",
        "--astro",
        "prod",
        "--yes",
        "--description",
        &long,
    ]);
    r.says(2, "Astro takes at most 500");
    // --yes: the call, then the new deploy.
    let r = env.run(&[
        "rollback",
        "d4",
        "--astro",
        "prod",
        "--yes",
        "--description",
        "bad DAG",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Astro created deploy rb1 (DEPLOYED, Astro Runtime 3.1-3 (Airflow 3.1.1))"),
        "{}",
        r.stdout
    );
    assert_eq!(env.posts(), 1);
    let h = env.run(&["deploy", "history", "--astro", "prod"]);
    assert!(
        h.stdout
            .lines()
            .any(|l| l.starts_with("rb1") && l.contains("bad DAG (rollback; rollbackFromId d4)")),
        "{}",
        h.stdout
    );
    // --force: 3 -> 2 goes through, with the extra consequence said.
    let r = env.run(&["rollback", "d2", "--astro", "prod", "--yes", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("Airflow 3 → 2 (--force)"), "{}", r.stdout);
    let json = env.run(&["deploy", "history", "--astro", "prod", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 7);
    env.assert_no_secret(&[env.config.path()]);
}

#[test]
fn every_error_class_says_what_to_do() {
    let env = Env::new();
    // No token at all.
    let r = env.run_with(&["astro", "deployments"], None, None);
    r.says(
        2,
        "no Astro API token: set ASTRO_API_TOKEN, or run `skyhop astro login`",
    );
    // 401.
    let wrong = astro_server::token_with(&[&format!("organizationId:{ORG}")]);
    let r = env.run_with(&["astro", "deployments"], Some(&wrong), None);
    r.says(
        2,
        "the token in ASTRO_API_TOKEN was refused (401 Unauthorized",
    );
    // 404: a wrong Deployment.
    let r = env.run(&["deploy", "history", "--astro", "nope"]);
    r.says(
        2,
        "Deployment nope was not found in Organization org-test-1",
    );
    // 404: a wrong Organization.
    let r = env.run(&["astro", "deployments", "--organization-id", "org-other"]);
    r.says(2, "Organization org-other was not found");
    // 403: a Workspace token that may not deploy.
    env.server.state.lock().unwrap().read_only = true;
    let r = env.run(&["rollback", "d4", "--astro", "prod", "--yes"]);
    r.says(
        2,
        "this Workspace API token may not roll this Deployment back (403 Forbidden",
    );
    assert!(
        r.stderr.contains("Workspace Author role or higher"),
        "{}",
        r.stderr
    );
    env.server.state.lock().unwrap().read_only = false;
    // 429 with Retry-After: waited for, then the answer.
    env.server
        .fault(Fault::rate_limited("GET", "/deployments/prod", 1));
    let r = env.run(&["deploy", "history", "--astro", "prod"]);
    assert_eq!(r.code, 0, "{}", r.all());
    // 429 every time: given up, with what to do.
    for _ in 0..4 {
        env.server
            .fault(Fault::rate_limited("GET", "/deployments/prod", 0));
    }
    let r = env.run(&["deploy", "history", "--astro", "prod"]);
    r.says(1, "answered 429 Too Many Requests 4 times");
    // 5xx: retried with backoff.
    env.server.fault(Fault::status("GET", "/deploys", 502));
    let r = env.run(&["deploy", "history", "--astro", "prod"]);
    assert_eq!(r.code, 0, "{}", r.all());
    // A 500 on the rollback: not repeated, and the user told to look before retrying.
    env.server.fault(Fault::status("POST", "/rollback", 500));
    let r = env.run(&["rollback", "d4", "--astro", "prod", "--yes"]);
    r.says(
        1,
        "may or may not have taken effect: look at `skyhop deploy history --astro prod`",
    );
    // A timeout (SKYHOP_ASTRO_TIMEOUT=1) every time.
    for _ in 0..4 {
        env.server.fault(Fault::slow(
            "GET",
            "/deployments/eom",
            Duration::from_millis(1600),
        ));
    }
    let r = env.run(&["deploy", "history", "--astro", "eom"]);
    r.says(1, "no answer within 1 s");
    // Nothing listening at the URL.
    let mut c = env.cmd(
        &[
            "astro",
            "deployments",
            "--astro-api-url",
            "http://127.0.0.1:9/v1",
        ],
        Some(&env.token),
    );
    let out = c.stdin(Stdio::null()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("cannot reach http://127.0.0.1:9/v1"), "{err}");
    env.assert_no_secret(&[env.config.path()]);
}

#[test]
fn login_stores_the_token_encrypted_and_it_never_shows() {
    let env = Env::new();
    let r = env.run_with(&["astro", "login"], None, Some(&format!("{}\n", env.token)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("stored the Workspace API token of Organization org-test-1 encrypted"),
        "{}",
        r.stdout
    );
    let stored = std::fs::read_to_string(env.config.path().join("astro-token")).unwrap();
    assert!(stored.starts_with("skyhop-sealed:v1:"));
    // The stored token is used without ASTRO_API_TOKEN.
    let r = env.run_with(&["astro", "whoami"], None, None);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("token: the token `skyhop astro login` stored (never shown)")
    );
    assert!(r.stdout.contains("kind: Workspace API token"));
    let r = env.run_with(&["deploy", "history", "--astro", "prod"], None, None);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = env.run_with(
        &["rollback", "d4", "--astro", "prod", "--yes", "--verbose"],
        None,
        None,
    );
    assert_eq!(r.code, 0, "{}", r.all());
    // A token the API refuses is not stored.
    let refused = astro_server::token_with(&[&format!("organizationId:{ORG}")]);
    let r = env.run_with(
        &["astro", "login"],
        None,
        Some(&format!("Bearer {refused}\n")),
    );
    r.says(2, "401 Unauthorized");
    let still = std::fs::read_to_string(env.config.path().join("astro-token")).unwrap();
    assert_eq!(still, stored, "the stored token is kept");
    let r = env.run_with(&["astro", "logout"], None, None);
    assert!(r.stdout.contains("removed the stored Astro API token"));
    env.assert_no_secret(&[env.config.path()]);
}

/// A Runtime 11.3.0 project (the example's Dockerfile and requirements, so the environment is
/// the one `real.rs` builds) with one DAG file.
fn project(dir: &Path, dag: &str) -> PathBuf {
    let root = dir.join("project");
    std::fs::create_dir_all(root.join("dags")).unwrap();
    let example = common::example_project();
    for f in ["Dockerfile", "requirements.txt", "packages.txt"] {
        std::fs::copy(example.join(f), root.join(f)).unwrap();
    }
    std::fs::write(root.join("dags/etl.py"), dag).unwrap();
    root
}

const GOOD_DAG: &str = "from datetime import datetime\nfrom airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n\nwith DAG('etl', start_date=datetime(2024, 1, 1), schedule=None):\n    EmptyOperator(task_id='t')\n";
const BAD_DAG: &str =
    "from airflow import DAG\nfrom airflow.operators.nonexistent_module import Nothing\n";

/// Real Airflow (Runtime 11.3.0): the DAG-only deploy after a passing parse test, refused
/// after a failing one; and upgrade-test from the Deployment's version.
#[test]
fn dag_only_deploy_and_upgrade_test_from_a_deployment() {
    let env = Env::new();
    env.server
        .add_deployment(deployment("old", "legacy", "11.3.0", "2.9.1"), vec![]);
    let tmp = tempfile::tempdir().unwrap();
    let root = project(tmp.path(), GOOD_DAG);
    let p = root.to_str().unwrap();
    let r = env.run(&[
        "deploy",
        "--astro",
        "old",
        "--dags",
        "--project",
        p,
        "--description",
        "etl",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains(
            "DAG-only deploy new1 DEPLOYED on Astro Deployment legacy (old): bundle version"
        ),
        "{}",
        r.stdout
    );
    let uploads = env.server.state.lock().unwrap().uploads.clone();
    assert_eq!(uploads.len(), 1);
    // Without --dags: image deploys stay with `astro deploy`.
    let r = env.run(&["deploy", "--astro", "old", "--project", p]);
    r.says(2, "`astro deploy` does");
    // A DAG that does not import: refused, nothing sent.
    let bad_dir = tempfile::tempdir().unwrap();
    let bad = project(bad_dir.path(), BAD_DAG);
    let before = env.posts();
    let r = env.run(&[
        "deploy",
        "--astro",
        "old",
        "--dags",
        "--project",
        bad.to_str().unwrap(),
    ]);
    r.says(
        1,
        "DAG-only deploy refused: DAG files fail to import under Runtime 11.3.0",
    );
    assert_eq!(env.posts(), before);
    // upgrade-test from the Deployment's version, while the Dockerfile says another one.
    std::fs::write(
        root.join("Dockerfile"),
        "FROM quay.io/astronomer/astro-runtime:12.0.0\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = env.run(&[
        "upgrade-test",
        "--astro",
        "old",
        "--project",
        p,
        "--runtime-version",
        "3.1-12",
        "--version-test",
        "--output",
        out.path().to_str().unwrap(),
    ]);
    assert!(r.code == 0 || r.code == 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("the project's Dockerfile is on Runtime 12.0.0"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("runs Runtime 11.3.0"), "{}", r.stderr);
    assert!(
        out.path()
            .join("upgrade-test-11.3.0--3.1-12/report.json")
            .is_file(),
        "{}",
        r.all()
    );
    env.assert_no_secret(&[env.config.path(), &root, out.path()]);
}
