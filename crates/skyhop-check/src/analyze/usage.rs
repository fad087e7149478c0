//! Removed things reported where they are used, not only where they are imported: a removed
//! positional argument (`FabAuthManager(None)`: `appbuilder`) and a removed decorator with no
//! successor (`@apply_defaults`), as ruff's AIR301 reports them.

use super::*;

impl<'a> Analyzer<'a> {
    /// Positional arguments the curated table says were removed.
    pub(super) fn check_positional(&mut self, callee: &str, call: &'a ast::ExprCall) {
        for (i, arg) in call.arguments.args.iter().enumerate() {
            if matches!(arg, Expr::Starred(_)) {
                break; // later places are unknown
            }
            let Some(rule) = rules().positional_rule(callee, i) else {
                continue;
            };
            let Some(severity) = rule.range.severity(&self.ctx.target) else {
                continue;
            };
            let message = rule.message.clone().unwrap_or_else(|| {
                format!(
                    "argument `{}` was removed in Airflow {}",
                    rule.name,
                    rule.range.when(severity)
                )
            });
            self.push(arg.range().start(), &rule.rule, severity, message, None);
        }
    }

    /// A decorator whose name was removed with no successor: the decorator goes.
    pub(super) fn check_decorator(&mut self, qualified: &str, range: TextRange) {
        // Every decorator asks: one hash lookup (a removed decorator is a name of its own).
        let Some(rule) = rules().exact_name_rule(qualified) else {
            return;
        };
        // Only names gone with no successor (a moved name is fixed at its import; one that
        // still imports but breaks at run time is reported there).
        if rule.new.is_some() || rule.semantic {
            return;
        }
        let Some(Severity::Error) = rule.range.severity(&self.ctx.target) else {
            return;
        };
        let name = qualified.rsplit('.').next().unwrap_or(qualified);
        let why = rule.message.clone().unwrap_or_else(|| {
            format!(
                "`{name}` was removed in Airflow {}",
                rule.range.when(Severity::Error)
            )
        });
        self.push(
            range.start(),
            &rule.rule,
            Severity::Error,
            format!("`@{name}`: {why}"),
            None,
        );
    }
}
