//! Which versions of a package have a wheel for a Python on Linux x86-64, read from PyPI's JSON
//! simple API (one request per project, cached for a day) and the wheels' filename tags.
//!
//! The image installs wheels; a requirement whose version has none for the image's Python is
//! compiled from source by `pip` (when the image has a compiler at all), slowly, and often
//! fails. skyhop treats it as a finding of its own and tests with the nearest version that has
//! a wheel.

use std::fs;
use std::time::{Duration, SystemTime};

use pep440_rs::Version;
use serde::{Deserialize, Serialize};
use skyhop_core::normalize_name;

use crate::EnvError;
use crate::cache::{Cache, write_atomic};
use crate::pypi::PYPI_SIMPLE;

/// The glibc of the Debian release Runtime images are built on (bookworm: 2.36).
const GLIBC: (u32, u32) = (2, 36);
/// How long a project's file list is reused.
const FRESH: Duration = Duration::from_secs(24 * 3600);

/// The wheel situation of one package for one Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelSupport {
    /// Versions with a wheel that installs on the Python, oldest first.
    pub with_wheel: Vec<Version>,
    /// Whether any file of any version is a wheel at all (pure sdist projects have none).
    pub any_wheel: bool,
    /// Versions with a platform-specific wheel for some Python or platform: compiled code,
    /// whose sdist needs a compiler. A version without one (sdist only, or a pure wheel for
    /// another Python) is pure Python, which pip builds from its sdist in seconds.
    pub compiled: Vec<Version>,
}

impl WheelSupport {
    /// Whether `version` is compiled code without a wheel that installs here: pip would have
    /// to compile it.
    pub fn needs_compiler(&self, version: &str) -> bool {
        version
            .parse::<Version>()
            .is_ok_and(|v| self.compiled.contains(&v) && !self.with_wheel.contains(&v))
    }

    /// Whether `version` has a wheel that installs.
    pub fn has(&self, version: &str) -> bool {
        version
            .parse::<Version>()
            .is_ok_and(|v| self.with_wheel.contains(&v))
    }

    /// Stable versions with a wheel, nearest to `version` first: the newer ones upwards, then
    /// the older ones downwards (a newer release is what usually fixes a missing wheel).
    pub fn candidates(&self, version: &str) -> Vec<&Version> {
        let Ok(v) = version.parse::<Version>() else {
            return Vec::new();
        };
        let stable = |x: &&Version| !x.any_prerelease();
        let newer = self.with_wheel.iter().filter(stable).filter(|x| **x > v);
        let older = self
            .with_wheel
            .iter()
            .filter(stable)
            .rev()
            .filter(|x| **x < v);
        newer.chain(older).collect()
    }

    /// The version with a wheel nearest to `version`: the lowest newer one, else the newest
    /// older one (a newer release is what fixes a missing wheel).
    pub fn nearest(&self, version: &str) -> Option<&Version> {
        let v: Version = version.parse().ok()?;
        let stable = |x: &&Version| !x.any_prerelease();
        self.with_wheel
            .iter()
            .filter(stable)
            .find(|x| **x > v)
            .or_else(|| {
                self.with_wheel
                    .iter()
                    .filter(stable)
                    .rev()
                    .find(|x| **x < v)
            })
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    files: Vec<String>,
}

#[derive(Deserialize)]
struct Project {
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    filename: String,
    #[serde(default)]
    yanked: serde_json::Value,
}

/// The filenames of every (non-yanked) file of `name` on PyPI, cached for a day.
fn filenames(name: &str, cache: &Cache) -> Result<Vec<String>, EnvError> {
    let name = normalize_name(name);
    let path = cache.dir("pypi-files")?.join(format!("{name}.json"));
    let fresh = fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age < FRESH);
    if fresh
        && let Some(c) = fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Cached>(&t).ok())
    {
        return Ok(c.files);
    }
    let url = format!("{PYPI_SIMPLE}/{name}/");
    let project: Project = ureq::get(&url)
        .set("Accept", "application/vnd.pypi.simple.v1+json")
        .timeout(Duration::from_secs(30))
        .call()
        .map_err(|e| EnvError::NotFound(format!("cannot read {url}: {e}")))?
        .into_json()
        .map_err(|e| EnvError::NotFound(format!("cannot read {url}: {e}")))?;
    let files: Vec<String> = project
        .files
        .into_iter()
        .filter(|f| {
            matches!(
                f.yanked,
                serde_json::Value::Null | serde_json::Value::Bool(false)
            )
        })
        .map(|f| f.filename)
        .collect();
    let text = serde_json::to_string(&Cached {
        files: files.clone(),
    })
    .unwrap_or_default();
    write_atomic(&path, text.as_bytes())?;
    Ok(files)
}

/// The stable, not yanked versions of `name` on the package index (its wheels and sdists),
/// newest first. Read from PyPI's JSON simple API, cached for a day.
pub fn available_versions(name: &str, cache: &Cache) -> Result<Vec<Version>, EnvError> {
    let files = filenames(name, cache)?;
    let norm = normalize_name(name);
    let mut out: Vec<Version> = files
        .iter()
        .filter_map(|f| {
            let stem = f
                .strip_suffix(".whl")
                .or_else(|| f.strip_suffix(".tar.gz"))
                .or_else(|| f.strip_suffix(".zip"))?;
            // `name-version-...` (wheels) or `name-version` (sdists; the name may hold `-`)
            let version = if f.ends_with(".whl") {
                stem.split('-').nth(1)?
            } else {
                let (n, v) = stem.rsplit_once('-')?;
                (normalize_name(n) == norm).then_some(v)?
            };
            version.parse::<Version>().ok()
        })
        .filter(|v| !v.any_prerelease())
        .collect();
    out.sort();
    out.dedup();
    out.reverse();
    Ok(out)
}

/// The wheel support of `name` for CPython `python` (`3.12`) on Linux x86-64.
pub fn wheel_support(name: &str, python: &str, cache: &Cache) -> Result<WheelSupport, EnvError> {
    let files = filenames(name, cache)?;
    Ok(support_from(&files, python))
}

/// The wheel support of `name` for every Python of `pythons` at once: a version counts as
/// having a wheel only when it has one for each (the image's Python, and the one skyhop tests
/// with when the image's cannot be had here).
pub fn wheel_support_all(
    name: &str,
    pythons: &[&str],
    cache: &Cache,
) -> Result<WheelSupport, EnvError> {
    let files = filenames(name, cache)?;
    Ok(support_from_all(&files, pythons))
}

fn support_from_all(files: &[String], pythons: &[&str]) -> WheelSupport {
    let mut all = pythons.iter().map(|p| support_from(files, p));
    let Some(mut out) = all.next() else {
        return support_from(files, "3");
    };
    for s in all {
        out.with_wheel.retain(|v| s.with_wheel.contains(v));
    }
    out
}

fn support_from(files: &[String], python: &str) -> WheelSupport {
    let py = python_tuple(python);
    let mut with_wheel: Vec<Version> = Vec::new();
    let mut compiled: Vec<Version> = Vec::new();
    let mut any_wheel = false;
    for f in files {
        let Some(stem) = f.strip_suffix(".whl") else {
            continue;
        };
        any_wheel = true;
        let parts: Vec<&str> = stem.split('-').collect();
        if parts.len() < 5 {
            continue;
        }
        let n = parts.len();
        let (pytags, abis, plats) = (parts[n - 3], parts[n - 2], parts[n - 1]);
        if (abis != "none" || plats != "any")
            && let Ok(v) = parts[1].parse::<Version>()
            && !compiled.contains(&v)
        {
            compiled.push(v);
        }
        if !installs(pytags, abis, plats, py) {
            continue;
        }
        if let Ok(v) = parts[1].parse::<Version>()
            && !with_wheel.contains(&v)
        {
            with_wheel.push(v);
        }
    }
    with_wheel.sort();
    compiled.sort();
    WheelSupport {
        with_wheel,
        any_wheel,
        compiled,
    }
}

fn python_tuple(python: &str) -> (u32, u32) {
    let mut it = python.split('.').map(|p| p.parse().unwrap_or(0));
    (it.next().unwrap_or(3), it.next().unwrap_or(0))
}

/// Whether a wheel with these (compressed) tags installs on CPython `py` on manylinux x86-64.
fn installs(pytags: &str, abis: &str, plats: &str, py: (u32, u32)) -> bool {
    let plat_ok = plats.split('.').any(platform_ok);
    if !plat_ok {
        return false;
    }
    let cp = format!("cp{}{}", py.0, py.1);
    pytags.split('.').any(|t| {
        abis.split('.').any(|abi| match abi {
            "none" => {
                t == "py3"
                    || t == format!("py{}{}", py.0, py.1)
                    || t == cp
                    || (t.starts_with("py3") && tag_minor(t, "py3").is_some_and(|m| m <= py.1))
            }
            "abi3" => tag_minor(t, "cp3").is_some_and(|m| m <= py.1),
            a => a == cp && t == cp,
        })
    })
}

/// `cp38` with prefix `cp3` → 8.
fn tag_minor(tag: &str, prefix: &str) -> Option<u32> {
    tag.strip_prefix(prefix)?.parse().ok()
}

fn platform_ok(p: &str) -> bool {
    if p == "any" || p == "linux_x86_64" {
        return true;
    }
    if let Some(rest) = p.strip_prefix("manylinux") {
        let Some(rest) = rest.strip_suffix("_x86_64") else {
            return false;
        };
        return match rest {
            "1" | "2010" | "2014" => true,
            _ => {
                let mut it = rest.trim_start_matches('_').split('_');
                let major: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(99);
                let minor: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(99);
                (major, minor) <= GLIBC
            }
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pin moved for a Python the image does not have must have a wheel for the image's too:
    /// pyodbc 5.2.0 has one for 3.13 but not for 3.14 (Runtime 3.3's Python).
    #[test]
    fn nearest_with_a_wheel_for_the_image_python_too() {
        let files: Vec<String> = [
            "pyodbc-5.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "pyodbc-5.1.0.tar.gz",
            "pyodbc-5.2.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "pyodbc-5.3.0-cp313-cp313-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
            "pyodbc-5.3.0-cp314-cp314-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
        ]
        .map(String::from)
        .to_vec();
        let tested_only = support_from(&files, "3.13");
        assert_eq!(
            tested_only.nearest("5.1.0").map(ToString::to_string),
            Some("5.2.0".into())
        );
        let both = support_from_all(&files, &["3.14", "3.13"]);
        assert!(both.needs_compiler("5.1.0"));
        assert!(both.needs_compiler("5.2.0"));
        assert_eq!(
            both.nearest("5.1.0").map(ToString::to_string),
            Some("5.3.0".into())
        );
    }

    #[test]
    fn wheel_tags() {
        let files: Vec<String> = [
            "pandas-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "pandas-2.1.0-cp311-cp311-macosx_11_0_arm64.whl",
            "pandas-2.1.0.tar.gz",
            "pandas-2.1.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "pandas-2.2.0-cp312-cp312-musllinux_1_1_x86_64.whl",
            "pandas-2.3.0-cp312-cp312-manylinux_2_39_x86_64.whl",
            "cryptography-41.0.0-cp37-abi3-manylinux_2_28_x86_64.whl",
            "six-1.16.0-py2.py3-none-any.whl",
        ]
        .map(String::from)
        .to_vec();
        let s = support_from(&files, "3.12");
        assert!(s.any_wheel);
        assert!(!s.has("2.1.0"), "cp311 only");
        assert!(s.has("2.1.1"));
        assert!(!s.has("2.2.0"), "musllinux");
        assert!(!s.has("2.3.0"), "glibc newer than the image's");
        assert!(s.has("41.0.0"), "abi3 from cp37");
        assert!(s.has("1.16.0"), "pure wheel");
        assert_eq!(s.nearest("2.1.0").unwrap().to_string(), "2.1.1");
        assert!(s.needs_compiler("2.1.0"));
        assert!(!s.needs_compiler("2.1.1"), "has a wheel");
        assert!(!s.needs_compiler("1.16.0"), "pure Python");
        let pure = support_from(&["halo-0.0.31-py2-none-any.whl".to_string()], "3.12");
        assert!(
            !pure.needs_compiler("0.0.31"),
            "a pure wheel for another Python"
        );
        let s311 = support_from(&files, "3.11");
        assert!(s311.has("2.1.0"));
        let sdist_only = support_from(&["bs4-0.0.1.tar.gz".to_string()], "3.12");
        assert!(!sdist_only.any_wheel && sdist_only.with_wheel.is_empty());
    }
}
