//! The HTML pages: data from skyhop-deploy, rendered by the templates in `templates/`.

use minijinja::{Environment, context};
use serde::Serialize;
use skyhop_deploy::{
    DeployKind, DeployRecord, DeployStatus, Deployment, RollbackPlan, version_label,
};

use crate::State;
use crate::http::{Fields, Reply};
use crate::{jobs, reports};

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("index.html", include_str!("../templates/index.html")),
    (
        "deployment.html",
        include_str!("../templates/deployment.html"),
    ),
    ("rollback.html", include_str!("../templates/rollback.html")),
    ("job.html", include_str!("../templates/job.html")),
    ("message.html", include_str!("../templates/message.html")),
];

/// The templates, HTML-escaped by default (their names end in `.html`).
pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, text) in TEMPLATES {
        env.add_template(name, text)
            .expect("the built-in templates are valid");
    }
    env
}

fn render(state: &State, status: u16, name: &str, ctx: minijinja::Value) -> Reply {
    let ctx = context! { token => &state.token, project => state.project_root.display().to_string(), ..ctx };
    match state
        .templates
        .get_template(name)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => Reply::html(status, html),
        Err(e) => Reply::text(500, &format!("500: page {name} failed to render: {e:#}")),
    }
}

/// A page that only says something (not found, refused...).
fn message(state: &State, status: u16, title: &str, text: &str) -> Reply {
    render(
        state,
        status,
        "message.html",
        context! { title, text, status },
    )
}

pub(crate) fn not_found(state: &State, path: &str) -> Reply {
    message(
        state,
        404,
        "Not found",
        &format!("There is no page at {path}."),
    )
}

/// One row of the deployments page.
#[derive(Serialize)]
struct DeploymentRow {
    name: String,
    /// `running`, `unhealthy`, `stopped`, `not deployed` or `error`.
    status: &'static str,
    version: String,
    health: String,
    url: String,
    active: String,
    db: String,
    error: Option<String>,
    /// Another deploy or rollback holds the deployment's lock now.
    busy: Option<String>,
}

fn deployment_row(state: &State, name: &str) -> DeploymentRow {
    let mut row = DeploymentRow {
        name: name.to_string(),
        status: "error",
        version: String::new(),
        health: String::new(),
        url: String::new(),
        active: String::new(),
        db: String::new(),
        error: None,
        busy: None,
    };
    let status = Deployment::open(&state.project_root, name).and_then(|d| {
        row.busy = d.busy().map(|e| e.to_string());
        d.status()
    });
    let s = match status {
        Ok(s) => s,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    row.db = s.config.db_display();
    row.url = s
        .target
        .url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", s.config.port));
    let alive = s.target.processes.iter().any(|p| p.alive);
    row.status = match (&s.active, alive, &s.target.health) {
        (None, false, _) => "not deployed",
        (_, false, _) => "stopped",
        (_, true, Some(h)) if h.healthy => "running",
        _ => "unhealthy",
    };
    row.version = match (&s.target.running, &s.active) {
        (Some(run), _) if alive => version_label(&run.airflow_version, run.runtime.as_deref()),
        (_, Some(a)) => version_label(&a.airflow, a.runtime.as_deref()),
        _ => "-".to_string(),
    };
    row.health = match &s.target.health {
        Some(h) if alive => h.detail.clone(),
        _ => "-".to_string(),
    };
    row.active = match &s.active {
        Some(a) => format!("deploy {} — {}", a.id, a.description),
        None => "nothing deployed yet".to_string(),
    };
    if s.recovery_needed {
        row.error = Some(
            "a deploy or rollback was interrupted; the next deploy, rollback or start puts the previous deploy back".to_string(),
        );
    }
    row
}

/// `GET /`: the deployments and the upgrade-test reports.
pub(crate) fn index(state: &State) -> Reply {
    let names = match skyhop_deploy::list(&state.project_root) {
        Ok(n) => n,
        Err(e) => return message(state, 500, "Deployments", &e.to_string()),
    };
    let rows: Vec<DeploymentRow> = names.iter().map(|n| deployment_row(state, n)).collect();
    render(
        state,
        200,
        "index.html",
        context! { deployments => rows, reports => reports::list(state) },
    )
}

/// One row of the history table.
#[derive(Serialize)]
struct HistoryRow {
    id: i64,
    time: String,
    description: String,
    runtime: String,
    airflow: String,
    code: String,
    who: String,
    status: &'static str,
    ok: bool,
    active: bool,
    forced: bool,
    /// The deploy a rollback restored.
    restored: Option<i64>,
    message: Option<String>,
    /// The start of `message`, shown until the row is opened.
    summary: Option<String>,
    /// "Rollback to" is offered (it succeeded and is not the one running).
    can_roll_back: bool,
}

fn history_row(r: &DeployRecord, has_active: bool) -> HistoryRow {
    HistoryRow {
        id: r.id,
        time: r
            .time
            .chars()
            .take(19)
            .collect::<String>()
            .replace('T', " "),
        description: r.description.clone(),
        runtime: r.runtime.clone().unwrap_or_else(|| "-".to_string()),
        airflow: r.airflow.clone(),
        code: r.code_hash.chars().take(12).collect(),
        who: r.who.clone(),
        status: r.status.as_str(),
        ok: r.status == DeployStatus::Succeeded,
        active: r.active,
        forced: r.forced,
        restored: match r.kind {
            DeployKind::Rollback { restored } => Some(restored),
            DeployKind::Deploy => None,
        },
        message: r.message.clone(),
        summary: r.message.as_deref().map(summary),
        can_roll_back: has_active && !r.active && r.status == DeployStatus::Succeeded,
    }
}

/// The first line of a long message, cut at 120 characters.
fn summary(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    if first.chars().count() > 120 || message.contains('\n') {
        format!("{}…", first.chars().take(120).collect::<String>())
    } else {
        first.to_string()
    }
}

fn open(state: &State, name: &str) -> Result<Deployment, Reply> {
    Deployment::open(&state.project_root, name)
        .map_err(|e| message(state, 404, &format!("Deployment {name}"), &e.to_string()))
}

/// `GET /deployments/NAME`: the deploy history, newest first.
pub(crate) fn deployment(state: &State, name: &str) -> Reply {
    let d = match open(state, name) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let history = match d.history() {
        Ok(h) => h,
        Err(e) => return message(state, 500, &format!("Deployment {name}"), &e.to_string()),
    };
    let has_active = history.iter().any(|r| r.active);
    let rows: Vec<HistoryRow> = history
        .iter()
        .rev()
        .map(|r| history_row(r, has_active))
        .collect();
    let env: Vec<String> = d
        .list_env()
        .unwrap_or_default()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let jobs: Vec<(usize, String, bool, bool)> = state
        .jobs
        .lock()
        .map(|j| {
            j.iter()
                .rev()
                .filter(|j| j.deployment == name)
                .map(|j| {
                    let s = j.snapshot();
                    (j.id, j.title.clone(), s.done, s.ok)
                })
                .collect()
        })
        .unwrap_or_default();
    render(
        state,
        200,
        "deployment.html",
        context! {
            name,
            row => deployment_row(state, name),
            history => rows,
            env,
            jobs,
            can_deploy => state.deploy.is_some(),
        },
    )
}

/// The deployment and the plan of rolling it back to `id`, or the page that says why not.
fn plan(state: &State, name: &str, id: &str) -> Result<(Deployment, RollbackPlan), Reply> {
    let d = open(state, name)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(message(
            state,
            404,
            "Rollback",
            &format!("`{id}` is not a deploy id; the deployment's page lists them"),
        ));
    };
    match d.plan_rollback(id) {
        Ok(p) => Ok((d, p)),
        Err(e) => Err(message(
            state,
            409,
            &format!("Rollback of {name} to deploy {id}"),
            &e.to_string(),
        )),
    }
}

fn form_page(
    state: &State,
    status: u16,
    name: &str,
    plan: &RollbackPlan,
    description: &str,
    error: Option<String>,
) -> Reply {
    render(
        state,
        status,
        "rollback.html",
        context! {
            name,
            plan,
            heading => plan.heading(),
            text => plan.text(),
            question => if plan.downgrade {
                RollbackPlan::DOWNGRADE_QUESTION.to_string()
            } else {
                format!("Roll {name} back to deploy {}?", plan.deploy_id)
            },
            description,
            error,
        },
    )
}

/// `GET /deployments/NAME/rollback/ID`: the consequences, a description, a confirmation.
pub(crate) fn rollback_form(state: &State, name: &str, id: &str) -> Reply {
    match plan(state, name, id) {
        Ok((_, p)) => form_page(state, 200, name, &p, "", None),
        Err(r) => r,
    }
}

/// `POST /deployments/NAME/rollback/ID`: checks the form, refuses while another deploy or
/// rollback holds the deployment's lock, else starts the rollback and shows its job.
pub(crate) fn rollback_start(state: &State, name: &str, id: &str, form: &Fields) -> Reply {
    let (d, p) = match plan(state, name, id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let description = form.get("description").unwrap_or("").trim().to_string();
    if description.is_empty() {
        let error = "Enter a description: it goes into the deploy history.".to_string();
        return form_page(state, 400, name, &p, &description, Some(error));
    }
    if form.get("confirm") != Some("yes") {
        let error = "Nothing changed: tick the confirmation to roll back.".to_string();
        return form_page(state, 400, name, &p, &description, Some(error));
    }
    if let Some(e) = d.busy() {
        let error = format!("Refused, nothing changed: {e}.");
        return form_page(state, 409, name, &p, &description, Some(error));
    }
    drop(d);
    let job = jobs::rollback(state, name, p.deploy_id, description);
    Reply::redirect(format!("/jobs/{}?token={}", job.id, state.token))
}

/// `POST /deployments/NAME/deploy`: deploys the project through the caller's hook.
pub(crate) fn deploy_start(state: &State, name: &str, form: &Fields) -> Reply {
    let Some(hook) = state.deploy.clone() else {
        return message(
            state,
            404,
            "Deploy",
            "This `skyhop ui` cannot deploy; run `skyhop deploy`.",
        );
    };
    let d = match open(state, name) {
        Ok(d) => d,
        Err(r) => return r,
    };
    if let Some(e) = d.busy() {
        return message(
            state,
            409,
            &format!("Deploy to {name}"),
            &format!("Refused, nothing changed: {e}."),
        );
    }
    drop(d);
    let description = form.get("description").unwrap_or("").trim().to_string();
    let job = jobs::deploy(state, hook, name, description);
    Reply::redirect(format!("/jobs/{}?token={}", job.id, state.token))
}

/// `GET /jobs/N`: a deploy's or rollback's progress (polled by the page's script).
pub(crate) fn job(state: &State, id: &str) -> Reply {
    let Some(job) = jobs::find(state, id) else {
        return message(
            state,
            404,
            "Job",
            "No such job in this run of `skyhop ui` (jobs are forgotten when it stops); the deploy history has every deploy and rollback.",
        );
    };
    render(
        state,
        200,
        "job.html",
        context! { id => job.id, title => &job.title, name => &job.deployment, job => job.snapshot() },
    )
}
