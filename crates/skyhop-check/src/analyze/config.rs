//! Configuration read in code (`conf.get("core", "x")`) checked against the target's own
//! configuration and the curated table of renamed and removed options; removed values of
//! keyword arguments (`trigger_rule="none_failed_or_skipped"`).

use super::*;

/// Objects whose methods read the configuration.
const CONF_OBJECTS: &[&str] = &[
    "airflow.configuration.conf",
    "airflow.configuration",
    "airflow.sdk.conf",
    "airflow.sdk.configuration.conf",
    "airflow.settings.conf",
];

/// Methods that read one option.
const CONF_METHODS: &[&str] = &[
    "get",
    "getboolean",
    "getint",
    "getfloat",
    "getlist",
    "getjson",
    "getimport",
    "gettimedelta",
    "getenum",
    "getenumlist",
    "get_mandatory_value",
    "get_mandatory_list_value",
    "has_option",
];

fn literal(expr: Option<&Expr>) -> Option<String> {
    match expr? {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_lowercase()),
        _ => None,
    }
}

impl<'a> Analyzer<'a> {
    pub(super) fn check_config_read(&mut self, callee: &str, call: &'a ast::ExprCall) {
        let Some((object, method)) = callee.rsplit_once('.') else {
            return;
        };
        if !CONF_OBJECTS.contains(&object) || !CONF_METHODS.contains(&method) {
            return;
        }
        let args = &call.arguments;
        let keyword = |name: &str| {
            args.keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
                .map(|k| &k.value)
        };
        let (Some(section), Some(key)) = (
            literal(args.args.first().or(keyword("section"))),
            literal(args.args.get(1).or(keyword("key"))),
        ) else {
            return;
        };
        if self
            .ctx
            .config_set
            .contains(&(section.clone(), key.clone()))
        {
            return;
        }
        let fallback = keyword("fallback").is_some() || (method == "get" && args.args.len() > 2);
        let probe = method == "has_option";
        let range = args.args.first().map(Ranged::range).unwrap_or(call.range());
        let text = format!("conf.{method}(\"{section}\", \"{key}\")");
        let target_config = self.ctx.index.and_then(|i| i.config.as_ref());
        let in_target = target_config.map(|c| c.has(&section, &key));
        let what = if probe {
            "returns False"
        } else if fallback {
            "returns the fallback"
        } else {
            "raises `AirflowConfigException`"
        };
        let breaks = |s: Severity| {
            if probe || fallback {
                Severity::Warning
            } else {
                s
            }
        };
        // The curated table first: it knows where the option went.
        let curated = rules()
            .config
            .iter()
            .find(|c| c.section == section && (c.key == key || c.key == "*"));
        if let Some(rule) = curated
            && in_target != Some(true)
            && let Some(severity) = rule.range.severity(&self.ctx.target)
        {
            let renamed = target_config.and_then(|c| c.renamed(&section, &key));
            let mut message = match (severity, renamed) {
                (Severity::Error, None) => format!(
                    "`{text}`: [{section}] {key} was removed in Airflow {}: in the target it {what}",
                    rule.range.when(Severity::Error)
                ),
                (Severity::Error, Some(_)) => format!(
                    "`{text}`: [{section}] {key} was renamed in Airflow {}; the target still answers the old name, with a deprecation warning",
                    rule.range.when(Severity::Error)
                ),
                (s, _) => format!(
                    "`{text}`: [{section}] {key} is deprecated since Airflow {}",
                    rule.range.when(s)
                ),
            };
            let severity = match (severity, renamed) {
                (Severity::Error, None) => breaks(Severity::Error),
                _ => Severity::Warning,
            };
            let replacement = match (&rule.new_section, &rule.new_key) {
                (Some(ns), Some(nk)) => {
                    let nk = if nk == "*" { key.as_str() } else { nk.as_str() };
                    message.push_str(&format!("; read [{ns}] {nk} instead"));
                    Some(format!("{ns}.{nk}"))
                }
                _ => {
                    if let Some(m) = &rule.message {
                        message.push_str(&format!("; {m}"));
                    }
                    None
                }
            };
            self.push(range.start(), "SKY402", severity, message, replacement);
            return;
        }
        let Some(config) = target_config else {
            return;
        };
        if in_target == Some(true) {
            return;
        }
        if let Some(d) = config.renamed(&section, &key) {
            let since = d
                .since
                .as_deref()
                .map(|v| format!(" since Airflow {v}"))
                .unwrap_or_default();
            self.push(
                range.start(),
                "SKY402",
                Severity::Warning,
                format!(
                    "`{text}`: [{section}] {key} is deprecated{since} in the target (Airflow {}); read [{}] {} instead",
                    self.target(),
                    d.new_section,
                    d.new_key
                ),
                Some(format!("{}.{}", d.new_section, d.new_key)),
            );
            return;
        }
        // A section the target does not know is the project's own: set in airflow.cfg.
        if !config.options.contains_key(&section) {
            return;
        }
        self.push(
            range.start(),
            "SKY402",
            breaks(Severity::Error),
            format!(
                "`{text}`: the target (Airflow {}) has no option [{section}] {key}: it {what} unless `AIRFLOW__{}__{}` is set",
                self.target(),
                section.to_uppercase(),
                key.to_uppercase()
            ),
            None,
        );
    }

    /// Removed values spelled as enum attributes (`TriggerRule.NONE_FAILED_OR_SKIPPED`).
    pub(super) fn check_value_attribute(&mut self, qualname: &str, range: TextRange) {
        if !qualname.starts_with("airflow.") {
            return;
        }
        let Some(rule) = rules().values.iter().find(|v| {
            v.attribute
                .as_deref()
                .is_some_and(|a| qualname.strip_suffix(a).is_some_and(|p| p.ends_with('.')))
        }) else {
            return;
        };
        let Some(severity) = rule.range.severity(&self.ctx.target) else {
            return;
        };
        let attribute = rule.attribute.as_deref().unwrap_or_default();
        let mut message = format!(
            "`{attribute}` ({}=\"{}\") {} Airflow {}",
            rule.argument,
            rule.value,
            if severity == Severity::Error {
                "was removed in"
            } else {
                "is deprecated since"
            },
            rule.range.when(severity)
        );
        if let Some(new) = &rule.new {
            message.push_str(&format!("; use `{}=\"{new}\"`", rule.argument));
        }
        self.reported.insert(qualname.to_string());
        self.push(range.start(), "SKY311", severity, message, None);
    }

    /// Removed values of keyword arguments (`trigger_rule="none_failed_or_skipped"`).
    pub(super) fn check_values(&mut self, call: &'a ast::ExprCall) {
        for kw in &call.arguments.keywords {
            let Some(arg) = &kw.arg else {
                continue;
            };
            let Expr::StringLiteral(s) = &kw.value else {
                continue;
            };
            let value = s.value.to_str();
            let Some(rule) = rules()
                .values
                .iter()
                .find(|v| v.argument == arg.id.as_str() && v.value == value)
            else {
                continue;
            };
            let Some(severity) = rule.range.severity(&self.ctx.target) else {
                continue;
            };
            let verb = if severity == Severity::Error {
                "was removed in"
            } else {
                "is deprecated since"
            };
            let mut message = format!(
                "`{}=\"{value}\"` {verb} Airflow {}",
                rule.argument,
                rule.range.when(severity)
            );
            if let Some(new) = &rule.new {
                message.push_str(&format!("; use `{}=\"{new}\"`", rule.argument));
            }
            self.push(
                s.range.start(),
                "SKY311",
                severity,
                message,
                rule.new.clone(),
            );
        }
    }
}
