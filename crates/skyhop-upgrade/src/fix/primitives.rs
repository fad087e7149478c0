//! Text primitives of the fixes: trigger-rule and configuration renames in source lines,
//! requirement lines (replace, append, insert), provider versions the target resolves, and
//! copying the project into the scratch directory.
//!
//! The line and span fixes are span edits ([`Edit`]) made through the one edit engine
//! ([`skyhop_core::edit::apply`]), as the check's Python fixes are.

use super::*;
use skyhop_core::edit::Edit;

/// `edits` made to `text` by the edit engine.
pub(super) fn applied(text: &str, edits: &[Edit]) -> String {
    skyhop_core::edit::apply(text, edits).0
}

/// Trigger rules Airflow removed, and what it says to use instead: the check's table of
/// removed argument values (`rules/values.json`, SKY311).
fn trigger_rules() -> impl Iterator<Item = (&'static str, &'static str)> {
    skyhop_check::rules::rules()
        .values
        .iter()
        .filter(|v| v.argument == "trigger_rule")
        .filter_map(|v| Some((v.value.as_str(), v.new.as_deref()?)))
}

/// A removed trigger rule (`trigger_rule="none_failed_or_skipped"`) in the lines from `line`
/// on (a call starts there), renamed to the one Airflow names: `(new text, old value)`.
#[cfg(test)]
pub(super) fn trigger_rule_fix(text: &str, line: u32) -> Option<(String, &'static str)> {
    trigger_rule_edit(text, line).map(|(e, old)| (applied(text, &[e]), old))
}

/// `trigger_rule_fix` as the span edit of the literal: `(edit, old value)`.
pub(super) fn trigger_rule_edit(text: &str, line: u32) -> Option<(Edit, &'static str)> {
    let mut start = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let n = i as u32 + 1;
        if (line == 0 || (n >= line && n < line + 30)) && l.contains("trigger_rule") {
            for (old, new) in trigger_rules() {
                for q in ['"', '\''] {
                    let lit = format!("{q}{old}{q}");
                    if let Some(k) = l.find(&lit) {
                        let at = start + k;
                        let edit = Edit::replacement(at..at + lit.len(), format!("{q}{new}{q}"));
                        return Some((edit, old));
                    }
                }
            }
        }
        start += l.len();
    }
    None
}

/// Versions of `wanted` packages the target resolves: the installed one, else the one uv
/// picks with the package added to the project's requirements (`with_packages`).
pub(super) fn provider_versions(
    new: &Pinned,
    eval: &Eval,
    wanted: &[(String, (String, String))],
    notes: &mut Vec<String>,
    with_packages: &dyn Fn(&[String]) -> Result<skyhop_core::Lock, String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut missing = Vec::new();
    for (p, _) in wanted {
        match eval.lock.as_ref().and_then(|l| l.version_of(p)) {
            Some(v) => {
                out.insert(p.clone(), v.to_string());
            }
            None => missing.push(p.clone()),
        }
    }
    if missing.is_empty() {
        return out;
    }
    match with_packages(&missing) {
        Ok(lock) => {
            for p in &missing {
                match lock.version_of(p) {
                    Some(v) => {
                        out.insert(p.clone(), v.to_string());
                    }
                    None => notes.push(format!(
                        "{p} is needed but does not resolve on {}: add it yourself",
                        new.describe()
                    )),
                }
            }
        }
        Err(e) => notes.push(format!(
            "{} needed but they do not resolve on {}: {e}",
            missing.join(", "),
            new.describe()
        )),
    }
    out
}

/// `airflow.providers.*` modules imported in `new` and not in `old`.
pub(super) fn new_provider_modules(old: &str, new: &str) -> Vec<String> {
    let modules = |t: &str| -> BTreeSet<String> {
        t.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let rest = l
                    .strip_prefix("from ")
                    .or_else(|| l.strip_prefix("import "))?;
                let m: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
                    .collect();
                m.starts_with("airflow.providers.").then_some(m)
            })
            .collect()
    };
    let before = modules(old);
    modules(new).difference(&before).cloned().collect()
}

/// Line `line` (1-based) of the project file `rel`, when it can be read.
pub(super) fn source_line(root: &Path, rel: &str, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(root.join(rel)).ok()?;
    text.lines()
        .nth((line as usize).saturating_sub(1))
        .map(str::to_string)
}

/// The quoted name after `after` in an error (`No module named 'x.y'` → `x.y`).
pub(super) fn quoted_after(error: &str, after: &str) -> Option<String> {
    let (_, rest) = error.split_once(after)?;
    let rest = rest.trim_start_matches(['\'', '"']);
    Some(rest.split(['\'', '"']).next()?.to_string())
}

/// The module of a `No module named 'x.y'` error.
pub(super) fn needed_module(error: &str) -> Option<String> {
    quoted_after(error, "No module named ")
}

/// The newest version of the pinned requirement `req` (now `==version`) that resolves with
/// the target `new` and the project's other requirements, when newer than `version`.
pub(super) fn newest_resolving(
    ctx: &Ctx,
    project: &Project,
    new: &Pinned,
    req: &skyhop_project::Requirement,
    version: &str,
) -> Option<String> {
    newest_of(project, req, version, |file| {
        let mut spec = envs::spec(ctx, new, Some(project), None);
        spec.requirements = Some(file.to_path_buf());
        skyhop_env::resolve(&spec, &ctx.cache, &ctx.progress).ok()
    })
}

/// [`newest_resolving`], with `resolve` making the target's lock from the requirements file
/// it is given (the project's, the pin of `req` opened up).
pub(super) fn newest_of(
    project: &Project,
    req: &skyhop_project::Requirement,
    version: &str,
    resolve: impl FnOnce(&Path) -> Option<skyhop_core::Lock>,
) -> Option<String> {
    // the spec reads the top-level requirements.txt; an included file is not opened up
    if req.file != "requirements.txt" {
        return None;
    }
    let path = project.root.join(&req.file);
    let text = std::fs::read_to_string(&path).ok()?;
    // `>` the pin, so the image's own version (which the resolver prefers) does not hold it
    let opened = replace_requirement(&text, req.line as u32, &format!("{}>{version}", req.name))?;
    let scratch = tempfile::tempdir().ok()?;
    let file = scratch.path().join("requirements.txt");
    std::fs::write(&file, opened).ok()?;
    let lock = resolve(&file)?;
    let got = lock.version_of(&req.normalized)?.to_string();
    is_newer(&got, version).then_some(got)
}

/// Whether version `a` is newer than `b` (both PEP 440; `false` when either does not parse).
pub(crate) fn is_newer(a: &str, b: &str) -> bool {
    skyhop_core::compare_versions(a, b).is_some_and(std::cmp::Ordering::is_gt)
}

/// `conf.get('kubernetes', 'NAMESPACE')` read as `conf.get('kubernetes_executor', 'namespace')`:
/// the two string literals from `column` (1-based, where the section literal starts) on
/// `line`, quotes kept. `None` when they are not plain literals.
#[cfg(test)]
pub(super) fn rename_config_read(
    text: &str,
    line: u32,
    column: u32,
    ns: &str,
    nk: &str,
) -> Option<String> {
    rename_config_read_edits(text, line, column, ns, nk).map(|es| applied(text, &es))
}

/// `rename_config_read` as the span edits of the two literals.
pub(super) fn rename_config_read_edits(
    text: &str,
    line: u32,
    column: u32,
    ns: &str,
    nk: &str,
) -> Option<Vec<Edit>> {
    let (s, e) = line_span(text, line)?;
    let l = &text[s..e];
    let start = l
        .char_indices()
        .nth((column as usize).saturating_sub(1))
        .map(|(i, _)| i)?;
    let literal = |from: usize| -> Option<(usize, usize)> {
        let rest = &l[from..];
        let off = rest.find(['\'', '"'])?;
        // only blanks and one comma may come before it
        if !rest[..off].chars().all(|c| c.is_whitespace() || c == ',') {
            return None;
        }
        let q = rest[off..].chars().next()?;
        let body = &rest[off + 1..];
        let end = body.find(q)?;
        if body[..end].contains('\\') {
            return None;
        }
        Some((from + off, from + off + 1 + end + 1))
    };
    let (a0, a1) = literal(start)?;
    let (b0, b1) = literal(a1)?;
    let q = |r: (usize, usize)| &l[r.0..r.0 + 1];
    Some(vec![
        Edit::replacement(
            s + a0..s + a1,
            format!("{}{ns}{}", q((a0, a1)), q((a0, a1))),
        ),
        Edit::replacement(
            s + b0..s + b1,
            format!("{}{nk}{}", q((b0, b1)), q((b0, b1))),
        ),
    ])
}

pub(super) fn requirement_name(req: &str) -> &str {
    req.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .next()
        .unwrap_or("")
}

/// The byte range of 1-based line `line` (without its line ending).
pub(super) fn line_span(text: &str, line: u32) -> Option<(usize, usize)> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let body = l.trim_end_matches('\n').trim_end_matches('\r');
            return Some((start, start + body.len()));
        }
        start += l.len();
    }
    None
}

/// The requirement on line `line` replaced by `new` (its marker and comment kept).
pub(crate) fn replace_requirement(text: &str, line: u32, new: &str) -> Option<String> {
    replace_requirement_edit(text, line, new).map(|e| applied(text, &[e]))
}

/// [`replace_requirement`] as the span edit of the requirement's body.
pub(super) fn replace_requirement_edit(text: &str, line: u32, new: &str) -> Option<Edit> {
    let (s, e) = line_span(text, line)?;
    let l = &text[s..e];
    let lead = l.len() - l.trim_start().len();
    let body_end = l.find([';', '#']).unwrap_or(l.len());
    let body = l[lead..body_end].trim_end();
    if body.is_empty() || requirement_name(body).is_empty() {
        return None;
    }
    if !skyhop_core::normalize_name(requirement_name(body))
        .eq(&skyhop_core::normalize_name(requirement_name(new)))
    {
        return None;
    }
    let start = s + lead;
    Some(Edit::replacement(start..start + body.len(), new))
}

/// `line` appended, after a line ending when the text lacks its last one.
pub(crate) fn append_line(text: &str, line: &str) -> String {
    applied(text, &[append_line_edit(text, line)])
}

/// [`append_line`] as the insertion at the end of the text.
pub(super) fn append_line_edit(text: &str, line: &str) -> Edit {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut content = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        content.push_str(eol);
    }
    content.push_str(line);
    content.push_str(eol);
    Edit::insertion(text.len(), content)
}

/// `new` inserted as a line after 1-based line `line`.
#[cfg(test)]
pub(crate) fn insert_after_line(text: &str, line: u32, new: &str) -> Option<String> {
    insert_after_line_edit(text, line, new).map(|e| applied(text, &[e]))
}

/// `insert_after_line` as the insertion of the line.
pub(super) fn insert_after_line_edit(text: &str, line: u32, new: &str) -> Option<Edit> {
    let (_, e) = line_span(text, line)?;
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let rest = &text[e..];
    let after = if rest.starts_with("\r\n") {
        e + 2
    } else if rest.starts_with('\n') {
        e + 1
    } else {
        // last line without a line ending
        return Some(Edit::insertion(text.len(), format!("{eol}{new}{eol}")));
    };
    Some(Edit::insertion(after, format!("{new}{eol}")))
}

/// Copies the project for fixing, without what is not the project's code (version control,
/// skyhop's own state, reports, caches).
/// The fixes of the SKY401 findings of `eval` on the project's settings: each setting renamed
/// in place, or moved to its new section (`airflow.cfg`, Helm `config:`), safely; removed
/// only with `unsafe_fixes`. The fixes are the check's own for those findings.
pub(super) fn config_edits(
    project: &Project,
    eval: &Eval,
    new: &Pinned,
    unsafe_fixes: bool,
) -> Vec<(Change, skyhop_check::ConfigFix)> {
    let opts = lint::check_options(project, &new.airflow, None);
    let reported = |f: &Finding| {
        eval.findings.iter().any(|e| {
            e.rule == f.rule && e.path == f.path && e.line == f.line && e.column == f.column
        })
    };
    skyhop_check::config_fixes(&opts, eval.index.as_ref())
        .into_iter()
        .filter(|(f, fix)| (fix.safe || unsafe_fixes) && reported(f))
        .map(|(f, fix)| {
            let s = &fix.setting;
            let what = match &fix.edit {
                skyhop_project::ConfigEdit::Rename { section, key } => {
                    format!("`{}` -> `{}`", s.name, s.source.spelling(section, key))
                }
                skyhop_project::ConfigEdit::Remove => format!("`{}` removed", s.name),
            };
            let change = Change {
                path: f.path.clone(),
                line: f.line,
                rule: f.rule.clone(),
                safe: fix.safe,
                what,
            };
            (change, fix)
        })
        .collect()
}

pub(crate) fn copy_project(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if matches!(
            name_s.as_ref(),
            ".git" | ".skyhop" | "__pycache__" | ".venv" | "venv" | "node_modules" | "logs"
        ) || name_s.starts_with("upgrade-test-")
        {
            continue;
        }
        let ft = entry.file_type()?;
        let target = to.join(&name);
        if ft.is_dir() {
            copy_project(&entry.path(), &target)?;
        } else if ft.is_file() {
            std::fs::copy(entry.path(), &target)?;
        } else if ft.is_symlink()
            && let Ok(dest) = std::fs::read_link(entry.path())
        {
            #[cfg(unix)]
            std::os::unix::fs::symlink(dest, &target)?;
        }
    }
    Ok(())
}
