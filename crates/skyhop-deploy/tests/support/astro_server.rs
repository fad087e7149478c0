//! A local HTTP server that implements the part of Astro's public API v1 skyhop uses, with the
//! paths, fields and status codes of the Astro CLI's generated client
//! (`astro-client-v1/api.gen.go`), plus the pre-signed upload URL a `DAG_ONLY` deploy answers
//! with (an Azure Blob `Put Blob`). Tests script failures (429 with `Retry-After`, 5xx, slow
//! answers) and read back every request. Loopback only; it stops when dropped.
//!
//! Shared by `crates/skyhop-deploy/tests/astro_api.rs` and `crates/skyhop/tests/astro.rs`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

pub const ORG: &str = "org-test-1";
pub const WORKSPACE: &str = "ws-test-1";
/// A part of the token that must never show up anywhere: a byte search looks for it.
pub const TOKEN_SECRET: &str = "sKyH0pT0kEnS3cr3tSiGnAtUrE";
/// What the upload URL's signature is (also a secret).
pub const UPLOAD_SECRET: &str = "uPl0aDsAsSiG";

/// A JWT-shaped Astro API token with these permissions (unsigned: the server only compares).
pub fn token_with(permissions: &[&str]) -> String {
    let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = json!({
        "permissions": permissions,
        "apiTokenId": "tok-test-1",
        "exp": 4_102_444_800i64, // 2100-01-01
        "iss": "https://api.astronomer.io",
    });
    format!(
        "{}.{}.{TOKEN_SECRET}",
        b(r#"{"alg":"RS256","typ":"JWT"}"#),
        b(&claims.to_string())
    )
}

/// A Workspace API token of [`ORG`] / [`WORKSPACE`].
pub fn workspace_token() -> String {
    token_with(&[
        "apiTokenId:tok-test-1",
        &format!("organizationId:{ORG}"),
        &format!("workspaceId:{WORKSPACE}"),
    ])
}

/// A response the server gives instead of the real one, for the next matching request.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    /// A part of the path it applies to.
    pub path: &'static str,
    pub status: u16,
    pub retry_after: Option<u64>,
    /// Wait this long before answering (a slow server).
    pub delay: Option<Duration>,
    /// Then answer normally (with `delay`) instead of with `status`.
    pub pass: bool,
}

impl Fault {
    pub fn status(method: &'static str, path: &'static str, status: u16) -> Fault {
        Fault {
            method,
            path,
            status,
            retry_after: None,
            delay: None,
            pass: false,
        }
    }
    pub fn rate_limited(method: &'static str, path: &'static str, after: u64) -> Fault {
        Fault {
            retry_after: Some(after),
            ..Fault::status(method, path, 429)
        }
    }
    pub fn slow(method: &'static str, path: &'static str, delay: Duration) -> Fault {
        Fault {
            delay: Some(delay),
            pass: true,
            ..Fault::status(method, path, 200)
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Default)]
pub struct State {
    /// The token the server accepts.
    pub token: String,
    /// POSTs answer 403 (a Workspace Member's token).
    pub read_only: bool,
    pub deployments: Vec<Value>,
    /// Deploys per Deployment id, oldest first.
    pub deploys: Vec<(String, Vec<Value>)>,
    pub faults: VecDeque<Fault>,
    pub seen: Vec<Seen>,
    /// Uploaded tarballs: (deploy id, bytes, version id).
    pub uploads: Vec<(String, Vec<u8>, String)>,
    /// The largest page the server answers (forces pagination).
    pub max_page: usize,
    next_id: u32,
}

pub struct AstroServer {
    /// The API base URL (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    root: String,
    pub state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
}

impl Drop for AstroServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A Deployment as `GET …/deployments/{id}` answers it.
pub fn deployment(id: &str, name: &str, runtime: &str, airflow: &str) -> Value {
    json!({
        "id": id, "name": name, "organizationId": ORG, "workspaceId": WORKSPACE,
        "workspaceName": "Data platform", "airflowVersion": airflow,
        "astroRuntimeVersion": runtime, "runtimeVersion": runtime, "status": "HEALTHY",
        "isDagDeployEnabled": true, "isCicdEnforced": false, "imageRepository":
        format!("images.astronomer.cloud/{id}"), "imageTag": "deploy-1",
        "namespace": format!("ns-{id}"), "createdAt": "2025-01-02T03:04:05Z",
        "updatedAt": "2025-01-02T03:04:05Z", "createdBy": {"id": "u1"}, "updatedBy": {"id": "u1"},
        "apiUrl": "", "uiUrl": format!("https://cloud.astronomer.io/{id}"),
        "webServerUrl": "", "webServerAirflowApiUrl": "", "webServerIngressHostname": "",
        "webServerCpu": "0.5", "webServerMemory": "1Gi", "schedulerCpu": "1",
        "schedulerMemory": "2Gi", "schedulerReplicas": 1
    })
}

/// A deploy of the history.
pub fn deploy(id: &str, deployment: &str, created: &str, runtime: &str, airflow: &str) -> Value {
    json!({
        "id": id, "deploymentId": deployment, "createdAt": created,
        "createdBySubject": {"id": "u1", "subjectType": "USER", "username": "ada@example.com"},
        "airflowVersion": airflow, "astroRuntimeVersion": runtime,
        "imageRepository": format!("images.astronomer.cloud/{deployment}"),
        "imageTag": format!("deploy-{id}"), "dagTarballVersion": format!("2025-{id}"),
        "isDagDeployEnabled": true, "status": "DEPLOYED", "type": "IMAGE_AND_DAG",
        "description": format!("deploy {id}")
    })
}

/// A server accepting `token` with a fleet: `prod` (Runtime 3.1-5, five deploys from 12.7.1 up,
/// three pages of two), `eom` (11.3.0, past end of maintenance), `yanked` (11.1.0) and `af2`
/// (13.1.0).
pub fn fleet(token: &str) -> AstroServer {
    let server = AstroServer::start(token);
    server.add_deployment(
        deployment("prod", "prod", "3.1-5", "3.1.3"),
        vec![
            deploy("d1", "prod", "2025-01-01T00:00:00Z", "12.7.1", "2.10.5"),
            deploy("d2", "prod", "2025-02-01T00:00:00Z", "13.1.0", "2.11.0"),
            deploy("d3", "prod", "2025-03-01T00:00:00Z", "3.1-2", "3.1.0"),
            deploy("d4", "prod", "2025-04-01T00:00:00Z", "3.1-3", "3.1.1"),
            deploy("d5", "prod", "2025-05-01T00:00:00Z", "3.1-5", "3.1.3"),
        ],
    );
    for (id, rt, af) in [
        ("eom", "11.3.0", "2.9.1"),
        ("yanked", "11.1.0", "2.9.0"),
        ("af2", "13.1.0", "2.11.0"),
    ] {
        server.add_deployment(deployment(id, &format!("team-{id}"), rt, af), vec![]);
    }
    server
}

fn error(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({"message": message, "requestId": format!("req-{status}"), "statusCode": status}),
    )
}

impl AstroServer {
    /// A server that accepts `token`.
    pub fn start(token: &str) -> AstroServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("ip").port();
        let root = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State {
            token: token.to_string(),
            max_page: 2,
            ..State::default()
        }));
        let (s, st, r) = (server.clone(), state.clone(), root.clone());
        std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let st = st.clone();
                let r = r.clone();
                std::thread::spawn(move || handle(req, &st, &r));
            }
        });
        AstroServer {
            url: format!("{root}/v1"),
            root,
            state,
            server,
        }
    }

    pub fn add_deployment(&self, d: Value, deploys: Vec<Value>) {
        let mut st = self.state.lock().unwrap();
        let id = d["id"].as_str().unwrap().to_string();
        st.deployments.push(d);
        st.deploys.push((id, deploys));
    }

    pub fn fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn deploys_of(&self, id: &str) -> Vec<Value> {
        let st = self.state.lock().unwrap();
        st.deploys
            .iter()
            .find(|(d, _)| d == id)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

fn handle(mut req: tiny_http::Request, st: &Mutex<State>, root: &str) {
    let method = req.method().as_str().to_string();
    let (path, query) = match req.url().split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (req.url().to_string(), String::new()),
    };
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    let _ = req.as_reader().read_to_end(&mut body);
    let authorization = header("Authorization");
    let fault = {
        let mut s = st.lock().unwrap();
        s.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            authorization: authorization.clone(),
            headers: headers.clone(),
            body: body.clone(),
        });
        let i = s
            .faults
            .iter()
            .position(|f| f.method == method && path.contains(f.path));
        i.and_then(|i| s.faults.remove(i))
    };
    if let Some(f) = &fault {
        if let Some(d) = f.delay {
            std::thread::sleep(d);
        }
        if !f.pass {
            let (status, v) = error(f.status, "scripted failure");
            let mut resp = tiny_http::Response::from_string(v.to_string())
                .with_status_code(status)
                .with_header(json_header());
            if let Some(after) = f.retry_after {
                resp = resp.with_header(
                    tiny_http::Header::from_bytes("Retry-After", after.to_string()).unwrap(),
                );
            }
            let _ = req.respond(resp);
            return;
        }
    }
    // The pre-signed upload URL: a blob PUT, authorized by its own signature.
    if let Some(deploy_id) = path.strip_prefix("/upload/") {
        let ok_sig = query.contains(&format!("sig={UPLOAD_SECRET}"));
        let blob = header("x-ms-blob-type").as_deref() == Some("BlockBlob");
        if method != "PUT" || !ok_sig || !blob || authorization.is_some() {
            let _ = req.respond(
                tiny_http::Response::from_string("AuthenticationFailed").with_status_code(403),
            );
            return;
        }
        let version = format!("2025-06-01T00:00:00.{:07}Z", body.len());
        st.lock()
            .unwrap()
            .uploads
            .push((deploy_id.to_string(), body, version.clone()));
        let _ = req.respond(
            tiny_http::Response::from_string("")
                .with_status_code(201)
                .with_header(tiny_http::Header::from_bytes("x-ms-version-id", version).unwrap()),
        );
        return;
    }
    let (status, value) = api(
        st,
        &method,
        &path,
        &query,
        authorization.as_deref(),
        &body,
        root,
    );
    let _ = req.respond(
        tiny_http::Response::from_string(value.to_string())
            .with_status_code(status)
            .with_header(json_header()),
    );
}

fn json_header() -> tiny_http::Header {
    tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap()
}

fn param(query: &str, name: &str) -> Option<usize> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
}

fn page(items: &[Value], query: &str, max: usize) -> (Vec<Value>, usize, usize) {
    let offset = param(query, "offset").unwrap_or(0);
    let limit = param(query, "limit").unwrap_or(20).min(max);
    let out = items.iter().skip(offset).take(limit).cloned().collect();
    (out, offset, limit)
}

fn api(
    st: &Mutex<State>,
    method: &str,
    path: &str,
    query: &str,
    authorization: Option<&str>,
    body: &[u8],
    root: &str,
) -> (u16, Value) {
    let mut s = st.lock().unwrap();
    if authorization != Some(&format!("Bearer {}", s.token)) {
        return error(401, "Unauthorized: token is invalid");
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["v1", "organizations", org, rest @ ..] = parts.as_slice() else {
        return error(404, "no such route");
    };
    if *org != ORG {
        return error(404, &format!("organization {org} not found"));
    }
    if method == "POST" && s.read_only {
        return error(403, "insufficient permissions: deployment.images.push");
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match (method, rest) {
        ("GET", ["deployments"]) => {
            let max = s.max_page;
            let (items, offset, limit) = page(&s.deployments, query, max);
            (
                200,
                json!({"deployments": items, "offset": offset, "limit": limit,
                       "totalCount": s.deployments.len()}),
            )
        }
        ("GET", ["deployments", id]) => match s.deployments.iter().find(|d| d["id"] == *id) {
            Some(d) => (200, d.clone()),
            None => error(404, &format!("deployment {id} not found")),
        },
        ("GET", ["deployments", id, "deploys"]) => {
            let max = s.max_page;
            let Some((_, list)) = s.deploys.iter().find(|(d, _)| d == id) else {
                return error(404, &format!("deployment {id} not found"));
            };
            let (items, offset, limit) = page(list, query, max);
            (
                200,
                json!({"deploys": items, "offset": offset, "limit": limit,
                       "totalCount": list.len()}),
            )
        }
        ("POST", ["deployments", id, "deploys"]) => {
            let Some(dep) = s.deployments.iter().find(|d| d["id"] == *id).cloned() else {
                return error(404, &format!("deployment {id} not found"));
            };
            let kind = body["type"].as_str().unwrap_or("");
            if !["IMAGE_AND_DAG", "IMAGE_ONLY", "DAG_ONLY", "BUNDLE"].contains(&kind) {
                return error(
                    400,
                    "type: must be one of IMAGE_AND_DAG, IMAGE_ONLY, DAG_ONLY, BUNDLE",
                );
            }
            if kind == "DAG_ONLY" && dep["isDagDeployEnabled"] != true {
                return error(400, "dag deploys are not enabled");
            }
            s.next_id += 1;
            let deploy_id = format!("new{}", s.next_id);
            let mut d = json!({
                "id": deploy_id, "deploymentId": id, "createdAt": "2025-06-01T00:00:00Z",
                "airflowVersion": dep["airflowVersion"], "astroRuntimeVersion": dep["astroRuntimeVersion"],
                "imageRepository": dep["imageRepository"], "imageTag": dep["imageTag"],
                "isDagDeployEnabled": true, "status": "INITIALIZED", "type": kind,
                "createdBySubject": {"id": "t1", "subjectType": "SERVICEKEY", "apiTokenName": "ci"},
            });
            if let Some(desc) = body["description"].as_str() {
                d["description"] = json!(desc);
            }
            if kind == "DAG_ONLY" || kind == "IMAGE_AND_DAG" {
                d["dagsUploadUrl"] = json!(format!(
                    "{root}/upload/{deploy_id}?sv=2023-11-03&sr=b&sig={UPLOAD_SECRET}"
                ));
            }
            push_deploy(&mut s, id, d.clone());
            (200, d)
        }
        ("POST", ["deployments", id, "deploys", deploy_id, "finalize"]) => {
            let version = body["dagTarballVersion"].as_str().map(str::to_string);
            let uploaded = s
                .uploads
                .iter()
                .find(|(d, _, _)| d == deploy_id)
                .map(|(_, _, v)| v.clone());
            let Some(list) = s.deploys.iter_mut().find(|(d, _)| d == id).map(|(_, l)| l) else {
                return error(404, &format!("deployment {id} not found"));
            };
            let Some(d) = list.iter_mut().find(|d| d["id"] == *deploy_id) else {
                return error(404, &format!("deploy {deploy_id} not found"));
            };
            if d["type"] == "DAG_ONLY" && (version.is_none() || version != uploaded) {
                return error(400, "dagTarballVersion: does not match an uploaded tarball");
            }
            d["status"] = json!("DEPLOYED");
            d["dagTarballVersion"] = json!(version);
            d["updatedAt"] = json!("2025-06-01T00:01:00Z");
            let out = d.clone();
            if let Some(dep) = s.deployments.iter_mut().find(|x| x["id"] == *id) {
                dep["dagTarballVersion"] = json!(version);
            }
            (200, out)
        }
        ("POST", ["deployments", id, "deploys", deploy_id, "rollback"]) => {
            if let Some(desc) = body["description"].as_str()
                && desc.chars().count() > 500
            {
                return (
                    400,
                    json!({"message": "validation failed", "requestId": "req-400", "statusCode": 400,
                           "fieldErrors": [{"code": "max", "field": "description",
                                             "message": "must be at most 500 characters"}]}),
                );
            }
            let Some(list) = s
                .deploys
                .iter()
                .find(|(d, _)| d == id)
                .map(|(_, l)| l.clone())
            else {
                return error(404, &format!("deployment {id} not found"));
            };
            let Some(target) = list.iter().find(|d| d["id"] == *deploy_id).cloned() else {
                return error(404, &format!("deploy {deploy_id} not found"));
            };
            s.next_id += 1;
            let mut d = target.clone();
            d["id"] = json!(format!("rb{}", s.next_id));
            d["createdAt"] = json!("2025-06-02T00:00:00Z");
            d["rollbackFromId"] = json!(deploy_id);
            d["description"] = body["description"].clone();
            d["status"] = json!("DEPLOYED");
            push_deploy(&mut s, id, d.clone());
            if let Some(dep) = s.deployments.iter_mut().find(|x| x["id"] == *id) {
                dep["airflowVersion"] = target["airflowVersion"].clone();
                dep["astroRuntimeVersion"] = target["astroRuntimeVersion"].clone();
            }
            (200, d)
        }
        _ => error(404, "no such route"),
    }
}

fn push_deploy(s: &mut State, id: &str, d: Value) {
    match s.deploys.iter_mut().find(|(x, _)| x == id) {
        Some((_, l)) => l.push(d),
        None => s.deploys.push((id.to_string(), vec![d])),
    }
}
