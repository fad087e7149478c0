//! packages.txt: the Debian packages a Runtime image's ONBUILD step installs with apt-get.
//! Whitespace-separated package specs (`name`, `name=version`, `name:arch`, `name/release`),
//! `#` comments, blank lines.

use std::path::Path;

use crate::text::{TextError, physical_lines, read_text};

/// One apt package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptPackage {
    /// Package name (`libpq-dev`).
    pub name: String,
    /// `=version`, when pinned.
    pub version: Option<String>,
    /// The spec as written (`libpq-dev=15.5-0+deb12u1`).
    pub spec: String,
    /// 1-based line.
    pub line: usize,
}

/// A problem in packages.txt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackagesError {
    #[error("{}", crate::text::located(file, error))]
    Text { file: String, error: TextError },
    #[error(
        "{file}:{line}: `{spec}` is not an apt package name (lowercase letters, digits, `+`, `-`, `.`)"
    )]
    BadName {
        file: String,
        line: usize,
        spec: String,
    },
}

/// A parsed packages.txt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packages {
    pub packages: Vec<AptPackage>,
}

impl Packages {
    /// Reads `path`; errors call it `display` (`packages.txt`).
    pub fn read(path: &Path, display: &str) -> Result<Packages, PackagesError> {
        let text = read_text(path).map_err(|error| PackagesError::Text {
            file: display.to_string(),
            error,
        })?;
        Packages::parse_str(&text, display)
    }

    /// Parses packages.txt text.
    pub fn parse_str(text: &str, display: &str) -> Result<Packages, PackagesError> {
        let mut packages = Vec::new();
        for (i, (_, content)) in physical_lines(text).into_iter().enumerate() {
            let content = content.split('#').next().unwrap_or("");
            for spec in content.split_whitespace() {
                let (name_part, version) = match spec.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (spec, None),
                };
                let name = name_part.split([':', '/']).next().unwrap_or(name_part);
                let valid = name.len() > 1
                    && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && name.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
                    });
                if !valid {
                    return Err(PackagesError::BadName {
                        file: display.to_string(),
                        line: i + 1,
                        spec: spec.chars().take(60).collect(),
                    });
                }
                packages.push(AptPackage {
                    name: name.to_string(),
                    version,
                    spec: spec.to_string(),
                    line: i + 1,
                });
            }
        }
        Ok(Packages { packages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_packages() {
        let p = Packages::parse_str(
            "# OS packages\nlibpq-dev\n\ngcc g++ # compilers\nlibssl-dev=3.0.15-1~deb12u1\n",
            "packages.txt",
        )
        .unwrap();
        let got: Vec<(&str, Option<&str>, usize)> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_deref(), p.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("libpq-dev", None, 2),
                ("gcc", None, 4),
                ("g++", None, 4),
                ("libssl-dev", Some("3.0.15-1~deb12u1"), 5)
            ]
        );
        let e = Packages::parse_str("ok\nNot_A_Package\n", "packages.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "packages.txt:2: `Not_A_Package` is not an apt package name (lowercase letters, digits, `+`, `-`, `.`)"
        );
    }
}
