//! Airflow's constraints files in a project's install steps: `pip install --constraint
//! https://raw.githubusercontent.com/apache/airflow/constraints-2.11.2/constraints-3.10.txt`
//! in the Dockerfile, or a `-c`/`--constraint` line of requirements.txt. Such a file pins
//! `apache-airflow` and every package of that release: used on another Airflow, pip either
//! fails the build or moves the image's own packages to another release's versions.

use skyhop_core::{Finding, Severity, Source};
use skyhop_project::Project;

use crate::target::Pinned;

/// Rule code of a constraints file of another Airflow version or Python.
pub const RULE: &str = "SKY505";

/// `(airflow version, python)` of an Airflow constraints URL
/// (`.../constraints-2.11.2/constraints-3.10.txt`, also `constraints-no-providers-3.10.txt`).
pub fn airflow_constraints(url: &str) -> Option<(String, String)> {
    let (_, rest) = url.split_once("constraints-")?;
    let (version, rest) = rest.split_once('/')?;
    if !version.chars().next()?.is_ascii_digit() {
        return None;
    }
    let file = rest.rsplit('/').next()?;
    let python = file
        .strip_suffix(".txt")?
        .rsplit('-')
        .next()
        .filter(|p| p.starts_with("3."))?;
    Some((version.to_string(), python.to_string()))
}

/// The same URL for Airflow `version` and Python `python`.
pub fn retarget(url: &str, version: &str, python: &str) -> Option<String> {
    let (old_version, old_python) = airflow_constraints(url)?;
    let url = url.replacen(
        &format!("constraints-{old_version}/"),
        &format!("constraints-{version}/"),
        1,
    );
    let at = url.rfind(&format!("-{old_python}.txt"))?;
    Some(format!(
        "{}-{python}.txt{}",
        &url[..at],
        &url[at + old_python.len() + 5..]
    ))
}

/// Every Airflow constraints file the project installs with that is not the target's.
pub fn findings(project: &Project, new: &Pinned, python: &str) -> Vec<Finding> {
    let mut uses: Vec<(String, usize, String)> = project
        .dockerfile
        .iter()
        .flat_map(|d| d.pip_installs().constraints)
        .map(|(line, url)| ("Dockerfile".to_string(), line, url))
        .collect();
    if let Some(reqs) = &project.requirements {
        for (i, raw) in reqs.root_text().lines().enumerate() {
            let t = raw.split(" #").next().unwrap_or("").trim();
            let url = t
                .strip_prefix("--constraint")
                .or_else(|| t.strip_prefix("-c"))
                .map(|r| r.trim_start_matches('=').trim().trim_matches(['"', '\'']));
            if let Some(url) = url.filter(|u| !u.is_empty()) {
                uses.push(("requirements.txt".to_string(), i + 1, url.to_string()));
            }
        }
    }
    let mut out = Vec::new();
    for (file, line, url) in uses {
        let Some((version, py)) = airflow_constraints(&url) else {
            continue;
        };
        if version == new.airflow && py == python {
            continue;
        }
        let replacement = retarget(&url, &new.airflow, python);
        out.push(Finding {
            path: file,
            line: line as u32,
            column: 1,
            rule: RULE.into(),
            severity: Severity::Error,
            message: format!(
                "installs with the constraints of Airflow {version} for Python {py} (`{url}`), which pin apache-airflow=={version} and that release's versions of every package: on {} pip fails the build or moves the image's own packages to them{}",
                new.describe(),
                replacement
                    .as_ref()
                    .map(|r| format!("; use `{r}`"))
                    .unwrap_or_default()
            ),
            replacement,
            source: Source::Deps,
            related: Vec::new(),
            facts: Default::default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_retargets_constraints_urls() {
        let url = "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.2/constraints-3.10.txt";
        assert_eq!(
            airflow_constraints(url),
            Some(("2.11.2".into(), "3.10".into()))
        );
        assert_eq!(
            retarget(url, "3.1.7", "3.12").as_deref(),
            Some(
                "https://raw.githubusercontent.com/apache/airflow/constraints-3.1.7/constraints-3.12.txt"
            )
        );
        let no_providers = "https://raw.githubusercontent.com/apache/airflow/constraints-2.9.1/constraints-no-providers-3.11.txt";
        assert_eq!(
            retarget(no_providers, "3.0.6", "3.12").as_deref(),
            Some(
                "https://raw.githubusercontent.com/apache/airflow/constraints-3.0.6/constraints-no-providers-3.12.txt"
            )
        );
        assert_eq!(airflow_constraints("constraints.txt"), None);
        assert_eq!(airflow_constraints("/tmp/my-constraints-file.txt"), None);
    }
}
