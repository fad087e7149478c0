//! skyhop-parse: the real DAG parse test under a target Airflow.
//!
//! It owns the Python harness embedded in the binary ([`harness`]) and the run of that harness
//! in a target environment ([`parse`]): Airflow is imported once, then each DAG file is imported
//! in its own forked process, as Airflow's `DagBag` does, so that a file that raises, hangs,
//! crashes, exits or eats memory is reported and never stops the run. Variables, Connections
//! and env vars read at parse time get mock values (as in the Astro CLI's DAG integrity test),
//! and Airflow's metadata database is a throwaway SQLite file, never the user's. DAG code runs
//! sealed: none of the caller's environment reaches it but `PATH`, `LANG` and what the caller
//! passes on purpose ([`ParseOptions::pass_env`], listed in [`ParseReport::passed_env`]), and
//! `HOME` is an empty temporary directory.
//! The result is a [`ParseReport`] (JSON-serialisable), shown with [`to_text`] or turned into
//! [`skyhop_core::Finding`]s with [`to_findings`].
//!
//! It knows nothing of static analysis, of how environments are built, nor of which files are
//! DAG files (`.airflowignore`, safe mode): callers pass the Python of an environment and a
//! file list.

mod error;
pub mod harness;
mod report;
mod runner;

pub use error::ParseError;
pub use report::{
    ERROR_TYPE_CRASH, ERROR_TYPE_EXIT, ERROR_TYPE_TIMEOUT, FileResult, ParseReport, ParseWarning,
    RULE_CRASH, RULE_DEPRECATION, RULE_IMPORT_ERROR, RULE_TIMEOUT, RULE_WARNING, to_findings,
    to_text,
};
pub use runner::{DEFAULT_TIMEOUT, ParseOptions, STEP_IMPORT, STEP_PARSE, parse, parse_with_cache};
