//! Small reads from PyPI's JSON simple API (PEP 691/700): release dates and wheel files.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use skyhop_core::normalize_name;

use crate::EnvError;
use crate::cache::{Cache, key, lock_file, write_atomic};

/// The index read here.
pub const PYPI_SIMPLE: &str = "https://pypi.org/simple";

#[derive(Debug, Deserialize)]
struct Project {
    files: Vec<File>,
}

#[derive(Debug, Deserialize)]
struct File {
    filename: String,
    url: String,
    #[serde(rename = "upload-time")]
    upload_time: Option<String>,
}

fn project(name: &str) -> Result<Project, EnvError> {
    let url = format!("{PYPI_SIMPLE}/{}/", normalize_name(name));
    let resp = ureq::get(&url)
        .set("Accept", "application/vnd.pypi.simple.v1+json")
        .call()
        .map_err(|e| EnvError::NotFound(format!("cannot read {url}: {e}")))?;
    resp.into_json()
        .map_err(|e| EnvError::NotFound(format!("cannot read {url}: {e}")))
}

/// Files of `name` at exactly `version` (wheels and sdists).
fn files_of(name: &str, version: &str) -> Result<Vec<File>, EnvError> {
    let prefix = format!("{}-{version}", normalize_name(name).replace('-', "_"));
    let files: Vec<File> = project(name)?
        .files
        .into_iter()
        .filter(|f| {
            let n = f.filename.to_lowercase();
            n.starts_with(&format!("{prefix}-")) || n == format!("{prefix}.tar.gz")
        })
        .collect();
    if files.is_empty() {
        return Err(EnvError::NotFound(format!(
            "{name}=={version} is not on {PYPI_SIMPLE}: check the version"
        )));
    }
    Ok(files)
}

/// The day `name==version` was published on PyPI (`YYYY-MM-DD`, UTC, earliest file), cached.
pub fn release_date(name: &str, version: &str, cache: &Cache) -> Result<String, EnvError> {
    let dir = cache.dir("release-dates")?;
    let path = dir.join(format!("{}.txt", key(&[&normalize_name(name), version])));
    if let Ok(text) = fs::read_to_string(&path) {
        return Ok(text.trim().to_string());
    }
    let date = files_of(name, version)?
        .iter()
        .filter_map(|f| f.upload_time.as_deref())
        .filter_map(|t| t.get(..10))
        .min()
        .map(str::to_string)
        .ok_or_else(|| EnvError::NotFound(format!("no upload time for {name}=={version}")))?;
    write_atomic(&path, date.as_bytes())?;
    Ok(date)
}

/// `YYYY-MM-DD` + 1 day: the `--exclude-newer` cutoff that includes everything of that day.
pub fn day_after(date: &str) -> Option<String> {
    let d: jiff::civil::Date = date.parse().ok()?;
    d.tomorrow().ok().map(|t| t.to_string())
}

/// Downloads the wheel of `name==version` (a pure `py3-none-any` one preferred) into
/// `cache/wheels/`, once; returns its path.
pub fn download_wheel(name: &str, version: &str, cache: &Cache) -> Result<PathBuf, EnvError> {
    let dir = cache.dir("wheels")?;
    let _guard = lock_file(&dir.join(format!("{}-{version}.lock", normalize_name(name))))?;
    let prefix = format!("{}-{version}-", normalize_name(name).replace('-', "_"));
    if let Some(found) = existing(&dir, &prefix) {
        return Ok(found);
    }
    let mut wheels: Vec<File> = files_of(name, version)?
        .into_iter()
        .filter(|f| f.filename.ends_with(".whl"))
        .collect();
    wheels.sort_by_key(|f| !f.filename.ends_with("-py3-none-any.whl"));
    let wheel = wheels.into_iter().next().ok_or_else(|| {
        EnvError::NotFound(format!("{name}=={version} has no wheel on {PYPI_SIMPLE}"))
    })?;
    let mut bytes = Vec::new();
    ureq::get(&wheel.url)
        .call()
        .map_err(|e| EnvError::NotFound(format!("cannot download {}: {e}", wheel.url)))?
        .into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| EnvError::io(format!("cannot download {}", wheel.url), e))?;
    // normalize the file name's case so `existing` finds it next time
    let path = dir.join(wheel.filename.to_lowercase());
    write_atomic(&path, &bytes)?;
    Ok(path)
}

fn existing(dir: &Path, prefix: &str) -> Option<PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".whl"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_after_rolls_over() {
        assert_eq!(day_after("2024-05-06").as_deref(), Some("2024-05-07"));
        assert_eq!(day_after("2024-12-31").as_deref(), Some("2025-01-01"));
        assert_eq!(day_after("nope"), None);
    }
}
