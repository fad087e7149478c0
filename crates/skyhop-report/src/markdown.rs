//! `report.md`: the report as GitHub-flavoured Markdown.

use std::fmt::Write;

use crate::{ReportData, actions, data, verdict};

/// Text for a Markdown table cell: see [`markdown_text`].
fn esc(text: &str) -> String {
    markdown_text(text, true)
}

/// Text for a Markdown line outside a table: see [`markdown_text`].
fn line(text: &str) -> String {
    markdown_text(text, false)
}

/// Escapes plain text for Markdown: its `backtick spans` become code spans (as the HTML
/// report shows them), and outside them Markdown's own punctuation is backslash-escaped, so
/// pipes, emphasis, links, a leading `>` or `<` and newlines cannot change the layout or inject
/// HTML (backslash escapes, not HTML entities: the text reads the same raw). In a table cell a
/// pipe inside a code span is escaped too (GitHub reads `\|` there as `|`). Unpaired backticks
/// stay literal.
fn markdown_text(text: &str, in_table: bool) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let pairs = (parts.len() - 1) / 2;
    let is_code = |i: usize| i % 2 == 1 && i < 2 * pairs && !parts[i].is_empty();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        if is_code(i) {
            let inner = part.replace(['\n', '\r'], " ");
            let inner = if in_table {
                inner.replace('|', "\\|")
            } else {
                inner
            };
            out.push('`');
            out.push_str(&inner);
            out.push('`');
            continue;
        }
        if i > 0 && !is_code(i - 1) {
            out.push_str("\\`");
        }
        for ch in part.chars() {
            match ch {
                '|' | '*' | '_' | '[' | ']' | '\\' | '<' => {
                    out.push('\\');
                    out.push(ch);
                }
                '>' if out.is_empty() => out.push_str("\\>"),
                '\n' | '\r' => out.push(' '),
                _ => out.push(ch),
            }
        }
    }
    out
}

/// Inline code span that survives backticks in the text.
fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ").replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn opt(value: &Option<String>) -> String {
    value.as_deref().map(esc).unwrap_or_else(|| "—".to_string())
}

/// Renders the whole report as Markdown.
pub fn render_markdown(data: &ReportData) -> String {
    let mut md = String::new();
    let v = verdict(data);
    let icon = match v {
        crate::Verdict::Safe => "✅",
        crate::Verdict::NeedsChanges => "❌",
        crate::Verdict::Blocked => "⛔",
    };
    let kind = if data.is_downgrade {
        "Downgrade test"
    } else {
        "Upgrade test"
    };
    let _ = writeln!(
        md,
        "# {kind}: {} → {}\n",
        line(&data.current.label),
        line(&data.target.label)
    );
    let _ = writeln!(md, "**{icon} Verdict: {}.** {}\n", v.as_str(), v.headline());
    if let Some(reason) = &data.blocked {
        let _ = writeln!(md, "> {}\n", line(reason));
    }
    let (e, w, i) = data::severity_counts(&data.findings);
    let failing = data
        .parse_files
        .iter()
        .filter(|p| p.status == crate::FileStatus::Fails)
        .count();
    let mut counts = [
        crate::actions::plural(e, "error"),
        crate::actions::plural(w, "warning"),
        crate::actions::plural(i, "note"),
    ]
    .join(", ");
    if !data.parse_files.is_empty() {
        counts.push_str(&format!(
            "; {failing} of {} DAG files fail to import",
            data.parse_files.len()
        ));
    }
    let _ = writeln!(md, "{counts}.\n");

    let acts = actions(data);
    md.push_str("## What to do\n\n");
    if acts.is_empty() {
        md.push_str("Nothing: upgrade when ready.\n\n");
    } else {
        md.push_str("| # | Level | Action |\n|---|---|---|\n");
        for (n, a) in acts.iter().enumerate() {
            let mut action = format!("**{}**", esc(&a.title));
            if let Some(d) = &a.detail {
                let _ = write!(action, "<br>{}", esc(d));
            }
            if !a.files.is_empty() {
                let _ = write!(action, "<br>{}", files_list(&a.files));
            }
            let _ = writeln!(md, "| {} | {} | {action} |", n + 1, a.level);
        }
        md.push('\n');
    }

    environments(&mut md, data);
    results(&mut md, data);
    findings(&mut md, data);
    failing_files(&mut md, data);
    dependencies(&mut md, data);

    if !data.considerations.is_empty() {
        md.push_str("## Upgrade considerations\n\n");
        for c in &data.considerations {
            let text: Vec<String> = c.text.trim_end().lines().map(line).collect();
            let _ = writeln!(md, "### {}\n\n{}\n", line(&c.title), text.join("\n"));
        }
    }
    if let Some(db) = &data.db_rehearsal {
        db_rehearsal(&mut md, db);
    }
    if !data.notes.is_empty() {
        md.push_str("## Notes\n\n");
        for n in &data.notes {
            let _ = writeln!(md, "- {}", line(n));
        }
        md.push('\n');
    }
    md
}

fn db_rehearsal(md: &mut String, db: &crate::DbRehearsal) {
    md.push_str("## Metadata database migration (rehearsed on a copy)\n\n");
    let _ = writeln!(
        md,
        "{}: `airflow db migrate` {} in **{:.1} s** on a copy with {} task instances{}.\n",
        line(&db.source),
        if db.ok { "worked" } else { "**failed**" },
        db.seconds,
        db.task_instances,
        db.predicted_seconds
            .map(|p| format!(" (skyhop's measurements predict {p:.1} s at this size)"))
            .unwrap_or_default()
    );
    if let Some(e) = &db.error {
        let _ = writeln!(md, "Error: {}\n", line(e));
    }
    if !db.slowest.is_empty() {
        md.push_str("| revision | Airflow | what | seconds |\n|---|---|---|---|\n");
        for (rev, v, what, s) in &db.slowest {
            let _ = writeln!(
                md,
                "| `{rev}` | {} | {} | {s:.1} |",
                v.as_deref().unwrap_or("?"),
                esc(what)
            );
        }
        md.push('\n');
    }
    for t in &db.tables {
        let _ = writeln!(md, "- {}", line(t));
    }
    if !db.tables.is_empty() {
        md.push('\n');
    }
    if let Some(r) = &db.rollback {
        let _ = writeln!(md, "Rollback: {}\n", line(r));
        for l in &db.rollback_loss {
            let _ = writeln!(md, "- {}", line(l));
        }
        if !db.rollback_loss.is_empty() {
            md.push('\n');
        }
    }
    md.push_str("The whole rehearsal is in `db_rehearsal.json` and `db_rehearsal.md`.\n\n");
}

/// The files of an action, under it in its cell (a column of their own is squeezed to a few
/// characters beside a long action): the first few, then how many more.
fn files_list(files: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut cell: Vec<String> = files.iter().take(SHOWN).map(|f| code(f)).collect();
    if files.len() > SHOWN {
        cell.push(format!("and {} more", files.len() - SHOWN));
    }
    format!("Files: {}", cell.join(", "))
}

fn environments(md: &mut String, data: &ReportData) {
    let (c, t) = (&data.current, &data.target);
    md.push_str("## Environments\n\n| | Current | Target |\n|---|---|---|\n");
    let python = |e: &crate::EnvMeta| match &e.python_note {
        Some(note) => format!("{} ({})", esc(&e.python), esc(note)),
        None => esc(&e.python),
    };
    let rows = [
        ("Version", esc(&c.label), esc(&t.label)),
        ("Astro Runtime", opt(&c.runtime), opt(&t.runtime)),
        ("Airflow", esc(&c.airflow), esc(&t.airflow)),
        ("Python", python(c), python(t)),
        ("Environment from", esc(&c.backend), esc(&t.backend)),
        ("Image", opt(&c.image), opt(&t.image)),
    ];
    for (name, a, b) in rows {
        let _ = writeln!(md, "| {name} | {a} | {b} |");
    }
    let _ = writeln!(
        md,
        "\nProject {} · skyhop {} · generated {}\n",
        code(&data.project),
        line(&data.skyhop_version),
        line(&data.generated_at)
    );
}

fn results(md: &mut String, data: &ReportData) {
    if data.tests.is_empty() {
        return;
    }
    md.push_str("## Results\n\n| Test | Status | Summary | Duration |\n|---|---|---|---|\n");
    for t in &data.tests {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            esc(&t.name),
            t.status.as_str(),
            esc(&t.summary),
            duration(t.duration_ms)
        );
    }
    md.push('\n');
}

/// `850 ms`, `12.3 s`.
pub(crate) fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn findings(md: &mut String, data: &ReportData) {
    if data.findings.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Findings ({})\n", data.findings.len());
    md.push_str("| Level | Location | Rule | Test | Message | Fix |\n|---|---|---|---|---|---|\n");
    for f in data::sorted_findings(data) {
        let location = if f.path.is_empty() {
            "project".to_string()
        } else {
            code(&f.location())
        };
        let fix = f.replacement.as_deref().map(code).unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {location} | {} | {} | {} | {fix} |",
            f.severity,
            esc(&f.rule),
            f.source,
            esc(&f.message)
        );
    }
    md.push('\n');
}

fn failing_files(md: &mut String, data: &ReportData) {
    if data.parse_files.is_empty() {
        return;
    }
    let failing: Vec<_> = data.parse_files.iter().filter(|p| !p.ok).collect();
    let new_failures = failing
        .iter()
        .filter(|p| p.status == crate::FileStatus::Fails)
        .count();
    if failing.is_empty() {
        let _ = writeln!(
            md,
            "## DAG files\n\nAll {} DAG files import under {}.\n",
            data.parse_files.len(),
            line(&data.target.label)
        );
        all_files(md, data);
        return;
    }
    let _ = writeln!(
        md,
        "## DAG files that do not import ({}, {new_failures} because of the upgrade)\n",
        failing.len()
    );
    md.push_str("| File | Result | Error | Fix |\n|---|---|---|---|\n");
    for p in failing {
        let location = match p.line {
            Some(l) => format!("{}:{l}", p.path),
            None => p.path.clone(),
        };
        let error = match (&p.error_type, &p.error) {
            (Some(t), Some(e)) => format!("{t}: {e}"),
            (Some(t), None) => t.clone(),
            (None, Some(e)) => e.clone(),
            (None, None) => "import failed".to_string(),
        };
        let error = match &p.note {
            Some(n) => format!("{error} ({n})"),
            None => error,
        };
        let fixes: Vec<String> = crate::fixes_for(data, &p.path)
            .into_iter()
            .map(|f| code(&f))
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            code(&location),
            p.status.label(),
            esc(&error),
            fixes.join("<br>")
        );
    }
    md.push('\n');
    all_files(md, data);
}

fn all_files(md: &mut String, data: &ReportData) {
    let mut files: Vec<_> = data.parse_files.iter().collect();
    files.sort_by(|a, b| (a.ok, &a.path).cmp(&(b.ok, &b.path)));
    md.push_str("<details><summary>Every DAG file</summary>\n\n");
    md.push_str("| File | Result | DAG ids | Time |\n|---|---|---|---|\n");
    for p in files {
        let ids: Vec<String> = p.dag_ids.iter().map(|d| code(d)).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            code(&p.path),
            p.status.label(),
            if ids.is_empty() {
                "—".to_string()
            } else {
                ids.join(" ")
            },
            duration(p.duration_ms)
        );
    }
    md.push_str("\n</details>\n\n");
}

fn dependencies(md: &mut String, data: &ReportData) {
    let Some(cmp) = &data.comparison else {
        return;
    };
    let _ = writeln!(md, "## Dependency changes ({})\n", cmp.changes.len());
    if cmp.is_empty() {
        md.push_str("No package changes.\n\n");
        return;
    }
    let bumps = cmp.major_provider_bumps();
    if !bumps.is_empty() {
        md.push_str("### Major provider bumps (read these changelogs first)\n\n");
        for c in bumps {
            let link = crate::web_url(&c.changelog_url)
                .map(|u| format!(" ([changelog]({u}))"))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "- {} {} → {}{link}",
                code(&c.name),
                line(c.old.as_deref().unwrap_or("?")),
                line(c.new.as_deref().unwrap_or("?")),
            );
        }
        md.push('\n');
    }
    for (section, changes) in cmp.sections() {
        let _ = writeln!(md, "### {}\n", section.title().trim_end_matches(':'));
        for c in changes {
            let _ = writeln!(md, "- {}", code(&c.line()));
        }
        md.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::{esc, line};

    #[test]
    fn text_is_escaped_for_markdown_not_html() {
        // backtick spans stay code spans, `>` stays itself, `<` cannot open a tag
        assert_eq!(
            esc("`schedule_interval` was removed <script> (use >=2.0)"),
            "`schedule_interval` was removed \\<script> (use >=2.0)"
        );
        assert_eq!(
            line("needs `apache-airflow-providers-google>=10.9.0`, see *_hook"),
            "needs `apache-airflow-providers-google>=10.9.0`, see \\*\\_hook"
        );
        // a pipe breaks a table cell, also inside a code span; in a code span elsewhere it is
        // left alone
        assert_eq!(esc("a | b `c|d`"), "a \\| b `c\\|d`");
        assert_eq!(line("`c|d`"), "`c|d`");
        // unpaired or empty backticks stay literal; a leading `>` is no quote
        assert_eq!(esc("odd ` tick"), "odd \\` tick");
        assert_eq!(esc("`a` and ` left"), "`a` and \\` left");
        assert_eq!(esc("``"), "\\`\\`");
        assert_eq!(line("> not a quote"), "\\> not a quote");
        assert_eq!(esc("two\nlines"), "two lines");
    }
}
