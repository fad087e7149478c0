//! PEP 440 classification of one version change.

use std::cmp::Ordering;
use std::str::FromStr;

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

/// What kind of change happened to one package between two environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The first release component grew (`1.9.0 >> 2.0.0`).
    Major,
    /// The second release component grew (`3.6.2 >> 3.7.0`).
    Minor,
    /// The third release component grew (`2.9.0 >> 2.9.1`).
    Patch,
    /// An upgrade that is none of the above: post releases, pre/dev releases of the same
    /// release, a fourth release component, local versions, an epoch change, a version that
    /// is not PEP 440, or a direct-URL package whose version cannot be compared.
    Unknown,
    /// The new version is lower than the old one (PEP 440 ordering).
    Downgrade,
    /// Present only in the new environment.
    Added,
    /// Present only in the old environment.
    Removed,
}

impl ChangeKind {
    /// Lower-case name, as in the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Major => "major",
            ChangeKind::Minor => "minor",
            ChangeKind::Patch => "patch",
            ChangeKind::Unknown => "unknown",
            ChangeKind::Downgrade => "downgrade",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// Classifies a change of a package present on both sides, `old` and `new` being version
/// texts as written in `pip freeze` (an empty text means "unknown", e.g. a direct URL).
///
/// Returns `None` when the two versions are equal under PEP 440 (`1.0` and `1.0.0`), which is
/// no change at all.
///
/// Versions are compared as PEP 440 tuples (epoch, release, pre, post, dev, local), so a
/// downgrade is always [`ChangeKind::Downgrade`]. Upgrades are classified by the first of the
/// first three release components that differs (missing components count as 0); anything else
/// is [`ChangeKind::Unknown`].
pub fn classify(old: &str, new: &str) -> Option<ChangeKind> {
    let (Ok(o), Ok(n)) = (Version::from_str(old.trim()), Version::from_str(new.trim())) else {
        return (old.trim() != new.trim()).then_some(ChangeKind::Unknown);
    };
    match n.cmp(&o) {
        Ordering::Equal => None,
        Ordering::Less => Some(ChangeKind::Downgrade),
        Ordering::Greater if o.epoch() != n.epoch() => Some(ChangeKind::Unknown),
        Ordering::Greater => {
            let component = |v: &Version, i: usize| v.release().get(i).copied().unwrap_or(0);
            let kind = [ChangeKind::Major, ChangeKind::Minor, ChangeKind::Patch]
                .into_iter()
                .enumerate()
                .find(|&(i, _)| component(&o, i) != component(&n, i))
                .map_or(ChangeKind::Unknown, |(_, kind)| kind);
            Some(kind)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ChangeKind::*;
    use super::*;

    #[track_caller]
    fn check(old: &str, new: &str, expected: Option<ChangeKind>) {
        assert_eq!(classify(old, new), expected, "{old} >> {new}");
    }

    #[test]
    fn plain_upgrades() {
        check("1.9.0", "2.0.0", Some(Major));
        check("3.6.2", "3.7.0", Some(Minor));
        check("2.9.0", "2.9.1", Some(Patch));
        check("1.0", "1.0.1", Some(Patch));
        check("1", "1.1", Some(Minor));
        check("2024.1.1", "2025.1.0", Some(Major));
    }

    #[test]
    fn downgrades_are_never_upgrades() {
        // The Astro CLI calls these minor, patch and unknown.
        check("3.0.0", "2.5.0", Some(Downgrade));
        check("2.3.0", "2.2.5", Some(Downgrade));
        check("2.0.0", "1.9.0", Some(Downgrade));
        check("1.0.post1", "1.0", Some(Downgrade));
        check("2.0.0", "2.0.0rc1", Some(Downgrade));
        check("2.9.0+astro.2", "2.9.0+astro.1", Some(Downgrade));
        check("1!1.0", "2.0", Some(Downgrade));
    }

    #[test]
    fn post_pre_dev_releases_are_unknown() {
        check("0.6.4", "0.6.4.post1", Some(Unknown));
        check("1.0.post1", "1.0.post2", Some(Unknown));
        check("2.0.0rc1", "2.0.0", Some(Unknown));
        check("2.0.0a1", "2.0.0b1", Some(Unknown));
        check("2.0.0.dev1", "2.0.0", Some(Unknown));
        // ... unless the release itself moves.
        check("1.9.0", "2.0.0rc1", Some(Major));
        check("2.0.0rc1", "2.1.0", Some(Minor));
    }

    #[test]
    fn fourth_component_is_unknown() {
        check("3.6.4.0", "3.6.4.1", Some(Unknown));
        check("3.6.4", "3.6.4.1", Some(Unknown));
        check("3.6.4.9", "3.6.5.0", Some(Patch));
    }

    #[test]
    fn local_versions() {
        check("2.9.0+astro.2", "2.9.1+astro.1", Some(Patch));
        check("2.9.0+astro.1", "2.9.0+astro.2", Some(Unknown));
        check("2.9.0", "2.9.0+astro.1", Some(Unknown));
        check("2.9.1+astro.1", "3.0.0", Some(Major));
    }

    #[test]
    fn epochs() {
        check("1.0", "1!0.5", Some(Unknown));
        check("1!1.0", "1!2.0", Some(Major));
    }

    #[test]
    fn equal_versions_are_no_change() {
        check("1.0", "1.0.0", None);
        check("1.0.0", "1.0.0", None);
        check("1.0.POST1", "1.0.post1", None);
    }

    #[test]
    fn non_pep440_and_empty_versions_are_unknown() {
        check("not-a-version", "1.0", Some(Unknown));
        check("", "1.0", Some(Unknown));
        check("1.0", "", Some(Unknown));
        check("weird", "weird", None);
    }
}
