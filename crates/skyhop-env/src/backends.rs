//! The two backends that read an environment instead of resolving it: a Docker image's
//! `pip freeze`, and a `pip freeze` file.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use skyhop_core::Lock;

use crate::{EnvError, cmd};

/// How long the Docker CLI may take to say whether an engine answers.
const DOCKER_PROBE: Duration = Duration::from_secs(10);

/// Why no Docker engine can be used, or `None` when one answers
/// (`docker version --format '{{.Server.Version}}'` prints a version).
fn docker_problem() -> Option<String> {
    let mut c = Command::new("docker");
    c.args(["version", "--format", "{{.Server.Version}}"]);
    match cmd::output_with_timeout(&mut c, DOCKER_PROBE, "") {
        Err(_) => Some("the `docker` command is not installed".to_string()),
        Ok(None) => Some(format!(
            "`docker version` did not answer within {} s",
            DOCKER_PROBE.as_secs()
        )),
        Ok(Some(out)) => {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !version.is_empty() {
                None
            } else {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let first = stderr
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("no server version");
                Some(format!("`docker version`: {first}"))
            }
        }
    }
}

/// Whether a Docker engine answers.
pub fn docker_available() -> bool {
    docker_problem().is_none()
}

/// The exact environment of `image`: `docker run --rm --entrypoint pip <image> freeze`.
/// Fails with [`EnvError::NoDocker`] when no engine answers.
pub fn docker_freeze(image: &str) -> Result<Lock, EnvError> {
    if let Some(reason) = docker_problem() {
        return Err(EnvError::NoDocker { reason });
    }
    let mut c = Command::new("docker");
    c.args(["run", "--rm", "--entrypoint", "pip", image, "freeze"]);
    let out = cmd::run(&mut c, "is Docker installed?")?;
    Lock::from_freeze(&String::from_utf8_lossy(&out.stdout), "docker").map_err(|source| {
        EnvError::Freeze {
            path: format!("docker run {image} pip freeze").into(),
            source,
        }
    })
}

/// A `pip freeze` file (for air-gapped users and exact reproductions). The Airflow version is
/// then `lock.version_of("apache-airflow")`.
pub fn freeze_file(path: &Path) -> Result<Lock, EnvError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EnvError::io(format!("cannot read the freeze file {}", path.display()), e))?;
    Lock::from_freeze(&text, "freeze").map_err(|source| EnvError::Freeze {
        path: path.to_path_buf(),
        source,
    })
}
