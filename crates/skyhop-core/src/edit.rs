//! The one edit engine of the fixes (ruff style): a [`Fix`] is edits of one file's text with
//! how safe it is ([`Applicability`]); [`apply`] makes them byte-exact, in order of their
//! ranges, skipping an edit that overlaps one already kept (the first kept wins,
//! deterministically); [`is_idempotent`] says whether fixing the fixed text again changes
//! nothing. The check's Python fixes and the upgrade's text fixes both go through [`apply`].

use std::ops::Range;

/// Whether a fix may be applied by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Keeps what the code means: applied by default.
    Safe,
    /// May change what the code does: applied only when asked for.
    Unsafe,
}

impl Applicability {
    /// [`Applicability::Safe`] when `safe`, else [`Applicability::Unsafe`].
    pub fn from_safe(safe: bool) -> Self {
        if safe { Self::Safe } else { Self::Unsafe }
    }

    /// Whether this is [`Applicability::Safe`].
    pub fn is_safe(self) -> bool {
        self == Self::Safe
    }
}

/// One byte range of a text replaced by `content` (an empty range inserts, an empty
/// `content` deletes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    /// Byte offsets into the text the edit was made for.
    pub range: Range<usize>,
    pub content: String,
}

impl Edit {
    /// `range` replaced by `content`.
    pub fn replacement(range: Range<usize>, content: impl Into<String>) -> Self {
        Self {
            range,
            content: content.into(),
        }
    }

    /// `content` inserted at `at`.
    pub fn insertion(at: usize, content: impl Into<String>) -> Self {
        Self::replacement(at..at, content)
    }

    /// `range` deleted.
    pub fn deletion(range: Range<usize>) -> Self {
        Self::replacement(range, String::new())
    }

    /// The whole of `text` replaced by `content` (a genuinely whole-file rewrite).
    pub fn whole(text: &str, content: impl Into<String>) -> Self {
        Self::replacement(0..text.len(), content)
    }
}

/// The edits of one fix of one file, and whether it is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A safe fix of `edits`.
    pub fn safe(edits: Vec<Edit>) -> Self {
        Self {
            applicability: Applicability::Safe,
            edits,
        }
    }

    /// An unsafe fix of `edits`.
    pub fn unsafe_edits(edits: Vec<Edit>) -> Self {
        Self {
            applicability: Applicability::Unsafe,
            edits,
        }
    }
}

/// `edits` made to `text`: the new text and the indices (into `edits`) of the edits made, in
/// the order of their ranges.
///
/// Edits are taken from the end of the text back (by `(start, end)`, ties in the order
/// given); an edit whose range ends after the start of one already taken overlaps it and is
/// skipped, as is one outside `text` or off a character boundary. Insertions at the same
/// offset are all made, the one given first ending up last.
pub fn apply(text: &str, edits: &[Edit]) -> (String, Vec<usize>) {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((edits[i].range.start, edits[i].range.end)));
    let mut out = text.to_string();
    let mut last_start: Option<usize> = None;
    let mut applied = Vec::new();
    for i in order {
        let r = &edits[i].range;
        if last_start.is_some_and(|s| r.end > s) {
            continue; // overlapping edit: keep the first one
        }
        if r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        out.replace_range(r.clone(), &edits[i].content);
        last_start = Some(r.start);
        applied.push(i);
    }
    applied.reverse();
    (out, applied)
}

/// [`apply`] of the edits of every fix in `fixes` whose applicability is allowed (safe ones
/// always, unsafe ones with `unsafe_fixes`): the new text and, per edit made, the index of
/// its fix.
pub fn apply_fixes(text: &str, fixes: &[Fix], unsafe_fixes: bool) -> (String, Vec<usize>) {
    let mut edits = Vec::new();
    let mut of = Vec::new();
    for (i, f) in fixes.iter().enumerate() {
        if f.applicability.is_safe() || unsafe_fixes {
            for e in &f.edits {
                edits.push(e.clone());
                of.push(i);
            }
        }
    }
    let (out, applied) = apply(text, &edits);
    (out, applied.into_iter().map(|i| of[i]).collect())
}

/// Whether fixing is idempotent on `text`: `fix` (a text to its fixed text) changes nothing of
/// what it made of `text`.
pub fn is_idempotent(text: &str, fix: impl Fn(&str) -> String) -> bool {
    let once = fix(text);
    fix(&once) == once
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_range_order_byte_exact() {
        let text = "a = 1\r\nb = 2\n";
        let edits = vec![
            Edit::replacement(11..12, "3"),
            Edit::replacement(0..1, "x"),
            Edit::insertion(text.len(), "c = 4\n"),
        ];
        let (out, applied) = apply(text, &edits);
        assert_eq!(out, "x = 1\r\nb = 3\nc = 4\n");
        assert_eq!(applied, vec![1, 0, 2]);
    }

    #[test]
    fn overlapping_edit_is_skipped_first_kept() {
        let text = "abcdef";
        let edits = vec![
            Edit::replacement(1..4, "X"),
            Edit::replacement(2..5, "Y"),
            Edit::deletion(0..1),
        ];
        // from the end back: 2..5 first, then 1..4 overlaps it, then 0..1
        let (out, applied) = apply(text, &edits);
        assert_eq!(out, "bYf");
        assert_eq!(applied, vec![2, 1]);
        // the same range twice: the one given first is kept
        let (out, applied) = apply(
            text,
            &[Edit::replacement(1..2, "1"), Edit::replacement(1..2, "2")],
        );
        assert_eq!((out.as_str(), applied), ("a1cdef", vec![0]));
    }

    #[test]
    fn insertions_at_one_offset_and_bad_ranges() {
        let (out, applied) = apply("ab", &[Edit::insertion(1, "1"), Edit::insertion(1, "2")]);
        assert_eq!((out.as_str(), applied), ("a21b", vec![1, 0]));
        let (out, applied) = apply("é", &[Edit::deletion(0..1), Edit::deletion(3..4)]);
        assert_eq!((out.as_str(), applied), ("é", vec![]));
    }

    #[test]
    fn fixes_by_applicability_and_idempotence() {
        let text = "x = a";
        let fixes = vec![
            Fix::unsafe_edits(vec![Edit::replacement(0..1, "y")]),
            Fix::safe(vec![Edit::replacement(4..5, "b")]),
        ];
        assert_eq!(apply_fixes(text, &fixes, false), ("x = b".into(), vec![1]));
        assert_eq!(
            apply_fixes(text, &fixes, true),
            ("y = b".into(), vec![0, 1])
        );
        let rename = |t: &str| t.replace(" a", " b");
        assert!(is_idempotent(text, rename));
        assert!(!is_idempotent(text, |t: &str| format!("{t}!")));
    }
}
