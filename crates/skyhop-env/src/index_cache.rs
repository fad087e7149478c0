//! Using uv's own index cache without asking the index again, when that is provably safe.
//!
//! uv revalidates every cached index page older than its `max-age` (10 minutes on PyPI), which
//! makes a warm resolution of a runtime (300 packages) take ~15 s of round trips instead of
//! under one second. A resolution with a past `--exclude-newer` cutoff only needs the versions
//! uploaded before the cutoff: a cached page fetched after the cutoff has all of them. So the
//! base layer is first resolved `--offline`, and that result is kept only when the cached PyPI
//! page of every package in it was fetched (or revalidated) after the cutoff; otherwise the
//! resolution runs online as usual. The project's requirements (no cutoff: "newest now") are
//! resolved offline on top of the base when the pages of every package they add or change were
//! fetched within [`RECENT`]; a conflict found offline is reported as is when every package
//! it names was fetched within [`RECENT`].
//!
//! This reads uv's cache layout (`<uv cache dir>/simple-v28/pypi/<name>.rkyv`), which is tied to
//! the pinned [`crate::UV_VERSION`]; when the layout is not there, nothing is trusted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use skyhop_core::Lock;

/// uv's cache bucket of index pages for the pinned uv version.
const SIMPLE_BUCKET: &str = "simple-v28";

/// uv's cache directory (`uv cache dir`), `None` when uv cannot say.
pub(crate) fn uv_cache_dir(uv: &Path) -> Option<PathBuf> {
    let out = Command::new(uv)
        .args(["cache", "dir"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|p| p.is_dir())
}

/// Whether every package of `lock` has a cached PyPI page fetched on or after `cutoff`
/// (`YYYY-MM-DD`, midnight UTC).
pub(crate) fn pages_fresh_since(uv_cache: &Path, lock: &Lock, cutoff: &str) -> bool {
    let Some(since) = midnight_utc(cutoff) else {
        return false;
    };
    let pages = uv_cache.join(SIMPLE_BUCKET).join("pypi");
    !lock.packages.is_empty()
        && lock.packages.iter().all(|p| {
            std::fs::metadata(pages.join(format!("{}.rkyv", p.name)))
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
        })
}

/// How old a cached page may be for a resolution without a cutoff ("the newest version now").
/// uv itself revalidates PyPI pages after 10 minutes; skyhop accepts a day for the packages a
/// project's requirements add or change on top of a runtime.
pub(crate) const RECENT: Duration = Duration::from_secs(24 * 3600);

/// Whether the cached PyPI page of each of `names` was fetched within [`RECENT`].
pub(crate) fn pages_recent(uv_cache: &Path, names: &[&str]) -> bool {
    let Some(since) = SystemTime::now().checked_sub(RECENT) else {
        return false;
    };
    let pages = uv_cache.join(SIMPLE_BUCKET).join("pypi");
    names.iter().all(|n| {
        std::fs::metadata(pages.join(format!("{n}.rkyv")))
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since)
    })
}

/// Whether every package named in `text` (uv's explanation of a conflict) that uv has a cached
/// page for was fetched within [`RECENT`], and at least one is named.
pub(crate) fn mentioned_pages_recent(uv_cache: &Path, text: &str) -> bool {
    let pages = uv_cache.join(SIMPLE_BUCKET).join("pypi");
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map(|w| skyhop_core::normalize_name(w.trim_end_matches('.')))
        .filter(|n| !n.is_empty() && pages.join(format!("{n}.rkyv")).is_file())
        .collect();
    names.sort();
    names.dedup();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    !names.is_empty() && pages_recent(uv_cache, &names)
}

fn midnight_utc(date: &str) -> Option<SystemTime> {
    let d: jiff::civil::Date = date.parse().ok()?;
    let ts = d.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(SystemTime::from(ts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_must_be_newer_than_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let pages = dir.path().join(SIMPLE_BUCKET).join("pypi");
        std::fs::create_dir_all(&pages).unwrap();
        let lock = Lock::from_freeze("a==1\nb==2\n", "uv").unwrap();
        std::fs::write(pages.join("a.rkyv"), "").unwrap();
        assert!(
            !pages_fresh_since(dir.path(), &lock, "2024-05-07"),
            "b has no page"
        );
        std::fs::write(pages.join("b.rkyv"), "").unwrap();
        assert!(pages_fresh_since(dir.path(), &lock, "2024-05-07"));
        assert!(
            !pages_fresh_since(dir.path(), &lock, "2999-01-01"),
            "fetched before"
        );
        assert!(!pages_fresh_since(dir.path(), &lock, "not a date"));
        assert!(pages_recent(dir.path(), &["a", "b"]));
        assert!(pages_recent(dir.path(), &[]));
        assert!(!pages_recent(dir.path(), &["c"]));
        assert!(mentioned_pages_recent(
            dir.path(),
            "Because A==1 depends on b<2."
        ));
        assert!(!mentioned_pages_recent(
            dir.path(),
            "nothing cached is named"
        ));
    }
}
