//! skyhop-catalog: every Astro Runtime and Apache Airflow version skyhop knows, and the rules
//! between them.
//!
//! It owns:
//! - [`RuntimeVersion`]: the two Runtime numbering schemes (`11.3.0`, `3.1-12`), their total
//!   order (the Astro CLI's), parsing with helpful errors, and image-tag splitting;
//! - [`Catalog`]: the embedded snapshot (Runtime versions with their Airflow version, dates,
//!   Pythons, maintenance, yanked state, default providers; Airflow releases), merged with
//!   Astronomer's live updates feed and PyPI release dates when reachable ([`Catalog::load`]);
//! - upgrade validation ([`Catalog::check_upgrade`]) and upgrade considerations as data;
//! - the rows of `skyhop versions` ([`listing`]).
//!
//! It knows nothing of project files, Dockerfiles, environments or processes; it never prints.
//! Its only I/O is the optional feed refresh in [`Catalog::load`], cached under the cache dir.

pub mod airflow;
pub mod catalog;
pub mod composer;
pub mod considerations;
pub mod constraints;
mod data;
mod derive;
pub mod feed;
pub mod listing;
pub mod upgrade;
pub mod version;

pub use airflow::{AirflowInfo, AirflowVersionError, parse_airflow_version};
pub use catalog::{Catalog, Confidence, Origin, RuntimeInfo, Status, UnknownVersion, today};
pub use composer::{ComposerImage, ComposerVersionError, composer_upstream, parse_composer_image};
pub use considerations::{Consideration, Scope, When};
pub use constraints::{ImageConstraints, embedded_constraints, image_constraints};
pub use data::SNAPSHOT_DATE;
pub use feed::{Fetcher, HttpFetcher, Refresh};

pub use listing::{AirflowRow, ListOptions, VersionRow};
pub use upgrade::{Comparison, PythonChange, Target, UpgradeOptions, UpgradePlan, UpgradeRefusal};
pub use version::{
    AF2_IMAGE_REPOSITORY, AF3_IMAGE_REPOSITORY, Line, RuntimeVersion, Scheme, VersionError,
    split_runtime_tag, tag_python,
};
