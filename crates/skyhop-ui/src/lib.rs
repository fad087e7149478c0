//! skyhop-ui: `skyhop ui`, the project's deployments in a browser.
//!
//! It owns:
//! - a small local HTTP server ([`Ui`], on `tiny_http`) bound to 127.0.0.1 unless a host is
//!   given on purpose ([`Options::host_explicit`]); every request must carry the random
//!   per-run token of [`Ui::url`] (`?token=`), else it gets 403, because the pages can roll
//!   deployments back;
//! - the pages, rendered on the server (minijinja templates in `templates/`, inline CSS and a
//!   few lines of inline JS, nothing fetched from the network): the deployments (status,
//!   running Airflow / Runtime version, health, URL), a deployment's deploy history with
//!   "Rollback to" on each earlier deploy, the rollback form (the consequences exactly as the
//!   CLI prints them, from [`skyhop_deploy::RollbackPlan::text`], a description and an
//!   explicit confirmation), and the `upgrade-test-*/report.html` reports of the project,
//!   listed and served read-only;
//! - background jobs ([`jobs`]): a rollback (or a deploy, when the caller passes a
//!   [`DeployHook`]) runs in its own thread with the same [`skyhop_deploy::Deployment`] calls,
//!   store and lock as the CLI; its [`skyhop_core::Progress`] events become the lines the CLI
//!   prints, which the job page polls; the end says the result and the state the deployment
//!   is in now.
//!
//! It knows nothing of terminals, catalogs or environments: the CLI hands it the project
//! directory, the address and, to deploy, a function that builds the environment and deploys.

mod http;
pub mod jobs;
mod pages;
mod reports;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use jobs::{DeployHook, Job, WatchHook};

/// Where and what to serve.
#[derive(Clone)]
pub struct Options {
    /// The project directory (holds `.skyhop/deployments/` and the `upgrade-test-*` folders).
    pub project_root: PathBuf,
    /// Host name or IP address to bind; `None` is 127.0.0.1.
    pub host: Option<String>,
    /// The host was given explicitly (`--host`): only then may it be a non-loopback address.
    pub host_explicit: bool,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Deploys the project from the page; `None` hides the deploy button.
    pub deploy: Option<DeployHook>,
    /// Called before a rollback from the page changes anything.
    pub watch: Option<WatchHook>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(
        "refusing to listen on {0}: it is not a loopback address, so other machines could reach pages that deploy and roll back; pass `--host {1}` explicitly if that is what you want"
    )]
    NotLoopback(SocketAddr, String),
    #[error("--host {0}: not an IP address or a host name this machine resolves ({1})")]
    BadHost(String, String),
    #[error("cannot listen on {0}: {1}; pick another --port (0 picks a free one)")]
    Bind(SocketAddr, String),
    #[error("{0}: not a directory; pass the project with --project DIR")]
    NoProject(PathBuf),
    #[error("no random source for the access token: {0}")]
    Random(String),
}

/// What every request handler shares.
pub(crate) struct State {
    pub project_root: PathBuf,
    pub token: String,
    pub templates: minijinja::Environment<'static>,
    pub jobs: Mutex<Vec<Arc<Job>>>,
    pub deploy: Option<DeployHook>,
    pub watch: Option<WatchHook>,
}

/// A bound server, not yet serving.
pub struct Ui {
    server: tiny_http::Server,
    addr: SocketAddr,
    state: Arc<State>,
}

/// The address to bind: `host` (default 127.0.0.1) and `port`, refusing a non-loopback
/// address unless the host was given explicitly.
pub fn resolve(host: Option<&str>, host_explicit: bool, port: u16) -> Result<SocketAddr, UiError> {
    let addr = match host {
        None => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        Some(h) => {
            let h = h.trim();
            let h = h
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .unwrap_or(h);
            match h.parse::<IpAddr>() {
                Ok(ip) => SocketAddr::new(ip, port),
                Err(_) => (h, port)
                    .to_socket_addrs()
                    .map_err(|e| UiError::BadHost(h.to_string(), e.to_string()))?
                    .next()
                    .ok_or_else(|| {
                        UiError::BadHost(h.to_string(), "it resolves to no address".to_string())
                    })?,
            }
        }
    };
    if !addr.ip().is_loopback() && !host_explicit {
        return Err(UiError::NotLoopback(addr, addr.ip().to_string()));
    }
    Ok(addr)
}

/// 32 hex digits from the operating system's random source.
fn new_token() -> Result<String, UiError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| UiError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Ui {
    /// Checks the options and binds the address; nothing is served before [`Ui::serve`].
    pub fn bind(opts: Options) -> Result<Ui, UiError> {
        if !opts.project_root.is_dir() {
            return Err(UiError::NoProject(opts.project_root));
        }
        let addr = resolve(opts.host.as_deref(), opts.host_explicit, opts.port)?;
        let server =
            tiny_http::Server::http(addr).map_err(|e| UiError::Bind(addr, e.to_string()))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| UiError::Bind(addr, "not an IP socket".to_string()))?;
        let state = Arc::new(State {
            project_root: opts.project_root,
            token: new_token()?,
            templates: pages::templates(),
            jobs: Mutex::new(Vec::new()),
            deploy: opts.deploy,
            watch: opts.watch,
        });
        Ok(Ui {
            server,
            addr,
            state,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The access token of this run.
    pub fn token(&self) -> &str {
        &self.state.token
    }

    /// The URL to open: the deployments page with the token.
    pub fn url(&self) -> String {
        let host = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        format!(
            "http://{host}:{}/?token={}",
            self.addr.port(),
            self.state.token
        )
    }

    /// Serves requests until the process ends; each request in its own thread, so a slow
    /// health check never holds up the progress polls.
    pub fn serve(self) {
        for request in self.server.incoming_requests() {
            let state = Arc::clone(&self.state);
            std::thread::spawn(move || http::handle(&state, request));
        }
    }
}
