//! `skyhop astro …` and the `--astro DEPLOYMENT_ID` side of `deploy history`, `rollback`,
//! `deploy --dags` and `upgrade-test`: Astro Deployments through Astro's API
//! ([`skyhop_deploy::astro`]), with the catalog's view of each version. The API token is
//! never printed.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;
use skyhop_catalog::{Catalog, Refresh, RuntimeVersion, Status, today};
use skyhop_core::Progress;
use skyhop_deploy::astro::{
    self, AstroDeployment, AstroError, Client, ClientConfig, Deploy, Deployment, Token, TokenSource,
};
use skyhop_project::Project;
use skyhop_upgrade::steps::{installed, run_parse};
use skyhop_upgrade::target::{self, Ctx, Pinned};
use skyhop_upgrade::{Backend, envs};

use super::{confirm, load_project};
use crate::cli::{AstroApiArgs, AstroCommand, DeployArgs, RollbackArgs};
use crate::{CmdResult, Failure, exit};

/// An Astro error as the CLI's failure: bad input or credentials exit 2, Astro or the
/// network failing exit 1.
pub fn failure(e: AstroError) -> Failure {
    if e.is_usage() {
        Failure::usage(e)
    } else {
        Failure::findings(e)
    }
}

fn config(api: &AstroApiArgs) -> ClientConfig {
    ClientConfig {
        api_url: api.astro_api_url.clone(),
        organization: api.organization_id.clone(),
        ..ClientConfig::default()
    }
}

/// A client with the token of `ASTRO_API_TOKEN`, else the stored one.
pub fn client(api: &AstroApiArgs) -> Result<Client, Failure> {
    let (token, source) = astro::token::load().map_err(failure)?;
    Client::new(&config(api), token, source).map_err(failure)
}

pub fn astro(cmd: AstroCommand) -> CmdResult {
    match cmd {
        AstroCommand::Deployments { json, api } => deployments(&api, json),
        AstroCommand::Login { api } => login(&api),
        AstroCommand::Logout => {
            if astro::token::forget().map_err(failure)? {
                println!(
                    "removed the stored Astro API token ({})",
                    astro::token::stored_path().display()
                );
            } else {
                println!("no Astro API token was stored");
            }
            if std::env::var_os(astro::token::TOKEN_ENV).is_some() {
                eprintln!("note: ASTRO_API_TOKEN is still set in this environment");
            }
            Ok(exit::OK)
        }
        AstroCommand::Whoami { api } => {
            let c = client(&api)?;
            let (_, source) = astro::token::load().map_err(failure)?;
            println!("token: {} (never shown)", source.describe());
            match c.claims() {
                Some(cl) => {
                    println!("kind: {}", cl.kind.label());
                    if let Some(id) = &cl.token_id {
                        println!("token id: {id}");
                    }
                    if let Some(w) = &cl.workspace_id {
                        println!("workspace: {w}");
                    }
                    if let Some(d) = &cl.deployment_id {
                        println!("deployment: {d}");
                    }
                    if let Some(exp) = cl
                        .expires
                        .and_then(|e| jiff::Timestamp::from_second(e).ok())
                    {
                        println!("expires: {exp}");
                    }
                }
                None => println!("kind: not an Astro API token skyhop can read"),
            }
            println!("organization: {}", c.organization());
            println!("api: {}", c.base_url());
            Ok(exit::OK)
        }
    }
}

/// Reads one line from standard input, without echo on a terminal.
fn read_secret(prompt: &str) -> std::io::Result<String> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
    }
    let _echo = tty.then(EchoOff::new).flatten();
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if tty {
        eprintln!();
    }
    Ok(line)
}

/// Terminal echo turned off while it lives.
struct EchoOff(libc::termios);

impl EchoOff {
    #[allow(unsafe_code)]
    fn new() -> Option<EchoOff> {
        // SAFETY: termios is plain data; tcgetattr fills it for the terminal on fd 0.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(EchoOff(saved))
        }
    }
}

impl Drop for EchoOff {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: restores the settings tcgetattr returned for fd 0.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.0);
        }
    }
}

fn login(api: &AstroApiArgs) -> CmdResult {
    let text = read_secret("Astro API token: ")
        .map_err(|e| Failure::usage(format!("standard input: {e}")))?;
    let token = Token::new(&text).map_err(failure)?;
    let c = Client::new(&config(api), token.clone(), TokenSource::Given).map_err(failure)?;
    // Only a token the API accepts is stored: a 403 (a token that may not list the
    // Organization's Deployments, such as a Deployment API token) still proves it valid.
    let seen = match c.deployments() {
        Ok(all) => format!("{} Deployments visible", all.len()),
        Err(AstroError::Forbidden { .. }) => {
            "valid, but it may not list the Organization's Deployments".to_string()
        }
        Err(e) => return Err(failure(e)),
    };
    let path = astro::token::store(&token).map_err(failure)?;
    let kind = c.claims().map_or("API token", |cl| cl.kind.label());
    println!(
        "stored the {kind} of Organization {} encrypted in {} ({seen})",
        c.organization(),
        path.display()
    );
    if std::env::var_os(astro::token::TOKEN_ENV).is_some() {
        eprintln!("note: ASTRO_API_TOKEN is set and wins over the stored token");
    }
    Ok(exit::OK)
}

/// One Deployment of the fleet, with the catalog's view of its Runtime.
#[derive(Debug, Serialize)]
struct FleetRow {
    id: String,
    name: String,
    workspace: String,
    runtime: String,
    airflow: String,
    status: String,
    /// `current`, `yanked`, `end-of-maintenance`, `deprecated`, `prerelease`, `unknown`.
    catalog: String,
    yanked: bool,
    end_of_maintenance: Option<String>,
    /// The newest stable Runtime (never yanked, prerelease or past end of maintenance).
    newest_runtime: Option<String>,
    newest_airflow: Option<String>,
    /// Moving to `newest_runtime` crosses from Airflow 2 to Airflow 3.
    crosses_to_airflow_3: bool,
    /// The newest stable Runtime on the Deployment's Airflow major, when that is not the newest.
    newest_same_major: Option<String>,
}

fn major(airflow: &str) -> Option<u64> {
    airflow.split('.').next()?.trim().parse().ok()
}

fn fleet_row(catalog: &Catalog, d: &Deployment) -> FleetRow {
    let today = today();
    let info = RuntimeVersion::parse(&d.astro_runtime_version)
        .ok()
        .and_then(|v| catalog.runtime(&v));
    let status = info.map(|i| i.status(today));
    let newest = catalog.latest_runtime(false);
    let newest_airflow = newest.map(|n| n.airflow.clone());
    let cur_major = major(&d.airflow_version);
    let crosses = cur_major == Some(2) && newest_airflow.as_deref().and_then(major) == Some(3);
    let same_major = catalog
        .runtimes()
        .rev()
        .find(|r| r.status(today) == Status::Current && major(&r.airflow) == cur_major)
        .map(|r| r.version.to_string())
        .filter(|v| Some(v) != newest.map(|n| n.version.to_string()).as_ref());
    FleetRow {
        id: d.id.clone(),
        name: d.name.clone(),
        workspace: d
            .workspace_name
            .clone()
            .unwrap_or_else(|| d.workspace_id.clone()),
        runtime: d.astro_runtime_version.clone(),
        airflow: d.airflow_version.clone(),
        status: d.status.clone(),
        catalog: status.as_ref().map_or("unknown", |s| s.label()).to_string(),
        yanked: matches!(status, Some(Status::Yanked { .. })),
        end_of_maintenance: info
            .and_then(|i| i.end_of_maintenance)
            .map(|e| e.to_string()),
        newest_runtime: newest.map(|n| n.version.to_string()),
        newest_airflow,
        crosses_to_airflow_3: crosses,
        newest_same_major: same_major,
    }
}

fn deployments(api: &AstroApiArgs, json: bool) -> CmdResult {
    let c = client(api)?;
    let all = c.deployments().map_err(failure)?;
    let (catalog, notes) = Catalog::load(&skyhop_core::cache_dir(), Refresh::Auto);
    let rows: Vec<FleetRow> = all.iter().map(|d| fleet_row(&catalog, d)).collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(exit::OK);
    }
    println!(
        "{:<20} {:<26} {:<9} {:<8} {:<11} {:<36} NEWEST",
        "DEPLOYMENT", "ID", "RUNTIME", "AIRFLOW", "STATUS", "CATALOG"
    );
    for r in &rows {
        let catalog = match (r.catalog.as_str(), &r.end_of_maintenance) {
            ("yanked", _) => "YANKED".to_string(),
            ("end-of-maintenance", Some(eom)) => format!("END OF MAINTENANCE since {eom}"),
            ("unknown", _) => "not in the catalog".to_string(),
            (label, Some(eom)) => format!("{label}, maintained to {eom}"),
            (label, None) => label.to_string(),
        };
        let newest = match &r.newest_runtime {
            None => "-".to_string(),
            Some(n) if *n == r.runtime => "up to date".to_string(),
            Some(n) if r.crosses_to_airflow_3 => format!(
                "{n} (Airflow 3{})",
                r.newest_same_major
                    .as_deref()
                    .map(|s| format!("; newest on Airflow 2: {s}"))
                    .unwrap_or_default()
            ),
            Some(n) => n.clone(),
        };
        println!(
            "{:<20} {:<26} {:<9} {:<8} {:<11} {:<36} {newest}",
            r.name, r.id, r.runtime, r.airflow, r.status, catalog
        );
    }
    println!(
        "{} Deployments of Organization {}",
        rows.len(),
        c.organization()
    );
    for n in notes {
        eprintln!("note: {n}");
    }
    Ok(exit::OK)
}

/// The newest deploy that succeeded: what runs now.
fn active(history: &[Deploy]) -> Option<&str> {
    history
        .iter()
        .rev()
        .find(|d| d.status == "DEPLOYED")
        .map(|d| d.id.as_str())
}

fn history_row(d: &Deploy, active: Option<&str>) -> String {
    let status = format!(
        "{}{}",
        d.status,
        if Some(d.id.as_str()) == active {
            " *"
        } else {
            ""
        }
    );
    let rollback = d
        .rollback_from_id
        .as_deref()
        .map(|r| format!(" (rollback; rollbackFromId {r})"))
        .unwrap_or_default();
    format!(
        "{:<26} {:<20} {:<9} {:<8} {:<13} {:<24} {:<28} {:<20} {:<11} {}{}",
        d.id,
        d.created_at.chars().take(19).collect::<String>(),
        d.astro_runtime_version.as_deref().unwrap_or("-"),
        d.airflow_version.as_deref().unwrap_or("-"),
        d.kind,
        if d.image_tag.is_empty() {
            "-"
        } else {
            &d.image_tag
        },
        d.dag_tarball_version.as_deref().unwrap_or("-"),
        d.created_by_subject.as_ref().map_or("-", |s| s.name()),
        status,
        d.description.as_deref().unwrap_or(""),
        rollback
    )
}

/// `skyhop deploy history --astro ID [--json]`.
pub fn history(id: &str, api: &AstroApiArgs, json: bool) -> CmdResult {
    let c = client(api)?;
    let d = AstroDeployment::open(&c, id).map_err(failure)?;
    let deploys = d.history().map_err(failure)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&deploys).unwrap_or_default()
        );
        return Ok(exit::OK);
    }
    println!(
        "Astro Deployment {} ({}): {}, {}",
        d.info.name,
        d.info.id,
        skyhop_deploy::version_label(
            &d.info.airflow_version,
            Some(d.info.astro_runtime_version.as_str()).filter(|r| !r.is_empty())
        ),
        d.info.status
    );
    println!(
        "{:<26} {:<20} {:<9} {:<8} {:<13} {:<24} {:<28} {:<20} {:<11} DESCRIPTION",
        "ID", "TIME", "RUNTIME", "AIRFLOW", "TYPE", "IMAGE TAG", "DAGS", "WHO", "STATUS"
    );
    let now = active(&deploys);
    for r in &deploys {
        println!("{}", history_row(r, now));
    }
    println!("* the newest deploy that succeeded");
    Ok(exit::OK)
}

/// `skyhop rollback DEPLOY --astro ID`: the consequences, a confirmation, the call, the new
/// deploy.
pub fn rollback(args: &RollbackArgs, id: &str) -> CmdResult {
    let c = client(&args.api)?;
    let d = AstroDeployment::open(&c, id).map_err(failure)?;
    if let Some(desc) = &args.description {
        astro::plan::check_description(desc).map_err(failure)?;
    }
    let plan = d
        .plan_rollback(&args.deploy_id, args.force)
        .map_err(failure)?;
    println!("{}", plan.text());
    if !args.yes && !confirm(plan.question()) {
        if std::io::stdin().is_terminal() {
            return Err(Failure::usage("rollback not confirmed: nothing changed"));
        }
        return Err(Failure::usage(
            "not a terminal, so nothing was rolled back: pass --yes to confirm from a script",
        ));
    }
    let new = d
        .rollback(&plan, args.description.as_deref())
        .map_err(failure)?;
    println!(
        "Astro created deploy {} ({}, {}): Deployment {} rolls back to deploy {}; \
         `skyhop deploy history --astro {}` follows it",
        new.id,
        new.status,
        new.version_label(),
        d.info.name,
        plan.deploy_id,
        d.info.id
    );
    Ok(exit::OK)
}

/// The version an Astro Deployment runs, as skyhop pins versions; warns when the project's
/// Dockerfile names another one (`why` says what follows from that).
pub fn deployment_pinned(
    ctx: &Ctx,
    project: &Project,
    d: &Deployment,
    why: &str,
) -> Result<Pinned, Failure> {
    let pinned = if d.astro_runtime_version.trim().is_empty() {
        target::airflow(ctx, &d.airflow_version)?
    } else {
        let v = RuntimeVersion::parse(d.astro_runtime_version.trim()).map_err(|e| {
            Failure::usage(format!(
                "Astro Deployment {}: Runtime `{}` is not a Runtime version skyhop reads: {e}",
                d.id, d.astro_runtime_version
            ))
        })?;
        target::runtime(ctx, &v)?
    };
    if let Ok(file) = target::current(ctx, project)
        && (file.label != pinned.label || file.airflow != pinned.airflow)
    {
        ctx.progress.note(&format!(
            "the project's Dockerfile is on {}, but Astro Deployment {} ({}) runs {}: {why}",
            file.describe(),
            d.name,
            d.id,
            pinned.describe()
        ));
    }
    Ok(pinned)
}

/// `skyhop deploy --astro ID --dags`: the parse test under the Deployment's version, then a
/// `DAG_ONLY` deploy.
pub fn deploy_dags(args: DeployArgs, id: &str) -> CmdResult {
    if !args.dags {
        return Err(Failure::usage(
            "skyhop deploys only DAGs to Astro (--astro ID --dags): an image deploy needs the \
             image built and pushed to Astro's registry, which `astro deploy` does",
        ));
    }
    let ctx = crate::progress::ctx(false)?;
    let project = load_project(&args.project)?;
    let c = client(&args.api)?;
    let d = AstroDeployment::open(&c, id).map_err(failure)?;
    let pinned = deployment_pinned(
        &ctx,
        &project,
        &d.info,
        "a DAG-only deploy runs the DAGs on the Deployment's image, so they are parse-tested \
         on the Deployment's version",
    )?;
    if args.force {
        ctx.progress.note("--force: the parse test is skipped");
    } else {
        let label = pinned.describe();
        let lock = envs::lock(&ctx, &pinned, Some(&project), Backend::Uv, None)?;
        let env = installed(&ctx, &project, pinned, lock, None)?;
        let report = run_parse(&ctx, &project, &env, None, None, &args.pass_env.pass_env)?;
        if report.has_failures() {
            print!("{}", skyhop_parse::to_text(&report));
            return Err(Failure::findings(format!(
                "DAG-only deploy refused: DAG files fail to import under {label} (above), the \
                 version Astro Deployment {} runs; nothing was sent to Astro. Fix them, or pass \
                 --force to deploy anyway",
                d.info.id
            )));
        }
        ctx.progress.note(&format!(
            "parse test passed under {label} (with the project's requirements.txt; the \
             Deployment's image has those of its last image deploy)"
        ));
    }
    let done = d
        .deploy_dags(&project.root, args.description.as_deref(), &ctx.progress)
        .map_err(failure)?;
    println!(
        "DAG-only deploy {} {} on Astro Deployment {} ({}): bundle version {} ({} files, {} bytes)",
        done.deploy.id,
        done.deploy.status,
        d.info.name,
        d.info.id,
        done.version,
        done.files,
        done.bytes
    );
    Ok(if done.deploy.status == "FAILED" {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
