//! Upgrade validation: is `current → target` allowed, and what must the user know first.
//!
//! Pure logic over the [`Catalog`]; today's date comes in through [`UpgradeOptions`].
//!
//! Checks, in order: full version; known version; not the same version; not a downgrade; not
//! yanked; Airflow 2 → 3 only from Runtime 12.0.0 (Airflow 2.10.0) on (for `apache/airflow`
//! images: from Airflow 2.7.0, Airflow's own minimum); not deprecated / past end of maintenance
//! unless allowed.
//!
//! Considerations shown: those of every Runtime line from the current one to the target one,
//! **both included**. The current line is included because several of its considerations
//! concern its later patches (8.4.0's cncf-kubernetes 7, the 11.0.0–11.2.0 local bug, yanked
//! ranges), and the issue asks for Runtime 5 → 9 to show 5, 6, 8 and 9 (7 has none). Those
//! that only concern patches before some version (`relevant_below`) are left out when the
//! current Runtime is already past it (11.3.0 → 11.8.0 does not repeat the 11.0.0 yank). For
//! `apache/airflow` images only considerations with `scope: airflow` are shown.

use std::fmt;

use jiff::civil::Date;
use pep440_rs::Version;
use serde::Serialize;

use crate::airflow::{AirflowVersionError, base_version, parse_airflow_version};
use crate::catalog::{Catalog, RuntimeInfo, Status, UnknownVersion, today};
use crate::considerations::{Consideration, Scope, When};
use crate::data::python_key;
use crate::version::{Line, RuntimeVersion, VersionError};

/// The first Runtime from which an Airflow 3 upgrade is allowed (Astro CLI `ValidRuntimeVersion`).
pub const MIN_RUNTIME_FOR_AF3: RuntimeVersion = RuntimeVersion::Semver {
    major: 12,
    minor: 0,
    patch: 0,
};
/// The first Airflow from which Airflow's own upgrade guide allows an Airflow 3 upgrade.
pub const MIN_AIRFLOW_FOR_AF3: [u64; 3] = [2, 7, 0];

/// One end of an upgrade: an Astro Runtime or an Apache Airflow version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "version", rename_all = "lowercase")]
pub enum Target {
    Runtime(RuntimeVersion),
    Airflow(#[serde(serialize_with = "crate::airflow::ser_display")] Version),
}

impl Target {
    /// `--runtime-version` text → target (strict: `11.3.0` or `3.1-12`).
    pub fn parse_runtime(s: &str) -> Result<Target, VersionError> {
        RuntimeVersion::parse(s).map(Target::Runtime)
    }

    /// `--airflow-version` text → target (strict: `2.10.5`).
    pub fn parse_airflow(s: &str) -> Result<Target, AirflowVersionError> {
        parse_airflow_version(s).map(Target::Airflow)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Runtime(v) => write!(f, "Runtime {v}"),
            Target::Airflow(v) => write!(f, "Airflow {v}"),
        }
    }
}

/// Options of [`Catalog::check_upgrade`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpgradeOptions {
    /// Allow targets past their end of maintenance (or deprecated / prerelease).
    pub allow_deprecated: bool,
    /// The date maintenance is judged against.
    pub today: Date,
}

impl UpgradeOptions {
    /// Options judged against today's date (UTC).
    pub fn new(allow_deprecated: bool) -> Self {
        UpgradeOptions {
            allow_deprecated,
            today: today(),
        }
    }
}

/// Why an upgrade is refused. Each message says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeRefusal {
    #[error(transparent)]
    BadRuntimeVersion(#[from] VersionError),
    #[error(transparent)]
    BadAirflowVersion(#[from] AirflowVersionError),
    #[error(transparent)]
    Unknown(#[from] UnknownVersion),
    #[error(
        "no Astro Runtime ships Airflow {airflow}. Runtimes ship: {nearby}. Pass --runtime-version, or an --airflow-version one of them ships."
    )]
    NoRuntimeForAirflow { airflow: String, nearby: String },
    #[error("the project already uses {version}: nothing to do.")]
    SameVersion { version: String },
    #[error(
        "{target} is older than the current {current}: skyhop does not downgrade, because an upgraded Airflow database cannot be migrated down. The only way down is a rollback to an earlier deploy: `skyhop rollback` (it restores the earlier image, requirements and DAGs)."
    )]
    Downgrade { current: String, target: String },
    #[error("{version} is yanked: {reason}. {instead}")]
    Yanked {
        version: String,
        reason: String,
        /// What to use instead, as a sentence.
        instead: String,
    },
    #[error(
        "{current} cannot be upgraded straight to Airflow 3 ({target}): {reason} Upgrade to {bridge} first, test and deploy it, then upgrade to Airflow 3."
    )]
    Airflow3TooEarly {
        current: String,
        target: String,
        reason: String,
        /// The version to upgrade to first.
        bridge: String,
    },
    #[error(
        "{version} {state}. Pass --allow-deprecated to upgrade to it anyway, or choose a maintained version{latest} (`skyhop versions` lists them)."
    )]
    Deprecated {
        version: String,
        /// `reached its end of maintenance on 2025-10-31` ...
        state: String,
        /// ` such as 13.11.0`, or empty.
        latest: String,
    },
}

impl UpgradeRefusal {
    /// Stable short name of the refusal (`same-version`, `downgrade`, `yanked`, ...), for JSON
    /// output and exit-code mapping.
    pub fn kind(&self) -> &'static str {
        match self {
            UpgradeRefusal::BadRuntimeVersion(_) | UpgradeRefusal::BadAirflowVersion(_) => {
                "invalid-version"
            }
            UpgradeRefusal::Unknown(_) => "unknown-version",
            UpgradeRefusal::NoRuntimeForAirflow { .. } => "no-runtime-for-airflow",
            UpgradeRefusal::SameVersion { .. } => "same-version",
            UpgradeRefusal::Downgrade { .. } => "downgrade",
            UpgradeRefusal::Yanked { .. } => "yanked",
            UpgradeRefusal::Airflow3TooEarly { .. } => "airflow3-too-early",
            UpgradeRefusal::Deprecated { .. } => "deprecated",
        }
    }

    /// True when nothing is wrong, there is just nothing to do (same version).
    pub fn is_nothing_to_do(&self) -> bool {
        matches!(self, UpgradeRefusal::SameVersion { .. })
    }
}

/// How the Python of the image changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PythonChange {
    /// Default Python before and after (image without `-python-X.Y`), when known.
    pub from_default: Option<String>,
    pub to_default: Option<String>,
    /// Pythons available before but not after, and the reverse.
    pub dropped: Vec<String>,
    pub added: Vec<String>,
}

/// Facts about `current → target` for reports, whether or not the upgrade is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub current: Target,
    pub target: Target,
    pub current_airflow: Option<String>,
    pub target_airflow: Option<String>,
    pub is_same: bool,
    pub is_downgrade: bool,
    /// Lines after the current one up to and including the target's (`11 → 13`: 12, 13); for a
    /// downgrade, the lines left (`13 → 11`: 12, 13). Empty within one line.
    pub majors_crossed: Vec<Line>,
    /// Airflow 2 → 3 (or back).
    pub crosses_airflow_major: bool,
}

/// An allowed upgrade and what to know before doing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradePlan {
    pub comparison: Comparison,
    /// The runtime to write when the target resolves to one (an `--airflow-version` on an Astro
    /// project picks the newest usable runtime that ships it).
    pub target_runtime: Option<RuntimeVersion>,
    /// Image repository of the target runtime's era (it changes when going to Airflow 3).
    pub target_image_repository: Option<&'static str>,
    /// Considerations of every line crossed, current and target lines included, in order.
    pub considerations: Vec<Consideration>,
    /// A heading for each line that has considerations (`Runtime 9 (Airflow 2.7)`).
    pub line_titles: Vec<(Line, String)>,
    pub python: Option<PythonChange>,
    /// Things the user should know about the check itself (unknown current version,
    /// deprecated target allowed, how an Airflow version was resolved, low-confidence data).
    pub notes: Vec<String>,
}

impl UpgradePlan {
    /// The text printed before writing: versions, notes, Python change and considerations.
    pub fn render(&self) -> String {
        let c = &self.comparison;
        let mut out = String::new();
        let with_af = |t: &Target, af: &Option<String>| match (t, af) {
            (Target::Runtime(_), Some(a)) => format!("{t} (Airflow {a})"),
            _ => t.to_string(),
        };
        let shown_target = match self.target_runtime {
            Some(v) if !matches!(c.target, Target::Runtime(_)) => Target::Runtime(v),
            _ => c.target.clone(),
        };
        out.push_str(&format!(
            "Upgrade {} -> {}\n",
            with_af(&c.current, &c.current_airflow),
            with_af(&shown_target, &c.target_airflow)
        ));
        if let Some(repo) = self.target_image_repository {
            out.push_str(&format!("Image repository: {repo}\n"));
        }
        for n in &self.notes {
            out.push_str(&format!("Note: {n}\n"));
        }
        if let Some(p) = &self.python {
            out.push_str("\nPython:\n");
            if p.from_default != p.to_default {
                out.push_str(&format!(
                    "  default Python {} -> {}\n",
                    p.from_default.as_deref().unwrap_or("unknown"),
                    p.to_default.as_deref().unwrap_or("unknown")
                ));
            }
            if !p.dropped.is_empty() {
                out.push_str(&format!(
                    "  no longer available: Python {}\n",
                    p.dropped.join(", ")
                ));
            }
            if !p.added.is_empty() {
                out.push_str(&format!(
                    "  newly available: Python {}\n",
                    p.added.join(", ")
                ));
            }
        }
        if self.considerations.is_empty() {
            out.push_str("\nNo upgrade considerations are recorded for these versions.\n");
        } else {
            out.push_str("\nUpgrade considerations:\n");
            let mut last: Option<Line> = None;
            for k in &self.considerations {
                if last != Some(k.line) {
                    let title = self
                        .line_titles
                        .iter()
                        .find(|(l, _)| *l == k.line)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_else(|| format!("Runtime {}", k.line));
                    out.push_str(&format!("  {title}:\n"));
                    last = Some(k.line);
                }
                out.push_str(&format!("  - {} [{}]: {}\n", k.title, k.kind, k.text));
            }
        }
        out
    }
}

/// One resolved end of an upgrade.
struct End<'a> {
    target: Target,
    runtime: Option<RuntimeVersion>,
    info: Option<&'a RuntimeInfo>,
    airflow: Option<Version>,
    line: Option<Line>,
}

impl End<'_> {
    fn airflow_major(&self) -> Option<u64> {
        match (&self.airflow, self.runtime) {
            (Some(a), _) => a.release().first().copied(),
            (None, Some(r)) => Some(u64::from(r.airflow_major())),
            _ => None,
        }
    }
}

impl Catalog {
    fn end_of(&self, t: &Target) -> End<'_> {
        match t {
            Target::Runtime(v) => {
                let info = self.runtime(v);
                End {
                    target: t.clone(),
                    runtime: Some(*v),
                    info,
                    airflow: info.and_then(RuntimeInfo::airflow_version),
                    line: Some(v.line()),
                }
            }
            Target::Airflow(a) => End {
                target: t.clone(),
                runtime: None,
                info: None,
                airflow: Some(base_version(a)),
                line: self.line_for_airflow(a),
            },
        }
    }

    /// Compares two versions without judging the upgrade (for reports).
    pub fn compare(&self, current: &Target, target: &Target) -> Comparison {
        let cur = self.end_of(current);
        let tgt = self.end_of(target);
        self.comparison(&cur, &tgt)
    }

    fn comparison(&self, cur: &End, tgt: &End) -> Comparison {
        let order = match (cur.runtime, tgt.runtime) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => match (&cur.airflow, &tgt.airflow) {
                (Some(a), Some(b)) => Some(a.cmp(b)),
                _ => None,
            },
        };
        let same_kind = matches!(
            (&cur.target, &tgt.target),
            (Target::Runtime(_), Target::Runtime(_)) | (Target::Airflow(_), Target::Airflow(_))
        );
        let is_same = same_kind && order == Some(std::cmp::Ordering::Equal);
        let is_downgrade = order == Some(std::cmp::Ordering::Greater);
        let majors_crossed = match (cur.line, tgt.line) {
            (Some(a), Some(b)) => {
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                self.lines_between(lo, hi)
                    .into_iter()
                    .filter(|l| *l > lo)
                    .collect()
            }
            _ => Vec::new(),
        };
        let crosses_airflow_major = match (cur.airflow_major(), tgt.airflow_major()) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        Comparison {
            current: cur.target.clone(),
            target: tgt.target.clone(),
            current_airflow: cur.airflow.as_ref().map(ToString::to_string),
            target_airflow: tgt.airflow.as_ref().map(ToString::to_string),
            is_same,
            is_downgrade,
            majors_crossed,
            crosses_airflow_major,
        }
    }

    /// Known lines from `lo` to `hi`, both included (and both present even if unknown).
    fn lines_between(&self, lo: Line, hi: Line) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .lines()
            .into_iter()
            .filter(|l| *l >= lo && *l <= hi)
            .collect();
        lines.extend([lo, hi]);
        lines.sort();
        lines.dedup();
        lines
    }

    /// Validates `current → target` and lists what to know before upgrading.
    pub fn check_upgrade(
        &self,
        current: &Target,
        target: &Target,
        opts: UpgradeOptions,
    ) -> Result<UpgradePlan, UpgradeRefusal> {
        // Versions the catalog does not list but whose line it knows are inferred, never refused.
        let inferred: Vec<RuntimeInfo> = [current, target]
            .into_iter()
            .filter_map(|t| match t {
                Target::Runtime(v) => self.infer_runtime(v),
                Target::Airflow(_) => None,
            })
            .collect();
        if !inferred.is_empty() {
            let mut with = self.clone();
            for info in inferred {
                with.runtimes.insert(info.version, info);
            }
            return with.check_upgrade(current, target, opts);
        }
        let mut notes = Vec::new();
        for t in [current, target] {
            if let Target::Airflow(v) = t
                && v.release().len() != 3
            {
                parse_airflow_version(&v.to_string())?;
            }
        }
        let cur = self.end_of(current);
        if let (Target::Runtime(v), None) = (current, cur.info) {
            notes.push(format!(
                "the current Runtime {v} is not in the catalog ({}); its Airflow and Python are unknown.",
                self.source_text()
            ));
        }

        // Resolve the target.
        let tgt = match target {
            Target::Runtime(v) => {
                if self.runtime(v).is_none() {
                    return Err(self.unknown_runtime(v).into());
                }
                self.end_of(target)
            }
            Target::Airflow(a) => {
                if self.airflow(&a.to_string()).is_none() {
                    return Err(self.unknown_airflow(a).into());
                }
                if matches!(current, Target::Runtime(_)) {
                    let a_str = a.to_string();
                    let Some(r) = self
                        .latest_runtime_for_airflow(&a_str, false, opts.today)
                        .or_else(|| self.latest_runtime_for_airflow(&a_str, true, opts.today))
                        .or_else(|| self.runtimes_for_airflow(&a_str).into_iter().next_back())
                    else {
                        return Err(self.no_runtime_for(a));
                    };
                    notes.push(format!(
                        "Airflow {a} resolves to Runtime {}, the newest usable runtime that ships it.",
                        r.version
                    ));
                    self.end_of(&Target::Runtime(r.version))
                } else {
                    self.end_of(target)
                }
            }
        };

        let comparison = self.comparison(&cur, &tgt);
        let name = |e: &End| match e.runtime {
            Some(r) => format!("Runtime {r}"),
            None => e.target.to_string(),
        };
        let same_runtime = cur.runtime.is_some() && cur.runtime == tgt.runtime;
        if comparison.is_same || same_runtime {
            return Err(UpgradeRefusal::SameVersion {
                version: name(&tgt),
            });
        }
        if comparison.is_downgrade {
            return Err(UpgradeRefusal::Downgrade {
                current: name(&cur),
                target: name(&tgt),
            });
        }
        self.check_yanked(&tgt)?;
        self.check_airflow3(&cur, &tgt, opts)?;
        self.check_maintenance(&tgt, opts, &mut notes)?;

        if let Some(note) = cur.info.and_then(RuntimeInfo::uncertainty_note) {
            notes.push(note);
        }
        if let Some(info) = tgt.info {
            if let Some(note) = info.uncertainty_note() {
                notes.push(note);
            } else if info.confidence == crate::Confidence::ThirdParty {
                notes.push(format!(
                    "Runtime {}'s Airflow version {} is from third-party sources ({}).",
                    info.version, info.airflow, info.source
                ));
            }
        }

        let considerations = self.considerations_for(&cur, &tgt);
        let mut line_titles: Vec<(Line, String)> = considerations
            .iter()
            .map(|k| (k.line, self.line_title(k.line)))
            .collect();
        line_titles.dedup();
        let python = self.python_change(&cur, &tgt);
        Ok(UpgradePlan {
            target_runtime: tgt.runtime,
            target_image_repository: tgt.runtime.map(|r| r.image_repository()),
            comparison: Comparison {
                target: target.clone(),
                ..comparison
            },
            considerations,
            line_titles,
            python,
            notes,
        })
    }

    fn no_runtime_for(&self, a: &Version) -> UpgradeRefusal {
        let minor = a.release().get(..2).map(<[u64]>::to_vec);
        let mut nearby: Vec<String> = Vec::new();
        for r in self.runtimes() {
            let Some(av) = r.airflow_version() else {
                continue;
            };
            if av.release().get(..2).map(<[u64]>::to_vec) == minor {
                let s = format!("Airflow {av} (Runtime {})", r.version);
                if !nearby
                    .iter()
                    .any(|n| n.starts_with(&format!("Airflow {av} ")))
                {
                    nearby.push(s);
                }
            }
        }
        UpgradeRefusal::NoRuntimeForAirflow {
            airflow: a.to_string(),
            nearby: if nearby.is_empty() {
                "none of this Airflow minor".into()
            } else {
                nearby.join(", ")
            },
        }
    }

    fn check_yanked(&self, tgt: &End) -> Result<(), UpgradeRefusal> {
        if let Some(info) = tgt.info
            && info.yanked
        {
            let instead = match self.nearest_good(&info.version) {
                Some(good) => format!(
                    "Use {} instead: --runtime-version {}.",
                    good.version, good.version
                ),
                None => "No good version is known to replace it.".into(),
            };
            return Err(UpgradeRefusal::Yanked {
                version: format!("Runtime {}", info.version),
                reason: info
                    .yanked_reason
                    .clone()
                    .unwrap_or_else(|| "no reason published".into())
                    .trim_end_matches('.')
                    .to_string(),
                instead,
            });
        }
        if tgt.runtime.is_none()
            && let Some(a) = &tgt.airflow
            && let Some(ai) = self.airflow(&a.to_string())
            && ai.yanked
        {
            let next = self
                .airflow_versions()
                .find(|x| x.version > *a && !x.yanked && x.minor() == ai.minor());
            return Err(UpgradeRefusal::Yanked {
                version: format!("Airflow {a}"),
                reason: ai
                    .yanked_reason
                    .clone()
                    .unwrap_or_else(|| "yanked on PyPI".into())
                    .trim_end_matches('.')
                    .to_string(),
                instead: match next {
                    Some(n) => format!(
                        "Use {} instead: --airflow-version {}.",
                        n.version, n.version
                    ),
                    None => "No later release of this minor is known.".into(),
                },
            });
        }
        Ok(())
    }

    fn check_airflow3(
        &self,
        cur: &End,
        tgt: &End,
        opts: UpgradeOptions,
    ) -> Result<(), UpgradeRefusal> {
        if !(cur.airflow_major() == Some(2) && tgt.airflow_major().is_some_and(|m| m >= 3)) {
            return Ok(());
        }
        let target_name = match (tgt.runtime, &tgt.airflow) {
            (Some(r), Some(a)) => format!("Runtime {r}, Airflow {a}"),
            (Some(r), None) => format!("Runtime {r}"),
            (None, Some(a)) => format!("Airflow {a}"),
            (None, None) => tgt.target.to_string(),
        };
        match cur.runtime {
            Some(r) if r < MIN_RUNTIME_FOR_AF3 => {
                let bridge = self
                    .runtimes()
                    .rev()
                    .filter(|x| x.version.airflow_major() == 2)
                    .find(|x| matches!(x.status(opts.today), Status::Current))
                    .or_else(|| {
                        self.runtimes()
                            .rev()
                            .filter(|x| x.version.airflow_major() == 2)
                            .find(|x| !x.yanked)
                    })
                    .map(|x| format!("the latest 12.x/13.x (Runtime {})", x.version))
                    .unwrap_or_else(|| "Runtime 12.0.0 or later".into());
                let af = cur
                    .airflow
                    .as_ref()
                    .map(|a| format!(" (Airflow {a})"))
                    .unwrap_or_default();
                Err(UpgradeRefusal::Airflow3TooEarly {
                    current: format!("Runtime {r}{af}"),
                    target: target_name,
                    reason: format!(
                        "the jump to Airflow 3 is only supported from Runtime {MIN_RUNTIME_FOR_AF3} (Airflow 2.10.0) on; the Astro CLI refuses such deploys too, and Airflow 3's database migrations and rollback paths assume an Airflow 2.10+ database."
                    ),
                    bridge,
                })
            }
            None if cur
                .airflow
                .as_ref()
                .is_some_and(|a| a.release() < &MIN_AIRFLOW_FOR_AF3[..]) =>
            {
                let bridge = self
                    .airflow_versions()
                    .rev()
                    .find(|a| a.major() == 2 && !a.yanked)
                    .map(|a| format!("Airflow {}", a.version))
                    .unwrap_or_else(|| "Airflow 2.7.0 or later".into());
                Err(UpgradeRefusal::Airflow3TooEarly {
                    current: cur.target.to_string(),
                    target: target_name,
                    reason: "Airflow's upgrade guide requires Airflow 2.7 or later before upgrading to Airflow 3.".into(),
                    bridge,
                })
            }
            _ => Ok(()),
        }
    }

    fn check_maintenance(
        &self,
        tgt: &End,
        opts: UpgradeOptions,
        notes: &mut Vec<String>,
    ) -> Result<(), UpgradeRefusal> {
        let state = if let Some(info) = tgt.info {
            let basis = info
                .end_of_maintenance_basis
                .as_ref()
                .map(|_| " (derived from Astronomer's lifecycle policy, not published)")
                .unwrap_or("");
            match info.status(opts.today) {
                Status::EndOfMaintenance { since } => {
                    Some(format!("reached its end of maintenance on {since}{basis}"))
                }
                Status::Deprecated => Some("is deprecated in Astronomer's updates feed".into()),
                Status::Prerelease { channel } => {
                    Some(format!("is a prerelease ({channel} channel)"))
                }
                Status::Current | Status::Yanked { .. } => None,
            }
        } else if let Some(a) = &tgt.airflow {
            let major = a.release().first().copied().unwrap_or(0);
            self.airflow_end_of_life(major)
                .filter(|eol| *eol < opts.today)
                .map(|eol| format!("reached its end of life on {eol} (all of Airflow {major})"))
        } else {
            None
        };
        let Some(state) = state else {
            return Ok(());
        };
        let name = match (tgt.runtime, &tgt.airflow) {
            (Some(r), _) => format!("Runtime {r}"),
            (None, Some(a)) => format!("Airflow {a}"),
            _ => tgt.target.to_string(),
        };
        if opts.allow_deprecated {
            notes.push(format!("{name} {state}; allowed by --allow-deprecated."));
            return Ok(());
        }
        let latest = match tgt.runtime {
            Some(t) => {
                let current = |r: &&RuntimeInfo| matches!(r.status(opts.today), Status::Current);
                self.runtimes()
                    .rev()
                    .filter(current)
                    .find(|r| r.version.airflow_major() == t.airflow_major())
                    .or_else(|| self.runtimes().rev().find(current))
                    .map(|r| format!(" such as {}", r.version))
                    .unwrap_or_default()
            }
            None => self
                .airflow_versions()
                .rev()
                .find(|a| {
                    !a.yanked
                        && self
                            .airflow_end_of_life(a.major())
                            .is_none_or(|e| e >= opts.today)
                })
                .map(|a| format!(" such as {}", a.version))
                .unwrap_or_default(),
        };
        Err(UpgradeRefusal::Deprecated {
            version: name,
            state,
            latest,
        })
    }

    fn considerations_for(&self, cur: &End, tgt: &End) -> Vec<Consideration> {
        let runtime_scope = tgt.runtime.is_some();
        let lo = cur
            .line
            .or_else(|| self.lines().first().copied())
            .unwrap_or(Line::Major(0));
        let hi = tgt.line.unwrap_or(lo);
        let lines = self.lines_between(lo, hi);
        let af2_to_af3 =
            cur.airflow_major() == Some(2) && tgt.airflow_major().is_some_and(|m| m >= 3);
        let target_af3 = tgt.airflow_major().is_some_and(|m| m >= 3);
        let mut out: Vec<Consideration> = self
            .considerations
            .iter()
            .filter(|k| runtime_scope || k.scope == Scope::Airflow)
            .filter(|k| {
                k.relevant_below
                    .is_none_or(|below| cur.runtime.is_none_or(|c| c < below))
            })
            .filter(|k| match k.when {
                When::Crossed => lines.contains(&k.line),
                When::Af2ToAf3 => af2_to_af3,
                When::TargetAf3 => target_af3,
            })
            .cloned()
            .collect();
        out.sort_by_key(|k| k.line);
        out
    }

    fn python_change(&self, cur: &End, tgt: &End) -> Option<PythonChange> {
        let pythons = |e: &End| -> (Option<String>, Vec<String>) {
            match e.info {
                Some(i) => (i.default_python.clone(), i.pythons.clone()),
                None => (
                    None,
                    e.airflow
                        .as_ref()
                        .and_then(|a| self.airflow(&a.to_string()))
                        .map(|a| a.pythons.clone())
                        .unwrap_or_default(),
                ),
            }
        };
        let (fd, fp) = pythons(cur);
        let (td, tp) = pythons(tgt);
        if fp.is_empty() && fd.is_none() {
            return None;
        }
        let mut dropped: Vec<String> = fp.iter().filter(|p| !tp.contains(p)).cloned().collect();
        let mut added: Vec<String> = if tp.is_empty() {
            Vec::new()
        } else {
            tp.iter().filter(|p| !fp.contains(p)).cloned().collect()
        };
        if tp.is_empty() {
            dropped.clear();
        }
        dropped.sort_by_key(|p| python_key(p));
        added.sort_by_key(|p| python_key(p));
        let default_changes = fd.is_some() && td.is_some() && fd != td;
        (default_changes || !dropped.is_empty() || !added.is_empty()).then_some(PythonChange {
            from_default: fd,
            to_default: td,
            dropped,
            added,
        })
    }
}

#[cfg(test)]
mod tests;
