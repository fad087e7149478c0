//! [`compare`]: two locks in, every change with its kind and section out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use skyhop_core::{Lock, Package};

use crate::{ChangeKind, Section, classify, is_provider};

/// One package that differs between the two environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// PEP 503 normalized name.
    pub name: String,
    /// Version in the old environment (`None` when added, or installed from a direct URL
    /// without a known version).
    pub old: Option<String>,
    /// Version in the new environment (`None` when removed, or a direct URL without version).
    pub new: Option<String>,
    /// Direct URL the old package was installed from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_url: Option<String>,
    /// Direct URL the new package is installed from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_url: Option<String>,
    pub kind: ChangeKind,
    pub section: Section,
    /// Where to read what changed (see [`changelog_url`]).
    pub changelog_url: String,
}

impl Change {
    /// The line of `dependency_compare.txt`: `<name> <old> >> <new>` for updates and
    /// `<name>==<version>` (or `<name> @ <url>`) for added and removed packages.
    pub fn line(&self) -> String {
        match self.kind {
            ChangeKind::Added => pinned(&self.name, &self.new, &self.new_url),
            ChangeKind::Removed => pinned(&self.name, &self.old, &self.old_url),
            _ => format!(
                "{} {} >> {}",
                self.name,
                side(&self.old, &self.old_url),
                side(&self.new, &self.new_url)
            ),
        }
    }

    /// Whether this is a provider whose major version went up.
    pub fn is_major_provider_bump(&self) -> bool {
        self.section == Section::ProviderMajor
    }
}

fn side(version: &Option<String>, url: &Option<String>) -> String {
    match (version, url) {
        (Some(v), _) => v.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => "?".to_string(),
    }
}

fn pinned(name: &str, version: &Option<String>, url: &Option<String>) -> String {
    match (version, url) {
        (Some(v), _) => format!("{name}=={v}"),
        (None, Some(u)) => format!("{name} @ {u}"),
        (None, None) => name.to_string(),
    }
}

/// Every change between two environments, sorted by section (output order) then by line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub changes: Vec<Change>,
}

impl Comparison {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Non-empty sections in output order, each with its changes.
    pub fn sections(&self) -> Vec<(Section, Vec<&Change>)> {
        Section::ALL
            .iter()
            .map(|&s| (s, self.changes.iter().filter(|c| c.section == s).collect()))
            .filter(|(_, changes): &(Section, Vec<&Change>)| !changes.is_empty())
            .collect()
    }

    /// Providers whose major version went up (the changes most likely to break DAGs).
    pub fn major_provider_bumps(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| c.is_major_provider_bump())
            .collect()
    }

    /// The change of one package, by any spelling of its name.
    pub fn get(&self, name: &str) -> Option<&Change> {
        let name = skyhop_core::normalize_name(name);
        self.changes.iter().find(|c| c.name == name)
    }

    /// `dependency_compare.txt`: the Astro CLI's format (each non-empty section is its title,
    /// one line per change, then a blank line), plus the two downgrade sections.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (section, changes) in self.sections() {
            out.push_str(section.title());
            out.push('\n');
            for change in changes {
                out.push_str(&change.line());
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }

    /// Pretty JSON: `{"changes": [{name, old, new, kind, section, changelog_url, ...}]}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{\"changes\":[]}".to_string())
    }
}

/// Compares two environments. Names are PEP 503 normalized (by [`Lock`]), versions compared
/// under PEP 440; packages with equal versions (`1.0` and `1.0.0`) and the same direct URL
/// are not changes.
pub fn compare(old: &Lock, new: &Lock) -> Comparison {
    let mut pairs: BTreeMap<String, (Option<&Package>, Option<&Package>)> = BTreeMap::new();
    for p in &old.packages {
        pairs
            .entry(skyhop_core::normalize_name(&p.name))
            .or_default()
            .0 = Some(p);
    }
    for p in &new.packages {
        pairs
            .entry(skyhop_core::normalize_name(&p.name))
            .or_default()
            .1 = Some(p);
    }
    let mut changes: Vec<Change> = pairs
        .into_iter()
        .filter_map(|(name, (o, n))| change(name, o, n))
        .collect();
    changes.sort_by_cached_key(|c| (c.section, c.line()));
    Comparison { changes }
}

fn change(name: String, old: Option<&Package>, new: Option<&Package>) -> Option<Change> {
    let version = |p: Option<&Package>| {
        p.map(|p| p.version.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let url = |p: Option<&Package>| p.and_then(|p| p.url.clone());
    let kind = match (old, new) {
        (None, None) => return None,
        (None, Some(_)) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
        (Some(o), Some(n)) => match (version(old), version(new)) {
            (Some(ov), Some(nv)) => match classify(&ov, &nv) {
                Some(kind) => kind,
                None if o.url != n.url => ChangeKind::Unknown,
                None => return None,
            },
            // A direct URL on either side: the versions cannot be compared.
            _ if o.url == n.url && o.version == n.version => return None,
            _ => ChangeKind::Unknown,
        },
    };
    let (old_version, new_version) = (version(old), version(new));
    let changelog = changelog_url(
        &name,
        new_version
            .as_deref()
            .or(old_version.as_deref())
            .unwrap_or(""),
    );
    Some(Change {
        section: Section::of(&name, kind),
        old: old_version,
        new: new_version,
        old_url: url(old),
        new_url: url(new),
        kind,
        changelog_url: changelog,
        name,
    })
}

/// Where to read what changed in `name` at `version`:
/// - providers: `https://airflow.apache.org/docs/<name>/stable/changelog.html` (it covers
///   every version, so a multi-version jump reads in one page);
/// - `apache-airflow`: the release notes of that version
///   (`https://airflow.apache.org/docs/apache-airflow/<version>/release_notes.html`);
/// - anything else: `https://pypi.org/project/<name>/<version>/`.
///
/// Local version labels (`+astro.1`) are dropped: they are not published upstream.
pub fn changelog_url(name: &str, version: &str) -> String {
    let name = skyhop_core::normalize_name(name);
    let public = version.split('+').next().unwrap_or("").trim();
    if is_provider(&name) {
        format!("https://airflow.apache.org/docs/{name}/stable/changelog.html")
    } else if name == "apache-airflow" {
        if public.is_empty() {
            "https://airflow.apache.org/docs/apache-airflow/stable/release_notes.html".to_string()
        } else {
            format!("https://airflow.apache.org/docs/apache-airflow/{public}/release_notes.html")
        }
    } else if public.is_empty() {
        format!("https://pypi.org/project/{name}/")
    } else {
        format!("https://pypi.org/project/{name}/{public}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(text: &str) -> Lock {
        Lock::from_freeze(text, "freeze").unwrap()
    }

    #[test]
    fn names_are_compared_normalized() {
        let cmp = compare(&lock("Foo_Bar==1.0\n"), &lock("foo.bar==1.0.0\n"));
        assert!(cmp.is_empty(), "{}", cmp.to_text());
    }

    #[test]
    fn providers_and_airflow_get_their_own_sections() {
        let old = lock(
            "apache-airflow==2.10.5\napache-airflow-providers-google==10.26.0\napache-airflow-task-sdk==1.0.0\n",
        );
        let new = lock(
            "apache-airflow==3.1.3\napache-airflow-providers-google==18.0.0\napache-airflow-task-sdk==1.1.3\napache-airflow-providers-standard==1.9.0\n",
        );
        let cmp = compare(&old, &new);
        let section = |n: &str| cmp.get(n).unwrap().section;
        assert_eq!(section("apache-airflow"), Section::AirflowUpdate);
        assert_eq!(cmp.get("apache-airflow").unwrap().kind, ChangeKind::Major);
        assert_eq!(
            section("apache-airflow-providers-google"),
            Section::ProviderMajor
        );
        assert_eq!(
            section("apache-airflow-providers-standard"),
            Section::ProviderAdded
        );
        assert_eq!(section("apache-airflow-task-sdk"), Section::Minor);
        let bumps: Vec<_> = cmp
            .major_provider_bumps()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(bumps, ["apache-airflow-providers-google"]);
    }

    #[test]
    fn airflow_added_or_removed_is_a_package_change() {
        let cmp = compare(&lock("x==1\n"), &lock("x==1\napache-airflow==2.9.1\n"));
        assert_eq!(cmp.changes[0].section, Section::Added);
        assert_eq!(cmp.changes[0].line(), "apache-airflow==2.9.1");
    }

    #[test]
    fn direct_urls() {
        let old = lock("a @ file:///a-1.whl\nb @ file:///b.whl\nc==1.0\n");
        let new = lock("a @ file:///a-2.whl\nb @ file:///b.whl\nd @ https://x/d.whl\n");
        let cmp = compare(&old, &new);
        let lines: Vec<_> = cmp.changes.iter().map(Change::line).collect();
        assert_eq!(
            lines,
            [
                "a file:///a-1.whl >> file:///a-2.whl",
                "d @ https://x/d.whl",
                "c==1.0"
            ]
        );
        assert_eq!(cmp.changes[0].kind, ChangeKind::Unknown);
    }

    #[test]
    fn lines_sort_in_byte_order_within_a_section() {
        let cmp = compare(&lock("b==1\na==1\n"), &lock("b==1.1\na==1.2\n"));
        assert_eq!(cmp.to_text(), "Minor Updates:\na 1 >> 1.2\nb 1 >> 1.1\n\n");
    }

    #[test]
    fn changelog_links() {
        assert_eq!(
            changelog_url("apache_airflow_providers_amazon", "9.0.0"),
            "https://airflow.apache.org/docs/apache-airflow-providers-amazon/stable/changelog.html"
        );
        assert_eq!(
            changelog_url("apache-airflow", "2.9.1+astro.1"),
            "https://airflow.apache.org/docs/apache-airflow/2.9.1/release_notes.html"
        );
        assert_eq!(
            changelog_url("Requests", "2.32.3"),
            "https://pypi.org/project/requests/2.32.3/"
        );
        assert_eq!(changelog_url("x", ""), "https://pypi.org/project/x/");
    }
}
