//! skyhop-env: Python environments for an Airflow version, without Docker.
//!
//! It owns:
//! - resolving an environment ([`resolve`], the `uv` backend): `apache-airflow==V` + a
//!   runtime's provider pins as of its release date, then the project's `requirements.txt`
//!   layered on top like in the image; locks cached by their inputs under `cache/locks/`;
//! - reading one instead: [`docker_freeze`] (a Docker image's `pip freeze`) and
//!   [`freeze_file`] (a `pip freeze` file);
//! - installing a lock into a content-addressed venv ([`install`]), with a Python fallback;
//! - what the cache holds, and pruning it ([`usage()`], [`prune`]: `skyhop cache`);
//! - the pinned `uv` binary ([`uv()`]) and a few test/bench helpers ([`airflow_venv`],
//!   [`download_wheel`], [`airflow_example_dags`]).
//!
//! It knows nothing of the runtime catalog or of projects: callers pass the Airflow version,
//! Python version, pins, cutoff date and requirements file as plain data. It never prints:
//! progress goes through [`skyhop_core::Progress`].

mod backends;
mod cache;
mod cmd;
mod error;
mod explain;
mod index_cache;
mod indexes;
mod install;
mod layer;
mod lock_cache;
mod pypi;
mod python;
mod resolve;
mod support;
mod usage;
mod uv;
mod wheels;

pub use backends::{docker_available, docker_freeze, freeze_file};
pub use cache::Cache;
pub use error::{EnvError, ResolutionError};
pub use indexes::environment_indexes;
pub use install::{Indexes, Venv, install, install_with};
pub use pypi::{PYPI_SIMPLE, day_after, download_wheel, release_date};
pub use python::choose_python;
pub use resolve::{EnvSpec, PYTHON_PLATFORM, resolve};
pub use support::{
    TEST_PYTHON, airflow_example_dags, airflow_venv, airflow_venv_plus, airflow_venv_with,
};
pub use usage::{
    CacheUsage, EnvUsage, Kind, KindUsage, MAX_SIZE_VAR, PruneOptions, PruneReport, Removed,
    human_bytes, max_size_from_env, parse_size, prune, usage,
};
pub use uv::{UV_VERSION, UvSource, find_uv, uv};
pub use wheels::{WheelSupport, available_versions, wheel_support};
