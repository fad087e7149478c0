//! Run-wide settings every crate may consult: where packages come from, whether the network
//! may be used, which Python to test with, how much detail errors show. Set once by the CLI
//! from its global flags ([`set`]); otherwise read from the environment (`SKYHOP_NO_NETWORK`,
//! `SKYHOP_VERBOSE`, `SKYHOP_PYTHON`, `SKYHOP_INDEX_URL`, `SKYHOP_EXTRA_INDEX_URL`).
//! (`SKYHOP_OFFLINE`, older, only keeps skyhop's own requests off the network: the Astro feed
//! and PyPI's JSON API; package resolution still uses the index.)

use std::sync::OnceLock;

/// The settings of this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `--offline`: only what is cached; no package index, no feed, no interpreter downloads.
    pub offline: bool,
    /// `--verbose`: internal commands and full tool output in errors.
    pub verbose: bool,
    /// `--python X.Y`: test with this Python whatever the image has.
    pub python: Option<String>,
    /// `--index-url URL`: the package index instead of PyPI.
    pub index_url: Option<String>,
    /// `--extra-index-url URL`, repeated: more package indexes.
    pub extra_index_urls: Vec<String>,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// The settings the environment gives.
    pub fn from_env() -> Settings {
        Settings {
            offline: flag("SKYHOP_NO_NETWORK"),
            verbose: flag("SKYHOP_VERBOSE"),
            python: value("SKYHOP_PYTHON"),
            index_url: value("SKYHOP_INDEX_URL"),
            extra_index_urls: value("SKYHOP_EXTRA_INDEX_URL")
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
        }
    }
}

/// Sets this run's settings (once, before any work; later calls are ignored).
pub fn set(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

/// This run's settings: those [`set`], else the environment's.
pub fn get() -> &'static Settings {
    SETTINGS.get_or_init(Settings::from_env)
}
