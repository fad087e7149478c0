//! `.airflowignore` rules in both syntaxes, as Airflow's `airflow/utils/file.py` applies them:
//! `regexp` (searched in the path relative to the DAGs folder) and `glob` (gitignore wildmatch,
//! translated exactly like the `pathspec` library's `GitWildMatchPattern`).

use regex::Regex;

use super::GlobDirs;

/// The syntax of `.airflowignore` files (`[core] dag_ignore_file_syntax`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IgnoreSyntax {
    /// Regular expressions: the default in Airflow 2.
    #[default]
    Regexp,
    /// gitignore-style globs: the default in Airflow 3.
    Glob,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub(crate) enum Rule {
    Regexp(Regex),
    Glob {
        regex: Regex,
        /// `false` for `!negated` patterns.
        include: bool,
        /// The raw pattern ends with `/` (matched against directories only, or as `dir/`,
        /// depending on the Airflow version: [`GlobDirs`]).
        dir_pattern: bool,
        /// Directory (relative to the DAGs folder, `""` for the folder itself) the pattern is
        /// anchored to; `None`: matched against the base name.
        relative_to: Option<String>,
    },
}

/// Compiles one line of an ignore file found in `dir` (relative to the DAGs folder). `Ok(None)`
/// for lines that are no-ops; `Err` with a reason for invalid patterns (skipped, as Airflow does).
pub(crate) fn compile(line: &str, syntax: IgnoreSyntax, dir: &str) -> Result<Option<Rule>, String> {
    match syntax {
        IgnoreSyntax::Regexp => Regex::new(line)
            .map(|r| Some(Rule::Regexp(r)))
            .map_err(|e| {
                format!(
                    "invalid regular expression `{line}`: {}",
                    first_line(&e.to_string())
                )
            }),
        IgnoreSyntax::Glob => {
            if line.trim() == "/" {
                return Ok(None);
            }
            let relative_to = (line.starts_with('/') || line.trim_end_matches('/').contains('/'))
                .then(|| dir.to_string());
            let Some((regex, include)) = wildmatch_to_regex(line)? else {
                return Ok(None);
            };
            let regex = Regex::new(&regex)
                .map_err(|e| format!("invalid glob `{line}`: {}", first_line(&e.to_string())))?;
            Ok(Some(Rule::Glob {
                regex,
                include,
                dir_pattern: line.ends_with('/'),
                relative_to,
            }))
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

/// Whether `rules` ignore the path `rel` (relative to the DAGs folder, `/`-separated).
pub(crate) fn is_ignored(rel: &str, is_dir: bool, rules: &[Rule], dirs: GlobDirs) -> bool {
    let mut matched = false;
    for rule in rules {
        match rule {
            Rule::Regexp(re) => {
                if re.is_match(rel) {
                    return true;
                }
            }
            Rule::Glob {
                regex,
                include,
                dir_pattern,
                relative_to,
            } => {
                let mut path = match relative_to {
                    Some(dir) if dir.is_empty() => rel.to_string(),
                    Some(dir) => rel
                        .strip_prefix(dir.as_str())
                        .and_then(|r| r.strip_prefix('/'))
                        .unwrap_or(rel)
                        .to_string(),
                    None => rel.rsplit('/').next().unwrap_or(rel).to_string(),
                };
                match dirs {
                    GlobDirs::SlashForSlashPatterns if *dir_pattern && is_dir => path.push('/'),
                    GlobDirs::SlashForSlashPatterns | GlobDirs::Bare => {}
                    GlobDirs::Slash { dir_only } => {
                        if dir_only && *dir_pattern && !is_dir {
                            continue;
                        }
                        if is_dir {
                            path.push('/');
                        }
                    }
                }
                if regex.is_match(&path) {
                    matched = *include;
                }
            }
        }
    }
    matched
}

/// `pathspec`'s `GitWildMatchPattern.pattern_to_regex`: `Ok(None)` for no-op patterns,
/// else the regex and whether the pattern includes (ignores) or, negated, re-includes.
pub(crate) fn wildmatch_to_regex(pattern: &str) -> Result<Option<(String, bool)>, String> {
    let original = pattern;
    let pattern = if pattern.ends_with("\\ ") {
        pattern.trim_start()
    } else {
        pattern.trim()
    };
    if pattern.starts_with('#') || pattern == "/" || pattern.is_empty() {
        return Ok(None);
    }
    let (include, pattern) = match pattern.strip_prefix('!') {
        Some(p) => (false, p),
        None => (true, pattern),
    };
    let mut segs: Vec<&str> = pattern.split('/').collect();
    let is_dir_pattern = segs.last().is_some_and(|s| s.is_empty());
    let mut i = segs.len().saturating_sub(1);
    while i > 0 {
        if segs[i - 1] == "**" && segs[i] == "**" {
            segs.remove(i);
        }
        i -= 1;
    }
    let override_regex =
        (segs.len() == 2 && segs[0] == "**" && segs[1].is_empty()).then(|| "^.+/.*$".to_string());
    if segs.first().is_some_and(|s| s.is_empty()) {
        segs.remove(0);
    } else if (segs.len() == 1 || (segs.len() == 2 && segs[1].is_empty())) && segs[0] != "**" {
        segs.insert(0, "**");
    }
    if segs.is_empty() {
        return Err(format!("invalid glob `{original}`"));
    }
    if segs.len() > 1 && segs.last().is_some_and(|s| s.is_empty()) {
        let last = segs.len() - 1;
        segs[last] = "**";
    }
    if let Some(re) = override_regex {
        return Ok(Some((re, include)));
    }
    let mut out = String::from("^");
    let mut need_slash = false;
    let end = segs.len() - 1;
    for (i, seg) in segs.iter().enumerate() {
        if *seg == "**" {
            if i == 0 && i == end {
                out.push_str("[^/]+(?:/.*)?");
            } else if i == 0 {
                out.push_str("(?:.+/)?");
                need_slash = false;
            } else if i == end {
                out.push_str("/.*");
                let _ = is_dir_pattern;
            } else {
                out.push_str("(?:/.+)?");
                need_slash = true;
            }
        } else {
            if need_slash {
                out.push('/');
            }
            if *seg == "*" {
                out.push_str("[^/]+");
            } else {
                out.push_str(
                    &translate_segment(seg).ok_or_else(|| format!("invalid glob `{original}`"))?,
                );
            }
            if i == end {
                out.push_str("(?:/.*)?");
            }
            need_slash = true;
        }
    }
    out.push('$');
    Ok(Some((out, include)))
}

/// `pathspec`'s `_translate_segment_glob`; `None` for a trailing lone backslash.
fn translate_segment(seg: &str) -> Option<String> {
    let chars: Vec<char> = seg.chars().collect();
    let mut out = String::new();
    let mut escape = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if escape {
            escape = false;
            out.push_str(&regex::escape(&c.to_string()));
        } else if c == '\\' {
            escape = true;
        } else if c == '*' {
            out.push_str("[^/]*");
        } else if c == '?' {
            out.push_str("[^/]");
        } else if c == '[' {
            let mut j = i;
            if j < chars.len() && matches!(chars[j], '!' | '^') {
                j += 1;
            }
            if j < chars.len() && chars[j] == ']' {
                j += 1;
            }
            while j < chars.len() && chars[j] != ']' {
                j += 1;
            }
            if j < chars.len() {
                j += 1;
                let mut expr = String::from("[");
                if matches!(chars[i], '!' | '^') {
                    expr.push('^');
                    i += 1;
                }
                for &ch in &chars[i..j] {
                    match ch {
                        // Rust's regex treats these specially inside classes; Python does not.
                        '\\' => expr.push_str("\\\\"),
                        '[' | '&' | '~' => {
                            expr.push('\\');
                            expr.push(ch);
                        }
                        _ => expr.push(ch),
                    }
                }
                out.push_str(&expr);
                i = j;
            } else {
                out.push_str("\\[");
            }
        } else {
            out.push_str(&regex::escape(&c.to_string()));
        }
    }
    (!escape).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> String {
        wildmatch_to_regex(p).unwrap().unwrap().0
    }

    /// Expected values printed by pathspec 0.12.1 (`GitWildMatchPattern.pattern_to_regex`), with
    /// the named group `(?P<ps_d>/)` written as a plain `/`.
    #[test]
    fn translates_like_pathspec() {
        assert_eq!(re("*.py"), "^(?:.+/)?[^/]*\\.py(?:/.*)?$");
        assert_eq!(re("foo/"), "^(?:.+/)?foo/.*$");
        assert_eq!(re("/foo"), "^foo(?:/.*)?$");
        assert_eq!(re("a/**/b"), "^a(?:/.+)?/b(?:/.*)?$");
        assert_eq!(re("**"), "^[^/]+(?:/.*)?$");
        assert_eq!(re("**/"), "^.+/.*$");
        assert_eq!(re("a/*"), "^a/[^/]+(?:/.*)?$");
        assert_eq!(re("[!a]x?"), "^(?:.+/)?[^a]x[^/](?:/.*)?$");
        assert!(!wildmatch_to_regex("!keep.py").unwrap().unwrap().1);
        assert_eq!(wildmatch_to_regex("/").unwrap(), None);
        assert!(wildmatch_to_regex("bad\\").is_err());
    }
}
