//! The per-file checker: one walk over the AST that resolves names (imports, aliases,
//! attribute chains, objects built from known classes) and reports what breaks in the target.
//!
//! - [`walk`]: statements and expressions, scopes, `try/except ImportError`, `TYPE_CHECKING`;
//! - [`names`]: imports and attribute chains against the index and the curated name table;
//! - [`calls`]: keyword arguments of DAG / operator / hook calls, `default_args`, changed defaults;
//! - [`classes`]: the classes of values and of user classes' library bases; removed members
//!   (`obj.x`, `self.x`, `super().x`, `cls.x`) and overrides the target no longer calls;
//! - [`config`]: configuration read in code, and removed argument values;
//! - [`context`]: removed template-context keys (Python access and Jinja strings).

mod calls;
mod classes;
mod config;
mod context;
mod names;
mod project;
mod usage;
mod user_classes;
mod walk;

pub(crate) use project::ProjectModules;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::{OnceLock, RwLock};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};
use skyhop_core::{Facts, Finding, Severity, Source};

use crate::index::{ApiIndex, Resolved, Signature, provider_package};
use crate::registry::Rule;
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
    /// A name imported from one of the project's own modules.
    Project(project::Imported),
    /// A class defined in the file (its name).
    UserClass(String),
    /// An object of a class defined in the file.
    UserInstance(String),
    /// `self` / `cls` in a method of a class defined in the file.
    SelfOf(String),
    /// A function whose call returns an object of this library class (a `@dag` function).
    Returns(String),
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
    /// Identifies this check for the per-thread caches of `index.resolve` results.
    pub(super) id: u64,
    /// Messages for missing modules, by module and imported names.
    pub missing_modules: RwLock<HashMap<String, (String, Option<String>)>>,
    /// `(section, key)` of configuration options the project sets (lowercase).
    pub config_set: HashSet<(String, String)>,
    /// Package notes of messages, by name and package: most files name the same few.
    pub package_notes: RwLock<HashMap<String, String>>,
    /// SKY103 texts of deprecated names, by name.
    pub deprecations: RwLock<HashMap<String, Deprecation>>,
    /// Messages and replacements of curated name rules, by name and rule.
    pub name_rule_texts: RwLock<HashMap<String, (String, Option<String>)>>,
    /// The project's modules, for classes whose bases are defined in other modules.
    pub project: Option<ProjectModules>,
}

/// A deprecation finding's text, made once: for `message` and `target` of the resolved
/// name, `text` and `replacement`.
pub(crate) struct Deprecation {
    message: String,
    target: Option<String>,
    text: String,
    replacement: Option<String>,
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
            id: NEXT_CTX.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            missing_modules: RwLock::default(),
            config_set: HashSet::default(),
            package_notes: RwLock::default(),
            deprecations: RwLock::default(),
            name_rule_texts: RwLock::default(),
            project: None,
        }
    }

    /// [`ApiIndex::resolve`], cached: most files use the same few dozen names. The cache is
    /// per thread (a lock shared by the threads checking files cost more than the lookups),
    /// and is emptied when the thread starts working for another check.
    fn resolve(&self, index: &ApiIndex, qualname: &str) -> Rc<Resolved> {
        RESOLVED.with(|cell| {
            let mut cache = cell.borrow_mut();
            if cache.0 != self.id {
                cache.0 = self.id;
                cache.1.clear();
            }
            if let Some(r) = cache.1.get(qualname) {
                return r.clone();
            }
            let r = Rc::new(index.resolve(qualname));
            cache.1.insert(qualname.to_string(), Rc::clone(&r));
            r
        })
    }
}

/// Ids of [`Ctx`]s.
static NEXT_CTX: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    /// `(Ctx id, qualified name → resolved)` of the check this thread last worked for.
    static RESOLVED: std::cell::RefCell<(u64, HashMap<String, Rc<Resolved>>)> =
        std::cell::RefCell::new((0, HashMap::default()));
}

pub(crate) struct Analyzer<'a> {
    ctx: &'a Ctx<'a>,
    /// The file (as given) and its path relative to the project root.
    file: &'a Path,
    path: &'a str,
    source: &'a str,
    /// Line and column of offsets (built on the first finding: most files have none).
    lines: Lines,
    /// Bindings by name, innermost scope last (names borrowed from the AST).
    scopes: Vec<HashMap<&'a str, Binding>>,
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
    /// Classes defined in the file, by name.
    user_classes: HashMap<String, classes::UserClass>,
    /// The user classes whose methods are being visited (innermost last).
    method_classes: Vec<String>,
    /// Set while visiting a class body: the class the next `def` is a method of.
    class_body: Option<String>,
    /// Imports of the project's own modules.
    local_imports: Vec<LocalImport>,
}

/// An import of a project module (`from include.helpers import x`, `from . import y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImport {
    /// The dotted module (`include.helpers`); empty for `from . import x`.
    pub module: String,
    /// Leading dots of a relative import.
    pub level: u32,
    /// Names imported from it (they may be submodules).
    pub names: Vec<String>,
    pub line: u32,
    pub column: u32,
    /// Module-level: runs when the file is imported.
    pub at_import: bool,
    /// Inside `try/except ImportError`.
    pub guarded: bool,
}

impl<'a> Analyzer<'a> {
    pub fn new(ctx: &'a Ctx<'a>, file: &'a Path, path: &'a str, source: &'a str) -> Self {
        Analyzer {
            ctx,
            file,
            path,
            source,
            lines: Lines::default(),
            // Module scope: a DAG file binds a few dozen names.
            scopes: vec![HashMap::with_capacity_and_hasher(64, Default::default())],
            callables: HashSet::default(),
            pending: Vec::new(),
            guards: Vec::new(),
            next_guard: 0,
            function_depth: 0,
            type_checking: 0,
            isolated: 0,
            isolated_callables: HashSet::default(),
            reported: HashSet::default(),
            user_classes: HashMap::default(),
            method_classes: Vec::new(),
            class_body: None,
            local_imports: Vec::new(),
        }
    }

    /// Checks a parsed module; also returns its imports of project modules.
    pub fn run(mut self, body: &'a [Stmt]) -> (Vec<Checked>, Vec<LocalImport>) {
        if self.source.contains("python_callable") {
            let mut collector = walk::CallableCollector::default();
            for stmt in body {
                collector.visit_stmt(stmt);
            }
            self.callables = collector.names;
            self.isolated_callables = collector.isolated;
        }
        for stmt in body {
            self.visit_stmt(stmt);
        }
        (
            self.pending.into_iter().map(|p| p.checked).collect(),
            self.local_imports,
        )
    }

    /// Records an import of a project module at `offset`.
    fn local_import(&mut self, module: &str, level: u32, names: Vec<String>, offset: TextSize) {
        let (line, column) = self.lines.line_column(self.source, offset);
        self.local_imports.push(LocalImport {
            module: module.to_string(),
            level,
            names,
            line,
            column,
            at_import: self.function_depth == 0 && self.type_checking == 0,
            guarded: self.guards.iter().any(|(_, b)| *b == Branch::Body),
        });
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
        self.push_with(
            offset,
            rule,
            severity,
            message,
            replacement,
            Facts::default(),
        );
    }

    /// [`Self::push`] with the facts a fix of the finding needs.
    fn push_with(
        &mut self,
        offset: TextSize,
        rule: &str,
        severity: Severity,
        message: String,
        replacement: Option<String>,
        facts: Facts,
    ) {
        let (line, column) = self.lines.line_column(self.source, offset);
        let checked = Checked {
            finding: Finding {
                path: self.path.to_string(),
                line,
                column,
                rule: rule.to_string(),
                severity,
                message,
                replacement,
                source: Source::Check,
                related: Vec::new(),
                facts,
            },
            at_import: self.function_depth == 0,
        };
        self.pending.push(Pending {
            import: Rule::from_code(rule).is_some_and(Rule::fails_import),
            checked,
            guard: self.guards.last().copied(),
        });
    }

    fn target(&self) -> &str {
        &self.ctx.target_text
    }

    // ---------- scopes ----------

    fn bind(&mut self, name: &'a str, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, binding);
        }
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The qualified name an expression refers to (`alias.attr.attr`), when it is known.
    fn qualify(&self, expr: &Expr) -> Option<String> {
        let mut out = String::new();
        self.qualify_into(expr, &mut out).then_some(out)
    }

    /// [`Self::qualify`], appending to `out` (one buffer for the whole chain); false when
    /// the name is not known (`out` is then left partly written).
    fn qualify_into(&self, expr: &Expr, out: &mut String) -> bool {
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::Module(q) | Binding::Symbol(q)) => {
                    out.reserve(q.len() + 32);
                    out.push_str(q);
                    true
                }
                _ => false,
            },
            Expr::Attribute(a) => {
                if !self.qualify_into(&a.value, out) {
                    return false;
                }
                out.push('.');
                out.push_str(a.attr.id.as_str());
                true
            }
            _ => false,
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
}

/// 1-based line and column (in characters) of offsets, as [`LineIndex::line_column`] gives
/// them. Sources with only `\n` line ends (nearly all) are answered by counting newlines from
/// the previous offset asked (findings come roughly in source order): a vectorized count instead of
/// indexing every line of every file with a finding. Others use a [`LineIndex`].
#[derive(Default)]
struct Lines {
    /// `(offset, newlines before it)` of the last answer.
    cursor: (usize, usize),
    /// Whether the fast path applies (no `\r`, no BOM left in the text); decided on first use.
    plain: Option<bool>,
    index: OnceLock<LineIndex>,
}

impl Lines {
    fn line_column(&mut self, source: &str, offset: TextSize) -> (u32, u32) {
        let bytes = source.as_bytes();
        let plain = *self
            .plain
            .get_or_insert_with(|| !bytes.contains(&b'\r') && !source.starts_with('\u{feff}'));
        if !plain {
            let pos = self
                .index
                .get_or_init(|| LineIndex::from_source_text(source))
                .line_column(offset, source);
            return (pos.line.get() as u32, pos.column.get() as u32);
        }
        let offset = offset.to_usize().min(bytes.len());
        // Per 64-byte block, a sum of compare results: vectorizes (a filtered count did not).
        let newlines = |range: &[u8]| -> usize {
            let blocks = range.chunks_exact(64);
            let tail = blocks.remainder();
            let mut n: usize = tail.iter().map(|&b| usize::from(b == b'\n')).sum();
            for block in blocks {
                n += usize::from(block.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>());
            }
            n
        };
        // From the last offset asked, forwards or backwards.
        let (from, before) = self.cursor;
        let line = if offset >= from {
            before + newlines(&bytes[from..offset])
        } else {
            before - newlines(&bytes[offset..from])
        };
        self.cursor = (offset, line);
        let start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = source
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line as u32 + 1, column as u32 + 1)
    }
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

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_answer_as_line_index() {
        // Longer than the 64-byte blocks newlines are counted in.
        let long = "x = 1\n\ny = '\u{e9}t\u{e9}'  # c\n    z\n".repeat(30);
        for text in [
            long.as_str(),
            "",
            "a",
            "a\nb\n",
            "x = 1\n\n\ny = 2",
            "h\u{e9}llo = 1\nw\u{f6}rld = '\u{1f600}'\n  z\n",
            "a\r\nb\rc\n\r\nd",
            "\u{feff}a = 1\nb",
            "\n\n",
        ] {
            let index = LineIndex::from_source_text(text);
            let offsets: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            // In order (as findings come), then out of order.
            let mut lines = Lines::default();
            for &i in offsets.iter().chain(offsets.iter().rev()) {
                let at = TextSize::try_from(i).unwrap();
                let want = index.line_column(at, text);
                assert_eq!(
                    lines.line_column(text, at),
                    (want.line.get() as u32, want.column.get() as u32),
                    "{text:?} at {i}"
                );
            }
        }
    }
}
