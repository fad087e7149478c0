//! Targets by scope, as teams schedule upgrades: `--to patch | latest-minor | latest` picks the
//! target from the catalog, and `--max-scope patch | minor | major` caps how far an upgrade may
//! go (it always wins, over `--to` and over a version given by hand).
//!
//! Scopes are Airflow's: a patch keeps Airflow's `major.minor` (for a Runtime project, the
//! newest Runtime build that ships it), a minor keeps the major, a major crosses it. Only
//! usable versions are picked: never yanked or prerelease, never deprecated or past end of
//! maintenance, never a Runtime whose Airflow version is uncertain.

use pep440_rs::Version;
use skyhop_catalog::{Catalog, Target};

use crate::{Failure, Pinned, TargetArgs};

/// How far an upgrade goes, by the Airflow version it crosses to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Same Airflow `major.minor`.
    Patch,
    /// Same Airflow major.
    Minor,
    /// Any newer Airflow.
    Major,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Patch => "patch",
            Scope::Minor => "minor",
            Scope::Major => "major",
        }
    }
}

/// What `--to` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// The newest build on the current Airflow minor.
    Patch,
    /// The newest version within the current Airflow major.
    LatestMinor,
    /// The newest stable version.
    Latest,
}

impl To {
    fn scope(self) -> Scope {
        match self {
            To::Patch => Scope::Patch,
            To::LatestMinor => Scope::Minor,
            To::Latest => Scope::Major,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            To::Patch => "patch",
            To::LatestMinor => "latest-minor",
            To::Latest => "latest",
        }
    }
}

/// The scope of going from Airflow `from` to Airflow `to` (`None` when either does not parse).
pub fn scope_of(from: &str, to: &str) -> Option<Scope> {
    let (a, b) = (release(from)?, release(to)?);
    Some(if a.0 != b.0 {
        Scope::Major
    } else if a.1 != b.1 {
        Scope::Minor
    } else {
        Scope::Patch
    })
}

fn release(v: &str) -> Option<(u64, u64)> {
    let v: Version = v.split('+').next()?.parse().ok()?;
    let r = v.release();
    Some((r.first().copied()?, r.get(1).copied().unwrap_or(0)))
}

/// What `--to` picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// Upgrade to this version.
    To(TargetArgs),
    /// The project is at the newest version in scope.
    Newest,
    /// Only versions past end of maintenance (or deprecated) are newer in scope: the newest
    /// of them, picked with `allow_deprecated`.
    OnlyDeprecated(String),
}

/// The target `--to` picks for the project at `current`, within `max` when given: the newest
/// version in scope that is neither yanked nor a prerelease, and (without `allow_deprecated`)
/// still maintained.
pub fn pick(
    catalog: &Catalog,
    current: &Pinned,
    to: To,
    max: Option<Scope>,
    allow_deprecated: bool,
) -> Pick {
    let scope = max.map_or(to.scope(), |m| m.min(to.scope()));
    let in_scope = |airflow: &str| scope_of(&current.airflow, airflow).is_some_and(|s| s <= scope);
    let today = skyhop_catalog::today();
    // (version, target, maintained) of every newer candidate in scope, newest first
    let candidates: Vec<(String, Target, bool)> = match &current.target {
        Target::Runtime(cur) => catalog
            .runtimes()
            .rev()
            .filter(|r| r.version > *cur && r.airflow_possible.is_empty())
            .filter(|r| in_scope(&r.airflow))
            .filter_map(|r| {
                use skyhop_catalog::Status;
                let maintained = match r.status(today) {
                    Status::Current => true,
                    Status::Deprecated | Status::EndOfMaintenance { .. } => false,
                    Status::Yanked { .. } | Status::Prerelease { .. } => return None,
                };
                Some((
                    r.version.to_string(),
                    Target::Runtime(r.version),
                    maintained,
                ))
            })
            .collect(),
        Target::Airflow(cur) => catalog
            .airflow_versions()
            .rev()
            .filter(|a| a.version > *cur && !a.yanked)
            .filter(|a| a.version.pre().is_none() && a.version.dev().is_none())
            .filter(|a| in_scope(&a.version.to_string()))
            .map(|a| {
                let eol = catalog
                    .airflow_end_of_life(a.major())
                    .is_some_and(|d| d < today);
                (
                    a.version.to_string(),
                    Target::Airflow(a.version.clone()),
                    !eol,
                )
            })
            .collect(),
    };
    match candidates
        .iter()
        .find(|(_, _, maintained)| *maintained || allow_deprecated)
    {
        Some((_, t, _)) => Pick::To(TargetArgs::from(t)),
        None => match candidates.first() {
            Some((v, _, _)) => Pick::OnlyDeprecated(v.clone()),
            None => Pick::Newest,
        },
    }
}

/// Refuses an upgrade from `current` to `new` that goes further than `max`.
pub fn check(current: &Pinned, new: &Pinned, max: Scope) -> Result<(), Failure> {
    let Some(scope) = scope_of(&current.airflow, &new.airflow) else {
        return Err(Failure::usage(format!(
            "--max-scope {}: cannot tell how far {} -> {} goes (Airflow {} -> {})",
            max.as_str(),
            current.label,
            new.label,
            current.airflow,
            new.airflow
        )));
    };
    if scope > max {
        return Err(Failure::usage(format!(
            "--max-scope {}: {} (Airflow {}) -> {} (Airflow {}) is a {} upgrade; pick a target within the scope (`--to {}`), or raise --max-scope",
            max.as_str(),
            current.label,
            current.airflow,
            new.label,
            new.airflow,
            scope.as_str(),
            if max == Scope::Patch {
                "patch"
            } else {
                "latest-minor"
            }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_airflow() {
        assert_eq!(scope_of("2.9.1", "2.9.3"), Some(Scope::Patch));
        assert_eq!(scope_of("2.9.1", "2.10.5+astro.2"), Some(Scope::Minor));
        assert_eq!(scope_of("2.11.0", "3.1.3"), Some(Scope::Major));
        assert_eq!(scope_of("x", "3.1.3"), None);
        assert!(Scope::Patch < Scope::Minor && Scope::Minor < Scope::Major);
    }
}
