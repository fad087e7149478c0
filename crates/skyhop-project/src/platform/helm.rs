//! A values file of the official Helm chart (`apache-airflow/airflow`): the image comes from
//! `images.airflow.repository` / `images.airflow.tag`, else `defaultAirflowRepository` /
//! `defaultAirflowTag`; `airflowVersion` tells the chart which Airflow that is (it picks
//! commands and migrations by it). A digest (`images.airflow.digest`,
//! `defaultAirflowDigest`) wins over the tag.

use super::{Deployment, Platform, VersionSite, image_site, scalar_span};
use crate::config::yaml::{Node, documents};
use crate::text::line_of;

/// The chart's default repository.
const CHART_REPOSITORY: &str = "apache/airflow";

/// A scalar that is set (not `~`, `null` or empty).
fn set(node: Option<&Node>) -> Option<(&str, usize, bool)> {
    match node? {
        Node::Scalar { value, quoted, at } => {
            let null = !quoted && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL");
            (!null && !(value.is_empty())).then_some((value.as_str(), *at, *quoted))
        }
        _ => None,
    }
}

fn is_apache(repo: &str) -> bool {
    let r = repo.trim_start_matches("docker.io/");
    r == CHART_REPOSITORY || r == "library/apache/airflow"
}

/// The chart's image and version keys in `text` (the values file `file`), or `None` when it
/// sets none of `defaultAirflowTag`, `airflowVersion`, `images.airflow`.
pub fn read(text: &str, file: &str) -> Option<Deployment> {
    let docs = documents(text, file).ok()?;
    let root = docs.first()?;
    let images_airflow = root.get("images").and_then(|i| i.get("airflow"));
    let default_tag = root.get("defaultAirflowTag");
    let version_key = root.get("airflowVersion");
    if default_tag.is_none() && version_key.is_none() && images_airflow.is_none() {
        return None;
    }
    let mut d = Deployment::new(Platform::Helm, file);
    d.texts.insert(file.to_string(), text.to_string());

    let default_repo = set(root.get("defaultAirflowRepository")).map(|(v, ..)| v);
    let image_repo = set(images_airflow.and_then(|n| n.get("repository"))).map(|(v, ..)| v);
    let image_tag = set(images_airflow.and_then(|n| n.get("tag")));
    let default_tag = set(default_tag);

    // `images.airflow.tag` with its repository (its own, else the default one)
    let mut tag_sites = Vec::new();
    let effective_repo = image_repo.or(default_repo).unwrap_or(CHART_REPOSITORY);
    if let Some((tag, at, quoted)) = image_tag {
        let repo = effective_repo;
        tag_sites.push(("images.airflow.tag", tag, at, quoted, repo, true));
    }
    if let Some((tag, at, quoted)) = default_tag {
        let repo = default_repo.unwrap_or(CHART_REPOSITORY);
        tag_sites.push((
            "defaultAirflowTag",
            tag,
            at,
            quoted,
            repo,
            image_tag.is_none(),
        ));
    }
    for (key, tag, at, quoted, repo, effective) in tag_sites {
        if !is_apache(repo) {
            if effective {
                d.custom_image = Some(format!("{repo}:{tag}"));
            }
            continue;
        }
        let Some(span) = scalar_span(text, at, quoted, tag) else {
            d.notes.push(format!(
                "{file}:{}: `{key}` is not written on one line; skyhop does not rewrite it",
                line_of(text, at)
            ));
            continue;
        };
        let reference = format!("{CHART_REPOSITORY}:{tag}");
        let prefix = CHART_REPOSITORY.len() + 1;
        match image_site(file, key, tag, &reference) {
            Some(mut site) => {
                site.span =
                    span.start + site.span.start - prefix..span.start + site.span.end - prefix;
                site.line = line_of(text, span.start);
                site.effective = effective;
                d.sites.push(site);
            }
            None => d.notes.push(format!(
                "{file}:{}: `{key}: {tag}` is not an Airflow release tag of {CHART_REPOSITORY}",
                line_of(text, at)
            )),
        }
    }
    if let Some((v, at, quoted)) = set(version_key)
        && let Some(span) = scalar_span(text, at, quoted, v)
        && let Some(version) = plain_version(v)
    {
        d.sites.push(VersionSite {
            file: file.to_string(),
            line: line_of(text, span.start),
            key: "airflowVersion".into(),
            value: v.to_string(),
            version: version.to_string(),
            span: span.start..span.start + version.len(),
            python: None,
            slim: false,
            effective: d.sites.is_empty() || d.custom_image.is_some(),
        });
    }
    // the effective site first
    d.sites.sort_by_key(|s| !s.effective);
    if let Some(image) = &d.custom_image {
        d.notes.push(format!(
            "{file}: the chart runs `{image}`, an image of your own: skyhop models it as Apache Airflow {} (airflowVersion); rebuild that image on the new apache/airflow release and set its tag yourself",
            d.airflow_version().unwrap_or("(unknown)")
        ));
    }
    for key in ["images.airflow.digest", "defaultAirflowDigest"] {
        let node = match key {
            "defaultAirflowDigest" => root.get("defaultAirflowDigest"),
            _ => images_airflow.and_then(|n| n.get("digest")),
        };
        if let Some((digest, at, _)) = set(node) {
            d.notes.push(format!(
                "{file}:{}: `{key}: {digest}` wins over the tag: set it to the new image's digest (or `~`) when upgrading",
                line_of(text, at)
            ));
        }
    }
    d.note_disagreement();
    Some(d)
}

/// `2.9.2` at the start of `v` (`2.9.2`, `2.10.0rc1`) when `v` is a release number.
fn plain_version(v: &str) -> Option<&str> {
    let end = v
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .unwrap_or(v.len());
    let head = &v[..end];
    (head.split('.').count() == 3 && head.starts_with(|c: char| c.is_ascii_digit())).then_some(head)
}
