//! Configuration read in code (`conf.get("core", "x")`) checked against what the target says
//! became of the option ([`crate::config_rules`]: its own options, deprecation maps and
//! Airflow 3's `airflow config lint` list, then the curated table); removed values of keyword
//! arguments (`trigger_rule="none_failed_or_skipped"`).

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
        let fallback = keyword("fallback").is_some() || (method == "get" && args.args.len() > 2);
        let probe = method == "has_option";
        let range = args.args.first().map(Ranged::range).unwrap_or(call.range());
        let text = format!("conf.{method}(\"{section}\", \"{key}\")");
        let target_config = self.ctx.index.and_then(|i| i.config.as_ref());
        let what = if probe {
            "returns False"
        } else if fallback {
            "returns the fallback"
        } else {
            "raises `AirflowConfigException`"
        };
        // The project sets the option itself: Airflow answers from that setting.
        let set_here = self
            .ctx
            .config_set
            .contains(&(section.clone(), key.clone()));
        let breaks = |s: Severity| {
            if probe || fallback || set_here {
                Severity::Warning
            } else {
                s
            }
        };
        let here = if set_here {
            "; the project sets it itself, so the read works only while that setting stays (SKY401)"
        } else {
            ""
        };
        let known = crate::config_rules::Known {
            info: target_config,
            target: &self.ctx.target,
        };
        match known.fate(&section, &key) {
            Some(crate::config_rules::Fate::Renamed {
                section: ns,
                key: nk,
                answered,
                since,
            }) => {
                let since = crate::config_rules::in_airflow(since);
                // `conf.get` answers an old name through the deprecation map (or while the
                // target still defines it), not through the scheduler's many-to-one reading.
                let answered = answered
                    && target_config.is_none_or(|c| {
                        c.has(&section, &key) || c.renamed(&section, &key).is_some()
                    });
                let (severity, message) = if answered {
                    (
                        Severity::Warning,
                        format!(
                            "`{text}`: [{section}] {key} was renamed{since}; the target (Airflow {}) still answers the old name, with a deprecation warning; read [{ns}] {nk} instead",
                            self.target()
                        ),
                    )
                } else {
                    (
                        breaks(Severity::Error),
                        format!(
                            "`{text}`: [{section}] {key} was renamed{since} to [{ns}] {nk}: in the target (Airflow {}) the old name {what}{here}; read [{ns}] {nk} instead",
                            self.target()
                        ),
                    )
                };
                self.push(
                    range.start(),
                    "SKY402",
                    severity,
                    message,
                    Some(format!("{ns}.{nk}")),
                );
                return;
            }
            Some(crate::config_rules::Fate::Removed {
                since,
                note,
                still_read,
            }) => {
                let since = crate::config_rules::in_airflow(since);
                let note = note.map(|n| format!("; {n}")).unwrap_or_default();
                let (severity, message) = if still_read {
                    (
                        Severity::Warning,
                        format!("`{text}`: [{section}] {key} is deprecated{since}{note}"),
                    )
                } else {
                    (
                        breaks(Severity::Error),
                        format!(
                            "`{text}`: [{section}] {key} was removed{since}: in the target (Airflow {}) it {what}{here}{note}",
                            self.target()
                        ),
                    )
                };
                self.push(range.start(), "SKY402", severity, message, None);
                return;
            }
            None => {}
        }
        let Some(config) = target_config else {
            return;
        };
        if set_here || config.has(&section, &key) {
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
