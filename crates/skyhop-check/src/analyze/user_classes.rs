//! User classes: what the file knows of a class it defines (bases in this file, in other
//! project modules or in the target), and the checks of its overrides and signatures against
//! the library classes it subclasses.

use std::path::Path;

use super::classes::{Base, Ty, UserClass};
use super::project::{
    BaseExpr, Imported, ModuleSummary, class_members, is_empty_base, is_staticmethod,
};
use super::*;

impl<'a> Analyzer<'a> {
    /// Builds what the file knows about class `c` (bases, members, attribute types). Bases
    /// defined in other project modules are read from there (see [`super::project`]).
    pub(super) fn user_class(&mut self, c: &'a ast::StmtClassDef) -> UserClass {
        let members = class_members(c);
        let mut class = UserClass {
            members: members.names,
            open: members.open,
            ..UserClass::default()
        };
        if let Some(args) = &c.arguments {
            for base in &args.args {
                match self.base_of(base) {
                    Base::User(u) => class.user_bases.push(u),
                    Base::Lib(canon) => class.lib_bases.push(canon),
                    Base::Empty => {}
                    Base::Unknown => class.open = true,
                }
            }
        }
        for (attr, value) in members.self_values {
            if let Expr::Call(call) = value
                && let Some(ty) = self.returns_of(call)
            {
                class.attr_types.entry(attr.to_string()).or_insert(ty);
            }
        }
        class
    }

    /// What a base class expression of this file is.
    pub(super) fn base_of(&mut self, base: &Expr) -> Base {
        // `Generic[T]`, `SomeBase[int]`: the class subscripted.
        let expr = match base {
            Expr::Subscript(s) => &*s.value,
            e => e,
        };
        let file = self.file;
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::UserClass(u)) => return Base::User(u.clone()),
                Some(Binding::Project(imported)) => {
                    let imported = imported.clone();
                    return self.imported_base(file, &imported, &[], 0);
                }
                None if n.id.as_str() == "object" => return Base::Empty,
                _ => {}
            },
            // `from . import mixins` then `mixins.Mixin`.
            Expr::Attribute(a) => {
                if let Expr::Name(n) = &*a.value
                    && let Some(Binding::Project(imported)) = self.lookup(n.id.as_str())
                {
                    let imported = imported.clone();
                    return self.imported_base(file, &imported, &[a.attr.id.to_string()], 0);
                }
            }
            _ => return Base::Unknown,
        }
        match self.qualify(expr) {
            Some(q) => self.qualified_base(file, &q, 0),
            None => Base::Unknown,
        }
    }

    /// A base given by its qualified name (`airflow.models.BaseOperator`,
    /// `plugins.mixins.Mixin`).
    pub(super) fn qualified_base(&mut self, from: &Path, qualname: &str, depth: u32) -> Base {
        if is_empty_base(qualname) {
            return Base::Empty;
        }
        if self.is_local(qualname) {
            return match qualname.rsplit_once('.') {
                Some((module, name)) => self.project_class(from, module, 0, name, depth),
                None => Base::Unknown,
            };
        }
        match self.class_of_name(qualname) {
            Some(canon) => Base::Lib(canon),
            None => Base::Unknown,
        }
    }

    /// A base bound by an import (`rest`: attributes after the bound name).
    pub(super) fn imported_base(
        &mut self,
        from: &Path,
        imported: &Imported,
        rest: &[String],
        depth: u32,
    ) -> Base {
        match imported {
            Imported::Module(m) if !rest.is_empty() => {
                self.qualified_base(from, &format!("{m}.{}", rest.join(".")), depth)
            }
            Imported::Module(_) => Base::Unknown,
            Imported::Name {
                module,
                level,
                name,
            } if *level > 0 || self.is_local(module) => {
                let Some((last, inner)) = rest.split_last() else {
                    return self.project_class(from, module, *level, name, depth);
                };
                // `from pkg import mod` then `mod.Class`.
                let mut path: Vec<&str> = Vec::new();
                if !module.is_empty() {
                    path.push(module);
                }
                path.push(name);
                path.extend(inner.iter().map(String::as_str));
                self.project_class(from, &path.join("."), *level, last, depth)
            }
            Imported::Name { module, name, .. } => {
                let mut q = format!("{module}.{name}");
                for r in rest {
                    q.push('.');
                    q.push_str(r);
                }
                self.qualified_base(from, &q, depth)
            }
        }
    }

    /// Class `name` of project module `module` (`level` leading dots) imported from `from`.
    pub(super) fn project_class(
        &mut self,
        from: &Path,
        module: &str,
        level: u32,
        name: &str,
        depth: u32,
    ) -> Base {
        let Some(project) = self.ctx.project.as_ref() else {
            return Base::Unknown;
        };
        if depth > 8 {
            return Base::Unknown;
        }
        let Some(file) = project.module_file(from, module, level) else {
            return Base::Unknown;
        };
        let Some(summary) = project.summary(&file) else {
            return Base::Unknown;
        };
        self.class_in_module(&file, &summary, name, depth)
    }

    /// Class `name` of the project module read from `file`: registered in `user_classes`
    /// under `path::name` with its bases followed, or what the module's import of that name
    /// is (a re-export).
    pub(super) fn class_in_module(
        &mut self,
        file: &Path,
        summary: &ModuleSummary,
        name: &str,
        depth: u32,
    ) -> Base {
        let Some(class) = summary.classes.get(name) else {
            return match summary.imports.get(name) {
                Some(imported) => self.imported_base(file, imported, &[], depth + 1),
                None => Base::Unknown,
            };
        };
        let key = format!("{}::{name}", file.display());
        if self.user_classes.contains_key(&key) {
            return Base::User(key);
        }
        // Open until its bases are known: an inheritance cycle ends here.
        let placeholder = UserClass {
            open: true,
            ..UserClass::default()
        };
        self.user_classes.insert(key.clone(), placeholder);
        let mut user = UserClass {
            members: class.members.clone(),
            open: class.open,
            ..UserClass::default()
        };
        for base in &class.bases {
            let path = match base {
                BaseExpr::Path(p) | BaseExpr::Subscript(p) => p,
                BaseExpr::Unknown => {
                    user.open = true;
                    continue;
                }
            };
            let resolved = match path.split_first() {
                Some((head, [])) if summary.classes.contains_key(head) => {
                    self.class_in_module(file, summary, head, depth + 1)
                }
                Some((head, rest)) => match summary.imports.get(head) {
                    Some(imported) => self.imported_base(file, imported, rest, depth + 1),
                    None if rest.is_empty() && is_empty_base(head) => Base::Empty,
                    None => Base::Unknown,
                },
                None => Base::Unknown,
            };
            match resolved {
                Base::User(u) => user.user_bases.push(u),
                Base::Lib(canon) => user.lib_bases.push(canon),
                Base::Empty => {}
                Base::Unknown => user.open = true,
            }
        }
        self.user_classes.insert(key.clone(), user);
        Base::User(key)
    }

    /// Methods and class attributes of user class `name` that the target no longer calls or
    /// reads (member table, confirmed by the index).
    pub(super) fn check_overrides(&mut self, c: &'a ast::StmtClassDef, name: &str) {
        let classes = self.lib_classes(&Ty::User(name.to_string()));
        if classes.is_empty() || self.type_checking > 0 || self.user_open(name, 0) {
            return;
        }
        let mut defined: Vec<(&str, TextRange)> = Vec::new();
        for stmt in &c.body {
            match stmt {
                Stmt::FunctionDef(f) => defined.push((f.name.id.as_str(), f.name.range)),
                Stmt::Assign(a) => {
                    for t in &a.targets {
                        if let Expr::Name(n) = t {
                            defined.push((n.id.as_str(), n.range));
                        }
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let Expr::Name(n) = &*a.target {
                        defined.push((n.id.as_str(), n.range));
                    }
                }
                _ => {}
            }
        }
        for (member, range) in defined {
            let Some(rule) = self.member_rule(&classes, member) else {
                continue;
            };
            if rule.override_severity.is_none() && !rule.override_only {
                continue;
            }
            let Some((severity, when)) = self.member_rule_severity(rule) else {
                continue;
            };
            let still_there = self.ctx.index.is_some_and(|i| {
                classes
                    .iter()
                    .any(|c| i.class_has_attr(c, member) == Some(true))
            });
            if still_there && !rule.override_only {
                continue;
            }
            let severity = if severity == Severity::Error {
                rule.override_severity.unwrap_or(Severity::Warning)
            } else {
                Severity::Warning
            };
            let base = classes[0].rsplit('.').next().unwrap_or(&classes[0]);
            let mut message = match &rule.message {
                Some(m) => format!("`{name}.{member}`: {m}"),
                None => format!(
                    "`{name}.{member}` overrides `{base}.{member}`, which the target ({}) no longer has or calls (removed in {when})",
                    self.owner_of(&classes[0])
                ),
            };
            if let Some(new) = &rule.new {
                message.push_str(&format!("; override `{new}` instead"));
            }
            self.push(range.start(), "SKY108", severity, message, rule.new.clone());
        }
    }

    /// Methods of user class `name` whose parameters no longer fit how the target's base class
    /// method is called: the override needs more arguments than the target passes, or takes
    /// fewer than it passes.
    pub(super) fn check_signatures(&mut self, c: &'a ast::StmtClassDef, name: &str) {
        let Some(index) = self.ctx.index else {
            return;
        };
        let classes = self.lib_classes(&Ty::User(name.to_string()));
        if classes.is_empty() || self.type_checking > 0 || self.user_open(name, 0) {
            return;
        }
        for stmt in &c.body {
            let Stmt::FunctionDef(f) = stmt else {
                continue;
            };
            let method = f.name.id.as_str();
            if method.starts_with("__") || self.user_bases_define(name, method) {
                continue;
            }
            let Some((owner, base)) = classes.iter().find_map(|c| index.method_params(c, method))
            else {
                continue;
            };
            let named: Vec<&str> = base
                .iter()
                .filter(|p| *p != "*" && *p != "**")
                .map(|p| p.trim_end_matches('='))
                .collect();
            let passed = base
                .iter()
                .filter(|p| *p != "*" && *p != "**" && !p.ends_with('='))
                .count();
            let base_takes_any = base.iter().any(|p| p == "*");
            let params = &f.parameters;
            let skip = usize::from(!is_staticmethod(f));
            let positional: Vec<&ast::ParameterWithDefault> = params
                .posonlyargs
                .iter()
                .chain(&params.args)
                .skip(skip)
                .collect();
            let required = positional.iter().filter(|p| p.default.is_none()).count()
                + params
                    .kwonlyargs
                    .iter()
                    .filter(|p| p.default.is_none())
                    .count();
            let takes_any = params.vararg.is_some() || params.kwarg.is_some();
            let accepted = positional.len() + params.kwonlyargs.len();
            let needs_more = required > named.len() && !base_takes_any;
            let takes_fewer = accepted < passed && !takes_any;
            if !(needs_more || takes_fewer) {
                continue;
            }
            let base_name = owner.rsplit('.').next().unwrap_or(owner);
            let message = format!(
                "`{name}.{method}` overrides `{base_name}.{method}({})`, which the target ({}) calls with {}: {}",
                named.join(", "),
                self.owner_of(owner),
                if passed == 0 {
                    "no arguments".to_string()
                } else {
                    format!("{passed} argument(s)")
                },
                if needs_more {
                    "the override requires more, so the call raises TypeError"
                } else {
                    "the override accepts fewer, so the call raises TypeError"
                }
            );
            self.push(
                f.name.range.start(),
                "SKY108",
                Severity::Warning,
                message,
                None,
            );
        }
    }

    /// Whether a user base of user class `name` defines `member` (the override is of a user
    /// method, not of the library's).
    pub(super) fn user_bases_define(&self, name: &str, member: &str) -> bool {
        self.user_classes
            .get(name)
            .is_some_and(|c| c.user_bases.iter().any(|b| self.user_defines(b, member, 0)))
    }
}
