//! `check-results.sarif`: findings as SARIF 2.1.0, for GitHub code scanning and IDEs.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use skyhop_core::{Finding, Severity, Source};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where a finding points in SARIF: its path, line (1 when unknown: SARIF lines start at 1) and
/// column (0 = leave out). Project-wide findings (no path) point at line 1 of the file they are
/// about: `requirements.txt` for dependency findings, the `Dockerfile` (which names the
/// version) for the others.
fn location(f: &Finding) -> (&str, u32, u32) {
    let path = match (f.path.as_str(), f.source) {
        ("", Source::Deps) => "requirements.txt",
        ("", _) => "Dockerfile",
        (path, _) => path,
    };
    let line = f.line.max(1);
    let column = if f.line > 0 { f.column } else { 0 };
    (path, line, column)
}

/// Renders findings as one SARIF 2.1.0 run of the tool `skyhop` at `tool_version`.
///
/// Each distinct rule code becomes a `reportingDescriptor` (its first message as the short
/// description); each finding a `result` with `ruleId`/`ruleIndex`, `level`, the message (plus
/// the fix when known) and one physical location, as GitHub code scanning rejects results
/// without one (see [`location`]); the finding's related places (e.g. the helper module line
/// that makes a DAG file fail) become `relatedLocations`.
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
            let text = match &f.replacement {
                Some(r) => crate::with_fix(&f.message, r),
                None => f.message.clone(),
            };
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index[f.rule.as_str()],
                "level": level(f.severity),
                "message": { "text": text },
            });
            let (uri, line, column) = location(f);
            let mut region = json!({ "startLine": line });
            if column > 0 {
                region["startColumn"] = json!(column);
            }
            result["locations"] = json!([{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                    "region": region,
                }
            }]);
            if !f.related.is_empty() {
                let related: Vec<Value> = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(id, r)| {
                        let mut region = json!({ "startLine": r.line.max(1) });
                        if r.line > 0 && r.column > 0 {
                            region["startColumn"] = json!(r.column);
                        }
                        json!({
                            "id": id,
                            "physicalLocation": {
                                "artifactLocation": { "uri": r.path, "uriBaseId": "%SRCROOT%" },
                                "region": region,
                            },
                            "message": { "text": r.message },
                        })
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
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
