//! `report.html`: one self-contained page (inline CSS and JS, no network) rendered from the
//! minijinja templates under `templates/`, with every value HTML-escaped.

use minijinja::{Environment, Value, context};
use serde::Serialize;
use skyhop_deps::{Change, is_provider};

use crate::{ReportData, ReportError, actions, data, markdown::duration, verdict};

const TEMPLATES: [(&str, &str); 3] = [
    ("report.html", include_str!("../templates/report.html")),
    ("report.css", include_str!("../templates/report.css")),
    ("report.js", include_str!("../templates/report.js")),
];

#[derive(Serialize)]
struct FindingView<'a> {
    severity: String,
    source: String,
    path: &'a str,
    location: String,
    rule: &'a str,
    message: &'a str,
    replacement: Option<&'a str>,
}

#[derive(Serialize)]
struct ParsedView<'a> {
    path: &'a str,
    ok: bool,
    status: &'static str,
    dag_ids: &'a [String],
    duration: String,
}

#[derive(Serialize)]
struct FailingView {
    /// `fails`, `fails already today`, `not tested`.
    status: &'static str,
    /// Under the current version, or why not tested.
    note: Option<String>,
    location: String,
    error_type: Option<String>,
    error: Option<String>,
    fixes: Vec<String>,
}

#[derive(Serialize)]
struct TestView<'a> {
    name: &'a str,
    status: &'static str,
    summary: &'a str,
    duration: String,
}

#[derive(Serialize)]
struct ChangeView<'a> {
    name: &'a str,
    from: String,
    to: String,
    changelog_url: Option<&'a str>,
    is_provider: bool,
}

#[derive(Serialize)]
struct SectionView<'a> {
    title: &'static str,
    open: bool,
    changes: Vec<ChangeView<'a>>,
}

fn change_view(c: &Change) -> ChangeView<'_> {
    let side = |v: &Option<String>, u: &Option<String>| {
        v.clone()
            .or_else(|| u.clone())
            .unwrap_or_else(|| "—".to_string())
    };
    ChangeView {
        name: &c.name,
        from: side(&c.old, &c.old_url),
        to: side(&c.new, &c.new_url),
        changelog_url: crate::web_url(&c.changelog_url),
        is_provider: is_provider(&c.name) || c.name == "apache-airflow",
    }
}

fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    // `.html` templates are auto-escaped by minijinja's default callback; CSS and JS hold no
    // data.
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    env.add_filter("ticks", ticks);
    env.add_filter("path", path);
    env.add_filter("secs", |v: f64| format!("{v:.1}"));
    Ok(env)
}

/// HTML-escapes `text`, then shows its `backtick spans` as `<code>`: messages quote names
/// that way. Unpaired backticks stay as they are.
fn ticks(text: &str) -> Value {
    let escaped = minijinja::HtmlEscape(text).to_string();
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 {
        return Value::from_safe_string(escaped);
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    let pairs = (parts.len() - 1) / 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            let inside_code = (i - 1) / 2 < pairs;
            out.push_str(match (inside_code, i % 2) {
                (true, 1) => "<code>",
                (true, _) => "</code>",
                (false, _) => "`",
            });
        }
        out.push_str(part);
    }
    Value::from_safe_string(out)
}

/// HTML-escapes a file path and lets it wrap only between names: after a `/` or `_`
/// (`<wbr>`; the browser may wrap after a `-` too), never per character.
fn path(text: &str) -> Value {
    let escaped = minijinja::HtmlEscape(text).to_string();
    // minijinja escapes `/` as `&#x2f;`
    Value::from_safe_string(
        escaped
            .replace("&#x2f;", "&#x2f;<wbr>")
            .replace('_', "_<wbr>"),
    )
}

/// Renders the report as one self-contained HTML page.
pub fn render_html(data: &ReportData) -> String {
    try_render_html(data).unwrap_or_else(|e| {
        // The templates are compiled in and tested: this is a bug, not a user error.
        format!(
            "<!DOCTYPE html><meta charset=\"utf-8\"><title>skyhop report</title><pre>report template error: {}</pre>",
            escape(&e.to_string())
        )
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Like [`render_html`], with the template error when rendering fails.
pub fn try_render_html(data: &ReportData) -> Result<String, ReportError> {
    let env = environment()?;
    let v = verdict(data);
    let (errors, warnings, infos) = data::severity_counts(&data.findings);
    let findings: Vec<FindingView> = data::sorted_findings(data)
        .into_iter()
        .map(|f| FindingView {
            severity: f.severity.to_string(),
            source: f.source.to_string(),
            path: &f.path,
            location: f.location(),
            rule: &f.rule,
            message: &f.message,
            replacement: f.replacement.as_deref(),
        })
        .collect();
    let mut sources: Vec<String> = data.findings.iter().map(|f| f.source.to_string()).collect();
    sources.sort();
    sources.dedup();
    let failing: Vec<FailingView> = data
        .parse_files
        .iter()
        .filter(|p| p.status != crate::FileStatus::Imports)
        .map(|p| FailingView {
            status: p.status.label(),
            note: p.note.clone(),
            location: match p.line {
                Some(l) => format!("{}:{l}", p.path),
                None => p.path.clone(),
            },
            error_type: p.error_type.clone(),
            error: p.error.clone(),
            fixes: crate::fixes_for(data, &p.path),
        })
        .collect();
    let passing = data.parse_files.iter().filter(|p| p.ok).count();
    let mut parsed: Vec<ParsedView> = data
        .parse_files
        .iter()
        .map(|p| ParsedView {
            path: &p.path,
            ok: p.ok,
            status: p.status.label(),
            dag_ids: &p.dag_ids,
            duration: duration(p.duration_ms),
        })
        .collect();
    parsed.sort_by(|a, b| (a.ok, a.path).cmp(&(b.ok, b.path)));
    let tests: Vec<TestView> = data
        .tests
        .iter()
        .map(|t| TestView {
            name: &t.name,
            status: t.status.as_str(),
            summary: &t.summary,
            duration: duration(t.duration_ms),
        })
        .collect();
    let (bumps, sections): (Vec<ChangeView>, Vec<SectionView>) = match &data.comparison {
        Some(cmp) => (
            cmp.major_provider_bumps()
                .into_iter()
                .map(change_view)
                .collect(),
            cmp.sections()
                .into_iter()
                .map(|(s, changes)| SectionView {
                    title: s.title().trim_end_matches(':'),
                    open: changes.len() <= 30,
                    changes: changes.into_iter().map(change_view).collect(),
                })
                .collect(),
        ),
        None => (vec![], vec![]),
    };
    let template = env.get_template("report.html")?;
    let html = template.render(context! {
        data => data,
        kind => if data.is_downgrade { "Downgrade test" } else { "Upgrade test" },
        verdict => v,
        verdict_text => v.as_str(),
        headline => v.headline(),
        counts => context! { errors, warnings, infos },
        actions => actions(data),
        findings => findings,
        sources => sources,
        failing => failing,
        passing => passing,
        parsed => parsed,
        tests => tests,
        bumps => bumps,
        sections => sections,
    })?;
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::{path, ticks};

    #[test]
    fn paths_wrap_only_after_a_slash() {
        assert_eq!(
            path("dags/a<b>/etl.py").to_string(),
            "dags&#x2f;<wbr>a&lt;b&gt;&#x2f;<wbr>etl.py"
        );
        assert_eq!(path("my_dag.py").to_string(), "my_<wbr>dag.py");
        assert_eq!(path("etl.py").to_string(), "etl.py");
    }

    #[test]
    fn backtick_spans_become_code_after_escaping() {
        assert_eq!(
            ticks("use `a<b>` not `c`").to_string(),
            "use <code>a&lt;b&gt;</code> not <code>c</code>"
        );
        assert_eq!(ticks("odd ` tick").to_string(), "odd ` tick");
        assert_eq!(
            ticks("`a` and ` left").to_string(),
            "<code>a</code> and ` left"
        );
    }
}
