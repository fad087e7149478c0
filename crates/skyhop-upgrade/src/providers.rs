//! `skyhop upgrade --providers`: the provider packages pinned in requirements.txt bumped alone,
//! the runtime kept. Each pin goes to the newest version that resolves with the current
//! Airflow (resolved as the image installs requirements: Airflow held, the rest free), and the
//! result is verified by the check and the parse test under the current version with the new
//! providers, against the same under the old ones.

use std::path::Path;

use crate::fix::{self, ChangedFile, Eval};
use crate::target::{self, Ctx, Pinned};
use crate::{Backend, Failure, envs};

/// One provider pin moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bump {
    pub name: String,
    /// 1-based line in requirements.txt.
    pub line: usize,
    pub from: String,
    pub to: String,
}

/// What bumping the providers found; nothing is written yet.
pub struct Outcome {
    pub current: Pinned,
    /// The pins moved (empty: every pinned provider is already the newest that resolves).
    pub bumps: Vec<Bump>,
    /// Pinned providers that stay, with the reason.
    pub kept: Vec<(String, String)>,
    /// requirements.txt, when a pin moved.
    pub changed: Vec<ChangedFile>,
    /// The project under the current version with the old pins, and with the new ones.
    pub before: Option<Eval>,
    pub after: Option<Eval>,
    pub notes: Vec<String>,
}

impl Outcome {
    /// DAG files that imported with the old providers and fail with the new ones.
    pub fn regressions(&self) -> Vec<String> {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) => a.failing().difference(&b.failing()).cloned().collect(),
            _ => Vec::new(),
        }
    }
}

/// Finds the newest resolving version of every provider pinned with `==` in the project's
/// requirements.txt and verifies the project with them under its current version.
pub fn bump(ctx: &Ctx, project: &skyhop_project::Project) -> Result<Outcome, Failure> {
    let current = target::current(ctx, project)?;
    let file = project.requirements_path();
    let text = std::fs::read_to_string(&file).map_err(|e| {
        Failure::usage(format!(
            "{}: {e}: --providers bumps the providers pinned there",
            file.display()
        ))
    })?;
    let pins: Vec<(String, usize, String)> = project
        .requirements
        .as_ref()
        .map(|r| {
            r.requirements()
                .iter()
                .filter(|q| q.file == "requirements.txt" && q.url.is_none())
                .filter(|q| q.normalized.starts_with("apache-airflow-providers-"))
                .filter_map(|q| Some((q.normalized.clone(), q.line, q.pinned_version()?)))
                .collect()
        })
        .unwrap_or_default();
    if pins.is_empty() {
        return Err(Failure::usage(format!(
            "{}: no provider is pinned with `==`, so --providers has nothing to bump (`skyhop pin-providers` pins the ones the image ships)",
            file.display()
        )));
    }

    // 1. The newest version of each pin that resolves with the current Airflow and the rest:
    //    the versions the index has, newest first, each pinned exactly and resolved (the
    //    resolver's own choice under the image's preferences depends on the order it decides
    //    packages in, so a second run could find another one). All pins at their newest
    //    together first; when that does not resolve, each provider alone, the others kept.
    let scratch = tempfile::Builder::new()
        .prefix("skyhop-providers-")
        .tempdir()
        .map_err(|e| Failure::usage(format!("cannot make a scratch directory: {e}")))?;
    let work = scratch.path().join("project");
    fix::copy_project(&project.root, &work)
        .map_err(|e| Failure::usage(format!("cannot copy the project: {e}")))?;
    let resolves = |which: &[(&(String, usize, String), String)]| -> bool {
        let mut pinned = text.clone();
        for ((name, line, _), version) in which {
            match fix::replace_requirement(&pinned, *line as u32, &format!("{name}=={version}")) {
                Some(t) => pinned = t,
                None => return false,
            }
        }
        write(&work, &pinned).is_ok()
            && load(&work).is_ok_and(|p| {
                envs::lock(ctx, &current, Some(&p), Backend::Uv, None)
                    .is_ok_and(|lock| lock.provenance.layering.left_out.is_empty())
            })
    };
    // newer versions of each pin, newest first
    let newer: Vec<Vec<String>> = pins
        .iter()
        .map(|(name, _, version)| {
            skyhop_env::available_versions(name, &ctx.cache)
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.to_string())
                .filter(|v| fix::is_newer(v, version))
                .collect()
        })
        .collect();
    let newest_all: Vec<(&(String, usize, String), String)> = pins
        .iter()
        .zip(&newer)
        .filter_map(|(p, n)| Some((p, n.first()?.clone())))
        .collect();
    let newest: Vec<Option<String>> = if !newest_all.is_empty() && resolves(&newest_all) {
        pins.iter()
            .zip(&newer)
            .map(|(_, n)| n.first().cloned())
            .collect()
    } else {
        pins.iter()
            .zip(&newer)
            .map(|(p, candidates)| {
                newest_resolving(candidates, |v| resolves(&[(p, v.to_string())]))
            })
            .collect()
    };
    let mut bumps = Vec::new();
    let mut kept = Vec::new();
    let mut pinned = text.clone();
    for ((name, line, version), new) in pins.iter().zip(newest) {
        let bumped = new.filter(|n| fix::is_newer(n, version)).and_then(|new| {
            let t = fix::replace_requirement(&pinned, *line as u32, &format!("{name}=={new}"))?;
            Some((t, new))
        });
        match bumped {
            Some((t, new)) => {
                pinned = t;
                bumps.push(Bump {
                    name: name.clone(),
                    line: *line,
                    from: version.clone(),
                    to: new,
                });
            }
            None => kept.push((
                name.clone(),
                format!(
                    "no newer version resolves with Airflow {} and the other requirements",
                    current.airflow
                ),
            )),
        }
    }
    if bumps.is_empty() {
        return Ok(Outcome {
            current,
            bumps,
            kept,
            changed: Vec::new(),
            before: None,
            after: None,
            notes: Vec::new(),
        });
    }

    // 2. Verified: the project with the old pins and with the new ones, both under the
    //    current version.
    let mut notes = Vec::new();
    let before = fix::evaluate(ctx, project, &current, &current, &mut notes)?;
    write(&work, &pinned)?;
    let after = fix::evaluate(ctx, &load(&work)?, &current, &current, &mut notes)?;
    Ok(Outcome {
        current,
        bumps,
        kept,
        changed: vec![ChangedFile {
            path: "requirements.txt".into(),
            old: Some(text.into_bytes()),
            new: pinned.into_bytes(),
        }],
        before: Some(before),
        after: Some(after),
        notes,
    })
}

/// The newest of `candidates` (newest first) for which `resolves` holds: the newest itself, or
/// the boundary found by bisection (newer releases need newer Airflow versions, so the ones
/// that resolve are the older end of the list).
fn newest_resolving(candidates: &[String], resolves: impl Fn(&str) -> bool) -> Option<String> {
    let first = candidates.first()?;
    if resolves(first) {
        return Some(first.clone());
    }
    let last = candidates.len() - 1;
    if last == 0 || !resolves(&candidates[last]) {
        return None;
    }
    // candidates[lo] fails, candidates[hi] resolves
    let (mut lo, mut hi) = (0, last);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if resolves(&candidates[mid]) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(candidates[hi].clone())
}

fn write(work: &Path, text: &str) -> Result<(), Failure> {
    skyhop_project::write_atomic(&work.join("requirements.txt"), text.as_bytes())
        .map_err(|e| Failure::usage(format!("requirements.txt (scratch copy): {e}")))
}

fn load(work: &Path) -> Result<skyhop_project::Project, Failure> {
    skyhop_project::Project::load(work).map_err(|e| Failure::usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_newest_that_resolves() {
        let c: Vec<String> = ["9.3", "9.2", "9.1", "9.0", "8.9", "8.8", "8.7"]
            .map(String::from)
            .to_vec();
        // versions up to 8.9 resolve
        let ok = |v: &str| v.starts_with('8');
        assert_eq!(newest_resolving(&c, ok).as_deref(), Some("8.9"));
        assert_eq!(newest_resolving(&c, |_| true).as_deref(), Some("9.3"));
        assert_eq!(newest_resolving(&c, |_| false), None);
        assert_eq!(newest_resolving(&[], |_| true), None);
    }
}
