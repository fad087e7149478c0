//! The project's own classes across its modules: a class whose base is a mixin or base class
//! defined in another module of the project (`plugins/`, `include/`, any local package) gets
//! that class's members and bases, as Python builds its MRO. Each such module is read once
//! per check (parsed on first use, shared by the threads checking files) into a
//! [`ModuleSummary`]: its classes (bases as written, members, whether they can have members no
//! one can list) and the names its imports bind.
//!
//! A base that cannot be followed (a module not found, a name bound dynamically, a class of a
//! package the index does not describe) makes the class *open*: nothing is said about its
//! members, never a guess.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Bases that add no members a check could miss (`object`, `ABC`, `Generic[T]`).
const EMPTY_BASES: &[&str] = &[
    "object",
    "builtins.object",
    "abc.ABC",
    "typing.Generic",
    "typing.Protocol",
    "typing_extensions.Protocol",
];

/// Class decorators known to add no members beyond the class's own fields.
const PLAIN_DECORATORS: &[&str] = &[
    "dataclass",
    "total_ordering",
    "final",
    "runtime_checkable",
    "s",
    "define",
    "frozen",
    "mutable",
    "attrs",
];

/// Metaclasses known to add no members.
const PLAIN_METACLASSES: &[&str] = &["ABCMeta", "abc.ABCMeta"];

/// Whether a qualified base name is one of [`EMPTY_BASES`].
pub(super) fn is_empty_base(qualname: &str) -> bool {
    EMPTY_BASES.contains(&qualname)
}

/// What a class body defines.
#[derive(Debug, Default)]
pub(super) struct Members<'a> {
    /// Methods, class attributes, nested classes and `self.x` attributes set in its methods.
    pub names: HashSet<String>,
    /// `self.x = value` assignments (for the classes of attributes).
    pub self_values: Vec<(&'a str, &'a Expr)>,
    /// It may have members no one can list: `__getattr__`, a class decorator or metaclass
    /// that may add some.
    pub open: bool,
}

/// The members class `c` defines (see [`Members`]).
pub(super) fn class_members(c: &ast::StmtClassDef) -> Members<'_> {
    let mut out = Members::default();
    for d in &c.decorator_list {
        let expr = match &d.expression {
            Expr::Call(call) => &*call.func,
            e => e,
        };
        let last = match expr {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.id.as_str(),
            _ => "",
        };
        if !PLAIN_DECORATORS.contains(&last) {
            out.open = true;
        }
    }
    if let Some(args) = &c.arguments {
        for kw in &args.keywords {
            if kw
                .arg
                .as_ref()
                .is_some_and(|a| a.id.as_str() == "metaclass")
            {
                let known = dotted(&kw.value)
                    .is_some_and(|d| PLAIN_METACLASSES.contains(&d.join(".").as_str()));
                out.open |= !known;
            }
        }
    }
    body_members(&c.body, &mut out);
    out.open |= out.names.contains("__getattr__") || out.names.contains("__getattribute__");
    out
}

fn body_members<'a>(body: &'a [Stmt], out: &mut Members<'a>) {
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(f) => {
                out.names.insert(f.name.id.as_str().to_owned());
                let Some(receiver) = first_param(f).filter(|_| !is_staticmethod(f)) else {
                    continue;
                };
                let mut assigns = SelfAssigns {
                    receiver,
                    found: Vec::new(),
                };
                for s in &f.body {
                    assigns.visit_stmt(s);
                }
                for (attr, value) in assigns.found {
                    out.names.insert(attr.to_string());
                    out.self_values.push((attr, value));
                }
            }
            Stmt::Assign(a) => {
                for t in &a.targets {
                    names_in(t, &mut out.names);
                }
            }
            Stmt::AnnAssign(a) => names_in(&a.target, &mut out.names),
            Stmt::AugAssign(a) => names_in(&a.target, &mut out.names),
            Stmt::ClassDef(inner) => {
                out.names.insert(inner.name.id.as_str().to_owned());
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                // `import x` in a class body binds a class attribute.
                for name in imported_names(stmt) {
                    out.names.insert(name.to_string());
                }
            }
            // Members defined conditionally count: they may exist.
            Stmt::If(i) => {
                body_members(&i.body, out);
                for clause in &i.elif_else_clauses {
                    body_members(&clause.body, out);
                }
            }
            Stmt::Try(t) => {
                body_members(&t.body, out);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    body_members(&h.body, out);
                }
                body_members(&t.orelse, out);
                body_members(&t.finalbody, out);
            }
            Stmt::With(w) => body_members(&w.body, out),
            Stmt::For(f) => {
                names_in(&f.target, &mut out.names);
                body_members(&f.body, out);
            }
            _ => {}
        }
    }
}

/// Names an import statement binds.
fn imported_names(stmt: &Stmt) -> Vec<&str> {
    match stmt {
        Stmt::Import(i) => i
            .names
            .iter()
            .map(|a| match &a.asname {
                Some(n) => n.id.as_str(),
                None => a.name.id.as_str().split('.').next().unwrap_or(""),
            })
            .collect(),
        Stmt::ImportFrom(i) => i
            .names
            .iter()
            .map(|a| a.asname.as_ref().unwrap_or(&a.name).id.as_str())
            .collect(),
        _ => Vec::new(),
    }
}

/// Collects `first_param.x = value` assignments in a method body.
struct SelfAssigns<'a> {
    receiver: &'a str,
    found: Vec<(&'a str, &'a Expr)>,
}

impl<'a> Visitor<'a> for SelfAssigns<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let mut record = |target: &'a Expr, value: Option<&'a Expr>| {
            if let Expr::Attribute(a) = target
                && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == self.receiver)
            {
                self.found
                    .push((a.attr.id.as_str(), value.unwrap_or(target)));
            }
        };
        match stmt {
            Stmt::Assign(a) => a.targets.iter().for_each(|t| record(t, Some(&a.value))),
            Stmt::AnnAssign(a) => record(&a.target, a.value.as_deref()),
            Stmt::AugAssign(a) => record(&a.target, None),
            // Nested functions and classes have their own `self`.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        // `setattr(self, name, value)`: an attribute no one can name.
        if let Expr::Call(call) = expr
            && matches!(&*call.func, Expr::Name(n) if n.id.as_str() == "setattr")
            && matches!(call.arguments.args.first(), Some(Expr::Name(n)) if n.id.as_str() == self.receiver)
        {
            self.found.push(("__getattr__", expr));
        }
        visitor::walk_expr(self, expr);
    }
}

fn first_param(f: &ast::StmtFunctionDef) -> Option<&str> {
    let p = &f.parameters;
    p.posonlyargs
        .iter()
        .chain(&p.args)
        .next()
        .map(|p| p.parameter.name.id.as_str())
}

pub(super) fn is_staticmethod(f: &ast::StmtFunctionDef) -> bool {
    f.decorator_list
        .iter()
        .any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "staticmethod"))
}

pub(super) fn names_in(target: &Expr, out: &mut HashSet<String>) {
    match target {
        Expr::Name(n) => {
            out.insert(n.id.as_str().to_owned());
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| names_in(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| names_in(e, out)),
        Expr::Starred(s) => names_in(&s.value, out),
        _ => {}
    }
}

/// `a.b.C` as segments; `None` for anything else.
pub(super) fn dotted(expr: &Expr) -> Option<Vec<&str>> {
    match expr {
        Expr::Name(n) => Some(vec![n.id.as_str()]),
        Expr::Attribute(a) => {
            let mut head = dotted(&a.value)?;
            head.push(a.attr.id.as_str());
            Some(head)
        }
        _ => None,
    }
}

/// A base class expression as written in a project module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BaseExpr {
    /// `Name` or `a.b.Name`.
    Path(Vec<String>),
    /// `object`, or a subscripted `Generic[T]`-like base (resolved like its value).
    Subscript(Vec<String>),
    /// Anything else (a call, a variable of unknown value...).
    Unknown,
}

/// A class of a project module.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassSummary {
    pub bases: Vec<BaseExpr>,
    pub members: HashSet<String>,
    pub open: bool,
}

/// What a module-level import binds a name to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Imported {
    /// `import a.b as c` (`c` → `a.b`); `import a.b` binds `a` → `a`.
    Module(String),
    /// `from module import name` (`level` leading dots).
    Name {
        module: String,
        level: u32,
        name: String,
    },
}

/// The classes and import bindings of one project module.
#[derive(Debug, Default)]
pub(crate) struct ModuleSummary {
    pub classes: HashMap<String, ClassSummary>,
    pub imports: HashMap<String, Imported>,
}

impl ModuleSummary {
    /// Reads a parsed module's top level (and the bodies of top-level `if` / `try` / `with`).
    fn of(body: &[Stmt]) -> ModuleSummary {
        let mut out = ModuleSummary::default();
        out.read(body);
        out
    }

    fn read(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Import(imp) => {
                    for a in &imp.names {
                        let module = a.name.id.as_str();
                        match &a.asname {
                            Some(n) => {
                                self.imports
                                    .insert(n.id.to_string(), Imported::Module(module.into()));
                            }
                            None => {
                                let top = module.split('.').next().unwrap_or(module);
                                self.imports
                                    .insert(top.to_string(), Imported::Module(top.into()));
                            }
                        }
                    }
                }
                Stmt::ImportFrom(imp) => {
                    let module = imp.module.as_ref().map_or("", |m| m.id.as_str());
                    for a in &imp.names {
                        if a.name.id.as_str() == "*" {
                            continue;
                        }
                        let bound = a.asname.as_ref().unwrap_or(&a.name);
                        self.imports.insert(
                            bound.id.to_string(),
                            Imported::Name {
                                module: module.to_string(),
                                level: imp.level,
                                name: a.name.id.to_string(),
                            },
                        );
                    }
                }
                Stmt::ClassDef(c) => {
                    let members = class_members(c);
                    let bases = c
                        .arguments
                        .as_ref()
                        .map(|args| args.args.iter().map(base_expr).collect())
                        .unwrap_or_default();
                    let class = ClassSummary {
                        bases,
                        members: members.names,
                        open: members.open,
                    };
                    self.classes.insert(c.name.id.to_string(), class);
                }
                // A name rebound at module level is no longer what an import made it.
                Stmt::Assign(a) => {
                    for t in &a.targets {
                        let mut names = HashSet::default();
                        names_in(t, &mut names);
                        for n in names {
                            self.imports.remove(&n);
                            self.classes.remove(&n);
                        }
                    }
                }
                Stmt::If(i) => {
                    self.read(&i.body);
                    for clause in &i.elif_else_clauses {
                        self.read(&clause.body);
                    }
                }
                Stmt::Try(t) => {
                    self.read(&t.body);
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        self.read(&h.body);
                    }
                    self.read(&t.orelse);
                    self.read(&t.finalbody);
                }
                Stmt::With(w) => self.read(&w.body),
                _ => {}
            }
        }
    }
}

fn base_expr(expr: &Expr) -> BaseExpr {
    let owned = |d: Vec<&str>| d.into_iter().map(str::to_string).collect();
    match expr {
        Expr::Subscript(s) => match dotted(&s.value) {
            Some(d) => BaseExpr::Subscript(owned(d)),
            None => BaseExpr::Unknown,
        },
        e => match dotted(e) {
            Some(d) => BaseExpr::Path(owned(d)),
            None => BaseExpr::Unknown,
        },
    }
}

/// The project's modules, as read for class resolution during one check.
pub(crate) struct ProjectModules {
    root: PathBuf,
    /// Where absolute imports are looked up (besides the importing file's own directory):
    /// the project root, `dags/`, `plugins/`.
    bases: Vec<PathBuf>,
    summaries: RwLock<HashMap<PathBuf, Option<Arc<ModuleSummary>>>>,
}

impl ProjectModules {
    pub fn new(root: &Path) -> ProjectModules {
        let bases = ["", "dags", "plugins"]
            .iter()
            .map(|s| root.join(s))
            .filter(|d| d.is_dir())
            .collect();
        ProjectModules {
            root: root.to_path_buf(),
            bases,
            summaries: RwLock::default(),
        }
    }

    /// The file of module `module` (with `level` leading dots) imported from `from_file`:
    /// `module.py` or `module/__init__.py`, as the import graph finds them.
    pub fn module_file(&self, from_file: &Path, module: &str, level: u32) -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        if level > 0 {
            let mut dir = from_file.parent().map(Path::to_path_buf);
            for _ in 1..level {
                dir = dir.and_then(|d| d.parent().map(Path::to_path_buf));
            }
            dirs.extend(dir);
        } else {
            dirs.extend(from_file.parent().map(Path::to_path_buf));
            dirs.extend(self.bases.iter().cloned());
        }
        for dir in dirs {
            let mut base = dir;
            for seg in module.split('.').filter(|s| !s.is_empty()) {
                base.push(seg);
            }
            let candidates = if module.is_empty() {
                vec![base.join("__init__.py")]
            } else {
                vec![base.with_extension("py"), base.join("__init__.py")]
            };
            if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
                return found.starts_with(&self.root).then_some(found);
            }
        }
        None
    }

    /// The summary of a project module, read on first use; `None` when it cannot be read or
    /// parsed.
    pub fn summary(&self, file: &Path) -> Option<Arc<ModuleSummary>> {
        if let Some(hit) = self
            .summaries
            .read()
            .ok()
            .and_then(|m| m.get(file).cloned())
        {
            return hit;
        }
        let summary = crate::files::read_source(file)
            .ok()
            .and_then(|source| ruff_python_parser::parse_module(&source).ok())
            .map(|parsed| Arc::new(ModuleSummary::of(&parsed.syntax().body)));
        if let Ok(mut m) = self.summaries.write() {
            m.insert(file.to_path_buf(), summary.clone());
        }
        summary
    }
}
