//! Refreshing the catalog: Astronomer's updates feed and PyPI's release dates, cached for a
//! day under `<cache>/catalog/`, never required.
//!
//! Feed format (Astro CLI `airflow_versions/types.go`): `runtimeVersions` (Airflow 2 runtimes,
//! keys `11.8.0`) and `runtimeVersionsV3` (keys `3.1-12`), each value
//! `{"metadata": {airflowVersion, channel, releaseDate, pythonVersions, defaultPythonVersion,
//! yanked, yankedReason, endOfMaintenance, endOfBasicSupport}, "migrations": {airflowDatabase}}`.
//! Feed entries win over embedded ones field by field; embedded facts the feed does not carry
//! (default providers, LTS) are kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use pep440_rs::Version;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::airflow::AirflowInfo;
use crate::catalog::{Catalog, Confidence, RuntimeInfo};
use crate::data::parse_date;
use crate::version::RuntimeVersion;

/// Astronomer's Runtime updates feed (what the Astro CLI reads).
pub const FEED_URL: &str = "https://updates.astronomer.io/astronomer-runtime";
/// PyPI's JSON API for apache-airflow (release upload dates, yanked releases).
pub const PYPI_URL: &str = "https://pypi.org/pypi/apache-airflow/json";
/// How long a cached download is fresh.
pub const CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Network timeout of each download.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

const FEED_CACHE: &str = "astro-runtime-feed.json";
const PYPI_CACHE: &str = "pypi-apache-airflow.json";

/// When to go to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refresh {
    /// Use the cache while it is less than a day old, else download.
    #[default]
    Auto,
    /// Download now (falls back to the cache when unreachable).
    Force,
    /// Never download; use whatever is cached.
    Offline,
}

/// Downloads a URL as text. Injected so tests never touch the network.
pub trait Fetcher: Sync {
    fn get(&self, url: &str) -> Result<String, String>;
}

/// [`Fetcher`] over HTTPS with a short timeout (honours `HTTPS_PROXY`).
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    pub timeout: Duration,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        HttpFetcher {
            timeout: FETCH_TIMEOUT,
        }
    }
}

impl Fetcher for HttpFetcher {
    fn get(&self, url: &str) -> Result<String, String> {
        let agent = ureq::AgentBuilder::new()
            .timeout(self.timeout)
            .try_proxy_from_env(true)
            .user_agent(&format!("skyhop/{}", skyhop_core::SKYHOP_VERSION))
            .build();
        let resp = agent
            .get(url)
            .set("Accept", "application/json")
            .call()
            .map_err(|e| e.to_string())?;
        resp.into_string().map_err(|e| e.to_string())
    }
}

/// True when `SKYHOP_OFFLINE` is set to anything but empty, `0` or `false`, or the run is
/// `--offline`.
pub fn offline_from_env() -> bool {
    skyhop_core::settings::get().offline
        || std::env::var("SKYHOP_OFFLINE")
            .map(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
            .unwrap_or(false)
}

#[derive(Serialize, Deserialize)]
struct Cached {
    fetched_at: String,
    url: String,
    data: Value,
}

impl Catalog {
    /// The embedded catalog merged with the Astro updates feed and PyPI release dates: fresh
    /// when reachable (3 s timeout, cached for a day under `cache_dir/catalog/`), else cached,
    /// else embedded only. Never fails; `notes` say what was used when it is not the fresh feed.
    /// `SKYHOP_OFFLINE=1` skips all network.
    pub fn load(cache_dir: &Path, refresh: Refresh) -> (Catalog, Vec<String>) {
        let refresh = if offline_from_env() {
            Refresh::Offline
        } else {
            refresh
        };
        Catalog::load_with(
            cache_dir,
            refresh,
            &HttpFetcher::default(),
            Timestamp::now(),
        )
    }

    /// [`Catalog::load`] with the downloader and the clock injected.
    pub fn load_with(
        cache_dir: &Path,
        refresh: Refresh,
        fetcher: &dyn Fetcher,
        now: Timestamp,
    ) -> (Catalog, Vec<String>) {
        let dir = cache_dir.join("catalog");
        let mut catalog = Catalog::embedded();
        catalog.origin.offline = refresh == Refresh::Offline;
        let mut notes = Vec::new();
        let (pypi, feed) = std::thread::scope(|s| {
            let pypi = s.spawn(|| {
                obtain(&dir, PYPI_CACHE, PYPI_URL, refresh, fetcher, now, |body| {
                    parse_pypi(body).map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                })
            });
            let feed = obtain(&dir, FEED_CACHE, FEED_URL, refresh, fetcher, now, |body| {
                let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
                check_feed_shape(&v)?;
                Ok(v)
            });
            let pypi = pypi
                .join()
                .unwrap_or_else(|_| Obtained::none("PyPI download thread failed"));
            (pypi, feed)
        });

        notes.extend(pypi.note.map(|n| format!("PyPI release dates: {n}")));
        if let Some((data, at)) = pypi.data {
            match serde_json::from_value::<BTreeMap<String, PypiRelease>>(data) {
                Ok(rel) => {
                    catalog.merge_pypi(&rel);
                    catalog.origin.pypi_fetched_at = Some(at);
                }
                Err(e) => notes.push(format!("PyPI release dates: cached copy unreadable ({e})")),
            }
        }
        notes.extend(feed.note.map(|n| format!("Astro updates feed: {n}")));
        if let Some((data, at)) = feed.data {
            match catalog.merge_feed(&data) {
                Ok(skipped) => {
                    catalog.origin.feed_fetched_at = Some(at);
                    notes.extend(
                        skipped
                            .into_iter()
                            .map(|n| format!("Astro updates feed: {n}")),
                    );
                }
                Err(e) => notes.push(format!("Astro updates feed: not merged ({e})")),
            }
        }
        (catalog, notes)
    }

    /// Merges one Astro updates feed document. Returns notes on entries it skipped; an error
    /// when the document has neither `runtimeVersions` nor `runtimeVersionsV3`.
    pub fn merge_feed(&mut self, feed: &Value) -> Result<Vec<String>, String> {
        self.merge_feed_from(feed, FEED_URL)
    }

    /// [`Catalog::merge_feed`] of a feed document obtained from `source` (the live feed, or a
    /// dated cut of it embedded in skyhop).
    pub fn merge_feed_from(&mut self, feed: &Value, source: &str) -> Result<Vec<String>, String> {
        check_feed_shape(feed)?;
        let mut notes = Vec::new();
        for section in ["runtimeVersions", "runtimeVersionsV3"] {
            let Some(entries) = feed.get(section).and_then(Value::as_object) else {
                continue;
            };
            for (key, entry) in entries {
                let Ok(version) = RuntimeVersion::parse(key) else {
                    notes.push(format!("entry `{key}` skipped: not a Runtime version"));
                    continue;
                };
                let meta = entry.get("metadata").unwrap_or(&Value::Null);
                let text = |k: &str| {
                    meta.get(k)
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                };
                let Some(airflow) = text("airflowVersion") else {
                    notes.push(format!("entry `{key}` skipped: no airflowVersion"));
                    continue;
                };
                let info = self
                    .runtimes
                    .entry(version)
                    .or_insert_with(|| RuntimeInfo::new(version, airflow.clone()));
                info.airflow = airflow;
                info.airflow_possible.clear();
                if let Some(d) = text("releaseDate").and_then(|d| parse_date(&d).ok()) {
                    info.release_date = Some(d);
                }
                info.channel = text("channel");
                info.yanked = truthy(meta.get("yanked"));
                info.yanked_reason = if info.yanked {
                    text("yankedReason").or(info.yanked_reason.take())
                } else {
                    None
                };
                if let Some(pys) = meta.get("pythonVersions").and_then(Value::as_array) {
                    let pys: Vec<String> = pys
                        .iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect();
                    if !pys.is_empty() {
                        info.pythons = pys;
                        info.pythons_derived = false;
                    }
                }
                if let Some(p) = text("defaultPythonVersion") {
                    info.default_python = Some(p);
                }
                if let Some(d) = text("endOfMaintenance").and_then(|d| parse_date(&d).ok()) {
                    info.end_of_maintenance = Some(d);
                    info.end_of_maintenance_basis = None;
                }
                if let Some(d) = text("endOfBasicSupport").and_then(|d| parse_date(&d).ok()) {
                    info.end_of_basic_support = Some(d);
                }
                if let Some(m) = entry
                    .get("migrations")
                    .and_then(|m| m.get("airflowDatabase"))
                {
                    info.db_migration = Some(truthy(Some(m)));
                }
                info.confidence = Confidence::Feed;
                info.source = source.to_string();
            }
        }
        self.fill_from_siblings();
        Ok(notes)
    }

    /// Merges PyPI release data: upload dates and yanked flags win; new final releases are
    /// added with the Pythons of their minor's other releases.
    pub fn merge_pypi(&mut self, releases: &BTreeMap<String, PypiRelease>) {
        for (key, rel) in releases {
            let Ok(version) = Version::from_str(key) else {
                continue;
            };
            let date = parse_date(&rel.date).ok();
            if let Some(info) = self.airflow.get_mut(&version) {
                info.release_date = date.or(info.release_date);
                info.yanked = rel.yanked;
                info.yanked_reason = rel.yanked_reason.clone();
                continue;
            }
            let pythons = self.pythons_of_minor(&version);
            self.airflow.insert(
                version.clone(),
                AirflowInfo {
                    version,
                    release_date: date,
                    pythons,
                    yanked: rel.yanked,
                    yanked_reason: rel.yanked_reason.clone(),
                },
            );
        }
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn check_feed_shape(v: &Value) -> Result<(), String> {
    let has = |k: &str| v.get(k).is_some_and(Value::is_object);
    if has("runtimeVersions") || has("runtimeVersionsV3") {
        Ok(())
    } else {
        Err("no `runtimeVersions` or `runtimeVersionsV3` object in the feed".into())
    }
}

/// One Apache Airflow release on PyPI, as skyhop caches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PypiRelease {
    /// First upload (`YYYY-MM-DD`).
    pub date: String,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked_reason: Option<String>,
}

/// Reads PyPI's JSON API document for apache-airflow: final `X.Y.Z` releases from 2.0.0 on.
pub fn parse_pypi(body: &str) -> Result<BTreeMap<String, PypiRelease>, String> {
    let doc: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let releases = doc
        .get("releases")
        .and_then(Value::as_object)
        .ok_or("no `releases` object")?;
    let mut out = BTreeMap::new();
    for (key, files) in releases {
        let Ok(v) = Version::from_str(key) else {
            continue;
        };
        if v.any_prerelease() || v.is_post() || v.release().len() != 3 || v.release()[0] < 2 {
            continue;
        }
        let files = files.as_array().map(Vec::as_slice).unwrap_or_default();
        let date = files
            .iter()
            .filter_map(|f| {
                f.get("upload_time_iso_8601")
                    .or_else(|| f.get("upload_time"))
                    .and_then(Value::as_str)
            })
            .min();
        let Some(date) = date else { continue };
        let yanked = !files.is_empty() && files.iter().all(|f| truthy(f.get("yanked")));
        let yanked_reason = files
            .iter()
            .find_map(|f| f.get("yanked_reason").and_then(Value::as_str))
            .filter(|r| yanked && !r.is_empty())
            .map(str::to_string);
        out.insert(
            key.clone(),
            PypiRelease {
                date: date.get(..10).unwrap_or(date).to_string(),
                yanked,
                yanked_reason,
            },
        );
    }
    Ok(out)
}

struct Obtained {
    /// The data and when it was fetched (RFC 3339).
    data: Option<(Value, String)>,
    note: Option<String>,
}

impl Obtained {
    fn none(note: &str) -> Self {
        Obtained {
            data: None,
            note: Some(note.to_string()),
        }
    }
}

/// Cache-or-download of one source. `parse` turns the body into what is cached.
fn obtain(
    dir: &Path,
    file: &str,
    url: &str,
    refresh: Refresh,
    fetcher: &dyn Fetcher,
    now: Timestamp,
    parse: impl Fn(&str) -> Result<Value, String>,
) -> Obtained {
    let path = dir.join(file);
    let cached = read_cache(&path);
    let fresh = cached.as_ref().is_some_and(|c| {
        Timestamp::from_str(&c.fetched_at)
            .ok()
            .and_then(|t| now.duration_since(t).try_into().ok())
            .is_some_and(|age: Duration| age < CACHE_TTL)
    });
    let use_cache = |why: String| match &cached {
        Some(c) => Obtained {
            data: Some((c.data.clone(), c.fetched_at.clone())),
            note: Some(format!(
                "{why}; using the copy cached on {}",
                c.fetched_at.get(..10).unwrap_or(&c.fetched_at)
            )),
        },
        None => Obtained {
            data: None,
            note: Some(format!("{why}; using the embedded snapshot only")),
        },
    };
    match (refresh, &cached) {
        (Refresh::Offline, _) => return use_cache("offline".into()),
        (Refresh::Auto, Some(c)) if fresh => {
            return Obtained {
                data: Some((c.data.clone(), c.fetched_at.clone())),
                note: None,
            };
        }
        _ => {}
    }
    let body = match fetcher.get(url) {
        Ok(b) => b,
        Err(e) => return use_cache(format!("{url} not reachable ({e})")),
    };
    let data = match parse(&body) {
        Ok(d) => d,
        Err(e) => return use_cache(format!("{url} sent an unreadable document ({e})")),
    };
    let fetched_at = now.to_string();
    let entry = Cached {
        fetched_at: fetched_at.clone(),
        url: url.to_string(),
        data,
    };
    let note = write_cache(&path, &entry)
        .err()
        .map(|e| format!("could not write the cache {} ({e})", path.display()));
    Obtained {
        data: Some((entry.data, fetched_at)),
        note,
    }
}

fn read_cache(path: &Path) -> Option<Cached> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes atomically (temporary file + rename) so readers never see half a file.
fn write_cache(path: &Path, entry: &Cached) -> std::io::Result<()> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir)?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("cache"),
        std::process::id()
    ));
    std::fs::write(&tmp, serde_json::to_vec(entry)?)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Date;
    use std::sync::Mutex;

    const FEED: &str = include_str!("../tests/fixtures/feed.json");
    const PYPI: &str = include_str!("../tests/fixtures/pypi.json");

    /// Serves the fixtures, or fails like a network without connectivity; counts calls.
    struct FakeFetcher {
        online: bool,
        calls: Mutex<Vec<String>>,
    }

    impl FakeFetcher {
        fn new(online: bool) -> Self {
            FakeFetcher {
                online,
                calls: Mutex::new(Vec::new()),
            }
        }
        fn calls(&self) -> usize {
            self.calls.lock().map(|c| c.len()).unwrap_or(0)
        }
    }

    impl Fetcher for FakeFetcher {
        fn get(&self, url: &str) -> Result<String, String> {
            if let Ok(mut c) = self.calls.lock() {
                c.push(url.to_string());
            }
            match (self.online, url) {
                (false, _) => Err("dns error: failed to lookup address".into()),
                (true, FEED_URL) => Ok(FEED.to_string()),
                (true, PYPI_URL) => Ok(PYPI.to_string()),
                (true, other) => Err(format!("unexpected url {other}")),
            }
        }
    }

    fn v(s: &str) -> RuntimeVersion {
        RuntimeVersion::parse(s).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::from_str(s).unwrap()
    }

    #[test]
    fn feed_entries_win_and_fill_gaps() {
        let mut c = Catalog::embedded();
        let feed: Value = serde_json::from_str(FEED).unwrap();
        let notes = c.merge_feed(&feed).unwrap();
        assert_eq!(
            notes,
            ["entry `not-a-version` skipped: not a Runtime version"]
        );
        // new AF2 entry: default Python, LTS and maintenance come from its line
        let r = c.runtime(&v("12.7.0")).unwrap();
        assert_eq!(r.airflow, "2.10.5");
        assert_eq!(r.default_python.as_deref(), Some("3.12"));
        assert_eq!(r.channel.as_deref(), Some("deprecated"));
        assert_eq!(r.db_migration, Some(true));
        assert_eq!(r.confidence, Confidence::Feed);
        assert!(r.end_of_maintenance.is_some());
        // the feed wins: 3.2-1 is not yanked there
        assert!(!c.runtime(&v("3.2-1")).unwrap().yanked);
        // embedded facts the feed lacks are kept
        let r118 = c.runtime(&v("11.8.0")).unwrap();
        assert_eq!(r118.lts, Some(true));
        assert_eq!(r118.providers.len(), 23);
        // new AF3 entry with its Pythons, and its Airflow version added
        let r = c.runtime(&v("3.3-9")).unwrap();
        assert_eq!(r.pythons, ["3.12", "3.13", "3.14"]);
        assert!(c.airflow("3.3.3").is_some());
        let today = Date::constant(2026, 11, 22);
        assert_eq!(
            c.runtime(&v("3.4-1")).unwrap().status(today),
            crate::Status::Prerelease {
                channel: "beta".into()
            }
        );
        assert_eq!(
            c.latest_runtime(false).map(|r| r.version.to_string()),
            Some("3.3-9".into())
        );
        assert!(c.merge_feed(&serde_json::json!({"other": 1})).is_err());
    }

    #[test]
    fn pypi_dates_and_yanks() {
        let rel = parse_pypi(PYPI).unwrap();
        let keys: Vec<&String> = rel.keys().collect();
        assert_eq!(keys, ["2.9.1", "3.1.4", "3.3.3"]);
        assert_eq!(rel["3.3.3"].date, "2026-11-04");
        assert!(rel["3.1.4"].yanked);
        let mut c = Catalog::embedded();
        c.merge_pypi(&rel);
        let a = c.airflow("3.3.3").unwrap();
        assert_eq!(a.pythons, ["3.10", "3.11", "3.12", "3.13", "3.14"]);
        assert_eq!(a.release_date, Some(Date::constant(2026, 11, 4)));
        assert!(c.airflow("3.1.4").unwrap().yanked);
    }

    #[test]
    fn load_caches_for_a_day_and_falls_back_offline() {
        let dir = tempfile::tempdir().unwrap();
        let now = ts("2026-11-22T10:00:00Z");

        // online: both sources fetched and cached
        let online = FakeFetcher::new(true);
        let (c, notes) = Catalog::load_with(dir.path(), Refresh::Auto, &online, now);
        assert_eq!(
            notes,
            ["Astro updates feed: entry `not-a-version` skipped: not a Runtime version"]
        );
        assert_eq!(online.calls(), 2);
        assert!(c.runtime(&v("3.3-9")).is_some());
        assert!(dir.path().join("catalog").join(FEED_CACHE).is_file());
        assert!(dir.path().join("catalog").join(PYPI_CACHE).is_file());
        assert!(c.source_text().contains("Astro updates feed of 2026-11-22"));

        // within a day: the cache is used, no network
        let offline = FakeFetcher::new(false);
        let later = ts("2026-11-22T20:00:00Z");
        let (c, notes) = Catalog::load_with(dir.path(), Refresh::Auto, &offline, later);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(offline.calls(), 0);
        assert!(c.runtime(&v("3.3-9")).is_some());

        // after a day and unreachable: the stale cache, with a note
        let next_week = ts("2026-11-29T10:00:00Z");
        let (c, notes) = Catalog::load_with(dir.path(), Refresh::Auto, &offline, next_week);
        assert_eq!(offline.calls(), 2);
        assert!(c.runtime(&v("3.3-9")).is_some());
        insta::assert_snapshot!(notes.join("\n"));

        // offline mode: no network at all
        let (_, notes) = Catalog::load_with(dir.path(), Refresh::Offline, &offline, next_week);
        assert_eq!(offline.calls(), 2);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes[..2]
                .iter()
                .all(|n| n.contains("offline; using the copy cached on 2026-11-22"))
        );
    }

    #[test]
    fn load_without_cache_or_network_is_the_embedded_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let offline = FakeFetcher::new(false);
        let (c, notes) = Catalog::load_with(
            dir.path(),
            Refresh::Force,
            &offline,
            ts("2026-11-22T10:00:00Z"),
        );
        assert_eq!(c.runtimes().count(), Catalog::embedded().runtimes().count());
        assert!(c.runtime(&v("3.3-9")).is_none());
        insta::assert_snapshot!(notes.join("\n"));
        let unknown = c.unknown_runtime(&v("3.3-9")).to_string();
        assert!(
            unknown.contains("could not read Astronomer's live updates feed"),
            "{unknown}"
        );
    }

    #[test]
    fn corrupt_cache_and_bad_documents_are_notes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("catalog");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join(FEED_CACHE), "{not json").unwrap();
        struct Garbage;
        impl Fetcher for Garbage {
            fn get(&self, _: &str) -> Result<String, String> {
                Ok("<html>maintenance</html>".into())
            }
        }
        let (c, notes) = Catalog::load_with(
            dir.path(),
            Refresh::Auto,
            &Garbage,
            ts("2026-11-22T10:00:00Z"),
        );
        assert_eq!(c.runtimes().count(), Catalog::embedded().runtimes().count());
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().all(|n| n.contains("unreadable document")));
    }

    /// Real network (PyPI only; Astronomer's feed host is not reachable from CI machines):
    /// `cargo test -p skyhop-catalog -- --ignored real_pypi`.
    #[test]
    #[ignore = "needs network"]
    fn real_pypi() {
        let body = HttpFetcher::default().get(PYPI_URL).unwrap();
        let rel = parse_pypi(&body).unwrap();
        assert_eq!(rel["2.9.1"].date, "2024-05-06");
        assert!(rel["3.0.5"].yanked);
        let dir = tempfile::tempdir().unwrap();
        let (c, notes) = Catalog::load_with(
            dir.path(),
            Refresh::Force,
            &HttpFetcher::default(),
            Timestamp::now(),
        );
        assert!(c.origin().pypi_fetched_at.is_some(), "{notes:?}");
    }
}
