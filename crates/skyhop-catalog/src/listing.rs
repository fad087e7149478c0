//! Rows of `skyhop versions [--airflow] [--all] [--json]`.
//!
//! "Current" versions (the default listing) are those whose [`Status`] is `Current`: not
//! yanked, not past their end of maintenance, not deprecated or prerelease in the Astro feed.
//! `--all` lists every version, with its status. `--json` always lists every version: it is for
//! programs, which filter on `status` themselves.

use jiff::civil::Date;
use serde::Serialize;

use crate::catalog::{Catalog, Confidence, Status};
use crate::data::python_key;
use crate::version::RuntimeVersion;

/// What `skyhop versions` was asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// List Apache Airflow versions instead of Runtime versions.
    pub airflow: bool,
    /// Include yanked and end-of-maintenance versions.
    pub all: bool,
    /// JSON output (implies `all`).
    pub json: bool,
}

/// One Runtime version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRow {
    pub version: RuntimeVersion,
    pub airflow: String,
    pub release_date: Option<Date>,
    /// Default Python of the image.
    pub python: Option<String>,
    /// Pythons with an image.
    pub pythons: Vec<String>,
    #[serde(flatten)]
    pub status: Status,
    pub lts: Option<bool>,
    pub end_of_maintenance: Option<Date>,
    pub image_repository: &'static str,
    pub confidence: Confidence,
}

/// One Apache Airflow version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AirflowRow {
    pub version: String,
    pub release_date: Option<Date>,
    pub pythons: Vec<String>,
    /// Runtimes that ship it, oldest first.
    pub runtimes: Vec<RuntimeVersion>,
    #[serde(flatten)]
    pub status: Status,
}

/// Runtime rows, newest first; only current ones unless `all`.
pub fn runtime_rows(catalog: &Catalog, all: bool, today: Date) -> Vec<VersionRow> {
    catalog
        .runtimes()
        .rev()
        .map(|r| VersionRow {
            version: r.version,
            airflow: r.airflow.clone(),
            release_date: r.release_date,
            python: r.default_python.clone(),
            pythons: r.pythons.clone(),
            status: r.status(today),
            lts: r.lts,
            end_of_maintenance: r.end_of_maintenance,
            image_repository: r.image_repository(),
            confidence: r.confidence,
        })
        .filter(|row| all || row.status == Status::Current)
        .collect()
}

/// Airflow rows, newest first; only current ones unless `all`. An Airflow release is past
/// its end of maintenance when its major is past Apache Airflow's end of life (Airflow 2:
/// 2026-04-22), yanked when PyPI says so.
pub fn airflow_rows(catalog: &Catalog, all: bool, today: Date) -> Vec<AirflowRow> {
    catalog
        .airflow_versions()
        .rev()
        .map(|a| {
            let status = if a.yanked {
                Status::Yanked {
                    reason: a
                        .yanked_reason
                        .clone()
                        .unwrap_or_else(|| "yanked on PyPI".into()),
                }
            } else {
                match catalog.airflow_end_of_life(a.major()) {
                    Some(eol) if eol < today => Status::EndOfMaintenance { since: eol },
                    _ => Status::Current,
                }
            };
            AirflowRow {
                version: a.version.to_string(),
                release_date: a.release_date,
                pythons: a.pythons.clone(),
                runtimes: catalog
                    .runtimes_for_airflow(&a.version.to_string())
                    .iter()
                    .map(|r| r.version)
                    .collect(),
                status,
            }
        })
        .filter(|row| all || row.status == Status::Current)
        .collect()
}

/// The whole output of `skyhop versions` for `opts`: a table, or JSON
/// (`{"source": ..., "runtimes": [...]}` or `{"source": ..., "airflow": [...]}`).
pub fn versions_output(catalog: &Catalog, opts: ListOptions, today: Date) -> String {
    let all = opts.all || opts.json;
    if opts.json {
        let source = catalog.source_text();
        let value = if opts.airflow {
            serde_json::json!({"source": source, "airflow": airflow_rows(catalog, all, today)})
        } else {
            serde_json::json!({"source": source, "runtimes": runtime_rows(catalog, all, today)})
        };
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    } else if opts.airflow {
        render_airflow_table(&airflow_rows(catalog, all, today))
    } else {
        render_table(&runtime_rows(catalog, all, today))
    }
}

/// Runtime rows as an aligned text table (with a legend for inferred data).
pub fn render_table(rows: &[VersionRow]) -> String {
    let mut cells = vec![[
        "RUNTIME".to_string(),
        "AIRFLOW".into(),
        "RELEASED".into(),
        "PYTHON".into(),
        "PYTHONS".into(),
        "LTS".into(),
        "STATUS".into(),
    ]];
    let mut marked = false;
    for r in rows {
        let mark = matches!(r.confidence, Confidence::Inferred | Confidence::ThirdParty);
        marked |= mark;
        cells.push([
            r.version.to_string(),
            format!("{}{}", r.airflow, if mark { "*" } else { "" }),
            date_cell(r.release_date),
            r.python.clone().unwrap_or_else(|| "-".into()),
            python_range(&r.pythons),
            match r.lts {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "?".into(),
            },
            status_cell(&r.status),
        ]);
    }
    let mut out = table(&cells);
    if rows.is_empty() {
        out.push_str("(no versions; `--all` also lists yanked and end-of-maintenance ones)\n");
    }
    if marked {
        out.push_str(
            "* Airflow version inferred or from third-party sources, not published by Astronomer\n",
        );
    }
    out
}

/// Airflow rows as an aligned text table.
pub fn render_airflow_table(rows: &[AirflowRow]) -> String {
    let mut cells = vec![[
        "AIRFLOW".to_string(),
        "RELEASED".into(),
        "PYTHONS".into(),
        "RUNTIMES".into(),
        "STATUS".into(),
    ]];
    for r in rows {
        let runtimes = match r.runtimes.as_slice() {
            [] => "-".to_string(),
            [one] => one.to_string(),
            [first, .., last] => format!("{first} .. {last}"),
        };
        cells.push([
            r.version.clone(),
            date_cell(r.release_date),
            python_range(&r.pythons),
            runtimes,
            status_cell(&r.status),
        ]);
    }
    let mut out = table(&cells);
    if rows.is_empty() {
        out.push_str("(no versions; `--all` also lists end-of-life ones)\n");
    }
    out
}

fn table<const N: usize>(cells: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in cells {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn date_cell(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
}

fn status_cell(s: &Status) -> String {
    match s {
        Status::Current => "current".into(),
        Status::Deprecated => "deprecated".into(),
        Status::EndOfMaintenance { since } => format!("end of maintenance {since}"),
        Status::Yanked { reason } => format!("yanked: {reason}"),
        Status::Prerelease { channel } => format!("prerelease ({channel})"),
    }
}

/// `["3.8","3.9","3.10"]` → `3.8-3.10`; gaps → comma list; empty → `-`.
fn python_range(pys: &[String]) -> String {
    let mut keys: Vec<(u32, u32)> = pys.iter().map(|p| python_key(p)).collect();
    keys.sort();
    keys.dedup();
    match keys.as_slice() {
        [] => "-".into(),
        [one] => format!("{}.{}", one.0, one.1),
        [first, .., last]
            if keys
                .windows(2)
                .all(|w| w[0].0 == w[1].0 && w[1].1 == w[0].1 + 1) =>
        {
            format!("{}.{}-{}.{}", first.0, first.1, last.0, last.1)
        }
        _ => keys
            .iter()
            .map(|(a, b)| format!("{a}.{b}"))
            .collect::<Vec<_>>()
            .join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Date = Date::constant(2026, 11, 22);

    #[test]
    fn json_lists_every_version_with_status() {
        let c = Catalog::embedded();
        let out = versions_output(
            &c,
            ListOptions {
                json: true,
                ..ListOptions::default()
            },
            DAY,
        );
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rows = doc["runtimes"].as_array().unwrap();
        let row = |v: &str| rows.iter().find(|r| r["version"] == v).unwrap().clone();
        assert_eq!(row("11.8.0")["airflow"], "2.9.3");
        assert_eq!(row("11.8.0")["status"], "end-of-maintenance");
        assert_eq!(row("8.0.0")["status"], "yanked");
        assert_eq!(
            row("8.0.0")["reason"],
            "Does not apply cluster policies defined through pluggy."
        );
        assert_eq!(
            row("3.1-12")["image_repository"],
            "astrocrpublic.azurecr.io/runtime"
        );
        assert_eq!(rows.len(), c.runtimes().count());
        insta::assert_snapshot!(serde_json::to_string_pretty(&row("8.0.0")).unwrap());
    }

    #[test]
    fn default_table_lists_current_versions() {
        let c = Catalog::embedded();
        let rows = runtime_rows(&c, false, DAY);
        assert!(rows.iter().all(|r| r.status == Status::Current));
        assert!(!rows.iter().any(|r| r.version.to_string() == "11.8.0"));
        insta::assert_snapshot!(render_table(&rows));
    }

    #[test]
    fn all_table_marks_yanked_and_end_of_maintenance() {
        let c = Catalog::embedded();
        let rows: Vec<VersionRow> = runtime_rows(&c, true, DAY)
            .into_iter()
            .filter(|r| {
                matches!(
                    r.version.to_string().as_str(),
                    "11.8.0" | "9.6.0" | "8.1.0" | "8.0.0"
                )
            })
            .collect();
        insta::assert_snapshot!(render_table(&rows));
    }

    #[test]
    fn airflow_table() {
        let c = Catalog::embedded();
        let current = airflow_rows(&c, false, DAY);
        assert!(current.iter().all(|r| r.version.starts_with('3')));
        let all = airflow_rows(&c, true, DAY);
        let r291 = all.iter().find(|r| r.version == "2.9.1").unwrap();
        assert_eq!(r291.runtimes.len(), 2);
        let rows: Vec<AirflowRow> = all
            .into_iter()
            .filter(|r| {
                matches!(
                    r.version.as_str(),
                    "3.1.4" | "3.0.6" | "2.10.5" | "2.9.1" | "2.0.0"
                )
            })
            .collect();
        insta::assert_snapshot!(render_airflow_table(&rows));
    }

    #[test]
    fn python_ranges() {
        let s = |v: &[&str]| python_range(&v.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["3.8", "3.9", "3.10"]), "3.8-3.10");
        assert_eq!(s(&["3.9"]), "3.9");
        assert_eq!(s(&[]), "-");
        assert_eq!(s(&["3.8", "3.11"]), "3.8,3.11");
    }
}
