//! What the cache holds and keeping it bounded: `skyhop cache info | prune | clean`.
//!
//! - **Last use.** A process that uses a venv ([`crate::install`]) touches `venvs/<hash>.use`
//!   and keeps a shared lock on it until it exits; a lock read from the cache and an API index
//!   are touched when read. So "not used for N days" is about use, not creation.
//! - **Held environments are never removed.** A venv whose `.use` lock another skyhop process
//!   holds, or that a running process uses (its command line, `VIRTUAL_ENV` or mapped files
//!   point into it: a deployment's or `skyhop dev`'s Airflow), is skipped. Pruning takes the
//!   `.use` lock exclusively while it removes a venv, so a skyhop starting to use that venv
//!   waits and then builds it anew.
//! - **Sizes are disk use as `du` counts it**: each file once, however many hard links (uv
//!   installs venvs with hard links into its own cache and between venvs); what removing an
//!   entry frees is what only it holds in skyhop's cache.
//! - **Bound.** `SKYHOP_CACHE_MAX_SIZE` (`20G`, `500M`, bytes): `prune` removes the least
//!   recently used entries until the cache fits, and [`crate::install`] does the same after
//!   building a new venv when it is set.
//!
//! The `.lock` and `.use` files themselves are never deleted (empty files; deleting a lock file
//! that another process has open would let two processes both think they hold it).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::EnvError;
use crate::cache::Cache;
use crate::uv::UV_VERSION;

mod holds;
pub(crate) use holds::hold;
use holds::in_use;

/// How long a temporary directory counts as a build in progress rather than a leftover.
const BEING_BUILT: Duration = Duration::from_secs(24 * 3600);

/// The environment variable that bounds the cache's size.
pub const MAX_SIZE_VAR: &str = "SKYHOP_CACHE_MAX_SIZE";

/// One kind of cache content, for the totals of `skyhop cache info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `venvs/`: installed environments, one per lock.
    Venvs,
    /// `pycache/`: the bytecode Python wrote for the venvs' and the DAGs' modules.
    Bytecode,
    /// `api-index/`: what each environment's Airflow exports, for the static check.
    Indexes,
    /// `locks/`: resolutions (`pip freeze` lists) by their inputs.
    Locks,
    /// `uv-<version>/`: a uv installed by skyhop with pip.
    Uv,
    /// `harness/`: the parse test's Python harness.
    Harness,
    /// `pypi-files/`, `wheels/`, `release-dates/`, `example-dags/`: small downloads.
    Downloads,
    /// `catalog/`: the live Astro feed as last fetched.
    Catalog,
    /// Anything else (leftovers of interrupted runs, files of other skyhop versions).
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Venvs => "venvs",
            Kind::Bytecode => "bytecode",
            Kind::Indexes => "indexes",
            Kind::Locks => "locks",
            Kind::Uv => "uv",
            Kind::Harness => "harness",
            Kind::Downloads => "downloads",
            Kind::Catalog => "catalog",
            Kind::Other => "other",
        }
    }

    fn of_dir(name: &str) -> Kind {
        match name {
            "venvs" => Kind::Venvs,
            "pycache" => Kind::Bytecode,
            "api-index" => Kind::Indexes,
            "locks" => Kind::Locks,
            "harness" => Kind::Harness,
            "pypi-files" | "wheels" | "release-dates" | "example-dags" => Kind::Downloads,
            "catalog" => Kind::Catalog,
            n if n.starts_with("uv-") => Kind::Uv,
            _ => Kind::Other,
        }
    }
}

/// The total of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindUsage {
    pub kind: Kind,
    pub bytes: u64,
    /// How many removable entries of that kind (environments, indexes, locks...).
    pub entries: usize,
}

/// One installed environment.
#[derive(Debug, Clone, Serialize)]
pub struct EnvUsage {
    /// The lock hash (`venvs/<hash>`).
    pub hash: String,
    pub path: PathBuf,
    /// Disk use of the venv and its bytecode.
    pub bytes: u64,
    /// What removing it would free (what no other entry of skyhop's cache shares).
    pub frees: u64,
    /// Last use (seconds since the Unix epoch).
    pub last_used: u64,
    pub python: Option<String>,
    pub airflow: Option<String>,
    /// Why it cannot be removed now, e.g. `skyhop process` or `pid 123 (airflow)`.
    pub in_use: Option<String>,
}

/// What `skyhop cache info` shows.
#[derive(Debug, Clone, Serialize)]
pub struct CacheUsage {
    pub root: PathBuf,
    /// Disk use of the whole cache, each file counted once.
    pub bytes: u64,
    pub kinds: Vec<KindUsage>,
    /// Least recently used first.
    pub environments: Vec<EnvUsage>,
    /// `SKYHOP_CACHE_MAX_SIZE` in bytes, when set.
    pub max_size: Option<u64>,
}

/// What a prune removed (or would remove, dry).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    /// `(kind, path, bytes freed, why)`.
    pub removed: Vec<Removed>,
    /// Entries that were due but are in use: `(path, by whom)`.
    pub kept_in_use: Vec<(PathBuf, String)>,
    pub freed: u64,
    /// Disk use of the cache before and after.
    pub before: u64,
    pub after: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    pub kind: Kind,
    pub path: PathBuf,
    pub bytes: u64,
    /// `unused for 31 days`, `over SKYHOP_CACHE_MAX_SIZE`, `clean`.
    pub why: String,
}

/// What to prune.
#[derive(Debug, Clone, Default)]
pub struct PruneOptions {
    /// Remove what has not been used for this long.
    pub older_than: Option<Duration>,
    /// Then remove the least recently used until the cache is at most this big.
    pub max_size: Option<u64>,
    /// Remove everything that is not in use (`skyhop cache clean`).
    pub everything: bool,
    /// Say what would be removed, remove nothing.
    pub dry_run: bool,
}

/// A removable unit: a venv with its bytecode, an index with its Airflow home, a lock's files...
#[derive(Debug)]
struct Entry {
    kind: Kind,
    /// The path shown.
    path: PathBuf,
    /// Everything removed with it.
    paths: Vec<PathBuf>,
    last_used: SystemTime,
    /// Inodes it holds (counted once per entry).
    inodes: Vec<(u64, u64)>,
    bytes: u64,
    /// For venvs: the lock hash.
    venv: Option<String>,
    /// Never removed by age or size, only by `clean` (the pinned uv, the catalog).
    keep: bool,
}

/// The cache with its entries and every inode's size and number of entries holding it.
struct Scan {
    entries: Vec<Entry>,
    inodes: HashMap<(u64, u64), (u64, u32)>,
}

impl Scan {
    fn total(&self) -> u64 {
        self.inodes.values().map(|(b, _)| b).sum()
    }

    /// What removing entry `i` frees now.
    fn frees(&self, i: usize) -> u64 {
        self.entries[i]
            .inodes
            .iter()
            .filter_map(|k| self.inodes.get(k))
            .filter(|(_, refs)| *refs == 1)
            .map(|(b, _)| b)
            .sum()
    }

    /// Forgets entry `i`'s inodes; returns what that freed.
    fn forget(&mut self, i: usize) -> u64 {
        let mut freed = 0;
        for k in std::mem::take(&mut self.entries[i].inodes) {
            if let Some((bytes, refs)) = self.inodes.get_mut(&k) {
                *refs -= 1;
                if *refs == 0 {
                    freed += *bytes;
                    self.inodes.remove(&k);
                }
            }
        }
        freed
    }
}

/// Everything in the cache: totals per kind and every environment.
pub fn usage(cache: &Cache) -> Result<CacheUsage, EnvError> {
    let scan = scan(cache)?;
    let in_use = in_use(cache, &scan);
    let mut kinds: HashMap<Kind, KindUsage> = HashMap::new();
    let mut seen: HashMap<Kind, HashSet<(u64, u64)>> = HashMap::new();
    for e in &scan.entries {
        let k = kinds.entry(e.kind).or_insert(KindUsage {
            kind: e.kind,
            bytes: 0,
            entries: 0,
        });
        k.entries += 1;
        let seen = seen.entry(e.kind).or_default();
        for ino in &e.inodes {
            if seen.insert(*ino) {
                k.bytes += scan.inodes.get(ino).map_or(0, |(b, _)| *b);
            }
        }
    }
    let mut kinds: Vec<KindUsage> = kinds.into_values().collect();
    kinds.sort_by_key(|k| k.kind);
    let mut environments: Vec<EnvUsage> = scan
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let hash = e.venv.clone()?;
            let (python, airflow) = venv_versions(&e.path);
            Some(EnvUsage {
                in_use: in_use.get(&i).cloned(),
                hash,
                path: e.path.clone(),
                bytes: e.bytes,
                frees: scan.frees(i),
                last_used: epoch_secs(e.last_used),
                python,
                airflow,
            })
        })
        .collect();
    environments.sort_by_key(|e| e.last_used);
    Ok(CacheUsage {
        root: cache.root.clone(),
        bytes: scan.total(),
        kinds,
        environments,
        max_size: max_size_from_env().ok().flatten(),
    })
}

/// Removes what `opts` asks for, never anything in use. Age first, then size (least recently
/// used first), or everything with [`PruneOptions::everything`].
pub fn prune(cache: &Cache, opts: &PruneOptions) -> Result<PruneReport, EnvError> {
    let mut scan = scan(cache)?;
    let in_use = in_use(cache, &scan);
    let before = scan.total();
    let mut report = PruneReport {
        before,
        ..PruneReport::default()
    };
    let now = SystemTime::now();
    let mut order: Vec<usize> = (0..scan.entries.len()).collect();
    order.sort_by_key(|&i| scan.entries[i].last_used);
    let mut due: Vec<(usize, String)> = Vec::new();
    for &i in &order {
        let e = &scan.entries[i];
        if opts.everything {
            due.push((i, "clean".to_string()));
        } else if let Some(age) = opts.older_than
            && !e.keep
            && now.duration_since(e.last_used).unwrap_or_default() > age
        {
            let days = now
                .duration_since(e.last_used)
                .unwrap_or_default()
                .as_secs()
                / 86_400;
            due.push((i, format!("unused for {days} days")));
        }
    }
    let mut removed_set = HashSet::new();
    let take = |scan: &mut Scan, i: usize, why: String, report: &mut PruneReport| {
        if let Some(who) = in_use.get(&i) {
            report
                .kept_in_use
                .push((scan.entries[i].path.clone(), who.clone()));
            return;
        }
        if !opts.dry_run
            && let Err(e) = remove_entry(cache, &scan.entries[i])
        {
            report
                .kept_in_use
                .push((scan.entries[i].path.clone(), format!("not removed: {e}")));
            return;
        }
        let bytes = scan.forget(i);
        report.freed += bytes;
        report.removed.push(Removed {
            kind: scan.entries[i].kind,
            path: scan.entries[i].path.clone(),
            bytes,
            why,
        });
    };
    for (i, why) in due {
        removed_set.insert(i);
        take(&mut scan, i, why, &mut report);
    }
    if let Some(max) = opts.max_size {
        for &i in &order {
            if scan.total() <= max {
                break;
            }
            if removed_set.contains(&i) || scan.entries[i].keep {
                continue;
            }
            removed_set.insert(i);
            take(
                &mut scan,
                i,
                format!("over {MAX_SIZE_VAR} ({})", human_bytes(max)),
                &mut report,
            );
        }
    }
    report.after = scan.total();
    Ok(report)
}

/// `SKYHOP_CACHE_MAX_SIZE` in bytes (`None` when unset or empty).
pub fn max_size_from_env() -> Result<Option<u64>, String> {
    match std::env::var(MAX_SIZE_VAR) {
        Ok(v) if !v.trim().is_empty() => parse_size(&v).map(Some).ok_or_else(|| {
            format!("{MAX_SIZE_VAR}={v} is not a size: use e.g. 20G, 500M or a number of bytes")
        }),
        _ => Ok(None),
    }
}

/// After a new venv was built: when `SKYHOP_CACHE_MAX_SIZE` is set and the cache is over it,
/// the least recently used entries are removed (never one in use, this process's included).
pub(crate) fn enforce_max_size(cache: &Cache) {
    if let Ok(Some(max)) = max_size_from_env() {
        let _ = prune(
            cache,
            &PruneOptions {
                max_size: Some(max),
                ..PruneOptions::default()
            },
        );
    }
}

/// `20G`, `20GB`, `20GiB`, `500m`, `1.5T`, `123456` (bytes); units are powers of 1024.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches("ib").trim_end_matches('b');
    let mult: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    (num >= 0.0).then_some((num * mult as f64) as u64)
}

/// `1.5 GiB`, `640 MiB`, `12 KiB`, `10 B`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

/// Marks a cache file as used now (its modification time: locks and indexes are written once).
pub fn touch(path: &Path) {
    if let Ok(f) = OpenOptions::new().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Walks the cache into removable entries.
fn scan(cache: &Cache) -> Result<Scan, EnvError> {
    let root = &cache.root;
    let mut entries = Vec::new();
    let list = |dir: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    if !root.is_dir() {
        return Ok(Scan {
            entries,
            inodes: HashMap::new(),
        });
    }
    let venvs_dir = root.join("venvs");
    let pycache = root.join("pycache");
    let mut mirrored: HashSet<PathBuf> = HashSet::new();
    for top in list(root) {
        let name = file_name(&top);
        if name.ends_with(".lock") {
            continue;
        }
        let kind = Kind::of_dir(&name);
        match kind {
            Kind::Venvs => {
                for p in list(&top) {
                    let n = file_name(&p);
                    if n.ends_with(".lock") || n.ends_with(".use") {
                        continue;
                    }
                    if !p.is_dir() || n.starts_with('.') {
                        entries.push(plain_entry(Kind::Other, p));
                        continue;
                    }
                    let mirror = mirror_of(&pycache, &p);
                    let last_used = mtime(&venvs_dir.join(format!("{n}.use")))
                        .or_else(|| mtime(&p.join("skyhop-venv.json")))
                        .or_else(|| mtime(&p))
                        .unwrap_or(SystemTime::UNIX_EPOCH);
                    let mut paths = vec![p.clone()];
                    if let Some(m) = mirror.filter(|m| m.exists()) {
                        mirrored.insert(m.clone());
                        paths.push(m);
                    }
                    entries.push(Entry {
                        kind: Kind::Venvs,
                        path: p,
                        paths,
                        last_used,
                        inodes: Vec::new(),
                        bytes: 0,
                        venv: Some(n),
                        keep: false,
                    });
                }
            }
            Kind::Bytecode => {} // below, once every venv's mirror is known
            Kind::Indexes => {
                for p in list(&top) {
                    let n = file_name(&p);
                    if n.starts_with("airflow-home-") || n.ends_with(".lock") {
                        continue; // with its index
                    }
                    let mut e = plain_entry(Kind::Indexes, p.clone());
                    if let Some(key) = n.strip_suffix(".json") {
                        let home = top.join(format!("airflow-home-{key}"));
                        if home.exists() {
                            e.paths.push(home);
                        }
                    }
                    entries.push(e);
                }
                // an Airflow home left without its index
                for p in list(&top) {
                    let n = file_name(&p);
                    if let Some(key) = n.strip_prefix("airflow-home-")
                        && !top.join(format!("{key}.json")).exists()
                    {
                        entries.push(plain_entry(Kind::Indexes, p));
                    }
                }
            }
            Kind::Locks => {
                let mut by_key: HashMap<String, Vec<PathBuf>> = HashMap::new();
                for p in list(&top) {
                    let n = file_name(&p);
                    if n.ends_with(".lock") {
                        continue;
                    }
                    let key = n.split('.').next().unwrap_or(&n).to_string();
                    by_key.entry(key).or_default().push(p);
                }
                let mut keys: Vec<_> = by_key.into_iter().collect();
                keys.sort();
                for (_, paths) in keys {
                    let last_used = paths
                        .iter()
                        .filter_map(|p| mtime(p))
                        .max()
                        .unwrap_or(SystemTime::UNIX_EPOCH);
                    entries.push(Entry {
                        kind: Kind::Locks,
                        path: paths[0].clone(),
                        paths,
                        last_used,
                        inodes: Vec::new(),
                        bytes: 0,
                        venv: None,
                        keep: false,
                    });
                }
            }
            Kind::Harness | Kind::Downloads => {
                for p in list(&top) {
                    if !file_name(&p).ends_with(".lock") {
                        entries.push(plain_entry(kind, p));
                    }
                }
            }
            Kind::Uv => {
                let mut e = plain_entry(Kind::Uv, top.clone());
                e.keep = name == format!("uv-{UV_VERSION}");
                entries.push(e);
            }
            Kind::Catalog => {
                let mut e = plain_entry(Kind::Catalog, top.clone());
                e.keep = true;
                entries.push(e);
            }
            Kind::Other => entries.push(plain_entry(Kind::Other, top.clone())),
        }
    }
    // Bytecode of what is not a venv of the cache (DAG files, temporary copies of projects).
    for p in walk_mirror_roots(&pycache, &mirrored) {
        entries.push(plain_entry(Kind::Bytecode, p));
    }
    let mut inodes: HashMap<(u64, u64), (u64, u32)> = HashMap::new();
    for e in &mut entries {
        let mut own: HashSet<(u64, u64)> = HashSet::new();
        for p in &e.paths {
            walk(p, &mut |key, bytes| {
                if own.insert(key) {
                    e.bytes += bytes;
                    let slot = inodes.entry(key).or_insert((bytes, 0));
                    slot.1 += 1;
                }
            });
        }
        e.inodes = own.into_iter().collect();
    }
    Ok(Scan { entries, inodes })
}

/// The bytecode directories under `pycache/` that are not a venv's mirror: the deepest
/// directories containing no mirror, as whole entries (e.g. `pycache/tmp/.tmpXYZ`).
fn walk_mirror_roots(pycache: &Path, mirrored: &HashSet<PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![pycache.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if mirrored.contains(&p) {
                continue;
            }
            if mirrored.iter().any(|m| m.starts_with(&p)) {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `pycache/<venv path without its leading />`: where Python writes the venv's bytecode
/// (`PYTHONPYCACHEPREFIX`).
fn mirror_of(pycache: &Path, venv: &Path) -> Option<PathBuf> {
    let rel = venv.strip_prefix("/").ok()?;
    Some(pycache.join(rel))
}

fn plain_entry(kind: Kind, path: PathBuf) -> Entry {
    let last_used = newest_mtime(&path).unwrap_or(SystemTime::UNIX_EPOCH);
    Entry {
        kind,
        paths: vec![path.clone()],
        path,
        last_used,
        inodes: Vec::new(),
        bytes: 0,
        venv: None,
        keep: false,
    }
}

/// The newest modification time of `path` or, for a directory, of what is directly in it.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let own = mtime(path);
    if !path.is_dir() {
        return own;
    }
    fs::read_dir(path)
        .ok()?
        .flatten()
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .chain(own)
        .max()
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::symlink_metadata(path).ok()?.modified().ok()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Calls `f((dev, inode), disk bytes)` for `path` and everything under it (symlinks not
/// followed).
fn walk(path: &Path, f: &mut dyn FnMut((u64, u64), u64)) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    f((meta.dev(), meta.ino()), meta.blocks() * 512);
    if meta.is_dir()
        && let Ok(rd) = fs::read_dir(path)
    {
        for e in rd.flatten() {
            walk(&e.path(), f);
        }
    }
}

/// Python `X.Y` and Airflow version of a venv, from its marker and its `site-packages`.
fn venv_versions(venv: &Path) -> (Option<String>, Option<String>) {
    let python = fs::read_to_string(venv.join("skyhop-venv.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("python_version")?.as_str().map(str::to_string));
    let airflow = fs::read_dir(venv.join("lib"))
        .ok()
        .and_then(|rd| {
            rd.flatten()
                .map(|e| e.path().join("site-packages"))
                .find(|p| p.is_dir())
        })
        .and_then(|sp| {
            fs::read_dir(sp).ok()?.flatten().find_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let v = n
                    .strip_prefix("apache_airflow-")?
                    .strip_suffix(".dist-info")?;
                Some(v.to_string())
            })
        });
    (python, airflow)
}

/// Removes an entry. A venv: under an exclusive lock on its `.use` file (a skyhop about to use
/// it waits, then rebuilds it), moved aside first so no one ever sees half of it.
fn remove_entry(cache: &Cache, e: &Entry) -> Result<(), String> {
    let _guard = match &e.venv {
        Some(hash) => {
            let path = cache.root.join("venvs").join(format!("{hash}.use"));
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|err| format!("cannot open {}: {err}", path.display()))?;
            match f.try_lock() {
                Ok(()) => Some(f),
                Err(_) => return Err("a skyhop process started using it".to_string()),
            }
        }
        None => None,
    };
    for p in &e.paths {
        let Ok(meta) = fs::symlink_metadata(p) else {
            continue;
        };
        if meta.is_dir() {
            let parent = p.parent().unwrap_or(&cache.root);
            let aside = parent.join(format!(".tmp-removing-{}", file_name(p)));
            let target = match fs::rename(p, &aside) {
                Ok(()) => aside,
                Err(_) => p.clone(),
            };
            fs::remove_dir_all(&target)
                .map_err(|err| format!("cannot remove {}: {err}", p.display()))?;
        } else {
            fs::remove_file(p).map_err(|err| format!("cannot remove {}: {err}", p.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
