//! A project directory as `astro dev init` lays it out: Dockerfile, requirements.txt,
//! packages.txt, .env, dags/, include/, plugins/, tests/. A folder without a Dockerfile (MWAA,
//! Cloud Composer, plain pip deployments: requirements.txt and dags/) is a project too; its
//! Airflow version then comes from the caller or an `apache-airflow==` pin.

use std::path::{Path, PathBuf};

use crate::config::{ConfigProblem, ConfigSetting, ConfigSource};
use crate::dags::{DagDiscovery, DiscoveryOptions, IgnoreSyntax, dag_files};
use crate::dockerfile::{Dockerfile, DockerfileError, Family, LocatedBase};
use crate::dotenv::{DotEnv, DotEnvError};
use crate::packages::{Packages, PackagesError};
use crate::platform::{self, Deployment, Detected, Platform};
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
    #[error(
        "{0}: no Dockerfile, so skyhop cannot tell which Airflow the project runs today; pass --from-airflow-version V (or pin apache-airflow==V in requirements.txt)"
    )]
    NoDockerfile(String),
}

/// A loaded project. Optional files are `None` when absent.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project directory.
    pub root: PathBuf,
    /// `None` for a project without a Dockerfile.
    pub dockerfile: Option<Dockerfile>,
    /// The Airflow version the caller says the project runs (`--from-airflow-version`), for a
    /// project without a Dockerfile.
    pub declared_airflow: Option<String>,
    pub requirements: Option<Requirements>,
    pub packages: Option<Packages>,
    pub env: Option<DotEnv>,
    /// `dags/` (it may not exist).
    pub dags_dir: PathBuf,
    pub include_dir: Option<PathBuf>,
    pub plugins_dir: Option<PathBuf>,
    pub tests_dir: Option<PathBuf>,
    /// The platform the caller says the project runs on (`--platform`); `None`: detected.
    pub platform: Option<Platform>,
}

impl Project {
    /// Reads the project in `dir`. Dockerfile, requirements.txt, packages.txt and .env are
    /// read when present. Any unreadable or malformed file is an error.
    pub fn load(dir: &Path) -> Result<Project, ProjectError> {
        if !dir.is_dir() {
            return Err(ProjectError::NotADirectory(dir.display().to_string()));
        }
        let root = dir.to_path_buf();
        let optional = |name: &str| Some(root.join(name)).filter(|p| p.exists());
        let dockerfile = optional("Dockerfile")
            .map(|p| Dockerfile::read(&p, "Dockerfile"))
            .transpose()?;
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
            declared_airflow: None,
            platform: None,
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
        match &self.dockerfile {
            Some(d) => Ok(d.base_image()?),
            None => Err(ProjectError::NoDockerfile(self.root.display().to_string())),
        }
    }

    /// The Helm values or compose file(s) that run the project's Airflow, when the project has
    /// no Dockerfile (or `--platform helm|compose` says to read them): the chart's values file
    /// first, then compose files.
    pub fn deployment(&self) -> Option<Deployment> {
        let order: &[Platform] = match self.platform {
            Some(p @ (Platform::Helm | Platform::Compose)) => &[p][..],
            Some(_) => return None,
            None if self.dockerfile.is_some() => return None,
            None => &[Platform::Helm, Platform::Compose][..],
        };
        order
            .iter()
            .find_map(|p| platform::find(&self.root, *p).into_iter().next())
    }

    /// Where the project's Airflow runs and which file says so: `--platform` when given (with
    /// the file that platform reads, when there is one), else detected
    /// ([`platform::detect`]); `None` for a plain folder.
    pub fn detect_platform(&self) -> Option<Detected> {
        let Some(p) = self.platform else {
            return platform::detect(&self.root, self.dockerfile.as_ref());
        };
        let given = |file: Option<&str>, why: String| Detected {
            platform: p,
            file: file.map(str::to_string),
            why,
        };
        Some(match p {
            Platform::Helm | Platform::Compose => match self.deployment() {
                Some(d) => Detected {
                    why: format!("--platform {p}; {}", d.detected().why),
                    ..d.detected()
                },
                None => given(None, format!("--platform {p}")),
            },
            Platform::Mwaa => match platform::mwaa_layout(&self.root) {
                Some(why) => given(Some("requirements.txt"), format!("--platform mwaa; {why}")),
                None => given(None, "--platform mwaa".into()),
            },
            Platform::Astro | Platform::Image => {
                match platform::detect(&self.root, self.dockerfile.as_ref()) {
                    Some(d) if d.file.as_deref() == Some("Dockerfile") => Detected {
                        platform: p,
                        why: format!("--platform {p}; {}", d.why),
                        ..d
                    },
                    _ => given(None, format!("--platform {p}")),
                }
            }
            Platform::Composer => given(None, "--platform composer".into()),
        })
    }

    /// Where the image keeps the project, by its family: `/usr/local/airflow` for Astro
    /// Runtime and Astronomer Certified images (`AIRFLOW_HOME`, where `COPY . .` lands),
    /// `/opt/airflow` for Apache Airflow's image (also when a Helm values or compose file
    /// runs it); `None` for other images.
    pub fn image_home(&self) -> Option<&'static str> {
        if self.dockerfile.is_none() {
            return self.deployment().map(|_| "/opt/airflow");
        }
        match self.current_image().ok()?.base.family() {
            Family::AstroRuntime | Family::LegacyApAirflow => Some("/usr/local/airflow"),
            Family::ApacheAirflow => Some("/opt/airflow"),
            Family::Custom => None,
        }
    }

    /// The Airflow version an `apache-airflow==V` line of requirements.txt pins, when there is
    /// one (projects without a Dockerfile often pin it).
    pub fn pinned_airflow(&self) -> Option<String> {
        let reqs = self.requirements.as_ref()?;
        reqs.find("apache-airflow").iter().find_map(|r| {
            let text = r.text.split('#').next().unwrap_or("").trim();
            let (_, v) = text.split_once("==")?;
            let v: String = v
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            (!v.is_empty()).then_some(v)
        })
    }

    /// Airflow's DAG discovery defaults for `airflow_major`, overridden by the project's
    /// `AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX` / `AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE`
    /// settings (Dockerfile ENV, then .env, the later winning as in `astro dev start`).
    pub fn discovery_options(&self, airflow_major: u32) -> DiscoveryOptions {
        self.discovery_options_from(DiscoveryOptions::for_airflow_major(airflow_major))
    }

    /// [`Project::discovery_options`] for an Airflow version (`3.1.3`): Airflow 3 releases
    /// match `.airflowignore` globs against directories differently.
    pub fn discovery_options_for(&self, airflow_version: &str) -> DiscoveryOptions {
        self.discovery_options_from(DiscoveryOptions::for_airflow_version(airflow_version))
    }

    fn discovery_options_from(&self, mut opts: DiscoveryOptions) -> DiscoveryOptions {
        for s in self
            .config_settings()
            .into_iter()
            .filter(|s| matches!(s.source, ConfigSource::DockerfileEnv | ConfigSource::DotEnv))
        {
            let value = s.value.as_deref().unwrap_or("").trim().to_ascii_lowercase();
            match (s.section.as_str(), s.key.as_str()) {
                ("core", "dag_ignore_file_syntax") => match value.as_str() {
                    "glob" => opts.syntax = IgnoreSyntax::Glob,
                    "regexp" => opts.syntax = IgnoreSyntax::Regexp,
                    _ => {}
                },
                ("core", "dag_discovery_safe_mode") => {
                    opts.safe_mode = !matches!(value.as_str(), "false" | "0" | "f" | "no");
                }
                _ => {}
            }
        }
        opts
    }

    /// Every Airflow configuration setting of the project, wherever it is set (see
    /// [`crate::config`]): the final image's Dockerfile `ENV` and `ARG` defaults, then .env
    /// (which `astro dev start` applies on top), `airflow.cfg`, docker-compose files and Helm
    /// values files. Files that cannot be read are left out ([`Project::config_problems`]).
    pub fn config_settings(&self) -> Vec<ConfigSetting> {
        crate::config::read_project(&self.root).0
    }

    /// Files that set configuration but could not be read (malformed YAML, an `airflow.cfg`
    /// option outside a section…): their settings are not known.
    pub fn config_problems(&self) -> Vec<ConfigProblem> {
        crate::config::read_project(&self.root).1
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
