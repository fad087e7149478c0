//! Safe rewrites: import moves (`from old import X` → `from new import X`, aliasing when the
//! name changes) and renamed keywords (`schedule_interval=` → `schedule=`). Nothing else is
//! rewritten automatically.

use std::path::{Path, PathBuf};

use ruff_python_ast::{Stmt, StmtImportFrom};
use ruff_source_file::{LineIndex, OneIndexed, PositionEncoding, SourceLocation};
use ruff_text_size::{Ranged, TextRange, TextSize};
use skyhop_core::Finding;

/// The new content of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFix {
    pub path: PathBuf,
    pub old: String,
    pub new: String,
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
const IMPORT_RULES: &[&str] = &["SKY101", "SKY102", "SKY103", "SKY201"];

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
    let mut out = Vec::new();
    for file in files {
        let mine: Vec<&Finding> = findings
            .iter()
            .filter(|f| {
                matches_path(file, &f.path) && f.replacement.as_deref().is_some_and(is_dotted)
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let Ok(old) = std::fs::read_to_string(file) else {
            continue;
        };
        let new = fix_source(&old, &mine);
        if new != old {
            out.push(FileFix {
                path: file.clone(),
                old,
                new,
            });
        }
    }
    out
}

/// Applies the fixes of `findings` to one source text.
pub(crate) fn fix_source(source: &str, findings: &[&Finding]) -> String {
    let Ok(parsed) = ruff_python_parser::parse_module(source) else {
        return source.to_string();
    };
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
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    let mut imports: Vec<(&StmtImportFrom, Vec<Move<'_>>)> = Vec::new();
    for f in findings {
        let Some(replacement) = f.replacement.as_deref() else {
            continue;
        };
        let at = offset(f);
        if KEYWORD_RULES.contains(&f.rule.as_str()) && !replacement.contains('.') {
            if let Some(range) = token_at(source, at) {
                let text = &source[range];
                let new = if text.starts_with(['"', '\'']) {
                    let q = &text[..1];
                    format!("{q}{replacement}{q}")
                } else {
                    replacement.to_string()
                };
                edits.push((range, new));
            }
        } else if IMPORT_RULES.contains(&f.rule.as_str())
            && let Some(stmt) = import_from_at(&parsed.syntax().body, at)
        {
            match imports.iter_mut().find(|(s, _)| std::ptr::eq(*s, stmt)) {
                Some((_, list)) => list.push((at, replacement.to_string(), f.rule.as_str())),
                None => imports.push((stmt, vec![(at, replacement.to_string(), f.rule.as_str())])),
            }
        }
    }
    for (stmt, moves) in imports {
        if let Some(edit) = rewrite_import(source, stmt, &moves) {
            edits.push(edit);
        }
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start()));
    let mut out = source.to_string();
    let mut last_start: Option<TextSize> = None;
    for (range, text) in edits {
        if last_start.is_some_and(|s| range.end() > s) {
            continue; // overlapping edit: keep the first one
        }
        out.replace_range(range.start().to_usize()..range.end().to_usize(), &text);
        last_start = Some(range.start());
    }
    out
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

/// A unified diff of the fixes (`--diff`).
pub fn unified_diff(fixes: &[FileFix]) -> String {
    let mut out = String::new();
    for f in fixes {
        let name = f.path.to_string_lossy();
        let diff = similar::TextDiff::from_lines(&f.old, &f.new);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}

/// Writes the fixes atomically (temporary file in the same directory, then rename), refusing
/// files that changed since they were read.
pub fn apply_fixes(fixes: &[FileFix]) -> Result<(), FixError> {
    for f in fixes {
        let current = std::fs::read_to_string(&f.path).map_err(|source| FixError::Write {
            path: f.path.clone(),
            source,
        })?;
        if current != f.old {
            return Err(FixError::Changed {
                path: f.path.clone(),
            });
        }
        let tmp = f.path.with_extension("py.skyhop-tmp");
        let write = || -> std::io::Result<()> {
            std::fs::write(&tmp, &f.new)?;
            if let Ok(meta) = std::fs::metadata(&f.path) {
                std::fs::set_permissions(&tmp, meta.permissions())?;
            }
            std::fs::rename(&tmp, &f.path)
        };
        write().map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            FixError::Write {
                path: f.path.clone(),
                source,
            }
        })?;
    }
    Ok(())
}
