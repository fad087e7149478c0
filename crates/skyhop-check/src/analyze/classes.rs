//! Objects and class hierarchies: what class an expression's value is (constructors,
//! well-known factories, `with DAG(...) as dag`, `@dag` functions, `self.x` set in
//! `__init__`), user classes that subclass library classes (`self.x`, `super().x`, `cls.x`
//! resolve through the library bases of the target), and members that the target removed.

use super::project::is_staticmethod;
use super::*;
use crate::rules::{MemberRule, class_matches};

/// What class a value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ty {
    /// A library class (canonical name in the target, or the imported path without an index).
    Lib(String),
    /// A class defined in the file (local name).
    User(String),
    /// `super()` inside a method of that user class.
    Super(String),
}

/// A class defined in the checked file.
#[derive(Debug, Clone, Default)]
pub(super) struct UserClass {
    /// Library bases (canonical names).
    pub(super) lib_bases: Vec<String>,
    /// Bases that are classes of this file.
    pub(super) user_bases: Vec<String>,
    /// Methods, class attributes and `self.x = ...` attributes it defines.
    pub(super) members: HashSet<String>,
    /// Classes of `self.x` attributes, from their assignments.
    pub(super) attr_types: HashMap<String, Ty>,
    /// It may have members no one can list: a base that cannot be followed, `__getattr__`,
    /// a class decorator or metaclass that may add some.
    pub(super) open: bool,
}

/// What a base class expression is.
pub(super) enum Base {
    /// A class of this file, or of another project module (its key in `user_classes`).
    User(String),
    /// A library class (canonical name).
    Lib(String),
    /// Adds no members (`object`, `ABC`, `Generic[T]`).
    Empty,
    /// Cannot be followed.
    Unknown,
}

impl<'a> Analyzer<'a> {
    /// The canonical class a qualified name refers to (through a deprecation shim too). When
    /// the target cannot say (a removed class, an opaque module, a provider not installed),
    /// the curated replacement's class, else the name itself: the member table matches classes
    /// by their last segment.
    pub(super) fn class_of_name(&self, qualname: &str) -> Option<String> {
        let camel = qualname
            .rsplit('.')
            .next()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_uppercase()));
        let fallback = || (qualname.starts_with("airflow.") && camel).then(|| qualname.to_string());
        let Some(index) = self.ctx.index else {
            return fallback();
        };
        let class = |q: &str| match &*self.ctx.resolve(index, q) {
            Resolved::Class(c) => Some(c.clone()),
            _ => None,
        };
        match &*self.ctx.resolve(index, qualname) {
            Resolved::Class(c) => Some(c.clone()),
            Resolved::Deprecated {
                target: Some(t), ..
            } => class(t).or_else(fallback),
            Resolved::Function(_) | Resolved::Module | Resolved::Value => None,
            _ => rules()
                .name_rule(qualname)
                .and_then(|r| r.new.as_deref())
                .and_then(class)
                .or_else(fallback),
        }
    }

    /// The class of an expression's value, when known.
    pub(super) fn ty_of(&self, expr: &Expr) -> Option<Ty> {
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str())? {
                Binding::Instance(c) => Some(Ty::Lib(c.clone())),
                Binding::UserInstance(u) | Binding::SelfOf(u) => Some(Ty::User(u.clone())),
                _ => None,
            },
            Expr::Attribute(a) => match self.ty_of(&a.value)? {
                Ty::User(u) => self.user_attr_type(&u, a.attr.id.as_str(), 0),
                _ => None,
            },
            Expr::Call(call) => self.returns_of(call),
            Expr::Subscript(sub) if self.is_context(&sub.value) => self.context_value(&sub.slice),
            _ => None,
        }
    }

    /// The class of the value of context key `key`.
    pub(super) fn context_value(&self, key: &Expr) -> Option<Ty> {
        let Expr::StringLiteral(s) = key else {
            return None;
        };
        let key = s.value.to_str();
        let returns = rules()
            .context_keys
            .iter()
            .find(|k| k.key == key)?
            .returns
            .as_deref()?;
        self.class_of_name(returns).map(Ty::Lib)
    }

    pub(super) fn returns_of(&self, call: &ast::ExprCall) -> Option<Ty> {
        // context.get("dag_run")
        if let Expr::Attribute(a) = &*call.func
            && a.attr.id.as_str() == "get"
            && self.is_context(&a.value)
        {
            return self.context_value(call.arguments.args.first()?);
        }
        if let Expr::Name(n) = &*call.func {
            match self.lookup(n.id.as_str()) {
                Some(Binding::UserClass(u)) => return Some(Ty::User(u.clone())),
                Some(Binding::Returns(c)) => return Some(Ty::Lib(c.clone())),
                None if n.id.as_str() == "super" && call.arguments.args.is_empty() => {
                    return self.method_classes.last().map(|u| Ty::Super(u.clone()));
                }
                _ => {}
            }
        }
        let factories = &rules().factories;
        if let Some(callee) = self.qualify(&call.func) {
            let hit = factories.iter().find(|f| {
                callee == f.callee
                    || callee
                        .strip_suffix(f.callee.as_str())
                        .is_some_and(|p| p.ends_with('.'))
            });
            if let Some(f) = hit {
                return self.class_of_name(&f.returns).map(Ty::Lib);
            }
            if let Some(class) = &self.signature_of(&callee).class {
                return Some(Ty::Lib(class.clone()));
            }
            return self.class_of_name(&callee).map(Ty::Lib);
        }
        // obj.method(...) of a known class.
        if let Expr::Attribute(a) = &*call.func {
            let classes = self.lib_classes(&self.ty_of(&a.value)?);
            let method = a.attr.id.as_str();
            let f = factories.iter().find(|f| {
                f.callee.rsplit_once('.').is_some_and(|(class, m)| {
                    m == method && classes.iter().any(|c| class_matches(class, c))
                })
            })?;
            return self.class_of_name(&f.returns).map(Ty::Lib);
        }
        None
    }

    pub(super) fn user_attr_type(&self, user: &str, attr: &str, depth: u32) -> Option<Ty> {
        let class = self.user_classes.get(user)?;
        if let Some(t) = class.attr_types.get(attr) {
            return Some(t.clone());
        }
        if depth > 8 {
            return None;
        }
        class
            .user_bases
            .iter()
            .find_map(|b| self.user_attr_type(b, attr, depth + 1))
    }

    /// Whether a user class (or one of its user bases) defines `member`.
    pub(super) fn user_defines(&self, user: &str, member: &str, depth: u32) -> bool {
        let Some(class) = self.user_classes.get(user) else {
            return false;
        };
        class.members.contains(member)
            || depth < 8
                && class
                    .user_bases
                    .iter()
                    .any(|b| self.user_defines(b, member, depth + 1))
    }

    /// Whether a user class (or one of its user bases) is open: its members cannot all be
    /// known.
    pub(super) fn user_open(&self, user: &str, depth: u32) -> bool {
        let Some(class) = self.user_classes.get(user) else {
            return true;
        };
        class.open
            || depth >= 8
            || class
                .user_bases
                .iter()
                .any(|b| self.user_open(b, depth + 1))
    }

    /// The names of the user classes `user` derives from (this file's and other project
    /// modules'), in the order first met.
    pub(super) fn user_base_names(&self, user: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut queue: std::collections::VecDeque<&str> = [user].into();
        while let Some(u) = queue.pop_front() {
            let Some(class) = self.user_classes.get(u) else {
                continue;
            };
            for b in &class.user_bases {
                let shown = format!("`{}`", b.rsplit("::").next().unwrap_or(b));
                if !out.contains(&shown) && out.len() < 8 {
                    out.push(shown);
                    queue.push_back(b);
                }
            }
        }
        out
    }

    /// Library classes behind a type: itself, or the library bases of a user class.
    pub(super) fn lib_classes(&self, ty: &Ty) -> Vec<String> {
        match ty {
            Ty::Lib(c) => vec![c.clone()],
            Ty::User(u) | Ty::Super(u) => {
                let mut out = Vec::new();
                let mut stack = vec![u.clone()];
                let mut seen = HashSet::default();
                while let Some(u) = stack.pop() {
                    if !seen.insert(u.clone()) {
                        continue;
                    }
                    if let Some(c) = self.user_classes.get(&u) {
                        out.extend(c.lib_bases.iter().cloned());
                        stack.extend(c.user_bases.iter().cloned());
                    }
                }
                out
            }
        }
    }

    /// `classes` and their bases, as the index knows them.
    pub(super) fn mro(&self, classes: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut stack: Vec<String> = classes.to_vec();
        while let Some(c) = stack.pop() {
            if out.contains(&c) {
                continue;
            }
            if let Some(info) = self.ctx.index.and_then(|i| i.classes.get(&c)) {
                stack.extend(info.bases.iter().cloned());
            }
            out.push(c);
        }
        out
    }

    /// The member-table entry for `member` of one of `classes` (or their bases).
    pub(super) fn member_rule(
        &self,
        classes: &[String],
        member: &str,
    ) -> Option<&'static MemberRule> {
        let mro = self.mro(classes);
        rules()
            .members
            .iter()
            .find(|r| r.member == member && mro.iter().any(|c| class_matches(&r.class, c)))
    }

    /// Severity of a member rule for the target, and the version text to quote.
    pub(super) fn member_rule_severity(&self, rule: &MemberRule) -> Option<(Severity, String)> {
        let (version, label) = match &rule.package {
            Some(p) => {
                let v = self.ctx.index?.installed(p)?;
                (Version::parse(v)?, p.clone())
            }
            None => (self.ctx.target.clone(), "Airflow".to_string()),
        };
        let severity = rule.range.severity(&version)?;
        Some((severity, format!("{label} {}", rule.range.when(severity))))
    }

    /// `Airflow 3.1.3`, or the provider and its version that installs `class` in the target.
    pub(super) fn owner_of(&self, class: &str) -> String {
        if let Some(index) = self.ctx.index
            && let Some(dist) = index.distribution_of(class)
            && dist != "apache-airflow"
            && let Some(v) = index.installed(dist)
        {
            return format!("{dist} {v}");
        }
        format!("Airflow {}", self.target())
    }

    /// Checks `<expr>.member` (a call when `call`) on a value of class `ty`.
    pub(super) fn check_member(
        &mut self,
        ty: &Ty,
        text: &str,
        member: &str,
        range: TextRange,
        call: bool,
    ) {
        if self.type_checking > 0 || self.isolated > 0 || member.starts_with("__") {
            return;
        }
        let user = match ty {
            Ty::User(u) => {
                if self.user_defines(u, member, 0) || self.user_open(u, 0) {
                    return;
                }
                Some(u.clone())
            }
            Ty::Super(u) => {
                let bases = self
                    .user_classes
                    .get(u)
                    .map(|c| c.user_bases.as_slice())
                    .unwrap_or_default();
                if bases
                    .iter()
                    .any(|b| self.user_defines(b, member, 0) || self.user_open(b, 0))
                {
                    return;
                }
                Some(u.clone())
            }
            Ty::Lib(_) => None,
        };
        let classes = self.lib_classes(ty);
        if classes.is_empty() {
            return;
        }
        let index = self.ctx.index;
        let has = |answer: bool| {
            index.is_some_and(|i| {
                classes
                    .iter()
                    .any(|c| i.class_has_attr(c, member) == Some(answer))
            })
        };
        let missing = index.is_some()
            && classes
                .iter()
                .all(|c| index.is_some_and(|i| i.class_has_attr(c, member) == Some(false)));
        let present = has(true);
        // Constructor arguments become instance attributes the class does not list.
        let init_param = index.is_some_and(|i| {
            self.mro(&classes).iter().any(|c| {
                i.class_init(c)
                    .is_some_and(|s| s.params.iter().any(|p| p == member))
            })
        });
        let rule = self
            .member_rule(&classes, member)
            .filter(|r| !r.override_only);
        let ruled = rule.and_then(|r| Some((r, self.member_rule_severity(r)?)));
        let severity = match &ruled {
            Some(_) if present => Some(Severity::Warning),
            Some((_, (s, _))) => Some(*s),
            None if missing && call && !init_param => Some(Severity::Error),
            None => None,
        };
        let Some(severity) = severity else {
            return;
        };
        let base = classes[0].rsplit('.').next().unwrap_or(&classes[0]);
        let kind = if call { "method" } else { "attribute" };
        let mut message = match &user {
            Some(u) => {
                let own = self.user_base_names(u);
                if own.is_empty() {
                    format!(
                        "`{text}`: `{base}` (base of `{u}`) has no {kind} `{member}` in the target ({})",
                        self.owner_of(&classes[0])
                    )
                } else {
                    format!(
                        "`{text}`: no class `{u}` derives from has {kind} `{member}`: not its own bases ({}), nor `{base}` in the target ({})",
                        own.join(", "),
                        self.owner_of(&classes[0])
                    )
                }
            }
            None => format!(
                "`{text}`: class `{}` has no {kind} `{member}` in the target ({})",
                classes[0],
                self.owner_of(&classes[0])
            ),
        };
        if present {
            message = format!(
                "`{text}`: `{base}.{member}` still exists in the target ({}) but is deprecated or internal",
                self.owner_of(&classes[0])
            );
        }
        let mut replacement = None;
        if let Some((r, (_, when))) = &ruled {
            if member.starts_with('[') {
                message = format!("`{text}`: {}", r.message.as_deref().unwrap_or(""));
                self.push(range.start(), "SKY107", severity, message, None);
                return;
            }
            if !present {
                let of = user
                    .as_ref()
                    .map(|u| format!(" (a base of `{u}`)"))
                    .unwrap_or_default();
                message = format!(
                    "`{text}`: `{base}.{member}`{of} was removed in {when}; the target has {}",
                    self.owner_of(&classes[0])
                );
            }
            if let Some(m) = &r.message {
                message.push_str(&format!(": {m}"));
            }
            if let Some(new) = &r.new {
                message.push_str(&format!("; use `{new}`"));
                replacement = Some(new.clone());
            }
        }
        let rule = if ruled.is_some() { "SKY107" } else { "SKY105" };
        self.push(range.start(), rule, severity, message, replacement);
    }

    /// The class a `@dag` function returns.
    pub(super) fn dag_class(&self) -> String {
        ["airflow.sdk.DAG", "airflow.models.dag.DAG"]
            .iter()
            .find_map(|q| self.class_of_name(q).filter(|_| self.ctx.index.is_some()))
            .unwrap_or_else(|| "airflow.models.dag.DAG".to_string())
    }

    /// The binding of a value of type `ty`.
    pub(super) fn binding_of(ty: Ty) -> Binding {
        match ty {
            Ty::Lib(c) => Binding::Instance(c),
            Ty::User(u) => Binding::UserInstance(u),
            Ty::Super(_) => Binding::Local,
        }
    }

    /// Source text of a node.
    pub(super) fn text_of(&self, range: TextRange) -> &'a str {
        self.source
            .get(range.start().to_usize()..range.end().to_usize())
            .unwrap_or("")
    }

    pub(super) fn is_method_scope(f: &ast::StmtFunctionDef) -> bool {
        !is_staticmethod(f)
    }
}
