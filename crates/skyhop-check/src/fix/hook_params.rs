//! Calls of an operator whose import moves to an operator with other keywords: the
//! snowflake provider 6.0 removed `SnowflakeOperator` for `SQLExecuteQueryOperator`, which takes
//! `conn_id` for `snowflake_conn_id` and the hook's arguments in `hook_params`
//! (`SnowflakeOperator(warehouse="W", role="R")` →
//! `SQLExecuteQueryOperator(hook_params={"warehouse": "W", "role": "R"})`). `database` moves too:
//! `SQLExecuteQueryOperator(database=...)` would set a Snowflake hook's *schema*.
//!
//! The calls are rewritten together with the import, or neither is: nothing is made when the
//! name is used other than as a plain call, a call passes `**kwargs` or has `hook_params`
//! already, or an old keyword appears elsewhere in the module (`default_args`, `dict(role=...)`).

use ruff_python_ast::Expr;
use ruff_text_size::{Ranged, TextRange};

use super::Nodes;

const HOOK_PARAMS: &str = "hook_params";

/// Per moved operator (its old qualified name): its keywords and what each becomes (a keyword,
/// or [`HOOK_PARAMS`]).
const OPERATOR_KEYWORDS: &[(&str, &[(&str, &str)])] = &[(
    "airflow.providers.snowflake.operators.snowflake.SnowflakeOperator",
    &[
        ("snowflake_conn_id", "conn_id"),
        ("warehouse", HOOK_PARAMS),
        ("database", HOOK_PARAMS),
        ("role", HOOK_PARAMS),
        ("schema", HOOK_PARAMS),
        ("authenticator", HOOK_PARAMS),
        ("session_parameters", HOOK_PARAMS),
    ],
)];

/// What the calls of `bound` (the name the import of `old` binds) need when the import moves:
/// `Some(vec![])` when `old` keeps its keywords, `None` when the calls cannot all be rewritten
/// (then the import must not move either).
pub(super) fn call_edits(
    source: &str,
    nodes: &Nodes<'_>,
    old: &str,
    bound: &str,
) -> Option<Vec<(TextRange, String)>> {
    let Some((_, map)) = OPERATOR_KEYWORDS.iter().find(|(q, _)| *q == old) else {
        return Some(Vec::new());
    };
    let calls: Vec<_> = nodes
        .calls
        .iter()
        .filter(|c| matches!(&*c.func, Expr::Name(n) if n.id.as_str() == bound))
        .collect();
    // every use of the name is one of these calls
    let uses = nodes
        .names
        .iter()
        .filter(|n| n.id.as_str() == bound)
        .count();
    if uses != calls.len() {
        return None;
    }
    let mut edits = Vec::new();
    for call in calls {
        let keywords = &call.arguments.keywords;
        let mut moved = Vec::new();
        for k in keywords {
            let name = k.arg.as_ref()?.id.as_str(); // `**kwargs`: unknown keywords
            if name == HOOK_PARAMS {
                return None;
            }
            let Some(i) = map.iter().position(|(o, _)| *o == name) else {
                continue;
            };
            match map[i].1 {
                HOOK_PARAMS => moved.push(k),
                new => edits.push((k.arg.as_ref()?.range, new.to_string())),
            }
        }
        let Some(first) = moved.first() else {
            continue;
        };
        let entries: Vec<String> = moved
            .iter()
            .filter_map(|k| {
                let name = k.arg.as_ref()?.id.as_str();
                Some(format!("\"{name}\": {}", &source[k.value.range()]))
            })
            .collect();
        edits.push((
            first.range,
            format!("{HOOK_PARAMS}={{{}}}", entries.join(", ")),
        ));
        for k in &moved[1..] {
            edits.push((super::keyword_deletion(source, k)?, String::new()));
        }
    }
    // an old keyword given elsewhere (`default_args={"warehouse": ...}`, `dict(role=...)`)
    // would be left behind
    let is_old = |name: &str| map.iter().any(|(o, _)| *o == name);
    let elsewhere = nodes
        .calls
        .iter()
        .filter(|c| !matches!(&*c.func, Expr::Name(n) if n.id.as_str() == bound))
        .flat_map(|c| &c.arguments.keywords)
        .any(|k| k.arg.as_ref().is_some_and(|a| is_old(a.id.as_str())))
        || nodes.strings.iter().any(|r| {
            let text = source[*r].trim_matches(|c| c == '"' || c == '\'');
            is_old(text)
        });
    if elsewhere {
        return None;
    }
    let mut spans: Vec<TextRange> = edits.iter().map(|(r, _)| *r).collect();
    spans.sort_by_key(|r| r.start());
    if spans.windows(2).any(|w| w[0].end() > w[1].start()) {
        return None;
    }
    Some(edits)
}
