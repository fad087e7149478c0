//! `skyhop ui`: the fast checks (token, bind address) and one real scenario driven in headless
//! Chromium through chromedriver's WebDriver API: deploy A (Airflow 2.10.5) and B (3.1.3)
//! from the CLI, then roll back to A through the pages (description, confirmation), and check
//! the history, the version Airflow's API reports and the env vars kept. A rollback submitted
//! while the deployment's lock is held (as by a CLI deploy) is refused with the reason.
//!
//! Screenshots of every page (1400 px wide) go to `target/ui-screenshots/`.
//! The real scenario is skipped with `SKYHOP_SKIP_REAL_AIRFLOW=1`, or when chromium or
//! chromedriver is missing (`scripts/bootstrap.sh --chromium` installs both).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::skyhop;
use serde_json::{Value, json};

/// `skyhop ui` running as a child process; killed when dropped.
struct UiServer {
    child: Child,
    url: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl UiServer {
    fn start(project: &Path, extra: &[&str]) -> Result<UiServer, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_skyhop"))
            .args(["ui", "--project", project.to_str().unwrap(), "--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run skyhop ui");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        match line.split_whitespace().find(|w| w.starts_with("http://")) {
            Some(url) => Ok(UiServer {
                url: url.to_string(),
                child,
                _stdout: stdout,
            }),
            None => {
                let out = child.wait_with_output().unwrap();
                Err(format!(
                    "{line}{}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        }
    }

    fn base(&self) -> &str {
        self.url.split("/?").next().unwrap()
    }
}

impl Drop for UiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_of(url: &str) -> u16 {
    match ureq::get(url).call() {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{url}: {e}"),
    }
}

/// The CLI prints a URL with a token; without it (or with another) every page is 403.
#[test]
fn ui_needs_the_token_and_binds_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let ui = UiServer::start(tmp.path(), &[]).unwrap();
    assert!(ui.url.starts_with("http://127.0.0.1:"), "{}", ui.url);
    assert_eq!(status_of(&ui.url), 200);
    assert_eq!(status_of(&format!("{}/", ui.base())), 403);
    assert_eq!(status_of(&format!("{}/?token=nope", ui.base())), 403);
    // An explicit --host may be any address, and the URL still works locally.
    let ui = UiServer::start(tmp.path(), &["--host", "0.0.0.0"]).unwrap();
    assert_eq!(status_of(&ui.url), 200);
    // A bad host is a usage error naming the flag.
    let run = skyhop(&[
        "ui",
        "--project",
        ".",
        "--host",
        "no such host!",
        "--port",
        "0",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--host no such host!"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// WebDriver

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one headless Chromium session; both end when dropped.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    shots: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(shots: PathBuf) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.path().display()),
            "--window-size=1400,1000",
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
            shots,
            _profile: profile,
        };
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["sessionId"].as_str().expect("a session id").to_string();
        b
    }

    /// One WebDriver command; returns its `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = ureq::request(method, &url).timeout(Duration::from_secs(120));
        let res = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let v: Value = match res {
            Ok(r) => r.into_json().unwrap(),
            Err(ureq::Error::Status(code, r)) => {
                panic!("{method} {path}: {code} {}", r.into_string().unwrap())
            }
            Err(e) => panic!("{method} {path}: {e}"),
        };
        v["value"].clone()
    }

    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{what}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> String {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no element `{css}` on {}", self.text("body")))
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()?.first()?[ELEMENT].as_str().map(str::to_string)
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn text(&self, css: &str) -> String {
        match self.try_find(css) {
            Some(e) => self
                .cmd("GET", &format!("/element/{e}/text"), None)
                .as_str()
                .unwrap_or_default()
                .to_string(),
            None => String::new(),
        }
    }

    /// The text of `css` once it contains `want` (a click's page may still be loading), or
    /// whatever it is after 20 s.
    fn wait_text(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let t = self.text(css);
            if t.contains(want) || Instant::now() > deadline {
                return t;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn title(&self) -> String {
        self.cmd("GET", "/title", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves the whole page, 1400 px wide, as `<name>.png`.
    fn screenshot(&self, name: &str) {
        // The window grows to the page's height (plus the window's own frame), so the
        // screenshot holds all of it.
        let size = self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "return [Math.ceil(document.querySelector('main') ? document.querySelector('main').getBoundingClientRect().bottom : document.documentElement.scrollHeight), window.outerHeight - window.innerHeight]",
                "args": []
            })),
        );
        let height = size[0].as_u64().unwrap_or(1000) + size[1].as_u64().unwrap_or(0);
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": 1400, "height": height.clamp(300, 6000)})),
        );
        let png = self.cmd("GET", "/screenshot", None);
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).unwrap();
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": 1400, "height": 1000})),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// ---------------------------------------------------------------------------------------
// The real scenario

/// Stops the deployment when the test ends, even on panic.
struct StopDeployment(PathBuf);

impl Drop for StopDeployment {
    fn drop(&mut self) {
        let _ = skyhop(&[
            "deployment",
            "stop",
            "prod",
            "--project",
            self.0.to_str().unwrap(),
        ]);
    }
}

/// A project without a Dockerfile on Airflow `version` (its requirements.txt pin), with one
/// DAG per name whose id starts with `$SKYHOP_DAG_PREFIX` (proves the env vars reached Airflow).
fn write_project(root: &Path, version: &str, dags: &[&str]) {
    let d = root.join("dags");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for name in dags {
        std::fs::write(
            d.join(format!("{name}.py")),
            include_str!("../../skyhop-deploy/tests/fixtures/prefixed_dag.py")
                .replace("NAME", name),
        )
        .unwrap();
    }
    std::fs::write(
        root.join("requirements.txt"),
        format!("apache-airflow=={version}\n"),
    )
    .unwrap();
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    eprintln!("TIMING {what}: {:.1} s", t.elapsed().as_secs_f64());
    r
}

/// `skyhop deploy` (with `extra` arguments and environment); once more when Airflow did not
/// come up the first time (a loaded machine can make SQLite time out while the processes
/// start). Returns its output.
fn cli_deploy_with(
    root: &Path,
    description: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> common::Run {
    let run = || deploy_once(root, description, extra, env);
    for attempt in 1..=2 {
        let run = timed(description, run);
        if run.code == 0 {
            return run;
        }
        assert!(
            attempt == 1 && run.stdout.contains("failed-rolled-back"),
            "{description}: exit {}\n{}\n{}",
            run.code,
            run.stdout,
            run.stderr
        );
        eprintln!(
            "{description}: failed once, deploying again:\n{}",
            run.stdout
        );
    }
    unreachable!()
}

/// One `skyhop deploy` with `extra` arguments and `env`, no terminal.
fn deploy_once(
    root: &Path,
    description: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> common::Run {
    let out = Command::new(env!("CARGO_BIN_EXE_skyhop"))
        .args([
            "deploy",
            "--project",
            root.to_str().unwrap(),
            "--deployment",
            "prod",
            "--description",
            description,
        ])
        .args(extra)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run skyhop");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn cli_deploy(root: &Path, description: &str) {
    cli_deploy_with(root, description, &[], &[]);
}

fn history(root: &Path) -> Vec<Value> {
    let run = skyhop(&[
        "deploy",
        "history",
        "--project",
        root.to_str().unwrap(),
        "--deployment",
        "prod",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str::<Value>(&run.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn skipped() -> bool {
    if std::env::var_os("SKYHOP_SKIP_REAL_AIRFLOW").is_some_and(|v| !v.is_empty()) {
        eprintln!("SKIPPED: SKYHOP_SKIP_REAL_AIRFLOW is set");
        return true;
    }
    for tool in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(tool).exists() {
            eprintln!("SKIPPED: {tool} is missing; run scripts/bootstrap.sh --chromium");
            return true;
        }
    }
    false
}

#[test]
fn rollback_through_the_page_in_chromium() {
    if skipped() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("project");
    let root_s = root.to_str().unwrap().to_string();
    let port = free_port();
    write_project(&root, "2.10.5", &["a"]);
    let run = skyhop(&[
        "deployment",
        "create",
        "prod",
        "--project",
        &root_s,
        "--port",
        &port.to_string(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let _stop = StopDeployment(root.clone());
    for (assignment, secret) in [
        ("SKYHOP_DAG_PREFIX=prod", false),
        ("SKYHOP_TEST_SECRET=s3cr3t-value", true),
    ] {
        let mut args = vec![
            "deployment",
            "env",
            "set",
            "prod",
            assignment,
            "--project",
            &root_s,
        ];
        if secret {
            args.push("--secret");
        }
        let run = skyhop(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    // An upgrade-test report beside it, listed and served by the UI.
    let report_dir = root.join("upgrade-test-2.10.5--3.1.3");
    std::fs::create_dir_all(&report_dir).unwrap();
    std::fs::write(
        report_dir.join("report.html"),
        "<!doctype html><title>Upgrade test</title><h1>Upgrade test 2.10.5 to 3.1.3</h1>",
    )
    .unwrap();

    // Deploy A, then B, from the CLI.
    cli_deploy(&root, "A: Airflow 2.10.5");
    write_project(&root, "3.1.3", &["a", "b"]);
    // B raises Airflow: with the threshold at 0 task instances, the migration is rehearsed on
    // a copy of the deployment's database first; without a terminal and without --yes nothing
    // is deployed.
    let rehearse = [("SKYHOP_REHEARSE_THRESHOLD", "0")];
    let deploys = history(&root).len();
    let refused = timed("B refused without --yes", || {
        deploy_once(&root, "B refused", &[], &rehearse)
    });
    let (out, err) = (&refused.stdout, &refused.stderr);
    assert_eq!(refused.code, 2, "{out}\n{err}");
    assert!(
        out.contains("Migration rehearsed on a copy"),
        "{out}\n{err}"
    );
    assert!(err.contains("nothing was deployed"), "{err}");
    assert_eq!(history(&root).len(), deploys, "nothing deployed");
    let b = cli_deploy_with(&root, "B: Airflow 3.1.3", &["--yes"], &rehearse);
    assert!(
        b.stdout.contains("Migration rehearsed on a copy"),
        "{}",
        b.stdout
    );
    let before = history(&root);
    let a = before
        .iter()
        .find(|r| r["description"] == "A: Airflow 2.10.5" && r["status"] == "succeeded")
        .expect("deploy A succeeded")["id"]
        .as_i64()
        .unwrap();
    let api3 = skyhop_deploy::AirflowApi::new(port, 3);
    assert_eq!(api3.version().unwrap(), "3.1.3");

    // What the CLI shows before it asks (it refuses without a terminal, changing nothing).
    let run = skyhop(&[
        "rollback",
        &a.to_string(),
        "--project",
        &root_s,
        "--deployment",
        "prod",
        "--description",
        "not confirmed",
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let cli_consequences: Vec<String> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .map(str::to_string)
        .collect();
    assert!(cli_consequences.len() >= 4, "{}", run.stdout);

    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let ui = UiServer::start(&root, &[]).unwrap();
    let browser = Browser::start(shots.clone());

    // The deployments page.
    browser.go(&ui.url);
    assert_eq!(browser.title(), "Deployments · skyhop ui");
    let row = browser.text("tr[data-deployment=prod]");
    assert!(
        row.contains("running") && row.contains("Airflow 3.1.3"),
        "{row}"
    );
    assert!(
        browser
            .text("#reports")
            .contains("upgrade-test-2.10.5--3.1.3"),
        "{}",
        browser.text("body")
    );
    browser.screenshot("1-deployments");

    // The report is served.
    browser.click("#reports a");
    assert!(
        browser
            .wait_text("h1", "Upgrade test 2.10.5 to 3.1.3")
            .contains("Upgrade test 2.10.5 to 3.1.3")
    );
    browser.go(&ui.url);

    // The history, with "Rollback to" on A.
    browser.click("tr[data-deployment=prod] a.name");
    let table = browser.wait_text("#history", "B: Airflow 3.1.3");
    assert!(
        table.contains("B: Airflow 3.1.3") && table.contains("active"),
        "{table}"
    );
    assert!(
        browser
            .text("#summary")
            .contains("SKYHOP_TEST_SECRET=**** (secret)")
    );
    browser.screenshot("2-history");
    browser.click(&format!("tr[data-id='{a}'] a.rollback"));

    // The form: the CLI's consequences, word for word.
    let shown: Vec<String> = browser
        .text("#consequences")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(shown, cli_consequences);
    assert!(
        browser
            .text("#rollback-form")
            .contains("This lowers the Airflow version. Continue?")
    );
    browser.type_into("#description", "back to A from the page");
    browser.click("#confirm");
    browser.screenshot("3-rollback-form");

    // While another skyhop holds the deployment's lock (a CLI deploy), it is refused.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join(".skyhop/deployments/prod/lock"))
        .unwrap();
    lock.try_lock().unwrap();
    browser.click("#submit");
    let error = browser.wait_text("#error", "Refused, nothing changed");
    assert!(
        error.contains("Refused, nothing changed")
            && error.contains("another deploy or rollback of this deployment is running"),
        "{}",
        browser.text("body")
    );
    browser.screenshot("4-rollback-refused-while-locked");
    drop(lock);
    assert_eq!(
        history(&root).len(),
        before.len(),
        "the refusal changed the history"
    );

    // Submit again (the form kept the description; the confirmation is ticked again).
    assert_eq!(
        browser.cmd(
            "GET",
            &format!("/element/{}/property/value", browser.find("#description")),
            None
        ),
        "back to A from the page"
    );
    browser.click("#confirm");
    browser.click("#submit");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !browser.title().starts_with("Rollback of prod to deploy") {
        assert!(Instant::now() < deadline, "{}", browser.text("body"));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    browser.screenshot("5-rollback-progress");
    let t = Instant::now();
    let deadline = t + Duration::from_secs(420);
    while browser.try_find("[data-done]").is_none() {
        assert!(Instant::now() < deadline, "{}", browser.text("body"));
        std::thread::sleep(Duration::from_secs(2));
    }
    eprintln!(
        "TIMING rollback through the page: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let result = browser.text("#status");
    browser.screenshot("6-rollback-done");
    assert!(
        result.contains("Done") && result.contains("Airflow 2.10.5 is healthy"),
        "{result}\n{}",
        browser.text("#log")
    );
    let log = browser.text("#log");
    assert!(log.contains("✓ back up the metadata DB"), "{log}");

    // The history has the rollback, active, restoring A with the description typed.
    browser.click("#back");
    browser.screenshot("7-history-after-rollback");
    let after = history(&root);
    assert_eq!(after.len(), before.len() + 1);
    let last = after.last().unwrap();
    assert_eq!(last["description"], "back to A from the page");
    assert_eq!(last["status"], "succeeded");
    assert_eq!(last["active"], true);
    assert_eq!(last["kind"]["type"], "rollback");
    assert_eq!(last["kind"]["restored"], a);
    assert_eq!(last["airflow"], "2.10.5");
    let a_record = after.iter().find(|r| r["id"] == a).unwrap();
    assert_eq!(last["code_hash"], a_record["code_hash"]);
    let row = browser.wait_text(
        &format!("tr[data-id='{}']", last["id"]),
        &format!("rollback to {a}"),
    );
    assert!(row.contains(&format!("rollback to {a}")), "{row}");

    // Airflow itself runs 2.10.5 with A's code and the deployment's env vars.
    let api2 = skyhop_deploy::AirflowApi::new(port, 2);
    assert_eq!(api2.version().unwrap(), "2.10.5");
    let deadline = Instant::now() + Duration::from_secs(120);
    let dags = loop {
        let got = api2.dag_ids().unwrap_or_default();
        if got.iter().any(|d| d == "prod_a") || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    assert!(dags.contains(&"prod_a".to_string()), "{dags:?}");
    assert!(!dags.contains(&"prod_b".to_string()), "{dags:?}");
    let run = skyhop(&["deployment", "env", "list", "prod", "--project", &root_s]);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["SKYHOP_DAG_PREFIX=prod", "SKYHOP_TEST_SECRET=**** (secret)"]
    );
    browser.go(&ui.url);
    assert!(
        browser
            .text("tr[data-deployment=prod]")
            .contains("Airflow 2.10.5")
    );
    browser.screenshot("8-deployments-after-rollback");
    eprintln!("screenshots: {}", shots.display());
}
