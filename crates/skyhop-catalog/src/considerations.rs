//! Upgrade considerations: what to know before crossing a Runtime line, as data
//! (`data/considerations.json`).

use serde::{Deserialize, Serialize};

use crate::version::{Line, RuntimeVersion};

/// When a consideration is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum When {
    /// The upgrade starts in, crosses or ends in the consideration's line.
    Crossed,
    /// The upgrade goes from an Airflow 2 to an Airflow 3 runtime.
    Af2ToAf3,
    /// The target is an Airflow 3 runtime.
    TargetAf3,
}

/// Whom a consideration concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Any Airflow distribution (also `apache/airflow` images).
    Airflow,
    /// Astro Runtime images only (default providers, yanked builds, image defaults).
    Runtime,
}

/// One thing to know before an upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consideration {
    /// The Runtime line it belongs to (`5`, `3.1`).
    pub line: Line,
    pub when: When,
    pub scope: Scope,
    /// `db-migration`, `removed-providers`, `python`, `provider-incompatibility`,
    /// `test-connection`, `breaking-changes`, `yanked`, ...
    pub kind: String,
    pub title: String,
    pub text: String,
    pub source: String,
    /// Shown only when the current Runtime is older than this version (the consideration
    /// concerns the patches before it, e.g. yanked builds or a bug fixed in it).
    pub relevant_below: Option<RuntimeVersion>,
}

#[derive(Deserialize)]
struct RawFile {
    considerations: Vec<RawConsideration>,
}

#[derive(Deserialize)]
struct RawConsideration {
    line: String,
    when: When,
    scope: Scope,
    kind: String,
    title: String,
    text: String,
    source: String,
    #[serde(default)]
    relevant_below: Option<RuntimeVersion>,
}

/// Parses `considerations.json`.
pub(crate) fn parse(json: &str) -> Result<Vec<Consideration>, String> {
    let raw: RawFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
    raw.considerations
        .into_iter()
        .map(|c| {
            Ok(Consideration {
                line: c.line.parse()?,
                when: c.when,
                scope: c.scope,
                kind: c.kind,
                title: c.title,
                text: c.text,
                source: c.source,
                relevant_below: c.relevant_below,
            })
        })
        .collect()
}
