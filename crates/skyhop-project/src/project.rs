//! A project directory as `astro dev init` lays it out: Dockerfile, requirements.txt,
//! packages.txt, .env, dags/, include/, plugins/, tests/.

use std::path::{Path, PathBuf};

use crate::dags::{DagDiscovery, DiscoveryOptions, dag_files};
use crate::dockerfile::{Dockerfile, DockerfileError, LocatedBase};
use crate::dotenv::{DotEnv, DotEnvError};
use crate::packages::{Packages, PackagesError};
use crate::requirements::{Requirements, RequirementsError};

/// Why a project could not be loaded. Every variant names the file (relative to the project)
/// and, where it applies, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    #[error("{0}")]
    Dockerfile(#[from] DockerfileError),
    #[error("{0}")]
    Requirements(#[from] RequirementsError),
    #[error("{0}")]
    Packages(#[from] PackagesError),
    #[error("{0}")]
    DotEnv(#[from] DotEnvError),
    #[error("{0}: not a directory; pass the project directory (the one holding the Dockerfile)")]
    NotADirectory(String),
}

/// A loaded project. Optional files are `None` when absent.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project directory.
    pub root: PathBuf,
    pub dockerfile: Dockerfile,
    pub requirements: Option<Requirements>,
    pub packages: Option<Packages>,
    pub env: Option<DotEnv>,
    /// `dags/` (it may not exist).
    pub dags_dir: PathBuf,
    pub include_dir: Option<PathBuf>,
    pub plugins_dir: Option<PathBuf>,
    pub tests_dir: Option<PathBuf>,
}

impl Project {
    /// Reads the project in `dir`. The Dockerfile is required; requirements.txt, packages.txt
    /// and .env are read when present. Any unreadable or malformed file is an error.
    pub fn load(dir: &Path) -> Result<Project, ProjectError> {
        if !dir.is_dir() {
            return Err(ProjectError::NotADirectory(dir.display().to_string()));
        }
        let root = dir.to_path_buf();
        let dockerfile = Dockerfile::read(&root.join("Dockerfile"), "Dockerfile")?;
        let optional = |name: &str| Some(root.join(name)).filter(|p| p.exists());
        let requirements = optional("requirements.txt")
            .map(|p| Requirements::read(&p, "requirements.txt"))
            .transpose()?;
        let packages = optional("packages.txt")
            .map(|p| Packages::read(&p, "packages.txt"))
            .transpose()?;
        let env = optional(".env")
            .map(|p| DotEnv::read(&p, ".env"))
            .transpose()?;
        let dir_of = |name: &str| Some(root.join(name)).filter(|p| p.is_dir());
        Ok(Project {
            dags_dir: root.join("dags"),
            include_dir: dir_of("include"),
            plugins_dir: dir_of("plugins"),
            tests_dir: dir_of("tests"),
            root,
            dockerfile,
            requirements,
            packages,
            env,
        })
    }

    /// The Dockerfile's path.
    pub fn dockerfile_path(&self) -> PathBuf {
        self.root.join("Dockerfile")
    }

    /// requirements.txt's path (it may not exist).
    pub fn requirements_path(&self) -> PathBuf {
        self.root.join("requirements.txt")
    }

    /// The base image of the final stage, classified, with its Dockerfile line. Custom images,
    /// missing tags and `latest` are errors naming the line.
    pub fn current_image(&self) -> Result<LocatedBase, ProjectError> {
        Ok(self.dockerfile.base_image()?)
    }

    /// DAG files of `dags/`, found the way Airflow finds them.
    pub fn dag_files(&self, opts: &DiscoveryOptions) -> DagDiscovery {
        dag_files(&self.dags_dir, opts)
    }

    /// `path` relative to the project root, `/`-separated (as findings show paths).
    pub fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}
