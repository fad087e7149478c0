//! skyhop-deploy: running a project's Airflow and deploying it, with history and rollback.
//!
//! It owns:
//! - the local Airflow supervisor ([`DevServer`] for `skyhop dev`, [`LocalTarget`]): Airflow's
//!   components as detached processes on this machine, no Docker, with logs, pids and health;
//! - deployments ([`Deployment`]): settings, environment variables (secret values encrypted at
//!   rest and never listed), content-addressed code [`bundle`]s, metadata DB backups ([`MetaDb`],
//!   from `skyhop-dbmigrate`), deploys
//!   that refuse downgrades and switch back by themselves when Airflow is unhealthy, the
//!   history ([`DeployRecord`]) and rollbacks ([`RollbackPlan`]), all in one SQLite store per
//!   deployment, serialised by a file lock and safe against `kill -9`;
//! - the [`Target`] trait, so a Kubernetes (Helm chart) target can sit next to the local one;
//! - Astro Deployments ([`astro`]): Astro runs the processes, so the Astro target sits one
//!   level up, at the deployment (history, rollback, DAG-only deploys through Astro's API);
//! - keeping it all private: `<project>/.skyhop/` is git-ignored by its own `.gitignore`, 0700
//!   directories and 0600 files ([`private`]), secrets sealed with a key outside the project,
//!   and Airflow started from an empty environment, not the caller's.
//!
//! How the CLI uses it:
//! - `skyhop dev start|restart|stop|status|logs`: [`DevServer::new`] then its methods, with a
//!   [`DevSpec`] built from the project's version and installed environment;
//! - `skyhop deployment create` / `env set|unset|list` / `delete`: [`Deployment::create`],
//!   [`Deployment::set_env`], [`Deployment::unset_env`], [`Deployment::list_env`],
//!   [`Deployment::delete`]; after [`Deployment::open`], show [`Deployment::notes`];
//! - `skyhop deploy`: run the parse test, build the environment, then [`Deployment::deploy`];
//! - `skyhop deploy history [--json]`: [`Deployment::history`] (records serialize to JSON);
//! - `skyhop astro …` and `--astro ID`: [`astro::Client`], [`astro::AstroDeployment`];
//! - `skyhop rollback ID`: [`Deployment::plan_rollback`] to show the consequences, then
//!   [`Deployment::rollback`] with `confirmed` set by the prompt or `--yes`;
//! - before anything else on a deployment, [`Deployment::recover`] puts back what a killed
//!   skyhop left (deploy, rollback and start call it themselves).
//!
//! It knows nothing of catalogs, Dockerfiles, parse tests or reports, nor of rehearsing a
//! metadata-database migration (`skyhop-dbmigrate`, which also owns [`MetaDb`]): the CLI passes the
//! Airflow version, Runtime label, environment root and parse result as plain data. Nothing
//! here prints; progress goes through [`skyhop_core::Progress`].

pub mod api;
pub mod astro;
pub mod bundle;
mod deployment;
mod dev;
mod error;
mod local;
pub mod private;
mod process;
mod rollback;
mod secret;
mod store;
mod sys;
mod target;
mod versions;

/// The metadata database (`skyhop-dbmigrate`'s), as deployments back it up and restore it.
pub use skyhop_dbmigrate::metadb;

pub use api::{AirflowApi, Health};
pub use deployment::{
    DEFAULT_HEALTH_TIMEOUT, DEFAULT_PORT, DeployOutcome, DeployRequest, Deployment,
    DeploymentConfig, DeploymentStatus, EnvVar, RollbackRequest, deployments_dir, list,
};
pub use dev::{DevServer, DevSpec};
pub use error::{DeployError, Result};
pub use local::LocalTarget;
pub use metadb::MetaDb;
pub use rollback::RollbackPlan;
pub use store::{DeployKind, DeployRecord, DeployStatus};
pub use target::{ProcessStatus, RunSpec, Target, TargetStatus};
pub use versions::{airflow_major, compare_airflow, compare_runtime, version_label};
