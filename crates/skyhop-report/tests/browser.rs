//! The HTML report in a real headless browser (Chromium): the page renders, its script runs,
//! and the filters read from the location hash hide the rows they should.
//!
//! Runs when `/usr/bin/chromium` (or `$SKYHOP_CHROMIUM`) exists; otherwise prints why it is
//! skipped and passes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("SKYHOP_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    path.exists().then_some(path)
}

/// Runs headless Chromium on `url` with `extra` arguments and returns its stdout.
fn run(browser: &Path, profile: &Path, url: &str, extra: &[&str]) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    // Never hang the test run on a stuck browser.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait on chromium").is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("chromium output");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Finding rows of a dumped DOM as (severity, hidden).
fn rows(dom: &str) -> Vec<(String, bool)> {
    dom.split("<tr ")
        .skip(1)
        .map(|row| row.split('>').next().unwrap_or(""))
        .filter(|tag| tag.contains("class=\"finding\""))
        .map(|tag| {
            let severity = tag
                .split("data-severity=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("")
                .to_string();
            (severity, tag.contains("hidden"))
        })
        .collect()
}

#[test]
fn report_renders_and_filters_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED report_renders_and_filters_in_chromium: /usr/bin/chromium not found \
             (apt-get install chromium, or set SKYHOP_CHROMIUM)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    skyhop_report::write_report_dir(&out, &common::fixture(), &[]).unwrap();
    let file = out.join("report.html");
    let url = format!("file://{}", file.display());
    let profile = dir.path().join("profile");

    // Unfiltered: verdict, findings, the escaped message, every row shown.
    let dom = run(&browser, &profile, &url, &["--dump-dom"]);
    assert!(dom.contains("data-verdict=\"needs_changes\""), "{dom}");
    assert!(dom.contains("needs changes"));
    assert!(dom.contains("dags/etl.py:3:1"));
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "message shown as text"
    );
    let all = rows(&dom);
    assert_eq!(all.len(), 7, "{all:?}");
    assert!(all.iter().all(|(_, hidden)| !hidden), "{all:?}");
    assert!(dom.contains("7 of 7 shown"), "the script ran");

    // Filtered by the hash: only errors stay visible.
    let dom = run(
        &browser,
        &profile,
        &format!("{url}#severity=error"),
        &["--dump-dom"],
    );
    let filtered = rows(&dom);
    assert_eq!(filtered.len(), 7);
    for (severity, hidden) in &filtered {
        assert_eq!(*hidden, severity != "error", "{filtered:?}");
    }
    assert!(dom.contains("4 of 7 shown"), "count updated");

    // Text search and test filter together.
    let dom = run(
        &browser,
        &profile,
        &format!("{url}#test=check&q=logical_date"),
        &["--dump-dom"],
    );
    assert!(dom.contains("1 of 7 shown"));

    // A screenshot for people to look at (kept at $SKYHOP_REPORT_SCREENSHOT when set).
    let shot = std::env::var_os("SKYHOP_REPORT_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("report.png"));
    run(
        &browser,
        &profile,
        &url,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}
