//! Curated rules as data: the JSON tables under `rules/`, embedded at build time, their docs,
//! and the version ranges that decide what fires for a target (and current) Airflow version.

use std::collections::HashMap;
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use serde::{Deserialize, Serialize};
use skyhop_core::Severity;

use crate::version::Version;

/// Documentation of one rule, shown by `skyhop rule CODE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDoc {
    /// Stable code, e.g. `SKY301`.
    pub code: String,
    /// Short kebab-case name.
    pub name: String,
    /// One line.
    pub summary: String,
    /// What it does.
    pub what: String,
    /// Why it breaks.
    pub why: String,
    /// Example of code it reports.
    pub example: String,
    /// Use instead.
    pub use_instead: String,
    /// Applies to versions.
    pub versions: String,
}

impl RuleDoc {
    /// The doc as Markdown with the sections *What it does / Why it breaks / Example /
    /// Use instead / Applies to versions*.
    pub fn to_markdown(&self) -> String {
        format!(
            "# {} ({})\n\n{}\n\n## What it does\n{}\n\n## Why it breaks\n{}\n\n## Example\n```python\n{}\n```\n\n## Use instead\n{}\n\n## Applies to versions\n{}\n",
            self.code,
            self.name,
            self.summary,
            self.what,
            self.why,
            self.example,
            self.use_instead,
            self.versions
        )
    }
}

/// Versions where a table entry applies.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Range {
    /// First version that warns about it.
    #[serde(default)]
    pub deprecated: Option<String>,
    /// First version where it breaks.
    #[serde(default)]
    pub removed: Option<String>,
    /// `removed` and `deprecated` parsed, on first use (checks ask for every use of a name).
    #[serde(skip)]
    parsed: OnceLock<(Option<Version>, Option<Version>)>,
}

impl Range {
    /// Severity for a target version: error once removed, warning once deprecated, else none.
    pub fn severity(&self, target: &Version) -> Option<Severity> {
        let (removed, deprecated) = self.parsed.get_or_init(|| {
            let at = |v: &Option<String>| v.as_deref().and_then(Version::parse);
            (at(&self.removed), at(&self.deprecated))
        });
        if removed.as_ref().is_some_and(|r| target >= r) {
            return Some(Severity::Error);
        }
        if deprecated.as_ref().is_some_and(|d| target >= d) {
            return Some(Severity::Warning);
        }
        None
    }

    /// The version text to quote in messages.
    pub fn when(&self, severity: Severity) -> &str {
        match severity {
            Severity::Error => self.removed.as_deref().unwrap_or("?"),
            _ => self.deprecated.as_deref().unwrap_or("?"),
        }
    }
}

/// A moved or removed name (`old` may end with `.**`: the whole module tree).
#[derive(Debug, Clone, Deserialize)]
pub struct NameRule {
    pub old: String,
    #[serde(default = "default_name_rule")]
    pub rule: String,
    pub new: Option<String>,
    pub package: Option<String>,
    pub message: Option<String>,
    /// Breaks at run time even though the name still imports (e.g. DB access in Airflow 3).
    #[serde(default)]
    pub semantic: bool,
    #[serde(flatten)]
    pub range: Range,
}

fn default_name_rule() -> String {
    "SKY201".into()
}

/// A renamed or removed keyword argument.
#[derive(Debug, Clone, Deserialize)]
pub struct ArgumentRule {
    /// `dag`, `operator`, a qualified class name, or `*Suffix`.
    pub callee: String,
    pub name: String,
    pub rule: String,
    pub new: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// Severity once removed, when not `error` (the argument is accepted but ignored).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// The argument's place when it is passed positionally (0: the first), for a removed
    /// positional parameter (`FabAuthManager(appbuilder)`).
    #[serde(default)]
    pub position: Option<usize>,
    #[serde(flatten)]
    pub range: Range,
}

/// A removed template-context key, or (with `returns`) the class of a key's value, so that
/// members used on it are checked (`context["dag_run"].external_trigger`).
#[derive(Debug, Clone, Deserialize)]
pub struct ContextKey {
    pub key: String,
    #[serde(default)]
    pub new: Option<String>,
    #[serde(default)]
    pub returns: Option<String>,
    #[serde(flatten)]
    pub range: Range,
}

/// A renamed or removed configuration option (`key` may be `*`: the whole section).
#[derive(Debug, Clone, Deserialize)]
pub struct ConfigRule {
    pub section: String,
    pub key: String,
    pub new_section: Option<String>,
    pub new_key: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(flatten)]
    pub range: Range,
}

/// What a changed default of the target's configuration means for a project that relies on it,
/// in words the target's own list does not have: the effect, and how to keep today's
/// behaviour (the setting, and the DAG-level alternative).
#[derive(Debug, Clone, Deserialize)]
pub struct ConfigDefault {
    pub section: String,
    pub option: String,
    /// What changes for the project.
    pub effect: String,
    /// The value that keeps today's behaviour, when not the old default.
    #[serde(default)]
    pub keep: Option<String>,
    /// What to do; `{setting}` stands for `AIRFLOW__SECTION__OPTION=keep`.
    pub advice: String,
    /// Informational only (nothing the project does is at risk).
    #[serde(default)]
    pub info: bool,
}

/// A removed or deprecated member (method, attribute, class attribute) of a library class,
/// reached through an object of that class, a user subclass (`self.x`, `super().x`,
/// `cls.x`), or overridden / set in a user subclass.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberRule {
    /// Class name: canonical (`airflow.models.dag.DAG`) or the last segment (`DAG`); matched
    /// against the object's class and its bases.
    pub class: String,
    pub member: String,
    #[serde(default = "default_member_rule")]
    pub rule: String,
    pub new: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// The distribution whose versions `deprecated` / `removed` are (default: Airflow).
    #[serde(default)]
    pub package: Option<String>,
    /// Also (or only: `override_only`) reported when a subclass defines it: the target no
    /// longer calls or reads it.
    #[serde(default)]
    pub override_severity: Option<Severity>,
    #[serde(default)]
    pub override_only: bool,
    #[serde(flatten)]
    pub range: Range,
}

fn default_member_rule() -> String {
    "SKY107".into()
}

/// What calling a function or method returns, so that calls on the result are checked.
#[derive(Debug, Clone, Deserialize)]
pub struct FactoryRule {
    /// Qualified callee (`airflow.hooks.base.BaseHook.get_connection`), or `Class.method` with
    /// `Class` matched like [`MemberRule::class`] for a method of an object.
    pub callee: String,
    /// The class returned, as a name to resolve in the target (`airflow.models.Connection`).
    pub returns: String,
}

/// A removed value of a keyword argument (`trigger_rule="none_failed_or_skipped"`), also
/// matched as a class attribute (`TriggerRule.NONE_FAILED_OR_SKIPPED`).
#[derive(Debug, Clone, Deserialize)]
pub struct ValueRule {
    pub argument: String,
    pub value: String,
    /// The enum attribute spelling, e.g. `TriggerRule.NONE_FAILED_OR_SKIPPED`.
    #[serde(default)]
    pub attribute: Option<String>,
    pub new: Option<String>,
    #[serde(flatten)]
    pub range: Range,
}

/// A known-bad combination of installed package versions.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderRule {
    pub rule: String,
    /// `(package, version specifier)`; all must match.
    pub packages: Vec<(String, String)>,
    pub message: String,
    pub use_instead: String,
}

/// All curated tables.
#[derive(Debug)]
pub struct Rules {
    pub docs: Vec<RuleDoc>,
    pub names: Vec<NameRule>,
    pub arguments: Vec<ArgumentRule>,
    pub context_keys: Vec<ContextKey>,
    pub config: Vec<ConfigRule>,
    /// `arguments` on a positional place (few: checked for every positional argument).
    positional: Vec<usize>,
    /// What a default change of the target's list means for a project (SKY403).
    pub config_defaults: Vec<ConfigDefault>,
    pub providers: Vec<ProviderRule>,
    pub members: Vec<MemberRule>,
    pub factories: Vec<FactoryRule>,
    pub values: Vec<ValueRule>,
    pub packages: HashMap<String, String>,
    exact: FxHashMap<String, usize>,
    /// Indices of `prefix.**` entries.
    wildcards: Vec<usize>,
    /// First segments of every `old` name.
    name_tops: Vec<String>,
    /// Argument rules by keyword.
    arguments_by_name: FxHashMap<String, Vec<usize>>,
    /// Qualified callees of argument rules, and `*Suffix` callees (without the star).
    argument_callees: (FxHashSet<String>, Vec<String>),
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        // The tables are embedded at build time and covered by tests: a failure here is a bug
        // in the shipped data, not in user input.
        Err(e) => panic!("embedded rule table rules/{file} is invalid: {e}"),
    }
}

/// The embedded tables, parsed once.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut names: Vec<NameRule> = parse(
            "names_extra.json",
            include_str!("../rules/names_extra.json"),
        );
        names.extend(parse::<Vec<NameRule>>(
            "names.json",
            include_str!("../rules/names.json"),
        ));
        let mut exact = FxHashMap::default();
        let mut wildcards = Vec::new();
        let mut name_tops: Vec<String> = Vec::new();
        for (i, n) in names.iter().enumerate() {
            exact.entry(n.old.clone()).or_insert(i);
            if n.old.ends_with(".**") {
                wildcards.push(i);
            }
            let top = n.old.split_once('.').map_or(n.old.as_str(), |(t, _)| t);
            if !name_tops.iter().any(|t| t == top) {
                name_tops.push(top.to_string());
            }
        }
        let arguments: Vec<ArgumentRule> =
            parse("arguments.json", include_str!("../rules/arguments.json"));
        let mut arguments_by_name: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        let mut argument_callees = (FxHashSet::default(), Vec::new());
        for (i, a) in arguments.iter().enumerate() {
            arguments_by_name.entry(a.name.clone()).or_default().push(i);
            match a.callee.strip_prefix('*') {
                Some(suffix) => argument_callees.1.push(suffix.to_string()),
                None => {
                    argument_callees.0.insert(a.callee.clone());
                }
            }
        }
        let positional = (0..arguments.len())
            .filter(|&i| arguments[i].position.is_some())
            .collect();
        Rules {
            docs: parse("rules.json", include_str!("../rules/rules.json")),
            positional,
            names,
            arguments,
            arguments_by_name,
            argument_callees,
            context_keys: parse(
                "context_keys.json",
                include_str!("../rules/context_keys.json"),
            ),
            config: parse("config.json", include_str!("../rules/config.json")),
            config_defaults: parse(
                "config_defaults.json",
                include_str!("../rules/config_defaults.json"),
            ),
            providers: parse("providers.json", include_str!("../rules/providers.json")),
            packages: parse("packages.json", include_str!("../rules/packages.json")),
            members: parse("members.json", include_str!("../rules/members.json")),
            factories: parse("factories.json", include_str!("../rules/factories.json")),
            values: parse("values.json", include_str!("../rules/values.json")),
            exact,
            wildcards,
            name_tops,
        }
    })
}

impl Rules {
    /// The name rule for a qualified name: exact match first, then the longest `prefix.**`.
    pub fn name_rule(&self, qualname: &str) -> Option<&NameRule> {
        // Every old name lies under one of a few top-level packages (`airflow`): most names
        // a DAG file uses (`datetime.timedelta`, `pendulum.datetime`) are ruled out here.
        let top = qualname.split_once('.').map_or(qualname, |(t, _)| t);
        if !self.name_tops.iter().any(|t| t == top) {
            return None;
        }
        if let Some(&i) = self.exact.get(qualname) {
            return Some(&self.names[i]);
        }
        let mut best: Option<&NameRule> = None;
        for n in self.wildcards.iter().map(|&i| &self.names[i]) {
            if let Some(prefix) = n.old.strip_suffix(".**") {
                let hit = qualname == prefix
                    || qualname
                        .strip_prefix(prefix)
                        .is_some_and(|r| r.starts_with('.'));
                if hit && best.is_none_or(|b| b.old.len() < n.old.len()) {
                    best = Some(n);
                }
            }
        }
        best
    }

    /// The first name rule whose old path is `qualname` or lies under it (for `import a.b`).
    pub fn name_rule_under(&self, module: &str) -> Option<&NameRule> {
        self.name_rule(module).or_else(|| {
            self.wildcards.iter().map(|&i| &self.names[i]).find(|n| {
                n.old
                    .strip_prefix(module)
                    .is_some_and(|r| r.starts_with('.'))
            })
        })
    }

    /// Argument rules for a keyword of a call to `callee` (qualified), which is a DAG
    /// constructor / decorator (`is_dag`) or an operator (`is_operator`).
    pub fn argument_rule(
        &self,
        callee: &str,
        is_dag: bool,
        is_operator: bool,
        keyword: &str,
    ) -> Option<&ArgumentRule> {
        let candidates = self.arguments_by_name.get(keyword)?;
        candidates.iter().map(|&i| &self.arguments[i]).find(|a| {
            a.name == keyword
                && match a.callee.as_str() {
                    "dag" => is_dag,
                    "operator" => is_operator,
                    c => match c.strip_prefix('*') {
                        Some(suffix) => callee.ends_with(suffix),
                        None => c == callee,
                    },
                }
        })
    }
}

impl Rules {
    /// The name rule for exactly `qualname` (no `prefix.**` rules): one hash lookup.
    pub fn exact_name_rule(&self, qualname: &str) -> Option<&NameRule> {
        self.exact.get(qualname).map(|&i| &self.names[i])
    }

    /// The rule on the positional argument at `index` of a call of `callee`, when there is one.
    pub fn positional_rule(&self, callee: &str, index: usize) -> Option<&ArgumentRule> {
        self.positional
            .iter()
            .map(|&i| &self.arguments[i])
            .find(|a| {
                a.position == Some(index)
                    && match a.callee.strip_prefix('*') {
                        Some(suffix) => callee.ends_with(suffix),
                        None => a.callee == callee,
                    }
            })
    }
}

/// Whether a rule's class name (`DAG` or `airflow.models.dag.DAG`) names canonical class `canon`.
pub fn class_matches(rule_class: &str, canon: &str) -> bool {
    if rule_class.contains('.') {
        canon == rule_class
    } else {
        canon.rsplit('.').next() == Some(rule_class)
    }
}

impl Rules {
    /// Whether some argument rule names `callee` itself (not only "any DAG / operator").
    pub fn has_argument_rules(&self, callee: &str) -> bool {
        let (exact, suffixes) = &self.argument_callees;
        exact.contains(callee) || suffixes.iter().any(|s| callee.ends_with(s.as_str()))
    }
}

/// The distribution that provides `module` (dotted), when the curated table (`rules/packages.json`,
/// each entry checked against the distribution's own `top_level.txt` / RECORD) knows it: the
/// entry of the longest dotted prefix (`snowflake.snowpark` before `snowflake`). `None` rather
/// than a guess from the module's name (`apiclient` is provided by `google-api-python-client`).
pub fn known_package_for_module(module: &str) -> Option<String> {
    if module == "airflow" || module.starts_with("airflow.") {
        return Some("apache-airflow".into());
    }
    let packages = &rules().packages;
    let mut prefix = module;
    loop {
        if let Some(p) = packages.get(prefix) {
            return Some(p.clone());
        }
        prefix = prefix.rsplit_once('.')?.0;
    }
}

/// Distribution to add to requirements.txt for a top-level module: [`known_package_for_module`],
/// else the module's name with `_` as `-` — a guess, for callers that verify it (by resolving it).
pub fn package_for_module(top: &str) -> String {
    known_package_for_module(top).unwrap_or_else(|| top.replace('_', "-"))
}

/// Docs of every rule, by code.
pub fn all_rules() -> Vec<RuleDoc> {
    rules().docs.clone()
}

/// The doc of one rule (`SKY301`, case-insensitive).
pub fn rule_doc(code: &str) -> Option<RuleDoc> {
    rules()
        .docs
        .iter()
        .find(|d| d.code.eq_ignore_ascii_case(code.trim()))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_and_have_docs() {
        let r = rules();
        assert!(r.names.len() > 300);
        let codes: Vec<&str> = r.docs.iter().map(|d| d.code.as_str()).collect();
        for n in &r.names {
            assert!(codes.contains(&n.rule.as_str()), "{} has no doc", n.rule);
        }
        for a in &r.arguments {
            assert!(codes.contains(&a.rule.as_str()), "{} has no doc", a.rule);
        }
        for m in &r.members {
            assert!(codes.contains(&m.rule.as_str()), "{} has no doc", m.rule);
        }
        for d in &r.docs {
            assert!(d.code.starts_with("SKY") && !d.what.is_empty() && !d.example.is_empty());
        }
    }

    #[test]
    fn name_rules_match_exact_and_wildcards() {
        let r = rules();
        let bash = r
            .name_rule("airflow.operators.bash_operator.BashOperator")
            .unwrap();
        assert_eq!(
            bash.new.as_deref(),
            Some("airflow.providers.standard.operators.bash.BashOperator")
        );
        assert_eq!(
            r.name_rule("airflow.contrib.hooks.x.Y").unwrap().old,
            "airflow.contrib.**"
        );
        assert_eq!(
            r.name_rule("airflow.operators.subdag.SubDagOperator")
                .unwrap()
                .rule,
            "SKY304"
        );
        assert!(r.name_rule("airflow.operators.bashx").is_none());
    }

    #[test]
    fn ranges_pick_severity() {
        let r = Range {
            deprecated: Some("2.4".into()),
            removed: Some("3.0".into()),
            ..Range::default()
        };
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(r.severity(&v("2.3")), None);
        assert_eq!(r.severity(&v("2.10.5")), Some(Severity::Warning));
        assert_eq!(r.severity(&v("3.1.3")), Some(Severity::Error));
        assert!(
            rule_doc("sky302")
                .unwrap()
                .to_markdown()
                .contains("## Why it breaks")
        );
    }
}
