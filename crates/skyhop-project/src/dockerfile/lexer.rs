//! Physical lines → instructions, the way BuildKit's Dockerfile parser does it: parser directives
//! (`# syntax=`, `# escape=`, `# check=`) at the very top, comments, line continuations with the
//! escape character, empty continuation lines, and heredocs (`RUN <<EOF` … `EOF`) whose bodies are
//! skipped. Every instruction keeps a byte map back to the original text.

use std::ops::Range;

use super::ErrorKind;
use crate::text::{Mapped, physical_lines};

/// Instructions BuildKit knows.
const KNOWN: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One instruction of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The instruction word, upper-cased (`FROM`, `RUN`...).
    pub keyword: String,
    /// 1-based line where the instruction starts.
    pub line: usize,
    /// 1-based line where it ends (continuations and heredoc bodies included).
    pub end_line: usize,
    /// Byte span in the original text, from the keyword to the end of its last line (line
    /// ending excluded).
    pub span: Range<usize>,
    /// Everything after the keyword, continuations joined, comments removed.
    pub(crate) args: Mapped,
}

impl Instruction {
    /// The arguments as one logical line (continuations joined, interior comment lines removed).
    pub fn args(&self) -> &str {
        &self.args.text
    }
}

/// Parser directives found at the top of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `# syntax=` value.
    pub syntax: Option<String>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
    /// `# check=` value.
    pub check: Option<String>,
}

/// What the lexer found, or the first problem with its 1-based line.
pub(crate) type LexResult = Result<(Directives, Vec<Instruction>), (usize, ErrorKind)>;

pub(crate) fn lex(text: &str) -> LexResult {
    let lines = physical_lines(text);
    let mut directives = Directives {
        escape: '\\',
        ..Directives::default()
    };
    let mut i = 0;
    // A UTF-8 byte order mark is skipped, as BuildKit does.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };

    // Parser directives: only at the very top, before any comment, blank line or instruction.
    let mut seen_escape = false;
    while i < lines.len() {
        let (start, content) = lines[i];
        let content = if start == 0 { &content[bom..] } else { content };
        let Some((key, value)) = directive(content) else {
            break;
        };
        match key.to_ascii_lowercase().as_str() {
            "escape" => {
                if seen_escape {
                    return Err((i + 1, ErrorKind::DuplicateDirective("escape".into())));
                }
                seen_escape = true;
                directives.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    other => return Err((i + 1, ErrorKind::BadEscape(other.to_string()))),
                };
            }
            "syntax" => directives.syntax = Some(value.to_string()),
            "check" => directives.check = Some(value.to_string()),
            // Any other `# key=value` is a plain comment, and ends the directives.
            _ => break,
        }
        i += 1;
    }

    let escape = directives.escape;
    let mut out = Vec::new();
    while i < lines.len() {
        let (start, content) = lines[i];
        let (start, content) = if start == 0 {
            (bom, &content[bom..])
        } else {
            (start, content)
        };
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let first_line = i;
        let lead = content.len() - trimmed.len();
        let mut logical = Mapped::default();
        logical.push_original(trimmed, start + lead);
        let mut end = start + content.len();
        let mut continues = strip_continuation(&mut logical, escape);
        i += 1;
        while continues && i < lines.len() {
            let (s, c) = lines[i];
            i += 1;
            let t = c.trim_start();
            // Comment lines and empty lines inside a continuation are dropped.
            if t.starts_with('#') || t.is_empty() {
                continue;
            }
            logical.push_original(c, s);
            end = s + c.len();
            continues = strip_continuation(&mut logical, escape);
        }

        let word_end = logical
            .text
            .find(|c: char| c.is_whitespace())
            .unwrap_or(logical.text.len());
        let keyword = logical.text[..word_end].to_ascii_uppercase();
        if !KNOWN.contains(&keyword.as_str()) {
            let word: String = logical.text[..word_end].chars().take(40).collect();
            return Err((first_line + 1, ErrorKind::UnknownInstruction(word)));
        }
        let args = logical.slice(word_end..logical.text.len()).trim();

        // Heredoc bodies follow the instruction line; they are content, never instructions.
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (name, strip_tabs) in heredocs(&args.text) {
                let mut closed = false;
                while i < lines.len() {
                    let (s, c) = lines[i];
                    i += 1;
                    end = s + c.len();
                    let body = if strip_tabs {
                        c.trim_start_matches('\t')
                    } else {
                        c
                    };
                    if body == name {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err((first_line + 1, ErrorKind::UnterminatedHeredoc(name)));
                }
            }
        }

        out.push(Instruction {
            keyword,
            line: first_line + 1,
            end_line: i.max(first_line + 1),
            span: logical.map.first().copied().flatten().unwrap_or(start)..end,
            args,
        });
    }
    Ok((directives, out))
}

/// `# key=value` at the top of a file.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let eq = rest.find('=')?;
    let key = rest[..eq].trim_end();
    let mut chars = key.chars();
    if !chars.next()?.is_ascii_alphabetic() || !chars.all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value = rest[eq + 1..].trim();
    if value.is_empty() {
        return None;
    }
    Some((key, value))
}

/// Removes a trailing escape character (plus trailing blanks) and says whether there was one.
fn strip_continuation(logical: &mut Mapped, escape: char) -> bool {
    let trimmed = logical.text.trim_end_matches([' ', '\t']);
    if let Some(before) = trimmed.strip_suffix(escape) {
        let keep = before.len();
        logical.text.truncate(keep);
        logical.map.truncate(keep);
        true
    } else {
        false
    }
}

/// Heredoc words (`<<EOF`, `<<-"EOF"`, `3<<'X'`) of an instruction's arguments, in order, with
/// whether leading tabs are stripped from their body lines.
fn heredocs(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for word in args.split_whitespace() {
        let w = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = w.strip_prefix("<<") else {
            continue;
        };
        let (strip, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name: String = rest.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
        if !name.is_empty()
            && !name.contains('<')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            out.push((name, strip));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(text: &str) -> Vec<(String, usize, String)> {
        lex(text)
            .unwrap()
            .1
            .into_iter()
            .map(|i| (i.keyword.clone(), i.line, i.args.text.clone()))
            .collect()
    }

    #[test]
    fn continuations_comments_and_case() {
        let text = "# syntax=docker/dockerfile:1\nfrom a:1 \\\n  # inner comment\n\n  AS b\nrun echo \\  \n hi\n";
        assert_eq!(
            kw(text),
            vec![
                ("FROM".into(), 2, "a:1   AS b".into()),
                ("RUN".into(), 6, "echo  hi".into())
            ]
        );
        let (d, _) = lex(text).unwrap();
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
    }

    #[test]
    fn escape_directive_and_heredocs() {
        let text = "# escape=`\nFROM a:1 `\n AS b\nRUN <<EOF\nFROM not:this\nEOF\nRUN <<-X cat\n\tFROM neither\n\tX\nENV A=1\n";
        let got = kw(text);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].2, "a:1  AS b");
        assert_eq!(got[3], ("ENV".into(), 10, "A=1".into()));
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("FROM a\nRUN <<EOF\nx\n").unwrap_err(),
            (2, ErrorKind::UnterminatedHeredoc("EOF".into()))
        );
        assert_eq!(
            lex("FORM a\n").unwrap_err(),
            (1, ErrorKind::UnknownInstruction("FORM".into()))
        );
        assert_eq!(
            lex("# escape=x\nFROM a\n").unwrap_err(),
            (1, ErrorKind::BadEscape("x".into()))
        );
    }

    #[test]
    fn crlf_and_bom() {
        let got = kw("\u{feff}FROM a:1 \\\r\n AS b\r\nRUN x\r\n");
        assert_eq!(got[0].2, "a:1  AS b");
        assert_eq!(got[1], ("RUN".into(), 3, "x".into()));
    }
}
