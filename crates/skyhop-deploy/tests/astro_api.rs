//! The Astro API client against a local server that implements Astro's contract
//! (`support/astro_server.rs`): pagination, rollback, the DAG-only deploy with its upload,
//! and every error class with its message. Loopback only, a few seconds.

#[path = "support/astro_server.rs"]
mod astro_server;

use std::io::Read;
use std::time::{Duration, Instant};

use astro_server::{AstroServer, Fault, ORG, TOKEN_SECRET, workspace_token};
use skyhop_deploy::astro::{
    AstroDeployment, AstroError, Client, ClientConfig, Retry, Token, TokenSource,
};

struct Quiet;
impl skyhop_core::Progress for Quiet {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: &str, _: u64) {}
    fn end(&self, _: &str, _: &str) {}
    fn note(&self, _: &str) {}
}

fn config(server: &AstroServer) -> ClientConfig {
    ClientConfig {
        api_url: Some(server.url.clone()),
        organization: None,
        timeout: Some(Duration::from_millis(700)),
        retry: Retry {
            attempts: 3,
            base: Duration::from_millis(10),
            max_wait: Duration::from_secs(2),
        },
    }
}

fn client(server: &AstroServer, token: &str) -> Client {
    Client::new(
        &config(server),
        Token::new(token).unwrap(),
        TokenSource::Env,
    )
    .unwrap()
}

/// The shared fleet: `prod` has 5 deploys (3 pages of 2), 4 Deployments in all (2 pages).
fn fleet() -> (AstroServer, String) {
    let token = workspace_token();
    (astro_server::fleet(&token), token)
}

fn no_secret(text: &str) {
    assert!(!text.contains(TOKEN_SECRET), "the token leaked: {text}");
    assert!(
        !text.contains(astro_server::UPLOAD_SECRET),
        "the upload URL leaked: {text}"
    );
}

#[test]
fn lists_every_page_and_reads_history() {
    let (s, token) = fleet();
    let c = client(&s, &token);
    assert_eq!(c.organization(), ORG, "from the token's claims");
    let all = c.deployments().unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].astro_runtime_version, "13.1.0");
    let d = AstroDeployment::open(&c, "prod").unwrap();
    let h = d.history().unwrap();
    assert_eq!(
        h.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d1", "d2", "d3", "d4", "d5"]
    );
    assert_eq!(h[0].airflow_version.as_deref(), Some("2.10.5"));
    let seen = s.seen();
    let pages: Vec<&str> = seen
        .iter()
        .filter(|r| r.path.ends_with("/deploys"))
        .map(|r| r.query.as_str())
        .collect();
    assert_eq!(
        pages,
        [
            "offset=0&limit=100",
            "offset=2&limit=100",
            "offset=4&limit=100"
        ]
    );
    assert!(
        seen.iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {token}")))
    );
}

#[test]
fn rollback_plans_then_calls_and_returns_the_new_deploy() {
    let (s, token) = fleet();
    let c = client(&s, &token);
    let d = AstroDeployment::open(&c, "prod").unwrap();
    // Same Airflow major, lower: a downgrade to confirm, not refused.
    let plan = d.plan_rollback("d4", false).unwrap();
    assert!(plan.downgrade && !plan.crosses_major);
    let text = plan.text();
    assert!(
        text.contains(
            "Astro Runtime 3.1-5 (Airflow 3.1.3) goes back to Astro Runtime 3.1-3 (Airflow 3.1.1)"
        ),
        "{text}"
    );
    // Airflow 3 -> 2 is refused without force, before any POST.
    let err = d.plan_rollback("d2", false).unwrap_err();
    assert!(matches!(err, AstroError::Refused(_)), "{err}");
    assert!(s.seen().iter().all(|r| r.method == "GET"));
    let long = "x".repeat(501);
    assert!(
        d.rollback(&plan, Some(&long))
            .unwrap_err()
            .to_string()
            .contains("at most 500")
    );
    let new = d.rollback(&plan, Some("back to 3.1-3")).unwrap();
    assert_eq!(new.rollback_from_id.as_deref(), Some("d4"));
    assert_eq!(new.astro_runtime_version.as_deref(), Some("3.1-3"));
    let post = s.seen().into_iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(
        post.path,
        format!("/v1/organizations/{ORG}/deployments/prod/deploys/d4/rollback")
    );
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body, serde_json::json!({"description": "back to 3.1-3"}));
}

#[test]
fn dag_only_deploy_creates_uploads_and_finalizes() {
    let (s, token) = fleet();
    let c = client(&s, &token);
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join("dags")).unwrap();
    std::fs::write(project.path().join("dags/a.py"), "print('hi')\n").unwrap();
    let d = AstroDeployment::open(&c, "prod").unwrap();
    let done = d
        .deploy_dags(project.path(), Some("dags only"), &Quiet)
        .unwrap();
    assert_eq!(done.deploy.status, "DEPLOYED");
    assert!(
        done.deploy.dags_upload_url.is_some(),
        "the server answers with it"
    );
    no_secret(&format!("{done:?}"));
    assert_eq!(done.deploy.kind, "DAG_ONLY");
    assert_eq!(
        done.deploy.dag_tarball_version.as_deref(),
        Some(done.version.as_str())
    );
    let seen = s.seen();
    let put = seen.iter().find(|r| r.method == "PUT").unwrap();
    assert!(put.authorization.is_none(), "no API token to the storage");
    let header = |n: &str| {
        put.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("x-ms-blob-type"), Some("BlockBlob"));
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&put.body[..])
        .read_to_end(&mut tar)
        .unwrap();
    let names: Vec<String> = tar::Archive::new(&tar[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["dags/a.py"]);
    let order: Vec<(String, String)> = seen
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.rsplit('/').next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        order[1..],
        [
            ("POST".into(), "deploys".into()),
            ("PUT".into(), "new1".into()),
            ("POST".into(), "finalize".into()),
        ]
    );
    // A failed upload: the message names the deploy left unfinalized, never the URL.
    s.fault(Fault::status("PUT", "/upload/", 403));
    let err = d
        .deploy_dags(project.path(), None, &Quiet)
        .unwrap_err()
        .to_string();
    assert!(err.contains("was created but not finalized"), "{err}");
    no_secret(&err);
}

#[test]
fn each_error_class_says_what_to_do() {
    let (s, token) = fleet();
    let c = client(&s, &token);
    // 401: a wrong token.
    let bad = Client::new(
        &config(&s),
        Token::new("wrong.token.x").unwrap(),
        TokenSource::Env,
    );
    assert!(
        matches!(bad, Err(AstroError::NoOrganization)),
        "no org in a non-JWT token"
    );
    let mut cfg = config(&s);
    cfg.organization = Some(ORG.into());
    let bad = Client::new(&cfg, Token::new("wrong.token.x").unwrap(), TokenSource::Env).unwrap();
    let e = bad.deployments().unwrap_err();
    assert!(matches!(e, AstroError::Unauthorized { .. }));
    assert!(
        e.to_string().contains("ASTRO_API_TOKEN was refused (401"),
        "{e}"
    );
    // An expired API token: refused before any request.
    let expired = {
        use base64::Engine;
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{TOKEN_SECRET}",
            b("{}"),
            b(r#"{"permissions":["organizationId:o"],"exp":1000}"#)
        )
    };
    let before = s.seen().len();
    let e = Client::new(&config(&s), Token::new(&expired).unwrap(), TokenSource::Env).unwrap_err();
    assert!(
        e.to_string().contains("expired at 1970-01-01T00:16:40Z"),
        "{e}"
    );
    assert_eq!(s.seen().len(), before);
    // 404: a wrong Deployment, and a wrong Organization.
    let e = c.deployment("nope").unwrap_err().to_string();
    assert!(
        e.contains("Deployment nope was not found in Organization org-test-1"),
        "{e}"
    );
    let mut cfg = config(&s);
    cfg.organization = Some("other-org".into());
    let other = Client::new(&cfg, Token::new(&token).unwrap(), TokenSource::Env).unwrap();
    let e = other.deployments().unwrap_err().to_string();
    assert!(e.contains("Organization other-org was not found"), "{e}");
    // 403: a Workspace token without a role that deploys.
    s.state.lock().unwrap().read_only = true;
    let d = AstroDeployment::open(&c, "prod").unwrap();
    let plan = d.plan_rollback("d4", false).unwrap();
    let e = d.rollback(&plan, None).unwrap_err().to_string();
    assert!(
        e.contains("this Workspace API token may not roll this Deployment back (403"),
        "{e}"
    );
    assert!(e.contains("Workspace Author"), "{e}");
    s.state.lock().unwrap().read_only = false;
    // 429 with Retry-After: waited for, then it works.
    s.fault(Fault::rate_limited("GET", "/deployments/prod", 1));
    let t = Instant::now();
    assert_eq!(c.deployment("prod").unwrap().id, "prod");
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    // 429 every time: gives up with what to do.
    for _ in 0..3 {
        s.fault(Fault::rate_limited("GET", "/deployments/prod", 0));
    }
    let e = c.deployment("prod").unwrap_err();
    assert!(matches!(e, AstroError::RateLimited { .. }), "{e}");
    assert!(
        e.to_string().contains("429 Too Many Requests 3 times"),
        "{e}"
    );
    // 5xx on a GET: retried with backoff.
    s.fault(Fault::status("GET", "/deploys", 502));
    s.fault(Fault::status("GET", "/deploys", 500));
    assert_eq!(d.history().unwrap().len(), 5);
    // 5xx on a rollback POST: not retried (it may have happened), and said so.
    let before = s.seen().len();
    s.fault(Fault::status("POST", "/rollback", 500));
    let e = d.rollback(&plan, None).unwrap_err().to_string();
    assert!(e.contains("may or may not have taken effect"), "{e}");
    assert_eq!(s.seen().len(), before + 1, "one POST only");
    // 503 on a POST: Astro did not act, so it is retried.
    s.fault(Fault::status("POST", "/rollback", 503));
    assert!(d.rollback(&plan, None).is_ok());
    // A timeout on a GET: retried, then an answer.
    s.fault(Fault::slow(
        "GET",
        "/deployments/af2",
        Duration::from_millis(1500),
    ));
    assert_eq!(c.deployment("af2").unwrap().id, "af2");
    // Timeouts every time: the message says so and how to raise the limit.
    for _ in 0..3 {
        s.fault(Fault::slow(
            "GET",
            "/deployments/yanked",
            Duration::from_millis(1500),
        ));
    }
    let e = c.deployment("yanked").unwrap_err();
    assert!(matches!(e, AstroError::Timeout { .. }), "{e}");
    assert!(e.to_string().contains("SKYHOP_ASTRO_TIMEOUT"), "{e}");
    // Nothing listening.
    let mut cfg = config(&s);
    cfg.api_url = Some("http://127.0.0.1:9/v1".into());
    let gone = Client::new(&cfg, Token::new(&token).unwrap(), TokenSource::Env).unwrap();
    let e = gone.deployments().unwrap_err();
    assert!(matches!(e, AstroError::Network { .. }), "{e}");
    assert!(
        e.to_string().contains("cannot reach http://127.0.0.1:9/v1"),
        "{e}"
    );
    no_secret(&format!("{e} {e:?} {c:?}"));
}
