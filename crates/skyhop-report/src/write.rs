//! Writing the report folder: each file atomically (temp file + rename in the same folder).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{ReportData, ReportError, Result};

/// Names of the files [`write_report_dir`] always writes.
pub const REPORT_FILES: [&str; 4] = [
    "report.html",
    "report.md",
    "report.json",
    "check-results.sarif",
];

/// Writes `report.html`, `report.md`, `report.json`, `check-results.sarif` and every
/// `extra_files` entry (`(file name, bytes)`, e.g. `Dockerfile`, `pip_freeze_11.3.0.txt`,
/// `dependency_compare.txt`) into `dir`, creating it if needed.
///
/// Each file is replaced atomically, so a reader never sees half a report. Other files in
/// `dir` are left alone. Extra file names must be plain names (no `/`, `\`, `..`).
/// Returns the paths written, in order.
pub fn write_report_dir(
    dir: &Path,
    data: &ReportData,
    extra_files: &[(&str, &[u8])],
) -> Result<Vec<PathBuf>> {
    for (name, _) in extra_files {
        if !is_plain_name(name) || REPORT_FILES.contains(name) {
            return Err(ReportError::BadFileName(name.to_string()));
        }
    }
    fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let html = crate::html::try_render_html(data)?;
    let md = crate::render_markdown(data);
    let json = crate::render_json(data);
    let sarif = crate::render_sarif(&data.findings, &data.skyhop_version);
    let mut written = Vec::new();
    let ours: [(&str, &[u8]); 4] = [
        ("report.html", html.as_bytes()),
        ("report.md", md.as_bytes()),
        ("report.json", json.as_bytes()),
        ("check-results.sarif", sarif.as_bytes()),
    ];
    for (name, bytes) in extra_files.iter().copied().chain(ours) {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).file_name().is_some_and(|n| n == name)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, then renames it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_only() {
        assert!(is_plain_name("pip_freeze_11.3.0.txt"));
        assert!(is_plain_name("Dockerfile"));
        for bad in ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }
}
