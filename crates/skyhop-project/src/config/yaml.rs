//! Settings in YAML: the `environment:` blocks of docker-compose files (map or list form,
//! anchors included: a setting is found where it is written) and a Helm values file's
//! `config:` (section → option → value) and `env:` (`- name: … value: …`), the official
//! chart's layout. Parsed with yaml-rust2's event parser, which marks where every scalar
//! starts; edits are made on the lines of block-style YAML (a setting in a flow mapping is
//! reported but not edited).

use std::ops::Range;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{ConfigProblem, ConfigSource, Entry, line_end, line_start, setting_at, splice};
use crate::text::{airflow_key, line_ending};

/// A YAML node with where it starts.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Scalar {
        value: String,
        quoted: bool,
        at: usize,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Alias,
}

impl Node {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
}

enum Partial {
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>, Option<Node>),
}

struct Builder<'t> {
    text: &'t str,
    /// Byte offset where each line starts.
    lines: Vec<usize>,
    stack: Vec<Partial>,
    docs: Vec<Node>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Builder {
            text,
            lines,
            stack: Vec::new(),
            docs: Vec::new(),
        }
    }

    /// The byte offset of a marker, from its line and its column in characters (the
    /// parser's own index counts characters).
    fn offset(&self, mark: Marker) -> usize {
        let start = self
            .lines
            .get(mark.line().saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..]
            .char_indices()
            .nth(mark.col())
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Partial::Seq(items)) => items.push(node),
            Some(Partial::Map(pairs, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => pairs.push((key, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, style, _, _) => {
                let at = self.offset(mark);
                self.add(Node::Scalar {
                    value,
                    quoted: matches!(
                        style,
                        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                    ),
                    at,
                })
            }
            Event::Alias(_) => self.add(Node::Alias),
            Event::SequenceStart(..) => self.stack.push(Partial::Seq(Vec::new())),
            Event::MappingStart(..) => self.stack.push(Partial::Map(Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Partial::Seq(items)) => Node::Seq(items),
                    Some(Partial::Map(pairs, _)) => Node::Map(pairs),
                    None => return,
                };
                self.add(node);
            }
            _ => {}
        }
    }
}

pub(crate) fn documents(text: &str, file: &str) -> Result<Vec<Node>, ConfigProblem> {
    let mut builder = Builder::new(text);
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| ConfigProblem {
        file: file.to_string(),
        line: e.marker().line(),
        message: format!("not valid YAML: {}", e.info()),
    })?;
    Ok(builder.docs)
}

/// The bytes of `name` in a scalar that starts at `at` (after its opening quote).
fn name_span(text: &str, at: usize, quoted: bool, name: &str) -> Option<Range<usize>> {
    let start = if quoted { at + 1 } else { at };
    text.get(start..start + name.len())
        .filter(|t| *t == name)
        .map(|_| start..start + name.len())
}

/// Leading spaces of the line holding `offset`, when only spaces precede `offset` on it
/// (or spaces, `-` and spaces: the first key of a list item, `dash` then says where the
/// `-` is).
fn block_column(text: &str, offset: usize) -> Option<(usize, Option<usize>)> {
    let ls = line_start(text, offset);
    let prefix = &text[ls..offset];
    if prefix.bytes().all(|b| b == b' ') {
        return Some((prefix.len(), None));
    }
    let dash = prefix.trim_start_matches(' ');
    let rest = dash.strip_prefix('-')?;
    rest.bytes()
        .all(|b| b == b' ')
        .then(|| (prefix.len(), Some(prefix.len() - dash.len())))
}

/// The lines of a block that starts on the line holding `offset` and goes on while lines are
/// indented deeper than `column` (blank lines inside kept, trailing ones left out).
fn block(text: &str, offset: usize, column: usize) -> Range<usize> {
    let start = line_start(text, offset);
    let mut end = line_end(text, offset);
    let mut at = end;
    while at < text.len() {
        let next = line_end(text, at);
        let line = text[at..next].trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line.trim().is_empty() {
            at = next;
            continue;
        }
        if indent <= column {
            break;
        }
        end = next;
        at = next;
    }
    start..end
}

/// The lines of a map entry whose key starts at `at`: the key's block, or the list item's
/// when the key is the first of an item (`- name: …`); `None` outside block style.
fn entry_lines(text: &str, at: usize) -> Option<Range<usize>> {
    let (column, dash) = block_column(text, at)?;
    Some(block(text, at, dash.unwrap_or(column)))
}

fn env_entry(
    text: &str,
    file: &str,
    source: ConfigSource,
    name: Range<usize>,
    value: Option<String>,
    whole: Option<Range<usize>>,
) -> Option<Entry> {
    let (section, key) = airflow_key(&text[name.clone()])?;
    if section.is_empty() || key.is_empty() {
        return None;
    }
    Some(Entry {
        setting: setting_at(text, file, source, name.clone(), section, key, value),
        name,
        whole,
    })
}

/// `environment:` settings of a docker-compose file.
pub(crate) fn compose(text: &str, file: &str) -> Result<Vec<Entry>, ConfigProblem> {
    let mut out = Vec::new();
    for doc in documents(text, file)? {
        walk_compose(text, file, &doc, &mut out);
    }
    out.sort_by_key(|e| e.name.start);
    Ok(out)
}

fn walk_compose(text: &str, file: &str, node: &Node, out: &mut Vec<Entry>) {
    match node {
        Node::Map(pairs) => {
            for (k, v) in pairs {
                if k.scalar() == Some("environment") {
                    environment(text, file, v, out);
                } else {
                    walk_compose(text, file, v, out);
                }
            }
        }
        Node::Seq(items) => {
            for item in items {
                walk_compose(text, file, item, out);
            }
        }
        _ => {}
    }
}

fn environment(text: &str, file: &str, node: &Node, out: &mut Vec<Entry>) {
    match node {
        Node::Map(pairs) => {
            for (k, v) in pairs {
                let Node::Scalar { value, quoted, at } = k else {
                    continue;
                };
                let Some(name) = name_span(text, *at, *quoted, value) else {
                    continue;
                };
                let whole = entry_lines(text, *at);
                out.extend(env_entry(
                    text,
                    file,
                    ConfigSource::Compose,
                    name,
                    v.scalar().map(str::to_string),
                    whole,
                ));
            }
        }
        Node::Seq(items) => {
            for item in items {
                let Node::Scalar { value, quoted, at } = item else {
                    continue;
                };
                let (key, val) = match value.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (value.as_str(), None),
                };
                let Some(name) = name_span(text, *at, *quoted, key) else {
                    continue;
                };
                let whole = block_column(text, *at)
                    .and_then(|(_, dash)| dash)
                    .map(|dash| block(text, *at, dash));
                out.extend(env_entry(
                    text,
                    file,
                    ConfigSource::Compose,
                    name,
                    val,
                    whole,
                ));
            }
        }
        _ => {}
    }
}

/// `config:` and `env:` settings of a Helm values file (other values files set nothing).
pub(crate) fn helm(text: &str, file: &str) -> Result<Vec<Entry>, ConfigProblem> {
    let mut out = Vec::new();
    let docs = documents(text, file)?;
    let Some(root) = docs.first() else {
        return Ok(out);
    };
    if let Some(Node::Map(sections)) = root.get("config") {
        for (s, options) in sections {
            let (Some(section), Node::Map(options)) = (s.scalar(), options) else {
                continue;
            };
            for (k, v) in options {
                let Node::Scalar { value, quoted, at } = k else {
                    continue;
                };
                let Some(name) = name_span(text, *at, *quoted, value) else {
                    continue;
                };
                out.push(Entry {
                    setting: setting_at(
                        text,
                        file,
                        ConfigSource::HelmConfig,
                        name.clone(),
                        section.to_ascii_lowercase(),
                        value.to_ascii_lowercase(),
                        v.scalar().map(str::to_string),
                    ),
                    name,
                    whole: entry_lines(text, *at),
                });
            }
        }
    }
    if let Some(Node::Seq(items)) = root.get("env") {
        for item in items {
            let Some(Node::Scalar { value, quoted, at }) = item.get("name") else {
                continue;
            };
            let Some(name) = name_span(text, *at, *quoted, value) else {
                continue;
            };
            // the whole list item: from its `-` line while lines are deeper than the `-`
            let whole = match item {
                Node::Map(pairs) => pairs.first().and_then(|(k, _)| match k {
                    Node::Scalar { at, .. } => block_column(text, *at)
                        .and_then(|(_, dash)| dash)
                        .map(|dash| block(text, *at, dash)),
                    _ => None,
                }),
                _ => None,
            };
            let value = item.get("value").and_then(Node::scalar).map(str::to_string);
            out.extend(env_entry(
                text,
                file,
                ConfigSource::HelmEnv,
                name,
                value,
                whole,
            ));
        }
    }
    out.sort_by_key(|e| e.name.start);
    Ok(out)
}

/// Where the sections of `config:` are: the key of each (name, start of its key, its column)
/// and the lines of the whole `config:` block.
struct ConfigLayout {
    block: Range<usize>,
    sections: Vec<(String, usize, usize, Node)>,
}

fn config_layout(text: &str) -> Option<ConfigLayout> {
    let docs = documents(text, "").ok()?;
    let Node::Map(pairs) = docs.first()? else {
        return None;
    };
    let (key, value) = pairs.iter().find(|(k, _)| k.scalar() == Some("config"))?;
    let Node::Scalar { at, .. } = key else {
        return None;
    };
    let (column, _) = block_column(text, *at)?;
    let Node::Map(sections) = value else {
        return None;
    };
    let mut out = Vec::new();
    for (k, v) in sections {
        let Node::Scalar { value, at, .. } = k else {
            return None;
        };
        let (col, _) = block_column(text, *at)?;
        out.push((value.to_ascii_lowercase(), *at, col, v.clone()));
    }
    Some(ConfigLayout {
        block: block(text, *at, column),
        sections: out,
    })
}

/// Moves a Helm `config:` option to another section, named `key` there, its lines
/// re-indented; the section is made at the end of `config:` when missing, and a section the
/// move leaves empty becomes `{}` (a null would drop the chart's own defaults for it).
pub(crate) fn move_option(text: &str, entry: &Entry, section: &str, key: &str) -> Option<String> {
    let whole = entry.whole.clone()?;
    let layout = config_layout(text)?;
    let old_col = entry.name.start - line_start(text, entry.name.start);
    let (_, _, old_section_col, _) = layout
        .sections
        .iter()
        .find(|(name, ..)| *name == entry.setting.section)?;
    let depth = old_col.checked_sub(*old_section_col)?;
    let mut lines = text[whole.clone()].to_string();
    lines = splice(
        &lines,
        entry.name.start - whole.start..entry.name.end - whole.start,
        key,
    );
    if !lines.ends_with('\n') {
        lines.push_str(line_ending(text));
    }
    let without = splice(text, whole.clone(), "");
    // a section left with nothing becomes `{}`
    let without = match config_layout(&without)?
        .sections
        .iter()
        .find(|(name, ..)| *name == entry.setting.section)
    {
        Some((_, at, _, Node::Scalar { value, .. })) if value.is_empty() || value == "~" => {
            let colon = without[*at..].find(':')? + at + 1;
            let le = line_end(&without, colon);
            let rest = without[colon..le].trim_end_matches(['\n', '\r']);
            if rest.trim().is_empty() || rest.trim() == "~" {
                splice(&without, colon..colon + rest.len(), " {}")
            } else {
                without
            }
        }
        _ => without,
    };
    let layout = config_layout(&without)?;
    match layout.sections.iter().find(|(name, ..)| name == section) {
        Some((_, at, col, value)) => {
            let new_col = match value {
                Node::Map(children) if !children.is_empty() => match &children[0].0 {
                    Node::Scalar { at, .. } => block_column(&without, *at)?.0,
                    _ => return None,
                },
                Node::Map(_) => return None, // `{}`: flow style
                _ => col + depth,
            };
            let moved = reindent(&lines, old_col, new_col)?;
            let end = block(&without, *at, *col).end;
            Some(insert_lines(&without, end, &moved))
        }
        None => {
            let eol = line_ending(text);
            let moved = reindent(&lines, old_col, old_section_col + depth)?;
            let header = format!("{}{section}:{eol}", " ".repeat(*old_section_col));
            Some(insert_lines(
                &without,
                layout.block.end,
                &format!("{header}{moved}"),
            ))
        }
    }
}

/// `lines` with `from` leading spaces of each non-blank line replaced by `to` spaces.
fn reindent(lines: &str, from: usize, to: usize) -> Option<String> {
    let mut out = String::with_capacity(lines.len() + 16);
    for line in lines.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(line);
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent < from {
            return None;
        }
        out.push_str(&" ".repeat(to));
        out.push_str(&line[from..]);
    }
    Some(out)
}

/// `what` (whole lines) inserted at `at`, the start of a line or the end of the text.
fn insert_lines(text: &str, at: usize, what: &str) -> String {
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        let joined = format!(
            "{}{}",
            line_ending(text),
            what.trim_end_matches(['\n', '\r'])
        );
        return splice(text, at..at, &joined);
    }
    splice(text, at..at, what)
}
