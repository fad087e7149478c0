//! The catalog: every known Runtime and Airflow version, and the questions asked of it.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use pep440_rs::Version;
use serde::Serialize;

use crate::airflow::{AirflowInfo, base_version, parse_airflow_version};
use crate::considerations::Consideration;
use crate::version::{Line, RuntimeVersion, Scheme};

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
    pub airflow: String,
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

    /// Runtimes that ship Airflow `airflow` (local parts ignored), oldest first.
    pub fn runtimes_for_airflow(&self, airflow: &str) -> Vec<&RuntimeInfo> {
        let Ok(want) = parse_airflow_version(airflow).map(|v| base_version(&v)) else {
            return Vec::new();
        };
        self.runtimes
            .values()
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

    /// Lines the catalog knows, in order.
    pub fn lines(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = self.runtimes.keys().map(RuntimeVersion::line).collect();
        lines.dedup();
        lines
    }

    /// Scheme of a line.
    pub fn scheme_of(line: Line) -> Scheme {
        match line {
            Line::Major(_) => Scheme::Semver,
            Line::Airflow3(..) => Scheme::Airflow3,
        }
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
