//! The project's upgrade-test reports: `<project>/upgrade-test-*/report.html`, listed and
//! served read-only. A report is served only when its folder is one of the listed ones (by
//! exact name), so no path from the URL ever reaches the file system.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::State;
use crate::http::Reply;

/// One report folder.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The folder name, e.g. `upgrade-test-13.2.0`.
    pub dir: String,
    /// When `report.html` was written (UTC, to the minute).
    pub modified: String,
    #[serde(skip)]
    pub path: PathBuf,
}

/// The reports of the project, newest first.
pub fn list(state: &State) -> Vec<Report> {
    let Ok(rd) = std::fs::read_dir(&state.project_root) else {
        return Vec::new();
    };
    let mut out: Vec<(SystemTime, Report)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let dir = e.file_name().to_str()?.to_string();
            if !dir.starts_with("upgrade-test-") || !e.file_type().ok()?.is_dir() {
                return None;
            }
            let path = e.path().join("report.html");
            let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
            let time = meta.modified().ok()?;
            Some((
                time,
                Report {
                    dir,
                    modified: utc_minute(time),
                    path,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.dir.cmp(&b.1.dir)));
    out.into_iter().map(|(_, r)| r).collect()
}

/// `2026-12-01 14:03 UTC`.
fn utc_minute(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// `GET /reports/DIR/report.html`.
pub(crate) fn serve(state: &State, dir: &str) -> Reply {
    let Some(report) = list(state).into_iter().find(|r| r.dir == dir) else {
        return Reply::text(
            404,
            "404: no such report; the deployments page lists the project's upgrade-test reports",
        );
    };
    match std::fs::read(&report.path) {
        Ok(bytes) => Reply {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: bytes,
            location: None,
        },
        Err(e) => Reply::text(500, &format!("{}: {e}", report.path.display())),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_minute_dates() {
        use std::time::{Duration, SystemTime};
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_133_780);
        assert_eq!(super::utc_minute(t), "2026-12-01 14:03 UTC");
    }
}
