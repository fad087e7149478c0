use super::*;

/// The image keys of the official chart's values.yaml, as the chart writes them.
const VALUES: &str = r#"---
# Default values for airflow.
# Airflow home directory
airflowHome: /opt/airflow

# Default airflow repository -- overridden by all the specific images below
defaultAirflowRepository: apache/airflow

# Default airflow tag to deploy
defaultAirflowTag: "2.9.2"

# Default airflow digest. If specified, it takes precedence over tag
defaultAirflowDigest: ~

# Airflow version (Used to make some decisions based on Airflow Version being deployed)
airflowVersion: "2.9.2"

# Images
images:
  airflow:
    repository: ~
    tag: ~
    # Specifying digest takes precedence over tag.
    digest: ~
    pullPolicy: IfNotPresent
  statsd:
    repository: quay.io/prometheus/statsd-exporter
    tag: v0.26.1
  pgbouncer:
    repository: apache/airflow
    tag: airflow-pgbouncer-2024.01.19-1.21.0

executor: "CeleryExecutor"
config:
  core:
    load_examples: 'False'
"#;

/// The parts of Airflow's docker-compose.yaml that name the image and the requirements.
const COMPOSE: &str = r#"# Basic Airflow cluster configuration for CeleryExecutor with Redis and PostgreSQL.
#
# AIRFLOW_IMAGE_NAME           - Docker image name used to run Airflow.
#                                Default: apache/airflow:2.9.2
---
x-airflow-common:
  &airflow-common
  # In order to add custom dependencies or upgrade provider packages you can use your extended image.
  image: ${AIRFLOW_IMAGE_NAME:-apache/airflow:2.9.2}
  # build: .
  environment:
    &airflow-common-env
    AIRFLOW__CORE__EXECUTOR: CeleryExecutor
    AIRFLOW__CORE__FERNET_KEY: ''
    # WARNING: Use _PIP_ADDITIONAL_REQUIREMENTS option ONLY for a quick checks
    _PIP_ADDITIONAL_REQUIREMENTS: ${_PIP_ADDITIONAL_REQUIREMENTS:-apache-airflow-providers-snowflake pandas==2.1.4}
  user: "${AIRFLOW_UID:-50000}:0"

services:
  postgres:
    image: postgres:13
    environment:
      POSTGRES_USER: airflow

  airflow-webserver:
    <<: *airflow-common
    command: webserver
    ports:
      - "8080:8080"

  airflow-init:
    <<: *airflow-common
    environment:
      <<: *airflow-common-env
      _AIRFLOW_DB_MIGRATE: 'true'
      _PIP_ADDITIONAL_REQUIREMENTS: ''
    user: "0:0"
"#;

fn only_changed(before: &str, after: &str, from: &str, to: &str) {
    assert_eq!(
        before.replace(from, to),
        after,
        "only the version bytes change"
    );
}

#[test]
fn helm_values_of_the_official_chart_are_read() {
    let d = helm::read(VALUES, "values.yaml").expect("chart values");
    assert_eq!(d.platform, Platform::Helm);
    assert_eq!(d.airflow_version(), Some("2.9.2"));
    let keys: Vec<(&str, usize)> = d.sites.iter().map(|s| (s.key.as_str(), s.line)).collect();
    assert_eq!(keys, [("defaultAirflowTag", 10), ("airflowVersion", 16)]);
    assert!(d.sites[0].effective);
    assert_eq!(d.custom_image, None);
    assert!(d.notes.is_empty(), "{:?}", d.notes);
    let det = d.detected();
    assert!(
        det.describe().contains("values.yaml:10"),
        "{}",
        det.describe()
    );
}

#[test]
fn helm_values_are_rewritten_byte_exact_and_idempotently() {
    let d = helm::read(VALUES, "values.yaml").unwrap();
    let rw = d.rewrite("2.10.5");
    assert_eq!(rw.len(), 1);
    let after = &rw[0].text;
    // pgbouncer's tag and every comment kept; quoting kept
    only_changed(VALUES, after, "\"2.9.2\"", "\"2.10.5\"");
    assert_eq!(rw[0].changes.len(), 2);
    assert_eq!(
        rw[0].changes[0],
        (
            10,
            "defaultAirflowTag".into(),
            "2.9.2".into(),
            "2.10.5".into()
        )
    );
    // a second run writes nothing
    let again = helm::read(after, "values.yaml").unwrap();
    assert_eq!(again.airflow_version(), Some("2.10.5"));
    assert!(again.rewrite("2.10.5").is_empty());
}

#[test]
fn helm_images_airflow_tag_wins_and_keeps_its_python_suffix() {
    let text = "defaultAirflowTag: 2.8.4 # the chart's\nairflowVersion: 2.9.2\nimages:\n  airflow:\n    repository: apache/airflow\n    tag: '2.9.2-python3.11'\n    digest: sha256:abc\n";
    let d = helm::read(text, "helm/values-prod.yaml").unwrap();
    assert_eq!(d.sites[0].key, "images.airflow.tag");
    assert_eq!(d.airflow_version(), Some("2.9.2"));
    assert_eq!(d.python(), Some("3.11"));
    assert!(
        d.notes.iter().any(|n| n.contains("defaultAirflowTag")
            && n.contains("2.8.4")
            && n.contains("all of them")),
        "{:?}",
        d.notes
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("images.airflow.digest") && n.contains("wins over the tag")),
        "{:?}",
        d.notes
    );
    let rw = d.rewrite("3.0.6");
    assert_eq!(
        rw[0].text,
        "defaultAirflowTag: 3.0.6 # the chart's\nairflowVersion: 3.0.6\nimages:\n  airflow:\n    repository: apache/airflow\n    tag: '3.0.6-python3.11'\n    digest: sha256:abc\n"
    );
}

#[test]
fn helm_with_an_image_of_ones_own_rewrites_airflow_version_only() {
    let text = "defaultAirflowRepository: my-registry.example.com/data/airflow\ndefaultAirflowTag: \"1.4.0\"\nairflowVersion: \"2.9.2\"\n";
    let d = helm::read(text, "values.yaml").unwrap();
    assert_eq!(
        d.custom_image.as_deref(),
        Some("my-registry.example.com/data/airflow:1.4.0")
    );
    assert_eq!(d.airflow_version(), Some("2.9.2"));
    assert_eq!(d.sites.len(), 1);
    assert!(d.notes.iter().any(|n| n.contains("rebuild that image")));
    let rw = d.rewrite("2.10.5");
    only_changed(text, &rw[0].text, "\"2.9.2\"", "\"2.10.5\"");
}

#[test]
fn values_files_without_the_charts_keys_are_not_helm() {
    assert!(helm::read("replicaCount: 2\nimage:\n  tag: 1.0\n", "values.yaml").is_none());
    assert!(helm::read("not: [valid", "values.yaml").is_none());
}

#[test]
fn official_compose_file_is_read() {
    let files = vec![("docker-compose.yaml".to_string(), COMPOSE.to_string())];
    let d = compose::read(&files, None).expect("compose");
    assert_eq!(d.platform, Platform::Compose);
    assert_eq!(d.airflow_version(), Some("2.9.2"));
    assert_eq!(d.sites.len(), 1);
    assert_eq!(d.sites[0].key, "x-airflow-common.image");
    assert_eq!(d.sites[0].line, 9);
    assert_eq!(
        d.requirements,
        ["apache-airflow-providers-snowflake", "pandas==2.1.4"]
    );
    assert_eq!(d.requirements_at, Some(("docker-compose.yaml".into(), 16)));
    let rw = d.rewrite("2.10.5");
    assert_eq!(rw.len(), 1);
    only_changed(
        COMPOSE,
        &rw[0].text,
        "apache/airflow:2.9.2}",
        "apache/airflow:2.10.5}",
    );
    let files = vec![("docker-compose.yaml".to_string(), rw[0].text.clone())];
    assert!(
        compose::read(&files, None)
            .unwrap()
            .rewrite("2.10.5")
            .is_empty()
    );
}

#[test]
fn compose_image_from_dot_env_wins_and_both_are_rewritten() {
    let files = vec![("docker-compose.yaml".to_string(), COMPOSE.to_string())];
    let env = "AIRFLOW_UID=50000\nAIRFLOW_IMAGE_NAME=\"apache/airflow:slim-2.9.3-python3.12\" # pinned\n_PIP_ADDITIONAL_REQUIREMENTS=requests\n";
    let d = compose::read(&files, Some(env)).unwrap();
    assert_eq!(d.sites[0].file, ".env");
    assert_eq!(d.sites[0].line, 2);
    assert_eq!(d.airflow_version(), Some("2.9.3"));
    assert_eq!(d.python(), Some("3.12"));
    assert!(d.slim());
    assert_eq!(d.requirements, ["requests"]);
    assert_eq!(d.requirements_at, Some((".env".into(), 3)));
    assert!(d.notes.iter().any(|n| n.contains("2.9.2")), "{:?}", d.notes);
    let rw = d.rewrite("3.0.6");
    assert_eq!(rw.len(), 2);
    let env_rw = rw.iter().find(|r| r.file == ".env").unwrap();
    assert_eq!(
        env_rw.text,
        env.replace("slim-2.9.3-python3.12", "slim-3.0.6-python3.12")
    );
}

#[test]
fn compose_list_environment_and_plain_images() {
    let text = "services:\n  scheduler:\n    image: \"apache/airflow:2.8.1\"\n    environment:\n      - _PIP_ADDITIONAL_REQUIREMENTS=apache-airflow-providers-http\n  db:\n    image: postgres:16\n";
    let files = vec![("compose.yaml".to_string(), text.to_string())];
    let d = compose::read(&files, None).unwrap();
    assert_eq!(d.sites[0].key, "services.scheduler.image");
    assert_eq!(d.requirements, ["apache-airflow-providers-http"]);
    let rw = d.rewrite("2.11.0");
    only_changed(text, &rw[0].text, ":2.8.1\"", ":2.11.0\"");
    // a compose file without Airflow is not a deployment
    let files = vec![(
        "docker-compose.yml".to_string(),
        "services:\n  db:\n    image: postgres:16\n".to_string(),
    )];
    assert!(compose::read(&files, None).is_none());
}

#[test]
fn crlf_and_comments_survive() {
    let text = VALUES.replace('\n', "\r\n");
    let d = helm::read(&text, "values.yaml").unwrap();
    let rw = d.rewrite("2.10.5");
    assert_eq!(rw[0].text, text.replace("\"2.9.2\"", "\"2.10.5\""));
}

#[test]
fn platforms_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert_eq!(detect(root, None), None);
    std::fs::write(
        root.join("requirements.txt"),
        "--constraint \"https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\"\napache-airflow-providers-snowflake\n",
    )
    .unwrap();
    assert_eq!(detect(root, None), None, "no plugins or startup.sh yet");
    std::fs::write(root.join("startup.sh"), "#!/bin/sh\n").unwrap();
    let d = detect(root, None).unwrap();
    assert_eq!(d.platform, Platform::Mwaa);
    assert!(d.why.contains("constraints-2.10.3"), "{}", d.why);
    std::fs::write(root.join("docker-compose.yaml"), COMPOSE).unwrap();
    let d = detect(root, None).unwrap();
    assert_eq!(d.platform, Platform::Compose);
    assert_eq!(d.file.as_deref(), Some("docker-compose.yaml"));
    std::fs::create_dir(root.join("chart")).unwrap();
    std::fs::write(root.join("chart/values.yaml"), VALUES).unwrap();
    let d = detect(root, None).unwrap();
    assert_eq!(d.platform, Platform::Helm);
    assert_eq!(d.file.as_deref(), Some("chart/values.yaml"));
    let df = Dockerfile::parse("FROM apache/airflow:2.9.2\n").unwrap();
    assert_eq!(detect(root, Some(&df)).unwrap().platform, Platform::Image);
    let df = Dockerfile::parse("FROM quay.io/astronomer/astro-runtime:12.1.0\n").unwrap();
    assert_eq!(detect(root, Some(&df)).unwrap().platform, Platform::Astro);
}

#[test]
fn platform_names() {
    for p in Platform::ALL {
        assert_eq!(Platform::parse(p.as_str()), Some(p));
    }
    assert_eq!(Platform::parse("MWAA"), Some(Platform::Mwaa));
    assert_eq!(Platform::parse("k8s"), None);
    assert_eq!(
        constraint_url("-c https://x/constraints-2.9.2/constraints-3.11.txt"),
        Some("https://x/constraints-2.9.2/constraints-3.11.txt")
    );
    assert_eq!(constraint_url("--constraint=/local/file.txt"), None);
}

#[test]
fn compose_version_variables_inside_the_tag() {
    let text = "services:\n  scheduler:\n    image: apache/airflow:${AIRFLOW_VERSION:-2.9.2}-python3.11\n  worker:\n    image: \"apache/airflow:$${literal}\"\n";
    let files = vec![("docker-compose.yaml".to_string(), text.to_string())];
    let d = compose::read(&files, None).unwrap();
    assert_eq!(d.sites.len(), 1);
    assert_eq!(d.airflow_version(), Some("2.9.2"));
    assert_eq!(d.python(), Some("3.11"));
    let rw = d.rewrite("2.10.5");
    only_changed(text, &rw[0].text, ":-2.9.2}", ":-2.10.5}");
    // `.env` sets the version: it runs, and both are rewritten
    let env = "AIRFLOW_VERSION=2.9.3\n";
    let d = compose::read(&files, Some(env)).unwrap();
    assert_eq!(d.airflow_version(), Some("2.9.3"));
    assert_eq!(
        (d.sites[0].file.as_str(), d.sites[0].key.as_str()),
        (".env", "AIRFLOW_VERSION")
    );
    let rw = d.rewrite("2.10.5");
    assert_eq!(rw.len(), 2);
    let env_rw = rw.iter().find(|r| r.file == ".env").unwrap();
    assert_eq!(env_rw.text, "AIRFLOW_VERSION=2.10.5\n");
    // no default and no .env: nothing to read
    let bare = vec![(
        "compose.yaml".to_string(),
        "services:\n  s:\n    image: apache/airflow:$AIRFLOW_VERSION\n".to_string(),
    )];
    assert!(compose::read(&bare, None).is_none());
    let d = compose::read(&bare, Some("export AIRFLOW_VERSION='3.0.6'\n")).unwrap();
    assert_eq!(d.airflow_version(), Some("3.0.6"));
    assert_eq!(
        d.rewrite("3.1.3")[0].text,
        "export AIRFLOW_VERSION='3.1.3'\n"
    );
}

#[test]
fn compose_image_of_ones_own_in_dot_env_is_said() {
    let files = vec![("docker-compose.yaml".to_string(), COMPOSE.to_string())];
    let d = compose::read(
        &files,
        Some("AIRFLOW_IMAGE_NAME=registry.example.com/our-airflow:7\n"),
    )
    .unwrap();
    assert_eq!(
        d.custom_image.as_deref(),
        Some("registry.example.com/our-airflow:7")
    );
    assert_eq!(d.airflow_version(), Some("2.9.2"));
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("not an apache/airflow image")),
        "{:?}",
        d.notes
    );
}
