//! Settings as environment variables: the Dockerfile's `ENV` (final image) and `ARG`
//! defaults, and `.env`.

use std::ops::Range;

use super::{ConfigProblem, ConfigSource, Entry, line_end, line_start, setting_at, splice};
use crate::dockerfile::Dockerfile;
use crate::dockerfile::words::{split_words, unquote};
use crate::dotenv::DotEnv;
use crate::text::airflow_key;

/// `ENV` settings of the final image and `ARG` defaults (of the final image's stages, and
/// before the first `FROM`) with an `AIRFLOW__` name.
pub(crate) fn dockerfile(text: &str, file: &str) -> Result<Vec<Entry>, ConfigProblem> {
    let d = Dockerfile::parse_named(text, file).map_err(|e| ConfigProblem {
        file: file.to_string(),
        line: e.line,
        message: e.kind.to_string(),
    })?;
    let escape = d.directives().escape;
    let first_from = d.stages().first().map_or(usize::MAX, |s| s.line);
    let mut out = Vec::new();
    for ins in d.instructions() {
        let source = match ins.keyword.as_str() {
            "ENV" if d.in_final_image(ins.line) => ConfigSource::DockerfileEnv,
            "ARG" if ins.line < first_from || d.in_final_image(ins.line) => {
                ConfigSource::DockerfileArg
            }
            _ => continue,
        };
        let words = split_words(&ins.args, escape);
        // `ENV KEY value` (old form): one variable, the rest of the line its value.
        let legacy = source == ConfigSource::DockerfileEnv
            && words.first().is_some_and(|w| !w.text.contains('='));
        let pairs: Vec<(usize, String, Option<String>)> = if legacy {
            let first = &words[0];
            let rest = ins.args.text[first.text.len()..].trim();
            vec![(0, first.text.clone(), Some(unquote(rest, escape)))]
        } else {
            words
                .iter()
                .enumerate()
                .map(|(i, w)| match w.text.split_once('=') {
                    Some((k, v)) => (i, k.to_string(), Some(unquote(v, escape))),
                    None => (i, w.text.clone(), None),
                })
                .collect()
        };
        let many = words.len() > 1 && !legacy;
        for (i, key, value) in pairs {
            let Some((section, option)) = airflow_key(&key) else {
                continue;
            };
            if section.is_empty() || option.is_empty() {
                continue;
            }
            // An ARG without a default sets nothing.
            if source == ConfigSource::DockerfileArg && value.is_none() {
                continue;
            }
            let word = &words[i];
            let Some(name) = word.original_span(0..key.len()) else {
                continue; // the name is not written in one piece
            };
            let whole = if many {
                word.original_span(0..word.text.len())
                    .and_then(|span| pair_span(text, &ins.span, span, escape))
            } else {
                Some(line_start(text, ins.span.start)..line_end(text, ins.span.end))
            };
            out.push(Entry {
                setting: setting_at(text, file, source, name.clone(), section, option, value),
                name,
                whole,
            });
        }
    }
    Ok(out)
}

/// Bytes to cut to remove one `KEY=value` word of an instruction with several: its physical
/// line when it stands alone on one (with the continuation before it, when it is the last),
/// else the word and the blanks after it.
fn pair_span(
    text: &str,
    instruction: &Range<usize>,
    word: Range<usize>,
    escape: char,
) -> Option<Range<usize>> {
    let (ls, le) = (line_start(text, word.start), line_end(text, word.start));
    let line = text[ls..le].trim_end_matches(['\n', '\r']);
    let rest = line[word.end - ls..].trim();
    let alone =
        text[ls..word.start].trim().is_empty() && (rest.is_empty() || rest == escape.to_string());
    if alone && ls > instruction.start {
        if rest.is_empty() {
            // The last line: the continuation of the line before goes too.
            let prev = text[..ls - 1].trim_end_matches('\r');
            let cont = prev.trim_end().strip_suffix(escape)?;
            return Some(cont.trim_end().len()..ls + line.len());
        }
        return Some(ls..le);
    }
    let after = text[word.end..].len() - text[word.end..].trim_start_matches([' ', '\t']).len();
    if after > 0 && !text[word.end + after..].starts_with(['\n', '\r']) {
        return Some(word.start..word.end + after);
    }
    let before = text[..word.start].len() - text[..word.start].trim_end_matches([' ', '\t']).len();
    Some(word.start - before..word.end)
}

/// Removes an `ENV` / `ARG` setting; an `ARG` that other instructions use is kept.
pub(crate) fn remove_dockerfile(text: &str, entry: &Entry) -> Option<String> {
    if entry.setting.source == ConfigSource::DockerfileArg
        && !references(text, &entry.setting.name).is_empty()
    {
        return None;
    }
    let whole = entry.whole.clone()?;
    Some(splice(text, whole, ""))
}

/// Renames an `ARG` and every `$NAME` / `${NAME}` use of it.
pub(crate) fn rename_arg(text: &str, entry: &Entry, new: &str) -> Option<String> {
    let mut spans = references(text, &entry.setting.name);
    spans.push(entry.name.clone());
    spans.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut out = text.to_string();
    for span in spans {
        out = splice(&out, span, new);
    }
    Some(out)
}

/// Byte spans of `name` in `$name` and `${name…}` references.
fn references(text: &str, name: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (i, _) in text.match_indices('$') {
        let rest = &text[i + 1..];
        let (start, tail) = match rest.strip_prefix('{') {
            Some(t) => (i + 2, t),
            None => (i + 1, rest),
        };
        if tail.starts_with(name) && !tail[name.len()..].starts_with(word) {
            out.push(start..start + name.len());
        }
    }
    out
}

/// `.env` entries with an `AIRFLOW__` name.
pub(crate) fn dotenv(text: &str, file: &str) -> Result<Vec<Entry>, ConfigProblem> {
    let env = DotEnv::parse_str(text, file).map_err(|e| ConfigProblem {
        file: file.to_string(),
        line: 0,
        message: e.to_string(),
    })?;
    let starts = line_starts(text);
    let mut out = Vec::new();
    for e in &env.entries {
        let Some((section, option)) = airflow_key(&e.key) else {
            continue;
        };
        if section.is_empty() || option.is_empty() {
            continue;
        }
        let Some(&ls) = starts.get(e.line - 1) else {
            continue;
        };
        let le = line_end(text, ls);
        let Some(at) = text[ls..le].find(&e.key) else {
            continue;
        };
        let name = ls + at..ls + at + e.key.len();
        let end = starts
            .get(e.end_line)
            .copied()
            .unwrap_or(text.len())
            .max(le);
        out.push(Entry {
            setting: setting_at(
                text,
                file,
                ConfigSource::DotEnv,
                name.clone(),
                section,
                option,
                e.value.clone(),
            ),
            name,
            whole: Some(ls..end),
        });
    }
    Ok(out)
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < text.len())
        .collect()
}
