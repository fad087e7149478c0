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
        if !text.contains("{{") && !text.contains("{%") {
            return;
        }
        static BLOCK: OnceLock<Regex> = OnceLock::new();
        static IDENT: OnceLock<Regex> = OnceLock::new();
        let block = BLOCK.get_or_init(|| Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}").expect("regex"));
        let ident = IDENT.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("regex"));
        let mut hits = Vec::new();
        for b in block.find_iter(text) {
            let inner = b.as_str();
            for m in ident.find_iter(inner) {
                let before = inner[..m.start()].trim_end();
                if before.ends_with('.') || before.ends_with('\'') || before.ends_with('"') {
                    continue;
                }
                let offset =
                    range.start() + TextSize::try_from(b.start() + m.start()).unwrap_or_default();
                hits.push((
                    m.as_str().to_string(),
                    TextRange::at(offset, TextSize::try_from(m.len()).unwrap_or_default()),
                ));
            }
        }
        for (key, r) in hits {
            self.context_key(&key, r);
        }
    }
}
