//! The one error type of this crate.

use std::path::PathBuf;

/// Why an environment could not be had.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A file or directory operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A program could not be started at all.
    #[error("could not run `{program}`: {source}{}", hint_suffix(.hint))]
    Spawn {
        program: String,
        hint: String,
        #[source]
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    /// The pinned uv could not be found or installed.
    #[error(
        "uv {version} is needed and could not be installed: {reason}\n  what to do: install it with `python3 -m pip install uv=={version}` (or put uv {version} on PATH) and retry"
    )]
    Uv { version: String, reason: String },
    /// The environment could not be resolved: which requirement, why, and what to do.
    #[error("{0}")]
    Resolution(#[from] ResolutionError),
    /// No Python interpreter at all could be found for a venv.
    #[error(
        "no Python interpreter found for Python {wanted} (nor any other 3.x): install one (`uv python install {wanted}`, pyenv, or your system's package) and retry"
    )]
    NoPython { wanted: String },
    /// No Docker engine answers, so the docker backend cannot be used.
    #[error(
        "the docker backend needs a running Docker engine and none answers ({reason}).\n  what to do: start Docker, or use the default uv backend, or pass a `pip freeze` file (--current-freeze / --target-freeze)"
    )]
    NoDocker { reason: String },
    /// A `pip freeze` file could not be read.
    #[error("{}:{}", path.display(), source)]
    Freeze {
        path: PathBuf,
        #[source]
        source: skyhop_core::FreezeError,
    },
    /// Something needed from the package index is not there.
    #[error("{0}")]
    NotFound(String),
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!(" ({hint})")
    }
}

impl EnvError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EnvError::Io {
            context: context.into(),
            source,
        }
    }
}

/// A failed resolution, explained for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ResolutionError {
    /// One line saying which environment could not be resolved.
    pub summary: String,
    /// The requirement at fault (`pendulum==3.0.0`, with its file and line when known).
    pub requirement: Option<String>,
    /// The relevant lines of uv's explanation.
    pub why: Vec<String>,
    /// What the user can do about it.
    pub what_to_do: String,
}

impl ResolutionError {
    fn render(&self) -> String {
        let mut out = self.summary.clone();
        if let Some(r) = &self.requirement {
            out.push_str(&format!("\n  requirement: {r}"));
        }
        if !self.why.is_empty() {
            out.push_str("\n  why:");
            for line in &self.why {
                out.push_str(&format!("\n    {line}"));
            }
        }
        out.push_str(&format!("\n  what to do: {}", self.what_to_do));
        out
    }
}
