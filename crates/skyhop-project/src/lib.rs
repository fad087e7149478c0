//! skyhop-project: reading and rewriting the files of an Airflow / Astro project, byte-exactly.
//!
//! It owns:
//! - [`Dockerfile`]: a BuildKit-compatible parser that keeps every byte, the build stages and
//!   their classified base image ([`BaseImage`]: Astro Runtime, Apache Airflow, Astronomer
//!   Certified, custom), `ARG` defaults, `ENV` settings, and the rewrite of the base image tag
//!   ([`Dockerfile::rewrite_base`]);
//! - [`Requirements`] (requirements.txt per PEP 508, includes followed, byte-exact
//!   [`Requirements::pin`]) and [`Packages`] (packages.txt);
//! - [`DotEnv`] (.env);
//! - Airflow configuration wherever the project sets it ([`config`]: Dockerfile `ENV` / `ARG`,
//!   .env, `airflow.cfg`, docker-compose `environment:`, Helm values `config:` / `env:`) and its
//!   byte-exact rename or removal ([`edit_config`]);
//! - DAG discovery the way Airflow does it ([`dag_files`], `.airflowignore` in both syntaxes,
//!   the safe-mode heuristic);
//! - where Airflow runs ([`platform`]: Astro, an image, MWAA, the Helm chart, compose,
//!   Composer) and the byte-exact rewrite of the version in Helm values and compose files;
//! - [`Project`], tying those together, and file helpers ([`write_atomic`], [`unified_diff`]).
//!
//! It knows nothing of environments, version catalogs or what a version means: it reports the
//! raw version strings it reads (`11.3.0`, `3.1-12`, `2.10.5`) and writes the ones it is given.
//! Nothing here prints.

pub mod config;
pub mod dags;
pub mod dockerfile;
pub mod dotenv;
mod fsutil;
pub mod packages;
pub mod platform;
mod project;
pub mod requirements;
mod text;

pub use config::{ConfigEdit, ConfigProblem, ConfigSetting, ConfigSource, edit_config, env_name};
pub use dags::{
    DagDiscovery, DagFile, DagFileKind, DiscoveryOptions, GlobDirs, IgnoreSyntax, WalkProblem,
    dag_files,
};
pub use dockerfile::{
    Arg, BaseImage, Change, Dockerfile, DockerfileError, EnvVar, ErrorKind, Family, ImageRef,
    LocatedBase, NewBase, PipInstalls, PipSource, Rewrite, SourceKind, Stage, expand_vars,
};
pub use dotenv::{DotEnv, DotEnvError, EnvEntry};
pub use fsutil::{unified_diff, write_atomic};
pub use packages::{AptPackage, Packages, PackagesError};
pub use platform::{Deployment, Detected, FileRewrite, Platform, VersionSite};
pub use project::{Project, ProjectError};
pub use requirements::{
    IndexUrls, PinResult, Requirement, Requirements, RequirementsError, RequirementsErrorKind,
};
pub use text::TextError;
