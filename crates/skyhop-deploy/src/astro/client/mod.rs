//! The HTTP client of Astro's public API v1 (`https://api.astronomer.io/v1` by default): a
//! Bearer API token, JSON bodies, `offset`/`limit` pagination with `totalCount`, and the
//! errors users meet, each turned into what to do (401, 403, 404, 400, 429 with
//! `Retry-After`, 5xx retried with backoff, timeouts, unreachable hosts).
//!
//! Retries: a `GET` (and the upload, a `PUT` of the same blob) is retried on 429, 5xx, a
//! timeout and a failed connection. A `POST` (create, finalize, rollback) is retried only when
//! Astro cannot have acted on it: 429, 503, and a connection that never opened; after any
//! other 5xx or a timeout the message says it may have taken effect and to look at the deploy
//! history before trying again.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::AstroError;
use super::model::{
    ApiError, CreateDeploy, Deploy, Deployment, DeploymentsPage, DeploysPage, FinalizeDeploy,
    RollbackDeploy,
};
use super::token::{Claims, Token, TokenKind, TokenSource};

mod messages;
pub use messages::redact_url;
use messages::*;

/// Astro's API, as the Astro CLI builds it for the `astronomer.io` domain.
pub const DEFAULT_API_URL: &str = "https://api.astronomer.io/v1";
/// Environment variable of the API's base URL (other Astronomer domains).
pub const URL_ENV: &str = "ASTRO_API_URL";
/// Environment variable of the Organization id.
pub const ORG_ENV: &str = "ASTRO_ORGANIZATION_ID";
/// Environment variable of the per-request timeout, in seconds.
pub const TIMEOUT_ENV: &str = "SKYHOP_ASTRO_TIMEOUT";
/// Page size of list requests.
const PAGE: usize = 100;
/// The Azure Blob REST version sent with the DAG upload (blob versioning needs 2019-10-10+).
const BLOB_API_VERSION: &str = "2023-11-03";

/// How often and how long to retry.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Tries in all (1 = no retry).
    pub attempts: u32,
    /// First backoff; doubled after each try.
    pub base: Duration,
    /// Longest wait, also for a `Retry-After` that asks for more.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            base: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// How to reach Astro.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Base URL (`https://api.astronomer.io/v1`); `None`: `ASTRO_API_URL`, else the default.
    pub api_url: Option<String>,
    /// Organization id; `None`: `ASTRO_ORGANIZATION_ID`, else the token's claims.
    pub organization: Option<String>,
    /// Per-request timeout; `None`: `SKYHOP_ASTRO_TIMEOUT` seconds, else 30 s.
    pub timeout: Option<Duration>,
    pub retry: Retry,
}

/// A connection to one Astro Organization with one token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Token,
    source: TokenSource,
    claims: Option<Claims>,
    organization: String,
    timeout: Duration,
    retry: Retry,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("organization", &self.organization)
            .field("token", &self.token)
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
    /// Sending it twice does what sending it once does.
    fn idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

/// One API operation, for messages.
struct Op<'a> {
    /// `list the Deployments of Organization X`.
    what: String,
    /// What a 403 says the token may not do: `list Deployments`, `deploy to Deployment X`.
    action: &'a str,
    /// The Deployment it is about, for 403/404 messages.
    deployment: Option<&'a str>,
    /// What `404` means here.
    not_found: Option<String>,
}

enum Outcome {
    Done(String),
    Retry(Duration),
    Fail(AstroError),
}

impl Client {
    /// A client with `token`; the Organization comes from the config, `ASTRO_ORGANIZATION_ID`
    /// or the token's claims. An API token that has expired is refused before any request.
    pub fn new(
        config: &ClientConfig,
        token: Token,
        source: TokenSource,
    ) -> Result<Client, AstroError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let base = config
            .api_url
            .clone()
            .or_else(|| env(URL_ENV))
            .unwrap_or_else(|| DEFAULT_API_URL.to_string())
            .trim()
            .trim_end_matches('/')
            .to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(AstroError::Refused(format!(
                "--astro-api-url `{base}` is not an http(s) URL; Astro's is {DEFAULT_API_URL}"
            )));
        }
        let claims = token.claims();
        if let Some(exp) = claims.as_ref().and_then(|c| c.expires)
            && exp < jiff::Timestamp::now().as_second()
        {
            let when = jiff::Timestamp::from_second(exp)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| exp.to_string());
            return Err(AstroError::Unauthorized {
                what: "Astro API token".into(),
                message: format!(
                    "{} expired at {when}; create a new API token in the Astro UI and set \
                     ASTRO_API_TOKEN or run `skyhop astro login` again",
                    source.describe()
                ),
            });
        }
        let organization = config
            .organization
            .clone()
            .filter(|o| !o.trim().is_empty())
            .or_else(|| env(ORG_ENV))
            .or_else(|| claims.as_ref().and_then(|c| c.organization_id.clone()))
            .ok_or(AstroError::NoOrganization)?
            .trim()
            .to_string();
        if organization.contains(['/', '?', '#', ' ']) {
            return Err(AstroError::Refused(format!(
                "`{organization}` is not an Astro Organization id"
            )));
        }
        let timeout = config.timeout.unwrap_or_else(|| {
            env(TIMEOUT_ENV)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|s| *s > 0.0)
                .map(Duration::from_secs_f64)
                .unwrap_or(Duration::from_secs(30))
        });
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(10)))
            .timeout_read(timeout)
            .timeout_write(timeout)
            .user_agent(concat!("skyhop/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent,
            base,
            token,
            source,
            claims,
            organization,
            timeout,
            retry: config.retry,
        })
    }

    /// The Organization every request is for.
    pub fn organization(&self) -> &str {
        &self.organization
    }

    /// The API's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// What the token's claims say (kind, Organization, Workspace), when it is a JWT.
    pub fn claims(&self) -> Option<&Claims> {
        self.claims.as_ref()
    }

    fn kind(&self) -> TokenKind {
        self.claims.as_ref().map_or(TokenKind::Unknown, |c| c.kind)
    }

    fn deployment_path(&self, deployment: &str) -> Result<String, AstroError> {
        if deployment.is_empty() || deployment.contains(['/', '?', '#', ' ']) {
            return Err(AstroError::Refused(format!(
                "`{deployment}` is not an Astro Deployment id (`skyhop astro deployments` lists them)"
            )));
        }
        Ok(format!(
            "/organizations/{}/deployments/{deployment}",
            self.organization
        ))
    }

    fn deployment_not_found(&self, deployment: &str) -> String {
        format!(
            "Deployment {deployment} was not found in Organization {}: check the Deployment id \
             (`skyhop astro deployments` lists those the token can see) and the Organization id \
             (--organization-id / ASTRO_ORGANIZATION_ID, else the token's own)",
            self.organization
        )
    }

    /// Every Deployment of the Organization the token can see (all pages).
    pub fn deployments(&self) -> Result<Vec<Deployment>, AstroError> {
        let op = Op {
            what: format!("list the Deployments of Organization {}", self.organization),
            action: "list the Organization's Deployments",
            deployment: None,
            not_found: Some(format!(
                "Organization {} was not found: check --organization-id / \
                 ASTRO_ORGANIZATION_ID, and that the token belongs to it",
                self.organization
            )),
        };
        let path = format!("/organizations/{}/deployments", self.organization);
        self.all_pages(&op, &path, |p: DeploymentsPage| {
            (p.deployments, p.total_count)
        })
    }

    /// Every item of a paginated list: `offset` moves by the items received until
    /// `totalCount` (or an empty page).
    fn all_pages<P: DeserializeOwned, T>(
        &self,
        op: &Op,
        path: &str,
        items: impl Fn(P) -> (Vec<T>, i64),
    ) -> Result<Vec<T>, AstroError> {
        let mut all = Vec::new();
        loop {
            let page: P = self.json(
                op,
                Method::Get,
                path,
                &[
                    ("offset", all.len().to_string()),
                    ("limit", PAGE.to_string()),
                ],
                None::<&()>,
            )?;
            let (got, total) = items(page);
            let n = got.len();
            all.extend(got);
            if n == 0 || all.len() as i64 >= total {
                return Ok(all);
            }
        }
    }

    /// One Deployment.
    pub fn deployment(&self, id: &str) -> Result<Deployment, AstroError> {
        let path = self.deployment_path(id)?;
        self.json(
            &Op {
                what: format!("read Deployment {id}"),
                action: "read this Deployment",
                deployment: Some(id),
                not_found: Some(self.deployment_not_found(id)),
            },
            Method::Get,
            &path,
            &[],
            None::<&()>,
        )
    }

    /// The Deployment's deploy history, every page, oldest first.
    pub fn deploys(&self, id: &str) -> Result<Vec<Deploy>, AstroError> {
        let op = Op {
            what: format!("read the deploy history of Deployment {id}"),
            action: "read this Deployment's deploys",
            deployment: Some(id),
            not_found: Some(self.deployment_not_found(id)),
        };
        let path = format!("{}/deploys", self.deployment_path(id)?);
        let mut all = self.all_pages(&op, &path, |p: DeploysPage| (p.deploys, p.total_count))?;
        // RFC 3339 UTC times order as text; the id breaks ties.
        all.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(all)
    }

    /// Starts a deploy (`POST …/deploys`); a `DAG_ONLY` one answers with `dagsUploadUrl`.
    pub fn create_deploy(&self, id: &str, req: &CreateDeploy) -> Result<Deploy, AstroError> {
        let path = format!("{}/deploys", self.deployment_path(id)?);
        self.json(
            &Op {
                what: format!("create a {} deploy on Deployment {id}", req.kind),
                action: "deploy to this Deployment",
                deployment: Some(id),
                not_found: Some(self.deployment_not_found(id)),
            },
            Method::Post,
            &path,
            &[],
            Some(req),
        )
    }

    /// Ends a deploy after its upload (`POST …/deploys/{deployId}/finalize`).
    pub fn finalize_deploy(
        &self,
        id: &str,
        deploy_id: &str,
        req: &FinalizeDeploy,
    ) -> Result<Deploy, AstroError> {
        let path = format!(
            "{}/deploys/{}/finalize",
            self.deployment_path(id)?,
            path_part(deploy_id)?
        );
        self.json(
            &Op {
                what: format!("finalize deploy {deploy_id} of Deployment {id}"),
                action: "deploy to this Deployment",
                deployment: Some(id),
                not_found: Some(format!(
                    "deploy {deploy_id} of Deployment {id} was not found (it may have expired: \
                     run the deploy again)"
                )),
            },
            Method::Post,
            &path,
            &[],
            Some(req),
        )
    }

    /// Rolls the Deployment back to `deploy_id` (`POST …/deploys/{deployId}/rollback`);
    /// answers with the new deploy the rollback made.
    pub fn rollback(
        &self,
        id: &str,
        deploy_id: &str,
        description: Option<&str>,
    ) -> Result<Deploy, AstroError> {
        let path = format!(
            "{}/deploys/{}/rollback",
            self.deployment_path(id)?,
            path_part(deploy_id)?
        );
        self.json(
            &Op {
                what: format!("roll Deployment {id} back to deploy {deploy_id}"),
                action: "roll this Deployment back",
                deployment: Some(id),
                not_found: Some(format!(
                    "deploy {deploy_id} of Deployment {id} was not found in Organization {}: \
                     `skyhop deploy history --astro {id}` lists its deploys",
                    self.organization
                )),
            },
            Method::Post,
            &path,
            &[],
            Some(&RollbackDeploy {
                description: description.map(str::to_string),
            }),
        )
    }

    /// Uploads a DAG tarball to the pre-signed URL a `DAG_ONLY` deploy answered with, as one
    /// Azure Blob `Put Blob` (`PUT`, `x-ms-blob-type: BlockBlob`), and returns the blob's
    /// version id (`x-ms-version-id`), which finalizes the deploy as its `dagTarballVersion`.
    /// The URL carries its own credentials: the API token is not sent, and the URL is never
    /// shown (its query is cut from messages).
    pub fn upload_dags(&self, url: &str, tarball: &[u8]) -> Result<String, AstroError> {
        let shown = redact_url(url);
        let what = format!("upload the DAG tarball to {shown}");
        for attempt in 1..=self.retry.attempts.max(1) {
            let req = self
                .agent
                .put(url)
                .set("x-ms-blob-type", "BlockBlob")
                .set("x-ms-version", BLOB_API_VERSION)
                .set("Content-Type", "application/gzip")
                // The whole upload, not each read (a pooled connection keeps no read timeout).
                .timeout(self.timeout * 10);
            let last = attempt >= self.retry.attempts;
            match req.send_bytes(tarball) {
                Ok(resp) => {
                    return resp
                        .header("x-ms-version-id")
                        .map(str::to_string)
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| AstroError::BadResponse {
                            what: what.clone(),
                            detail: "no `x-ms-version-id` header: the upload is not versioned"
                                .into(),
                        });
                }
                Err(ureq::Error::Status(code, resp)) => {
                    let body = resp.into_string().unwrap_or_default();
                    let detail = short(&body);
                    if (code == 429 || code >= 500) && !last {
                        std::thread::sleep(self.backoff(attempt));
                        continue;
                    }
                    return Err(match code {
                        401 | 403 => AstroError::Forbidden {
                            what,
                            kind: self.kind(),
                            message: format!(
                                "the storage refused the upload ({code}: {detail}); the upload \
                                 URL expires after a while: run the deploy again"
                            ),
                        },
                        c if c >= 500 || c == 429 => AstroError::Server {
                            what,
                            status: c,
                            message: format!(
                                "the storage failed {} times ({c}: {detail}); nothing was \
                                 deployed (the deploy stays unfinalized): try again later",
                                self.retry.attempts
                            ),
                        },
                        c => AstroError::BadRequest {
                            what,
                            message: format!("the storage answered {c}: {detail}"),
                        },
                    });
                }
                Err(ureq::Error::Transport(t)) => {
                    if !last {
                        std::thread::sleep(self.backoff(attempt));
                        continue;
                    }
                    return Err(self.transport_error(&what, &t, true));
                }
            }
        }
        unreachable_retry(&what)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << (attempt.saturating_sub(1)).min(10);
        (self.retry.base * factor).min(self.retry.max_wait)
    }

    /// Sends one API request (retrying as the module doc says) and reads its JSON answer.
    fn json<T: DeserializeOwned, B: Serialize>(
        &self,
        op: &Op,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, AstroError> {
        let url = format!("{}{path}", self.base);
        let body = match body {
            Some(b) => {
                Some(serde_json::to_string(b).map_err(|e| AstroError::Other(e.to_string()))?)
            }
            None => None,
        };
        for attempt in 1..=self.retry.attempts.max(1) {
            let last = attempt >= self.retry.attempts;
            let mut req = self
                .agent
                .request(method.as_str(), &url)
                // A deadline per request: ureq 2 drops the read timeout of pooled connections.
                .timeout(self.timeout)
                .set("Authorization", &format!("Bearer {}", self.token.expose()))
                .set("Accept", "application/json");
            for (k, v) in query {
                req = req.query(k, v);
            }
            let sent = match &body {
                Some(b) => req.set("Content-Type", "application/json").send_string(b),
                None => req.call(),
            };
            match self.outcome(op, method, sent, last, attempt) {
                Outcome::Done(text) => {
                    return serde_json::from_str(&text).map_err(|e| AstroError::BadResponse {
                        what: op.what.clone(),
                        detail: e.to_string(),
                    });
                }
                Outcome::Retry(wait) => std::thread::sleep(wait),
                Outcome::Fail(e) => return Err(e),
            }
        }
        unreachable_retry(&op.what)
    }

    fn outcome(
        &self,
        op: &Op,
        method: Method,
        sent: Result<ureq::Response, ureq::Error>,
        last: bool,
        attempt: u32,
    ) -> Outcome {
        let what = op.what.clone();
        let resp = match sent {
            Ok(resp) => {
                return match resp.into_string() {
                    Ok(text) => Outcome::Done(text),
                    Err(e) if is_timeout_io(&e) && method.idempotent() && !last => {
                        Outcome::Retry(self.backoff(attempt))
                    }
                    Err(e) => Outcome::Fail(AstroError::Network {
                        what,
                        message: format!("the answer could not be read: {e}"),
                    }),
                };
            }
            Err(ureq::Error::Transport(t)) => {
                // A connection that never opened cannot have been acted on.
                let unsent = matches!(
                    t.kind(),
                    ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns
                );
                if !last && (method.idempotent() || unsent) {
                    return Outcome::Retry(self.backoff(attempt));
                }
                return Outcome::Fail(self.transport_error(
                    &what,
                    &t,
                    method.idempotent() || unsent,
                ));
            }
            Err(ureq::Error::Status(_, resp)) => resp,
        };
        let status = resp.status();
        let retry_after = resp
            .header("Retry-After")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.into_string().unwrap_or_default();
        let api: ApiError = serde_json::from_str(&text).unwrap_or_default();
        let mut detail = if api.message.is_empty() {
            short(&text)
        } else {
            api.message.clone()
        };
        detail = detail.replace(self.token.expose(), "****");
        let request_id = if api.request_id.is_empty() {
            String::new()
        } else {
            format!(" (request id {})", api.request_id)
        };
        let deployment = op.deployment.unwrap_or("?");
        let fail = match status {
            429 => {
                let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                if !last {
                    return Outcome::Retry(wait.min(self.retry.max_wait));
                }
                AstroError::RateLimited {
                    what,
                    message: format!(
                        "Astro limits the rate of API requests and answered 429 Too Many \
                         Requests {} times{}; wait {} s and run the command again (a CI job: \
                         space out the jobs that share this token)",
                        self.retry.attempts,
                        request_id,
                        wait.as_secs().max(1)
                    ),
                }
            }
            s if s >= 500 => {
                let safe = method.idempotent() || s == 503;
                if safe && !last {
                    return Outcome::Retry(self.backoff(attempt));
                }
                let tries = if safe {
                    format!(" after {} tries", self.retry.attempts)
                } else {
                    String::new()
                };
                AstroError::Server {
                    what,
                    status: s,
                    message: format!(
                        "Astro's API failed with {s}{tries}: {detail}{request_id}. {}",
                        if method.idempotent() || s == 503 {
                            "Nothing was changed; try again later, and if it persists tell \
                             Astronomer support the request id"
                                .to_string()
                        } else {
                            format!(
                                "It may or may not have taken effect: look at `skyhop deploy \
                                 history --astro {deployment}` before trying again"
                            )
                        }
                    ),
                }
            }
            401 => AstroError::Unauthorized {
                what,
                message: format!(
                    "{} was refused (401 Unauthorized: {detail}){request_id}: it is invalid, \
                     expired or revoked, or it is for another Astro domain. Create a new API \
                     token in the Astro UI and set ASTRO_API_TOKEN or run `skyhop astro login`; \
                     for another domain pass --astro-api-url (ASTRO_API_URL)",
                    self.source.describe()
                ),
            },
            403 => {
                let kind = self.kind();
                AstroError::Forbidden {
                    what,
                    kind,
                    message: format!(
                        "this {} may not {} (403 Forbidden: {detail}){request_id}. {}",
                        kind.label(),
                        op.action,
                        forbidden_hint(kind, op, self.claims.as_ref())
                    ),
                }
            }
            404 => AstroError::NotFound {
                what,
                message: format!(
                    "{} (404: {detail}){request_id}",
                    op.not_found.clone().unwrap_or_else(|| "not found".into())
                ),
            },
            s => {
                let fields: Vec<String> = api
                    .field_errors
                    .iter()
                    .flatten()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect();
                let fields = if fields.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", fields.join("; "))
                };
                AstroError::BadRequest {
                    what,
                    message: format!(
                        "Astro refused the request ({s}: {detail}){fields}{request_id}; nothing \
                         was changed"
                    ),
                }
            }
        };
        Outcome::Fail(fail)
    }

    fn transport_error(&self, what: &str, t: &ureq::Transport, not_applied: bool) -> AstroError {
        let host = redact_url(&self.base);
        let detail = [Some(t.kind().to_string()), t.message().map(str::to_string)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        let effect = if not_applied {
            "nothing was changed".to_string()
        } else {
            "the request may or may not have taken effect: look at the deploy history before \
             trying again"
                .to_string()
        };
        if is_timeout(t) {
            return AstroError::Timeout {
                what: what.to_string(),
                message: format!(
                    "no answer within {} s ({host}); {effect}. Try again; on a slow network \
                     raise the limit with SKYHOP_ASTRO_TIMEOUT=<seconds>",
                    self.timeout.as_secs_f64()
                ),
            };
        }
        AstroError::Network {
            what: what.to_string(),
            message: format!(
                "cannot reach {host} ({detail}); {effect}. Check the network and proxy, and \
                 --astro-api-url / ASTRO_API_URL (Astro's API is {DEFAULT_API_URL})"
            ),
        }
    }
}
