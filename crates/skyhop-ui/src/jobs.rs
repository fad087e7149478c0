//! Deploys and rollbacks started from the page: each runs in its own thread, and its
//! progress events become the lines the CLI prints (`  ... step`, `  ✓ step: message (1.2s)`,
//! `  note: ...`), which the job page polls from `/jobs/N/events`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use skyhop_core::Progress;
use skyhop_deploy::{DeployOutcome, DeployStatus, Deployment, RollbackRequest};

use crate::State;
use crate::http::Reply;

/// Deploys the project to a deployment from the page: called with the deployment's name, the
/// description and a sink for the progress lines (as the CLI prints them); returns whether it
/// succeeded and how it ended, in the CLI's words. The CLI's hook runs `skyhop deploy`
/// itself, so the parse test, the environment, the lock and the kill watcher are the CLI's.
pub type DeployHook = Arc<dyn Fn(&str, &str, &mut dyn FnMut(&str)) -> (bool, String) + Send + Sync>;

/// Called with the project root and the deployment's name just before a rollback from the
/// page starts: the CLI starts its watcher that recovers the deployment if this process is
/// killed half-way.
pub type WatchHook = Arc<dyn Fn(&Path, &str) + Send + Sync>;

/// One deploy or rollback started from the page.
pub struct Job {
    pub id: usize,
    /// "Rollback of prod to deploy 1".
    pub title: String,
    pub deployment: String,
    inner: Mutex<JobState>,
    started: Mutex<HashMap<String, Instant>>,
}

/// What the job page shows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct JobState {
    /// The progress lines, as the CLI prints them.
    pub lines: Vec<String>,
    pub done: bool,
    /// It ended and did what was asked.
    pub ok: bool,
    /// How it ended, in the CLI's words.
    pub result: String,
    /// The state the deployment is in afterwards (active deploy, processes, health).
    pub state: String,
}

impl Job {
    fn push(&self, line: String) {
        if let Ok(mut s) = self.inner.lock() {
            s.lines.push(line);
        }
    }

    /// A copy of what the page shows now.
    pub fn snapshot(&self) -> JobState {
        self.inner.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn finish(&self, ok: bool, result: String, state: String) {
        if let Ok(mut s) = self.inner.lock() {
            s.done = true;
            s.ok = ok;
            s.result = result;
            s.state = state;
        }
    }
}

impl Progress for Job {
    fn begin(&self, step: &str, _total: Option<u64>) {
        if let Ok(mut m) = self.started.lock() {
            m.insert(step.to_string(), Instant::now());
        }
        self.push(format!("  ... {step}"));
    }

    fn advance(&self, _step: &str, _n: u64) {}

    fn end(&self, step: &str, message: &str) {
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|mut m| m.remove(step))
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let msg = if message.is_empty() { step } else { message };
        let mark = if msg.starts_with("failed") {
            '✗'
        } else {
            '✓'
        };
        self.push(format!("  {mark} {step}: {msg} ({elapsed:.1}s)"));
    }

    fn note(&self, message: &str) {
        let line = format!("  note: {message}");
        if !self.snapshot().lines.contains(&line) {
            self.push(line);
        }
    }
}

/// Registers a job and runs `work` in a new thread; `work` returns `(ok, result)`, and the
/// deployment's state is read when it ends.
pub(crate) fn spawn(
    state: &State,
    deployment: &str,
    title: String,
    work: impl FnOnce(&Job) -> (bool, String) + Send + 'static,
) -> Arc<Job> {
    let mut jobs = state.jobs.lock().unwrap_or_else(|e| e.into_inner());
    let job = Arc::new(Job {
        id: jobs.len() + 1,
        title,
        deployment: deployment.to_string(),
        inner: Mutex::new(JobState::default()),
        started: Mutex::new(HashMap::new()),
    });
    jobs.push(Arc::clone(&job));
    let root = state.project_root.clone();
    let worker = Arc::clone(&job);
    std::thread::spawn(move || {
        let (ok, result) = work(&worker);
        let now = describe_state(&root, &worker.deployment);
        worker.finish(ok, result, now);
    });
    job
}

/// "deploy 3 is active (Airflow 2.10.5); Airflow is healthy at http://..." or why not.
pub fn describe_state(root: &Path, name: &str) -> String {
    let d = match Deployment::open(root, name) {
        Ok(d) => d,
        Err(e) => return format!("deployment `{name}` cannot be read: {e}"),
    };
    let status = match d.status() {
        Ok(s) => s,
        Err(e) => return format!("the status of deployment `{name}` cannot be read: {e}"),
    };
    let mut parts = vec![match &status.active {
        Some(a) => format!(
            "deploy {} is active ({})",
            a.id,
            skyhop_deploy::version_label(&a.airflow, a.runtime.as_deref())
        ),
        None => "nothing is deployed".to_string(),
    }];
    let alive = status.target.processes.iter().filter(|p| p.alive).count();
    parts.push(match (&status.target.health, alive) {
        (_, 0) => "its processes are not running".to_string(),
        (Some(h), _) if h.healthy => format!(
            "Airflow is healthy at {}",
            status.target.url.as_deref().unwrap_or("?")
        ),
        (Some(h), _) => format!("Airflow is unhealthy: {}", h.detail),
        (None, _) => "its health is unknown".to_string(),
    });
    if status.recovery_needed {
        parts.push(
            "an interrupted deploy is put back at the next deploy, rollback or start".to_string(),
        );
    }
    parts.join("; ")
}

/// Starts the rollback of `name` to `deploy_id`; the caller checked the confirmation.
pub(crate) fn rollback(state: &State, name: &str, deploy_id: i64, description: String) -> Arc<Job> {
    let root = state.project_root.clone();
    let deployment = name.to_string();
    let watch = state.watch.clone();
    spawn(
        state,
        name,
        format!("Rollback of {name} to deploy {deploy_id}"),
        move |job| {
            let mut d = match Deployment::open(&root, &deployment) {
                Ok(d) => d,
                Err(e) => return (false, format!("rollback not started: {e}")),
            };
            if let Some(w) = &watch {
                w(&root, &deployment);
            }
            let req = RollbackRequest {
                deploy_id,
                description,
                confirmed: true,
                venv: None,
                health_timeout: Duration::from_secs(240),
            };
            match d.rollback(&req, job) {
                Ok(outcome) => outcome_result(&outcome),
                Err(e) => (false, format!("rollback refused, nothing changed: {e}")),
            }
        },
    )
}

/// Starts a deploy of the project through the caller's hook.
pub(crate) fn deploy(state: &State, hook: DeployHook, name: &str, description: String) -> Arc<Job> {
    let deployment = name.to_string();
    spawn(state, name, format!("Deploy to {name}"), move |job| {
        hook(&deployment, &description, &mut |line| {
            job.push(line.to_string())
        })
    })
}

fn outcome_result(outcome: &DeployOutcome) -> (bool, String) {
    (
        outcome.record.status == DeployStatus::Succeeded,
        format!(
            "{} (deploy {} {})",
            outcome.message,
            outcome.record.id,
            outcome.record.status.as_str()
        ),
    )
}

pub(crate) fn find(state: &State, id: &str) -> Option<Arc<Job>> {
    let id: usize = id.parse().ok()?;
    let jobs = state.jobs.lock().ok()?;
    jobs.iter().find(|j| j.id == id).cloned()
}

/// `GET /jobs/N/events`: the job's state as JSON.
pub(crate) fn events(state: &State, id: &str) -> Reply {
    match find(state, id) {
        Some(job) => Reply::json(&serde_json::to_value(job.snapshot()).unwrap_or_default()),
        None => Reply::text(404, "404: no such job in this run of `skyhop ui`"),
    }
}
