//! The fix engine for Python files: each edit is made for one finding and tied to its rule.
//!
//! Safe (by default): import moves (`from old import X` → `from new import X`, aliasing when the
//! name changes; moves the curated tables know for a removed module or name), renamed keywords
//! (`schedule_interval=` → `schedule=`), keywords Airflow says to drop (`provide_context=`),
//! context keys renamed to another key (`context["execution_date"]` → `context["logical_date"]`,
//! `{{ execution_date }}` → `{{ logical_date }}`, `{{ next_ds }}` → `{{ data_interval_end | ds }}`
//! in templates), and `days_ago(n)` → `pendulum.today("UTC").add(days=-n)`.
//!
//! Unsafe (only with [`FixOptions::unsafe_fixes`]): Python reads of context keys whose
//! replacement is an expression (`kwargs["next_ds"]` →
//! `kwargs["data_interval_end"].strftime("%Y-%m-%d")`), which fails where the value is `None`; and a task
//! function's parameter named after a removed key (`def f(execution_date)` → `def f(logical_date)`,
//! with its uses in the body: [`rename`]).
//!
//! Every edit replaces one span; every byte outside it is kept. Overlapping edits keep the
//! first; the rest are made by the next round of `skyhop upgrade --fix`.

use std::path::{Path, PathBuf};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt, StmtImportFrom};
use ruff_source_file::{LineIndex, OneIndexed, PositionEncoding, SourceLocation};
use ruff_text_size::{Ranged, TextRange, TextSize};
use skyhop_core::Finding;

use crate::registry::Rule;

mod apply;
mod docs;
mod hook_params;
mod rename;
pub use apply::{apply_fixes, unified_diff};
pub use docs::fix_doc;
pub(crate) use docs::fixability;

/// The new content of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFix {
    pub path: PathBuf,
    pub old: String,
    pub new: String,
    /// The edits made, each with the rule whose finding asked for it.
    pub applied: Vec<Applied>,
}

/// One edit made in a file, for the finding of `rule` at `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub rule: String,
    pub line: u32,
    /// Whether this is a safe fix (made by default) or one made only with `--unsafe-fixes`.
    pub safe: bool,
}

/// Which fixes to make.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixOptions {
    /// Also make the unsafe fixes (they may change behaviour).
    pub unsafe_fixes: bool,
}

/// Why fixes could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("{path}: cannot write the fixed file: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: changed since it was checked; run the check again")]
    Changed { path: PathBuf },
}

/// A requested move inside an import statement: (position, new qualified name, rule).
type Move<'a> = (TextSize, String, &'a str);

const KEYWORD_RULES: &[&str] = &["SKY302", "SKY303"];

fn is_dotted(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

fn matches_path(file: &Path, rel: &str) -> bool {
    !rel.is_empty() && file.ends_with(Path::new(rel))
}

/// Computes the safe rewrites for `findings` in `files` (files whose findings have none are
/// left out). Findings' paths are matched against the end of each file path.
pub fn fix(files: &[PathBuf], findings: &[Finding]) -> Vec<FileFix> {
    fix_with(files, findings, FixOptions::default())
}

/// Rules whose findings the engine may fix.
const FIXABLE_RULES: &[&str] = &[
    "SKY101", "SKY102", "SKY103", "SKY105", "SKY201", "SKY301", "SKY302", "SKY303",
];

/// [`fix`], with the unsafe fixes too when `opts` says so.
pub fn fix_with(files: &[PathBuf], findings: &[Finding], opts: FixOptions) -> Vec<FileFix> {
    let mut out = Vec::new();
    for file in files {
        let mine: Vec<&Finding> = findings
            .iter()
            // Information-only findings (files Airflow does not load) are not fixed.
            .filter(|f| {
                matches_path(file, &f.path)
                    && FIXABLE_RULES.contains(&f.rule.as_str())
                    && f.severity != skyhop_core::Severity::Info
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let Ok(old) = std::fs::read_to_string(file) else {
            continue;
        };
        let (new, applied) = fix_source_with(&old, &mine, opts);
        if new != old {
            out.push(FileFix {
                path: file.clone(),
                old,
                new,
                applied,
            });
        }
    }
    out
}

/// One planned edit: the span, its new text, and the finding it is for (made through the one
/// edit engine, [`skyhop_core::edit::apply`]).
struct Edit {
    range: TextRange,
    text: String,
    rule: String,
    line: u32,
    safe: bool,
    /// The finding it is for (an import rewrite serves several: `None`); a finding whose
    /// fix is several edits counts as applied once.
    finding: Option<usize>,
    /// Whether it counts as an applied fix (the calls rewritten with an import do not: the
    /// import's edit does).
    counts: bool,
}

impl Edit {
    /// The span edit of the engine.
    fn span(&self) -> skyhop_core::edit::Edit {
        skyhop_core::edit::Edit::replacement(
            self.range.start().to_usize()..self.range.end().to_usize(),
            self.text.as_str(),
        )
    }
}

/// Applies the fixes of `findings` to one source text; returns it with the edits made.
pub(crate) fn fix_source_with(
    source: &str,
    findings: &[&Finding],
    opts: FixOptions,
) -> (String, Vec<Applied>) {
    let Ok(parsed) = ruff_python_parser::parse_module(source) else {
        return (source.to_string(), Vec::new());
    };
    let body = &parsed.syntax().body;
    let lines = LineIndex::from_source_text(source);
    let offset = |f: &Finding| {
        lines.offset(
            SourceLocation {
                line: OneIndexed::new(f.line as usize).unwrap_or(OneIndexed::MIN),
                character_offset: OneIndexed::new(f.column as usize).unwrap_or(OneIndexed::MIN),
            },
            source,
            PositionEncoding::Utf32,
        )
    };
    let mut nodes = Nodes::default();
    visitor::walk_body(&mut nodes, body);
    let mut edits: Vec<Edit> = Vec::new();
    // edits made all or none: (edits, whether they win over other edits they overlap)
    let mut groups: Vec<(Vec<Edit>, bool)> = Vec::new();
    let mut imports: Vec<(&StmtImportFrom, Vec<Move<'_>>, u32)> = Vec::new();
    for (n, f) in findings.iter().enumerate() {
        let rule = f.rule.as_str();
        let replacement = f.replacement.as_deref();
        let at = offset(f);
        let edit = |range: TextRange, text: String, safe: bool| Edit {
            range,
            text,
            rule: f.rule.clone(),
            line: f.line,
            safe,
            finding: Some(n),
            counts: true,
        };
        if KEYWORD_RULES.contains(&rule) {
            match replacement {
                Some(r) if is_dotted(r) && !r.contains('.') => {
                    if let Some(range) = token_at(source, at) {
                        let text = &source[range];
                        let new = if text.starts_with(['"', '\'']) {
                            let q = &text[..1];
                            format!("{q}{r}{q}")
                        } else {
                            r.to_string()
                        };
                        edits.push(edit(range, new, true));
                    }
                }
                None => {
                    if let Some(range) = removable_keyword(source, &nodes, at) {
                        edits.push(edit(range, String::new(), true));
                    }
                }
                _ => {}
            }
        } else if rule == "SKY105" {
            if let Some(r) = replacement
                && let Some((range, text)) = rebind_module_alias(source, body, at, r)
            {
                edits.push(edit(range, text, true));
            }
        } else if rule == "SKY301" {
            if let Some((mut es, safe)) = context_key_edit(source, &nodes, at)
                && (safe || opts.unsafe_fixes)
            {
                if es.len() == 1 {
                    let (range, text) = es.remove(0);
                    edits.push(edit(range, text, safe));
                } else {
                    // a rename is made whole or not at all
                    let es = es.into_iter().map(|(r, t)| edit(r, t, safe)).collect();
                    groups.push((es, false));
                }
            }
        } else if Rule::from_code(rule).is_some_and(Rule::fixed_by_import_rewrite)
            && let Some(stmt) = import_from_at(body, at)
        {
            let mut moves: Vec<(TextSize, String)> = Vec::new();
            match replacement {
                Some(r) if is_dotted(r) => moves.push((at, r.to_string())),
                _ => {
                    if let Some(module) = &stmt.module {
                        // `days_ago` and its documented replacement
                        if let Some(mut es) = days_ago_edits(source, body, &nodes, stmt, at) {
                            for (range, text) in es.drain(..) {
                                edits.push(edit(range, text, true));
                            }
                            continue;
                        }
                        // a removed module or name the curated tables know the new home of
                        let on_module = module.range.contains_inclusive(at);
                        for alias in &stmt.names {
                            if !(on_module || alias.range.contains_inclusive(at)) {
                                continue;
                            }
                            let q = format!("{}.{}", module.id, alias.name.id);
                            if let Some(new) = crate::rules::rules()
                                .name_rule(&q)
                                .and_then(|r| r.new.as_deref())
                                .filter(|n| is_dotted(n) && *n != q)
                            {
                                moves.push((alias.range.start(), new.to_string()));
                            }
                        }
                    }
                }
            }
            for (pos, new) in moves {
                // the calls of a moved operator whose keywords changed go with the import
                if let Some(module) = &stmt.module
                    && let Some(alias) = stmt.names.iter().find(|a| a.range.contains_inclusive(pos))
                {
                    let old = format!("{}.{}", module.id, alias.name.id);
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                    match hook_params::call_edits(source, &nodes, &old, bound) {
                        None => continue,
                        Some(es) if !es.is_empty() => {
                            let part = |(r, t)| Edit {
                                counts: false,
                                ..edit(r, t, true)
                            };
                            // the import moves regardless: its calls must move with it
                            groups.push((es.into_iter().map(part).collect(), true));
                        }
                        Some(_) => {}
                    }
                }
                match imports.iter_mut().find(|(s, _, _)| std::ptr::eq(*s, stmt)) {
                    Some((_, list, _)) => list.push((pos, new, rule)),
                    None => imports.push((stmt, vec![(pos, new, rule)], f.line)),
                }
            }
        }
    }
    for (stmt, moves, line) in imports {
        if let Some((range, text)) = rewrite_import(source, stmt, &moves) {
            edits.push(Edit {
                range,
                text,
                rule: moves[0].2.to_string(),
                line,
                safe: true,
                finding: None,
                counts: true,
            });
        }
    }
    let overlap =
        |a: &Edit, b: &Edit| a.range.start() < b.range.end() && b.range.start() < a.range.end();
    // winning groups first, so that nothing removes part of a group already taken
    groups.sort_by_key(|(_, wins)| !wins);
    for (group, wins) in groups {
        if wins {
            edits.retain(|e| !group.iter().any(|g| overlap(e, g)));
        } else if edits.iter().any(|e| group.iter().any(|g| overlap(e, g))) {
            continue;
        }
        edits.extend(group);
    }
    // sorted by range, an overlapping edit skipped (the first one kept), byte-exact
    let spans: Vec<skyhop_core::edit::Edit> = edits.iter().map(Edit::span).collect();
    let (out, made) = skyhop_core::edit::apply(source, &spans);
    let mut seen = std::collections::HashSet::new();
    let applied = made
        .into_iter()
        .filter(|&i| edits[i].counts && edits[i].finding.is_none_or(|n| seen.insert(n)))
        .map(|i| Applied {
            rule: edits[i].rule.clone(),
            line: edits[i].line,
            safe: edits[i].safe,
        })
        .collect();
    (out, applied)
}

/// Calls, string literals, names, functions, lambdas' parameters and `global`/`nonlocal`
/// names of a module, from one walk.
#[derive(Default)]
struct Nodes<'a> {
    calls: Vec<&'a ruff_python_ast::ExprCall>,
    strings: Vec<TextRange>,
    names: Vec<&'a ruff_python_ast::ExprName>,
    functions: Vec<&'a ruff_python_ast::StmtFunctionDef>,
    lambdas: Vec<(TextRange, &'a ruff_python_ast::Parameters)>,
    declared: Vec<(TextRange, &'a str)>,
}

impl<'a> Visitor<'a> for Nodes<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => self.functions.push(f),
            Stmt::Global(g) => self
                .declared
                .extend(g.names.iter().map(|n| (g.range, n.id.as_str()))),
            Stmt::Nonlocal(g) => self
                .declared
                .extend(g.names.iter().map(|n| (g.range, n.id.as_str()))),
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(c) => self.calls.push(c),
            Expr::StringLiteral(_) | Expr::FString(_) => self.strings.push(expr.range()),
            Expr::Name(n) => self.names.push(n),
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.lambdas.push((l.range, p));
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// `conf.get(...)` where `conf` is the module `airflow.configuration` (`from airflow import
/// configuration as conf`) and the target has the function only on the object
/// `airflow.configuration.conf` (SKY105's replacement `airflow.configuration.conf.get`): the
/// import binds the same name to that object instead (`from airflow.configuration import conf`).
fn rebind_module_alias(
    source: &str,
    body: &[Stmt],
    at: TextSize,
    replacement: &str,
) -> Option<(TextRange, String)> {
    let (object, _attr) = replacement.rsplit_once('.')?;
    let (module, name) = object.rsplit_once('.')?;
    // the finding is on the attribute (`conf.get`: on `get`) or on the name itself
    let start = at.to_usize();
    let alias = match source[..start].strip_suffix('.') {
        Some(before) => {
            let from = before
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            &before[from..]
        }
        None => &source[token_at(source, at)?],
    };
    if !is_identifier(alias) {
        return None;
    }
    for stmt in body {
        let (bound_module, stmt_range) = match stmt {
            Stmt::ImportFrom(i) if i.level == 0 && i.names.len() == 1 => {
                let a = &i.names[0];
                let bound = a.asname.as_ref().unwrap_or(&a.name).id.as_str();
                if bound != alias {
                    continue;
                }
                let m = i.module.as_ref()?;
                (format!("{}.{}", m.id, a.name.id), i.range)
            }
            Stmt::Import(i) if i.names.len() == 1 => {
                let a = &i.names[0];
                match &a.asname {
                    Some(asname) if asname.id.as_str() == alias => (a.name.id.to_string(), i.range),
                    _ => continue,
                }
            }
            _ => continue,
        };
        if bound_module != module {
            return None;
        }
        let text = if alias == name {
            format!("from {module} import {name}")
        } else {
            format!("from {module} import {name} as {alias}")
        };
        return Some((stmt_range, text));
    }
    None
}

/// Keywords Airflow says to drop rather than rename.
/// (`default_view` and `orientation` set the Airflow 2 UI's default view of a DAG, which
/// Airflow 3's UI does not have.)
const REMOVABLE_KEYWORDS: &[&str] = &["provide_context", "default_view", "orientation"];

/// The span to delete to drop the keyword argument that starts at `at` (one Airflow says to
/// drop): [`keyword_deletion`].
fn removable_keyword(source: &str, nodes: &Nodes<'_>, at: TextSize) -> Option<TextRange> {
    let kw = nodes.calls.iter().find_map(|call| {
        call.arguments.keywords.iter().find(|k| {
            k.range.start() == at
                && k.arg
                    .as_ref()
                    .is_some_and(|a| REMOVABLE_KEYWORDS.contains(&a.id.as_str()))
        })
    })?;
    keyword_deletion(source, kw)
}

/// The span to delete to drop keyword argument `kw`: its own line(s) when it has them, else
/// the keyword and the comma that follows (or precedes) it.
fn keyword_deletion(source: &str, kw: &ruff_python_ast::Keyword) -> Option<TextRange> {
    let start = kw.range.start().to_usize();
    let mut end = kw.range.end().to_usize();
    let bytes = source.as_bytes();
    // the comma after it, if any
    let mut j = end;
    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
        j += 1;
    }
    let has_comma = j < bytes.len() && bytes[j] == b',';
    if has_comma {
        end = j + 1;
    }
    let line_start = source[..start].rfind('\n').map_or(0, |p| p + 1);
    let before = &source[line_start..start];
    let rest = &source[end..];
    let rest_line = rest.split('\n').next().unwrap_or("");
    if before.trim().is_empty() && rest_line.trim().is_empty() && end < source.len() {
        // alone on its line(s): the whole line goes
        let line_end = end + rest_line.len() + 1;
        return Some(TextRange::new(
            TextSize::try_from(line_start).ok()?,
            TextSize::try_from(line_end.min(source.len())).ok()?,
        ));
    }
    if has_comma {
        // `f(a, provide_context=True, b)`: the keyword, its comma and the spaces after
        let mut k = end;
        while k < bytes.len() && matches!(bytes[k], b' ' | b'\t') {
            k += 1;
        }
        if k < bytes.len() && bytes[k] == b')' {
            // trailing comma before `)`: keep the comma of the previous argument
            k = end;
        }
        return Some(TextRange::new(
            TextSize::try_from(start).ok()?,
            TextSize::try_from(k).ok()?,
        ));
    }
    // last argument, no trailing comma: take the comma before it
    let prev = source[..start].rfind(',')?;
    if !source[prev + 1..start].trim().is_empty() {
        return None;
    }
    Some(TextRange::new(
        TextSize::try_from(prev).ok()?,
        TextSize::try_from(end).ok()?,
    ))
}

/// The edit for a removed context key at `at`: in a template (a string), the key becomes the
/// expression Airflow documents; in Python (`context["key"]`), the key becomes the new key,
/// and where the replacement filters it through `ds` / `ds_nodash`, `.strftime(...)` follows
/// (unsafe: the value may be `None`). Returns (span, text, safe).
fn context_key_edit(
    source: &str,
    nodes: &Nodes<'_>,
    at: TextSize,
) -> Option<(Vec<(TextRange, String)>, bool)> {
    let range = token_at(source, at)?;
    let token = &source[range];
    let quoted = token.starts_with(['"', '\'']);
    let key = if quoted {
        &token[1..token.len() - 1]
    } else {
        token
    };
    let rule = crate::rules::rules()
        .context_keys
        .iter()
        .find(|k| k.key == key)?;
    let new = rule.new.as_deref()?;
    if new.contains(" (") {
        return None; // `conf`: no replacement inside the context
    }
    let in_string = nodes
        .strings
        .iter()
        .any(|s| s.contains(at) && s.start() != at);
    if !quoted {
        if in_string {
            // a template inside a string literal
            return Some((vec![(range, new.to_string())], true));
        }
        // a task function's parameter, renamed with its uses
        if !is_identifier(new) {
            return None;
        }
        let es = rename::parameter_rename(source, nodes, at, new)?;
        return Some((es, false));
    }
    if is_identifier(new) {
        let q = &token[..1];
        return Some((vec![(range, format!("{q}{new}{q}"))], true));
    }
    // `data_interval_end | ds` read from Python
    let (base, filter) = new.split_once(" | ")?;
    let fmt = match filter {
        "ds" => "%Y-%m-%d",
        "ds_nodash" => "%Y%m%d",
        _ => return None,
    };
    if !is_identifier(base) {
        return None;
    }
    let after = range.end().to_usize();
    let close = source[after..].chars().next()?;
    if !matches!(close, ']' | ')') {
        return None;
    }
    let q = &token[..1];
    let span = TextRange::new(range.start(), TextSize::try_from(after + 1).ok()?);
    Some((
        vec![(span, format!("{q}{base}{q}{close}.strftime(\"{fmt}\")"))],
        false,
    ))
}

fn is_identifier(s: &str) -> bool {
    is_dotted(s) && !s.contains('.')
}

/// `days_ago(n)` → `pendulum.today("UTC").add(days=-n)` for every call of the name imported by
/// `stmt` at `at`, the import dropped and `import pendulum` added where needed. `None` when
/// the name is not `airflow.utils.dates.days_ago` or is used other than as `days_ago(n)`.
fn days_ago_edits(
    source: &str,
    body: &[Stmt],
    nodes: &Nodes<'_>,
    stmt: &StmtImportFrom,
    at: TextSize,
) -> Option<Vec<(TextRange, String)>> {
    let module = stmt.module.as_ref()?;
    if module.id.as_str() != "airflow.utils.dates" {
        return None;
    }
    let alias = stmt
        .names
        .iter()
        .find(|a| a.range.contains_inclusive(at) && a.name.id.as_str() == "days_ago")?;
    let bound = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
    let mut edits = Vec::new();
    let mut call_funcs = Vec::new();
    for call in &nodes.calls {
        let Expr::Name(func) = &*call.func else {
            continue;
        };
        if func.id.as_str() != bound {
            continue;
        }
        let args = &call.arguments;
        if args.args.len() != 1 || !args.keywords.is_empty() {
            return None; // `days_ago(2, hour=3)`: left for a person
        }
        let arg = &args.args[0];
        let text = &source[arg.range()];
        let n = match arg {
            Expr::NumberLiteral(_) => format!("-{text}"),
            _ => format!("-({text})"),
        };
        edits.push((
            call.range(),
            format!("pendulum.today(\"UTC\").add(days={n})"),
        ));
        call_funcs.push(func.range());
    }
    // any other use of the name (passed as a value): not mechanical
    if nodes
        .names
        .iter()
        .any(|n| n.id.as_str() == bound && !call_funcs.contains(&n.range))
    {
        return None;
    }
    let has_pendulum = body.iter().any(|s| match s {
        Stmt::Import(i) => i
            .names
            .iter()
            .any(|a| a.name.id.as_str() == "pendulum" && a.asname.is_none()),
        _ => false,
    });
    let line_start = source[..stmt.range.start().to_usize()]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &source[line_start..stmt.range.start().to_usize()];
    if !indent.chars().all(char::is_whitespace) {
        return None;
    }
    let rest: Vec<String> = stmt
        .names
        .iter()
        .filter(|a| !std::ptr::eq(*a, alias))
        .map(|a| source[a.range()].to_string())
        .collect();
    let import_pendulum = if has_pendulum { "" } else { "import pendulum" };
    let text = match (rest.is_empty(), has_pendulum) {
        (true, false) => import_pendulum.to_string(),
        (true, true) => String::new(),
        (false, _) => {
            let kept = format!("from {} import {}", module.id, rest.join(", "));
            if has_pendulum {
                kept
            } else {
                format!("{import_pendulum}\n{indent}{kept}")
            }
        }
    };
    let range = if text.is_empty() {
        // the whole line goes
        let end = stmt.range.end().to_usize();
        let rest_line = source[end..].split('\n').next().unwrap_or("");
        if !rest_line.trim().is_empty() {
            return None;
        }
        let line_end = (end + rest_line.len() + 1).min(source.len());
        TextRange::new(
            TextSize::try_from(line_start).ok()?,
            TextSize::try_from(line_end).ok()?,
        )
    } else {
        stmt.range
    };
    edits.push((range, text));
    Some(edits)
}

fn token_at(source: &str, at: TextSize) -> Option<TextRange> {
    let start = at.to_usize();
    let rest = source.get(start..)?;
    let len = if rest.starts_with(['"', '\'']) {
        let q = rest.chars().next()?;
        1 + rest[1..].find(q)? + 1
    } else {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    };
    (len > 0).then(|| TextRange::at(at, TextSize::try_from(len).unwrap_or_default()))
}

fn import_from_at(body: &[Stmt], at: TextSize) -> Option<&StmtImportFrom> {
    for stmt in body {
        if !stmt.range().contains_inclusive(at) {
            continue;
        }
        return match stmt {
            Stmt::ImportFrom(i) if i.level == 0 => Some(i),
            Stmt::FunctionDef(f) => import_from_at(&f.body, at),
            Stmt::ClassDef(c) => import_from_at(&c.body, at),
            Stmt::If(i) => import_from_at(&i.body, at).or_else(|| {
                i.elif_else_clauses
                    .iter()
                    .find_map(|c| import_from_at(&c.body, at))
            }),
            Stmt::Try(t) => import_from_at(&t.body, at)
                .or_else(|| {
                    t.handlers.iter().find_map(|h| {
                        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                        import_from_at(&h.body, at)
                    })
                })
                .or_else(|| import_from_at(&t.orelse, at))
                .or_else(|| import_from_at(&t.finalbody, at)),
            Stmt::With(w) => import_from_at(&w.body, at),
            _ => None,
        };
    }
    None
}

/// Rewrites one `from m import a, b as c` statement given the moves found in it.
fn rewrite_import(
    source: &str,
    stmt: &StmtImportFrom,
    moves: &[Move<'_>],
) -> Option<(TextRange, String)> {
    let module = stmt.module.as_ref()?;
    let line_start = source[..stmt.range.start().to_usize()]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &source[line_start..stmt.range.start().to_usize()];
    if !indent.chars().all(char::is_whitespace) {
        return None; // `x = 1; from a import b`: leave it alone
    }
    let after = &source[stmt.range.end().to_usize()..];
    let rest_of_line = after.split('\n').next().unwrap_or("");
    if !(rest_of_line.trim().is_empty() || rest_of_line.trim_start().starts_with('#')) {
        return None;
    }
    // The whole module moved (SKY101 on the module name).
    let module_move = moves
        .iter()
        .find(|(at, _, _)| module.range.contains_inclusive(*at))
        .map(|(_, new, _)| new.clone());
    let mut groups: Vec<(String, Vec<String>)> = vec![(
        module_move.clone().unwrap_or_else(|| module.id.to_string()),
        Vec::new(),
    )];
    for alias in &stmt.names {
        let name = alias.name.id.as_str();
        let bound = alias.asname.as_ref().map_or(name, |a| a.id.as_str());
        let moved = moves
            .iter()
            .find(|(at, _, _)| alias.range.contains_inclusive(*at))
            .and_then(|(_, new, _)| new.rsplit_once('.'));
        let (target_module, new_name) = match moved {
            Some((m, n)) => (m.to_string(), n),
            None => (groups[0].0.clone(), name),
        };
        let text = if new_name == bound {
            new_name.to_string()
        } else {
            format!("{new_name} as {bound}")
        };
        match groups.iter_mut().find(|(m, _)| *m == target_module) {
            Some((_, names)) => names.push(text),
            None => groups.push((target_module, vec![text])),
        }
    }
    let text = groups
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(m, names)| format!("from {m} import {}", names.join(", ")))
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"));
    Some((stmt.range, text))
}
