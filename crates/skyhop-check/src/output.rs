//! Text (compiler style) and JSON output of findings. SARIF and GitHub annotations belong to
//! skyhop-report.

use serde::Serialize;
use skyhop_core::Finding;

/// `path:line:col: RULE severity: message` per finding, then `  = help: use X` when a replacement is
/// known.
pub fn to_text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let location = if f.path.is_empty() {
            "(environment)".to_string()
        } else {
            f.location()
        };
        out.push_str(&format!(
            "{location}: {} {}: {}\n",
            f.rule, f.severity, f.message
        ));
        if let Some(r) = &f.replacement {
            out.push_str(&format!("  = help: use `{r}`\n"));
        }
    }
    out
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    rule: &'a str,
    severity: String,
    message: &'a str,
    replacement: Option<&'a str>,
}

/// A JSON array of `{path, line, column, rule, severity, message, replacement}`.
pub fn to_json(findings: &[Finding]) -> String {
    let items: Vec<JsonFinding<'_>> = findings
        .iter()
        .map(|f| JsonFinding {
            path: &f.path,
            line: f.line,
            column: f.column,
            rule: &f.rule,
            severity: f.severity.to_string(),
            message: &f.message,
            replacement: f.replacement.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}
