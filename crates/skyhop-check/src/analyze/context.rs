//! Removed template-context keys: `context["key"]`, `kwargs.get("key")`, task parameters and
//! Jinja template strings.

use super::*;

impl<'a> Analyzer<'a> {
    pub(super) fn context_key(&mut self, key: &str, range: TextRange) {
        let Some(entry) = rules().context_keys.iter().find(|k| k.key == key) else {
            return;
        };
        let Some(severity) = entry.range.severity(&self.ctx.target) else {
            return;
        };
        let mut message = format!(
            "context key `{key}` was {} in Airflow {}",
            if severity == Severity::Error {
                "removed"
            } else {
                "deprecated"
            },
            entry.range.when(severity)
        );
        if let Some(new) = &entry.new {
            message.push_str(&format!("; use `{new}`"));
        }
        // Rendering happens when the task runs.
        let depth = self.function_depth;
        self.function_depth = depth.max(1);
        self.push(range.start(), "SKY301", severity, message, None);
        self.function_depth = depth;
    }

    pub(super) fn scan_template(&mut self, literal: &ast::ExprStringLiteral) {
        let range = literal.range;
        let text = &self.source[range.start().to_usize()..range.end().to_usize()];
        if !has_block(text) {
            return;
        }
        // `{{ ... }}` and `{% ... %}` blocks, scanned by hand: compiling a Unicode regex for
        // this cost more than the scan itself on large corpora.
        let mut hits = Vec::new();
        let mut at = 0;
        while let Some((start, close)) = next_block(text, at) {
            let Some(len) = text[start + 2..].find(close) else {
                at = start + 2;
                continue;
            };
            let inner_start = start;
            let inner = &text[start..start + 2 + len + 2];
            for (i, word) in identifiers(inner) {
                let before = inner[..i].trim_end();
                if before.ends_with('.') || before.ends_with('\'') || before.ends_with('"') {
                    continue;
                }
                let offset =
                    range.start() + TextSize::try_from(inner_start + i).unwrap_or_default();
                hits.push((
                    word.to_string(),
                    TextRange::at(offset, TextSize::try_from(word.len()).unwrap_or_default()),
                ));
            }
            at = start + 2 + len + 2;
        }
        for (key, r) in hits {
            self.context_key(&key, r);
        }
    }
}

/// Whether `text` has a `{{` or `{%` (most string literals have no `{` at all: one memchr).
fn has_block(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find('{') {
        let at = from + i;
        if matches!(bytes.get(at + 1), Some(b'{' | b'%')) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The next `{{` or `{%` at or after `from`, with the closing delimiter to look for.
fn next_block(text: &str, from: usize) -> Option<(usize, &'static str)> {
    let rest = text.get(from..)?;
    let expr = rest.find("{{").map(|i| (i, "}}"));
    let stmt = rest.find("{%").map(|i| (i, "%}"));
    let (i, close) = match (expr, stmt) {
        (Some(a), Some(b)) => {
            if a.0 <= b.0 {
                a
            } else {
                b
            }
        }
        (a, b) => a.or(b)?,
    };
    Some((from + i, close))
}

/// ASCII identifiers (`[A-Za-z_][A-Za-z0-9_]*`) in `text`, with their byte offsets.
fn identifiers(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((start, &text[start..i]));
        } else {
            i += 1;
        }
    }
    out
}
