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

/// Writes `html` with `script` before `</body>` into `dir`, and a page that shows it in a
/// frame `width` px wide (headless Chromium's window is at least 500 px wide, a phone is
/// narrower); returns the frame page.
fn framed(html: &str, script: &str, dir: &Path, width: u32) -> PathBuf {
    let inner = dir.join(format!("report-{width}.html"));
    std::fs::write(&inner, html.replace("</body>", &format!("{script}</body>"))).unwrap();
    let outer = dir.join(format!("frame-{width}.html"));
    std::fs::write(
        &outer,
        format!(
            "<!DOCTYPE html><body style=\"margin:0;background:#888\">\
             <iframe src=\"report-{width}.html\" style=\"border:0;display:block;width:{width}px;height:4000px\"></iframe>\
             <pre id=\"probe\"></pre><script>addEventListener('message', e => {{ \
             document.getElementById('probe').textContent = e.data; }});</script></body>"
        ),
    )
    .unwrap();
    outer
}

/// Measures, in the page laid out `width` px wide, how many lines each path of the "What to
/// do" table takes and how many pieces it has (`/`, `_` and `-` are where a path may wrap),
/// and by how many px the table overflows the page: `(lines, pieces, path)` rows.
fn measure_action_paths(
    browser: &Path,
    profile: &Path,
    html: &str,
    dir: &Path,
    width: u32,
) -> (Vec<(usize, usize, String)>, i64) {
    const PROBE: &str = r#"<script>
addEventListener('load', () => {
  const rows = [...document.querySelectorAll('table.actions .files code')].map(c =>
    c.getClientRects().length + ' ' + c.textContent.split(/[\/_-]/).length + ' ' + c.textContent);
  const table = document.querySelector('table.actions').getBoundingClientRect();
  parent.postMessage(Math.ceil(table.right - document.documentElement.clientWidth) + '\n' + rows.join('\n'), '*');
});
</script>"#;
    let page = framed(html, PROBE, dir, width);
    let dom = run(
        browser,
        profile,
        &format!("file://{}", page.display()),
        &[
            &format!("--window-size={},2600", width.max(500) + 20),
            "--dump-dom",
        ],
    );
    let probe = dom
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("the probe ran at {width} px: {dom}"));
    let mut lines = probe.lines();
    let overflow: i64 = lines.next().unwrap().trim().parse().unwrap();
    let rows = lines
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let n = |p: Option<&str>| p.unwrap().parse::<usize>().unwrap();
            (
                n(parts.next()),
                n(parts.next()),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    (rows, overflow)
}

/// The "What to do" table of a project with many files and long paths: at 1400 px every path
/// is on one line, at a 390 px phone width a path wraps only between its names (after a `/`,
/// `_` or `-`), never per character, and the table fits the page. With
/// `SKYHOP_REPORT_SCREENSHOT_DIR` set, screenshots at both widths are kept there
/// (`report-1400.png`, `report-390.png`).
#[test]
fn action_paths_never_wrap_per_character() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED action_paths_never_wrap_per_character: /usr/bin/chromium not found");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let html = skyhop_report::render_html(&common::many_files());
    if let Some(shots) = std::env::var_os("SKYHOP_REPORT_SCREENSHOT_DIR").map(PathBuf::from) {
        std::fs::create_dir_all(&shots).unwrap();
        for width in [1400, 390] {
            let page = framed(&html, "", dir.path(), width);
            let shot = shots.join(format!("report-{width}.png"));
            run(
                &browser,
                &profile,
                &format!("file://{}", page.display()),
                &[
                    &format!("--screenshot={}", shot.display()),
                    &format!("--window-size={},4000", width.max(500)),
                    "--hide-scrollbars",
                ],
            );
            assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
        }
    }
    let (wide, overflow) = measure_action_paths(&browser, &profile, &html, dir.path(), 1400);
    assert!(wide.len() >= 13, "{wide:?}");
    assert!(wide.iter().all(|(lines, _, _)| *lines == 1), "{wide:?}");
    assert!(
        overflow <= 0,
        "the table overflows by {overflow} px at 1400"
    );
    let (narrow, overflow) = measure_action_paths(&browser, &profile, &html, dir.path(), 390);
    assert_eq!(narrow.len(), wide.len());
    for (lines, pieces, path) in &narrow {
        assert!(lines <= pieces, "{path} on {lines} lines at 390 px");
    }
    assert!(
        narrow.iter().any(|(lines, _, _)| *lines > 1),
        "the narrow page wrapped a long path: {narrow:?}"
    );
    assert!(overflow <= 0, "the table overflows by {overflow} px at 390");
}
