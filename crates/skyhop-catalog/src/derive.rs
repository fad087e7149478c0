//! Facts derived from other facts when no source states them: Pythons of a runtime from its
//! Airflow release, default Python / maintenance / LTS of a version from the other versions of
//! its line, Pythons of a new Airflow release from its minor.

use pep440_rs::Version;

use crate::airflow::AirflowInfo;
use crate::catalog::{Catalog, RuntimeInfo};
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
    pub(crate) fn derive_pythons(&mut self) {
        let airflow = &self.airflow;
        for info in self.runtimes.values_mut() {
            if !info.pythons.is_empty() {
                continue;
            }
            let early = matches!(info.version.line(), Line::Major(m) if m < 9);
            if early {
                info.pythons = info.default_python.iter().cloned().collect();
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
