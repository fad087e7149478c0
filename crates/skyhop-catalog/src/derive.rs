//! Facts derived from other facts when no source states them: Pythons of a runtime from its
//! Airflow release, default Python / maintenance / LTS of a version from the other versions of
//! its line, Pythons of a new Airflow release from its minor.

use std::collections::BTreeMap;

use pep440_rs::Version;

use crate::airflow::AirflowInfo;
use crate::catalog::{Catalog, Confidence, RuntimeInfo};
use crate::data::python_key;
use crate::version::{Line, RuntimeVersion};

impl Catalog {
    /// Pythons of the closest known release at or below `v` in the same minor, else of the
    /// newest release below it.
    pub(crate) fn pythons_of_minor(&self, v: &Version) -> Vec<String> {
        let minor = |x: &Version| x.release().get(..2).map(<[u64]>::to_vec);
        let below = self.airflow.range(..v.clone()).rev();
        let mut fallback = None;
        for (k, info) in below {
            if minor(k) == minor(v) {
                return info.pythons.clone();
            }
            fallback.get_or_insert_with(|| info.pythons.clone());
        }
        let above = self.airflow.range(v.clone()..);
        for (k, info) in above {
            if minor(k) == minor(v) {
                return info.pythons.clone();
            }
        }
        fallback.unwrap_or_default()
    }

    /// Gives feed-only entries what their line's other versions know (default Python,
    /// maintenance, LTS) and what their Airflow release says (Pythons); adds Airflow versions
    /// only the feed names.
    pub(crate) fn fill_from_siblings(&mut self) {
        let versions: Vec<RuntimeVersion> = self.runtimes.keys().copied().collect();
        for v in &versions {
            let line = v.line();
            let sibling = |f: &dyn Fn(&RuntimeInfo) -> bool| -> Option<RuntimeInfo> {
                let before = self.runtimes.range(..*v).rev().map(|(_, r)| r);
                let after = self.runtimes.range(*v..).skip(1).map(|(_, r)| r);
                before
                    .take_while(|r| r.version.line() == line)
                    .find(|r| f(r))
                    .or_else(|| {
                        after
                            .take_while(|r| r.version.line() == line)
                            .find(|r| f(r))
                    })
                    .cloned()
            };
            let Some(info) = self.runtimes.get(v) else {
                continue;
            };
            let need_py = info.default_python.is_none();
            let need_eom = info.end_of_maintenance.is_none();
            let need_lts = info.lts.is_none();
            let py = need_py
                .then(|| sibling(&|r| r.default_python.is_some()))
                .flatten();
            let eom = need_eom
                .then(|| sibling(&|r| r.end_of_maintenance.is_some()))
                .flatten();
            let lts = need_lts.then(|| sibling(&|r| r.lts.is_some())).flatten();
            if let Some(info) = self.runtimes.get_mut(v) {
                if let Some(s) = py {
                    info.default_python = s.default_python;
                }
                if let Some(s) = eom {
                    info.end_of_maintenance = s.end_of_maintenance;
                    info.end_of_maintenance_basis = s.end_of_maintenance_basis;
                }
                if let Some(s) = lts {
                    info.lts = s.lts;
                }
            }
        }
        // Airflow versions only the feed names.
        let named: Vec<Version> = self
            .runtimes
            .values()
            .filter_map(RuntimeInfo::airflow_version)
            .collect();
        for a in named {
            if !self.airflow.contains_key(&a) {
                let pythons = self.pythons_of_minor(&a);
                self.airflow.insert(
                    a.clone(),
                    AirflowInfo {
                        version: a,
                        release_date: None,
                        pythons,
                        yanked: false,
                        yanked_reason: None,
                    },
                );
            }
        }
        self.derive_pythons();
        for info in self.runtimes.values_mut() {
            info.pythons.sort_by_key(|p| python_key(p));
            info.pythons.dedup();
        }
    }

    /// Fills `pythons` where no list is published: images before Runtime 9 had one Python (the
    /// default); from Runtime 9 on, `-python-X.Y` images follow the Pythons Airflow is tested
    /// with (Runtime 9.0.0 release notes list exactly Airflow 2.7's 3.8–3.11).
    ///
    /// In an Airflow 3 line (`3.1`), a list the feed publishes for one version is taken for the
    /// line's other versions before Airflow's tested Pythons (the feed lists 3.11–3.12 for the
    /// 3.0 and 3.1 lines, narrower than Airflow's).
    pub(crate) fn derive_pythons(&mut self) {
        let airflow = &self.airflow;
        let published: BTreeMap<Line, Vec<String>> = self
            .runtimes
            .values()
            .filter(|r| matches!(r.version.line(), Line::Airflow3(..)))
            .filter(|r| !r.pythons.is_empty() && !r.pythons_derived)
            .map(|r| (r.version.line(), r.pythons.clone()))
            .collect();
        for info in self.runtimes.values_mut() {
            if !info.pythons.is_empty() && !info.pythons_derived {
                continue;
            }
            let early = matches!(info.version.line(), Line::Major(m) if m < 9);
            if early {
                info.pythons = info.default_python.iter().cloned().collect();
            } else if let Some(pys) = published.get(&info.version.line()) {
                info.pythons = pys.clone();
                info.pythons_derived = true;
            } else if let Some(a) = info.airflow_version().and_then(|v| airflow.get(&v)) {
                info.pythons = a.pythons.clone();
                info.pythons_derived = true;
            }
            if let Some(d) = &info.default_python
                && !info.pythons.contains(d)
            {
                info.pythons.push(d.clone());
                info.pythons.sort_by_key(|p| python_key(p));
            }
        }
    }
}

impl Catalog {
    /// A record for a Runtime version the catalog does not list but whose line it knows
    /// (`13.6.0` between `13.5.0` and `13.8.0`): Airflow from its neighbours in the line, the
    /// nearest one's when they disagree, with every Airflow release between them in
    /// `airflow_possible`; Python, maintenance and LTS from that neighbour. `None` when `v` is
    /// listed or its line is unknown. Confidence is always [`Confidence::Inferred`].
    pub fn infer_runtime(&self, v: &RuntimeVersion) -> Option<RuntimeInfo> {
        if self.runtimes.contains_key(v) {
            return None;
        }
        let line = v.line();
        let below = self
            .runtimes
            .range(..*v)
            .rev()
            .map(|(_, r)| r)
            .take_while(|r| r.version.line() == line)
            .next();
        let above = self
            .runtimes
            .range(*v..)
            .map(|(_, r)| r)
            .take_while(|r| r.version.line() == line)
            .next();
        let nearest = match (below, above) {
            (Some(b), Some(a))
                if position(v) - position(&b.version) <= position(&a.version) - position(v) =>
            {
                b
            }
            (Some(_), Some(a)) => a,
            (Some(b), None) => b,
            (None, Some(a)) => a,
            (None, None) => return None,
        };
        // a neighbour whose own Airflow is uncertain widens the range by its possibilities
        let bound = |r: &RuntimeInfo, last: bool| -> Option<Version> {
            let possible = if last {
                r.airflow_possible.last()
            } else {
                r.airflow_possible.first()
            };
            possible
                .and_then(|p| crate::airflow::parse_airflow_version(p).ok())
                .or_else(|| r.airflow_version())
        };
        let low = below.and_then(|r| bound(r, false));
        let high = above.and_then(|r| bound(r, true));
        let minor = |x: &Version| x.release().get(..2).map(<[u64]>::to_vec);
        let anchor = nearest.airflow_version()?;
        let possible: Vec<String> = self
            .airflow
            .values()
            .filter(|a| {
                !a.yanked || Some(&a.version) == low.as_ref() || Some(&a.version) == high.as_ref()
            })
            .map(|a| &a.version)
            .filter(|a| minor(a) == minor(&anchor))
            .filter(|a| low.as_ref().is_none_or(|l| *a >= l))
            .filter(|a| high.as_ref().is_none_or(|h| *a <= h))
            .map(ToString::to_string)
            .collect();
        let mut info = RuntimeInfo::new(*v, anchor.to_string());
        if possible.len() > 1 {
            info.airflow_possible = possible;
        }
        info.default_python = nearest.default_python.clone();
        info.pythons = nearest.pythons.clone();
        info.pythons_derived = nearest.pythons_derived;
        info.end_of_maintenance = nearest.end_of_maintenance;
        info.end_of_maintenance_basis = nearest.end_of_maintenance_basis.clone();
        info.end_of_basic_support = nearest.end_of_basic_support;
        info.lts = nearest.lts;
        let describe = |r: &RuntimeInfo| format!("{} (Airflow {})", r.version, r.airflow);
        info.source = format!(
            "inferred from its neighbours in the catalog: {}",
            below
                .into_iter()
                .chain(above)
                .map(describe)
                .collect::<Vec<_>>()
                .join(" and ")
        );
        Some(info)
    }
}

/// Where a version sits within its line, for "nearest neighbour" (`13.6.0` → 6000, `3.1-12` → 12).
fn position(v: &RuntimeVersion) -> i64 {
    match *v {
        RuntimeVersion::Semver { minor, patch, .. } => i64::from(minor) * 1000 + i64::from(patch),
        RuntimeVersion::Airflow3 { build, .. } => i64::from(build),
    }
}

impl RuntimeInfo {
    /// What is uncertain about this record, to show with results: an Airflow version that is
    /// one of several possible, or a record inferred from neighbouring versions.
    pub fn uncertainty_note(&self) -> Option<String> {
        if self.confidence != Confidence::Inferred {
            return None;
        }
        let what = if self.source.starts_with("inferred from its neighbours") {
            format!(
                "Runtime {} is not in the catalog: {}",
                self.version, self.source
            )
        } else {
            format!(
                "the catalog's Airflow version for Runtime {} is inferred",
                self.version
            )
        };
        Some(if self.airflow_possible.len() > 1 {
            format!(
                "{what}; it ships one of Airflow {}: tested with {}. Pass --airflow-version, or a pip freeze of the image (--current-freeze / --target-freeze), for exact results",
                self.airflow_possible.join(", "),
                self.airflow
            )
        } else {
            format!(
                "{what}; tested with Airflow {}. Pass a pip freeze of the image (--current-freeze / --target-freeze) for exact results",
                self.airflow
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> RuntimeVersion {
        RuntimeVersion::parse(s).unwrap()
    }

    #[test]
    fn unknown_versions_of_known_lines_are_inferred_from_neighbours() {
        let c = Catalog::embedded();
        // between 13.9.0 and 13.10.0, both Airflow 2.11.2: no doubt about Airflow
        let r = c.infer_runtime(&v("13.9.5")).unwrap();
        assert_eq!(r.airflow, "2.11.2");
        assert!(r.airflow_possible.is_empty());
        assert_eq!(r.confidence, Confidence::Inferred);
        assert_eq!(r.default_python.as_deref(), Some("3.12"));
        assert!(
            r.uncertainty_note()
                .unwrap()
                .contains("13.9.0 (Airflow 2.11.2) and 13.10.0")
        );
        // neighbours disagree: every Airflow between them is possible, the nearest one is tested
        let r = c.infer_runtime(&v("13.5.2")).unwrap();
        assert!(r.airflow_possible.len() > 1, "{r:?}");
        assert!(r.uncertainty_note().unwrap().contains("one of Airflow"));
        // after the last known version of a line
        let r = c.infer_runtime(&v("3.3-40")).unwrap();
        assert!(r.airflow.starts_with("3.3."), "{}", r.airflow);
        // listed versions and unknown lines are not inferred
        assert!(c.infer_runtime(&v("11.3.0")).is_none());
        assert!(c.infer_runtime(&v("3.9-1")).is_none());
        assert!(c.infer_runtime(&v("99.0.0")).is_none());
    }

    #[test]
    fn the_feed_cut_and_verified_rows_are_embedded() {
        let c = Catalog::embedded();
        let r = c.runtime(&v("13.10.0")).unwrap();
        assert_eq!(
            (r.airflow.as_str(), r.confidence),
            ("2.11.2", Confidence::Feed)
        );
        assert!(c.runtime(&v("13.5.0")).unwrap().yanked);
        assert!(c.runtime(&v("3.2-2")).is_some());
        // the feed cut's synthetic decoys are not
        assert!(c.runtime(&v("3.4-1")).is_none());
        assert!(c.runtime(&v("3.5-1")).is_none());
        // verified rows: confirmed (12.7.1) and bounded (13.6.0)
        assert_eq!(c.runtime(&v("12.7.1")).unwrap().airflow, "2.10.5");
        let r = c.runtime(&v("13.6.0")).unwrap();
        assert_eq!(r.airflow_possible, ["2.11.1", "2.11.2"]);
        assert!(r.uncertainty_note().is_some());
        // the 3.1 line's Pythons are the feed's (3.11-3.12), not Airflow's
        assert_eq!(c.runtime(&v("3.1-12")).unwrap().pythons, ["3.11", "3.12"]);
    }
}
