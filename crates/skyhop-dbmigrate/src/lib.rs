//! skyhop-dbmigrate: Airflow's metadata database as skyhop reaches it, and its migration
//! rehearsed on a copy before an upgrade.
//!
//! It owns:
//! - the database itself ([`MetaDb`], a PostgreSQL URL or a SQLite file): read-only queries,
//!   backups, snapshots and restores, the PostgreSQL client tools, URLs with their password
//!   hidden;
//! - the rehearsal ([`rehearse::rehearse`] with a [`rehearse::RehearseSpec`]): the source's
//!   Alembic revision checked against the Airflow versions, copies on a throwaway server
//!   ([`pgserver::ScratchPostgres`]) or in a scratch SQLite file, `airflow db migrate` timed per
//!   revision, tables moved aside, dropped or renamed, the way back rehearsed, and the result
//!   ([`rehearse::Rehearsal`]) as JSON and Markdown;
//! - the prediction from skyhop's measured fit ([`predict::builtin`],
//!   [`predict::task_instances`]) behind `skyhop db rehearse --estimate`;
//! - seeding a test database with history through Airflow's own models ([`seed::seed`]);
//! - the "rehearse before a large deploy" decision ([`deploy_gate`]);
//! - its error type ([`DbError`]), whose messages say what to do.
//!
//! How the CLI uses it: `skyhop db rehearse` → [`rehearse::rehearse`], then
//! [`rehearse::Rehearsal::write_json`] / [`rehearse::Rehearsal::to_markdown`]; `--estimate` →
//! [`rehearse::source_revision`], [`predict::task_instances`] and [`predict::builtin`];
//! `skyhop db seed` → [`seed::seed`]; `skyhop deploy` → [`deploy_gate`], then the rehearsal;
//! `skyhop upgrade-test --db-url` goes through `skyhop-upgrade`, which puts the rehearsal in
//! the report.
//!
//! It knows nothing of deployments, their history, secrets or processes (`skyhop-deploy`
//! uses [`MetaDb`] for its backups and rollbacks), nor of projects, catalogs or reports: the
//! caller passes the database, the Airflow versions and the target's environment (a virtual
//! environment with Airflow and the database drivers) as plain data. Nothing here prints;
//! progress goes through [`skyhop_core::Progress`].

mod error;
mod gate;
pub mod metadb;
pub mod pgserver;
pub mod predict;
mod private;
pub mod process;
pub mod rehearse;
pub mod seed;
mod versions;

pub use error::{DbError, Result};
pub use gate::{DeployGate, REHEARSE_THRESHOLD, deploy_gate, threshold_from_env};
pub use metadb::MetaDb;
pub use private::private_umask;
pub use versions::{airflow_major, compare_airflow};
