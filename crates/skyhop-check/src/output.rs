//! Text (compiler style) and JSON output of findings. SARIF and GitHub annotations belong to
//! skyhop-report.

use serde::Serialize;
use skyhop_core::Finding;

/// `path:line:col: RULE severity: message` per finding, then `  = help: use X` when a replacement is
/// known.
pub fn to_text(findings: &[Finding]) -> String {
    use std::fmt::Write;
    // One buffer, sized up front: thousands of findings on large projects.
    let size: usize = findings
        .iter()
        .map(|f| f.path.len() + f.message.len() + 48)
        .sum();
    let mut out = String::with_capacity(size);
    for f in findings {
        // As `Finding::location`, written in place.
        match (f.path.is_empty(), f.line, f.column) {
            (true, ..) => out.push_str("(environment)"),
            (false, 0, _) => out.push_str(&f.path),
            (false, l, 0) => {
                let _ = write!(out, "{}:{l}", f.path);
            }
            (false, l, c) => {
                let _ = write!(out, "{}:{l}:{c}", f.path);
            }
        }
        let _ = writeln!(out, ": {} {}: {}", f.rule, f.severity, f.message);
        if let Some(r) = &f.replacement {
            let _ = writeln!(out, "  = help: use `{r}`");
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
