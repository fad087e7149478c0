//! `.env`: the environment `astro dev start` gives the containers. `KEY=VALUE` lines, `export`
//! prefixes, `#` comments, single quotes (literal), double quotes (escapes, may span lines),
//! inline comments after unquoted values. Every entry keeps its line.

use std::path::Path;

use crate::text::{TextError, physical_lines, read_text};

/// One variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    /// The value; `None` for a bare `KEY` line (taken from the host environment).
    pub value: Option<String>,
    /// 1-based line where the entry starts.
    pub line: usize,
    /// 1-based line where it ends (a quoted value may span lines).
    pub end_line: usize,
}

/// A problem in a .env file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DotEnvError {
    #[error("{}", crate::text::located(file, error))]
    Text { file: String, error: TextError },
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
}

/// A parsed .env file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotEnv {
    pub entries: Vec<EnvEntry>,
}

impl DotEnv {
    /// Reads `path`; errors call it `display` (`.env`).
    pub fn read(path: &Path, display: &str) -> Result<DotEnv, DotEnvError> {
        let text = read_text(path).map_err(|error| DotEnvError::Text {
            file: display.to_string(),
            error,
        })?;
        DotEnv::parse_str(&text, display)
    }

    /// Parses .env text.
    pub fn parse_str(text: &str, display: &str) -> Result<DotEnv, DotEnvError> {
        let lines = physical_lines(text);
        let mut entries = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line_no = i + 1;
            let content = lines[i].1.trim();
            i += 1;
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let err = |message: String| DotEnvError::Syntax {
                file: display.to_string(),
                line: line_no,
                message,
            };
            let content = content
                .strip_prefix("export ")
                .map_or(content, str::trim_start);
            let (key, raw) = match content.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim_start())),
                None => (content, None),
            };
            let valid_key = !key.is_empty()
                && !key.starts_with(|c: char| c.is_ascii_digit())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid_key {
                let shown: String = key.chars().take(40).collect();
                return Err(err(format!(
                    "`{shown}` is not a variable name; expected `KEY=VALUE`"
                )));
            }
            let value = match raw {
                None => None,
                Some(raw) => Some(match raw.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        // A quoted value may continue on the following lines.
                        let mut buf = raw[1..].to_string();
                        loop {
                            if let Some(end) = closing_quote(&buf, q) {
                                let rest = buf[end + 1..].trim();
                                if !rest.is_empty() && !rest.starts_with('#') {
                                    return Err(err(format!(
                                        "unexpected `{rest}` after the closing quote"
                                    )));
                                }
                                buf.truncate(end);
                                break;
                            }
                            if i >= lines.len() {
                                return Err(err(format!("the quote {q} is never closed")));
                            }
                            buf.push('\n');
                            buf.push_str(lines[i].1);
                            i += 1;
                        }
                        if q == '"' { unescape(&buf) } else { buf }
                    }
                    _ => match raw.find(" #") {
                        Some(c) => raw[..c].trim_end().to_string(),
                        None => raw.trim_end().to_string(),
                    },
                }),
            };
            entries.push(EnvEntry {
                key: key.to_string(),
                value,
                line: line_no,
                end_line: i,
            });
        }
        Ok(DotEnv { entries })
    }

    /// The value of `key` (the last definition wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .and_then(|e| e.value.as_deref())
    }

    /// `AIRFLOW__SECTION__KEY` entries: `(section, key, entry)`, lowercased section and key.
    pub fn airflow_config(&self) -> Vec<(String, String, &EnvEntry)> {
        self.entries
            .iter()
            .filter_map(|e| {
                let (section, key) = crate::text::airflow_key(&e.key)?;
                Some((section, key, e))
            })
            .collect()
    }
}

fn closing_quote(s: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if q == '"' && !escaped => escaped = true,
            c if c == q && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_files() {
        let text = "# local\nAIRFLOW__CORE__LOAD_EXAMPLES=False\nexport A = b # note\nB='x # y'\nC=\"line1\\nline2\"\nD=\"multi\nline\"\nHOST_VAR\nE=\n";
        let env = DotEnv::parse_str(text, ".env").unwrap();
        let got: Vec<(&str, Option<&str>, usize)> = env
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_deref(), e.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("AIRFLOW__CORE__LOAD_EXAMPLES", Some("False"), 2),
                ("A", Some("b"), 3),
                ("B", Some("x # y"), 4),
                ("C", Some("line1\nline2"), 5),
                ("D", Some("multi\nline"), 6),
                ("HOST_VAR", None, 8),
                ("E", Some(""), 9),
            ]
        );
        assert_eq!(env.airflow_config()[0].1, "load_examples");
    }

    #[test]
    fn errors_name_the_line() {
        let e = DotEnv::parse_str("A=1\nnot a var\n", ".env").unwrap_err();
        assert_eq!(
            e.to_string(),
            ".env:2: `not a var` is not a variable name; expected `KEY=VALUE`"
        );
        let e = DotEnv::parse_str("A=\"open\n", ".env").unwrap_err();
        assert_eq!(e.to_string(), ".env:1: the quote \" is never closed");
    }
}
