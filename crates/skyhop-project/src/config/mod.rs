//! Airflow configuration the project sets, wherever it sets it: the Dockerfile's `ENV` (final
//! image) and `ARG` defaults, `.env`, an `airflow.cfg` (the project root or `config/`, where the
//! official docker-compose mounts it), the `environment:` blocks of `docker-compose*.yaml` /
//! `compose*.yaml`, and a Helm values file's `config:` and `env:` (the official chart's layout).
//! `_CMD` and `_SECRET` variants are settings of their option, suffix kept in the key.
//!
//! Every setting keeps the file, line and column of its name, and [`edit_config`] renames or
//! removes it in a file's text byte-exactly (every other byte kept): in place for environment
//! variables and for an option renamed within its section, moved to the new section for
//! `airflow.cfg` and Helm `config:` (the section made when missing).

mod cfg;
mod envs;
pub(crate) mod yaml;

use std::ops::Range;
use std::path::Path;

use crate::text::{line_of, read_text};

/// Where a setting is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigSource {
    /// `ENV AIRFLOW__CORE__X=1` in the Dockerfile (the final image).
    DockerfileEnv,
    /// `ARG AIRFLOW__CORE__X=1`: a build-time default (`RUN` steps see it).
    DockerfileArg,
    /// `AIRFLOW__CORE__X=1` in `.env`.
    DotEnv,
    /// `x = 1` under `[core]` of an `airflow.cfg`.
    AirflowCfg,
    /// An `environment:` entry of a docker-compose file (map or list form).
    Compose,
    /// `config: {core: {x: 1}}` of a Helm values file.
    HelmConfig,
    /// `env: [{name: AIRFLOW__CORE__X, value: "1"}]` of a Helm values file.
    HelmEnv,
}

impl ConfigSource {
    /// Whether the setting's name is an environment variable (`AIRFLOW__SECTION__KEY`).
    pub fn is_env(self) -> bool {
        !matches!(self, ConfigSource::AirflowCfg | ConfigSource::HelmConfig)
    }

    /// How `[section] key` is written in this source: `AIRFLOW__API__PORT`, `[api] port`
    /// (airflow.cfg), `config.api.port` (Helm values).
    pub fn spelling(self, section: &str, key: &str) -> String {
        match self {
            ConfigSource::AirflowCfg => format!("[{section}] {key}"),
            ConfigSource::HelmConfig => format!("config.{section}.{key}"),
            _ => env_name(section, key),
        }
    }

    /// `[section] key` from a [`ConfigSource::spelling`] of this source.
    pub fn parse_spelling(self, text: &str) -> Option<(String, String)> {
        let (section, key) = match self {
            ConfigSource::AirflowCfg => {
                let (s, k) = text.strip_prefix('[')?.split_once(']')?;
                (s.trim().to_string(), k.trim().to_string())
            }
            ConfigSource::HelmConfig => {
                let (s, k) = text.strip_prefix("config.")?.split_once('.')?;
                (s.to_string(), k.to_string())
            }
            _ => crate::text::airflow_key(text)?,
        };
        (!section.is_empty() && !key.is_empty())
            .then(|| (section.to_ascii_lowercase(), key.to_ascii_lowercase()))
    }
}

/// `AIRFLOW__SECTION__KEY` for `[section] key`.
pub fn env_name(section: &str, key: &str) -> String {
    format!(
        "AIRFLOW__{}__{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// An Airflow configuration option the project sets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigSetting {
    /// Section, lower-cased (`core`).
    pub section: String,
    /// Key, lower-cased (`dag_concurrency`); `_CMD` / `_SECRET` variants keep their suffix
    /// (`sql_alchemy_conn_cmd`).
    pub key: String,
    /// The name as written: the variable (`AIRFLOW__CORE__DAG_CONCURRENCY`) or, in
    /// `airflow.cfg` and Helm `config:`, the option (`dag_concurrency`).
    pub name: String,
    /// The value (`None`: a bare `KEY` line in .env, taken from the host, or a value that is
    /// not a plain string, e.g. a YAML mapping).
    pub value: Option<String>,
    /// Path relative to the project root (`Dockerfile`, `.env`, `config/airflow.cfg`…).
    pub file: String,
    /// 1-based line of the name.
    pub line: usize,
    /// 1-based column (in characters) of the name.
    pub column: usize,
    pub source: ConfigSource,
}

/// A file that sets configuration but could not be read; its settings are not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Path relative to the project root.
    pub file: String,
    /// 1-based line; 0 when it concerns the whole file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            l => write!(f, "{}:{l}: {}", self.file, self.message),
        }
    }
}

/// What to do with a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigEdit {
    /// Set the same value under `[section] key` instead (key with its `_cmd` / `_secret`
    /// suffix when the setting has one).
    Rename { section: String, key: String },
    /// Take the setting out.
    Remove,
}

/// One setting as found in a file's text, with the bytes an edit touches.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub setting: ConfigSetting,
    /// Bytes of the name as written.
    pub name: Range<usize>,
    /// Bytes to cut to remove the setting (whole lines where it has lines of its own), when
    /// it can be removed alone.
    pub whole: Option<Range<usize>>,
}

/// Every configuration setting of the project in `root`, and the files that could not be read.
/// `dockerfile` and `.env` are read only when present.
pub(crate) fn read_project(root: &Path) -> (Vec<ConfigSetting>, Vec<ConfigProblem>) {
    let mut settings = Vec::new();
    let mut problems = Vec::new();
    for (rel, kind) in config_files(root) {
        let path = root.join(&rel);
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(ConfigProblem {
                    file: rel.clone(),
                    line: e.line(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        match entries(kind, &text, &rel) {
            Ok(found) => settings.extend(found.into_iter().map(|e| e.setting)),
            Err(p) => problems.push(p),
        }
    }
    (settings, problems)
}

/// The kinds of files that set configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Dockerfile,
    DotEnv,
    AirflowCfg,
    Compose,
    HelmValues,
}

fn kind_of(source: ConfigSource) -> FileKind {
    match source {
        ConfigSource::DockerfileEnv | ConfigSource::DockerfileArg => FileKind::Dockerfile,
        ConfigSource::DotEnv => FileKind::DotEnv,
        ConfigSource::AirflowCfg => FileKind::AirflowCfg,
        ConfigSource::Compose => FileKind::Compose,
        ConfigSource::HelmConfig | ConfigSource::HelmEnv => FileKind::HelmValues,
    }
}

pub(crate) fn entries(kind: FileKind, text: &str, file: &str) -> Result<Vec<Entry>, ConfigProblem> {
    match kind {
        FileKind::Dockerfile => envs::dockerfile(text, file),
        FileKind::DotEnv => envs::dotenv(text, file),
        FileKind::AirflowCfg => cfg::entries(text, file),
        FileKind::Compose => yaml::compose(text, file),
        FileKind::HelmValues => yaml::helm(text, file),
    }
}

/// Directories never searched for Helm values files.
const SKIP_DIRS: &[&str] = &[
    "dags",
    "node_modules",
    "venv",
    "__pycache__",
    "site-packages",
];

/// Files of the project that may set configuration, relative to `root`, in a stable order:
/// Dockerfile, .env, airflow.cfg files, compose files, Helm values files.
fn config_files(root: &Path) -> Vec<(String, FileKind)> {
    let mut out = Vec::new();
    let is_file = |rel: &str| root.join(rel).is_file();
    for (rel, kind) in [
        ("Dockerfile", FileKind::Dockerfile),
        (".env", FileKind::DotEnv),
        ("airflow.cfg", FileKind::AirflowCfg),
        ("config/airflow.cfg", FileKind::AirflowCfg),
    ] {
        if is_file(rel) {
            out.push((rel.to_string(), kind));
        }
    }
    let mut compose: Vec<String> = list_dir(root)
        .into_iter()
        .filter(|n| is_compose_name(n) && is_file(n))
        .collect();
    compose.sort();
    out.extend(compose.into_iter().map(|n| (n, FileKind::Compose)));
    let mut values = Vec::new();
    find_values(root, "", 0, &mut values);
    values.sort();
    out.extend(values.into_iter().map(|n| (n, FileKind::HelmValues)));
    out
}

pub(crate) fn list_dir(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// `docker-compose.yaml`, `docker-compose.override.yml`, `compose.yaml`, `compose.prod.yml`…
pub(crate) fn is_compose_name(name: &str) -> bool {
    is_yaml(name) && (name.starts_with("docker-compose") || name.starts_with("compose."))
}

/// `values.yaml`, `values-prod.yaml`, `prod-values.yml`, `prod.values.yaml`…
fn is_values_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
    else {
        return false;
    };
    stem == "values"
        || stem.starts_with("values-")
        || stem.starts_with("values.")
        || stem.ends_with("-values")
        || stem.ends_with(".values")
        || stem.ends_with("_values")
}

pub(crate) fn find_values(dir: &Path, rel: &str, depth: usize, out: &mut Vec<String>) {
    for name in list_dir(&dir.join(rel)) {
        let child = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = dir.join(&child);
        if path.is_dir() {
            if depth < 3 && !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()) {
                find_values(dir, &child, depth + 1, out);
            }
        } else if is_values_name(&name) && path.is_file() {
            out.push(child);
        }
    }
}

/// The text of the file holding `setting` after `edit`, every other byte kept; `None` when the
/// setting is not found in `text` as it was read, or when the edit cannot be made there
/// byte-exactly (a flow-style YAML mapping, the new option already set in the same file, an
/// `ARG` removed that other instructions use...).
pub fn edit_config(text: &str, setting: &ConfigSetting, edit: &ConfigEdit) -> Option<String> {
    let kind = kind_of(setting.source);
    let found = entries(kind, text, &setting.file).ok()?;
    let entry = find(&found, setting)?;
    match edit {
        ConfigEdit::Remove => match kind {
            FileKind::Dockerfile => envs::remove_dockerfile(text, entry),
            _ => cut(text, entry.whole.clone()?),
        },
        ConfigEdit::Rename { section, key } => {
            let already = found.iter().any(|e| {
                e.setting.source == setting.source
                    && e.setting.section == *section
                    && e.setting.key == *key
            });
            if already {
                return None;
            }
            match setting.source {
                ConfigSource::AirflowCfg if *section != setting.section => {
                    cfg::move_option(text, entry, section, key)
                }
                ConfigSource::HelmConfig if *section != setting.section => {
                    yaml::move_option(text, entry, section, key)
                }
                ConfigSource::AirflowCfg | ConfigSource::HelmConfig => {
                    Some(splice(text, entry.name.clone(), key))
                }
                ConfigSource::DockerfileArg => {
                    envs::rename_arg(text, entry, &env_name(section, key))
                }
                _ => Some(splice(text, entry.name.clone(), &env_name(section, key))),
            }
        }
    }
}

/// The entry that is `setting`: same source and name, nearest line.
fn find<'a>(entries: &'a [Entry], setting: &ConfigSetting) -> Option<&'a Entry> {
    entries
        .iter()
        .filter(|e| e.setting.source == setting.source && e.setting.name == setting.name)
        .min_by_key(|e| e.setting.line.abs_diff(setting.line))
}

/// `text` with `range` replaced by `with`.
pub(crate) fn splice(text: &str, range: Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..range.start]);
    out.push_str(with);
    out.push_str(&text[range.end..]);
    out
}

fn cut(text: &str, range: Range<usize>) -> Option<String> {
    (range.end <= text.len()).then(|| splice(text, range, ""))
}

/// Start of the line holding `offset`.
pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// End of the line holding `offset`, after its line ending (or the end of the text).
pub(crate) fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// A [`ConfigSetting`] whose name sits at `name` in `text`.
pub(crate) fn setting_at(
    text: &str,
    file: &str,
    source: ConfigSource,
    name: Range<usize>,
    section: String,
    key: String,
    value: Option<String>,
) -> ConfigSetting {
    let start = line_start(text, name.start);
    ConfigSetting {
        section,
        key,
        name: text[name.clone()].to_string(),
        value,
        file: file.to_string(),
        line: line_of(text, name.start),
        column: text[start..name.start].chars().count() + 1,
        source,
    }
}

#[cfg(test)]
mod tests;
