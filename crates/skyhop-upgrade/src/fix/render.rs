//! The text of a fix run: each hop's before/after table, its changes and what is left for a
//! person ([`render_hop`]), and the pull-request summary ([`summary_markdown`]).

use super::*;

/// What is left for a person after fixing: every finding that still breaks or warns, with its
/// rule (its doc: `skyhop rule CODE`) and location.
pub(super) fn left_for_person(eval: &Eval) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = eval
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    v.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    v
}

/// The before/after table of a hop, its changes and what is left for a person.
pub fn render_hop(hop: &Hop) -> String {
    use std::fmt::Write as _;
    let (current, new, r) = (&hop.current, &hop.new, &hop.result);
    let mut out = String::new();
    let (ok0, n0) = r.before.importing();
    let (ok1, n1) = r.after.importing();
    out.push('\n');
    let _ = writeln!(
        out,
        "{} -> {}: {} change(s) in {} file(s), {} round(s)",
        current.label,
        new.label,
        r.changes.len(),
        r.files.len(),
        r.rounds
    );
    for c in &r.changes {
        let at = if c.line > 0 {
            format!("{}:{}", c.path, c.line)
        } else {
            c.path.clone()
        };
        let _ = writeln!(
            out,
            "  fixed {at}: {} {}{}",
            c.rule,
            c.what,
            if c.safe { "" } else { " (unsafe fix)" }
        );
    }
    for t in &r.taken_back {
        let _ = writeln!(
            out,
            "  taken back {}: {} (with it, {} failed: {})",
            t.path,
            t.changes
                .iter()
                .map(|c| format!("{} {}", c.rule, c.what))
                .collect::<Vec<_>>()
                .join("; "),
            t.broke,
            one_line(&t.error)
        );
    }
    let _ = writeln!(out, "  DAG files importing   {ok0}/{n0} -> {ok1}/{n1}");
    let (b, a) = (r.before.by_rule(), r.after.by_rule());
    let rules: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    if !rules.is_empty() {
        let _ = writeln!(out, "  findings by rule      before -> after");
        for rule in rules {
            let _ = writeln!(
                out,
                "    {:<8}            {:>6} -> {}",
                rule,
                b.get(rule).copied().unwrap_or(0),
                a.get(rule).copied().unwrap_or(0)
            );
        }
    }
    let regressions: Vec<String> = r
        .after
        .failing()
        .difference(&r.before.failing())
        .cloned()
        .collect();
    if !regressions.is_empty() {
        let _ = writeln!(
            out,
            "  files that imported before and fail now: {}",
            regressions.join(", ")
        );
    }
    let left = left_for_person(&r.after);
    if !left.is_empty() {
        let _ = writeln!(out, "Left for a person ({}):", left.len());
        for f in left {
            let at = if f.line > 0 {
                format!("{}:{}", f.path, f.line)
            } else {
                f.path.clone()
            };
            let _ = writeln!(
                out,
                "  {at}: {} {} (skyhop rule {})",
                f.rule,
                one_line(&f.message),
                f.rule
            );
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

pub(super) fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    if first.chars().count() > 160 {
        format!("{}…", first.chars().take(160).collect::<String>())
    } else {
        first.to_string()
    }
}

/// A pull-request description: versions, changes by rule, what is left, verification.
pub fn summary_markdown(results: &[Hop]) -> String {
    let mut md = String::new();
    let (Some(first), Some(last)) = (results.first(), results.last()) else {
        return md;
    };
    md.push_str(&format!(
        "# Upgrade {} → {}\n\nMade by `skyhop upgrade --fix`; every change is tied to the check rule that found it (`skyhop rule CODE`).\n\n",
        first.current.describe(),
        last.new.describe()
    ));
    md.push_str("| | version | Airflow | Python |\n|---|---|---|---|\n");
    md.push_str(&format!(
        "| before | {} | {} | {} |\n",
        first.current.label, first.current.airflow, first.current.python
    ));
    for Hop { new: n, .. } in results {
        md.push_str(&format!(
            "| after | {} | {} | {} |\n",
            n.label, n.airflow, n.python
        ));
    }
    for Hop {
        current: c,
        new: n,
        result: r,
    } in results
    {
        let (ok0, n0) = r.before.importing();
        let (ok1, n1) = r.after.importing();
        md.push_str(&format!("\n## {} → {}\n\n", c.label, n.label));
        md.push_str(&format!(
            "DAG files importing under {}: **{ok0}/{n0} → {ok1}/{n1}**\n\n",
            n.label
        ));
        let mut by_rule: BTreeMap<(&str, bool), Vec<&Change>> = BTreeMap::new();
        for ch in &r.changes {
            by_rule.entry((&ch.rule, ch.safe)).or_default().push(ch);
        }
        if !by_rule.is_empty() {
            md.push_str(
                "### Changes by rule\n\n| rule | fix | changes | files |\n|---|---|---|---|\n",
            );
            for ((rule, safe), chs) in &by_rule {
                let files: BTreeSet<&str> = chs.iter().map(|c| c.path.as_str()).collect();
                md.push_str(&format!(
                    "| {rule} | {} | {} | {} |\n",
                    if *safe { "safe" } else { "unsafe" },
                    chs.len(),
                    files.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let before_failing = r.before.failing();
        let after_failing = r.after.failing();
        let new_failures: Vec<&String> = after_failing.difference(&before_failing).collect();
        md.push_str("\n### Verification\n\n");
        md.push_str(&format!(
            "Parse test under {} after the fixes: {} still failing ({} new failures, {} failing before the fixes too).\n",
            n.describe(),
            after_failing.len(),
            new_failures.len(),
            after_failing.intersection(&before_failing).count()
        ));
        if !r.taken_back.is_empty() {
            md.push_str("\n### Fixes taken back\n\nEach of these was made, tested, and broke a file that imported: left for a person.\n\n| file | fix | broke | error |\n|---|---|---|---|\n");
            for t in &r.taken_back {
                md.push_str(&format!(
                    "| `{}` | {} | `{}` | {} |\n",
                    t.path,
                    t.changes
                        .iter()
                        .map(|c| format!("{} {}", c.rule, c.what))
                        .collect::<Vec<_>>()
                        .join("; ")
                        .replace('|', "\\|"),
                    t.broke,
                    one_line(&t.error).replace('|', "\\|")
                ));
            }
        }
        let left = left_for_person(&r.after);
        if !left.is_empty() {
            md.push_str("\n### Left for a person\n\n| where | rule | what |\n|---|---|---|\n");
            for f in left {
                md.push_str(&format!(
                    "| `{}:{}` | {} | {} |\n",
                    f.path,
                    f.line,
                    f.rule,
                    one_line(&f.message).replace('|', "\\|")
                ));
            }
        }
    }
    md
}
