//! skyhop-core: the few plain data types every other skyhop crate agrees on.
//!
//! It owns:
//! - [`Finding`]: one thing a test found (check, parse, deps or catalog), the only input of reports;
//! - [`Lock`] / [`Package`]: a resolved Python environment as sorted `(name, version)` pairs plus
//!   where it came from, with `pip freeze` reading and writing;
//! - [`edit`]: the one edit engine of the fixes ([`edit::Fix`], [`edit::Edit`], [`edit::apply`]);
//! - [`Progress`]: how long-running library code reports progress without printing;
//! - [`normalize_name`] (PEP 503), [`compare_versions`] (PEP 440), [`cache_dir`] (where
//!   skyhop keeps its cache) and [`config_dir`] (where it keeps the key of encrypted secrets);
//! - [`sealed_env`]: the few variables of the caller's environment that processes importing
//!   user code (the parse harness, a local Airflow) start from, instead of all of them.
//!
//! It knows nothing of Airflow, files of a project or how processes are run.

pub mod edit;
pub mod settings;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks in the target version.
    Error,
    /// Deprecated, or will break later.
    Warning,
    /// Worth knowing, nothing breaks.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// Which test produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Check,
    Parse,
    Deps,
    Catalog,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Check => "check",
            Source::Parse => "parse",
            Source::Deps => "deps",
            Source::Catalog => "catalog",
        })
    }
}

/// One thing a test found. Every test produces these; reports only read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Path relative to the project root, with `/` separators (empty for project-wide findings).
    pub path: String,
    /// 1-based line; 0 when the finding has no line.
    pub line: u32,
    /// 1-based column; 0 when the finding has no column.
    pub column: u32,
    /// Stable rule code, e.g. `SKY301`.
    pub rule: String,
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// What to use instead, when known (e.g. a new import path), else `None`.
    pub replacement: Option<String>,
    pub source: Source,
    /// Other places that explain it, e.g. the helper module line that makes a DAG file fail
    /// (SARIF `relatedLocations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// What the detector knew that a fix needs, set where the finding is made: fixes read
    /// this, never the message. Not part of any report (reports show the message).
    #[serde(skip)]
    pub facts: Facts,
}

/// The facts a fix of a finding needs, as the detector knew them (ruff attaches its `Fix` the
/// same way): rewording a message never turns a fix off. The default is none: nothing a fix
/// needs beyond the finding's place, rule and `replacement`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The distribution that provides the missing module, as the detector named it (SKY104):
    /// the fix adds it to the requirements.
    pub missing_package: Option<String>,
    /// Airflow's error or warning is about a trigger rule (SKY900 / SKY910): the fix renames a
    /// removed `trigger_rule=` value near the finding's line.
    pub trigger_rule: bool,
    /// The dotted name Airflow's deprecation warning says moved, and where to (SKY910:
    /// `Import 'airflow.datasets.Dataset' is deprecated ... import it from 'airflow.sdk.Asset'`):
    /// the fix rewrites the import.
    pub moved: Option<(String, String)>,
}

/// A place related to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// Path relative to the project root, with `/` separators.
    pub path: String,
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column; 0 when unknown.
    pub column: u32,
    /// What is there.
    pub message: String,
}

impl Finding {
    /// `path:line:col` (parts left out when unknown).
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.path.clone(),
            (l, 0) => format!("{}:{l}", self.path),
            (l, c) => format!("{}:{l}:{c}", self.path),
        }
    }
}

/// A PEP 440 version (`2.10.5`, `3.0.0rc1`, `1.0+local`), `None` when `text` is not one: the
/// one ordering of package and Airflow versions the crates share ([`compare_versions`]).
pub fn parse_version(text: &str) -> Option<pep440_rs::Version> {
    text.parse().ok()
}

/// `a` against `b` by PEP 440 (`2.10.5 < 3.1.3`, `3.0.0rc1 < 3.0.0`); `None` when either is
/// not a version.
pub fn compare_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    Some(parse_version(a)?.cmp(&parse_version(b)?))
}

/// PEP 503 normalized package name: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// One package of a resolved environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// PEP 503 normalized name.
    pub name: String,
    /// Version as written (PEP 440 text, may carry a `+local` part); empty for direct URLs
    /// whose version is unknown.
    pub version: String,
    /// Direct URL (`name @ url`), when installed from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Where a lock came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `uv`, `docker`, `freeze`.
    pub backend: String,
    /// Python version the environment is for (`3.11`), when known.
    pub python: Option<String>,
    /// Resolution cut-off date (`YYYY-MM-DD`), when one was used.
    pub exclude_newer: Option<String>,
    /// Human-readable notes to show wherever results are shown (left-out packages, Python
    /// fallbacks, ...).
    pub notes: Vec<String>,
    /// What installing the project's requirements on top of the image did (uv backend).
    #[serde(default)]
    pub layering: Layering,
    /// Which packages require each package (uv's `# via`), while layering reads it; never kept
    /// in a finished lock.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub via: std::collections::BTreeMap<String, Vec<String>>,
}

/// What `pip install -r requirements.txt` on top of an image did to it, as skyhop modelled it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layering {
    /// Packages of the image whose version the requirements changed: (name, image's version,
    /// version after the requirements).
    pub changed: Vec<(String, String, String)>,
    /// Requirements left out of the environment because they cannot be installed together with
    /// Airflow and the rest (the image build would fail on them).
    pub left_out: Vec<Requirement>,
    /// Requirements whose version has no wheel for the image's Python on Linux x86-64.
    pub no_wheel: Vec<NoWheel>,
    /// Requirements skyhop could not fetch (a repository or URL it cannot reach from here, a
    /// local file that is not there): the image build would have them; the tests ran without.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable: Vec<Requirement>,
}

/// One line of a requirements file (or of a Dockerfile `RUN pip install`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// As written (`pandas==2.1.0`).
    pub requirement: String,
    /// Normalized package name.
    pub name: String,
    /// `requirements.txt`, or `Dockerfile`.
    pub file: String,
    /// 1-based line in `file`.
    pub line: usize,
    /// Why (the resolver's explanation), one line each.
    pub why: Vec<String>,
    /// What to do.
    pub what_to_do: String,
}

/// A requirement with no wheel for the image's Python, and the version tested instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoWheel {
    /// The requirement (its line, when it is one of the project's; else the package alone).
    pub requirement: Requirement,
    /// The version the requirement asks for (or resolved to).
    pub version: String,
    /// Python `X.Y` without a wheel.
    pub python: String,
    /// The version with a wheel the tests used instead, when there is one.
    pub used: Option<String>,
    /// Oldest and newest versions with a wheel for that Python.
    pub oldest: Option<String>,
    pub newest: Option<String>,
    /// Versions with a wheel that were tried and do not install together with the rest of the
    /// requirements (the requirement was left out when every one failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicting: Vec<String>,
    /// The Python skyhop tested with, when it is not the image's and has a wheel of this very
    /// version: the tests installed it (only the image build would compile it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tested_with: Option<String>,
    /// For a package no line names: the chain from the project's requirement that brings it in
    /// down to it (`["astro-sdk-python", "pandas"]`); `requirement`'s file and line are then
    /// that requirement's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

/// A resolved environment: sorted packages plus provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub packages: Vec<Package>,
    pub provenance: Provenance,
}

/// A line of a `pip freeze` file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}: `{text}`")]
pub struct FreezeError {
    pub line: usize,
    pub text: String,
    pub message: String,
}

impl Lock {
    /// Builds a lock, normalizing names and sorting.
    pub fn new(mut packages: Vec<Package>, provenance: Provenance) -> Self {
        for p in &mut packages {
            p.name = normalize_name(&p.name);
        }
        packages.sort();
        packages.dedup_by(|a, b| a.name == b.name);
        Lock {
            packages,
            provenance,
        }
    }

    /// Reads `pip freeze` output: `name==version`, `name @ url`, `-e ...` (skipped with a note),
    /// comments and blank lines.
    pub fn from_freeze(text: &str, backend: &str) -> Result<Lock, FreezeError> {
        let mut packages = Vec::new();
        let mut notes = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split(" #").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("-e ") || line.starts_with("--") || line.starts_with("-") {
                notes.push(format!("freeze line {} skipped: {line}", i + 1));
                continue;
            }
            let err = |message: &str| FreezeError {
                line: i + 1,
                text: raw.to_string(),
                message: message.to_string(),
            };
            if let Some((name, version)) = line.split_once("===") {
                packages.push(pkg(name, version, None, &err)?);
            } else if let Some((name, version)) = line.split_once("==") {
                packages.push(pkg(name, version, None, &err)?);
            } else if let Some((name, url)) = line.split_once(" @ ") {
                packages.push(pkg(name, "", Some(url.trim().to_string()), &err)?);
            } else {
                return Err(err("expected `name==version` or `name @ url`"));
            }
        }
        let mut lock = Lock::new(
            packages,
            Provenance {
                backend: backend.to_string(),
                ..Provenance::default()
            },
        );
        lock.provenance.notes = notes;
        Ok(lock)
    }

    /// `pip freeze` text, one `name==version` (or `name @ url`) per line, sorted.
    pub fn to_freeze(&self) -> String {
        let mut out = String::new();
        for p in &self.packages {
            match (&p.url, p.version.is_empty()) {
                (Some(url), _) => out.push_str(&format!("{} @ {url}\n", p.name)),
                (None, _) => out.push_str(&format!("{}=={}\n", p.name, p.version)),
            }
        }
        out
    }

    /// The version of a package, by any spelling of its name.
    pub fn version_of(&self, name: &str) -> Option<&str> {
        let n = normalize_name(name);
        self.packages
            .iter()
            .find(|p| p.name == n)
            .map(|p| p.version.as_str())
    }

    /// Content hash of the package list (not the provenance): same packages, same hash.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.to_freeze().as_bytes());
        if let Some(py) = &self.provenance.python {
            h.update(b"\npython=");
            h.update(py.as_bytes());
        }
        hex::encode(h.finalize())[..16].to_string()
    }
}

fn pkg(
    name: &str,
    version: &str,
    url: Option<String>,
    err: &dyn Fn(&str) -> FreezeError,
) -> Result<Package, FreezeError> {
    let name = name.trim();
    // strip extras: `name[extra]==1.0`
    let name = name.split('[').next().unwrap_or(name).trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(err("not a package name"));
    }
    let version = version.trim();
    if url.is_none() && version.is_empty() {
        return Err(err("missing version"));
    }
    Ok(Package {
        name: normalize_name(name),
        version: version.to_string(),
        url,
    })
}

/// How library code reports progress without printing. The CLI implements it with progress
/// bars; tests and libraries use [`NoProgress`].
pub trait Progress: Send + Sync {
    /// A long step starts (`total` items when countable).
    fn begin(&self, step: &str, total: Option<u64>);
    /// `n` more items of `step` are done.
    fn advance(&self, step: &str, n: u64);
    /// The step ended; `message` says how.
    fn end(&self, step: &str, message: &str);
    /// Something the user should see (a fallback, a skipped backend...).
    fn note(&self, message: &str);
}

impl<P: Progress + ?Sized> Progress for Box<P> {
    fn begin(&self, step: &str, total: Option<u64>) {
        (**self).begin(step, total)
    }
    fn advance(&self, step: &str, n: u64) {
        (**self).advance(step, n)
    }
    fn end(&self, step: &str, message: &str) {
        (**self).end(step, message)
    }
    fn note(&self, message: &str) {
        (**self).note(message)
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: &str, _: u64) {}
    fn end(&self, _: &str, _: &str) {}
    fn note(&self, _: &str) {}
}

/// skyhop's cache directory: `$SKYHOP_CACHE_DIR`, else `$XDG_CACHE_HOME/skyhop`, else
/// `~/.cache/skyhop`. Safe to delete at any time.
pub fn cache_dir() -> PathBuf {
    user_dir("SKYHOP_CACHE_DIR", "XDG_CACHE_HOME", dirs::cache_dir())
}

/// skyhop's config directory: `$SKYHOP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/skyhop`, else
/// `~/.config/skyhop`. It holds the key that encrypts deployments' secrets: outside every
/// project, so a copied or committed project never carries it.
pub fn config_dir() -> PathBuf {
    user_dir("SKYHOP_CONFIG_DIR", "XDG_CONFIG_HOME", dirs::config_dir())
}

/// `$own`, else `$xdg/skyhop`, else `platform/skyhop` (the temporary directory without one).
fn user_dir(own: &str, xdg: &str, platform: Option<PathBuf>) -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|d| !d.is_empty());
    if let Some(dir) = var(own) {
        return PathBuf::from(dir);
    }
    var(xdg)
        .map(PathBuf::from)
        .or(platform)
        .unwrap_or_else(std::env::temp_dir)
        .join("skyhop")
}

/// The variables a process that imports user code (DAG files, plugins) starts from, in place
/// of the caller's whole environment: `PATH`, `LANG` and `LC_ALL` (the caller's, else
/// `C.UTF-8`), and `HOME` set to `home`, so `~/.aws`, `~/.config/gcloud` or `~/.netrc` are not
/// found through the usual lookups. Callers clear the environment (`Command::env_clear`), add
/// these, then what the image would have (Dockerfile `ENV`, `.env`, Airflow's settings) and
/// the variables the user passes on purpose.
pub fn sealed_env(home: &Path) -> Vec<(String, String)> {
    let caller = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let path = caller("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    let lang = caller("LANG").unwrap_or_else(|| "C.UTF-8".into());
    let lc_all = caller("LC_ALL").unwrap_or_else(|| lang.clone());
    vec![
        ("PATH".into(), path),
        ("LANG".into(), lang),
        ("LC_ALL".into(), lc_all),
        ("HOME".into(), home.display().to_string()),
    ]
}

/// skyhop's own version, for reports and cache keys.
pub const SKYHOP_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_by_pep440() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("2.10.5", "3.1.3"), Some(Less));
        assert_eq!(compare_versions("2.10.5", "2.9.3"), Some(Greater));
        assert_eq!(compare_versions("3.0.0rc1", "3.0.0"), Some(Less));
        assert_eq!(compare_versions("1.0", "1.0.0"), Some(Equal));
        assert_eq!(compare_versions("two", "3"), None);
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_name("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_name("a--b__c"), "a-b-c");
        assert_eq!(
            normalize_name("apache_airflow_providers_celery"),
            "apache-airflow-providers-celery"
        );
    }

    #[test]
    fn reads_and_writes_freeze() {
        let text = "# comment\nFoo_Bar==1.0\nbaz @ file:///tmp/baz.whl\n\n-e git+https://x\napache-airflow==2.9.1+astro.1\n";
        let lock = Lock::from_freeze(text, "freeze").unwrap();
        assert_eq!(lock.packages.len(), 3);
        assert_eq!(lock.version_of("foo-bar"), Some("1.0"));
        assert_eq!(lock.version_of("apache_airflow"), Some("2.9.1+astro.1"));
        assert_eq!(lock.provenance.notes.len(), 1);
        assert_eq!(
            lock.to_freeze(),
            "apache-airflow==2.9.1+astro.1\nbaz @ file:///tmp/baz.whl\nfoo-bar==1.0\n"
        );
        let err = Lock::from_freeze("ok==1\nnot a line\n", "freeze").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn hash_depends_on_packages_only() {
        let a = Lock::from_freeze("a==1\nb==2\n", "uv").unwrap();
        let mut b = Lock::from_freeze("b==2\na==1\n", "freeze").unwrap();
        assert_eq!(a.hash(), b.hash());
        b.packages[0].version = "3".into();
        assert_ne!(a.hash(), b.hash());
    }
}
