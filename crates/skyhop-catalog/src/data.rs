//! The embedded snapshot: JSON files under `data/`, parsed once into a [`Catalog`].
//!
//! - `runtime-releases-3.0.0-to-11.8.0.json`, `runtime-releases-12-13-af3.json`,
//!   `runtime-providers-2.1.1-to-11.8.0.json`: copies of `shared/runtime-catalog/`;
//! - `runtime-extra.json`: skyhop's additions (inferred versions, later provider lists, derived
//!   end of maintenance), each with its basis;
//! - `airflow-versions.json`: Apache Airflow releases (PyPI upload dates, tested Pythons);
//! - `considerations.json`: upgrade considerations per line.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::Date;
use pep440_rs::Version;
use serde::Deserialize;

use crate::airflow::AirflowInfo;
use crate::catalog::{Catalog, Confidence, Origin, RuntimeInfo};
use crate::considerations;
use crate::version::{Line, RuntimeVersion};

/// When the embedded data was assembled.
pub const SNAPSHOT_DATE: &str = "2026-11-22";

const RELEASES_OLD: &str = include_str!("../data/runtime-releases-3.0.0-to-11.8.0.json");
const RELEASES_NEW: &str = include_str!("../data/runtime-releases-12-13-af3.json");
const PROVIDERS: &str = include_str!("../data/runtime-providers-2.1.1-to-11.8.0.json");
const EXTRA: &str = include_str!("../data/runtime-extra.json");
const AIRFLOW: &str = include_str!("../data/airflow-versions.json");
const CONSIDERATIONS: &str = include_str!("../data/considerations.json");
const VERIFIED: &str = include_str!("../data/runtime-verified.json");
const FEED_CUT: &str = include_str!("../data/astro-feed-2026-09-25.json");
/// Where `astro-feed-2026-09-25.json` comes from.
const FEED_CUT_SOURCE: &str = "Astro updates feed, cut of 2026-09-25 (astronomer/astro-cli pkg/runtimeversions/testdata/catalog.json)";

static EMBEDDED: LazyLock<Catalog> = LazyLock::new(|| match build() {
    Ok(c) => c,
    // Only our own data can fail here; `embedded_data_parses` covers it.
    Err(e) => panic!("skyhop-catalog: embedded data is broken: {e}"),
});

impl Catalog {
    /// The catalog from the embedded snapshot alone (parsed once per process).
    pub fn embedded() -> Catalog {
        EMBEDDED.clone()
    }
}

/// One release record, in either research file's shape.
#[derive(Deserialize)]
struct RawRelease {
    airflow: String,
    #[serde(default)]
    release_date: Option<String>,
    #[serde(default)]
    default_python: Option<String>,
    #[serde(default)]
    pythons: Option<Vec<String>>,
    #[serde(default)]
    eom_month: Option<String>,
    #[serde(default)]
    eom: Option<String>,
    #[serde(default)]
    eom_basis: Option<String>,
    #[serde(default)]
    lts: Option<bool>,
    #[serde(default)]
    yanked: Option<bool>,
    #[serde(default)]
    yanked_reason: Option<String>,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    source: Option<String>,
    /// Every Airflow version the evidence allows, when it allows several.
    #[serde(default)]
    airflow_possible: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawVerified {
    runtimes: BTreeMap<String, RawRelease>,
}

#[derive(Deserialize)]
struct RawProviders {
    #[serde(default)]
    standard: BTreeMap<String, String>,
    #[serde(default)]
    slim: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawExtra {
    runtimes: BTreeMap<String, RawRelease>,
    lines: BTreeMap<String, RawLine>,
    providers: BTreeMap<String, RawProviders>,
}

#[derive(Deserialize)]
struct RawLine {
    eom: Option<String>,
    eom_basis: Option<String>,
}

#[derive(Deserialize)]
struct RawAirflowFile {
    lifecycle: BTreeMap<String, RawLifecycle>,
    versions: BTreeMap<String, RawAirflow>,
}

#[derive(Deserialize)]
struct RawLifecycle {
    #[serde(default)]
    end_of_life: Option<String>,
}

#[derive(Deserialize)]
struct RawAirflow {
    release_date: Option<String>,
    pythons: Vec<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    yanked_reason: Option<String>,
}

fn build() -> Result<Catalog, String> {
    let mut runtimes = BTreeMap::new();
    for (file, text) in [
        ("runtime-releases-3.0.0-to-11.8.0.json", RELEASES_OLD),
        ("runtime-releases-12-13-af3.json", RELEASES_NEW),
    ] {
        let raw: BTreeMap<String, RawRelease> =
            serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for (key, r) in raw {
            let info = to_info(&key, r, Confidence::Docs).map_err(|e| format!("{file}: {e}"))?;
            runtimes.insert(info.version, info);
        }
    }
    let extra: RawExtra =
        serde_json::from_str(EXTRA).map_err(|e| format!("runtime-extra.json: {e}"))?;
    for (key, r) in extra.runtimes {
        let info =
            to_info(&key, r, Confidence::Inferred).map_err(|e| format!("runtime-extra: {e}"))?;
        runtimes.entry(info.version).or_insert(info);
    }
    let verified: RawVerified =
        serde_json::from_str(VERIFIED).map_err(|e| format!("runtime-verified.json: {e}"))?;
    for (key, r) in verified.runtimes {
        let info = to_info(&key, r, Confidence::ThirdParty)
            .map_err(|e| format!("runtime-verified: {e}"))?;
        runtimes.entry(info.version).or_insert(info);
    }
    let mut providers: BTreeMap<String, RawProviders> = serde_json::from_str(PROVIDERS)
        .map_err(|e| format!("runtime-providers-2.1.1-to-11.8.0.json: {e}"))?;
    providers.extend(extra.providers);
    for (key, p) in providers {
        let v = RuntimeVersion::parse(&key).map_err(|e| format!("providers: {e}"))?;
        if let Some(info) = runtimes.get_mut(&v) {
            info.providers = p.standard;
            info.slim_providers = p.slim;
        }
    }
    for (line, l) in extra.lines {
        let line: Line = line.parse()?;
        let eom = l.eom.as_deref().map(month_end).transpose()?;
        for info in runtimes.values_mut().filter(|i| i.version.line() == line) {
            if info.end_of_maintenance.is_none() {
                info.end_of_maintenance = eom;
                info.end_of_maintenance_basis = l.eom_basis.clone();
            }
        }
    }

    let raw_af: RawAirflowFile =
        serde_json::from_str(AIRFLOW).map_err(|e| format!("airflow-versions.json: {e}"))?;
    let mut airflow = BTreeMap::new();
    for (key, a) in raw_af.versions {
        let version = Version::from_str(&key).map_err(|e| format!("airflow {key}: {e}"))?;
        airflow.insert(
            version.clone(),
            AirflowInfo {
                version,
                release_date: a.release_date.as_deref().map(parse_date).transpose()?,
                pythons: a.pythons,
                yanked: a.yanked,
                yanked_reason: a.yanked_reason,
            },
        );
    }
    let mut airflow_end_of_life = BTreeMap::new();
    for (major, l) in raw_af.lifecycle {
        if let Some(eol) = l.end_of_life {
            let major: u64 = major.parse().map_err(|_| format!("lifecycle {major}"))?;
            airflow_end_of_life.insert(major, parse_date(&eol)?);
        }
    }

    let mut catalog = Catalog {
        runtimes,
        airflow,
        considerations: considerations::parse(CONSIDERATIONS)
            .map_err(|e| format!("considerations.json: {e}"))?,
        origin: Origin::default(),
        airflow_end_of_life,
    };
    let feed: serde_json::Value =
        serde_json::from_str(FEED_CUT).map_err(|e| format!("astro-feed-2026-09-25.json: {e}"))?;
    catalog
        .merge_feed_from(&feed, FEED_CUT_SOURCE)
        .map_err(|e| format!("astro-feed-2026-09-25.json: {e}"))?;
    Ok(catalog)
}

fn to_info(key: &str, r: RawRelease, default_conf: Confidence) -> Result<RuntimeInfo, String> {
    let version = RuntimeVersion::parse(key).map_err(|e| e.to_string())?;
    let mut info = RuntimeInfo::new(version, r.airflow);
    info.release_date = r.release_date.as_deref().map(parse_date).transpose()?;
    info.default_python = r
        .default_python
        .filter(|p| p.split_once('.').is_some_and(|(a, _)| a == "3"));
    info.pythons = r.pythons.unwrap_or_default();
    let eom = r.eom.or(r.eom_month);
    info.end_of_maintenance = eom.as_deref().map(month_end).transpose()?;
    info.end_of_maintenance_basis = r.eom_basis.filter(|b| b.starts_with("derived"));
    info.lts = r.lts;
    info.yanked = r.yanked.unwrap_or(false);
    info.yanked_reason = r.yanked_reason;
    info.confidence = match r.confidence.as_deref() {
        Some("docs") => Confidence::Docs,
        Some("feed-fixture") => Confidence::FeedFixture,
        Some("third-party") => Confidence::ThirdParty,
        Some("inferred") => Confidence::Inferred,
        Some(other) => return Err(format!("{key}: unknown confidence `{other}`")),
        None => default_conf,
    };
    info.source = r.source.unwrap_or_default();
    info.airflow_possible = r.airflow_possible.unwrap_or_default();
    Ok(info)
}

/// Sort key of `3.11` → (3, 11).
pub(crate) fn python_key(p: &str) -> (u32, u32) {
    let (a, b) = p.split_once('.').unwrap_or((p, "0"));
    (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
}

pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    let day = s.get(..10).unwrap_or(s);
    Date::from_str(day).map_err(|e| format!("bad date `{s}`: {e}"))
}

/// `2025-10` → 2025-10-31 (maintenance ends on the last day of the stated month).
pub(crate) fn month_end(s: &str) -> Result<Date, String> {
    if s.len() == 7 {
        Ok(parse_date(&format!("{s}-01"))?.last_of_month())
    } else {
        parse_date(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        let c = build().unwrap();
        assert!(c.runtimes.len() > 170, "{}", c.runtimes.len());
        assert!(c.airflow.len() >= 75);
        assert!(c.considerations.len() > 20);
        // every runtime's Airflow version is a known Airflow release
        for r in c.runtimes.values() {
            let a = r.airflow_version().expect("airflow version parses");
            assert!(
                c.airflow.contains_key(&a),
                "{} ships unknown {a}",
                r.version
            );
        }
    }

    #[test]
    fn month_end_is_last_day() {
        assert_eq!(month_end("2025-10").unwrap().to_string(), "2025-10-31");
        assert_eq!(month_end("2024-02").unwrap().to_string(), "2024-02-29");
    }
}
