//! requirements.txt the way pip reads it: line continuations, comments, options (`-r`, `-c`,
//! `--index-url`…), per-requirement options (`--hash`), PEP 508 requirements (via `pep508_rs`),
//! unnamed URL requirements, and includes followed relative to the including file with cycles
//! detected. Every requirement keeps its file and line, and [`Requirements::pin`] edits the
//! original text byte-exactly.

mod pin;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::pep440_rs::Operator;
use pep508_rs::{Requirement as Pep508Requirement, VersionOrUrl};

pub use pin::{AlreadyPinned, NotEdited, PinResult, Pinned};

use crate::text::{Mapped, TextError, physical_lines, read_text};

/// A problem in a requirements file, with the file, 1-based line and the line's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RequirementsError {
    /// The file as shown to the user (`requirements.txt`, `requirements/dev.txt`).
    pub file: String,
    /// 1-based line (0: the whole file).
    pub line: usize,
    /// The logical line, comments removed (empty when the problem concerns the whole file).
    pub text: String,
    /// What is wrong.
    pub kind: RequirementsErrorKind,
}

impl fmt::Display for RequirementsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.kind)?,
            l => write!(f, "{}:{l}: {}", self.file, self.kind)?,
        }
        if !self.text.is_empty() {
            write!(f, "\n    {}", self.text)?;
            if let RequirementsErrorKind::Invalid {
                column: Some(c),
                width,
                ..
            } = &self.kind
            {
                write!(f, "\n    {}{}", " ".repeat(*c), "^".repeat((*width).max(1)))?;
            }
        }
        Ok(())
    }
}

/// What is wrong with a requirements line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementsErrorKind {
    #[error("{0}")]
    Text(TextError),
    #[error("cannot read `{path}` included here: {reason}")]
    Include { path: String, reason: String },
    #[error("`{path}` includes itself through {chain}; remove one of the -r/-c lines")]
    Cycle { path: String, chain: String },
    #[error("not a valid requirement (PEP 508): {message}")]
    Invalid {
        message: String,
        /// 0-based column (in characters) of the problem inside the shown text.
        column: Option<usize>,
        width: usize,
    },
    #[error("unknown option `{0}`; pip does not accept it in a requirements file")]
    UnknownOption(String),
    #[error("the option `{0}` needs a value")]
    MissingValue(String),
}

/// An include that failed: at the `-r` line itself, or inside the included file.
enum IncludeError {
    Here(RequirementsErrorKind),
    Inside(RequirementsError),
}

/// One named requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The name as written.
    pub name: String,
    /// PEP 503 normalized name.
    pub normalized: String,
    pub extras: Vec<String>,
    /// Version specifiers (`>=2.1,<2.3`), normalized, when given.
    pub specifier: Option<String>,
    /// The URL of a direct reference (`name @ https://…`, `-e git+https://…#egg=name`).
    pub url: Option<String>,
    /// The environment marker (`python_version < "3.12"`), when given.
    pub marker: Option<String>,
    /// `--hash=` values.
    pub hashes: Vec<String>,
    /// Whether it came from `-e` / `--editable`.
    pub editable: bool,
    /// The file as shown to the user.
    pub file: String,
    /// 1-based line where the requirement starts.
    pub line: usize,
    /// The requirement as written (continuations joined, comment removed).
    pub text: String,
    pub(crate) file_index: usize,
    /// Original offset just after the name and extras: where `==version` goes.
    pub(crate) insert_at: Option<usize>,
    /// Original span of the version specifier text.
    pub(crate) spec_span: Option<Range<usize>>,
}

impl Requirement {
    /// Whether the version is pinned exactly (`==1.2.3` or `===1.2.3`, no wildcard) or the
    /// requirement is a direct URL.
    pub fn is_pinned(&self) -> bool {
        self.url.is_some() || self.pinned_version().is_some()
    }

    /// The exact version when pinned with `==` / `===`.
    pub fn pinned_version(&self) -> Option<String> {
        let spec = self.specifier.as_deref()?;
        let specs = pep508_rs::pep440_rs::VersionSpecifiers::from_str(spec).ok()?;
        specs
            .iter()
            .find(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual))
            .map(|s| s.version().to_string())
    }
}

/// A URL or path requirement whose name is not written (`./mypkg`, `https://…/x.tar.gz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unnamed {
    pub target: String,
    pub editable: bool,
    pub file: String,
    pub line: usize,
}

/// A global option line (`--index-url URL`, `--pre`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionLine {
    /// The long option name (`--index-url`, also for `-i`).
    pub name: String,
    pub value: Option<String>,
    pub file: String,
    pub line: usize,
}

/// An `-r` / `-c` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The path or URL as written.
    pub target: String,
    /// `-c` (constraints) rather than `-r`.
    pub constraint: bool,
    /// Whether skyhop read it (URLs are not fetched).
    pub followed: bool,
    pub file: String,
    pub line: usize,
}

/// Package index options gathered from every file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexUrls {
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub trusted_hosts: Vec<String>,
    pub no_index: bool,
}

/// A file read while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementsFile {
    pub path: PathBuf,
    pub display: String,
    pub text: String,
}

/// A parsed requirements file with everything it includes.
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    files: Vec<RequirementsFile>,
    requirements: Vec<Requirement>,
    constraints: Vec<Requirement>,
    unnamed: Vec<Unnamed>,
    options: Vec<OptionLine>,
    includes: Vec<Include>,
}

impl Requirements {
    /// Reads `path` and everything it includes; errors call it `display` (`requirements.txt`).
    pub fn read(path: &Path, display: &str) -> Result<Requirements, RequirementsError> {
        let mut reqs = Requirements::default();
        let text = read_text(path).map_err(|e| RequirementsError {
            file: display.to_string(),
            line: e.line(),
            text: String::new(),
            kind: RequirementsErrorKind::Text(e),
        })?;
        let mut stack = vec![(canonical(path), display.to_string())];
        reqs.parse_file(path, display, text, false, &mut stack)?;
        Ok(reqs)
    }

    /// Reads `path`, naming it by its path in errors.
    pub fn parse(path: &Path) -> Result<Requirements, RequirementsError> {
        Requirements::read(path, &path.display().to_string())
    }

    /// Parses text as if read from `path` (includes are looked up next to `path`).
    pub fn parse_str(
        text: &str,
        path: &Path,
        display: &str,
    ) -> Result<Requirements, RequirementsError> {
        let mut reqs = Requirements::default();
        let mut stack = vec![(canonical(path), display.to_string())];
        reqs.parse_file(path, display, text.to_string(), false, &mut stack)?;
        Ok(reqs)
    }

    /// Named requirements of every `-r` file, in file order (constraints excluded).
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Requirements of `-c` constraint files.
    pub fn constraints(&self) -> &[Requirement] {
        &self.constraints
    }

    /// URL/path requirements without a name.
    pub fn unnamed(&self) -> &[Unnamed] {
        &self.unnamed
    }

    /// Global option lines, in order.
    pub fn options(&self) -> &[OptionLine] {
        &self.options
    }

    /// `-r` / `-c` lines.
    pub fn includes(&self) -> &[Include] {
        &self.includes
    }

    /// Every file read; the first is the one asked for.
    pub fn files(&self) -> &[RequirementsFile] {
        &self.files
    }

    /// The text of the file asked for.
    pub fn root_text(&self) -> &str {
        self.files.first().map_or("", |f| f.text.as_str())
    }

    /// Index options (last `--index-url` wins, as in pip).
    pub fn index_urls(&self) -> IndexUrls {
        let mut out = IndexUrls::default();
        for o in &self.options {
            let v = o.value.clone().unwrap_or_default();
            match o.name.as_str() {
                "--index-url" => out.index_url = Some(v),
                "--extra-index-url" => out.extra_index_urls.push(v),
                "--find-links" => out.find_links.push(v),
                "--trusted-host" => out.trusted_hosts.push(v),
                "--no-index" => out.no_index = true,
                _ => {}
            }
        }
        out
    }

    /// The requirements of a package, by any spelling of its name.
    pub fn find(&self, name: &str) -> Vec<&Requirement> {
        let n = skyhop_core::normalize_name(name);
        self.requirements
            .iter()
            .filter(|r| r.normalized == n)
            .collect()
    }

    fn parse_file(
        &mut self,
        path: &Path,
        display: &str,
        text: String,
        constraint: bool,
        stack: &mut Vec<(PathBuf, String)>,
    ) -> Result<(), RequirementsError> {
        let file_index = self.files.len();
        self.files.push(RequirementsFile {
            path: path.to_path_buf(),
            display: display.to_string(),
            text: text.clone(),
        });
        for (line, logical) in logical_lines(&text) {
            let err = |kind| RequirementsError {
                file: display.to_string(),
                line,
                text: logical.text.clone(),
                kind,
            };
            if logical.text.starts_with('-') && !logical.text.starts_with("--hash") {
                let (name, value) = split_option(&logical.text).map_err(err)?;
                match name {
                    "--requirement" | "--constraint" => {
                        let value = value.unwrap_or_default();
                        let is_constraint = name == "--constraint";
                        self.include(
                            path,
                            display,
                            line,
                            &value,
                            is_constraint || constraint,
                            is_constraint,
                            stack,
                        )
                        .map_err(|e| match e {
                            IncludeError::Here(kind) => err(kind),
                            IncludeError::Inside(inner) => inner,
                        })?;
                    }
                    "--editable" => {
                        let value = value.unwrap_or_default();
                        let target = value.trim();
                        match name_from_url(target) {
                            Some(n) => self.push(
                                Requirement {
                                    normalized: skyhop_core::normalize_name(&n),
                                    name: n,
                                    extras: Vec::new(),
                                    specifier: None,
                                    url: Some(target.to_string()),
                                    marker: None,
                                    hashes: Vec::new(),
                                    editable: true,
                                    file: display.to_string(),
                                    line,
                                    text: logical.text.clone(),
                                    file_index,
                                    insert_at: None,
                                    spec_span: None,
                                },
                                constraint,
                            ),
                            None => self.unnamed.push(Unnamed {
                                target: target.to_string(),
                                editable: true,
                                file: display.to_string(),
                                line,
                            }),
                        }
                    }
                    _ => self.options.push(OptionLine {
                        name: name.to_string(),
                        value,
                        file: display.to_string(),
                        line,
                    }),
                }
                continue;
            }
            self.requirement_line(&logical, display, line, file_index, constraint)
                .map_err(err)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn include(
        &mut self,
        from: &Path,
        from_display: &str,
        line: usize,
        target: &str,
        constraint: bool,
        is_constraint_line: bool,
        stack: &mut Vec<(PathBuf, String)>,
    ) -> Result<(), IncludeError> {
        let is_url = target.contains("://");
        self.includes.push(Include {
            target: target.to_string(),
            constraint: is_constraint_line,
            followed: !is_url,
            file: from_display.to_string(),
            line,
        });
        if is_url {
            return Ok(());
        }
        let base = from.parent().unwrap_or(Path::new(""));
        let path = base.join(target);
        let display = match Path::new(from_display).parent() {
            Some(p) if !p.as_os_str().is_empty() && !Path::new(target).is_absolute() => {
                format!("{}/{target}", p.display())
            }
            _ => target.to_string(),
        };
        let canon = canonical(&path);
        if let Some(pos) = stack.iter().position(|(p, _)| *p == canon) {
            let mut chain: Vec<String> = stack[pos..].iter().map(|(_, d)| d.clone()).collect();
            chain.push(display.clone());
            return Err(IncludeError::Here(RequirementsErrorKind::Cycle {
                path: display,
                chain: chain.join(" -> "),
            }));
        }
        let text = read_text(&path).map_err(|e| {
            IncludeError::Here(RequirementsErrorKind::Include {
                path: display.clone(),
                reason: match e {
                    TextError::Io(reason) => reason,
                    other => other.to_string(),
                },
            })
        })?;
        stack.push((canon, display.clone()));
        let result = self.parse_file(&path, &display, text, constraint, stack);
        stack.pop();
        // Problems inside the included file keep their own file and line.
        result.map_err(IncludeError::Inside)
    }

    fn requirement_line(
        &mut self,
        logical: &Mapped,
        display: &str,
        line: usize,
        file_index: usize,
        constraint: bool,
    ) -> Result<(), RequirementsErrorKind> {
        // Per-requirement options start at the first word beginning with `-`.
        let text = &logical.text;
        let mut req_end = text.len();
        let mut pos = 0;
        for word in text.split_whitespace() {
            let at = pos + text[pos..].find(word).unwrap_or(0);
            if word.starts_with('-') && at > 0 {
                req_end = at;
                break;
            }
            pos = at + word.len();
        }
        let req = logical.slice(0..req_end).trim();
        let hashes = per_requirement_options(&text[req_end..])?;
        if req.text.is_empty() {
            return Err(RequirementsErrorKind::Invalid {
                message: "options without a requirement".into(),
                column: None,
                width: 0,
            });
        }

        if looks_unnamed(&req.text) {
            // pip separates a URL's marker with whitespace and `;` (URLs may hold `;`).
            let (target, marker) = match req.text.split_once(" ;") {
                Some((t, m)) => (t.trim().to_string(), Some(m.trim().to_string())),
                None => (req.text.clone(), None),
            };
            match name_from_url(&target) {
                Some(n) => self.push(
                    Requirement {
                        normalized: skyhop_core::normalize_name(&n),
                        name: n,
                        extras: Vec::new(),
                        specifier: None,
                        url: Some(target),
                        marker,
                        hashes,
                        editable: false,
                        file: display.to_string(),
                        line,
                        text: logical.text.clone(),
                        file_index,
                        insert_at: None,
                        spec_span: None,
                    },
                    constraint,
                ),
                None => self.unnamed.push(Unnamed {
                    target,
                    editable: false,
                    file: display.to_string(),
                    line,
                }),
            }
            return Ok(());
        }

        if let Some(at) = non_ascii_outside_quotes(&req.text) {
            // Names, versions and markers are ASCII (and pep508_rs 0.9 can panic on such input).
            let ch = req.text[at..].chars().next().unwrap_or('?');
            return Err(RequirementsErrorKind::Invalid {
                message: format!(
                    "unexpected character `{ch}`: names, versions and markers are plain ASCII"
                ),
                column: Some(req.text[..at].chars().count()),
                width: 1,
            });
        }
        let name_len = req
            .text
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(req.text.len());
        if let Some(last) = req.text[..name_len].chars().last()
            && matches!(last, '-' | '_' | '.')
        {
            // pep508_rs 0.9 panics on such names; say what is wrong ourselves.
            return Err(RequirementsErrorKind::Invalid {
                message: format!("a package name must end with a letter or digit, not `{last}`"),
                column: Some(name_len - 1),
                width: 1,
            });
        }
        let parsed = Pep508Requirement::<pep508_rs::VerbatimUrl>::from_str(&req.text)
            .map_err(|e| invalid(&e, &req.text))?;
        let (specifier, url) = match &parsed.version_or_url {
            None => (None, None),
            Some(VersionOrUrl::VersionSpecifier(s)) => (Some(s.to_string()), None),
            Some(VersionOrUrl::Url(u)) => (
                None,
                Some(u.given().map_or_else(|| u.to_string(), str::to_string)),
            ),
        };
        let (insert_at, spec_span) = edit_points(&req);
        let name_written: String = req
            .text
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        self.push(
            Requirement {
                normalized: parsed.name.to_string(),
                name: name_written,
                extras: parsed.extras.iter().map(|e| e.to_string()).collect(),
                specifier: specifier.filter(|s| !s.is_empty()),
                url,
                marker: parsed.marker.try_to_string(),
                hashes,
                editable: false,
                file: display.to_string(),
                line,
                text: logical.text.clone(),
                file_index,
                insert_at,
                spec_span,
            },
            constraint,
        );
        Ok(())
    }

    fn push(&mut self, r: Requirement, constraint: bool) {
        if constraint {
            self.constraints.push(r);
        } else {
            self.requirements.push(r);
        }
    }
}

/// Logical lines as pip builds them: `\` continuations joined, comments removed, trimmed;
/// empty lines skipped. Yields `(first 1-based line, text with its original offsets)`.
pub(crate) fn logical_lines(text: &str) -> Vec<(usize, Mapped)> {
    let lines = physical_lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = i + 1;
        let mut logical = Mapped::default();
        loop {
            let (start, content) = lines[i];
            i += 1;
            let is_comment = content.trim_start().starts_with('#');
            if !is_comment && content.ends_with('\\') && i < lines.len() {
                let kept = content.trim_end_matches('\\');
                logical.push_original(kept, start);
                continue;
            }
            if !is_comment || logical.text.is_empty() {
                let kept = content.trim_end_matches('\\');
                logical.push_original(kept, start);
            }
            break;
        }
        // A comment starts at `#` at the start of the line or after whitespace.
        let cut = comment_start(&logical.text);
        let logical = logical.slice(0..cut).trim();
        if !logical.text.is_empty() {
            out.push((first, logical));
        }
    }
    out
}

fn comment_start(s: &str) -> usize {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            // Include the whitespace before it.
            return s[..i].trim_end().len();
        }
    }
    s.len()
}

/// Splits `-r file`, `-rfile`, `--requirement=file`, `--pre` into the long name and the value.
fn split_option(line: &str) -> Result<(&'static str, Option<String>), RequirementsErrorKind> {
    const OPTIONS: &[(&str, Option<&str>, bool)] = &[
        // (long, short, takes a value)
        ("--requirement", Some("-r"), true),
        ("--constraint", Some("-c"), true),
        ("--editable", Some("-e"), true),
        ("--index-url", Some("-i"), true),
        ("--extra-index-url", None, true),
        ("--find-links", Some("-f"), true),
        ("--trusted-host", None, true),
        ("--no-index", None, false),
        ("--pre", None, false),
        ("--prefer-binary", None, false),
        ("--only-binary", None, true),
        ("--no-binary", None, true),
        ("--require-hashes", None, false),
        ("--use-feature", None, true),
        ("--config-settings", None, true),
    ];
    let word_end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let word = &line[..word_end];
    for &(long, short, takes) in OPTIONS {
        let rest = if word == long {
            Some(&line[word_end..])
        } else {
            short
                .filter(|s| line.starts_with(s) && !line.starts_with("--"))
                .map(|s| &line[s.len()..])
        };
        let Some(rest) = rest else { continue };
        let value = rest.trim_start_matches('=').trim();
        if !takes {
            return Ok((long, None));
        }
        if value.is_empty() {
            return Err(RequirementsErrorKind::MissingValue(long.to_string()));
        }
        return Ok((long, Some(value.to_string())));
    }
    Err(RequirementsErrorKind::UnknownOption(word.to_string()))
}

/// `--hash=…` (kept) and the other per-requirement options pip accepts (ignored).
fn per_requirement_options(s: &str) -> Result<Vec<String>, RequirementsErrorKind> {
    let mut hashes = Vec::new();
    let mut words = s.split_whitespace();
    while let Some(w) = words.next() {
        let (name, inline) = match w.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (w, None),
        };
        match name {
            "--hash" | "--global-option" | "--install-option" | "--config-settings" | "-C" => {
                let value = match inline {
                    Some(v) => v,
                    None => words
                        .next()
                        .map(str::to_string)
                        .ok_or_else(|| RequirementsErrorKind::MissingValue(name.to_string()))?,
                };
                if name == "--hash" {
                    hashes.push(value);
                }
            }
            _ => return Err(RequirementsErrorKind::UnknownOption(name.to_string())),
        }
    }
    Ok(hashes)
}

/// A URL or path with no `name @` in front (`./pkg`, `git+https://…#egg=x`, `x-1.0.whl`).
fn looks_unnamed(req: &str) -> bool {
    if let Some((head, _)) = req.split_once('@') {
        let head = head.trim();
        let is_name = !head.is_empty()
            && head.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']' | ',' | ' ')
            });
        if is_name {
            return false;
        }
    }
    let first = req.split_whitespace().next().unwrap_or(req);
    let first = first.split(';').next().unwrap_or(first);
    first.contains("://")
        || first.starts_with(['.', '/', '~'])
        || first.starts_with("file:")
        || [".whl", ".tar.gz", ".zip", ".tgz"]
            .iter()
            .any(|e| first.ends_with(e))
}

/// The project name of a URL requirement: `#egg=name`, or a wheel / sdist file name.
fn name_from_url(url: &str) -> Option<String> {
    if let Some(i) = url.find("#egg=") {
        let egg = &url[i + 5..];
        let name: String = egg
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        return (!name.is_empty()).then_some(name);
    }
    let file = url.rsplit('/').next()?;
    if let Some(stem) = file.strip_suffix(".whl") {
        return stem.split('-').next().map(str::to_string);
    }
    for ext in [".tar.gz", ".zip", ".tgz"] {
        if let Some(stem) = file.strip_suffix(ext) {
            return stem.rsplit_once('-').map(|(n, _)| n.to_string());
        }
    }
    None
}

/// Where `==version` goes (after name and extras) and where the specifier is, in the original.
fn edit_points(req: &Mapped) -> (Option<usize>, Option<Range<usize>>) {
    let text = &req.text;
    let mut end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let after_ws = |i: usize| i + (text[i..].len() - text[i..].trim_start().len());
    let j = after_ws(end);
    if text[j..].starts_with('[')
        && let Some(close) = text[j..].find(']')
    {
        end = j + close + 1;
    }
    let insert_at = (end > 0)
        .then(|| req.original_span(end - 1..end))
        .flatten()
        .map(|r| r.end);
    let s = after_ws(end);
    let spec_span = if text[s..].starts_with(['<', '>', '=', '!', '~']) {
        let stop = text[s..].find(';').map_or(text.len(), |i| s + i);
        let spec_end = s + text[s..stop].trim_end().len();
        req.original_span(s..spec_end)
    } else {
        None
    };
    (insert_at, spec_span)
}

fn invalid(e: &pep508_rs::Pep508Error, input: &str) -> RequirementsErrorKind {
    // `Pep508Error`'s own Display can panic on odd spans; build the message here. Its span is
    // in bytes of `input`; the caret is placed in characters.
    let column = input.get(..e.start).map(|s| s.chars().count());
    let width = input
        .get(e.start..(e.start + e.len).min(input.len()))
        .map_or(1, |s| s.chars().count());
    RequirementsErrorKind::Invalid {
        message: e.message.to_string(),
        column,
        width: width.max(1),
    }
}

/// Byte index of the first non-ASCII character outside quotes and outside a `@ url` token.
fn non_ascii_outside_quotes(text: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        Plain,
        Quoted(char),
        BeforeUrl,
        Url,
    }
    let mut state = State::Plain;
    for (i, c) in text.char_indices() {
        state = match state {
            State::Quoted(q) if c == q => State::Plain,
            State::Quoted(q) => State::Quoted(q),
            State::BeforeUrl if c.is_whitespace() => State::BeforeUrl,
            State::BeforeUrl | State::Url if !c.is_whitespace() => State::Url,
            State::Plain if c == '\'' || c == '"' => State::Quoted(c),
            State::Plain if c == '@' => State::BeforeUrl,
            State::Plain if !c.is_ascii() => return Some(i),
            _ => State::Plain,
        };
    }
    None
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests;
