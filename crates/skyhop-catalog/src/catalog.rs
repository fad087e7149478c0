//! The catalog: every known Runtime and Airflow version, and the questions asked of it.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use pep440_rs::Version;
use serde::Serialize;

use crate::airflow::{AirflowInfo, base_version, parse_airflow_version};
use crate::considerations::Consideration;
use crate::version::{Line, RuntimeVersion};

/// How much a fact about a Runtime version can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Astronomer's live updates feed.
    Feed,
    /// Astronomer's documentation (release notes, lifecycle policy).
    Docs,
    /// A test fixture of Astronomer's CLI (shape of the feed, values may be synthetic).
    FeedFixture,
    /// Stated by third-party sources only.
    ThirdParty,
    /// Derived from neighbouring versions and the Airflow release calendar.
    Inferred,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Feed => "feed",
            Confidence::Docs => "docs",
            Confidence::FeedFixture => "feed-fixture",
            Confidence::ThirdParty => "third-party",
            Confidence::Inferred => "inferred",
        })
    }
}

/// Where a version stands today.
///
/// Precedence: yanked, then alpha/beta channel, then past end of maintenance, then the feed's
/// `deprecated` channel; everything else is current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Maintained (or no end of maintenance known) and not yanked.
    Current,
    /// Marked `deprecated` by the Astro feed although its end of maintenance is not known to
    /// have passed.
    Deprecated,
    /// Its end of maintenance has passed.
    EndOfMaintenance { since: Date },
    /// Withdrawn: may not be used at all.
    Yanked { reason: String },
    /// An `alpha`/`beta` (non-stable) channel of the feed.
    Prerelease { channel: String },
}

impl Status {
    /// Short word for tables (`current`, `deprecated`, `end-of-maintenance`, `yanked`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::Deprecated => "deprecated",
            Status::EndOfMaintenance { .. } => "end-of-maintenance",
            Status::Yanked { .. } => "yanked",
            Status::Prerelease { .. } => "prerelease",
        }
    }
}

/// Everything known about one Astro Runtime version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeInfo {
    pub version: RuntimeVersion,
    /// Airflow version it ships, as published (`2.9.1`; the feed may write `2.10.5+astro.2`).
    /// When the evidence allows several, the one tested (see `airflow_possible`).
    pub airflow: String,
    /// Every Airflow version the evidence allows, when that is more than one (`2.11.1`,
    /// `2.11.2`); empty when `airflow` is known.
    pub airflow_possible: Vec<String>,
    pub release_date: Option<Date>,
    /// Python of the image without a `-python-X.Y` suffix.
    pub default_python: Option<String>,
    /// Pythons with an image (`-python-X.Y`), default included.
    pub pythons: Vec<String>,
    /// True when `pythons` was derived (Airflow's tested Pythons) rather than published.
    pub pythons_derived: bool,
    /// Last day of maintenance.
    pub end_of_maintenance: Option<Date>,
    /// Why `end_of_maintenance` is believed when it is not quoted from Astronomer.
    pub end_of_maintenance_basis: Option<String>,
    pub end_of_basic_support: Option<Date>,
    /// Long-term support; `None` when unknown.
    pub lts: Option<bool>,
    pub yanked: bool,
    pub yanked_reason: Option<String>,
    /// Feed channel (`stable`, `deprecated`, `alpha`, `beta`), when read from the feed.
    pub channel: Option<String>,
    /// Whether upgrading to it migrates the Airflow database (feed `migrations.airflowDatabase`).
    pub db_migration: Option<bool>,
    /// Default packages of the standard image (`apache-airflow-providers-amazon` → `8.27.0`).
    pub providers: BTreeMap<String, String>,
    /// Default packages of the `-slim` image, when known.
    pub slim_providers: Option<BTreeMap<String, String>>,
    pub confidence: Confidence,
    /// Where the facts come from.
    pub source: String,
}

impl RuntimeInfo {
    pub(crate) fn new(version: RuntimeVersion, airflow: String) -> Self {
        RuntimeInfo {
            version,
            airflow,
            airflow_possible: Vec::new(),
            release_date: None,
            default_python: None,
            pythons: Vec::new(),
            pythons_derived: false,
            end_of_maintenance: None,
            end_of_maintenance_basis: None,
            end_of_basic_support: None,
            lts: None,
            yanked: false,
            yanked_reason: None,
            channel: None,
            db_migration: None,
            providers: BTreeMap::new(),
            slim_providers: None,
            confidence: Confidence::Inferred,
            source: String::new(),
        }
    }

    /// Image repository of this version's era.
    pub fn image_repository(&self) -> &'static str {
        self.version.image_repository()
    }

    /// How tags of this version's scheme are written.
    pub fn tag_format(&self) -> &'static str {
        self.version.scheme().tag_format()
    }

    /// Full image reference for a tag suffix (`-python-3.11`, or empty).
    pub fn image(&self, suffix: &str) -> String {
        format!("{}:{}{suffix}", self.image_repository(), self.version)
    }

    /// The Airflow version parsed, without local part (`2.10.5+astro.2` → `2.10.5`).
    pub fn airflow_version(&self) -> Option<Version> {
        parse_airflow_version(&self.airflow)
            .ok()
            .map(|v| base_version(&v))
    }

    /// Where this version stands on `today`.
    pub fn status(&self, today: Date) -> Status {
        if self.yanked {
            return Status::Yanked {
                reason: self
                    .yanked_reason
                    .clone()
                    .unwrap_or_else(|| "no reason published".into()),
            };
        }
        if let Some(ch) = &self.channel
            && matches!(ch.as_str(), "alpha" | "beta" | "rc" | "nightly")
        {
            return Status::Prerelease {
                channel: ch.clone(),
            };
        }
        if let Some(eom) = self.end_of_maintenance
            && eom < today
        {
            return Status::EndOfMaintenance { since: eom };
        }
        if self.channel.as_deref() == Some("deprecated") {
            return Status::Deprecated;
        }
        Status::Current
    }
}

/// Where the catalog's data came from, for messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The Astro updates feed was merged (fresh or cached), fetched at this time (RFC 3339).
    pub feed_fetched_at: Option<String>,
    /// PyPI release dates were merged, fetched at this time (RFC 3339).
    pub pypi_fetched_at: Option<String>,
    /// Network was skipped (`SKYHOP_OFFLINE` or offline refresh mode).
    pub offline: bool,
}

/// Every known Astro Runtime and Apache Airflow version.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub(crate) runtimes: BTreeMap<RuntimeVersion, RuntimeInfo>,
    pub(crate) airflow: BTreeMap<Version, AirflowInfo>,
    pub(crate) considerations: Vec<Consideration>,
    pub(crate) origin: Origin,
    /// Last day of maintenance of each Airflow major (2 → 2026-04-22).
    pub(crate) airflow_end_of_life: BTreeMap<u64, Date>,
}

/// A version the catalog does not know, with its nearest known neighbours and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {version} is not in the catalog ({source_text}). Nearest known: {nearest}. {hint}", nearest = if .nearest.is_empty() { "none".to_string() } else { .nearest.join(", ") })]
pub struct UnknownVersion {
    /// `Runtime` or `Airflow`.
    pub what: &'static str,
    pub version: String,
    pub nearest: Vec<String>,
    /// What the catalog was built from.
    pub source_text: String,
    /// What to do.
    pub hint: String,
}

impl Catalog {
    /// The catalog's Runtime record for `v`.
    pub fn runtime(&self, v: &RuntimeVersion) -> Option<&RuntimeInfo> {
        self.runtimes.get(v)
    }

    /// The catalog's record for Airflow `v` (`2.9.1`; a local part is ignored).
    pub fn airflow(&self, v: &str) -> Option<&AirflowInfo> {
        let parsed = parse_airflow_version(v).ok()?;
        self.airflow.get(&base_version(&parsed))
    }

    /// Every Runtime version, oldest first (Astro CLI order).
    pub fn runtimes(&self) -> impl DoubleEndedIterator<Item = &RuntimeInfo> {
        self.runtimes.values()
    }

    /// Every Airflow version, oldest first.
    pub fn airflow_versions(&self) -> impl DoubleEndedIterator<Item = &AirflowInfo> {
        self.airflow.values()
    }

    /// Runtimes known to ship Airflow `airflow` (local parts ignored), oldest first; versions
    /// that may ship one of several Airflow versions are left out.
    pub fn runtimes_for_airflow(&self, airflow: &str) -> Vec<&RuntimeInfo> {
        let Ok(want) = parse_airflow_version(airflow).map(|v| base_version(&v)) else {
            return Vec::new();
        };
        self.runtimes
            .values()
            .filter(|r| r.airflow_possible.is_empty())
            .filter(|r| r.airflow_version().as_ref() == Some(&want))
            .collect()
    }

    /// The newest usable Runtime: never yanked or prerelease; past end of maintenance or
    /// deprecated only with `include_deprecated`.
    pub fn latest_runtime(&self, include_deprecated: bool) -> Option<&RuntimeInfo> {
        let today = today();
        self.runtimes
            .values()
            .rev()
            .find(|r| usable(r, today, include_deprecated))
    }

    /// The newest usable Runtime that ships Airflow `airflow` (what `--airflow-version` picks).
    pub fn latest_runtime_for_airflow(
        &self,
        airflow: &str,
        include_deprecated: bool,
        today: Date,
    ) -> Option<&RuntimeInfo> {
        self.runtimes_for_airflow(airflow)
            .into_iter()
            .rev()
            .find(|r| usable(r, today, include_deprecated))
    }

    /// The newest non-yanked Airflow release.
    pub fn latest_airflow(&self) -> Option<&AirflowInfo> {
        self.airflow.values().rev().find(|a| !a.yanked)
    }

    /// For a yanked (or unusable) version, the version to use instead: the next non-yanked
    /// version of the same line, else the next non-yanked newer one, else the newest older one
    /// (8.0.0 → 8.1.0, 9.0.0 → 9.7.0, 3.0-9 → 3.0-10).
    pub fn nearest_good(&self, v: &RuntimeVersion) -> Option<&RuntimeInfo> {
        let line = v.line();
        let newer = || {
            self.runtimes
                .range(v..)
                .map(|(_, r)| r)
                .filter(|r| r.version != *v)
        };
        newer()
            .find(|r| !r.yanked && r.version.line() == line)
            .or_else(|| newer().find(|r| !r.yanked))
            .or_else(|| {
                self.runtimes
                    .range(..v)
                    .rev()
                    .map(|(_, r)| r)
                    .find(|r| !r.yanked)
            })
    }

    /// The error for a Runtime version the catalog does not know.
    pub fn unknown_runtime(&self, v: &RuntimeVersion) -> UnknownVersion {
        let below = self.runtimes.range(..v).rev().take(2).map(|(k, _)| *k);
        let above = self.runtimes.range(v..).take(2).map(|(k, _)| *k);
        let mut nearest: Vec<RuntimeVersion> = below.chain(above).collect();
        nearest.sort();
        UnknownVersion {
            what: "Runtime",
            version: v.to_string(),
            nearest: nearest.iter().map(ToString::to_string).collect(),
            source_text: self.source_text(),
            hint: format!(
                "{} Or pass --airflow-version with the Airflow version this runtime ships.",
                self.refresh_hint()
            ),
        }
    }

    /// The error for an Airflow version the catalog does not know.
    pub fn unknown_airflow(&self, v: &Version) -> UnknownVersion {
        let base = base_version(v);
        let below = self.airflow.range(..base.clone()).rev().take(2);
        let above = self.airflow.range(base.clone()..).take(2);
        let mut nearest: Vec<&Version> = below.chain(above).map(|(k, _)| k).collect();
        nearest.sort();
        UnknownVersion {
            what: "Airflow",
            version: v.to_string(),
            nearest: nearest.iter().map(ToString::to_string).collect(),
            source_text: self.source_text(),
            hint: format!(
                "{} `skyhop versions --airflow` lists the known Airflow versions.",
                self.refresh_hint()
            ),
        }
    }

    /// What the catalog was built from, in words.
    pub fn source_text(&self) -> String {
        let mut parts = vec![format!(
            "embedded snapshot of {}",
            crate::data::SNAPSHOT_DATE
        )];
        if let Some(at) = &self.origin.feed_fetched_at {
            parts.push(format!("Astro updates feed of {}", short_date(at)));
        }
        if let Some(at) = &self.origin.pypi_fetched_at {
            parts.push(format!("PyPI release dates of {}", short_date(at)));
        }
        parts.join(" + ")
    }

    fn refresh_hint(&self) -> String {
        if self.origin.offline {
            "skyhop ran offline (SKYHOP_OFFLINE): unset it to read Astronomer's live updates feed."
                .to_string()
        } else if self.origin.feed_fetched_at.is_some() {
            "Check the version: Astronomer's updates feed does not list it either.".to_string()
        } else {
            "skyhop could not read Astronomer's live updates feed: connect to the internet and retry (the feed is cached for a day)."
                .to_string()
        }
    }

    /// Where the data came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Upgrade considerations, as loaded.
    pub fn considerations(&self) -> &[Consideration] {
        &self.considerations
    }

    /// End of life of an Airflow major (Apache Airflow's lifecycle), when known.
    pub fn airflow_end_of_life(&self, major: u64) -> Option<Date> {
        self.airflow_end_of_life.get(&major).copied()
    }

    /// The Runtime line that ships Airflow `major.minor` (2.9 → `11`, 3.1 → `3.1`), from the
    /// catalog's own data.
    pub fn line_for_airflow(&self, v: &Version) -> Option<Line> {
        let r = v.release();
        let want = (r.first().copied()?, r.get(1).copied()?);
        self.runtimes
            .values()
            .filter(|ri| {
                ri.airflow_version()
                    .map(|a| (a.release()[0], a.release().get(1).copied().unwrap_or(0)))
                    == Some(want)
            })
            .map(|ri| ri.version.line())
            .min()
    }

    /// A heading for a line: `Runtime 9 (Airflow 2.7)`, `Runtime 3.1-N (Airflow 3.1)`.
    pub fn line_title(&self, line: Line) -> String {
        match line {
            Line::Major(m) => {
                let airflow = self
                    .runtimes
                    .values()
                    .find(|r| r.version.line() == line)
                    .and_then(RuntimeInfo::airflow_version)
                    .and_then(|a| a.release().get(..2).map(|r| format!("{}.{}", r[0], r[1])));
                match airflow {
                    Some(a) => format!("Runtime {m} (Airflow {a})"),
                    None => format!("Runtime {m}"),
                }
            }
            Line::Airflow3(x, y) => format!("Runtime {x}.{y}-N (Airflow {x}.{y})"),
        }
    }

    /// Lines the catalog knows, in order.
    pub fn lines(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = self.runtimes.keys().map(RuntimeVersion::line).collect();
        lines.dedup();
        lines
    }
}

fn usable(r: &RuntimeInfo, today: Date, include_deprecated: bool) -> bool {
    match r.status(today) {
        Status::Current => true,
        Status::Deprecated | Status::EndOfMaintenance { .. } => include_deprecated,
        Status::Yanked { .. } | Status::Prerelease { .. } => false,
    }
}

fn short_date(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// Today's date in UTC.
pub fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn v(s: &str) -> RuntimeVersion {
        RuntimeVersion::parse(s).unwrap()
    }

    #[test]
    fn runtime_11_3_0_ships_airflow_2_9_1_with_its_provider_pins() {
        let c = Catalog::embedded();
        let r = c.runtime(&v("11.3.0")).unwrap();
        assert_eq!(r.airflow, "2.9.1");
        assert_eq!(r.release_date.unwrap().to_string(), "2024-05-06");
        assert_eq!(r.default_python.as_deref(), Some("3.11"));
        assert_eq!(r.lts, Some(true));
        assert_eq!(r.end_of_maintenance.unwrap().to_string(), "2025-10-31");
        assert_eq!(
            r.providers
                .get("apache-airflow-providers-amazon")
                .map(String::as_str),
            Some("8.20.0")
        );
        assert_eq!(
            r.providers
                .get("apache-airflow-providers-google")
                .map(String::as_str),
            Some("10.17.0")
        );
        assert_eq!(r.providers.len(), 22);
        assert_eq!(r.slim_providers.as_ref().map(BTreeMap::len), Some(13));
        assert_eq!(r.image(""), "quay.io/astronomer/astro-runtime:11.3.0");
        assert_eq!(c.runtime(&v("11.8.0")).unwrap().airflow, "2.9.3");
    }

    #[test]
    fn eras_have_their_image_repository() {
        let c = Catalog::embedded();
        let af3 = c.runtime(&v("3.1-12")).unwrap();
        assert_eq!(
            af3.image("-python-3.11"),
            "astrocrpublic.azurecr.io/runtime:3.1-12-python-3.11"
        );
        assert_eq!(af3.tag_format(), "X.Y-Z[-ubi9][-python-X.Y][-slim][-base]");
        assert_eq!(
            c.runtime(&v("13.4.0")).unwrap().image_repository(),
            "quay.io/astronomer/astro-runtime"
        );
    }

    #[test]
    fn yanked_versions_and_nearest_good() {
        let c = Catalog::embedded();
        let r = c.runtime(&v("8.0.0")).unwrap();
        assert!(r.yanked);
        assert_eq!(
            r.yanked_reason.as_deref(),
            Some("Does not apply cluster policies defined through pluggy.")
        );
        let good = |s: &str| c.nearest_good(&v(s)).map(|r| r.version.to_string());
        assert_eq!(good("8.0.0").as_deref(), Some("8.1.0"));
        assert_eq!(good("9.0.0").as_deref(), Some("9.7.0"));
        assert_eq!(good("9.4.0").as_deref(), Some("9.7.0"));
        assert_eq!(good("11.0.0").as_deref(), Some("11.2.0"));
        assert_eq!(good("3.0-9").as_deref(), Some("3.0-10"));
    }

    #[test]
    fn queries() {
        let c = Catalog::embedded();
        let for_291: Vec<String> = c
            .runtimes_for_airflow("2.9.1")
            .iter()
            .map(|r| r.version.to_string())
            .collect();
        assert_eq!(for_291, ["11.3.0", "11.4.0"]);
        assert_eq!(c.runtimes_for_airflow("2.9.1+astro.1").len(), 2);
        assert!(c.runtimes_for_airflow("2.9").is_empty());
        let all: Vec<RuntimeVersion> = c.runtimes().map(|r| r.version).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            all.first().map(ToString::to_string).as_deref(),
            Some("2.1.1")
        );
        let af: Vec<&Version> = c.airflow_versions().map(|a| &a.version).collect();
        assert!(af.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(c.airflow("2.9.1").unwrap().pythons.len(), 5);
        assert_eq!(
            c.airflow("2.10.5")
                .unwrap()
                .release_date
                .unwrap()
                .to_string(),
            "2025-02-10"
        );
        assert!(c.airflow("3.0.5").unwrap().yanked);
        assert_eq!(c.latest_airflow().unwrap().version.to_string(), "3.3.2");
        assert!(c.latest_runtime(true).is_some());
        assert_eq!(
            c.line_for_airflow(&Version::from_str("2.9.3").unwrap()),
            Some(Line::Major(11))
        );
        assert_eq!(
            c.line_for_airflow(&Version::from_str("3.1.0").unwrap()),
            Some(Line::Airflow3(3, 1))
        );
    }

    #[test]
    fn statuses_on_a_fixed_day() {
        let c = Catalog::embedded();
        let day = Date::constant(2026, 11, 22);
        let status = |s: &str| c.runtime(&v(s)).unwrap().status(day);
        assert_eq!(status("13.4.0"), Status::Current);
        assert_eq!(status("3.1-12"), Status::Current);
        assert_eq!(
            status("11.8.0"),
            Status::EndOfMaintenance {
                since: Date::constant(2025, 10, 31)
            }
        );
        assert!(matches!(status("8.0.0"), Status::Yanked { .. }));
        // Runtime 12's end of maintenance is derived, and says so.
        let r12 = c.runtime(&v("12.8.0")).unwrap();
        assert!(r12.end_of_maintenance_basis.is_some());
        assert!(matches!(r12.status(day), Status::EndOfMaintenance { .. }));
    }

    #[test]
    fn pythons_are_published_or_derived() {
        let c = Catalog::embedded();
        let r9 = c.runtime(&v("9.7.0")).unwrap();
        assert_eq!(r9.pythons, ["3.8", "3.9", "3.10", "3.11"]);
        let r7 = c.runtime(&v("7.4.0")).unwrap();
        assert_eq!(r7.pythons, ["3.9"]);
        let r32 = c.runtime(&v("3.2-6")).unwrap();
        assert_eq!(r32.default_python.as_deref(), Some("3.13"));
        assert!(!r32.pythons_derived);
        assert!(c.runtime(&v("3.1-12")).unwrap().pythons_derived);
    }

    #[test]
    fn unknown_version_messages() {
        let c = Catalog::embedded();
        let text = format!(
            "{}\n{}\n{}\n",
            c.unknown_runtime(&v("12.7.3")),
            c.unknown_runtime(&v("3.9-1")),
            c.unknown_airflow(&Version::from_str("2.9.9").unwrap()),
        );
        insta::assert_snapshot!(text);
    }
}
