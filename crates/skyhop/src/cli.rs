//! Command-line arguments (clap derive). Only shapes here; behaviour lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod airflow;
pub use airflow::*;

/// Upgrade Apache Airflow and Astro Runtime projects safely, without Docker.
///
/// skyhop knows every Runtime / Airflow version, tests a project against a target version
/// (real environments resolved with uv, a dependency compare, a static check of every DAG and a
/// real DAG parse test), writes a report, upgrades the Dockerfile, pins providers, and runs,
/// deploys and rolls back the project locally.
///
/// Exit codes: 0 ok / safe, 1 findings that break (or a failed deploy), 2 usage or input error
/// (including a refused upgrade), 3 an environment could not be built.
#[derive(Debug, Parser)]
#[command(name = "skyhop", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options of every command: where packages come from, the network, the Python, detail.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// The package index to use instead of PyPI (a mirror or proxy). Default: requirements.txt's
    /// `--index-url`, else `UV_DEFAULT_INDEX` / `UV_INDEX_URL` / `PIP_INDEX_URL`, else pip.conf's
    /// `index-url`.
    #[arg(long, global = true, value_name = "URL")]
    pub index_url: Option<String>,
    /// More package indexes (repeatable); also read from requirements.txt,
    /// `UV_EXTRA_INDEX_URL` / `PIP_EXTRA_INDEX_URL` and pip.conf.
    #[arg(long, global = true, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// Use only what is cached: no package index, no Astro feed, no Python downloads.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Test with this Python (`3.12`) whatever the image has; without it, skyhop uses the
    /// image's Python, or the nearest one its image line is built for when the image's cannot
    /// be had on this machine (the report says so).
    #[arg(long, global = true, value_name = "X.Y")]
    pub python: Option<String>,
    /// Show internal commands and full tool output in errors.
    #[arg(long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List Astro Runtime (or Apache Airflow) versions from the catalog.
    Versions(VersionsArgs),
    /// Rewrite the Dockerfile's base image to a newer Runtime / Airflow version (named, or
    /// picked by --to); with --fix, also fix the project for it (checked and parse-tested under
    /// the target); with --providers, bump only the pinned providers.
    Upgrade(UpgradeArgs),
    /// Test a project against a target version and write a report folder.
    #[command(name = "upgrade-test")]
    UpgradeTest(UpgradeTestArgs),
    /// Statically check DAG code against what really exists in the target version.
    Check(CheckArgs),
    /// Import every DAG file under the target Airflow, one isolated child per file.
    Parse(ParseArgs),
    /// Print the resolved environment of a version in `pip freeze` format.
    Freeze(FreezeArgs),
    /// Compare two environments (`pip freeze` files) like the Astro CLI's dependency test.
    Compare(CompareArgs),
    /// Pin every provider package of the current environment into requirements.txt.
    #[command(name = "pin-providers")]
    PinProviders(PinArgs),
    /// Explain a check rule (`skyhop rule SKY301`), or list all rules.
    Rule(RuleArgs),
    /// Run the project's Airflow locally (no Docker).
    #[command(subcommand)]
    Dev(DevCommand),
    /// Create deployments and manage their environment variables.
    #[command(subcommand)]
    Deployment(DeploymentCommand),
    /// Deploy the project to a local deployment (`skyhop deploy history` lists deploys), or its
    /// DAGs to an Astro Deployment (`--astro ID --dags`).
    Deploy(DeployArgs),
    /// Roll a deployment (or, with --astro, an Astro Deployment) back to an earlier deploy.
    Rollback(RollbackArgs),
    /// Astro Deployments through Astro's API: list the Organization's fleet, store a token.
    /// `deploy history`, `rollback`, `deploy --dags` and `upgrade-test` take `--astro ID`.
    #[command(subcommand)]
    Astro(AstroCommand),
    /// Serve the deployments, deploy history, rollbacks and upgrade-test reports to a browser.
    Ui(UiArgs),
    /// Rehearse the metadata-database migration on a copy (`db rehearse`), or fill a test
    /// database with history (`db seed`).
    #[command(subcommand)]
    Db(DbCommand),
    /// Where skyhop's cache is, what it holds (environments, indexes, locks) and keeping it
    /// bounded: `dir`, `info`, `prune`, `clean`.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a shell completion script: `skyhop completions bash > ~/.local/share/bash-completion/completions/skyhop`.
    Completions(CompletionsArgs),
    /// Print the man page (`skyhop man > ~/.local/share/man/man1/skyhop.1`), or write one page
    /// per command with --dir.
    Man(ManArgs),
}

/// `--project DIR`, shared by every command that reads a project.
#[derive(Debug, Clone, Args)]
pub struct ProjectArg {
    /// The Astro / Airflow project directory (holds the Dockerfile, or requirements.txt and
    /// dags/ for a project without one).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// For a project without a Dockerfile (MWAA, Cloud Composer, plain pip): the Airflow
    /// version it runs today (default: its requirements.txt `apache-airflow==` pin).
    #[arg(long, value_name = "VERSION")]
    pub from_airflow_version: Option<String>,
    /// Where the project's Airflow runs (default: detected): `astro` (Runtime image in the
    /// Dockerfile), `image` (another Dockerfile image), `mwaa` (requirements.txt with a
    /// `--constraint` URL, plugins, startup.sh), `helm` (a values file of the official chart),
    /// `compose` (a docker-compose file running apache/airflow), `composer` (Cloud Composer).
    #[arg(
        long,
        value_name = "PLATFORM",
        value_parser = clap::builder::TypedValueParser::map(clap::builder::PossibleValuesParser::new(["astro", "image", "mwaa", "helm", "compose", "composer"])
            , |s: String| skyhop_project::Platform::parse(&s).expect("a listed platform"))
    )]
    pub platform: Option<skyhop_project::Platform>,
}

/// Which version to work against. With none, commands use the project's current version.
#[derive(Debug, Clone, Default, Args)]
pub struct VersionArgs {
    /// Astro Runtime version, e.g. `12.0.0` or `3.1-12`.
    #[arg(long, value_name = "VERSION", conflicts_with = "airflow_version")]
    pub runtime_version: Option<String>,
    /// Apache Airflow version, e.g. `3.1.3`.
    #[arg(long, value_name = "VERSION")]
    pub airflow_version: Option<String>,
}

/// Environment sources other than resolution.
#[derive(Debug, Clone, Default, Args)]
pub struct EnvSourceArgs {
    /// Use this `pip freeze` file as the current environment instead of resolving it.
    #[arg(long, value_name = "FILE")]
    pub current_freeze: Option<PathBuf>,
    /// Use this `pip freeze` file as the target environment instead of resolving it.
    #[arg(long, value_name = "FILE")]
    pub target_freeze: Option<PathBuf>,
    /// How environments are built: `uv` (resolve from the package index) or `docker`
    /// (`pip freeze` inside the image; needs a Docker engine).
    #[arg(long, value_enum, default_value_t = Backend::Uv)]
    pub backend: Backend,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    #[default]
    Uv,
    Docker,
}

impl From<Backend> for skyhop_upgrade::Backend {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Uv => skyhop_upgrade::Backend::Uv,
            Backend::Docker => skyhop_upgrade::Backend::Docker,
        }
    }
}

impl VersionArgs {
    /// The version asked for, as the pipeline takes it.
    pub fn target(&self) -> skyhop_upgrade::TargetArgs {
        skyhop_upgrade::TargetArgs {
            runtime_version: self.runtime_version.clone(),
            airflow_version: self.airflow_version.clone(),
        }
    }
}

/// `--pass-env NAME`: a variable of the caller's environment handed to DAG code on purpose.
#[derive(Debug, Args)]
pub struct PassEnvArg {
    /// Hand this variable of your environment to the DAG code (repeatable); it is listed in
    /// the results. Otherwise DAG code sees only the Dockerfile's ENV, .env, PATH, LANG and an
    /// empty HOME, none of your tokens or credential files.
    #[arg(long = "pass-env", value_name = "NAME")]
    pub pass_env: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// List Apache Airflow versions instead of Astro Runtime versions.
    #[arg(long)]
    pub airflow: bool,
    /// Include yanked and end-of-maintenance versions.
    #[arg(long)]
    pub all: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Fetch the live Astro updates feed now (falls back to the embedded catalog offline).
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    #[command(flatten)]
    pub version: VersionArgs,
    /// Write without asking (scripts, CI). Without it, skyhop asks on a terminal and writes
    /// nothing otherwise.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the change as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Allow a deprecated / end-of-maintenance target version.
    #[arg(long)]
    pub allow_deprecated: bool,
    /// After the base image, fix the project for the target: every safe fix of the check's
    /// findings (imports, arguments, context keys, config, requirements), then check and
    /// parse-test again under the target, round after round while a round fixes something.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: print the unified diff of every file it would change, and write nothing.
    #[arg(long, requires = "fix")]
    pub diff: bool,
    /// With --fix: also make the unsafe fixes (`skyhop rule CODE` says which are which).
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,
    /// Print the hops the catalog requires to reach the target (e.g. 11.3.0 -> 13.11.0 ->
    /// 3.1-12) with the upgrade considerations of each; with --fix, fix hop by hop.
    #[arg(long)]
    pub plan: bool,
    /// With --fix: write a pull-request description (Markdown) of the upgrade to FILE.
    #[arg(long, value_name = "FILE", requires = "fix")]
    pub summary: Option<PathBuf>,
    /// Pick the target by scope instead of naming it: `patch` (the newest build on the current
    /// Airflow minor), `latest-minor` (the newest within the Airflow major), `latest` (the
    /// newest stable). Yanked and prerelease versions are never picked, nor (without
    /// --allow-deprecated) ones past end of maintenance; a FROM pinned by digest is reported,
    /// not bumped.
    #[arg(long, value_enum, value_name = "SCOPE", conflicts_with_all = ["runtime_version", "airflow_version"])]
    pub to: Option<ToArg>,
    /// Never go further than this (by Airflow version): `patch`, `minor` or `major`. Always
    /// wins: it narrows --to, and refuses a version given by hand that goes further.
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub max_scope: Option<ScopeArg>,
    /// Bump only the provider packages pinned in requirements.txt (the runtime kept): each to
    /// the newest version that resolves with the current Airflow, verified by the check and
    /// the parse test under the current Airflow with the new providers.
    #[arg(long, conflicts_with_all = ["runtime_version", "airflow_version", "to", "plan", "fix"])]
    pub providers: bool,
}

/// `--to`: which target a scheduled upgrade picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToArg {
    Patch,
    LatestMinor,
    Latest,
}

impl From<ToArg> for skyhop_upgrade::scope::To {
    fn from(t: ToArg) -> Self {
        match t {
            ToArg::Patch => Self::Patch,
            ToArg::LatestMinor => Self::LatestMinor,
            ToArg::Latest => Self::Latest,
        }
    }
}

/// `--max-scope`: how far an upgrade may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Patch,
    Minor,
    Major,
}

impl From<ScopeArg> for skyhop_upgrade::scope::Scope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::Patch => Self::Patch,
            ScopeArg::Minor => Self::Minor,
            ScopeArg::Major => Self::Major,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Args)]
pub struct UpgradeTestArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    #[command(flatten)]
    pub version: VersionArgs,
    /// Test against this image (`quay.io/astronomer/astro-runtime:12.0.0`, `apache/airflow:3.1.3`).
    #[arg(long, value_name = "IMAGE", conflicts_with_all = ["runtime_version", "airflow_version", "to"])]
    pub image_name: Option<String>,
    /// Pick the target by scope, as `skyhop upgrade --to` does (`patch`, `latest-minor`,
    /// `latest`); nothing is tested when the project is already at the newest in scope.
    #[arg(long, value_enum, value_name = "SCOPE", conflicts_with_all = ["runtime_version", "airflow_version"])]
    pub to: Option<ToArg>,
    /// Never test a target further than this (by Airflow version): `patch`, `minor`, `major`.
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub max_scope: Option<ScopeArg>,
    /// With --to: also pick a version past end of maintenance.
    #[arg(long)]
    pub allow_deprecated: bool,
    #[command(flatten)]
    pub env: EnvSourceArgs,
    /// Run the dependency (version) test.
    #[arg(long)]
    pub version_test: bool,
    /// Run the DAG parse test.
    #[arg(long)]
    pub dag_test: bool,
    /// Run the static check of DAG code.
    #[arg(long)]
    pub lint_test: bool,
    /// Where to write `upgrade-test-<current>--<new>/` (default: the project directory).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Terminal output format: `text`, `json` (the report), or `github` (every finding as a
    /// GitHub Actions annotation on its file and line, then the text summary).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Parallel DAG parse workers (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub pass_env: PassEnvArg,
    /// Also rehearse the metadata-database migration on a copy of this database (PostgreSQL
    /// `postgresql://user:pw@host/db` or `sqlite:////abs/path/airflow.db`; only read): time per
    /// revision, tables moved or dropped, what a rollback loses (report section and
    /// `db_rehearsal.json`).
    #[arg(long, value_name = "URL")]
    pub db_url: Option<String>,
    /// Take the current version from this Astro Deployment (its id) instead of the Dockerfile
    /// (with a warning when they differ).
    #[arg(long, value_name = "DEPLOYMENT_ID", conflicts_with = "current_freeze")]
    pub astro: Option<String>,
    #[command(flatten)]
    pub api: AstroApiArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to check (default: the project's DAG files).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub project: ProjectArg,
    #[command(flatten)]
    pub version: VersionArgs,
    /// Pick the target by scope, as `skyhop upgrade --to` does (`patch`, `latest-minor`,
    /// `latest`); at the newest in scope already, the project's own version is checked.
    #[arg(long, value_enum, value_name = "SCOPE", conflicts_with_all = ["runtime_version", "airflow_version"])]
    pub to: Option<ToArg>,
    /// Use this `pip freeze` file as the target environment.
    #[arg(long, value_name = "FILE")]
    pub target_freeze: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Apply safe fixes (import moves, renamed keywords) in place.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: show the fixes as a diff and write nothing.
    #[arg(long, requires = "fix")]
    pub diff: bool,
    /// Check only with the curated rules, without building the target environment.
    #[arg(long)]
    pub no_env: bool,
    /// When the target environment cannot be built (offline, no Python, requirements that do
    /// not resolve): check with the curated rules only, as --no-env, with a note, instead of
    /// failing (exit 3). For pre-commit hooks.
    #[arg(long, conflicts_with = "no_env")]
    pub allow_no_env: bool,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    #[command(flatten)]
    pub version: VersionArgs,
    /// Use this `pip freeze` file as the environment.
    #[arg(long, value_name = "FILE")]
    pub target_freeze: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Parallel workers (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Per-file timeout in seconds (default: Airflow's dagbag_import_timeout, 30).
    #[arg(long, value_name = "S")]
    pub timeout: Option<u64>,
    #[command(flatten)]
    pub pass_env: PassEnvArg,
}

#[derive(Debug, Args)]
pub struct FreezeArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    #[command(flatten)]
    pub version: VersionArgs,
    /// `uv` resolves from the package index; `docker` runs `pip freeze` in the image.
    #[arg(long, value_enum, default_value_t = Backend::Uv)]
    pub backend: Backend,
    /// Leave out the project's requirements.txt (only the image's own packages).
    #[arg(long)]
    pub no_requirements: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The old environment (`pip freeze` file).
    pub old: PathBuf,
    /// The new environment (`pip freeze` file).
    pub new: PathBuf,
    /// Print JSON: every change with its kind.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// Show the change as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code, e.g. SKY301. Without it, all rules are listed.
    pub code: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Disk use per kind (venvs, bytecode, indexes, locks, ...) and every environment with its
    /// size, what removing it frees, its last use and whether a process uses it.
    Info {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove what has not been used for --older-than days, then the least recently used until
    /// the cache fits --max-size (default: $SKYHOP_CACHE_MAX_SIZE). Never an environment that a
    /// skyhop process or a running Airflow (`skyhop dev`, a deployment) uses.
    Prune(CachePruneArgs),
    /// Remove everything in the cache except the environments in use. Everything is made again
    /// when needed.
    Clean {
        /// Print what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// Remove what has not been used for this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub older_than: u64,
    /// Then remove the least recently used until the cache is at most this big (`20G`, `500M`,
    /// bytes; powers of 1024).
    #[arg(long, value_name = "SIZE", env = "SKYHOP_CACHE_MAX_SIZE")]
    pub max_size: Option<String>,
    /// Print what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `skyhop.1` and one `skyhop-<command>.1` per command into DIR instead of printing
    /// `skyhop.1`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
