//! GitHub Actions workflow commands (`::error file=…::message`), one per finding.

use skyhop_core::{Finding, Severity};

/// Escapes the message part of a workflow command.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders findings as GitHub Actions annotations:
/// `::error file=dags/a.py,line=3,col=1,title=SKY301::message (use instead: …)`; warnings
/// become `::warning`, infos `::notice`. Line and column are left out when unknown, the file
/// when the finding is project-wide. One line per finding.
pub fn render_github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if !f.path.is_empty() {
            props.push(format!("file={}", property(&f.path)));
            if f.line > 0 {
                props.push(format!("line={}", f.line));
                if f.column > 0 {
                    props.push(format!("col={}", f.column));
                }
            }
        }
        props.push(format!("title={}", property(&f.rule)));
        let mut message = f.message.clone();
        if let Some(r) = &f.replacement {
            message.push_str(&format!(" (use instead: {r})"));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyhop_core::Source;

    #[test]
    fn escapes_properties_and_data() {
        let f = Finding {
            path: "dags/a,b:c.py".into(),
            line: 0,
            column: 0,
            rule: "SKY1".into(),
            severity: Severity::Info,
            message: "50% done\nnext".into(),
            replacement: None,
            source: Source::Check,
            related: Vec::new(),
            facts: Default::default(),
        };
        assert_eq!(
            render_github(&[f]),
            "::notice file=dags/a%2Cb%3Ac.py,title=SKY1::50%25 done%0Anext\n"
        );
    }
}
