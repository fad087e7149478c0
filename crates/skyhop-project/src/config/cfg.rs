//! `airflow.cfg`, read the way Python's `configparser` reads it for Airflow: `[section]`
//! headers, `key = value` or `key: value` options (keys lower-cased), `#` / `;` comment lines,
//! values continued on indented lines.

use std::ops::Range;

use super::{ConfigProblem, ConfigSource, Entry, line_end, setting_at, splice};
use crate::text::line_ending;

/// One section of the file.
struct Section {
    name: String,
    /// After the header line.
    body_start: usize,
    /// After the last option line (or continuation) of the section; `body_start` when empty.
    content_end: usize,
}

struct Parsed {
    entries: Vec<Entry>,
    sections: Vec<Section>,
}

fn parse(text: &str, file: &str) -> Result<Parsed, ConfigProblem> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut in_option = false;
    let mut start = 0;
    let mut line_no = 0;
    while start < text.len() {
        line_no += 1;
        let end = line_end(text, start);
        let content = text[start..end].trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let indented = trimmed.len() < content.len();
        let problem = |message: String| ConfigProblem {
            file: file.to_string(),
            line: line_no,
            message,
        };
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            if trimmed.is_empty() {
                in_option = false;
            }
        } else if indented && in_option {
            // a continuation of the value above
            if let Some(e) = entries.last_mut()
                && let Some(w) = e.whole.as_mut()
            {
                w.end = end;
            }
            if let Some(s) = sections.last_mut() {
                s.content_end = end;
            }
        } else if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(close) = rest.find(']') else {
                return Err(problem(format!(
                    "`{trimmed}`: a section header needs a closing `]`"
                )));
            };
            sections.push(Section {
                name: rest[..close].trim().to_ascii_lowercase(),
                body_start: end,
                content_end: end,
            });
            in_option = false;
        } else {
            let Some(section) = sections.last_mut() else {
                return Err(problem(
                    "an option before any `[section]` header; airflow.cfg options belong to a section"
                        .into(),
                ));
            };
            let Some(sep) = trimmed.find(['=', ':']) else {
                return Err(problem(format!(
                    "`{trimmed}` is neither `[section]` nor `key = value`"
                )));
            };
            let key = trimmed[..sep].trim_end();
            if key.is_empty() {
                return Err(problem("an option with no name before `=`".into()));
            }
            let at = start + (content.len() - trimmed.len());
            let name = at..at + key.len();
            let value = trimmed[sep + 1..].trim().to_string();
            section.content_end = end;
            let setting = setting_at(
                text,
                file,
                ConfigSource::AirflowCfg,
                name.clone(),
                section.name.clone(),
                key.to_ascii_lowercase(),
                Some(value),
            );
            entries.push(Entry {
                setting,
                name,
                whole: Some(start..end),
            });
            in_option = true;
        }
        start = end;
    }
    Ok(Parsed { entries, sections })
}

/// The options set in an `airflow.cfg`.
pub(crate) fn entries(text: &str, file: &str) -> Result<Vec<Entry>, ConfigProblem> {
    parse(text, file).map(|p| p.entries)
}

/// Moves an option to another section, named `key` there: its lines (continuations
/// included) leave their section and end the new one, which is made at the end of the file
/// when it does not exist.
pub(crate) fn move_option(text: &str, entry: &Entry, section: &str, key: &str) -> Option<String> {
    let whole = entry.whole.clone()?;
    let mut moved = text[whole.clone()].to_string();
    let name = entry.name.start - whole.start..entry.name.end - whole.start;
    moved = splice(&moved, name, key);
    let eol = line_ending(text);
    if !moved.ends_with('\n') {
        moved.push_str(eol);
    }
    let without = splice(text, whole, "");
    let parsed = parse(&without, &entry.setting.file).ok()?;
    Some(match parsed.sections.iter().find(|s| s.name == section) {
        Some(s) => insert(&without, s.content_end.max(s.body_start), &moved),
        None => {
            let mut out = without;
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(eol);
            }
            if !out.is_empty() {
                out.push_str(eol);
            }
            out.push_str(&format!("[{section}]{eol}{moved}"));
            out
        }
    })
}

fn insert(text: &str, at: usize, what: &str) -> String {
    let mut what = what.to_string();
    let mut at = at;
    // after a last line without a line ending
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        what = format!(
            "{}{}",
            line_ending(text),
            what.trim_end_matches(['\n', '\r'])
        );
        at = text.len();
    }
    splice(text, Range { start: at, end: at }, &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_options_and_continuations() {
        let text = "# top\n[core]\ndags_folder = /x\nSQL_ALCHEMY_CONN: postgresql://a\n  continued\n\n[webserver]\n; note\nweb_server_port=8080";
        let got: Vec<String> = entries(text, "airflow.cfg")
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{} [{}] {} = {:?} {:?}",
                    e.setting.line,
                    e.setting.column,
                    e.setting.section,
                    e.setting.key,
                    e.setting.value,
                    &text[e.whole.clone().unwrap()]
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "3:1 [core] dags_folder = Some(\"/x\") \"dags_folder = /x\\n\"",
                "4:1 [core] sql_alchemy_conn = Some(\"postgresql://a\") \"SQL_ALCHEMY_CONN: postgresql://a\\n  continued\\n\"",
                "9:1 [webserver] web_server_port = Some(\"8080\") \"web_server_port=8080\"",
            ]
        );
        let e = entries("x = 1\n", "airflow.cfg").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("before any `[section]`"), "{e}");
    }
}
