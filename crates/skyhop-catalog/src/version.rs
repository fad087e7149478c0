//! Astro Runtime version numbers: the two schemes, their total order, parsing and image tags.
//!
//! - Airflow 2 era: `major.minor.patch` (`11.3.0`), each major ships one Airflow minor.
//! - Airflow 3 era: `X.Y-Z` (`3.1-12`): `X.Y` is the Airflow minor, `Z` Astronomer's build number.
//!
//! The order is the Astro CLI's (`CompareRuntimeVersions`): every `X.Y-Z` version is newer than
//! every `major.minor.patch` one (`2.1.1 < 3.0.0 < 13.5.0 < 3.0-7 < 3.1-1`); within a scheme the
//! numbers compare in order.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An Astro Runtime version in either scheme. `Ord` is the Astro CLI's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuntimeVersion {
    /// Airflow 2 era `major.minor.patch`, e.g. `11.3.0`.
    Semver { major: u32, minor: u32, patch: u32 },
    /// Airflow 3 era `X.Y-Z`, e.g. `3.1-12` (Airflow 3.1, build 12).
    Airflow3 { major: u32, minor: u32, build: u32 },
}

/// The two numbering schemes of Astro Runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// `major.minor.patch`, images in `quay.io/astronomer/astro-runtime`.
    Semver,
    /// `X.Y-Z`, images in `astrocrpublic.azurecr.io/runtime`.
    Airflow3,
}

/// Image repository of Airflow 2 era runtimes (Runtime 13.x and older).
pub const AF2_IMAGE_REPOSITORY: &str = "quay.io/astronomer/astro-runtime";
/// Image repository of Airflow 3 era runtimes (`X.Y-Z`).
pub const AF3_IMAGE_REPOSITORY: &str = "astrocrpublic.azurecr.io/runtime";

impl Scheme {
    /// The image repository of runtimes of this scheme.
    pub fn image_repository(self) -> &'static str {
        match self {
            Scheme::Semver => AF2_IMAGE_REPOSITORY,
            Scheme::Airflow3 => AF3_IMAGE_REPOSITORY,
        }
    }

    /// How image tags of this scheme are written (variants in the order Astronomer uses).
    pub fn tag_format(self) -> &'static str {
        match self {
            Scheme::Semver => "MAJOR.MINOR.PATCH[-python-X.Y][-slim][-base]",
            Scheme::Airflow3 => "X.Y-Z[-ubi9][-python-X.Y][-slim][-base]",
        }
    }
}

/// A Runtime line: a major of the `major.minor.patch` scheme (`11`) or an Airflow minor of the
/// `X.Y-Z` scheme (`3.1`). Upgrade considerations are attached to lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Line {
    /// Runtime major `N` (`N.x.y`).
    Major(u32),
    /// Airflow 3 era line `X.Y` (`X.Y-*`).
    Airflow3(u32, u32),
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Line::Major(m) => write!(f, "{m}"),
            Line::Airflow3(x, y) => write!(f, "{x}.{y}"),
        }
    }
}

impl FromStr for Line {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let num = |p: &str| {
            p.parse::<u32>()
                .map_err(|_| format!("bad Runtime line `{s}`"))
        };
        match s.split_once('.') {
            None => Ok(Line::Major(num(s)?)),
            Some((x, y)) => Ok(Line::Airflow3(num(x)?, num(y)?)),
        }
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a string is not a Runtime version. Messages say what a full version looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("empty Runtime version: {HINT}")]
    Empty,
    #[error("`{0}` is a floating tag, not a version: {HINT}")]
    Floating(String),
    #[error("`{0}` is a partial version: {HINT}")]
    Partial(String),
    #[error("`{0}` has too many parts: {HINT}")]
    TooManyParts(String),
    #[error("`{input}` is not a Runtime version ({problem}): {HINT}")]
    Invalid { input: String, problem: String },
    #[error("`{input}` is an image tag, not a version: pass `{version}` (without `{suffix}`)")]
    TagSuffix {
        input: String,
        version: String,
        suffix: String,
    },
}

const HINT: &str = "a Runtime version is a full `major.minor.patch` such as 11.8.0, or `X.Y-Z` \
                    for Airflow 3 runtimes such as 3.1-12 (`skyhop versions` lists them)";

impl VersionError {
    fn invalid(input: &str, problem: impl Into<String>) -> Self {
        VersionError::Invalid {
            input: input.to_string(),
            problem: problem.into(),
        }
    }
}

impl RuntimeVersion {
    /// Parses `11.3.0` or `3.1-12`, strictly: no suffix, no leading zeros, no `v` prefix.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let (v, suffix) = split_runtime_tag(s)?;
        if suffix.is_empty() {
            Ok(v)
        } else {
            Err(VersionError::TagSuffix {
                input: s.to_string(),
                version: v.to_string(),
                suffix,
            })
        }
    }

    /// Which scheme the version is written in.
    pub fn scheme(&self) -> Scheme {
        match self {
            RuntimeVersion::Semver { .. } => Scheme::Semver,
            RuntimeVersion::Airflow3 { .. } => Scheme::Airflow3,
        }
    }

    /// The line: Runtime major for `11.3.0` (`11`), Airflow minor for `3.1-12` (`3.1`).
    pub fn line(&self) -> Line {
        match *self {
            RuntimeVersion::Semver { major, .. } => Line::Major(major),
            RuntimeVersion::Airflow3 { major, minor, .. } => Line::Airflow3(major, minor),
        }
    }

    /// The Runtime major as the Astro CLI defines it (`11` for `11.3.0`, `3` for `3.1-12`).
    pub fn major(&self) -> u32 {
        match *self {
            RuntimeVersion::Semver { major, .. } | RuntimeVersion::Airflow3 { major, .. } => major,
        }
    }

    /// The Airflow major the runtime ships: 2 for `major.minor.patch`, `X` for `X.Y-Z`.
    pub fn airflow_major(&self) -> u32 {
        match *self {
            RuntimeVersion::Semver { .. } => 2,
            RuntimeVersion::Airflow3 { major, .. } => major,
        }
    }

    /// The image repository of this version's era.
    pub fn image_repository(&self) -> &'static str {
        self.scheme().image_repository()
    }

    fn key(&self) -> (u8, u32, u32, u32) {
        match *self {
            RuntimeVersion::Semver {
                major,
                minor,
                patch,
            } => (0, major, minor, patch),
            RuntimeVersion::Airflow3 {
                major,
                minor,
                build,
            } => (1, major, minor, build),
        }
    }
}

impl Ord for RuntimeVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for RuntimeVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for RuntimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeVersion::Semver {
                major,
                minor,
                patch,
            } => write!(f, "{major}.{minor}.{patch}"),
            RuntimeVersion::Airflow3 {
                major,
                minor,
                build,
            } => write!(f, "{major}.{minor}-{build}"),
        }
    }
}

impl FromStr for RuntimeVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, VersionError> {
        RuntimeVersion::parse(s)
    }
}

impl Serialize for RuntimeVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RuntimeVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RuntimeVersion::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Splits an image tag into the Runtime version and the rest, which starts with `-` or is
/// empty: `11.3.0-python-3.11-base` → (`11.3.0`, `-python-3.11-base`),
/// `3.1-12-slim` → (`3.1-12`, `-slim`). `format!("{version}{suffix}")` gives the tag back.
///
/// Floating and partial tags (`3.1`, `11.3`, `3.1-python-3.12`, `latest`) are errors.
pub fn split_runtime_tag(tag: &str) -> Result<(RuntimeVersion, String), VersionError> {
    let s = tag.trim();
    if s.is_empty() {
        return Err(VersionError::Empty);
    }
    if s.eq_ignore_ascii_case("latest") || s.eq_ignore_ascii_case("stable") {
        return Err(VersionError::Floating(s.to_string()));
    }
    let mut p = Cursor { s, pos: 0 };
    let first = p.number(tag)?;
    let Some(first) = first else {
        return Err(VersionError::invalid(
            tag,
            "it does not start with a number",
        ));
    };
    if !p.eat('.') {
        return Err(if p.at_end_or_dash() {
            VersionError::Partial(tag.to_string())
        } else {
            VersionError::invalid(tag, "expected `.` after the major")
        });
    }
    let Some(second) = p.number(tag)? else {
        return Err(VersionError::invalid(tag, "expected a number after `.`"));
    };
    let version = if p.eat('.') {
        let Some(patch) = p.number(tag)? else {
            return Err(VersionError::invalid(
                tag,
                "expected a number after the second `.`",
            ));
        };
        if p.peek() == Some('.') {
            return Err(VersionError::TooManyParts(tag.to_string()));
        }
        RuntimeVersion::Semver {
            major: first,
            minor: second,
            patch,
        }
    } else if p.peek() == Some('-') {
        p.eat('-');
        match p.number(tag)? {
            Some(build) => RuntimeVersion::Airflow3 {
                major: first,
                minor: second,
                build,
            },
            None => {
                // `3.1-python-3.12`, `11.3-slim`: a floating (AF3 line) or partial tag.
                return Err(partial_or_floating(tag, first));
            }
        }
    } else if p.peek().is_none() {
        return Err(partial_or_floating(tag, first));
    } else {
        return Err(VersionError::invalid(tag, "unexpected characters"));
    };
    let rest = &s[p.pos..];
    if !(rest.is_empty() || rest.starts_with('-')) {
        return Err(VersionError::invalid(
            tag,
            format!("unexpected `{rest}` after `{version}`"),
        ));
    }
    if rest == "-" {
        return Err(VersionError::invalid(tag, "it ends with `-`"));
    }
    Ok((version, rest.to_string()))
}

fn partial_or_floating(tag: &str, first: u32) -> VersionError {
    if first == 3 {
        // `3.1` is the Airflow 3 line's floating tag; still not a version.
        VersionError::Floating(tag.to_string())
    } else {
        VersionError::Partial(tag.to_string())
    }
}

/// The Python version named by a tag suffix (`-python-3.11-base` → `3.11`), if any.
pub fn tag_python(suffix: &str) -> Option<&str> {
    let idx = suffix.find("-python-")?;
    let rest = &suffix[idx + "-python-".len()..];
    let end = rest.find('-').unwrap_or(rest.len());
    let py = &rest[..end];
    let ok = py.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.chars().all(|c| c.is_ascii_digit())
            && b.chars().all(|c| c.is_ascii_digit())
    });
    ok.then_some(py)
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn at_end_or_dash(&self) -> bool {
        matches!(self.peek(), None | Some('-'))
    }
    /// A decimal number without leading zeros, or `None` when no digit is here.
    fn number(&mut self, input: &str) -> Result<Option<u32>, VersionError> {
        let rest = &self.s[self.pos..];
        let len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return Ok(None);
        }
        let digits = &rest[..len];
        if len > 1 && digits.starts_with('0') {
            return Err(VersionError::invalid(
                input,
                format!("`{digits}` has a leading zero"),
            ));
        }
        let n = digits
            .parse::<u32>()
            .map_err(|_| VersionError::invalid(input, format!("`{digits}` is too large")))?;
        self.pos += len;
        Ok(Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> RuntimeVersion {
        RuntimeVersion::parse(s).unwrap()
    }

    #[test]
    fn orders_like_the_astro_cli() {
        assert!(v("3.1-12") > v("13.5.0"));
        assert!(v("11.10.0") > v("11.9.0"));
        assert!(v("3.0-7") > v("12.5.0"));
        assert!(v("3.1-1") > v("3.0-14"));
        assert!(v("3.0-10") > v("3.0-9"));
        assert!(v("3.0.0") > v("2.1.1"));
        assert!(v("12.5.0") > v("3.0.0"));
        let mut all = [
            v("3.1-1"),
            v("12.5.0"),
            v("2.1.1"),
            v("3.0-7"),
            v("3.0.0"),
            v("9.10.2"),
        ];
        all.sort();
        let shown: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["2.1.1", "3.0.0", "9.10.2", "12.5.0", "3.0-7", "3.1-1"]
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["11.3.0", "3.1-12", "0.0.0", "13.11.0", "3.0-1"] {
            assert_eq!(v(s).to_string(), s);
        }
    }

    #[test]
    fn lines_and_majors() {
        assert_eq!(v("11.3.0").line(), Line::Major(11));
        assert_eq!(v("3.1-12").line(), Line::Airflow3(3, 1));
        assert_eq!(v("3.1-12").major(), 3);
        assert_eq!(v("3.1-12").airflow_major(), 3);
        assert_eq!(v("13.0.0").airflow_major(), 2);
        assert!(Line::Airflow3(3, 0) > Line::Major(13));
        assert_eq!("3.2".parse::<Line>().unwrap(), Line::Airflow3(3, 2));
    }

    #[test]
    fn splits_image_tags() {
        let cases = [
            ("11.3.0", "11.3.0", ""),
            ("11.3.0-python-3.11-base", "11.3.0", "-python-3.11-base"),
            ("13.7.0-slim-python-3.12", "13.7.0", "-slim-python-3.12"),
            ("3.1-12-python-3.11-base", "3.1-12", "-python-3.11-base"),
            ("3.1-12-slim", "3.1-12", "-slim"),
            ("3.1-14-ubi9-python-3.11", "3.1-14", "-ubi9-python-3.11"),
            ("3.2-5-slim-base", "3.2-5", "-slim-base"),
            (
                "3.1-1-python-3.12-astro-agent-1.1.0",
                "3.1-1",
                "-python-3.12-astro-agent-1.1.0",
            ),
        ];
        for (tag, version, suffix) in cases {
            let (got, rest) = split_runtime_tag(tag).unwrap();
            assert_eq!((got.to_string().as_str(), rest.as_str()), (version, suffix));
            assert_eq!(format!("{got}{rest}"), tag);
        }
        assert_eq!(tag_python("-python-3.11-base"), Some("3.11"));
        assert_eq!(tag_python("-slim-python-3.12"), Some("3.12"));
        assert_eq!(tag_python("-slim"), None);
        assert_eq!(tag_python("-python-x"), None);
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "١٢.٣.٠",
            "11.3.0-é",
            "3.1-12\u{0}",
            "é",
            "11.",
            "11..0",
            ".1.2",
            "3.-1",
            "3.1-",
            "3.1--1",
            "-",
            "--",
            "1.2.3-python-",
            " 11.3.0 ",
            "4294967296.0.0",
            "3.1-4294967296",
        ] {
            let _ = RuntimeVersion::parse(s);
            let _ = split_runtime_tag(s);
            let _ = tag_python(s);
        }
        assert_eq!(v(" 11.3.0 ").to_string(), "11.3.0");
    }

    #[test]
    fn parse_error_messages() {
        let inputs = [
            "11.3",
            "11",
            "3.1",
            "3",
            "latest",
            "",
            "11.3.0.1",
            "v11.3.0",
            "11.03.0",
            "11.3.x",
            "11.3.0-",
            "11.3.0rc1",
            "3.1-python-3.12",
            "11.3-python-3.11",
            "11.3.0-python-3.11",
            "99999999999.0.0",
        ];
        let text: String = inputs
            .iter()
            .map(|i| format!("{i:?} => {}\n", RuntimeVersion::parse(i).unwrap_err()))
            .collect();
        insta::assert_snapshot!(text);
    }
}
