//! The lock cache: `cache/locks/<key>.txt` (the packages) and `<key>.json` (the provenance),
//! keyed by a hash of every input that changes a resolution (uv version, spec, requirements
//! file contents and the files it includes).

use std::fs;
use std::path::{Path, PathBuf};

use skyhop_core::{Lock, Provenance};

use crate::EnvError;
use crate::cache::{key, write_atomic};
use crate::resolve::{EnvSpec, PYTHON_PLATFORM, pin_line};
use crate::uv::UV_VERSION;

/// The cache key of the base layer: every input that changes its result.
pub(crate) fn base_key(spec: &EnvSpec) -> String {
    let pins: Vec<String> = spec.base_pins.iter().map(|(n, v)| pin_line(n, v)).collect();
    let constraints: Vec<String> = spec
        .base_constraints
        .iter()
        .map(|(n, v)| format!("{n}=={v}"))
        .collect();
    let constraints = constraints.join(",");
    let (pins, extra, unavailable) = (
        pins.join(","),
        spec.extra_index_urls.join(","),
        spec.unavailable.join(","),
    );
    let mut parts = vec![
        "skyhop-env base v2: local builds upstream, unresolvable base packages left out",
        UV_VERSION,
        &spec.airflow,
        &spec.python,
        PYTHON_PLATFORM,
        &pins,
        spec.exclude_newer.as_deref().unwrap_or(""),
        spec.index_url.as_deref().unwrap_or(""),
        &extra,
        &unavailable,
    ];
    // only when there are some: the keys of every other base stay as they were
    if !constraints.is_empty() {
        parts.push(&constraints);
    }
    key(&parts)
}

pub(crate) fn read_requirements(path: &Path) -> Result<(PathBuf, String), EnvError> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = fs::read_to_string(&abs)
        .map_err(|e| EnvError::io(format!("cannot read {}", path.display()), e))?;
    Ok((abs, text))
}

/// Whether a requirements file includes others (`-r`, `-c`) or local paths, so that its
/// meaning depends on where it is.
pub(crate) fn refers_to_files(text: &str) -> bool {
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| {
            l.starts_with('-') || l.starts_with('.') || l.starts_with('/') || l.contains("file:")
        })
}

/// The contents of the files a requirements file includes (`-r`, `-c`, recursively), for the
/// cache key: editing an included file must change the key. (Local path packages such as
/// `./libs/mine` are keyed by their path only.)
pub(crate) fn included_texts(path: &Path, text: &str, depth: usize) -> String {
    let mut out = String::new();
    if depth > 5 {
        return out;
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    for line in text.lines().map(str::trim) {
        let target = ["-r", "--requirement", "-c", "--constraint"]
            .iter()
            .find_map(|flag| line.strip_prefix(flag))
            .map(|rest| rest.trim_start_matches('=').trim())
            .filter(|rest| !rest.is_empty());
        if let Some(target) = target {
            let included = dir.join(target);
            let body = fs::read_to_string(&included).unwrap_or_default();
            out.push_str(&included.to_string_lossy());
            out.push('\n');
            out.push_str(&body);
            out.push_str(&included_texts(&included, &body, depth + 1));
        }
    }
    out
}

pub(crate) fn read_cached(locks: &Path, key: &str) -> Option<Lock> {
    let path = locks.join(format!("{key}.txt"));
    let text = fs::read_to_string(&path).ok()?;
    crate::usage::touch(&path); // last use, for `skyhop cache prune`
    let prov = fs::read_to_string(locks.join(format!("{key}.json"))).ok()?;
    let provenance: Provenance = serde_json::from_str(&prov).ok()?;
    let mut lock = Lock::from_freeze(&text, "uv").ok()?;
    lock.provenance = provenance;
    Some(lock)
}

/// Writes the provenance first and the package list last: the `.txt` appearing means the entry
/// is complete.
pub(crate) fn write_cached(locks: &Path, key: &str, lock: &Lock) -> Result<(), EnvError> {
    let prov = serde_json::to_string_pretty(&lock.provenance).unwrap_or_default();
    write_atomic(&locks.join(format!("{key}.json")), prov.as_bytes())?;
    write_atomic(
        &locks.join(format!("{key}.txt")),
        lock.to_freeze().as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_referring_to_files() {
        assert!(!refers_to_files(
            "# c\nrequests==2.32.3\nfoo @ https://x/y.whl\n"
        ));
        assert!(refers_to_files("-r base.txt\n"));
        assert!(refers_to_files("./libs/mine\n"));
        assert!(refers_to_files("mine @ file:///x\n"));
    }

    #[test]
    fn included_files_are_part_of_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("requirements.txt");
        fs::write(dir.path().join("base.txt"), "six==1.16.0\n").unwrap();
        let text = "-r base.txt\nrequests\n";
        let before = included_texts(&main, text, 0);
        assert!(before.ends_with("base.txt\nsix==1.16.0\n"), "{before}");
        fs::write(dir.path().join("base.txt"), "six==1.17.0\n").unwrap();
        assert_ne!(included_texts(&main, text, 0), before);
    }

    #[test]
    fn base_key_depends_on_inputs() {
        let a = EnvSpec {
            airflow: "2.9.1".into(),
            python: "3.11".into(),
            ..EnvSpec::default()
        };
        let mut b = a.clone();
        assert_eq!(base_key(&a), base_key(&b));
        b.exclude_newer = Some("2024-05-07".into());
        assert_ne!(base_key(&a), base_key(&b));
        let mut c = a.clone();
        c.base_pins.insert("x".into(), "1".into());
        assert_ne!(base_key(&a), base_key(&c));
        let mut d = a.clone();
        d.base_constraints.insert("x".into(), "1".into());
        assert_ne!(base_key(&a), base_key(&d));
    }
}
