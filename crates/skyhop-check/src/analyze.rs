//! The per-file checker: one walk over the AST that resolves names (imports, aliases,
//! attribute chains, objects built from known classes) and reports what breaks in the target.

use std::collections::HashSet;

use rustc_hash::FxHashMap as HashMap;
use std::sync::{OnceLock, RwLock};

use regex::Regex;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};
use skyhop_core::{Finding, Severity, Source};

use crate::index::{ApiIndex, Resolved, Signature, provider_package};
use crate::rules::{NameRule, rules};
use crate::version::Version;

/// A finding plus whether it breaks while Airflow imports the file (module-level code) or
/// only when a task or callback runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub finding: Finding,
    /// True for module-level code: the file fails to load. False inside functions.
    pub at_import: bool,
}

/// What a local name is bound to.
#[derive(Debug, Clone)]
enum Binding {
    /// A module (`import a.b as c`).
    Module(String),
    /// A module attribute (`from x import y`).
    Symbol(String),
    /// An object built by calling a class (canonical class name).
    Instance(String),
    /// A dict literal with string keys (key, position).
    Dict(Vec<(String, TextRange)>),
    /// The task context (`**kwargs` of a task, `get_current_context()`).
    Context,
    /// Anything else.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    Body,
    Handler,
}

struct Pending {
    checked: Checked,
    guard: Option<(usize, Branch)>,
    import: bool,
}

/// Settings shared by every file of one check, and caches of what files have in common.
pub(crate) struct Ctx<'a> {
    pub index: Option<&'a ApiIndex>,
    pub target: Version,
    pub target_text: String,
    pub current: Option<Version>,
    /// Top-level module names that are the project's own code.
    pub local_tops: &'a HashSet<String>,
    /// `index.resolve` results: most files import the same few dozen names.
    pub resolved: RwLock<HashMap<String, Resolved>>,
    /// Messages for missing modules, by module and imported names.
    pub missing_modules: RwLock<HashMap<String, (String, Option<String>)>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        index: Option<&'a ApiIndex>,
        target: Version,
        target_text: String,
        current: Option<Version>,
        local_tops: &'a HashSet<String>,
    ) -> Self {
        Ctx {
            index,
            target,
            target_text,
            current,
            local_tops,
            resolved: RwLock::default(),
            missing_modules: RwLock::default(),
        }
    }

    /// [`ApiIndex::resolve`], cached.
    fn resolve(&self, index: &ApiIndex, qualname: &str) -> Resolved {
        if let Some(r) = self
            .resolved
            .read()
            .ok()
            .and_then(|m| m.get(qualname).cloned())
        {
            return r;
        }
        let r = index.resolve(qualname);
        if let Ok(mut m) = self.resolved.write() {
            m.insert(qualname.to_string(), r.clone());
        }
        r
    }
}

pub(crate) struct Analyzer<'a> {
    ctx: &'a Ctx<'a>,
    path: &'a str,
    source: &'a str,
    /// Built on the first finding: most files have none.
    lines: OnceLock<LineIndex>,
    scopes: Vec<HashMap<String, Binding>>,
    callables: HashSet<String>,
    pending: Vec<Pending>,
    guards: Vec<(usize, Branch)>,
    next_guard: usize,
    function_depth: u32,
    type_checking: u32,
    /// Inside a task that runs in another environment (virtualenv, docker, ...).
    isolated: u32,
    isolated_callables: HashSet<String>,
    /// Qualified names already reported as missing (later uses are not reported again).
    reported: HashSet<String>,
}

const IMPORT_RULES: &[&str] = &["SKY101", "SKY102", "SKY104"];

impl<'a> Analyzer<'a> {
    pub fn new(ctx: &'a Ctx<'a>, path: &'a str, source: &'a str) -> Self {
        Analyzer {
            ctx,
            path,
            source,
            lines: OnceLock::new(),
            scopes: vec![HashMap::default()],
            callables: HashSet::new(),
            pending: Vec::new(),
            guards: Vec::new(),
            next_guard: 0,
            function_depth: 0,
            type_checking: 0,
            isolated: 0,
            isolated_callables: HashSet::new(),
            reported: HashSet::new(),
        }
    }

    /// Checks a parsed module.
    pub fn run(mut self, body: &'a [Stmt]) -> Vec<Checked> {
        let mut collector = CallableCollector::default();
        for stmt in body {
            collector.visit_stmt(stmt);
        }
        self.callables = collector.names;
        self.isolated_callables = collector.isolated;
        for stmt in body {
            self.visit_stmt(stmt);
        }
        self.pending.into_iter().map(|p| p.checked).collect()
    }

    // ---------- findings ----------

    fn push(
        &mut self,
        offset: TextSize,
        rule: &str,
        severity: Severity,
        message: String,
        replacement: Option<String>,
    ) {
        let pos = self
            .lines
            .get_or_init(|| LineIndex::from_source_text(self.source))
            .line_column(offset, self.source);
        let checked = Checked {
            finding: Finding {
                path: self.path.to_string(),
                line: pos.line.get() as u32,
                column: pos.column.get() as u32,
                rule: rule.to_string(),
                severity,
                message,
                replacement,
                source: Source::Check,
            },
            at_import: self.function_depth == 0,
        };
        self.pending.push(Pending {
            import: IMPORT_RULES.contains(&rule),
            checked,
            guard: self.guards.last().copied(),
        });
    }

    fn target(&self) -> &str {
        &self.ctx.target_text
    }

    // ---------- scopes ----------

    fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), binding);
        }
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The qualified name an expression refers to (`alias.attr.attr`), when it is known.
    fn qualify(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str())? {
                Binding::Module(q) | Binding::Symbol(q) => Some(q.clone()),
                _ => None,
            },
            Expr::Attribute(a) => Some(format!("{}.{}", self.qualify(&a.value)?, a.attr.id)),
            _ => None,
        }
    }

    fn is_context(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Name(n) if matches!(self.lookup(n.id.as_str()), Some(Binding::Context)))
    }

    fn dict_keys(&self, expr: &Expr) -> Option<Vec<(String, TextRange)>> {
        match expr {
            Expr::Dict(d) => Some(dict_literal_keys(d)),
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::Dict(keys)) => Some(keys.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    // ---------- imports and names ----------

    fn is_local(&self, module: &str) -> bool {
        let top = module.split('.').next().unwrap_or(module);
        top != "airflow" && self.ctx.local_tops.contains(top)
    }

    /// Checks `import module` / the module part of `from module import ...`.
    /// `names` are the names imported from it (empty for `import module`). Returns false when
    /// the module is missing (names from it need no further check).
    fn check_module(&mut self, module: &str, range: TextRange, names: &[&str]) -> bool {
        if self.type_checking > 0 || self.isolated > 0 || self.is_local(module) {
            return true;
        }
        if let Some(rule) = rules().name_rule_under(module)
            && (rule.old.ends_with(".**") || rule.old == module)
        {
            let fired = self.name_rule_finding(rule, module, range);
            if fired && self.ctx.index.is_none() {
                return false;
            }
        }
        let Some(index) = self.ctx.index else {
            return true;
        };
        match self.ctx.resolve(index, module) {
            Resolved::MissingName { .. } => {
                self.reported.insert(module.to_string());
                let (message, replacement) = self.missing_module_message(module, names);
                let rule = specific_rule(module).unwrap_or("SKY101");
                self.push(range.start(), rule, Severity::Error, message, replacement);
                false
            }
            Resolved::NotInstalled {
                module: root,
                package,
            } => {
                self.reported.insert(root);
                self.reported.insert(module.to_string());
                self.push(
                    range.start(),
                    "SKY104",
                    Severity::Error,
                    format!(
                        "`{module}` needs package `{package}`, which is not installed in the target (Airflow {}); add `{package}` to requirements.txt",
                        self.target()
                    ),
                    None,
                );
                false
            }
            Resolved::ModuleBroken { module: m, error } => {
                self.push(
                    range.start(),
                    "SKY101",
                    Severity::Error,
                    format!(
                        "`{m}` fails to import in the target (Airflow {}): {}",
                        self.target(),
                        first_line(&error)
                    ),
                    None,
                );
                false
            }
            Resolved::Deprecated { message, target } => {
                self.deprecated(range, module, &message, target);
                true
            }
            Resolved::Unknown
                if module.starts_with("airflow.")
                    && !index.modules.contains_key(module)
                    && !index.timed_out =>
            {
                // Inside a package the index lists but did not import: every module file
                // of `airflow` is listed, so this one does not exist.
                self.reported.insert(module.to_string());
                let (message, replacement) = self.missing_module_message(module, names);
                self.push(
                    range.start(),
                    "SKY101",
                    Severity::Error,
                    message,
                    replacement,
                );
                false
            }
            _ => true,
        }
    }

    /// Message and replacement module for a missing `module` from which `names` are imported.
    fn missing_module_message(&self, module: &str, names: &[&str]) -> (String, Option<String>) {
        let key = format!("{module}:{}", names.join(","));
        if let Some(hit) = self
            .ctx
            .missing_modules
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return hit;
        }
        let result = self.missing_module_message_uncached(module, names);
        if let Ok(mut m) = self.ctx.missing_modules.write() {
            m.insert(key, result.clone());
        }
        result
    }

    fn missing_module_message_uncached(
        &self,
        module: &str,
        names: &[&str],
    ) -> (String, Option<String>) {
        let mut message = format!(
            "No module named `{module}` in the target (Airflow {})",
            self.target()
        );
        let mut replacement = None;
        if let Some(rule) = rules().name_rule_under(module) {
            if let Some(new) = &rule.new {
                let new_module = if rule.old.ends_with(".**") {
                    new.clone()
                } else {
                    new.rsplit_once('.')
                        .map(|(m, _)| m.to_string())
                        .unwrap_or(new.clone())
                };
                message.push_str(&format!("; it moved to `{new_module}`"));
                message.push_str(&self.package_note(&new_module, rule.package.as_deref()));
                replacement = Some(new_module);
            } else if let Some(text) = &rule.message {
                message.push_str(&format!("; {text}"));
            }
        } else if let Some(index) = self.ctx.index {
            // Same module name elsewhere, e.g. airflow.utils.weekday → ...standard.utils.weekday
            let last = module.rsplit('.').next().unwrap_or(module);
            let mut best: Option<&String> = None;
            for m in index.modules.keys() {
                let candidate = m.rsplit('.').next() == Some(last)
                    && m != module
                    && m.starts_with("airflow.")
                    && !m.contains(".tests")
                    && !m.contains("._")
                    && best.is_none_or(|b| {
                        (!m.starts_with("airflow.providers.standard"), m.len())
                            < (!b.starts_with("airflow.providers.standard"), b.len())
                    });
                // Only a module that serves every imported name is a replacement.
                let serves_all = || {
                    names.iter().all(|n| {
                        matches!(
                            index.resolve(&format!("{m}.{n}")),
                            Resolved::Class(_)
                                | Resolved::Function(_)
                                | Resolved::Value
                                | Resolved::Module
                                | Resolved::Deprecated { .. }
                        )
                    })
                };
                if candidate && serves_all() {
                    best = Some(m);
                }
            }
            if let Some(b) = best {
                message.push_str(&format!("; a module with that name is `{b}`"));
                message.push_str(&self.package_note(b, None));
                replacement = Some(b.clone());
            }
        }
        (message, replacement)
    }

    /// ` (from X)` / ` (package X, not installed in the target: add it to requirements.txt)`.
    fn package_note(&self, qualname: &str, package: Option<&str>) -> String {
        let package = package
            .map(|p| p.to_string())
            .or_else(|| provider_package(qualname).map(|(p, _)| p))
            .or_else(|| {
                self.ctx
                    .index
                    .and_then(|i| i.distribution_of(qualname))
                    .map(str::to_string)
            });
        let Some(package) = package else {
            return String::new();
        };
        let installed = match self.ctx.index {
            Some(index) => index.installed(&package).is_some(),
            None => return format!(" (package `{package}`)"),
        };
        if installed {
            format!(" (package `{package}`)")
        } else {
            format!(
                " (package `{package}`, not installed in the target: add it to requirements.txt)"
            )
        }
    }

    fn deprecated(&mut self, range: TextRange, what: &str, message: &str, target: Option<String>) {
        let target = target.filter(|t| t != what);
        let mut text = format!(
            "`{what}` is deprecated in the target (Airflow {})",
            self.target()
        );
        if let Some(t) = &target {
            text.push_str(&format!("; use `{t}`"));
            text.push_str(&self.package_note(t, None));
        } else {
            text.push_str(&format!(": {}", first_line(message)));
        }
        self.push(range.start(), "SKY103", Severity::Warning, text, target);
    }

    /// Reports a curated name rule if it applies to the target; returns whether it fired.
    fn name_rule_finding(&mut self, rule: &NameRule, qualname: &str, range: TextRange) -> bool {
        if self.ctx.index.is_some() && !rule.semantic {
            return false;
        }
        if rule.semantic && self.type_checking > 0 {
            return false;
        }
        let Some(severity) = rule.range.severity(&self.ctx.target) else {
            return false;
        };
        let verb = match severity {
            Severity::Error if rule.semantic => "does not work from",
            Severity::Error => "was removed in",
            _ => "is deprecated since",
        };
        let mut message = format!("`{qualname}` {verb} Airflow {}", rule.range.when(severity));
        if let Some(text) = &rule.message {
            message.push_str(&format!(": {text}"));
        }
        if let Some(new) = &rule.new {
            message.push_str(&format!("; use `{new}`"));
            message.push_str(&self.package_note(new, rule.package.as_deref()));
        }
        self.push(
            range.start(),
            &rule.rule,
            severity,
            message,
            rule.new.clone(),
        );
        true
    }

    /// Checks a use of `qualname` (an imported name or an attribute chain). `attrs_only`:
    /// the chain starts at an imported class or function, whose import was checked already.
    fn check_name(&mut self, qualname: &str, range: TextRange, attrs_only: bool, import: bool) {
        if self.type_checking > 0 || self.isolated > 0 || self.is_local(qualname) {
            return;
        }
        if self.reported.iter().any(|r| {
            qualname == r
                || qualname
                    .strip_prefix(r.as_str())
                    .is_some_and(|x| x.starts_with('.'))
        }) {
            return;
        }
        if !attrs_only
            && let Some(rule) = rules().name_rule(qualname)
            && (!rule.old.ends_with(".**") || self.ctx.index.is_some() || rule.semantic)
        {
            self.name_rule_finding(rule, qualname, range);
        }
        let Some(index) = self.ctx.index else {
            return;
        };
        let resolved = self.ctx.resolve(index, qualname);
        if attrs_only && !matches!(resolved, Resolved::MissingAttr { .. }) {
            return;
        }
        match resolved {
            Resolved::MissingName {
                module,
                name,
                reason,
            } => {
                let mut message = format!(
                    "`{name}` does not exist in `{module}` in the target (Airflow {})",
                    self.target()
                );
                if let Some(reason) = reason {
                    message.push_str(&format!(": {}", first_line(&reason)));
                }
                self.reported.insert(format!("{module}.{name}"));
                let replacement = self.replacement_for(qualname, &module, &name, &mut message);
                let rule =
                    specific_rule(qualname).unwrap_or(if import { "SKY102" } else { "SKY105" });
                self.push(range.start(), rule, Severity::Error, message, replacement);
            }
            Resolved::MissingAttr { class, attr } => {
                let message = format!(
                    "`{qualname}`: class `{class}` has no attribute `{attr}` in the target (Airflow {})",
                    self.target()
                );
                self.push(range.start(), "SKY105", Severity::Error, message, None);
            }
            Resolved::NotInstalled { package, .. } => {
                self.push(
                    range.start(),
                    "SKY104",
                    Severity::Error,
                    format!(
                        "`{qualname}` needs package `{package}`, which is not installed in the target (Airflow {}); add `{package}` to requirements.txt",
                        self.target()
                    ),
                    None,
                );
            }
            Resolved::Deprecated { message, target } => {
                self.deprecated(range, qualname, &message, target);
            }
            _ => {}
        }
    }

    fn replacement_for(
        &self,
        qualname: &str,
        module: &str,
        name: &str,
        message: &mut String,
    ) -> Option<String> {
        let index = self.ctx.index?;
        if let Some(rule) = rules().name_rule(qualname) {
            if let Some(new) = &rule.new {
                message.push_str(&format!("; use `{new}`"));
                message.push_str(&self.package_note(new, rule.package.as_deref()));
                return Some(new.clone());
            }
            if let Some(text) = &rule.message {
                message.push_str(&format!("; {text}"));
                return None;
            }
        }
        let found = index.find_elsewhere(name, module);
        let best = found.first()?;
        message.push_str(&format!("; the target has `{best}`"));
        message.push_str(&self.package_note(best, None));
        Some(best.clone())
    }

    // ---------- calls ----------

    fn check_call(&mut self, call: &'a ast::ExprCall, decorator: bool) {
        let callee = self.qualify(&call.func);
        // Method call on an object built from a known class.
        if let (Expr::Attribute(attr), Some(index)) = (&*call.func, self.ctx.index) {
            if let Expr::Name(n) = &*attr.value
                && let Some(Binding::Instance(class)) = self.lookup(n.id.as_str())
                && index.class_has_attr(class, attr.attr.id.as_str()) == Some(false)
            {
                let message = format!(
                    "`{}.{}`: class `{class}` has no method `{}` in the target (Airflow {})",
                    n.id,
                    attr.attr.id,
                    attr.attr.id,
                    self.target()
                );
                self.push(
                    attr.attr.range.start(),
                    "SKY105",
                    Severity::Error,
                    message,
                    None,
                );
            }
            // context.get("execution_date")
            if attr.attr.id.as_str() == "get"
                && self.is_context(&attr.value)
                && let Some(Expr::StringLiteral(s)) = call.arguments.args.first()
            {
                self.context_key(s.value.to_str(), s.range);
            }
        }
        let Some(callee) = callee else {
            return;
        };
        let last = callee.rsplit('.').next().unwrap_or("");
        let airflow = callee.starts_with("airflow.");
        let is_dag = airflow && (last == "DAG" || last == "dag");
        let (signature, class) = self.signature_of(&callee);
        let is_operator = airflow
            && (last.ends_with("Operator")
                || last.ends_with("Sensor")
                || class.as_deref().is_some_and(|c| {
                    self.ctx
                        .index
                        .is_some_and(|i| i.class_derives(c, ".BaseOperator"))
                }));
        if !(is_dag || is_operator || signature.is_some()) {
            return;
        }
        let mut seen: Vec<String> = Vec::new();
        for kw in &call.arguments.keywords {
            match &kw.arg {
                Some(arg) => {
                    seen.push(arg.id.to_string());
                    self.check_keyword(
                        &callee,
                        is_dag,
                        is_operator,
                        signature,
                        arg.id.as_str(),
                        arg.range,
                    );
                    if arg.id.as_str() == "default_args"
                        && let Some(keys) = self.dict_keys(&kw.value)
                    {
                        for (key, range) in keys {
                            seen.push(key.clone());
                            self.check_default_arg(&key, range);
                        }
                    }
                }
                None => {
                    if let Some(keys) = self.dict_keys(&kw.value) {
                        for (key, range) in keys {
                            seen.push(key.clone());
                            self.check_keyword(
                                &callee,
                                is_dag,
                                is_operator,
                                signature,
                                &key,
                                range,
                            );
                        }
                    } else {
                        seen.push("**".into());
                    }
                }
            }
        }
        if is_dag && (decorator || last == "DAG") {
            self.dag_defaults(call.func.range(), &seen);
        }
    }

    /// (constructor keywords, canonical class) of a callee, from the index.
    fn signature_of(&self, callee: &str) -> (Option<&'a Signature>, Option<String>) {
        let Some(index) = self.ctx.index else {
            return (None, None);
        };
        let mut resolved = self.ctx.resolve(index, callee);
        if let Resolved::Deprecated {
            target: Some(t), ..
        } = &resolved
        {
            resolved = self.ctx.resolve(index, t);
        }
        match resolved {
            Resolved::Class(c) => (index.class_init(&c), Some(c)),
            Resolved::Function(Some(f)) => (index.function_signature(&f), None),
            _ => (None, None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_keyword(
        &mut self,
        callee: &str,
        is_dag: bool,
        is_operator: bool,
        signature: Option<&Signature>,
        keyword: &str,
        range: TextRange,
    ) {
        if let Some(rule) = rules().argument_rule(callee, is_dag, is_operator, keyword) {
            let accepted = signature.is_some_and(|s| s.params.iter().any(|p| p == keyword));
            if let Some(mut severity) = rule.range.severity(&self.ctx.target) {
                if severity == Severity::Error
                    && let Some(s) = rule.severity
                {
                    severity = s;
                }
                let mut message = match &rule.message {
                    Some(m) => m.clone(),
                    None => format!(
                        "argument `{keyword}` was {} in Airflow {}",
                        if severity == Severity::Error {
                            "removed"
                        } else {
                            "deprecated"
                        },
                        rule.range.when(severity)
                    ),
                };
                if let Some(new) = &rule.new {
                    message.push_str(&format!("; use `{new}`"));
                }
                if accepted && severity == Severity::Error && rule.severity.is_none() {
                    // The target still accepts it: it only warns there.
                    severity = Severity::Warning;
                }
                self.push(
                    range.start(),
                    &rule.rule,
                    severity,
                    message,
                    rule.new.clone(),
                );
                return;
            }
        }
        if let Some(sig) = signature
            && sig.closed
            && !sig.params.iter().any(|p| p == keyword)
        {
            let close = sig
                .params
                .iter()
                .find(|p| similar_name(p, keyword))
                .cloned();
            let mut message = format!(
                "`{callee}` does not accept argument `{keyword}` in the target (Airflow {})",
                self.target()
            );
            if let Some(c) = &close {
                message.push_str(&format!("; did you mean `{c}`?"));
            }
            self.push(range.start(), "SKY106", Severity::Error, message, None);
        }
    }

    fn check_default_arg(&mut self, key: &str, range: TextRange) {
        if let Some(rule) = rules().argument_rule("", false, true, key)
            && let Some(severity) = rule.range.severity(&self.ctx.target)
        {
            let _ = severity;
            let mut message = format!(
                "`default_args` key `{key}` is ignored from Airflow {}",
                rule.range.when(Severity::Error)
            );
            if let Some(m) = &rule.message {
                message = format!("`default_args`: {m}");
            }
            if let Some(new) = &rule.new {
                message.push_str(&format!("; use `{new}`"));
            }
            self.push(
                range.start(),
                &rule.rule,
                Severity::Warning,
                message,
                rule.new.clone(),
            );
            return;
        }
        let Some(index) = self.ctx.index else {
            return;
        };
        let base = [
            "airflow.sdk.bases.operator.BaseOperator",
            "airflow.models.baseoperator.BaseOperator",
        ]
        .iter()
        .find_map(|c| index.class_init(c));
        if let Some(sig) = base {
            let dag_keys = ["dag", "schedule", "catchup", "start_date", "end_date"];
            if sig.closed && !sig.params.iter().any(|p| p == key) && !dag_keys.contains(&key) {
                // Operator-specific keys (e.g. `bash_command`) are fine: they apply to the
                // operators that accept them.
                let accepted_somewhere = index
                    .classes
                    .values()
                    .any(|c| c.init.params.iter().any(|p| p == key));
                if !accepted_somewhere {
                    self.push(
                        range.start(),
                        "SKY106",
                        Severity::Warning,
                        format!(
                            "`default_args` key `{key}` is accepted by no operator in the target (Airflow {}) and is ignored",
                            self.target()
                        ),
                        None,
                    );
                }
            }
        }
    }

    fn crosses(&self, version: &str) -> bool {
        let Some(v) = Version::parse(version) else {
            return false;
        };
        self.ctx.target >= v && self.ctx.current.as_ref().is_none_or(|c| *c < v)
    }

    fn dag_defaults(&mut self, range: TextRange, keywords: &[String]) {
        if keywords.iter().any(|k| k == "**") || !self.crosses("3.0") {
            return;
        }
        let has = |k: &str| keywords.iter().any(|x| x == k);
        if !has("schedule") && !has("schedule_interval") && !has("timetable") {
            self.push(
                range.start(),
                "SKY309",
                Severity::Warning,
                "DAG without `schedule`: the default changed from daily to `None` in Airflow 3.0, so it will only run when triggered; set `schedule=` explicitly".into(),
                None,
            );
        }
        if !has("catchup") {
            self.push(
                range.start(),
                "SKY308",
                Severity::Warning,
                "DAG without `catchup`: the default changed from True to False in Airflow 3.0 (`[scheduler] catchup_by_default`); set `catchup=` explicitly".into(),
                None,
            );
        }
    }

    // ---------- context keys ----------

    fn context_key(&mut self, key: &str, range: TextRange) {
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

    fn scan_template(&mut self, literal: &ast::ExprStringLiteral) {
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

    // ---------- statements ----------

    fn visit_function(&mut self, f: &'a ast::StmtFunctionDef) {
        let mut is_task = self.callables.contains(f.name.id.as_str());
        let mut isolated = self.isolated_callables.contains(f.name.id.as_str());
        for d in &f.decorator_list {
            let expr = match &d.expression {
                Expr::Call(c) => &*c.func,
                e => e,
            };
            let q = self.qualify(expr).unwrap_or_default();
            if q.starts_with("airflow.") && ISOLATED_TASKS.iter().any(|t| q.ends_with(t)) {
                isolated = true;
            }
            if q.starts_with("airflow.") && (q.ends_with(".task") || q.contains(".task.")) {
                is_task = true;
            }
            if q.starts_with("airflow.") && q.ends_with(".dag") {
                match &d.expression {
                    Expr::Call(c) => self.check_call(c, true),
                    e => self.dag_defaults(e.range(), &[]),
                }
                if let Expr::Call(c) = &d.expression {
                    visitor::walk_arguments(self, &c.arguments);
                }
                continue;
            }
            self.visit_decorator(d);
        }
        let params = &f.parameters;
        for p in params
            .posonlyargs
            .iter()
            .chain(&params.args)
            .chain(&params.kwonlyargs)
        {
            if let Some(default) = &p.default {
                self.visit_expr(default);
            }
        }
        if let Some(ret) = &f.returns {
            self.visit_annotation(ret);
        }
        self.bind(f.name.id.as_str(), Binding::Local);
        self.scopes.push(HashMap::default());
        for p in params
            .posonlyargs
            .iter()
            .chain(&params.args)
            .chain(&params.kwonlyargs)
        {
            let name = p.parameter.name.id.as_str();
            let binding = if name == "context" {
                Binding::Context
            } else {
                Binding::Local
            };
            self.bind(name, binding);
            if is_task {
                let key = name.to_string();
                let range = p.parameter.name.range;
                self.function_depth += 1;
                self.context_key(&key, range);
                self.function_depth -= 1;
            }
        }
        if let Some(v) = &params.vararg {
            self.bind(v.name.id.as_str(), Binding::Local);
        }
        if let Some(k) = &params.kwarg {
            self.bind(k.name.id.as_str(), Binding::Context);
        }
        self.function_depth += 1;
        self.isolated += u32::from(isolated);
        for stmt in &f.body {
            self.visit_stmt(stmt);
        }
        self.isolated -= u32::from(isolated);
        self.function_depth -= 1;
        self.scopes.pop();
    }

    fn visit_import(&mut self, imp: &'a ast::StmtImport) {
        for alias in &imp.names {
            let module = alias.name.id.as_str();
            self.check_module(module, alias.range, &[]);
            match &alias.asname {
                Some(asname) => self.bind(asname.id.as_str(), Binding::Module(module.into())),
                None => {
                    let top = module.split('.').next().unwrap_or(module);
                    self.bind(top, Binding::Module(top.into()));
                }
            }
        }
    }

    fn visit_import_from(&mut self, imp: &'a ast::StmtImportFrom) {
        let module = imp.module.as_ref().map(|m| m.id.to_string());
        let Some(module) = module.filter(|_| imp.level == 0) else {
            for alias in &imp.names {
                let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                self.bind(bound.id.as_str(), Binding::Local);
            }
            return;
        };
        let range = imp.module.as_ref().map(|m| m.range).unwrap_or(imp.range);
        let names: Vec<&str> = imp.names.iter().map(|a| a.name.id.as_str()).collect();
        let module_ok = self.check_module(&module, range, &names);
        for alias in &imp.names {
            let name = alias.name.id.as_str();
            if name == "*" {
                continue;
            }
            let qual = format!("{module}.{name}");
            if module_ok {
                self.check_name(&qual, alias.range, false, true);
            }
            let is_module = self
                .ctx
                .index
                .is_some_and(|i| i.modules.contains_key(&qual));
            let binding = if self.is_local(&module) {
                Binding::Local
            } else if is_module {
                Binding::Module(qual)
            } else {
                Binding::Symbol(qual)
            };
            let bound = alias.asname.as_ref().unwrap_or(&alias.name);
            self.bind(bound.id.as_str(), binding);
        }
    }

    fn visit_assign_value(&mut self, targets: &[&'a Expr], value: &'a Expr) {
        self.visit_expr(value);
        let binding = match value {
            Expr::Call(call) => {
                let callee = self.qualify(&call.func).unwrap_or_default();
                if callee.ends_with("get_current_context") {
                    Binding::Context
                } else if callee == "dict" || callee.is_empty() && is_builtin_dict(&call.func) {
                    Binding::Dict(
                        call.arguments
                            .keywords
                            .iter()
                            .filter_map(|k| k.arg.as_ref().map(|a| (a.id.to_string(), a.range)))
                            .collect(),
                    )
                } else {
                    match self.signature_of(&callee) {
                        (_, Some(class)) => Binding::Instance(class),
                        _ => Binding::Local,
                    }
                }
            }
            Expr::Dict(d) => Binding::Dict(dict_literal_keys(d)),
            Expr::Name(n) => self
                .lookup(n.id.as_str())
                .cloned()
                .unwrap_or(Binding::Local),
            Expr::Attribute(_) => match self.qualify(value) {
                Some(q) => Binding::Symbol(q),
                None => Binding::Local,
            },
            _ => Binding::Local,
        };
        for target in targets {
            match target {
                Expr::Name(n) => self.bind(n.id.as_str(), binding.clone()),
                other => {
                    self.bind_targets(other);
                    self.visit_expr(other);
                }
            }
        }
    }

    fn bind_targets(&mut self, expr: &Expr) {
        match expr {
            Expr::Name(n) => self.bind(n.id.as_str(), Binding::Local),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.bind_targets(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.bind_targets(e)),
            Expr::Starred(s) => self.bind_targets(&s.value),
            _ => {}
        }
    }

    fn visit_try(&mut self, t: &'a ast::StmtTry) {
        let guards_import = t.handlers.iter().any(|h| {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            h.type_.as_deref().is_none_or(catches_import_error)
        });
        if !guards_import {
            for stmt in &t.body {
                self.visit_stmt(stmt);
            }
            for h in &t.handlers {
                self.visit_except_handler(h);
            }
            for stmt in t.orelse.iter().chain(&t.finalbody) {
                self.visit_stmt(stmt);
            }
            return;
        }
        let id = self.next_guard;
        self.next_guard += 1;
        let start = self.pending.len();
        self.guards.push((id, Branch::Body));
        for stmt in &t.body {
            self.visit_stmt(stmt);
        }
        self.guards.pop();
        self.guards.push((id, Branch::Handler));
        for h in &t.handlers {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            for stmt in &h.body {
                self.visit_stmt(stmt);
            }
        }
        self.guards.pop();
        for stmt in t.orelse.iter().chain(&t.finalbody) {
            self.visit_stmt(stmt);
        }
        let failed = |pending: &[Pending], branch: Branch| {
            pending.iter().any(|p| {
                p.guard == Some((id, branch))
                    && p.import
                    && p.checked.finding.severity == Severity::Error
            })
        };
        let body_failed = failed(&self.pending[start..], Branch::Body);
        let handler_failed = failed(&self.pending[start..], Branch::Handler);
        let mut kept = Vec::new();
        for mut p in self.pending.drain(start..) {
            match p.guard {
                Some((g, Branch::Handler)) if g == id && p.import && !body_failed => continue,
                Some((g, Branch::Body))
                    if g == id
                        && p.import
                        && !handler_failed
                        && p.checked.finding.severity == Severity::Error =>
                {
                    p.checked.finding.severity = Severity::Warning;
                    p.checked
                        .finding
                        .message
                        .push_str(" (guarded: the `except ImportError` branch runs instead)");
                }
                _ => {}
            }
            p.guard = self.guards.last().copied();
            kept.push(p);
        }
        self.pending.extend(kept);
    }
}

impl<'a> Visitor<'a> for Analyzer<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(imp) => self.visit_import(imp),
            Stmt::ImportFrom(imp) => self.visit_import_from(imp),
            Stmt::FunctionDef(f) => self.visit_function(f),
            Stmt::ClassDef(c) => {
                for d in &c.decorator_list {
                    self.visit_decorator(d);
                }
                if let Some(args) = &c.arguments {
                    self.visit_arguments(args);
                }
                self.bind(c.name.id.as_str(), Binding::Local);
                self.scopes.push(HashMap::default());
                for s in &c.body {
                    self.visit_stmt(s);
                }
                self.scopes.pop();
            }
            Stmt::Assign(a) => {
                let targets: Vec<&Expr> = a.targets.iter().collect();
                self.visit_assign_value(&targets, &a.value);
            }
            Stmt::AnnAssign(a) => {
                self.visit_annotation(&a.annotation);
                match &a.value {
                    Some(v) => self.visit_assign_value(&[&a.target], v),
                    None => self.bind_targets(&a.target),
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.bind_targets(v);
                    }
                }
                for s in &w.body {
                    self.visit_stmt(s);
                }
            }
            Stmt::For(f) => {
                self.visit_expr(&f.iter);
                self.bind_targets(&f.target);
                for s in f.body.iter().chain(&f.orelse) {
                    self.visit_stmt(s);
                }
            }
            Stmt::Try(t) => self.visit_try(t),
            Stmt::If(i) if is_type_checking(&i.test) => {
                self.type_checking += 1;
                for s in &i.body {
                    self.visit_stmt(s);
                }
                self.type_checking -= 1;
                for clause in &i.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.visit_expr(test);
                    }
                    for s in &clause.body {
                        self.visit_stmt(s);
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Attribute(a) if a.ctx == ExprContext::Load => {
                if let Some(q) = self.qualify(expr) {
                    // Inner parts of the chain are names only: nothing more to visit.
                    let attrs_only = matches!(
                        chain_head(expr).and_then(|h| self.lookup(h)),
                        Some(Binding::Symbol(_))
                    );
                    self.check_name(&q, a.attr.range, attrs_only, false);
                } else {
                    visitor::walk_expr(self, expr);
                }
            }
            Expr::Call(call) => {
                self.check_call(call, false);
                visitor::walk_expr(self, expr);
            }
            Expr::Subscript(s) => {
                if self.is_context(&s.value)
                    && let Expr::StringLiteral(lit) = &*s.slice
                {
                    self.context_key(lit.value.to_str(), lit.range);
                }
                visitor::walk_expr(self, expr);
            }
            Expr::StringLiteral(s) => self.scan_template(s),
            Expr::Named(n) => {
                self.visit_expr(&n.value);
                self.bind_targets(&n.target);
            }
            Expr::Lambda(l) => {
                self.scopes.push(HashMap::default());
                if let Some(params) = &l.parameters {
                    for p in params.iter() {
                        self.bind(p.name().id.as_str(), Binding::Local);
                    }
                }
                self.function_depth += 1;
                self.visit_expr(&l.body);
                self.function_depth -= 1;
                self.scopes.pop();
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// Decorators of tasks whose body runs in another Python environment.
const ISOLATED_TASKS: &[&str] = &[
    ".virtualenv",
    ".external_python",
    ".branch_virtualenv",
    ".branch_external_python",
    ".docker",
    ".kubernetes",
    ".pyspark",
];

/// Collects names passed as `python_callable=` (their parameters are task context keys), and
/// those run in another environment (PythonVirtualenvOperator, ExternalPythonOperator).
#[derive(Default)]
struct CallableCollector {
    names: HashSet<String>,
    isolated: HashSet<String>,
}

impl<'a> Visitor<'a> for CallableCollector {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            for kw in &call.arguments.keywords {
                if kw
                    .arg
                    .as_ref()
                    .is_some_and(|a| a.id.as_str() == "python_callable")
                    && let Expr::Name(n) = &kw.value
                {
                    self.names.insert(n.id.to_string());
                    let callee = match &*call.func {
                        Expr::Name(f) => f.id.as_str(),
                        Expr::Attribute(a) => a.attr.id.as_str(),
                        _ => "",
                    };
                    if callee.contains("Virtualenv") || callee.contains("ExternalPython") {
                        self.isolated.insert(n.id.to_string());
                    }
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// The curated rule code for a missing name when it is more specific than "not found"
/// (SubDAGs, Smart Sensors, ...).
fn specific_rule(qualname: &str) -> Option<&'static str> {
    rules()
        .name_rule_under(qualname)
        .map(|r| r.rule.as_str())
        .filter(|r| *r != "SKY201")
}

fn chain_head(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => chain_head(&a.value),
        _ => None,
    }
}

fn dict_literal_keys(d: &ast::ExprDict) -> Vec<(String, TextRange)> {
    d.items
        .iter()
        .filter_map(|item| match &item.key {
            Some(Expr::StringLiteral(s)) => Some((s.value.to_str().to_string(), s.range)),
            _ => None,
        })
        .collect()
}

fn is_builtin_dict(func: &Expr) -> bool {
    matches!(func, Expr::Name(n) if n.id.as_str() == "dict")
}

fn is_type_checking(test: &Expr) -> bool {
    match test {
        Expr::Name(n) => n.id.as_str() == "TYPE_CHECKING",
        Expr::Attribute(a) => a.attr.id.as_str() == "TYPE_CHECKING",
        _ => false,
    }
}

fn catches_import_error(expr: &Expr) -> bool {
    match expr {
        Expr::Name(n) => matches!(
            n.id.as_str(),
            "ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException"
        ),
        Expr::Attribute(a) => matches!(a.attr.id.as_str(), "ImportError" | "ModuleNotFoundError"),
        Expr::Tuple(t) => t.elts.iter().any(catches_import_error),
        _ => false,
    }
}

fn similar_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    a != b && (a.starts_with(&b) || b.starts_with(&a) || a.replace('_', "") == b.replace('_', ""))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}
