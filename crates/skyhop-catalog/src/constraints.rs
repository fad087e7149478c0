//! Apache Airflow's constraints files, as the official `apache/airflow` image installs them:
//! the image's `pip install "apache-airflow[<default extras>]==V" --constraint
//! constraints-V/constraints-<python>.txt` puts every package the constraints pin at the pinned
//! version. Verified copies are embedded (`data/constraints/<V>.txt`, trimmed to `name==version`
//! lines, each with its upstream URL and the copy it was taken from); for other versions there
//! are none and the image's packages are resolved as of its release date.

use std::collections::BTreeMap;

/// One embedded constraints file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConstraints {
    /// The Airflow version (`2.10.3`).
    pub airflow: String,
    /// The Python the file is for (`3.11`).
    pub python: String,
    /// When Airflow generated it (`2024-11-05`).
    pub generated: String,
    /// The upstream file (`https://raw.githubusercontent.com/apache/airflow/constraints-…`).
    pub upstream: String,
    /// Where the embedded copy was taken from (a commit of a public repository).
    pub copy: String,
    /// Normalized name → pinned version.
    pub pins: BTreeMap<String, String>,
}

impl ImageConstraints {
    /// The version the constraints pin for `name` (any spelling).
    pub fn pin(&self, name: &str) -> Option<&str> {
        self.pins.get(&normalize(name)).map(String::as_str)
    }
}

const FILES: &[(&str, &str)] = &[
    ("2.9.2", include_str!("../data/constraints/2.9.2.txt")),
    ("2.10.1", include_str!("../data/constraints/2.10.1.txt")),
    ("2.10.3", include_str!("../data/constraints/2.10.3.txt")),
    ("2.11.0", include_str!("../data/constraints/2.11.0.txt")),
    ("2.11.2", include_str!("../data/constraints/2.11.2.txt")),
    ("3.0.6", include_str!("../data/constraints/3.0.6.txt")),
    ("3.2.1", include_str!("../data/constraints/3.2.1.txt")),
    ("3.3.1", include_str!("../data/constraints/3.3.1.txt")),
];

fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn parse(text: &str) -> Result<ImageConstraints, String> {
    let mut head: BTreeMap<&str, &str> = BTreeMap::new();
    let mut pins = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = line.strip_prefix("# ") {
            if let Some((k, v)) = h.split_once(": ") {
                head.insert(k, v.trim());
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let (name, version) = line
            .split_once("==")
            .ok_or_else(|| format!("line {}: not name==version: {line}", i + 1))?;
        pins.insert(normalize(name), version.trim().to_string());
    }
    let get = |k: &str| {
        head.get(k)
            .map(|v| v.to_string())
            .ok_or_else(|| format!("no `# {k}:` header"))
    };
    Ok(ImageConstraints {
        airflow: get("airflow")?,
        python: get("python")?,
        generated: get("generated")?,
        upstream: get("upstream")?,
        copy: get("copy")?,
        pins,
    })
}

/// The embedded constraints of Airflow `version` (a local part such as `+astro.1` ignored), when
/// there is a verified copy.
pub fn image_constraints(version: &str) -> Option<ImageConstraints> {
    let v = version.split('+').next().unwrap_or(version).trim();
    let (_, text) = FILES.iter().find(|(ver, _)| *ver == v)?;
    parse(text).ok()
}

/// The Airflow versions whose constraints are embedded.
pub fn embedded_constraints() -> Vec<&'static str> {
    FILES.iter().map(|(v, _)| *v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses_with_its_source() {
        for (v, text) in FILES {
            let c = parse(text).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(c.airflow, *v);
            assert!(
                c.upstream
                    .ends_with(&format!("constraints-{v}/constraints-{}.txt", c.python)),
                "{v}: {}",
                c.upstream
            );
            assert!(
                c.copy
                    .starts_with("https://github.com/aws/amazon-mwaa-docker-images/blob/"),
                "{v}: {}",
                c.copy
            );
            assert_eq!(c.generated.len(), 10, "{v}");
            assert!(c.pins.len() > 600, "{v}: {} pins", c.pins.len());
            // the image's default extras are all there
            for p in [
                "amazon",
                "celery",
                "cncf-kubernetes",
                "google",
                "postgres",
                "snowflake",
            ] {
                assert!(
                    c.pin(&format!("apache-airflow-providers-{p}")).is_some(),
                    "{v}: {p}"
                );
            }
        }
    }

    #[test]
    fn lookups() {
        let c = image_constraints("2.10.3").unwrap();
        assert_eq!(c.python, "3.11");
        assert_eq!(c.pin("apache-airflow-providers-amazon"), Some("9.0.0"));
        assert_eq!(c.pin("Apache_Airflow.Providers-Celery"), Some("3.8.3"));
        assert!(image_constraints("2.10.3+astro.1").is_some());
        assert!(image_constraints("2.10.4").is_none());
        assert_eq!(embedded_constraints().len(), 8);
    }
}
