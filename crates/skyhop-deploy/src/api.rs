//! A tiny client of a running Airflow's REST API: health, version and the DAGs it serves.
//!
//! Airflow 2: `GET /health`, `GET /api/v1/version`, `GET /api/v1/dags` (the local supervisor
//! enables the `default` API auth backend and an Admin public role, bound to 127.0.0.1).
//! Airflow 3: `GET /api/v2/monitor/health`, `GET /api/v2/version`, and `GET /api/v2/dags` with a
//! token from `GET /auth/token` (simple auth manager with `all_admins`).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// What the health endpoint says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// Metadata DB and scheduler are healthy.
    pub healthy: bool,
    /// Airflow version reported by the API, when it answered.
    pub version: Option<String>,
    /// One line per component (`metadatabase: healthy`, `scheduler: unhealthy`), or the error.
    pub detail: String,
}

/// Client of one Airflow API server on loopback.
#[derive(Debug, Clone)]
pub struct AirflowApi {
    base: String,
    major: u64,
    agent: ureq::Agent,
}

impl AirflowApi {
    /// A client of the Airflow `major` (2 or 3) API server at `http://127.0.0.1:<port>`.
    pub fn new(port: u16, major: u64) -> Self {
        AirflowApi {
            base: format!("http://127.0.0.1:{port}"),
            major,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(2))
                .timeout(Duration::from_secs(10))
                .build(),
        }
    }

    /// The base URL (`http://127.0.0.1:8080`).
    pub fn url(&self) -> &str {
        &self.base
    }

    fn get(&self, path: &str, token: Option<&str>) -> Result<Value, String> {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        match req.call() {
            Ok(resp) => resp
                .into_json::<Value>()
                .map_err(|e| format!("GET {path}: not JSON: {e}")),
            Err(ureq::Error::Status(code, _)) => Err(format!("GET {path}: HTTP {code}")),
            Err(e) => Err(format!("GET {path}: {e}")),
        }
    }

    /// The Airflow version the API reports.
    pub fn version(&self) -> Result<String, String> {
        let path = if self.major >= 3 {
            "/api/v2/version"
        } else {
            "/api/v1/version"
        };
        self.get(path, None)?
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("GET {path}: no `version` in the answer"))
    }

    /// Health of the metadata DB and scheduler, plus the reported version.
    pub fn health(&self) -> Health {
        let path = if self.major >= 3 {
            "/api/v2/monitor/health"
        } else {
            "/health"
        };
        let body = match self.get(path, None) {
            Ok(b) => b,
            Err(e) => {
                return Health {
                    healthy: false,
                    version: None,
                    detail: e,
                };
            }
        };
        let status = |c: &str| {
            body.get(c)
                .and_then(|v| v.get("status"))
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_string()
        };
        let mut parts = Vec::new();
        let mut healthy = true;
        for component in ["metadatabase", "scheduler"] {
            let s = status(component);
            healthy &= s == "healthy";
            parts.push(format!("{component}: {s}"));
        }
        let version = self.version().ok();
        healthy &= version.is_some();
        Health {
            healthy,
            version,
            detail: parts.join(", "),
        }
    }

    /// The ids of the active DAGs the API serves, sorted.
    pub fn dag_ids(&self) -> Result<Vec<String>, String> {
        let body = if self.major >= 3 {
            let token = self.get("/auth/token", None)?;
            let token = token
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or("GET /auth/token: no access_token")?
                .to_string();
            self.get("/api/v2/dags?limit=1000", Some(&token))?
        } else {
            self.get("/api/v1/dags?limit=1000&only_active=true", None)?
        };
        let mut ids: Vec<String> = body
            .get("dags")
            .and_then(Value::as_array)
            .map(|dags| {
                dags.iter()
                    .filter(|d| d.get("is_stale").and_then(Value::as_bool) != Some(true))
                    .filter_map(|d| d.get("dag_id").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        Ok(ids)
    }
}
