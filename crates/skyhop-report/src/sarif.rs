//! `check-results.sarif`: findings as SARIF 2.1.0, for GitHub code scanning and IDEs.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use skyhop_core::{Finding, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Renders findings as one SARIF 2.1.0 run of the tool `skyhop` at `tool_version`.
///
/// Each distinct rule code becomes a `reportingDescriptor` (its first message as the short
/// description); each finding a `result` with `ruleId`/`ruleIndex`, `level`, the message (plus
/// the fix when known) and, when it has a path, a physical location (line and column only when
/// known, as SARIF requires them to be ≥ 1). Project-wide findings get no location.
pub fn render_sarif(findings: &[Finding], tool_version: &str) -> String {
    let mut rules: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in findings {
        rules.entry(f.rule.as_str()).or_insert(f);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, r)| (*r, i)).collect();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|(id, f)| {
            json!({
                "id": id,
                "shortDescription": { "text": f.message },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": { "source": f.source.to_string() },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(r) = &f.replacement {
                text.push_str(&format!(" Use instead: {r}"));
            }
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index[f.rule.as_str()],
                "level": level(f.severity),
                "message": { "text": text },
            });
            if !f.path.is_empty() {
                let mut physical = json!({
                    "artifactLocation": { "uri": f.path, "uriBaseId": "%SRCROOT%" },
                });
                if f.line > 0 {
                    let mut region = json!({ "startLine": f.line });
                    if f.column > 0 {
                        region["startColumn"] = json!(f.column);
                    }
                    physical["region"] = region;
                }
                result["locations"] = json!([{ "physicalLocation": physical }]);
            }
            if let Some(r) = &f.replacement {
                result["properties"] = json!({ "replacement": r });
            }
            result
        })
        .collect();
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "skyhop",
                    "version": tool_version,
                    "informationUri": "https://example.invalid/skyhop",
                    "rules": descriptors,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The project root." } } },
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    out.push('\n');
    out
}
