//! Turning uv's resolver output into a message that says which requirement, why, and what to do.

use std::collections::BTreeMap;
use std::path::Path;

use skyhop_core::normalize_name;

use crate::ResolutionError;
use crate::resolve::EnvSpec;

/// Which layer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    /// Airflow and the runtime's pins.
    Base,
    /// The project's requirements on top.
    Requirements,
}

/// The package uv says is not on the index at all (`Because X was not found in the package
/// registry`), normalized.
pub(crate) fn not_in_registry(stderr: &str) -> Option<String> {
    let (_, rest) = stderr.split_once("Because ")?;
    let (name, _) = rest.split_once(" was not found in the package registry")?;
    let name = name.trim();
    (!name.contains(' ')).then(|| normalize_name(name))
}

/// uv's hint that a *pinned* version (or the only one a requirement accepts) was published
/// after the `--exclude-newer` cutoff:
/// (`name==version`, `YYYY-MM-DD` it was published).
pub(crate) fn pin_after_cutoff(stderr: &str) -> Option<(String, String)> {
    let (_, rest) = stderr.split_once("hint: `")?;
    let (name, rest) = rest.split_once('`')?;
    let rest = rest.strip_prefix(" was filtered by `exclude-newer`")?;
    // a pinned version, or the only version Airflow accepts, published after the cutoff
    let (_, rest) = rest
        .split_once("The requested version, v")
        .or_else(|| rest.split_once("The latest version satisfying the requirement is v"))?;
    let (version, rest) = rest
        .split_once(", was published at ")
        .or_else(|| rest.split_once(", published at "))?;
    let date = rest.get(..10)?;
    Some((format!("{name}=={version}"), date.to_string()))
}

/// The lines of uv's stderr that explain the failure, without uv's decoration.
pub(crate) fn why_lines(stderr: &str) -> Vec<String> {
    let lines: Vec<String> = stderr
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['×', '╰', '─', '▶', '│'])
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines
        .iter()
        .position(|l| l.contains("No solution found"))
        .map(|i| i + 1)
        .unwrap_or(0);
    lines
        .into_iter()
        .skip(start)
        .map(|l| l.strip_prefix("cause: ").map(str::to_string).unwrap_or(l))
        .take(15)
        .collect()
}

/// Does `text` mention package `name` (PEP 503 spellings compared) as a whole word?
pub(crate) fn mentions(text: &str, name: &str) -> bool {
    let norm = normalize_name(name);
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map(|w| w.trim_end_matches('.'))
        .any(|w| normalize_name(w) == norm)
}

/// A requirement line of a requirements file: (1-based line, the requirement text, its name).
fn requirement_lines(text: &str) -> Vec<(usize, String, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('-') {
                return None;
            }
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            (!name.is_empty()).then(|| (i + 1, line.to_string(), name))
        })
        .collect()
}

/// Builds the user-facing error for a failed `uv pip compile`.
pub(crate) fn resolution_error(
    spec: &EnvSpec,
    layer: Layer,
    stderr: &str,
    pins: &BTreeMap<String, String>,
    requirements: Option<(&Path, &str)>,
) -> ResolutionError {
    let why = why_lines(stderr);
    let joined = why.join("\n");
    let python_problem = joined.contains("requested Python version")
        || joined.contains("no wheels with a matching Python")
        || joined.contains("Python ABI")
        || joined.contains("depends on Python");
    let py = &spec.python;
    let (summary, requirement, name, file) = match (layer, requirements) {
        (Layer::Requirements, Some((path, text))) => {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            let culprit = requirement_lines(text)
                .into_iter()
                .find(|(_, _, name)| mentions(&joined, name));
            let summary = format!(
                "cannot install {} on top of Airflow {} (Python {py})",
                path.display(),
                spec.airflow
            );
            match culprit {
                Some((line, req, name)) => (
                    summary,
                    Some(format!("{req} ({}:{line})", path.display())),
                    Some(name),
                    file,
                ),
                None => (summary, None, None, file),
            }
        }
        _ => {
            let summary = format!(
                "cannot resolve Airflow {} with the runtime's packages for Python {py}{}",
                spec.airflow,
                spec.exclude_newer
                    .as_ref()
                    .map(|d| format!(" as of {d}"))
                    .unwrap_or_default()
            );
            let culprit = pins
                .iter()
                .find(|(n, _)| normalize_name(n) != "apache-airflow" && mentions(&joined, n))
                .map(|(n, v)| (format!("{n}=={v}"), n.clone()));
            match culprit {
                Some((req, name)) => (summary, Some(req), Some(name), String::new()),
                None => (
                    summary,
                    Some(format!("apache-airflow=={}", spec.airflow)),
                    None,
                    String::new(),
                ),
            }
        }
    };
    let what_to_do = match (layer, name, python_problem) {
        (Layer::Requirements, Some(n), true) => format!(
            "{n} has no version for Python {py}: pin a version of {n} that supports Python {py}, drop it from {file}, or use a `-python-X.Y` image with a Python it supports"
        ),
        (Layer::Requirements, Some(n), false) => format!(
            "pin a version of {n} that Airflow {} and the runtime's packages accept (see why), or drop it from {file}",
            spec.airflow
        ),
        (Layer::Requirements, None, _) => format!(
            "read uv's explanation above, then change or drop the requirement it names in {file}"
        ),
        (Layer::Base, _, true) => format!(
            "this Airflow version does not support Python {py}: use a `-python-X.Y` image with a Python it supports"
        ),
        (Layer::Base, _, false) => "check the runtime's version and pins; pass --index-url when they come from a private index".to_string(),
    };
    ResolutionError {
        summary,
        requirement,
        why,
        what_to_do,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFLICT: &str = "error: No solution found when resolving dependencies\n  cause: Because apache-airflow==2.10.5 depends on sqlalchemy>=1.4.36,<2.0 and you require apache-airflow==2.10.5, we can conclude that you require sqlalchemy>=1.4.36,<2.0.\n         And because you require sqlalchemy==2.0.30, we can conclude that your requirements are unsatisfiable.\n";

    #[test]
    fn finds_missing_package() {
        let e = "error: No solution found when resolving dependencies\n  cause: Because astronomer-providers-logging was not found in the package registry and you require astronomer-providers-logging==1.4.7, we can conclude that your requirements are unsatisfiable.";
        assert_eq!(
            not_in_registry(e).as_deref(),
            Some("astronomer-providers-logging")
        );
        assert_eq!(not_in_registry(CONFLICT), None);
    }

    #[test]
    fn finds_pins_newer_than_the_cutoff() {
        let e = "error: No solution found when resolving dependencies\n  cause: Because there is no version of apache-airflow-providers-celery==3.10.5 and you require apache-airflow-providers-celery==3.10.5, we can conclude that your requirements are unsatisfiable.\n\nhint: `apache-airflow-providers-celery` was filtered by `exclude-newer` to only include packages uploaded before 2025-03-02T00:00:00Z. The requested version, v3.10.5, was published at 2025-04-09T12:08:23.05Z. Consider using `exclude-newer-package` to override the cutoff for this package.\n";
        assert_eq!(
            pin_after_cutoff(e),
            Some((
                "apache-airflow-providers-celery==3.10.5".to_string(),
                "2025-04-09".to_string()
            ))
        );
        assert_eq!(pin_after_cutoff(CONFLICT), None);
        let e = "hint: `apache-airflow-providers-fab` was filtered by `exclude-newer` to only include packages uploaded before 2026-02-19T00:00:00Z. The latest version satisfying the requirement is v1.5.4, published at 2026-02-21T00:13:31.853Z. Consider using `exclude-newer-package`.";
        assert_eq!(
            pin_after_cutoff(e),
            Some((
                "apache-airflow-providers-fab==1.5.4".to_string(),
                "2026-02-21".to_string()
            ))
        );
    }

    #[test]
    fn keeps_the_explanation() {
        let why = why_lines(CONFLICT);
        assert_eq!(why.len(), 2);
        assert!(why[0].starts_with("Because apache-airflow==2.10.5"));
        assert!(why[1].starts_with("And because"));
    }

    #[test]
    fn names_the_requirement() {
        let spec = EnvSpec {
            airflow: "2.10.5".into(),
            python: "3.11".into(),
            ..EnvSpec::default()
        };
        let text = "# mine\nrequests==2.32.3\nSQLAlchemy==2.0.30  # newer\n";
        let err = resolution_error(
            &spec,
            Layer::Requirements,
            CONFLICT,
            &BTreeMap::new(),
            Some((Path::new("/p/requirements.txt"), text)),
        );
        assert_eq!(
            err.requirement.as_deref(),
            Some("SQLAlchemy==2.0.30 (/p/requirements.txt:3)")
        );
        assert!(err.what_to_do.contains("pin a version of SQLAlchemy"));
    }

    #[test]
    fn python_problems_suggest_an_image() {
        let spec = EnvSpec {
            airflow: "2.10.5".into(),
            python: "3.13".into(),
            ..EnvSpec::default()
        };
        let stderr = "error: No solution found when resolving dependencies\n  cause: Because the requested Python version (>=3.13) does not satisfy Python>=3.8,<3.13 and oldpkg==1.0 depends on Python>=3.8,<3.13, we can conclude that oldpkg==1.0 cannot be used.\n";
        let err = resolution_error(
            &spec,
            Layer::Requirements,
            stderr,
            &BTreeMap::new(),
            Some((Path::new("requirements.txt"), "oldpkg==1.0\n")),
        );
        assert!(
            err.what_to_do.contains("no version for Python 3.13"),
            "{}",
            err.what_to_do
        );
        assert!(err.what_to_do.contains("-python-X.Y"));
    }
}
