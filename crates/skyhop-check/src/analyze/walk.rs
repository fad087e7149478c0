//! The walk: statements and expressions, scopes and bindings, `try/except ImportError`
//! fallbacks, `TYPE_CHECKING` blocks, task functions.

use super::*;

impl<'a> Analyzer<'a> {
    pub(super) fn visit_function(&mut self, f: &'a ast::StmtFunctionDef) {
        let method_of = self.class_body.take().filter(|_| Self::is_method_scope(f));
        let mut returns_dag = false;
        // `execute(self, context)` of an operator: its parameters are context keys too.
        let execute = method_of.is_some() && f.name.id.as_str() == "execute";
        let mut is_task = execute || self.callables.contains(f.name.id.as_str());
        let mut isolated = self.isolated_callables.contains(f.name.id.as_str());
        for d in &f.decorator_list {
            let expr = match &d.expression {
                Expr::Call(c) => &*c.func,
                e => e,
            };
            let q = self.qualify(expr).unwrap_or_default();
            self.check_decorator(&q, d.range());
            if q.starts_with("airflow.") && ISOLATED_TASKS.iter().any(|t| q.ends_with(t)) {
                isolated = true;
            }
            if q.starts_with("airflow.") && (q.ends_with(".task") || q.contains(".task.")) {
                is_task = true;
            }
            if q.starts_with("airflow.") && q.ends_with(".dag") {
                returns_dag = true;
                match &d.expression {
                    Expr::Call(c) => {
                        self.check_call(c, true);
                    }
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
        let binding = if returns_dag {
            Binding::Returns(self.dag_class())
        } else {
            Binding::Local
        };
        self.bind(f.name.id.as_str(), binding);
        self.scopes.push(HashMap::default());
        for (i, p) in params
            .posonlyargs
            .iter()
            .chain(&params.args)
            .chain(&params.kwonlyargs)
            .enumerate()
        {
            let name = p.parameter.name.id.as_str();
            let binding = if i == 0
                && let Some(class) = &method_of
            {
                Binding::SelfOf(class.clone())
            } else if name == "context" {
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
        if let Some(class) = &method_of {
            self.method_classes.push(class.clone());
        }
        for stmt in &f.body {
            self.visit_stmt(stmt);
        }
        if method_of.is_some() {
            self.method_classes.pop();
        }
        self.isolated -= u32::from(isolated);
        self.function_depth -= 1;
        self.scopes.pop();
    }

    pub(super) fn visit_class(&mut self, c: &'a ast::StmtClassDef) {
        for d in &c.decorator_list {
            self.visit_decorator(d);
        }
        if let Some(args) = &c.arguments {
            self.visit_arguments(args);
        }
        let name = c.name.id.as_str().to_owned();
        let class = self.user_class(c);
        self.user_classes.insert(name.clone(), class);
        self.bind(c.name.id.as_str(), Binding::UserClass(name.clone()));
        self.check_overrides(c, &name);
        self.check_signatures(c, &name);
        self.scopes.push(HashMap::default());
        for s in &c.body {
            if matches!(s, Stmt::FunctionDef(_)) {
                self.class_body = Some(name.clone());
            }
            self.visit_stmt(s);
            self.class_body = None;
        }
        self.scopes.pop();
    }

    pub(super) fn visit_import(&mut self, imp: &'a ast::StmtImport) {
        for alias in &imp.names {
            let module = alias.name.id.as_str();
            if self.is_local(module) {
                self.local_import(module, 0, Vec::new(), alias.range.start());
            }
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

    pub(super) fn visit_import_from(&mut self, imp: &'a ast::StmtImportFrom) {
        let module = imp.module.as_ref().map(|m| m.id.as_str());
        if imp.level > 0 || module.is_some_and(|m| self.is_local(m)) {
            let names = imp
                .names
                .iter()
                .map(|a| a.name.id.as_str().to_owned())
                .collect();
            self.local_import(module.unwrap_or(""), imp.level, names, imp.range.start());
        }
        let project = |name: &str| {
            Binding::Project(project::Imported::Name {
                module: module.unwrap_or("").to_string(),
                level: imp.level,
                name: name.to_string(),
            })
        };
        let Some(module) = module.filter(|_| imp.level == 0) else {
            for alias in &imp.names {
                let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                self.bind(bound.id.as_str(), project(alias.name.id.as_str()));
            }
            return;
        };
        let range = imp.module.as_ref().map(|m| m.range).unwrap_or(imp.range);
        let names: Vec<&str> = imp.names.iter().map(|a| a.name.id.as_str()).collect();
        let module_ok = self.check_module(module, range, &names);
        for alias in &imp.names {
            let name = alias.name.id.as_str();
            if name == "*" {
                continue;
            }
            let mut qual = String::with_capacity(module.len() + 1 + name.len());
            qual.push_str(module);
            qual.push('.');
            qual.push_str(name);
            if module_ok {
                self.check_name(&qual, alias.range, false, true);
            }
            let is_module = self
                .ctx
                .index
                .is_some_and(|i| i.modules.contains_key(&qual));
            let binding = if self.is_local(module) {
                project(name)
            } else if is_module {
                Binding::Module(qual)
            } else {
                Binding::Symbol(qual)
            };
            let bound = alias.asname.as_ref().unwrap_or(&alias.name);
            self.bind(bound.id.as_str(), binding);
        }
    }

    pub(super) fn visit_assign_value(&mut self, targets: &[&'a Expr], value: &'a Expr) {
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
                            .filter_map(|k| {
                                k.arg.as_ref().map(|a| (a.id.as_str().to_owned(), a.range))
                            })
                            .collect(),
                    )
                } else {
                    self.ty_of(value)
                        .map(Self::binding_of)
                        .unwrap_or(Binding::Local)
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
            Expr::Subscript(_) => self
                .ty_of(value)
                .map(Self::binding_of)
                .unwrap_or(Binding::Local),
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

    pub(super) fn bind_targets(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) => self.bind(n.id.as_str(), Binding::Local),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.bind_targets(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.bind_targets(e)),
            Expr::Starred(s) => self.bind_targets(&s.value),
            _ => {}
        }
    }

    pub(super) fn visit_try(&mut self, t: &'a ast::StmtTry) {
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
            Stmt::ClassDef(c) => self.visit_class(c),
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
                        // `with DAG(...) as dag`: `__enter__` returns the object.
                        if let Expr::Name(n) = &**v
                            && let Some(ty) = self.ty_of(&item.context_expr)
                        {
                            self.bind(n.id.as_str(), Self::binding_of(ty));
                        }
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
                    self.check_value_attribute(&q, a.attr.range);
                    // Inner parts of the chain are names only: nothing more to visit.
                    let attrs_only = matches!(
                        chain_head(expr).and_then(|h| self.lookup(h)),
                        Some(Binding::Symbol(_))
                    );
                    self.check_name(&q, a.attr.range, attrs_only, false);
                } else {
                    if let Some(ty) = self.ty_of(&a.value) {
                        let text = self.text_of(a.range);
                        self.check_member(&ty, text, a.attr.id.as_str(), a.attr.range, false);
                    }
                    visitor::walk_expr(self, expr);
                }
            }
            Expr::Call(call) => {
                let qualified = self.check_call(call, false);
                match &*call.func {
                    // `obj.method(...)`: the method was checked as a call already.
                    Expr::Attribute(a) if !qualified => {
                        self.visit_expr(&a.value);
                        self.visit_arguments(&call.arguments);
                    }
                    _ => visitor::walk_expr(self, expr),
                }
            }
            Expr::Subscript(s) => {
                if self.is_context(&s.value)
                    && let Expr::StringLiteral(lit) = &*s.slice
                {
                    self.context_key(lit.value.to_str(), lit.range);
                }
                // `inlet_events["s3://..."]`: indexing by a string.
                if let Expr::StringLiteral(lit) = &*s.slice
                    && let Some(ty) = self.ty_of(&s.value)
                {
                    let text = self.text_of(s.range);
                    self.check_member(&ty, text, "[str]", lit.range, false);
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
pub(super) struct CallableCollector {
    pub(super) names: HashSet<String>,
    pub(super) isolated: HashSet<String>,
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
                    self.names.insert(n.id.as_str().to_owned());
                    let callee = match &*call.func {
                        Expr::Name(f) => f.id.as_str(),
                        Expr::Attribute(a) => a.attr.id.as_str(),
                        _ => "",
                    };
                    if callee.contains("Virtualenv") || callee.contains("ExternalPython") {
                        self.isolated.insert(n.id.as_str().to_owned());
                    }
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
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
