//! What became of a configuration option in the target, decided in one place for the rules
//! on configuration set by the project (SKY401), read in code (SKY402), and default changes
//! (SKY403), and for their fixes.
//!
//! The target's own data comes first, taken from its environment by `introspect.py`: the
//! options its `config.yml` and its providers' `provider.yaml` define, its config parser's
//! deprecated-options, deprecated-sections and many-to-one maps (old names it still answers,
//! with a warning), its deprecated values, and on Airflow 3 the list `airflow config lint`
//! walks (`CONFIGS_CHANGES`: renames, removals, default changes, invalid values). The curated
//! table (`rules/config.json`) is used only for what the target cannot tell: options removed
//! before the target's list begins (Smart Sensors), whole sections renamed (`[kubernetes]`),
//! and every option when no index of the target is at hand (`skyhop check --no-env`).

use serde::{Deserialize, Serialize};
use skyhop_core::{Finding, Severity, Source};

use crate::analyze::Checked;
use crate::index::ConfigInfo;
use crate::rules::rules;
use crate::version::Version;
use crate::{CheckOptions, ConfigSetting};

/// One entry of Airflow 3's `CONFIGS_CHANGES` (`airflow config lint`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigChange {
    pub section: String,
    pub option: String,
    /// `renamed`, `removed`, `removed_if_equals`, `default`, `invalid`.
    pub kind: String,
    #[serde(default)]
    pub new_section: Option<String>,
    #[serde(default)]
    pub new_option: Option<String>,
    /// The value that is invalid (`invalid`) or that makes the option go (`removed_if_equals`).
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub old_default: Option<String>,
    #[serde(default)]
    pub new_default: Option<String>,
    #[serde(default)]
    pub suggestion: Option<String>,
    #[serde(default)]
    pub breaking: bool,
}

/// A value the target's config parser replaces, with a deprecation warning.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeprecatedValue {
    pub section: String,
    pub option: String,
    /// The old value, when the target matches it literally.
    #[serde(default)]
    pub literal: Option<String>,
    /// Else the target's regular expression.
    #[serde(default)]
    pub pattern: Option<String>,
    pub replacement: String,
    #[serde(default)]
    pub since: Option<String>,
}

impl DeprecatedValue {
    fn matches(&self, value: &str) -> bool {
        if let Some(l) = &self.literal {
            return l == value;
        }
        let Some(p) = &self.pattern else {
            return false;
        };
        // Python's `re.escape` of old versions escapes blanks and `/`, which Rust's regex
        // does not accept escaped.
        let p = p.replace("\\ ", " ").replace("\\/", "/");
        regex::Regex::new(&p).is_ok_and(|re| re.is_match(value))
    }
}

/// What became of `[section] key` in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Renamed or moved to `[section] key`. `answered`: the target still reads the old name
    /// (with a deprecation warning); else it ignores it.
    Renamed {
        section: String,
        key: String,
        answered: bool,
        since: Option<String>,
    },
    /// Gone, with no successor; `note` says what to do instead, when known.
    Removed {
        since: Option<String>,
        note: Option<String>,
        /// Deprecated in the target, still read (curated tables without a target index).
        still_read: bool,
    },
}

/// ` in Airflow 3.0` for a version, empty without one.
pub(crate) fn in_airflow(since: Option<String>) -> String {
    since
        .map(|v| format!(" in Airflow {v}"))
        .unwrap_or_default()
}

/// The target's configuration knowledge: its index (when there is one) and version.
pub(crate) struct Known<'a> {
    pub info: Option<&'a ConfigInfo>,
    pub target: &'a Version,
}

impl Known<'_> {
    /// Whether the target defines `[section] key` itself.
    pub fn defines(&self, section: &str, key: &str) -> bool {
        self.info.is_some_and(|i| i.has(section, key))
    }

    /// What became of `[section] key` in the target; `None` when it is fine (or unknown).
    pub fn fate(&self, section: &str, key: &str) -> Option<Fate> {
        if let Some(info) = self.info {
            if let Some(d) = info.renamed(section, key) {
                return Some(Fate::Renamed {
                    section: d.new_section.clone(),
                    key: d.new_key.clone(),
                    answered: true,
                    since: d.since.clone(),
                });
            }
            if let Some(d) = info
                .many_to_one
                .iter()
                .find(|d| d.section == section && d.key == key)
            {
                // The scheduler still honours these old names, with a warning.
                return Some(Fate::Renamed {
                    section: d.new_section.clone(),
                    key: d.new_key.clone(),
                    answered: true,
                    since: d.since.clone(),
                });
            }
            if info.has(section, key) {
                return None;
            }
            for c in info
                .changes
                .iter()
                .filter(|c| c.section == section && c.option == key)
            {
                match (c.kind.as_str(), &c.new_section, &c.new_option) {
                    ("renamed", Some(ns), Some(no)) => {
                        return Some(Fate::Renamed {
                            section: ns.clone(),
                            key: no.clone(),
                            answered: false,
                            since: Some("3.0".into()),
                        });
                    }
                    ("removed", ..) => {
                        return Some(Fate::Removed {
                            since: Some("3.0".into()),
                            note: c.suggestion.clone(),
                            still_read: false,
                        });
                    }
                    _ => {}
                }
            }
        }
        // What the target cannot tell.
        let rule = rules()
            .config
            .iter()
            .find(|c| c.section == section && (c.key == key || c.key == "*"))?;
        let severity = rule.range.severity(self.target)?;
        if self.info.is_some() && severity != Severity::Error {
            return None; // a deprecation the target does not list: it still reads it
        }
        let answered = severity != Severity::Error;
        let since = Some(rule.range.when(severity).to_string());
        match (&rule.new_section, &rule.new_key) {
            (Some(ns), Some(nk)) => Some(Fate::Renamed {
                section: ns.clone(),
                key: if nk == "*" {
                    key.to_string()
                } else {
                    nk.clone()
                },
                answered,
                since,
            }),
            _ => Some(Fate::Removed {
                since,
                note: rule.message.clone(),
                still_read: answered,
            }),
        }
    }

    /// The target's own list entries about values of `[section] key`.
    fn changes(&self, section: &str, key: &str) -> impl Iterator<Item = &ConfigChange> {
        self.info
            .into_iter()
            .flat_map(|i| i.changes.iter())
            .filter(move |c| c.section == section && c.option == key)
    }
}

/// What a fix of a SKY401 finding does to the setting it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFix {
    /// The setting, as the project reported it.
    pub setting: ConfigSetting,
    /// Rename (safe: the target reads the same value under the new name) or remove (unsafe:
    /// it takes out a line the user wrote).
    pub edit: skyhop_project::ConfigEdit,
    pub safe: bool,
}

/// `_cmd` / `_secret` variants: (option, suffix) when `key` is one and its option is not
/// itself an option of that name.
fn split_suffix<'k>(known: &Known<'_>, section: &str, key: &'k str) -> (&'k str, &'k str) {
    for suffix in ["_cmd", "_secret"] {
        if let Some(base) = key.strip_suffix(suffix)
            && !known.defines(section, key)
            && known.fate(section, key).is_none()
        {
            return (base, suffix);
        }
    }
    (key, "")
}

/// SKY401 (and value) findings on the project's settings, each with the fix it carries.
pub(crate) fn set_findings(
    settings: &[ConfigSetting],
    info: Option<&ConfigInfo>,
    target: &Version,
    target_text: &str,
) -> Vec<(Checked, Option<ConfigFix>)> {
    let known = Known { info, target };
    let mut out = Vec::new();
    for s in settings {
        let (key, suffix) = split_suffix(&known, &s.section, &s.key);
        let section = s.section.as_str();
        let finding = |severity: Severity, message: String, replacement: Option<String>| Checked {
            finding: Finding {
                path: s.file.clone(),
                line: s.line as u32,
                column: s.column as u32,
                rule: "SKY401".into(),
                severity,
                message,
                replacement,
                source: Source::Check,
                related: Vec::new(),
                facts: Default::default(),
            },
            at_import: false,
        };
        let shown = format!("`{}` ([{section}] {})", s.name, s.key);
        match known.fate(section, key) {
            Some(Fate::Renamed {
                section: ns,
                key: nk,
                answered,
                since,
            }) => {
                let new_key = format!("{nk}{suffix}");
                let new = s.source.spelling(&ns, &new_key);
                let since = in_airflow(since);
                // the new option set too: renaming would set it twice
                let twin = settings.iter().find(|o| {
                    o.source == s.source && o.file == s.file && o.section == ns && o.key == new_key
                });
                let (severity, what) = if answered {
                    (
                        Severity::Warning,
                        format!(
                            "{shown} was renamed{since}: the target (Airflow {target_text}) still reads it as [{ns}] {nk}, with a deprecation warning"
                        ),
                    )
                } else {
                    (
                        Severity::Error,
                        format!(
                            "{shown} was renamed{since} to [{ns}] {nk}: the target (Airflow {target_text}) ignores the old name, so the setting no longer applies"
                        ),
                    )
                };
                match twin {
                    None => out.push((
                        finding(severity, format!("{what}; set `{new}` instead"), Some(new)),
                        Some(ConfigFix {
                            setting: s.clone(),
                            edit: skyhop_project::ConfigEdit::Rename {
                                section: ns.clone(),
                                key: new_key.clone(),
                            },
                            safe: true,
                        }),
                    )),
                    Some(t) => out.push((
                        finding(
                            Severity::Warning,
                            format!(
                                "{what}; `{new}` is set too ({}:{}), so this one only adds confusion: remove it",
                                t.file, t.line
                            ),
                            None,
                        ),
                        Some(ConfigFix {
                            setting: s.clone(),
                            edit: skyhop_project::ConfigEdit::Remove,
                            safe: false,
                        }),
                    )),
                }
                continue;
            }
            Some(Fate::Removed {
                since,
                note,
                still_read,
            }) => {
                let since = in_airflow(since);
                let note = note.map(|n| format!(". {n}")).unwrap_or_default();
                let message = if still_read {
                    format!(
                        "{shown} is deprecated{since} and goes away with no successor; remove it when the target no longer needs it{note}"
                    )
                } else {
                    format!(
                        "{shown} was removed{since}: the setting has no effect in the target (Airflow {target_text}); remove it{note}"
                    )
                };
                out.push((
                    finding(Severity::Warning, message, None),
                    (!still_read).then(|| ConfigFix {
                        setting: s.clone(),
                        edit: skyhop_project::ConfigEdit::Remove,
                        safe: false,
                    }),
                ));
                continue;
            }
            None => {}
        }
        // Values the target rejects or replaces.
        let Some(value) = s.value.as_deref() else {
            continue;
        };
        let mut reported = false;
        for c in known.changes(section, key) {
            if c.value.as_deref() != Some(value) {
                continue;
            }
            let note = c
                .suggestion
                .as_deref()
                .map(|n| format!(". {n}"))
                .unwrap_or_default();
            match c.kind.as_str() {
                "invalid" => out.push((
                    finding(
                        Severity::Warning,
                        format!(
                            "{shown} = `{value}` is invalid in Airflow 3 (the target's `airflow config lint` says so){note}"
                        ),
                        None,
                    ),
                    None,
                )),
                "removed_if_equals" => out.push((
                    finding(
                        Severity::Warning,
                        format!(
                            "{shown} = `{value}`: Airflow 3 no longer takes this value (`airflow config update` removes the setting, and the target's default applies); remove it{note}"
                        ),
                        None,
                    ),
                    Some(ConfigFix {
                        setting: s.clone(),
                        edit: skyhop_project::ConfigEdit::Remove,
                        safe: false,
                    }),
                )),
                _ => continue,
            }
            reported = true;
            break;
        }
        if reported {
            continue;
        }
        if let Some(v) = info
            .into_iter()
            .flat_map(|i| i.values.iter())
            .find(|v| v.section == section && v.option == key && v.matches(value))
        {
            out.push((
                finding(
                    Severity::Warning,
                    format!(
                        "{shown} = `{value}`: the target (Airflow {target_text}) replaces this value by `{}`, with a deprecation warning; set that instead",
                        v.replacement
                    ),
                    Some(v.replacement.clone()),
                ),
                None,
            ));
        }
    }
    out
}

/// Behaviour the target changes by default (SKY403): one finding per default the project
/// relies on (it does not set the option), when the upgrade crosses into the target's list.
pub(crate) fn default_findings(opts: &CheckOptions, info: Option<&ConfigInfo>) -> Vec<Checked> {
    let Some(info) = info else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in info.changes.iter().filter(|c| c.kind == "default") {
        let set = opts.config_env.iter().any(|s| {
            s.section == c.section
                && (s.key == c.option
                    || s.key.strip_suffix("_cmd") == Some(&c.option)
                    || s.key.strip_suffix("_secret") == Some(&c.option))
        });
        if set {
            continue;
        }
        let old = c.old_default.as_deref().unwrap_or("?");
        let new = c.new_default.as_deref().unwrap_or("?");
        let curated = rules()
            .config_defaults
            .iter()
            .find(|d| d.section == c.section && d.option == c.option);
        let env = skyhop_project::env_name(&c.section, &c.option);
        let mut message = format!(
            "[{}] {} changed its default from `{old}` to `{new}` in Airflow 3.0 and the project does not set it",
            c.section, c.option
        );
        if let Some(d) = curated {
            message.push_str(&format!(": {}", d.effect));
        }
        let keep = curated
            .and_then(|d| d.keep.clone())
            .unwrap_or_else(|| old.to_string());
        let setting = format!("{env}={keep}");
        match curated {
            Some(d) => message.push_str(&format!(". {}", d.advice.replace("{setting}", &setting))),
            None => message.push_str(&format!(". To keep today's behaviour set `{setting}`")),
        }
        let (path, line) = opts.config_home.clone().unwrap_or_default();
        out.push(Checked {
            finding: Finding {
                path,
                line,
                column: 0,
                rule: "SKY403".into(),
                severity: if curated.is_some_and(|d| d.info) {
                    Severity::Info
                } else {
                    Severity::Warning
                },
                message,
                replacement: Some(setting),
                source: Source::Check,
                related: Vec::new(),
                facts: Default::default(),
            },
            at_import: false,
        });
    }
    out
}
