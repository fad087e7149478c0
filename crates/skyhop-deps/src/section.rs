//! The sections of `dependency_compare.txt`, in the Astro CLI's order plus two downgrade
//! sections.

use serde::{Deserialize, Serialize};

use crate::ChangeKind;

/// One section of the compare. Titles and order are the Astro CLI's (`airflow/docker.go`
/// `titles`), with "Airflow Providers Downgrades:" and "Downgrades:" added after the patch
/// sections of their group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    AirflowUpdate,
    ProviderUnknown,
    ProviderMajor,
    ProviderMinor,
    ProviderPatch,
    ProviderDowngrades,
    ProviderAdded,
    ProviderRemoved,
    Unknown,
    Major,
    Minor,
    Patch,
    Downgrades,
    Added,
    Removed,
}

impl Section {
    /// Every section, in output order.
    pub const ALL: [Section; 15] = [
        Section::AirflowUpdate,
        Section::ProviderUnknown,
        Section::ProviderMajor,
        Section::ProviderMinor,
        Section::ProviderPatch,
        Section::ProviderDowngrades,
        Section::ProviderAdded,
        Section::ProviderRemoved,
        Section::Unknown,
        Section::Major,
        Section::Minor,
        Section::Patch,
        Section::Downgrades,
        Section::Added,
        Section::Removed,
    ];

    /// The title line, exactly as in `dependency_compare.txt`.
    pub fn title(self) -> &'static str {
        match self {
            Section::AirflowUpdate => "Apache Airflow Update:",
            Section::ProviderUnknown => "Airflow Providers Unknown Updates:",
            Section::ProviderMajor => "Airflow Providers Major Updates:",
            Section::ProviderMinor => "Airflow Providers Minor Updates:",
            Section::ProviderPatch => "Airflow Providers Patch Updates:",
            Section::ProviderDowngrades => "Airflow Providers Downgrades:",
            Section::ProviderAdded => "Added Airflow Providers:",
            Section::ProviderRemoved => "Removed Airflow Providers:",
            Section::Unknown => "Unknown Updates:",
            Section::Major => "Major Updates:",
            Section::Minor => "Minor Updates:",
            Section::Patch => "Patch Updates:",
            Section::Downgrades => "Downgrades:",
            Section::Added => "Added Packages:",
            Section::Removed => "Removed Packages:",
        }
    }

    /// Where a change of `kind` to the package `name` (PEP 503 normalized) goes.
    pub fn of(name: &str, kind: ChangeKind) -> Section {
        if name == "apache-airflow" && !matches!(kind, ChangeKind::Added | ChangeKind::Removed) {
            return Section::AirflowUpdate;
        }
        if is_provider(name) {
            match kind {
                ChangeKind::Unknown => Section::ProviderUnknown,
                ChangeKind::Major => Section::ProviderMajor,
                ChangeKind::Minor => Section::ProviderMinor,
                ChangeKind::Patch => Section::ProviderPatch,
                ChangeKind::Downgrade => Section::ProviderDowngrades,
                ChangeKind::Added => Section::ProviderAdded,
                ChangeKind::Removed => Section::ProviderRemoved,
            }
        } else {
            match kind {
                ChangeKind::Unknown => Section::Unknown,
                ChangeKind::Major => Section::Major,
                ChangeKind::Minor => Section::Minor,
                ChangeKind::Patch => Section::Patch,
                ChangeKind::Downgrade => Section::Downgrades,
                ChangeKind::Added => Section::Added,
                ChangeKind::Removed => Section::Removed,
            }
        }
    }
}

/// Whether a (PEP 503 normalized) name is an Airflow provider distribution.
pub fn is_provider(name: &str) -> bool {
    name.starts_with("apache-airflow-providers-")
}
