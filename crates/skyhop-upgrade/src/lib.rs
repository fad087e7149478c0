//! skyhop-upgrade: the upgrade journey itself, as one code path for the CLI, tests and (later)
//! `skyhop ui`.
//!
//! It owns:
//! - pinning versions down ([`target`]: the project's current version, a Runtime, an Airflow
//!   version or an image, with the catalog's notes) and the shared state of a run ([`Ctx`]);
//! - the glue from a project to its environments ([`envs`]: specs, locks, venvs) and to the
//!   project's settings ([`settings`]: DAG discovery, `AIRFLOW__*` config, DAG environment);
//! - the steps every command shares ([`steps`]: target environment, API index, static check
//!   inputs, parse test, environment findings) and the parse outcome per file ([`classify`]);
//! - the base-image upgrade ([`base`]: validated against the catalog, downgrades refused), its
//!   twin for Helm values and compose files ([`platform`]) and MWAA's `--constraint` line
//!   ([`mwaa`]), the
//!   provider pins bumped alone ([`providers`]), the
//!   scope of a scheduled upgrade ([`scope`]: patch, latest minor, latest, clamped);
//! - `upgrade-test` ([`upgrade_test`]: both environments, dependency compare, check, parse test,
//!   report folder, and with a database the migration rehearsed on a copy: [`db`]) and
//!   `upgrade --fix` ([`fix`]: the fix loop, multi-hop plans, summaries).
//!
//! It knows nothing of terminals: it never prompts and never draws; progress goes through
//! [`skyhop_core::Progress`] and results come back as data (with text renderings the CLI
//! prints). Errors are [`Failure`]s: a message that says what is wrong and what to do, and the
//! exit code the CLI documents.

pub mod base;
pub mod classify;
pub mod constraints;
pub mod db;
pub mod envs;
mod error;
pub mod fix;
pub mod mwaa;
pub mod platform;
pub mod providers;
pub mod scope;
pub mod settings;
pub mod steps;
pub mod target;
pub mod upgrade_test;

pub use error::{Failure, exit};
pub use target::{Ctx, Pinned};

/// How environments are built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// Resolved from the package index with uv.
    #[default]
    Uv,
    /// `pip freeze` inside the image (needs a Docker engine).
    Docker,
}

/// Which version to work against: a Runtime version or an Airflow version (neither: the
/// project's current one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetArgs {
    /// Astro Runtime version, e.g. `12.0.0` or `3.1-12`.
    pub runtime_version: Option<String>,
    /// Apache Airflow version, e.g. `3.1.3`.
    pub airflow_version: Option<String>,
}
