//! Every rule skyhop reports, in one place: its code and name ([`Rule`]), what fixes its
//! findings ([`Rule::fix`]) and its doc ([`Rule::doc`], from `rules/rules.json`, which a test
//! holds to this list). Code that means a rule names a variant, so a mistyped code does not
//! compile; the codes written out in the sources are checked against this list by a test.

use crate::rules::{RuleDoc, rule_doc};

macro_rules! registry {
    ($($variant:ident = $code:literal $name:literal,)*) => {
        /// A rule, by the name its doc gives it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $(
                #[doc = concat!("`", $code, "` ", $name)]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in the order `skyhop rule` lists them (that of `rules.json`).
            pub const ALL: &[Rule] = &[$(Rule::$variant,)*];

            /// The stable code (`SKY301`).
            pub const fn code(self) -> &'static str {
                match self {
                    $(Rule::$variant => $code,)*
                }
            }

            /// The short kebab-case name (`removed-context-key`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)*
                }
            }
        }
    };
}

registry! {
    SyntaxError = "SKY001" "syntax-error",
    UnreadableFile = "SKY002" "unreadable-file",
    ModuleNotFound = "SKY101" "module-not-found",
    NameNotFound = "SKY102" "name-not-found",
    DeprecatedImport = "SKY103" "deprecated-import",
    PackageNotInstalled = "SKY104" "package-not-installed",
    AttributeNotFound = "SKY105" "attribute-not-found",
    UnknownArgument = "SKY106" "unknown-argument",
    MovedOrRemovedName = "SKY201" "moved-or-removed-name",
    RemovedContextKey = "SKY301" "removed-context-key",
    ScheduleArgument = "SKY302" "schedule-argument",
    RemovedArgument = "SKY303" "removed-argument",
    Subdag = "SKY304" "subdag",
    Sla = "SKY305" "sla",
    SmartSensor = "SKY306" "smart-sensor",
    MetadataDbAccess = "SKY307" "metadata-db-access",
    CatchupDefault = "SKY308" "catchup-default",
    ScheduleDefault = "SKY309" "schedule-default",
    ConfigOption = "SKY401" "config-option",
    ProviderIncompatibility = "SKY501" "provider-incompatibility",
    RequirementConflict = "SKY502" "requirement-conflict",
    NoWheel = "SKY503" "no-wheel",
    BreaksImagePackage = "SKY504" "breaks-image-package",
    UpgradePath = "SKY601" "upgrade-path",
    DbMigrationFails = "SKY602" "db-migration-fails",
    DagImportError = "SKY900" "dag-import-error",
    DagImportTimeout = "SKY901" "dag-import-timeout",
    DagImportCrash = "SKY902" "dag-import-crash",
    DagNotTested = "SKY903" "dag-not-tested",
    DagFailsAlready = "SKY904" "dag-fails-already",
    DagDeprecationWarning = "SKY910" "dag-deprecation-warning",
    DagWarning = "SKY911" "dag-warning",
    AirflowignoreSyntax = "SKY310" "airflowignore-syntax",
    RemovedMember = "SKY107" "removed-member",
    StaleOverride = "SKY108" "stale-override",
    BrokenHelperModule = "SKY110" "broken-helper-module",
    RemovedArgumentValue = "SKY311" "removed-argument-value",
    ConfigReadInCode = "SKY402" "config-read-in-code",
    ConfigDefaultChanged = "SKY403" "config-default-changed",
    ConstraintsOtherAirflow = "SKY505" "constraints-other-airflow",
    SettingBreaksAirflow = "SKY506" "setting-breaks-airflow",
    MwaaRefusesRequirement = "SKY507" "mwaa-refuses-requirement",
}

/// What fixes a rule's findings, as `skyhop rule CODE` says it: each kind `None` when there is
/// none of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fixability {
    /// The safe fix, made by default.
    pub safe: Option<&'static str>,
    /// The unsafe fix, made only with `--unsafe-fixes`.
    pub unsafe_: Option<&'static str>,
}

impl Fixability {
    /// `safe+unsafe fix`, `safe fix`, `unsafe fix` or nothing, as `skyhop rule` lists it.
    pub fn label(self) -> &'static str {
        match (self.safe, self.unsafe_) {
            (Some(_), Some(_)) => "safe+unsafe fix",
            (Some(_), None) => "safe fix",
            (None, Some(_)) => "unsafe fix",
            (None, None) => "",
        }
    }
}

impl Rule {
    /// The rule of `code` (`SKY301`, case-insensitive), `None` for no rule.
    pub fn from_code(code: &str) -> Option<Rule> {
        // an exact code (`SKYnnn`) by its number (the check asks once per finding); else
        // trimmed, any case
        fn number(code: &str) -> Option<usize> {
            let digits = code.strip_prefix("SKY")?.as_bytes();
            (digits.len() == 3 && digits.iter().all(u8::is_ascii_digit))
                .then(|| digits.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
        }
        static BY_NUMBER: std::sync::OnceLock<Vec<Option<Rule>>> = std::sync::OnceLock::new();
        let by_number = BY_NUMBER.get_or_init(|| {
            let mut table = vec![None; 1000];
            for r in Rule::ALL {
                if let Some(n) = number(r.code()) {
                    table[n] = Some(*r);
                }
            }
            table
        });
        if let Some(n) = number(code) {
            return by_number[n];
        }
        let code = code.trim();
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.code().eq_ignore_ascii_case(code))
    }

    /// What fixes its findings (safe, unsafe), as `skyhop rule` says it.
    pub fn fix(self) -> Fixability {
        crate::fix::fixability(self)
    }

    /// The rule's doc, from `rules.json`.
    pub fn doc(self) -> RuleDoc {
        rule_doc(self.code()).expect("every rule has a doc in rules.json (a test checks it)")
    }

    /// Whether its findings are import statements that fail in the target: dropped in an
    /// `except ImportError` branch that never runs.
    pub fn fails_import(self) -> bool {
        matches!(
            self,
            Rule::ModuleNotFound
                | Rule::NameNotFound
                | Rule::DeprecatedImport
                | Rule::PackageNotInstalled
        )
    }

    /// Whether its fix rewrites the import statement to the new module and name.
    pub fn fixed_by_import_rewrite(self) -> bool {
        matches!(
            self,
            Rule::ModuleNotFound
                | Rule::NameNotFound
                | Rule::DeprecatedImport
                | Rule::MovedOrRemovedName
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::rules::all_rules;

    #[test]
    fn the_registry_is_rules_json() {
        let docs = all_rules();
        let listed: Vec<(&str, &str)> = Rule::ALL.iter().map(|r| (r.code(), r.name())).collect();
        let documented: Vec<(&str, &str)> = docs
            .iter()
            .map(|d| (d.code.as_str(), d.name.as_str()))
            .collect();
        assert_eq!(listed, documented);
        for r in Rule::ALL {
            assert_eq!(Rule::from_code(r.code()), Some(*r));
            assert_eq!(r.doc().code, r.code());
        }
        assert_eq!(Rule::from_code(" sky301 "), Some(Rule::RemovedContextKey));
        assert_eq!(Rule::from_code("SKY9999"), None);
        assert_eq!(Rule::PackageNotInstalled.fix().label(), "safe fix");
        assert_eq!(Rule::ConfigOption.fix().label(), "safe+unsafe fix");
        assert_eq!(Rule::Subdag.fix(), Fixability::default());
    }

    /// Every `SKYnnn` written anywhere in the crates' sources, tests and rule tables names a
    /// rule: a mistyped code fails here.
    #[test]
    fn every_code_in_the_sources_is_a_rule() {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                let name = e.file_name();
                if p.is_dir() {
                    if !matches!(name.to_str(), Some("target" | "snapshots" | "fixtures")) {
                        walk(&p, out);
                    }
                } else if p
                    .extension()
                    .is_some_and(|x| x == "rs" || x == "json" || x == "py")
                {
                    out.push(p);
                }
            }
        }
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        walk(&crates, &mut files);
        assert!(files.len() > 50, "{}", crates.display());
        let mut unknown = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let b = text.as_bytes();
            for (i, _) in text.match_indices("SKY") {
                let digits = b[i + 3..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits != 3 {
                    continue;
                }
                let code = &text[i..i + 6];
                if Rule::from_code(code).is_none() {
                    unknown.push(format!("{}: {code}", f.display()));
                }
            }
        }
        assert!(unknown.is_empty(), "not rules: {unknown:#?}");
    }
}
