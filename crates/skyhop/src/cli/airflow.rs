//! The arguments of the commands that run Airflow: `dev`, `deployment`, `deploy`, `rollback`,
//! `astro`, `ui` and `db`.

use super::*;

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Start the scheduler, API server / webserver, triggerer (and DAG processor on Airflow 3).
    Start(DevArgs),
    /// Stop, pick up a changed Dockerfile / requirements (migrating the DB), and start again.
    Restart(DevArgs),
    /// Stop every process.
    Stop(DevArgs),
    /// Versions, processes, URL and health.
    Status(DevArgs),
    /// Print the last lines of every process log.
    Logs(DevLogsArgs),
}

#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// Port of the web UI / API server.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Metadata DB URL (default: SQLite in the project's .skyhop/ state dir).
    #[arg(long, value_name = "URL")]
    pub db_url: Option<String>,
    /// (start, restart) Hand this variable of your environment to Airflow (repeatable);
    /// otherwise it gets only the Dockerfile's ENV, .env, PATH, LANG and its own HOME.
    #[arg(long = "pass-env", value_name = "NAME")]
    pub pass_env: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DevLogsArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// Lines per process.
    #[arg(long, short = 'n', default_value_t = 40)]
    pub lines: usize,
}

#[derive(Debug, Subcommand)]
pub enum DeploymentCommand {
    /// Create a deployment.
    Create(DeploymentCreateArgs),
    /// Manage a deployment's environment variables.
    #[command(subcommand)]
    Env(DeploymentEnvCommand),
    /// List deployments.
    List(ProjectArg),
    /// Start the active deploy's processes (after a reboot, say).
    Start(DeploymentNameArgs),
    /// Stop the deployment's processes (its history and active deploy stay).
    Stop(DeploymentNameArgs),
    /// Versions, processes, URL and health of the active deploy.
    Status(DeploymentNameArgs),
    /// Put the previous deploy back after a deploy or rollback was killed (also done
    /// automatically by a watcher that every deploy starts).
    Recover(DeploymentNameArgs),
    /// Stop a deployment and remove everything of it: history, secrets, code bundles, DB
    /// backups, its SQLite metadata DB and logs (a PostgreSQL metadata DB is left as it is).
    Delete(DeploymentDeleteArgs),
}

#[derive(Debug, Args)]
pub struct DeploymentDeleteArgs {
    /// Deployment name.
    pub name: String,
    #[command(flatten)]
    pub project: ProjectArg,
    /// Do not ask for confirmation (needed when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct DeploymentNameArgs {
    /// Deployment name (default: the only one).
    pub name: Option<String>,
    #[command(flatten)]
    pub project: ProjectArg,
}

#[derive(Debug, Args)]
pub struct DeploymentCreateArgs {
    /// Deployment name.
    pub name: String,
    #[command(flatten)]
    pub project: ProjectArg,
    /// Metadata DB URL (default: SQLite in the deployment's directory); stored encrypted.
    #[arg(long, value_name = "URL")]
    pub db_url: Option<String>,
    /// Port of the web UI / API server.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

#[derive(Debug, Subcommand)]
pub enum DeploymentEnvCommand {
    /// Set `KEY=VALUE`.
    Set {
        name: String,
        /// `KEY=VALUE`
        assignment: String,
        /// Store the value encrypted (key in ~/.config/skyhop/key, outside the project); it is
        /// never printed and decrypted only to start Airflow.
        #[arg(long)]
        secret: bool,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Remove KEY.
    Unset {
        name: String,
        key: String,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// List variables (secret values shown as ****).
    List {
        name: String,
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(subcommand)]
    pub sub: Option<DeploySub>,
    #[command(flatten)]
    pub project: ProjectArg,
    /// The deployment (default: the only one).
    #[arg(long)]
    pub deployment: Option<String>,
    /// Deploy to this Astro Deployment (its id) through Astro's API, with --dags.
    #[arg(long, value_name = "DEPLOYMENT_ID", conflicts_with = "deployment")]
    pub astro: Option<String>,
    /// With --astro: a DAG-only deploy (the project's dags/, parse-tested first under the
    /// Deployment's Runtime). Image deploys need the image pushed: use `astro deploy`.
    #[arg(long, requires = "astro")]
    pub dags: bool,
    #[command(flatten)]
    pub api: AstroApiArgs,
    /// What this deploy is about.
    #[arg(long)]
    pub description: Option<String>,
    /// Skip the parse test.
    #[arg(long)]
    pub force: bool,
    /// Deploy without asking, also when an Airflow upgrade migrates a large metadata database
    /// (at least `SKYHOP_REHEARSE_THRESHOLD` task instances, default 100000; 0: always): skyhop rehearses
    /// that migration on a copy first and shows its time.
    #[arg(long, short = 'y')]
    pub yes: bool,
    // For the parse test before the deploy (the deployed Airflow gets the deployment's
    // variables, `skyhop deployment env`).
    #[command(flatten)]
    pub pass_env: PassEnvArg,
}

#[derive(Debug, Subcommand)]
pub enum DeploySub {
    /// Every deploy with id, time, description, versions, code hash and status.
    History {
        #[command(flatten)]
        project: ProjectArg,
        #[arg(long)]
        deployment: Option<String>,
        /// The deploys of this Astro Deployment (its id), through Astro's API.
        #[arg(long, value_name = "DEPLOYMENT_ID", conflicts_with = "deployment")]
        astro: Option<String>,
        #[command(flatten)]
        api: AstroApiArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The deploy to restore (see `skyhop deploy history`).
    pub deploy_id: String,
    #[command(flatten)]
    pub project: ProjectArg,
    #[arg(long)]
    pub deployment: Option<String>,
    /// Roll this Astro Deployment (its id) back to DEPLOY_ID through Astro's API, after
    /// showing what it does.
    #[arg(long, value_name = "DEPLOYMENT_ID", conflicts_with = "deployment")]
    pub astro: Option<String>,
    #[command(flatten)]
    pub api: AstroApiArgs,
    /// Why (recorded in the history; required for a local deployment, at most 500 characters
    /// on Astro).
    #[arg(long)]
    pub description: Option<String>,
    /// Do not ask for confirmation (when the rollback lowers the Airflow version; on Astro,
    /// before every rollback).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --astro: also roll back from Airflow 3 to Airflow 2 (refused without it).
    #[arg(long, requires = "astro")]
    pub force: bool,
}

/// How to reach Astro's API. The token comes from `ASTRO_API_TOKEN`, else from
/// `skyhop astro login`; it is never printed.
#[derive(Debug, Clone, Default, Args)]
pub struct AstroApiArgs {
    /// Astro's API base URL, for another Astronomer domain [default: https://api.astronomer.io/v1].
    #[arg(long, value_name = "URL", env = "ASTRO_API_URL")]
    pub astro_api_url: Option<String>,
    /// The Astro Organization id (default: the one the API token names).
    #[arg(long, value_name = "ID", env = "ASTRO_ORGANIZATION_ID")]
    pub organization_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AstroCommand {
    /// The Organization's Deployments, one line each: Runtime, Airflow, status, and from
    /// skyhop's catalog whether the Runtime is yanked or past end of maintenance, the newest
    /// Runtime it can move to and whether that crosses to Airflow 3.
    Deployments {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        api: AstroApiArgs,
    },
    /// Store an Astro API token (Organization, Workspace or Deployment), read from standard
    /// input, encrypted with skyhop's key (`ASTRO_API_TOKEN` still wins when set). Checks it
    /// against the API first.
    Login {
        #[command(flatten)]
        api: AstroApiArgs,
    },
    /// Remove the stored token.
    Logout,
    /// Which token skyhop uses (where from, its kind, Organization, Workspace): never the token.
    Whoami {
        #[command(flatten)]
        api: AstroApiArgs,
    },
}

/// `skyhop ui`: a local web server for this project's deployments.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// The project directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// TCP port (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Address to listen on (default 127.0.0.1). A non-loopback address lets other machines
    /// reach pages that roll deployments back: only with this flag given explicitly.
    #[arg(long, value_name = "H")]
    pub host: Option<String>,
    /// Open the URL in the desktop's browser (xdg-open).
    #[arg(long)]
    pub open: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy a metadata DB (read-only on the source) to a scratch server, run the target's
    /// `airflow db migrate` on the copy timing every Alembic revision, list the tables it moved
    /// or dropped, rehearse `airflow db downgrade` on a second copy and what it would lose.
    Rehearse(DbRehearseArgs),
    /// Fill a database with realistic history (DAG runs, task instances with retries, XComs,
    /// logs, rendered fields, datasets) through Airflow 2.7-2.11's own models.
    Seed(DbSeedArgs),
}

#[derive(Debug, Args)]
pub struct DbRehearseArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    #[command(flatten)]
    pub version: VersionArgs,
    /// The database to rehearse on: `postgresql://user:password@host:port/db` or
    /// `sqlite:////path/airflow.db`. It is only read.
    #[arg(long, value_name = "URL", required_unless_present = "deployment")]
    pub db_url: Option<String>,
    /// Rehearse on the metadata DB of this skyhop deployment (current version: its active
    /// deploy's).
    #[arg(long, value_name = "NAME", conflicts_with = "db_url")]
    pub deployment: Option<String>,
    /// Skip the downgrade rehearsal.
    #[arg(long)]
    pub no_rollback: bool,
    /// Only estimate, without copying or building anything: read the revision and the number
    /// of task instances (PostgreSQL: `pg_class.reltuples`) and predict the migration time from
    /// skyhop's own measurements (`scripts/db-bench.sh`; other hardware differs).
    #[arg(long, conflicts_with_all = ["no_rollback", "output"])]
    pub estimate: bool,
    /// Put the scratch copies (about twice the database's size) and the scratch PostgreSQL
    /// server under DIR instead of the temporary directory.
    #[arg(long, value_name = "DIR")]
    pub scratch_dir: Option<PathBuf>,
    /// Write db_rehearsal.json and db_rehearsal.md into DIR.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DbSeedArgs {
    /// The database to fill (an empty one gets Airflow's schema first).
    #[arg(long, value_name = "URL")]
    pub db_url: String,
    /// The Airflow version of the database (2.7 to 2.11).
    #[arg(long, value_name = "VERSION")]
    pub airflow_version: String,
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub dag_runs: u64,
    #[arg(long, value_name = "M", default_value_t = 10000)]
    pub task_instances: u64,
}
