//! Findings rebuilt from the parse test for the fix loop: import failures the static check
//! did not explain, deprecation warnings Airflow printed, names moved elsewhere.

use super::*;

/// Imports that fail in the parse test and that the check did not report (a module its index
/// could not load), as the check's findings on the import: SKY102 on a name the module lacks
/// (`cannot import name 'X' from 'M'`), SKY101 on a module that is not there. The fix engine
/// moves them where the curated tables say.
pub(super) fn import_failures(project: &Project, eval: &Eval) -> Vec<Finding> {
    let Some(report) = &eval.report else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in report.files.iter().filter(|f| !f.ok) {
        let (Some(error), Some(line)) = (f.error.as_deref(), f.line) else {
            continue;
        };
        let reported = eval.findings.iter().any(|x| {
            x.path == f.path
                && x.line == line
                && matches!(x.rule.as_str(), "SKY101" | "SKY102" | "SKY103" | "SKY201")
        });
        if reported {
            continue;
        }
        let Some(src) = source_line(&project.root, &f.path, line) else {
            continue;
        };
        let src = src.as_str();
        let trimmed = src.trim_start();
        if !trimmed.starts_with("from ") {
            continue;
        }
        let indent = src.len() - trimmed.len();
        let col = |byte: usize| src[..byte].chars().count() as u32 + 1;
        let ticked = |after: &str| quoted_after(error, after);
        let (rule, at) = if let Some(name) = ticked("cannot import name ") {
            let Some(imp) = src.find(" import ") else {
                continue;
            };
            let Some(i) = src[imp..].find(name.as_str()) else {
                continue;
            };
            ("SKY102", col(imp + i))
        } else if ticked("No module named ").is_some() {
            ("SKY101", col(indent + 5))
        } else {
            continue;
        };
        out.push(Finding {
            path: f.path.clone(),
            line,
            column: at,
            rule: rule.into(),
            severity: Severity::Error,
            message: one_line(error),
            replacement: None,
            source: Source::Parse,
            related: Vec::new(),
            facts: Default::default(),
        });
    }
    out
}

/// What the finding of `rule` at `path:line` asked for, in a few words.
pub(super) fn describe(findings: &[Finding], path: &str, line: u32, rule: &str) -> String {
    findings
        .iter()
        .find(|f| f.path == path && f.line == line && f.rule == rule)
        .map(|f| match &f.replacement {
            Some(r) => format!("-> `{r}`"),
            None => one_line(&f.message).chars().take(100).collect(),
        })
        .unwrap_or_default()
}

/// Deprecated imports Airflow itself warns about while the DAG file is imported
/// (`Import 'airflow.datasets.Dataset' is deprecated ... Please import it from
/// 'airflow.sdk.Asset'`), as the check's SKY103 finding on the imported name, when the check
/// did not report it.
pub(super) fn deprecation_warnings(project: &Project, eval: &Eval) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in eval.findings.iter().filter(|f| f.rule == "SKY910") {
        let Some((old, new)) = w.facts.moved.clone() else {
            continue;
        };
        if !new.contains('.') || new.contains("..") {
            continue;
        }
        let Some((module, name)) = old.rsplit_once('.') else {
            continue;
        };
        let reported = eval.findings.iter().any(|x| {
            x.path == w.path && x.line == w.line && matches!(x.rule.as_str(), "SKY103" | "SKY201")
        });
        if reported {
            continue;
        }
        let Some(src) = source_line(&project.root, &w.path, w.line) else {
            continue;
        };
        let src = src.as_str();
        let Some(rest) = src.trim_start().strip_prefix("from ") else {
            continue;
        };
        let Some((m, names)) = rest.split_once(" import ") else {
            continue;
        };
        if m.trim() != module {
            continue;
        }
        let Some(imp) = src.find(" import ") else {
            continue;
        };
        let Some(i) = names.match_indices(name).map(|(i, _)| i).find(|&i| {
            let before = names[..i].chars().next_back();
            let after = names[i + name.len()..].chars().next();
            before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        }) else {
            continue;
        };
        let byte = imp + " import ".len() + i;
        out.push(Finding {
            path: w.path.clone(),
            line: w.line,
            column: src[..byte].chars().count() as u32 + 1,
            rule: "SKY103".into(),
            severity: Severity::Warning,
            message: one_line(&w.message),
            replacement: Some(new),
            source: Source::Parse,
            related: Vec::new(),
            facts: Default::default(),
        });
    }
    out
}

/// Names imported from a module the target lacks (SKY101 without a replacement, the tables
/// knowing no new home), moved where the target defines the same name: its standard provider
/// or task SDK, or the only module that defines it.
pub(super) fn moved_elsewhere(project: &Project, eval: &Eval) -> Vec<Finding> {
    let Some(index) = &eval.index else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in eval
        .findings
        .iter()
        .filter(|f| f.rule == "SKY101" && f.replacement.is_none())
    {
        let Some(src) = source_line(&project.root, &f.path, f.line) else {
            continue;
        };
        let src = src.as_str();
        let Some(rest) = src.trim_start().strip_prefix("from ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once(" import ") else {
            continue;
        };
        let module = module.trim();
        if names.contains('(') || names.trim_end().ends_with('\\') {
            continue;
        }
        let Some(imp) = src.find(" import ") else {
            continue;
        };
        let mut offset = imp + " import ".len();
        for part in names.split(',') {
            let lead = part.len() - part.trim_start().len();
            let name = part.split_whitespace().next().unwrap_or("");
            let start = offset + lead;
            offset += part.len() + 1;
            if name.is_empty() || name.starts_with('#') {
                continue;
            }
            let qual = format!("{module}.{name}");
            if skyhop_check::rules::rules()
                .name_rule(&qual)
                .is_some_and(|r| r.new.is_some())
            {
                continue; // the fix engine knows it from the tables
            }
            let found = index.find_elsewhere(name, module);
            let Some(best) = found.first() else {
                continue;
            };
            let official =
                best.starts_with("airflow.providers.standard.") || best.starts_with("airflow.sdk.");
            if !(official || found.len() == 1) {
                continue;
            }
            out.push(Finding {
                path: f.path.clone(),
                line: f.line,
                column: src[..start].chars().count() as u32 + 1,
                rule: "SKY101".into(),
                severity: Severity::Error,
                message: format!("{}; the target has `{best}`", f.message),
                replacement: Some(best.clone()),
                source: Source::Check,
                related: Vec::new(),
                facts: Default::default(),
            });
        }
    }
    out
}
