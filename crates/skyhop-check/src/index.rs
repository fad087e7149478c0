//! [`ApiIndex`]: what a target Python environment really offers to DAG code.
//!
//! Built once per environment by running the shipped `introspect.py` with the environment's
//! own interpreter (modules are really imported there, so deprecation shims, lazy imports and
//! constructor signatures are exactly what Airflow will see), then cached as JSON under
//! `cache_dir()/api-index/<key>.json`. Lookups ([`ApiIndex::resolve`]) answer "does
//! `a.b.C` exist in the target, and how".

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use skyhop_core::{Progress, normalize_name};

/// The introspection script, run inside the target environment.
pub const INTROSPECT_PY: &str = include_str!("introspect.py");
/// Version of the JSON the script writes; part of the cache key.
pub const SCRIPT_VERSION: u32 = 1;
/// Time budget given to the script for importing modules.
const BUDGET_SECONDS: u64 = 60;

/// Why an index could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot run `{python}` to index the target environment: {source}")]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "indexing the target environment with `{python}` failed ({status}); its last output:\n{stderr}"
    )]
    Failed {
        python: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("indexing the target environment with `{python}` took more than {seconds} s")]
    Timeout { python: PathBuf, seconds: u64 },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid API index ({source}); delete it to rebuild")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// One installed distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Distribution {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub top_level: Vec<String>,
}

/// A name a module serves through its `__getattr__` (deprecation shim or lazy import).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Served {
    /// Where the shim points, when known.
    #[serde(default)]
    pub target: Option<String>,
    /// Whether `getattr(module, name)` succeeded in the target.
    #[serde(default)]
    pub ok: bool,
    /// The deprecation warning it emitted, if any.
    #[serde(default)]
    pub deprecated: Option<String>,
    /// The error it raised, if it failed.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub function: Option<String>,
    #[serde(default)]
    pub module: Option<String>,
}

/// One module of the target.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// `ok` (imported), `error` (exists but fails to import), `skipped` (exists, not imported).
    pub status: String,
    #[serde(default)]
    pub error: Option<String>,
    /// Names defined at module level: `c:<class>`, `f[:<function>]`, `m:<module>`, `v`.
    #[serde(default)]
    pub names: HashMap<String, String>,
    /// Deprecation warning emitted when importing the module itself.
    #[serde(default)]
    pub deprecated: Option<String>,
    /// `deprecated` (Airflow shim), `mapped` (lazy-import dict) or `opaque` module `__getattr__`.
    #[serde(default)]
    pub getattr: Option<String>,
    #[serde(default)]
    pub served: HashMap<String, Served>,
    /// Module that serves every other name (`{"*": "airflow.sdk.timezone"}` shims).
    #[serde(default)]
    pub wildcard: Option<String>,
    /// Created by a shim, no file.
    #[serde(default, rename = "virtual")]
    pub is_virtual: bool,
    /// Distribution that installs the module's file.
    #[serde(default)]
    pub dist: Option<String>,
}

/// Keyword arguments a callable accepts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Signature {
    pub params: Vec<String>,
    /// False when unknown keywords may be accepted (`**kwargs` passed on somewhere unknown).
    pub closed: bool,
}

/// One class: bases (canonical names), own attributes, constructor keywords.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClassInfo {
    pub bases: Vec<String>,
    pub attrs: Vec<String>,
    pub init: Signature,
    /// Own methods' parameters (`self` / `cls` left out): `name`, `name=` (has a default),
    /// `*` (*args), `**` (**kwargs).
    #[serde(default)]
    pub methods: HashMap<String, Vec<String>>,
    /// Own methods that are decorated (`functools.wraps`): their real parameters are unknown.
    #[serde(default)]
    pub wrapped: Vec<String>,
}

/// The configuration of the target: every option it defines (with its providers') and the
/// options it still answers under an old name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// section → options (lowercase).
    #[serde(default)]
    pub options: BTreeMap<String, Vec<String>>,
    /// Old names the target maps to new ones.
    #[serde(default)]
    pub deprecated: Vec<DeprecatedOption>,
    /// Old options that one new option replaces (Airflow 2's many-to-one map).
    #[serde(default)]
    pub many_to_one: Vec<DeprecatedOption>,
    /// Airflow 3's own list of configuration changes (`airflow config lint`).
    #[serde(default)]
    pub changes: Vec<crate::config_rules::ConfigChange>,
    /// Values the target's parser replaces with a warning.
    #[serde(default)]
    pub values: Vec<crate::config_rules::DeprecatedValue>,
    /// `section.key` of the sensitive options (whose `_CMD` / `_SECRET` variants are read).
    #[serde(default)]
    pub sensitive: Vec<String>,
}

/// One entry of the target's deprecated-options map.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeprecatedOption {
    pub section: String,
    pub key: String,
    pub new_section: String,
    pub new_key: String,
    /// Version that deprecated it, when the target says.
    #[serde(default)]
    pub since: Option<String>,
}

impl ConfigInfo {
    /// Whether the target defines `[section] key`.
    pub fn has(&self, section: &str, key: &str) -> bool {
        self.options
            .get(section)
            .is_some_and(|keys| keys.iter().any(|k| k == key))
    }

    /// The new name of a deprecated `[section] key`.
    pub fn renamed(&self, section: &str, key: &str) -> Option<&DeprecatedOption> {
        self.deprecated
            .iter()
            .find(|d| d.section == section && d.key == key)
    }
}

/// The API of a target environment. See the module docs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApiIndex {
    pub script_version: u32,
    pub python: String,
    pub airflow_version: Option<String>,
    /// How long the introspection took.
    #[serde(default)]
    pub seconds: f64,
    /// True when some modules were not imported within the time budget.
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub stdlib: Vec<String>,
    #[serde(default)]
    pub distributions: Vec<Distribution>,
    #[serde(default)]
    pub modules: HashMap<String, ModuleInfo>,
    #[serde(default)]
    pub classes: HashMap<String, ClassInfo>,
    #[serde(default)]
    pub functions: HashMap<String, Signature>,
    /// The target's configuration options, when the script could read them.
    #[serde(default)]
    pub config: Option<ConfigInfo>,
    #[serde(skip)]
    derived: OnceLock<Derived>,
}

#[derive(Debug, Clone, Default)]
struct Derived {
    tops: HashSet<String>,
    dists: HashMap<String, String>,
    /// name → modules that define it.
    definitions: HashMap<String, Vec<String>>,
}

/// What a dotted name is in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// An importable module.
    Module,
    /// A module that exists but raises when imported.
    ModuleBroken { module: String, error: String },
    /// A class (canonical name).
    Class(String),
    /// A function (canonical name when known).
    Function(Option<String>),
    /// Some other value, or something we cannot see into.
    Value,
    /// Works only through a deprecation shim.
    Deprecated {
        message: String,
        target: Option<String>,
    },
    /// The module exists, the name does not (or its shim fails: `reason`).
    MissingName {
        module: String,
        name: String,
        reason: Option<String>,
    },
    /// The class exists, the attribute does not.
    MissingAttr { class: String, attr: String },
    /// No such module; `package` is the provider that would bring it, if it is a provider path.
    MissingModule {
        module: String,
        package: Option<String>,
    },
    /// The top-level package / provider is not installed at all. `package`: the distribution
    /// that provides it, when that is a known fact (a provider's module path, the curated
    /// table), never a guess from the module's name.
    NotInstalled {
        module: String,
        package: Option<String>,
    },
    /// Outside what the index knows (third-party internals, skipped modules...).
    Unknown,
}

/// Namespaces whose providers have two-segment names (`airflow.providers.cncf.kubernetes`).
const TWO_LEVEL_PROVIDERS: &[&str] = &["apache", "cncf", "common", "microsoft", "dbt", "atlassian"];

/// The provider distribution a module path under `airflow.providers` belongs to.
pub fn provider_package(module: &str) -> Option<(String, String)> {
    let rest = module.strip_prefix("airflow.providers.")?;
    let segs: Vec<&str> = rest.split('.').collect();
    let n = if TWO_LEVEL_PROVIDERS.contains(&segs[0]) && segs.len() > 1 {
        2
    } else {
        1
    };
    let root = format!("airflow.providers.{}", segs[..n].join("."));
    Some((
        format!("apache-airflow-providers-{}", segs[..n].join("-")),
        root,
    ))
}

impl ApiIndex {
    /// Builds (or loads from the cache) the index of the environment whose interpreter is
    /// `python`. `cache_key` identifies the environment's contents (e.g. its lock hash).
    pub fn build(
        python: &Path,
        cache_key: &str,
        progress: &dyn Progress,
    ) -> Result<ApiIndex, IndexError> {
        let dir = skyhop_core::cache_dir().join("api-index");
        let key = cache_file_key(python, cache_key);
        let path = dir.join(format!("{key}.json"));
        if path.is_file()
            && let Ok(index) = ApiIndex::load_json(&path)
            && index.script_version == SCRIPT_VERSION
        {
            // last use, for `skyhop cache prune` (the file is written once)
            if let Ok(f) = std::fs::OpenOptions::new().append(true).open(&path) {
                let _ = f.set_modified(std::time::SystemTime::now());
            }
            return Ok(index);
        }
        std::fs::create_dir_all(&dir).map_err(|source| IndexError::Io {
            path: dir.clone(),
            source,
        })?;
        let script_hash = hex::encode(Sha256::digest(INTROSPECT_PY.as_bytes()));
        let script = dir.join(format!("introspect-{}.py", &script_hash[..12]));
        if !script.is_file() {
            write_atomic(&script, INTROSPECT_PY.as_bytes())?;
        }
        let home = dir.join(format!("airflow-home-{key}"));
        std::fs::create_dir_all(&home).map_err(|source| IndexError::Io {
            path: home.clone(),
            source,
        })?;
        progress.begin("indexing the target environment", None);
        // Unique per build (two builds of the same environment may run at once, in two
        // processes or two threads); the last rename wins and both results are the same.
        static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!("{key}.json.{}-{n}.partial", std::process::id()));
        run_script(python, &script, &tmp, &home)?;
        let index = ApiIndex::load_json(&tmp)?;
        std::fs::rename(&tmp, &path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        progress.end(
            "indexing the target environment",
            &format!(
                "{} modules, {} classes in {:.1} s",
                index.modules.len(),
                index.classes.len(),
                index.seconds
            ),
        );
        if index.timed_out {
            progress.note("some target modules were not imported within the time budget; names in them are not checked");
        }
        Ok(index)
    }

    /// Reads an index written by `introspect.py` (or [`ApiIndex::build`]).
    pub fn load_json(path: &Path) -> Result<ApiIndex, IndexError> {
        let text = std::fs::read(path).map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|source| IndexError::Json {
            path: path.to_path_buf(),
            source,
        })
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let mut d = Derived::default();
            for dist in &self.distributions {
                d.dists
                    .insert(normalize_name(&dist.name), dist.version.clone());
                d.tops.extend(dist.top_level.iter().cloned());
            }
            d.tops.extend(self.stdlib.iter().cloned());
            for (module, info) in &self.modules {
                for (name, kind) in &info.names {
                    let defined = kind
                        .split_once(':')
                        .map(|(_, canon)| canon == format!("{module}.{name}"))
                        .unwrap_or(false);
                    if defined {
                        d.definitions
                            .entry(name.clone())
                            .or_default()
                            .push(module.clone());
                    }
                }
            }
            d
        })
    }

    /// Version of an installed distribution, by any spelling of its name.
    pub fn installed(&self, package: &str) -> Option<&str> {
        self.derived()
            .dists
            .get(&normalize_name(package))
            .map(String::as_str)
    }

    /// Whether some distribution (or the standard library) provides top-level module `top`.
    pub fn provides_top_level(&self, top: &str) -> bool {
        self.derived().tops.contains(top) || self.modules.contains_key(top)
    }

    /// What `qualname` (a dotted module or module attribute path) is in the target.
    pub fn resolve(&self, qualname: &str) -> Resolved {
        self.resolve_depth(qualname, 0)
    }

    fn resolve_depth(&self, qualname: &str, depth: u32) -> Resolved {
        if depth > 8 {
            return Resolved::Unknown;
        }
        let segs: Vec<&str> = qualname.split('.').collect();
        let top = segs[0];
        if !self.modules.contains_key(top) {
            if self.provides_top_level(top) {
                return if segs.len() == 1 {
                    Resolved::Module
                } else {
                    Resolved::Unknown
                };
            }
            return Resolved::NotInstalled {
                module: top.to_string(),
                package: crate::rules::known_package_for_module(qualname),
            };
        }
        let mut i = segs.len();
        while i > 0 && !self.modules.contains_key(&segs[..i].join(".")) {
            i -= 1;
        }
        let prefix = segs[..i].join(".");
        let info = &self.modules[&prefix];
        if info.status == "error" {
            return Resolved::ModuleBroken {
                module: prefix,
                error: info.error.clone().unwrap_or_default(),
            };
        }
        if i == segs.len() {
            if let Some(message) = &info.deprecated {
                return Resolved::Deprecated {
                    message: message.clone(),
                    target: target_in(message),
                };
            }
            return Resolved::Module;
        }
        if let Some((package, root)) = provider_package(qualname)
            && !self.modules.contains_key(&root)
            && self.installed(&package).is_none()
        {
            return Resolved::NotInstalled {
                module: root,
                package: Some(package),
            };
        }
        if info.status != "ok" {
            return Resolved::Unknown;
        }
        let name = segs[i];
        let rest = &segs[i + 1..];
        if let Some(kind) = info.names.get(name) {
            return self.resolve_kind(kind, rest, depth);
        }
        if let Some(served) = info.served.get(name) {
            if !served.ok {
                return Resolved::MissingName {
                    module: prefix,
                    name: name.to_string(),
                    reason: served.error.clone(),
                };
            }
            if let Some(message) = &served.deprecated {
                // `shim.Class.attr`: the attribute of the class the shim serves.
                if let (Some(class), false) = (&served.class, rest.is_empty())
                    && let missing @ Resolved::MissingAttr { .. } =
                        self.resolve_kind(&format!("c:{class}"), rest, depth)
                {
                    return missing;
                }
                let target = served.target.clone().or_else(|| target_in(message));
                return Resolved::Deprecated {
                    message: message.clone(),
                    target: target.map(|t| {
                        if rest.is_empty() {
                            t
                        } else {
                            format!("{t}.{}", rest.join("."))
                        }
                    }),
                };
            }
            if let Some(class) = &served.class {
                return self.resolve_kind(&format!("c:{class}"), rest, depth);
            }
            if let Some(module) = &served.module {
                return self.resolve_kind(&format!("m:{module}"), rest, depth);
            }
            return Resolved::Value;
        }
        if let Some(wildcard) = &info.wildcard {
            let target = format!("{wildcard}.{}", segs[i..].join("."));
            return match self.resolve_depth(&target, depth + 1) {
                Resolved::MissingName { .. } | Resolved::MissingAttr { .. } => {
                    Resolved::MissingName {
                        module: prefix,
                        name: name.to_string(),
                        reason: None,
                    }
                }
                _ => Resolved::Deprecated {
                    message: format!("`{prefix}` is deprecated; use `{wildcard}`"),
                    target: Some(target),
                },
            };
        }
        if info.getattr.as_deref() == Some("opaque") {
            return Resolved::Unknown;
        }
        Resolved::MissingName {
            module: prefix,
            name: name.to_string(),
            reason: None,
        }
    }

    fn resolve_kind(&self, kind: &str, rest: &[&str], depth: u32) -> Resolved {
        let (tag, canon) = kind.split_once(':').unwrap_or((kind, ""));
        match tag {
            "m" if !rest.is_empty() => {
                self.resolve_depth(&format!("{canon}.{}", rest.join(".")), depth + 1)
            }
            "m" => Resolved::Module,
            "c" => match rest.first() {
                None => Resolved::Class(canon.to_string()),
                Some(attr) => match self.class_has_attr(canon, attr) {
                    Some(false) => Resolved::MissingAttr {
                        class: canon.to_string(),
                        attr: (*attr).to_string(),
                    },
                    _ => Resolved::Unknown,
                },
            },
            "f" if rest.is_empty() => {
                Resolved::Function((!canon.is_empty()).then(|| canon.to_string()))
            }
            "v" if rest.is_empty() => Resolved::Value,
            _ => Resolved::Unknown,
        }
    }

    /// Whether class `canon` (or a base) has attribute `attr`; `None` when the hierarchy is not
    /// fully known or the class answers any attribute (`__getattr__`).
    pub fn class_has_attr(&self, canon: &str, attr: &str) -> Option<bool> {
        // Hierarchies are a few classes deep: a Vec beats hashing here.
        let mut seen: Vec<&str> = Vec::new();
        let mut stack: Vec<&str> = vec![canon];
        let mut complete = true;
        while let Some(c) = stack.pop() {
            if seen.contains(&c) {
                continue;
            }
            seen.push(c);
            let Some(info) = self.classes.get(c) else {
                complete = false;
                continue;
            };
            if info.attrs.iter().any(|a| a == attr) {
                return Some(true);
            }
            if info.attrs.iter().any(|a| a == "__getattr__") {
                complete = false;
            }
            stack.extend(info.bases.iter().map(String::as_str));
        }
        complete.then_some(false)
    }

    /// The parameters of method `name` of class `canon` or of the first base defining it, with
    /// the class that defines it.
    pub fn method_params(&self, canon: &str, name: &str) -> Option<(&str, &[String])> {
        let mut seen = HashSet::default();
        let mut queue = std::collections::VecDeque::from([canon.to_string()]);
        while let Some(c) = queue.pop_front() {
            if !seen.insert(c.clone()) {
                continue;
            }
            let Some((key, info)) = self.classes.get_key_value(&c) else {
                continue;
            };
            if let Some(params) = info.methods.get(name) {
                return Some((key.as_str(), params.as_slice()));
            }
            if info.attrs.iter().any(|a| a == name) {
                return None; // defined there, but not as a plain function
            }
            queue.extend(info.bases.iter().cloned());
        }
        None
    }

    /// The keywords method `name` of class `canon` (or of the first base defining it) accepts
    /// when called through the class (`BaseHook.get_connection(conn_id=...)`): closed only for
    /// a plain function without `**kwargs` (a decorated method may take more than it shows).
    pub fn method_signature(&self, canon: &str, name: &str) -> Option<Signature> {
        let (owner, params) = self.method_params(canon, name)?;
        let wrapped = self
            .classes
            .get(owner)
            .is_some_and(|c| c.wrapped.iter().any(|w| w == name));
        Some(Signature {
            params: params
                .iter()
                .filter(|p| *p != "*" && *p != "**")
                .map(|p| p.trim_end_matches('=').to_string())
                .collect(),
            closed: !wrapped && !params.iter().any(|p| p == "**"),
        })
    }

    /// The constructor keywords of class `canon`.
    pub fn class_init(&self, canon: &str) -> Option<&Signature> {
        self.classes.get(canon).map(|c| &c.init)
    }

    /// The keywords of function `canon`.
    pub fn function_signature(&self, canon: &str) -> Option<&Signature> {
        self.functions.get(canon)
    }

    /// Whether class `canon` derives from a class whose canonical name ends with `suffix`.
    pub fn class_derives(&self, canon: &str, suffix: &str) -> bool {
        let mut seen: Vec<&str> = Vec::new();
        let mut stack: Vec<&str> = vec![canon];
        while let Some(c) = stack.pop() {
            if c.ends_with(suffix) {
                return true;
            }
            if seen.contains(&c) {
                continue;
            }
            seen.push(c);
            if let Some(info) = self.classes.get(c) {
                stack.extend(info.bases.iter().map(String::as_str));
            }
        }
        false
    }

    /// Where else the target defines `name`, best match for `old_module` first.
    pub fn find_elsewhere(&self, name: &str, old_module: &str) -> Vec<String> {
        let Some(modules) = self.derived().definitions.get(name) else {
            return Vec::new();
        };
        let old_last = old_module.rsplit('.').next().unwrap_or("");
        let mut ranked: Vec<(i32, &String)> = modules
            .iter()
            .filter(|m| m.as_str() != old_module && !m.contains("._") && !m.contains(".tests"))
            .map(|m| {
                let last = m.rsplit('.').next().unwrap_or("");
                let mut score = 0;
                if last == old_last || old_last.starts_with(last) || last.starts_with(old_last) {
                    score -= 10;
                }
                if m.starts_with("airflow.providers.standard") || m.starts_with("airflow.sdk") {
                    score -= 5;
                }
                score += m.split('.').count() as i32;
                (score, m)
            })
            .collect();
        ranked.sort();
        ranked
            .into_iter()
            .map(|(_, m)| format!("{m}.{name}"))
            .collect()
    }

    /// The distribution that installs `module` in the target, when known: from the indexed
    /// modules, else from the distributions' `top_level.txt` (`anyscale_provider` →
    /// `astro-provider-anyscale`).
    pub fn distribution_of(&self, module: &str) -> Option<&str> {
        let mut m = module;
        loop {
            if let Some(d) = self.modules.get(m).and_then(|i| i.dist.as_deref()) {
                return Some(d);
            }
            match m.rsplit_once('.') {
                Some((parent, _)) => m = parent,
                None => break,
            }
        }
        self.distributions
            .iter()
            .find(|d| d.top_level.iter().any(|t| t == m))
            .map(|d| d.name.as_str())
    }

    /// Installed distributions as a sorted `name → version` map.
    pub fn distribution_versions(&self) -> BTreeMap<String, String> {
        self.derived()
            .dists
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn target_in(message: &str) -> Option<String> {
    static DOTTED: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = DOTTED
        .get_or_init(|| regex::Regex::new(r"airflow(?:\.[A-Za-z_][A-Za-z0-9_]*)+").ok())
        .as_ref()?;
    re.find_iter(message).last().map(|m| m.as_str().to_string())
}

fn cache_file_key(python: &Path, cache_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(python.to_string_lossy().as_bytes());
    h.update(b"\0");
    h.update(cache_key.as_bytes());
    h.update(b"\0");
    h.update(SCRIPT_VERSION.to_string().as_bytes());
    h.update(Sha256::digest(INTROSPECT_PY.as_bytes()));
    hex::encode(h.finalize())[..16].to_string()
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<(), IndexError> {
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, data)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })
}

fn run_script(python: &Path, script: &Path, out: &Path, home: &Path) -> Result<(), IndexError> {
    let stderr_path = out.with_extension("stderr");
    let stderr = std::fs::File::create(&stderr_path).map_err(|source| IndexError::Io {
        path: stderr_path.clone(),
        source,
    })?;
    let mut child = Command::new(python)
        .arg(script)
        .arg(out)
        .arg(BUDGET_SECONDS.to_string())
        .env("AIRFLOW_HOME", home)
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|source| IndexError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
    let limit = Duration::from_secs(BUDGET_SECONDS + 60);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(IndexError::Timeout {
                    python: python.to_path_buf(),
                    seconds: limit.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(source) => {
                return Err(IndexError::Spawn {
                    python: python.to_path_buf(),
                    source,
                });
            }
        }
    };
    if !status.success() || !out.is_file() {
        let text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        return Err(IndexError::Failed {
            python: python.to_path_buf(),
            status: status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    let _ = std::fs::remove_file(&stderr_path);
    Ok(())
}
