//! Shell-like words of an instruction (quotes, the escape character) and `$VAR` / `${VAR}` /
//! `${VAR:-default}` expansion, keeping for every produced byte the original offset it came from.

use std::collections::HashMap;

use crate::text::Mapped;

/// Declared build arguments: name → default value (`None` when declared without one).
pub(crate) type Scope = HashMap<String, Option<Mapped>>;

/// Splits on whitespace outside quotes. Words keep their quotes and escapes.
pub(crate) fn split_words(s: &Mapped, escape: char) -> Vec<Mapped> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = s.text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if start.is_none() {
            if ch.is_whitespace() {
                continue;
            }
            start = Some(i);
        }
        match (quote, ch) {
            (None, c) if c.is_whitespace() => {
                words.push(s.slice(start.take().unwrap_or(i)..i));
            }
            (None, '\'' | '"') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), _) => {}
            (_, c) if c == escape => {
                chars.next();
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        words.push(s.slice(st..s.text.len()));
    }
    words
}

/// Removes quotes and escapes, leaving `$VAR` references as written.
pub(crate) fn unquote(word: &str, escape: char) -> String {
    let mut out = String::with_capacity(word.len());
    let mut quote: Option<char> = None;
    let mut chars = word.chars();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => out.push(c),
            (None, '\'' | '"') => quote = Some(ch),
            (_, c) if c == escape => out.extend(chars.next()),
            (_, c) => out.push(c),
        }
    }
    out
}

/// The result of expanding a word.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expanded {
    pub value: Mapped,
    /// Variables referenced.
    pub used: Vec<String>,
    /// Variables whose value was needed but that have no value.
    pub undefined: Vec<String>,
}

/// Removes quotes and escapes and substitutes variables from `scope`.
pub(crate) fn expand(word: &Mapped, scope: &Scope, escape: char) -> Expanded {
    let mut out = Expanded::default();
    expand_into(word, scope, escape, &mut out, 0);
    out
}

fn expand_into(word: &Mapped, scope: &Scope, escape: char, out: &mut Expanded, depth: usize) {
    let text = &word.text;
    let mut in_single = false;
    let mut in_double = false;
    let mut iter = text.char_indices().peekable();
    while let Some((i, ch)) = iter.next() {
        if in_single {
            if ch == '\'' {
                in_single = false;
            } else {
                out.value.push_char_from(word, i, ch);
            }
            continue;
        }
        if ch == escape {
            match iter.next() {
                Some((j, next)) => out.value.push_char_from(word, j, next),
                None => out.value.push_char_from(word, i, ch),
            }
            continue;
        }
        match ch {
            '\'' if !in_double => in_single = true,
            '"' => in_double = !in_double,
            '$' => match iter.peek().copied() {
                Some((_, '{')) => {
                    iter.next();
                    let open = i + 2;
                    let close = matching_brace(text, open);
                    let body = word.slice(open..close);
                    while iter.peek().is_some_and(|(j, _)| *j < close + 1) {
                        iter.next();
                    }
                    if depth < 8 {
                        braced(&body, scope, escape, out, depth);
                    }
                }
                Some((_, c)) if c.is_ascii_alphabetic() || c == '_' => {
                    let start = i + 1;
                    let mut end = start;
                    while let Some((j, c)) = iter.peek().copied() {
                        if c.is_ascii_alphanumeric() || c == '_' {
                            end = j + c.len_utf8();
                            iter.next();
                        } else {
                            break;
                        }
                    }
                    substitute(&text[start..end], scope, out);
                }
                _ => out.value.push_char_from(word, i, ch),
            },
            _ => out.value.push_char_from(word, i, ch),
        }
    }
}

/// Index of the `}` closing a `${` whose body starts at `open` (or the end of the text).
fn matching_brace(text: &str, open: usize) -> usize {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return i,
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    text.len()
}

/// `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`, `${NAME:?msg}`.
fn braced(body: &Mapped, scope: &Scope, escape: char, out: &mut Expanded, depth: usize) {
    let text = &body.text;
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let name = &text[..name_end];
    let rest = &text[name_end..];
    let value = lookup(name, scope, out);
    let set = value.is_some();
    let non_empty = value.as_ref().is_some_and(|v| !v.text.is_empty());
    let (op, word_start) =
        if rest.starts_with(":-") || rest.starts_with(":+") || rest.starts_with(":?") {
            (&rest[..2], name_end + 2)
        } else if rest.starts_with('-') || rest.starts_with('+') || rest.starts_with('?') {
            (&rest[..1], name_end + 1)
        } else {
            ("", name_end)
        };
    let word = body.slice(word_start..text.len());
    let use_word = |out: &mut Expanded| expand_into(&word, scope, escape, out, depth + 1);
    match op {
        ":-" if !non_empty => use_word(out),
        "-" if !set => use_word(out),
        ":+" if non_empty => use_word(out),
        "+" if set => use_word(out),
        ":+" | "+" => {}
        _ => match value {
            Some(v) => out.value.push_mapped(&v),
            None => out.undefined.push(name.to_string()),
        },
    }
}

fn substitute(name: &str, scope: &Scope, out: &mut Expanded) {
    match lookup(name, scope, out) {
        Some(v) => out.value.push_mapped(&v),
        None => out.undefined.push(name.to_string()),
    }
}

fn lookup(name: &str, scope: &Scope, out: &mut Expanded) -> Option<Mapped> {
    out.used.push(name.to_string());
    scope.get(name).cloned().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Mapped {
        let mut m = Mapped::default();
        m.push_original(s, 100);
        m
    }

    #[test]
    fn splits_respecting_quotes() {
        let words: Vec<String> = split_words(&m(r#"A="x y" B=z\ w  C"#), '\\')
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(words, vec![r#"A="x y""#, r"B=z\ w", "C"]);
    }

    #[test]
    fn expands_with_offsets() {
        let mut scope = Scope::new();
        let mut v = Mapped::default();
        v.push_original("11.3.0", 5);
        scope.insert("RT".into(), Some(v));
        scope.insert("EMPTY".into(), None);
        let e = expand(&m("repo:${RT}-base"), &scope, '\\');
        assert_eq!(e.value.text, "repo:11.3.0-base");
        assert_eq!(e.value.original_span(5..11), Some(5..11));
        assert_eq!(e.value.original_span(11..16), Some(110..115));
        let e = expand(&m("a:$EMPTY"), &scope, '\\');
        assert_eq!(e.undefined, vec!["EMPTY".to_string()]);
        let e = expand(&m("a:${NOPE:-1.0}"), &scope, '\\');
        assert_eq!(e.value.text, "a:1.0");
        assert!(e.undefined.is_empty());
        let e = expand(&m("'$RT'\"$RT\""), &scope, '\\');
        assert_eq!(e.value.text, "$RT11.3.0");
        let e = expand(&m("${RT:+x}${RT+}${NOPE+y}"), &scope, '\\');
        assert_eq!(e.value.text, "x");
    }
}
