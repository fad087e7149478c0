//! Small text helpers shared by the file readers: decoding bytes into text with precise errors,
//! line numbers of byte offsets, and [`Mapped`] strings that remember where each byte came from
//! so edits can land on the original bytes.

use std::ops::Range;
use std::path::Path;

/// Why a file's bytes are not usable text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The file could not be read (missing, permissions, a directory...).
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The file holds a NUL byte: it is binary, not text.
    #[error("binary file (NUL byte at column {column}), not text")]
    Binary { line: usize, column: usize },
    /// The file is not valid UTF-8.
    #[error("not UTF-8 text (invalid byte at column {column}); save the file as UTF-8")]
    NotUtf8 { line: usize, column: usize },
}

impl TextError {
    /// 1-based line of the problem; 0 when it concerns the whole file.
    pub fn line(&self) -> usize {
        match self {
            TextError::Io(_) => 0,
            TextError::Binary { line, .. } | TextError::NotUtf8 { line, .. } => *line,
        }
    }
}

/// `file:line: message` for a text problem (`file: message` when it has no line).
pub(crate) fn located(file: &str, error: &TextError) -> String {
    match error.line() {
        0 => format!("{file}: {error}"),
        l => format!("{file}:{l}: {error}"),
    }
}

/// Reads a file as UTF-8 text, refusing binary and non-UTF-8 content.
pub(crate) fn read_text(path: &Path) -> Result<String, TextError> {
    let bytes = std::fs::read(path).map_err(|e| TextError::Io(io_reason(&e)))?;
    decode(bytes)
}

/// A short reason for an I/O error, without the OS error number noise.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// Turns bytes into text: NUL bytes mean binary, invalid UTF-8 is reported with its position.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<String, TextError> {
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = line_col(&bytes, pos);
        return Err(TextError::Binary { line, column });
    }
    String::from_utf8(bytes).map_err(|e| {
        let pos = e.utf8_error().valid_up_to();
        let (line, column) = line_col(e.as_bytes(), pos);
        TextError::NotUtf8 { line, column }
    })
}

/// 1-based line and column (in bytes) of a byte offset.
fn line_col(bytes: &[u8], pos: usize) -> (usize, usize) {
    let pos = pos.min(bytes.len());
    let before = &bytes[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = pos
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, col)
}

/// 1-based line number of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line ending a file uses: `\r\n` when its first line ends so, else `\n`.
pub(crate) fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Physical lines of `text`: `(start offset, content without the line ending)`.
pub(crate) fn physical_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let mut content = &text[start..end];
        if let Some(c) = content.strip_suffix('\r') {
            content = c;
        }
        out.push((start, content));
        start = end + 1;
    }
    out
}

/// A string built from pieces of an original text, remembering for every byte the offset in the
/// original it was copied from (`None` for bytes that were made up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub text: String,
    pub map: Vec<Option<usize>>,
}

impl Mapped {
    /// Appends `s`, which sits in the original at `start`.
    pub fn push_original(&mut self, s: &str, start: usize) {
        self.text.push_str(s);
        self.map.extend((0..s.len()).map(|i| Some(start + i)));
    }

    /// Appends a char copied from `from` at byte `at`.
    pub fn push_char_from(&mut self, from: &Mapped, at: usize, ch: char) {
        let len = ch.len_utf8();
        self.text.push(ch);
        self.map.extend_from_slice(&from.map[at..at + len]);
    }

    /// Appends all of `other`, keeping its mapping.
    pub fn push_mapped(&mut self, other: &Mapped) {
        self.text.push_str(&other.text);
        self.map.extend_from_slice(&other.map);
    }

    /// The part `range` of this string, with its mapping.
    pub fn slice(&self, range: Range<usize>) -> Mapped {
        Mapped {
            text: self.text[range.clone()].to_string(),
            map: self.map[range].to_vec(),
        }
    }

    /// The original span of `range` when every byte of it was copied, in order and without gaps,
    /// from one place of the original; `None` otherwise (or for an empty range).
    pub fn original_span(&self, range: Range<usize>) -> Option<Range<usize>> {
        if range.is_empty() || range.end > self.map.len() {
            return None;
        }
        let first = self.map[range.start]?;
        for (i, m) in self.map[range.clone()].iter().enumerate() {
            if *m != Some(first + i) {
                return None;
            }
        }
        Some(first..first + range.len())
    }

    /// Removes leading and trailing ASCII whitespace.
    pub fn trim(&self) -> Mapped {
        let start = self.text.len() - self.text.trim_start().len();
        let end = self.text.trim_end().len().max(start);
        self.slice(start..end)
    }
}

/// `AIRFLOW__SECTION__KEY` → `(section, key)`, lower-cased; `None` for other names.
pub(crate) fn airflow_key(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix("AIRFLOW__")?;
    let (section, key) = rest.split_once("__")?;
    Some((section.to_ascii_lowercase(), key.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_reports_positions() {
        assert_eq!(decode(b"a\nb".to_vec()).unwrap(), "a\nb");
        assert_eq!(
            decode(b"FROM x\nab\0".to_vec()).unwrap_err(),
            TextError::Binary { line: 2, column: 3 }
        );
        assert_eq!(
            decode(b"FROM x\n\nRUN \xff".to_vec()).unwrap_err(),
            TextError::NotUtf8 { line: 3, column: 5 }
        );
    }

    #[test]
    fn lines_and_endings() {
        assert_eq!(
            physical_lines("a\r\nb\n\nc"),
            vec![(0, "a"), (3, "b"), (5, ""), (6, "c")]
        );
        assert_eq!(line_ending("a\r\nb\n"), "\r\n");
        assert_eq!(line_ending("a\nb\r\n"), "\n");
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }

    #[test]
    fn mapped_spans() {
        let mut m = Mapped::default();
        m.push_original("abc", 10);
        m.text.push('-');
        m.map.push(None);
        m.push_original("de", 20);
        assert_eq!(m.original_span(0..3), Some(10..13));
        assert_eq!(m.original_span(1..4), None);
        assert_eq!(m.original_span(4..6), Some(20..22));
        assert_eq!(m.original_span(2..2), None);
    }
}
