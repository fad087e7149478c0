//! The server without Airflow: the token, the bind address, the pages of a deployment with
//! no deploy yet, and the reports (listed, served, nothing else reachable).

use std::path::Path;

use skyhop_ui::{Options, Ui, UiError};

fn options(root: &Path) -> Options {
    Options {
        project_root: root.to_path_buf(),
        host: None,
        host_explicit: false,
        port: 0,
        deploy: None,
        watch: None,
    }
}

/// Serves `root` on a free loopback port; returns the base URL and the token.
fn start(root: &Path) -> (String, String) {
    serve(options(root))
}

fn serve(opts: Options) -> (String, String) {
    let ui = Ui::bind(opts).unwrap();
    let base = format!("http://{}", ui.addr());
    let token = ui.token().to_string();
    assert_eq!(ui.url(), format!("{base}/?token={token}"));
    std::thread::spawn(move || ui.serve());
    (base, token)
}

fn get(url: &str) -> (u16, String) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{url}: {e}"),
    }
}

#[test]
fn every_request_needs_the_token() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, token) = start(tmp.path());
    assert_eq!(token.len(), 32);
    for path in [
        "/",
        "/deployments/prod",
        "/deployments/prod/rollback/1",
        "/jobs/1/events",
        "/reports/upgrade-test-1/report.html",
        "/nothing",
    ] {
        let (code, body) = get(&format!("{base}{path}"));
        assert_eq!(code, 403, "{path}");
        assert!(body.contains("token"), "{body}");
        let first = if token.starts_with('0') { '1' } else { '0' };
        let (code, _) = get(&format!("{base}{path}?token={first}{}", &token[1..]));
        assert_eq!(code, 403, "{path} with a wrong token");
        let (code, _) = get(&format!("{base}{path}?token={token}x"));
        assert_eq!(code, 403, "{path} with a longer token");
    }
    // A POST without the token changes nothing either.
    let r = ureq::post(&format!("{base}/deployments/prod/rollback/1"))
        .send_form(&[("description", "x"), ("confirm", "yes")]);
    assert!(matches!(r, Err(ureq::Error::Status(403, _))));
    let (code, body) = get(&format!("{base}/?token={token}"));
    assert_eq!(code, 200);
    assert!(body.contains("no deployment yet"), "{body}");
}

#[test]
fn refuses_a_non_loopback_address_unless_the_host_is_explicit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = options(tmp.path());
    opts.host = Some("0.0.0.0".to_string());
    let err = Ui::bind(opts.clone()).err().expect("refused");
    assert!(matches!(err, UiError::NotLoopback(..)), "{err}");
    assert!(err.to_string().contains("--host 0.0.0.0"), "{err}");
    opts.host_explicit = true;
    let ui = Ui::bind(opts).unwrap();
    assert!(ui.addr().ip().is_unspecified());
    // Loopback needs nothing explicit; the default is 127.0.0.1.
    let ui = Ui::bind(options(tmp.path())).unwrap();
    assert_eq!(ui.addr().ip().to_string(), "127.0.0.1");
    let mut opts = options(tmp.path());
    opts.host = Some("::1".to_string());
    if let Ok(ui) = Ui::bind(opts) {
        assert!(ui.url().starts_with("http://[::1]:"));
    }
    assert!(matches!(
        skyhop_ui::resolve(Some("10.1.2.3"), false, 1),
        Err(UiError::NotLoopback(..))
    ));
    assert!(skyhop_ui::resolve(Some("localhost"), false, 1).is_ok());
}

#[test]
fn deployment_pages_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let d = skyhop_deploy::Deployment::create(root, "prod", None, Some(18080)).unwrap();
    d.set_env("GREETING", "hello", false).unwrap();
    d.set_env("API_KEY", "s3cr3t-value", true).unwrap();
    std::fs::create_dir_all(root.join("upgrade-test-13.2.0")).unwrap();
    std::fs::write(
        root.join("upgrade-test-13.2.0/report.html"),
        "<html>the report</html>",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("upgrade-test-empty")).unwrap();
    std::fs::write(root.join("secret.txt"), "do not serve").unwrap();
    let (base, token) = start(root);

    let (code, body) = get(&format!("{base}/?token={token}"));
    assert_eq!(code, 200);
    assert!(body.contains("data-deployment=\"prod\""), "{body}");
    assert!(body.contains("not deployed"), "{body}");
    assert!(body.contains("upgrade-test-13.2.0"), "{body}");
    assert!(!body.contains("upgrade-test-empty"), "{body}");

    let (code, body) = get(&format!("{base}/deployments/prod?token={token}"));
    assert_eq!(code, 200);
    assert!(body.contains("GREETING=hello"), "{body}");
    assert!(body.contains("API_KEY=**** (secret)"), "{body}");
    assert!(!body.contains("s3cr3t-value"));

    assert!(!body.contains("Busy:"));
    // While another skyhop holds the deployment's lock, the pages say so.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join(".skyhop/deployments/prod/lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let (_, body) = get(&format!("{base}/deployments/prod?token={token}"));
    assert!(
        body.contains("Busy: another deploy or rollback of this deployment is running"),
        "{body}"
    );
    let (_, body) = get(&format!("{base}/?token={token}"));
    assert!(body.contains("Busy:"), "{body}");
    drop(lock);

    let (code, body) = get(&format!("{base}/deployments/nope?token={token}"));
    assert_eq!(code, 404);
    assert!(body.contains("skyhop deployment create nope"), "{body}");
    let (code, body) = get(&format!("{base}/deployments/prod/rollback/1?token={token}"));
    assert_eq!(code, 409);
    assert!(body.contains("deploy 1 does not exist"), "{body}");

    let (code, body) = get(&format!(
        "{base}/reports/upgrade-test-13.2.0/report.html?token={token}"
    ));
    assert_eq!((code, body.as_str()), (200, "<html>the report</html>"));
    for path in [
        "/reports/..%2fsecret.txt/report.html",
        "/reports/upgrade-test-13.2.0/..%2f..%2fsecret.txt",
        "/reports/upgrade-test-empty/report.html",
        "/reports/%2e%2e/report.html",
    ] {
        let (code, body) = get(&format!("{base}{path}?token={token}"));
        assert!(code == 404 || code == 405, "{path}: {code}");
        assert!(!body.contains("do not serve"), "{path}");
    }
}

/// A deploy from the page runs in the background; the job page's events endpoint gives the
/// progress lines as they come and the result at the end (here with a stand-in for the CLI).
#[test]
fn deploy_job_progress_is_polled() {
    let tmp = tempfile::tempdir().unwrap();
    skyhop_deploy::Deployment::create(tmp.path(), "prod", None, Some(18081)).unwrap();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let wait = std::sync::Mutex::new(wait);
    let mut opts = options(tmp.path());
    opts.deploy = Some(std::sync::Arc::new(
        move |name: &str, description: &str, line: &mut dyn FnMut(&str)| {
            line(&format!("  ... deploy {name}: {description}"));
            let _ = wait.lock().unwrap().recv();
            line("  ✓ store the code bundle: 0123 (0.0s)");
            (false, "deploy 1 failed: stand-in".to_string())
        },
    ));
    let (base, token) = serve(opts);
    let (_, page) = get(&format!("{base}/deployments/prod?token={token}"));
    assert!(page.contains("/deployments/prod/deploy?token="), "{page}");
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let r = agent
        .post(&format!("{base}/deployments/prod/deploy?token={token}"))
        .send_form(&[("description", "from the page")])
        .unwrap();
    assert_eq!(r.status(), 303);
    let job = r.header("Location").unwrap().to_string();
    assert_eq!(job, format!("/jobs/1?token={token}"));
    let events = |base: &str| -> serde_json::Value {
        let (code, body) = get(&format!("{base}/jobs/1/events?token={token}"));
        assert_eq!(code, 200);
        serde_json::from_str(&body).unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while events(&base)["lines"].as_array().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let running = events(&base);
    assert_eq!(running["done"], false);
    assert_eq!(running["lines"][0], "  ... deploy prod: from the page");
    let (_, page) = get(&format!("{base}{job}"));
    assert!(
        page.contains("Running…") && page.contains("fetch("),
        "{page}"
    );
    go.send(()).unwrap();
    while events(&base)["done"] == false {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let done = events(&base);
    assert_eq!(done["ok"], false);
    assert_eq!(done["result"], "deploy 1 failed: stand-in");
    assert_eq!(
        done["state"],
        "nothing is deployed; its processes are not running"
    );
    assert_eq!(done["lines"].as_array().unwrap().len(), 2);
    let (_, page) = get(&format!("{base}{job}"));
    assert!(
        page.contains("Failed") && !page.contains("fetch("),
        "{page}"
    );
}

/// A fake environment of Airflow `version` (skyhop-deploy's fake `airflow` script).
fn fake_venv(dir: &Path, version: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let root = dir.join(format!("venv-{version}"));
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let script = include_str!("../../skyhop-deploy/tests/fixtures/fake_airflow.py");
    std::fs::write(
        root.join("bin/airflow"),
        script.replace("@VERSION@", version),
    )
    .unwrap();
    std::fs::set_permissions(root.join("bin/airflow"), PermissionsExt::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("/usr/bin/python3", root.join("bin/python")).unwrap();
    root
}

/// A rollback from the page that fails (the restored version's scheduler crashes) ends with
/// what happened and the state the deployment is in: switched back, B runs again.
#[test]
fn failed_rollback_says_what_state_the_deployment_is_in() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("project");
    std::fs::create_dir_all(root.join("dags")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut d = skyhop_deploy::Deployment::create(&root, "prod", None, Some(port)).unwrap();
    struct Stop(std::path::PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            use skyhop_deploy::Target;
            let _ =
                skyhop_deploy::LocalTarget::new(self.0.join("run")).stop(&skyhop_core::NoProgress);
        }
    }
    let _stop = Stop(d.dir().to_path_buf());
    for (version, description) in [("2.10.5", "A"), ("3.1.3", "B")] {
        let req = skyhop_deploy::DeployRequest {
            description: description.to_string(),
            project_root: root.clone(),
            airflow_version: version.to_string(),
            runtime: None,
            venv: fake_venv(tmp.path(), version),
            lock_hash: format!("lock-{version}"),
            parse_ok: true,
            forced: false,
            health_timeout: std::time::Duration::from_secs(30),
            runtime_order: None,
        };
        let out = d.deploy(&req, &skyhop_core::NoProgress).unwrap();
        assert_eq!(out.record.status.as_str(), "succeeded", "{}", out.message);
    }
    d.set_env("FAKE_CRASH", "scheduler@2.10.5", false).unwrap();
    drop(d);

    let (base, token) = start(&root);
    let (code, form) = get(&format!("{base}/deployments/prod/rollback/1?token={token}"));
    assert_eq!(code, 200);
    assert!(
        form.contains("This lowers the Airflow version. Continue?"),
        "{form}"
    );
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let post = |fields: &[(&str, &str)]| match agent
        .post(&format!("{base}/deployments/prod/rollback/1?token={token}"))
        .send_form(fields)
    {
        Ok(r) => (r.status(), r.header("Location").unwrap_or("").to_string()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    };
    // No confirmation, or no description: the form again, nothing started.
    let (code, page) = post(&[("description", "back")]);
    assert_eq!(code, 400);
    assert!(page.contains("tick the confirmation"), "{page}");
    let (code, page) = post(&[("description", " "), ("confirm", "yes")]);
    assert_eq!(code, 400);
    assert!(page.contains("Enter a description"), "{page}");
    let (code, location) = post(&[("description", "back to A"), ("confirm", "yes")]);
    assert_eq!(code, 303);
    assert_eq!(location, format!("/jobs/1?token={token}"));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    let done = loop {
        let (_, body) = get(&format!("{base}/jobs/1/events?token={token}"));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        if v["done"] == true {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    assert_eq!(done["ok"], false, "{done}");
    let result = done["result"].as_str().unwrap();
    assert!(
        result.contains("deploy 3 failed")
            && result.contains("switched back")
            && result.contains("failed-rolled-back"),
        "{result}"
    );
    assert_eq!(
        done["state"],
        format!(
            "deploy 2 is active (Airflow 3.1.3); Airflow is healthy at http://127.0.0.1:{port}"
        )
    );
    let lines = done["lines"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l == "  ... downgrade the metadata DB"),
        "{lines:?}"
    );
    let (_, page) = get(&format!("{base}/jobs/1?token={token}"));
    assert!(
        page.contains("Failed") && page.contains("Now: deploy 2 is active"),
        "{page}"
    );
    let (_, history) = get(&format!("{base}/deployments/prod?token={token}"));
    assert!(
        history.contains("failed-rolled-back") && history.contains("rollback to 1"),
        "{history}"
    );
}
