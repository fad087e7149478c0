//! The "what to do" table: findings and facts grouped into a few actions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use skyhop_core::{Finding, Severity};

use crate::ReportData;

/// One row of the "what to do" table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// How urgent: `error` breaks the upgrade, `warning` should be done, `info` is worth a look.
    pub level: Severity,
    /// What to do, in one line.
    pub title: String,
    /// Why, or an example, when useful.
    pub detail: Option<String>,
    /// Files concerned (relative to the project), sorted.
    pub files: Vec<String>,
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Groups what the report holds into actions, most urgent first:
/// the blocking reason, DAG files that fail to import, file findings grouped by rule,
/// project-wide findings (their fix is the action), the Python change, major provider bumps,
/// a downgrade warning and the upgrade considerations to read. Info findings are not actions.
pub fn actions(data: &ReportData) -> Vec<Action> {
    let mut out = Vec::new();
    if let Some(reason) = &data.blocked {
        out.push(Action {
            level: Severity::Error,
            title: reason.clone(),
            detail: None,
            files: vec![],
        });
    }
    let failing: Vec<String> = data
        .parse_files
        .iter()
        .filter(|p| p.status == crate::FileStatus::Fails)
        .map(|p| p.path.clone())
        .collect();
    if !failing.is_empty() {
        out.push(Action {
            level: Severity::Error,
            title: format!(
                "Fix {} that fail{} to import under {}",
                plural(failing.len(), "DAG file"),
                if failing.len() == 1 { "s" } else { "" },
                data.target.label
            ),
            detail: Some("See \"DAG files that fail to import\" for each reason and fix.".into()),
            files: failing,
        });
    }
    out.extend(grouped_findings(&data.findings, &data.rule_titles));
    out.extend(python_change(data));
    if let Some(cmp) = &data.comparison {
        let bumps = cmp.major_provider_bumps();
        if !bumps.is_empty() {
            let names: Vec<String> = bumps
                .iter()
                .map(|c| {
                    format!(
                        "{} {} → {}",
                        c.name,
                        c.old.as_deref().unwrap_or("?"),
                        c.new.as_deref().unwrap_or("?")
                    )
                })
                .collect();
            out.push(Action {
                level: Severity::Warning,
                title: format!(
                    "Read the changelogs of {} with a major version bump",
                    plural(bumps.len(), "provider")
                ),
                detail: Some(names.join(", ")),
                files: vec![],
            });
        }
    }
    if data.is_downgrade {
        out.push(Action {
            level: Severity::Warning,
            title: format!(
                "This is a downgrade ({} → {}): the metadata database must be downgraded too",
                data.current.label, data.target.label
            ),
            detail: Some(
                "Features and data that only exist in the newer version are lost.".to_string(),
            ),
            files: vec![],
        });
    }
    if !data.considerations.is_empty() {
        out.push(Action {
            level: Severity::Info,
            title: format!(
                "Read {} for the versions crossed",
                plural(data.considerations.len(), "upgrade consideration")
            ),
            detail: Some(
                data.considerations
                    .iter()
                    .map(|c| c.title.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            files: vec![],
        });
    }
    out.sort_by_key(|a| a.level);
    out
}

/// Error and warning findings: one action per rule for findings in files (at the level of its
/// most severe finding, saying how many of each level when they differ), one per finding for
/// project-wide ones (no path).
fn grouped_findings(
    findings: &[Finding],
    rule_titles: &std::collections::BTreeMap<String, String>,
) -> Vec<Action> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut out = Vec::new();
    for f in findings.iter().filter(|f| f.severity != Severity::Info) {
        if f.path.is_empty() {
            out.push(Action {
                level: f.severity,
                title: f.replacement.clone().unwrap_or_else(|| f.message.clone()),
                detail: f.replacement.as_ref().map(|_| f.message.clone()),
                files: vec![],
            });
        } else {
            by_rule.entry(&f.rule).or_default().push(f);
        }
    }
    let mut rows: Vec<(Severity, &str, Vec<&Finding>)> = by_rule
        .into_iter()
        .map(|(rule, group)| {
            let level = group
                .iter()
                .map(|f| f.severity)
                .min()
                .unwrap_or(Severity::Warning);
            (level, rule, group)
        })
        .collect();
    rows.sort_by_key(|(level, rule, _)| (*level, *rule));
    for (level, rule, group) in rows {
        let files: BTreeSet<&str> = group.iter().map(|f| f.path.as_str()).collect();
        // the example is one of the most severe findings
        let first = group
            .iter()
            .find(|f| f.severity == level)
            .copied()
            .unwrap_or(group[0]);
        let example = match (group.len(), &first.replacement) {
            (1, Some(r)) => crate::with_fix(&first.message, r),
            (1, None) => first.message.clone(),
            (_, _) => format!("e.g. {}: {}", first.location(), first.message),
        };
        let errors = group
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let detail = if errors == 0 || errors == group.len() {
            example
        } else {
            format!(
                "{} and {}. {example}",
                plural(errors, "error"),
                plural(group.len() - errors, "warning")
            )
        };
        out.push(Action {
            level,
            title: format!(
                "Fix {rule}{} at {} in {}",
                rule_titles
                    .get(rule)
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default(),
                plural(group.len(), "place"),
                plural(files.len(), "file")
            ),
            detail: Some(detail),
            files: files.into_iter().map(str::to_string).collect(),
        });
    }
    out
}

fn python_change(data: &ReportData) -> Option<Action> {
    let (from, to) = (&data.current.python, &data.target.python);
    if from.is_empty() || to.is_empty() || from == to {
        return None;
    }
    Some(Action {
        level: Severity::Warning,
        title: format!("Python {from} → {to}"),
        detail: Some(format!(
            "Check that every package in requirements.txt supports Python {to}."
        )),
        files: vec![],
    })
}
