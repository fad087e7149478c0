//! skyhop-report: turns the results of an upgrade test into files people read.
//!
//! It owns the report's input ([`ReportData`], plain serde data the CLI fills), the verdict
//! ([`verdict`]) and the "what to do" table ([`actions`]) computed from it, and every output
//! format: HTML ([`render_html`], one self-contained page from the minijinja templates under
//! `templates/`), Markdown, JSON, SARIF 2.1.0, GitHub Actions annotations, and the report folder
//! ([`write_report_dir`]).
//!
//! It knows nothing of how findings were found: no checking, parsing or resolving here.

mod actions;
mod data;
mod error;
mod github;
mod html;
mod json;
mod markdown;
mod sarif;
mod write;

pub use actions::{Action, actions};
pub use data::{
    Consideration, DbRehearsal, EnvMeta, FileStatus, ParsedFile, ReportData, TestStatus,
    TestSummary, Verdict, verdict,
};
pub use error::{ReportError, Result};
pub use github::render_github;
pub use html::{render_html, try_render_html};
pub use json::render_json;
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use write::{REPORT_FILES, write_report_dir};

/// The distinct fixes (replacements) of the findings in `path`, in finding order.
pub(crate) fn fixes_for(data: &ReportData, path: &str) -> Vec<String> {
    let mut fixes: Vec<String> = Vec::new();
    for f in data::sorted_findings(data) {
        if f.path == path
            && let Some(r) = &f.replacement
            && !fixes.contains(r)
        {
            fixes.push(r.clone());
        }
    }
    fixes
}

/// `message` followed by its fix: `"<message>. Fix: <fix>"` (no doubled full stop).
pub(crate) fn with_fix(message: &str, fix: &str) -> String {
    let message = message.trim_end();
    if message.ends_with(['.', '!', '?', ':']) {
        format!("{message} Fix: {fix}")
    } else {
        format!("{message}. Fix: {fix}")
    }
}

/// `url` when it is a web address (`https://` or `http://`), so report data read back from
/// JSON cannot smuggle a `javascript:` link into a page.
pub(crate) fn web_url(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}
