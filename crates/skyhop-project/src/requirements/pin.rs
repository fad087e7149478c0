//! Pinning packages in requirements.txt without touching any other byte.

use std::ops::Range;

use super::Requirements;
use crate::text::line_ending;

/// A requirement that got `==version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub name: String,
    pub version: String,
    /// 1-based line edited; `None` when a new line was appended.
    pub line: Option<usize>,
    /// The specifier replaced (`>=3.0`), when there was one.
    pub was: Option<String>,
}

/// A requirement left alone because it is already pinned (or a direct URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyPinned {
    pub name: String,
    /// What it is pinned to (`==8.6.2`, `@ https://…`).
    pub spec: String,
    /// The version that was asked for.
    pub wanted: String,
    pub line: usize,
}

/// A requirement that could not be edited, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEdited {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// The outcome of [`Requirements::pin`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinResult {
    /// The new text of the root requirements file.
    pub new_text: String,
    pub pinned: Vec<Pinned>,
    pub already_pinned: Vec<AlreadyPinned>,
    pub not_edited: Vec<NotEdited>,
}

impl Requirements {
    /// Pins each `(name, version)` in the root file: an unpinned requirement line gets
    /// `==version` right after its name and extras (a range specifier such as `>=3.0` is
    /// replaced); a package with no line gets `name==version` appended at the end, in the file's
    /// line ending. Already-pinned lines and URLs are left alone and reported; requirements in
    /// included files are reported, not edited. Every other byte stays as it is.
    pub fn pin<N: AsRef<str>, V: AsRef<str>>(&self, pins: &[(N, V)]) -> PinResult {
        let root = self.root_text();
        let mut result = PinResult::default();
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        let mut appended = Vec::new();
        let mut seen = Vec::new();
        for (name, version) in pins {
            let (name, version) = (name.as_ref(), version.as_ref());
            let normalized = skyhop_core::normalize_name(name);
            if seen.contains(&normalized) {
                continue;
            }
            seen.push(normalized.clone());
            let found = self.find(name);
            if found.is_empty() {
                appended.push(format!("{name}=={version}"));
                result.pinned.push(Pinned {
                    name: name.to_string(),
                    version: version.to_string(),
                    line: None,
                    was: None,
                });
                continue;
            }
            for r in found {
                let not_edited = |reason: &str| NotEdited {
                    name: r.name.clone(),
                    file: r.file.clone(),
                    line: r.line,
                    reason: reason.to_string(),
                };
                if r.file_index != 0 {
                    result
                        .not_edited
                        .push(not_edited("it is in an included file; pin it there"));
                } else if r.editable {
                    result
                        .not_edited
                        .push(not_edited("it is an editable install"));
                } else if let Some(url) = &r.url {
                    result.already_pinned.push(AlreadyPinned {
                        name: r.name.clone(),
                        spec: format!("@ {url}"),
                        wanted: version.to_string(),
                        line: r.line,
                    });
                } else if r.pinned_version().is_some() {
                    result.already_pinned.push(AlreadyPinned {
                        name: r.name.clone(),
                        spec: r.specifier.clone().unwrap_or_default(),
                        wanted: version.to_string(),
                        line: r.line,
                    });
                } else if let (Some(span), Some(spec)) = (&r.spec_span, &r.specifier) {
                    edits.push((span.clone(), format!("=={version}")));
                    result.pinned.push(Pinned {
                        name: r.name.clone(),
                        version: version.to_string(),
                        line: Some(r.line),
                        was: Some(spec.clone()),
                    });
                } else if let (Some(at), None) = (r.insert_at, &r.specifier) {
                    edits.push((at..at, format!("=={version}")));
                    result.pinned.push(Pinned {
                        name: r.name.clone(),
                        version: version.to_string(),
                        line: Some(r.line),
                        was: None,
                    });
                } else {
                    result.not_edited.push(not_edited(
                        "its version specifier is split across lines; edit it by hand",
                    ));
                }
            }
        }
        edits.sort_by_key(|e| e.0.start);
        let mut out = String::with_capacity(root.len() + 64);
        let mut at = 0;
        for (range, text) in &edits {
            if range.start < at || range.end > root.len() {
                continue;
            }
            out.push_str(&root[at..range.start]);
            out.push_str(text);
            at = range.end;
        }
        out.push_str(&root[at..]);
        if !appended.is_empty() {
            let eol = line_ending(root);
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(eol);
            }
            // A last line ending in `\` continues onto the next one: end it with a blank line.
            let body = out.strip_suffix('\n').unwrap_or(&out);
            let last_line = body.strip_suffix('\r').unwrap_or(body).rsplit('\n').next();
            if out.ends_with('\n') && last_line.is_some_and(|l| l.ends_with('\\')) {
                out.push_str(eol);
            }
            for line in appended {
                out.push_str(&line);
                out.push_str(eol);
            }
        }
        result.new_text = out;
        result
    }
}
