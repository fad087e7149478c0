//! Loose Airflow / package version ordering: the leading numeric release segments only
//! (`2.10.5+astro.1` → `[2, 10, 5]`), which is all the version ranges of the rules need.

use std::cmp::Ordering;

/// A release version as its numeric segments.
#[derive(Debug, Clone)]
pub struct Version(Vec<u64>);

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Version {
    /// Parses the leading `N(.N)*` of `text`; `None` when it does not start with a digit.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = Vec::new();
        for seg in text.split('.') {
            let digits: String = seg.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != seg.len() {
                break;
            }
        }
        (!parts.is_empty()).then_some(Version(parts))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        for i in 0..n {
            let a = self.0.get(i).copied().unwrap_or(0);
            let b = other.0.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

/// Whether `version` satisfies a simple specifier: `*`, `==X`, `>=X`, `<X`, `<=X`, `>X`,
/// or a comma-separated conjunction of them.
pub fn satisfies(version: &str, spec: &str) -> bool {
    let Some(v) = Version::parse(version) else {
        return false;
    };
    spec.split(',').map(str::trim).all(|s| {
        if s.is_empty() || s == "*" {
            return true;
        }
        let (op, rest) = ["==", ">=", "<=", "!=", ">", "<"]
            .iter()
            .find_map(|op| s.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("==", s));
        let Some(w) = Version::parse(rest) else {
            return false;
        };
        match op {
            "==" => v == w,
            ">=" => v >= w,
            "<=" => v <= w,
            "!=" => v != w,
            ">" => v > w,
            _ => v < w,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_versions() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("2.10.5") > v("2.9"));
        assert!(v("3.0") == v("3.0.0"));
        assert!(v("2.10.5+astro.1") == v("2.10.5"));
        assert!(v("3.1.0rc1") == v("3.1.0"));
        assert!(Version::parse("abc").is_none());
        assert!(satisfies("10.0.0", "<10.9.0"));
        assert!(satisfies("6.1.0", "==6.1.0"));
        assert!(satisfies("3.1.3", ">=3.0,<4"));
        assert!(!satisfies("2.10.5", ">=3.0"));
    }
}
