//! The unsafe fix of a task-function parameter named after a removed context key
//! (`def _summarize(execution_date, **kwargs)`): the parameter and every use of it in the
//! function's body are renamed to the key's replacement (`logical_date`). Airflow passes
//! context values by parameter name, so the function receives the new key instead; it is
//! unsafe because the new value may differ (Airflow 3's `logical_date` is `None` for a run
//! without one).
//!
//! Nothing is renamed where the rename could change which variable a name means: when the
//! function's text already holds the new name, when a nested function or lambda has a
//! parameter of the old name, when a `global`/`nonlocal` names it, or when the module calls
//! the function with the old name as a keyword.

use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::Nodes;

/// The edits renaming the parameter whose name starts at `at` to `new`, and every name of it
/// in its function's body; `None` when `at` is no function's parameter or the rename is not
/// sure to keep each name meaning the same variable.
pub(super) fn parameter_rename(
    source: &str,
    nodes: &Nodes<'_>,
    at: TextSize,
    new: &str,
) -> Option<Vec<(TextRange, String)>> {
    let function = nodes.functions.iter().find(|f| {
        f.parameters
            .iter()
            .any(|p| p.name().range.start() == at && !p.is_variadic())
    })?;
    let param = function
        .parameters
        .iter()
        .find(|p| p.name().range.start() == at)?
        .name();
    let old = param.id.as_str();
    let body = TextRange::new(function.body.first()?.start(), function.body.last()?.end());
    // the new name anywhere in the function (a parameter, a local, a global read): taken
    if has_word(&source[function.range], new) {
        return None;
    }
    let inside = |r: TextRange| body.contains_range(r);
    let nested_rebinds = nodes
        .functions
        .iter()
        .filter(|f| !std::ptr::eq(**f, *function) && inside(f.range))
        .any(|f| f.parameters.includes(old))
        || nodes
            .lambdas
            .iter()
            .any(|(r, p)| inside(*r) && p.includes(old))
        || nodes.declared.iter().any(|(r, n)| *n == old && inside(*r));
    if nested_rebinds {
        return None;
    }
    let fname = function.name.id.as_str();
    let called_by_keyword = nodes.calls.iter().any(|c| {
        matches!(&*c.func, Expr::Name(n) if n.id.as_str() == fname)
            && c.arguments
                .keywords
                .iter()
                .any(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == old))
    });
    if called_by_keyword {
        return None;
    }
    let mut edits = vec![(param.range, new.to_string())];
    edits.extend(
        nodes
            .names
            .iter()
            .filter(|n| n.id.as_str() == old && inside(n.range))
            .map(|n| (n.range, new.to_string())),
    );
    Some(edits)
}

/// Whether `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(is_ident)
            && !text[i + word.len()..].chars().next().is_some_and(is_ident)
    })
}
