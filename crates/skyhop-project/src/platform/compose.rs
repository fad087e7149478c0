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

/// Where a stretch of an expanded value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// These bytes of the value (offset of the stretch's first byte).
    Value(usize),
    /// The `.env` value of a variable (offset in `.env`).
    Env(usize),
    /// Not from one place (`$$`).
    Nowhere,
}

/// A compose value with its `${...}` substitutions made, remembering where each stretch of the
/// result comes from.
struct Expanded {
    text: String,
    /// `(range in text, origin, variable name)`.
    parts: Vec<(Range<usize>, Origin, Option<String>)>,
}

impl Expanded {
    fn push(&mut self, s: &str, origin: Origin, var: Option<&str>) {
        let start = self.text.len();
        self.text.push_str(s);
        self.parts
            .push((start..self.text.len(), origin, var.map(str::to_string)));
    }

    /// The origin of `range` when one stretch holds all of it, with its offset moved there.
    fn origin_of(&self, range: &Range<usize>) -> Option<Origin> {
        let (r, origin, _) = self
            .parts
            .iter()
            .find(|(r, ..)| r.start <= range.start && range.end <= r.end)?;
        let delta = range.start - r.start;
        match origin {
            Origin::Value(o) => Some(Origin::Value(o + delta)),
            Origin::Env(o) => Some(Origin::Env(o + delta)),
            Origin::Nowhere => None,
        }
    }

    /// The variable whose `.env` value the expansion took.
    fn env_var(&self) -> Option<String> {
        self.parts.iter().find_map(|(_, o, v)| match o {
            Origin::Env(_) => v.clone(),
            _ => None,
        })
    }
}

/// `value` with `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `$NAME` substituted from
/// `env` (`None`: the defaults, as written), `$$` read as `$`.
fn expand(value: &str, env: Option<&str>) -> Expanded {
    let mut out = Expanded {
        text: String::new(),
        parts: Vec::new(),
    };
    let b = value.as_bytes();
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        if i > lit {
            out.push(&value[lit..i], Origin::Value(lit), None);
        }
        if b.get(i + 1) == Some(&b'$') {
            out.push("$", Origin::Nowhere, None);
            i += 2;
            lit = i;
            continue;
        }
        let braced = b.get(i + 1) == Some(&b'{');
        let name_start = i + 1 + usize::from(braced);
        let name_end = value[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(value.len(), |e| name_start + e);
        let name = &value[name_start..name_end];
        let (default, end) = if braced {
            let Some(close) = value[name_end..].find('}').map(|c| name_end + c) else {
                // not a substitution: the rest is literal
                out.push(&value[i..], Origin::Value(i), None);
                return out;
            };
            let rest = &value[name_end..close];
            let default = rest
                .strip_prefix(":-")
                .map(|d| (d, name_end + 2))
                .or_else(|| rest.strip_prefix('-').map(|d| (d, name_end + 1)));
            (default, close + 1)
        } else {
            (None, name_end)
        };
        match env.and_then(|e| env_value(e, name)) {
            Some((v, range)) => out.push(v, Origin::Env(range.start), Some(name)),
            None => match default {
                Some((d, at)) => out.push(d, Origin::Value(at), None),
                None => out.push("", Origin::Nowhere, None),
            },
        }
        i = end.max(i + 1);
        lit = i;
    }
    if lit < b.len() {
        out.push(&value[lit..], Origin::Value(lit), None);
    }
    out
}

/// The `apache/airflow` version site of an expanded image reference, with where its version
/// bytes come from (the span is relative to that origin).
fn version_site(
    expanded: &Expanded,
    file: &str,
    key: &str,
    value: &str,
) -> Option<(Origin, super::VersionSite)> {
    let mut site = image_site(file, key, value, &expanded.text)?;
    let origin = expanded.origin_of(&site.span)?;
    let (Origin::Value(at) | Origin::Env(at)) = origin else {
        return None;
    };
    // relative to the origin: the caller adds where the value (or `.env`) starts
    let len = site.span.len();
    site.span = 0..len;
    let origin = match origin {
        Origin::Env(_) => Origin::Env(at),
        _ => Origin::Value(at),
    };
    if let Origin::Env(_) = origin {
        site.file = ".env".into();
    }
    Some((origin, site))
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
            let mut sites = Vec::new();
            // as compose reads it: `.env` wins over a `${VAR:-default}` default
            let with_env = expand(&value, env);
            if let Some((origin, mut site)) = version_site(&with_env, file, &key, &value)
                && let Origin::Env(start) = origin
                && let Some(env) = env
            {
                site.span = start + site.span.start..start + site.span.end;
                site.line = line_of(env, start);
                site.key = with_env.env_var().unwrap_or(key.clone());
                site.value = with_env.text.clone();
                site.effective = true;
                sites.push((site, env));
            }
            // the compose file's own bytes (the default), kept in step
            let written = expand(&value, None);
            if let Some((Origin::Value(start), mut site)) =
                version_site(&written, file, &key, &value)
            {
                let start = span.start + start;
                site.span = start + site.span.start..start + site.span.end;
                site.line = line_of(text, span.start);
                sites.push((site, text.as_str()));
            }
            if sites.is_empty() {
                continue;
            }
            // `.env` names an image that is not apache/airflow: the default is not what runs
            let overridden =
                with_env.text != written.text && !sites.iter().any(|(s, _)| s.effective);
            let dep = d.get_or_insert_with(|| Deployment::new(Platform::Compose, file));
            if overridden && dep.custom_image.is_none() {
                dep.custom_image = Some(with_env.text.clone());
                dep.notes.push(format!(
                    "{file}:{}: `.env` makes `{key}` `{}`, not an apache/airflow image: skyhop models the default it replaces ({}); pass --from-airflow-version V for the Airflow that image runs",
                    line_of(text, span.start),
                    with_env.text,
                    written.text
                ));
            }
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
