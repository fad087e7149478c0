//! `report.json`: the report data plus what is computed from it (verdict, actions).

use serde::Serialize;

use crate::{Action, ReportData, Verdict, actions, verdict};

#[derive(Serialize)]
struct JsonReport<'a> {
    /// Version of this JSON layout.
    schema_version: u32,
    verdict: Verdict,
    actions: Vec<Action>,
    #[serde(flatten)]
    data: &'a ReportData,
}

/// Pretty JSON of the whole report: `schema_version`, `verdict`, `actions`, then every field
/// of [`ReportData`].
pub fn render_json(data: &ReportData) -> String {
    let report = JsonReport {
        schema_version: 1,
        verdict: verdict(data),
        actions: actions(data),
        data,
    };
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}
