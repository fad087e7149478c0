//! docker-compose files running the official image, as Airflow's own `docker-compose.yaml`
//! does: `image: ${AIRFLOW_IMAGE_NAME:-apache/airflow:2.9.2}` (the `.env` beside it may set
//! `AIRFLOW_IMAGE_NAME`, which then wins) and `_PIP_ADDITIONAL_REQUIREMENTS`, the packages the
//! containers `pip install` when they start.

use std::ops::Range;

use super::{Deployment, Platform, image_site, scalar_span};
use crate::config::yaml::{Node, documents};
use crate::text::line_of;

/// The variable that carries extra requirements in Airflow's compose file.
pub const PIP_VAR: &str = "_PIP_ADDITIONAL_REQUIREMENTS";

/// `${NAME}`, `${NAME:-default}`, `${NAME-default}` (the whole value): the name and, when
/// given, the default with its byte offset in the value.
fn substitution(value: &str) -> Option<(&str, Option<(&str, usize)>)> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() {
        return None;
    }
    let rest = &inner[name_end..];
    if rest.is_empty() {
        return Some((name, None));
    }
    let op = if rest.starts_with(":-") {
        2
    } else if rest.starts_with('-') {
        1
    } else {
        return None;
    };
    Some((name, Some((&rest[op..], 2 + name_end + op))))
}

/// `NAME=value` in a `.env` text: the value and its bytes (inside quotes).
pub(crate) fn env_value<'t>(env: &'t str, name: &str) -> Option<(&'t str, Range<usize>)> {
    let mut found = None;
    let mut at = 0;
    for line in env.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let lead = content.len() - content.trim_start().len();
        let body = &content[lead..];
        let (body, skip) = match body.strip_prefix("export ") {
            Some(b) => (b.trim_start(), body.len() - b.trim_start().len()),
            None => (body, 0),
        };
        let Some(rest) = body.strip_prefix(name) else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value_at = start + lead + skip + name.len() + (rest.len() - value.len());
        let trimmed = value.trim_start();
        let value_at = value_at + (value.len() - trimmed.len());
        let (v, off) = match trimmed.chars().next() {
            Some(q @ ('"' | '\'')) => match trimmed[1..].find(q) {
                Some(end) => (&trimmed[1..1 + end], 1),
                None => continue,
            },
            _ => {
                let v = trimmed.split(" #").next().unwrap_or("").trim_end();
                (v, 0)
            }
        };
        // the last assignment wins, as in compose
        found = Some((v, value_at + off..value_at + off + v.len()));
    }
    found
}

/// What the compose files (`(name, text)`, in compose's merge order) and the `.env` beside
/// them say about Airflow, or `None` when no service runs `apache/airflow`.
pub fn read(files: &[(String, String)], env: Option<&str>) -> Option<Deployment> {
    let mut d: Option<Deployment> = None;
    let mut requirements: Vec<String> = Vec::new();
    let mut requirements_at = None;
    for (file, text) in files {
        let Ok(docs) = documents(text, file) else {
            continue;
        };
        let mut found = Found::default();
        for doc in &docs {
            walk(doc, "", &mut found);
        }
        for (key, value, at, quoted) in found.images {
            let Some(span) = scalar_span(text, at, quoted, &value) else {
                continue;
            };
            let (reference, offset, var) = match substitution(&value) {
                Some((name, Some((default, off)))) => (default.to_string(), off, Some(name)),
                Some((name, None)) => (String::new(), 0, Some(name)),
                None => (value.clone(), 0, None),
            };
            let mut sites = Vec::new();
            // `.env` setting the variable wins over the default
            if let (Some(name), Some(env)) = (var, env)
                && let Some((v, range)) = env_value(env, name)
                && let Some(mut site) = image_site(".env", name, v, v)
            {
                site.span = range.start + site.span.start..range.start + site.span.end;
                site.line = line_of(env, range.start);
                site.effective = true;
                sites.push((site, env));
            }
            if let Some(mut site) = image_site(file, &key, &value, &reference) {
                let start = span.start + offset;
                site.span = start + site.span.start..start + site.span.end;
                site.line = line_of(text, span.start);
                sites.push((site, text.as_str()));
            }
            if sites.is_empty() {
                continue;
            }
            let dep = d.get_or_insert_with(|| Deployment::new(Platform::Compose, file));
            for (site, site_text) in sites {
                if dep
                    .sites
                    .iter()
                    .any(|s| s.file == site.file && s.span == site.span)
                {
                    continue;
                }
                dep.texts.insert(site.file.clone(), site_text.to_string());
                dep.sites.push(site);
            }
        }
        for (value, at, quoted, line_item) in found.pip {
            let Some(_) = scalar_span(text, at, quoted, &value) else {
                continue;
            };
            let raw = if line_item {
                match value.split_once('=') {
                    Some((_, v)) => v.to_string(),
                    None => continue,
                }
            } else {
                value
            };
            let here = (file.clone(), line_of(text, at));
            let (resolved, written) = match substitution(&raw) {
                Some((name, default)) => match env.and_then(|e| env_value(e, name)) {
                    Some((v, range)) => (
                        v.to_string(),
                        (".env".to_string(), line_of(env.unwrap_or(""), range.start)),
                    ),
                    None => (
                        default.map(|(d, _)| d.to_string()).unwrap_or_default(),
                        here,
                    ),
                },
                None => (raw, here),
            };
            if !resolved.trim().is_empty() && requirements_at.is_none() {
                requirements_at = Some(written);
            }
            for r in resolved.split_whitespace() {
                if !requirements.iter().any(|x| x == r) {
                    requirements.push(r.to_string());
                }
            }
        }
    }
    let mut d = d.filter(|d| !d.sites.is_empty())?;
    if !d.sites.iter().any(|s| s.effective) {
        d.sites[0].effective = true;
    }
    d.sites.sort_by_key(|s| !s.effective);
    d.requirements = requirements;
    d.requirements_at = requirements_at;
    d.note_disagreement();
    Some(d)
}

#[derive(Default)]
struct Found {
    /// `(key path, value, at, quoted)` of every `image:` scalar.
    images: Vec<(String, String, usize, bool)>,
    /// `(value, at, quoted, list item)` of every `_PIP_ADDITIONAL_REQUIREMENTS`.
    pip: Vec<(String, usize, bool, bool)>,
}

fn walk(node: &Node, path: &str, out: &mut Found) {
    match node {
        Node::Map(pairs) => {
            for (k, v) in pairs {
                let Some(key) = k.scalar() else {
                    continue;
                };
                let here = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                match (key, v) {
                    ("image", Node::Scalar { value, at, quoted }) => {
                        out.images.push((here, value.clone(), *at, *quoted));
                    }
                    ("environment", Node::Map(env)) => {
                        for (ek, ev) in env {
                            if ek.scalar() == Some(PIP_VAR)
                                && let Node::Scalar { value, at, quoted } = ev
                            {
                                out.pip.push((value.clone(), *at, *quoted, false));
                            }
                        }
                    }
                    ("environment", Node::Seq(items)) => {
                        for item in items {
                            if let Node::Scalar { value, at, quoted } = item
                                && value.starts_with(&format!("{PIP_VAR}="))
                            {
                                out.pip.push((value.clone(), *at, *quoted, true));
                            }
                        }
                    }
                    _ => walk(v, &here, out),
                }
            }
        }
        Node::Seq(items) => {
            for item in items {
                walk(item, path, out);
            }
        }
        _ => {}
    }
}
