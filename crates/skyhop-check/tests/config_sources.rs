//! SKY401 / SKY403 on configuration set in every place a project sets it (Dockerfile `ENV`,
//! `.env`, `airflow.cfg`, docker-compose, Helm values, `_CMD` variants), against the
//! configuration data of a real Airflow 3.1.3 (the fixture index, made by `introspect.py`):
//! the findings, and every fix they carry (safe and unsafe) made byte-exactly, as snapshots.

use std::path::Path;
use std::sync::OnceLock;

use skyhop_check::{ApiIndex, CheckOptions, check, config_fixes, to_text};
use skyhop_project::{Project, edit_config, unified_diff};

fn index() -> &'static ApiIndex {
    static INDEX: OnceLock<ApiIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-3.1.3-small.json");
        ApiIndex::load_json(&path).expect("fixture index")
    })
}

/// The findings on a project made of `files`, then the diff of every fix (unsafe included).
fn run(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let project = Project::load(root).unwrap();
    let opts = CheckOptions {
        target_airflow: "3.1.3".into(),
        current_airflow: Some("2.10.5".into()),
        config_env: project.config_settings(),
        config_home: Some(("Dockerfile".into(), 1)),
        ..CheckOptions::default()
    };
    let findings = check(&[], root, Some(index()), &opts);
    let mut out = to_text(&findings);
    let fixes = config_fixes(&opts, Some(index()));
    for (name, text) in files {
        let mut new = text.to_string();
        for (finding, fix) in fixes.iter().filter(|(f, _)| f.path == *name) {
            assert!(findings.contains(finding), "{finding:?}");
            if let Some(t) = edit_config(&new, &fix.setting, &fix.edit) {
                new = t;
            } else {
                out.push_str(&format!(
                    "not fixed: {}:{} {:?}\n",
                    finding.path, finding.line, fix.edit
                ));
            }
        }
        out.push_str(&unified_diff(text, &new, name));
    }
    out
}

const DOCKERFILE: &str = "FROM quay.io/astronomer/astro-runtime:12.8.0\n";

#[test]
fn dockerfile_env_and_arg() {
    let dockerfile = "FROM quay.io/astronomer/astro-runtime:12.8.0\nARG AIRFLOW__WEBSERVER__WEB_SERVER_PORT=8080\nENV AIRFLOW__API__PORT=${AIRFLOW__WEBSERVER__WEB_SERVER_PORT} \\\n    AIRFLOW__CORE__DAG_CONCURRENCY=8\nENV AIRFLOW__CORE__CHECK_SLAS=False\nENV AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT=True\n";
    insta::assert_snapshot!(run(&[("Dockerfile", dockerfile)]));
}

#[test]
fn dotenv() {
    let env = "# local\nAIRFLOW__CORE__SQL_ALCHEMY_CONN=postgresql://u@db/airflow\nAIRFLOW__WEBSERVER__SECRET_KEY='s3cret' # ui\nAIRFLOW__SCHEDULER__STATSD_ON=True\nAIRFLOW__CORE__PARALLELISM=0\nAIRFLOW__CORE__EXECUTOR=SequentialExecutor\nAIRFLOW__CORE__HOSTNAME=:\n";
    insta::assert_snapshot!(run(&[("Dockerfile", DOCKERFILE), (".env", env)]));
}

#[test]
fn cmd_and_secret_variants() {
    let env = "AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD=cat /run/secrets/db\nAIRFLOW__WEBSERVER__SECRET_KEY_SECRET=airflow/secret-key\nAIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD=cat /run/secrets/db\n";
    let cfg = "[core]\nsql_alchemy_conn_cmd = cat /run/secrets/db\n";
    insta::assert_snapshot!(run(&[
        ("Dockerfile", DOCKERFILE),
        (".env", env),
        ("airflow.cfg", cfg)
    ]));
}

#[test]
fn airflow_cfg() {
    let cfg = "[core]\ndags_folder = /usr/local/airflow/dags\nsql_alchemy_conn = postgresql://u@db/airflow\ndag_concurrency = 16\ncheck_slas = False\n\n[webserver]\nweb_server_port = 8080\nx_frame_enabled = False\ndefault_ui_timezone = UTC\n\n[scheduler]\nstatsd_on = True\nstatsd_host = localhost\n";
    insta::assert_snapshot!(run(&[
        ("Dockerfile", DOCKERFILE),
        ("config/airflow.cfg", cfg)
    ]));
}

#[test]
fn docker_compose() {
    let compose = "x-airflow-common:\n  &airflow-common\n  image: apache/airflow:2.10.5\n  environment:\n    &airflow-common-env\n    AIRFLOW__CORE__EXECUTOR: CeleryExecutor\n    AIRFLOW__CORE__SQL_ALCHEMY_CONN: postgresql+psycopg2://airflow:airflow@postgres/airflow\n    AIRFLOW__CORE__FERNET_KEY: ''\n    AIRFLOW__API__AUTH_BACKENDS: 'airflow.api.auth.backend.basic_auth'\nservices:\n  airflow-webserver:\n    <<: *airflow-common\n    environment:\n      <<: *airflow-common-env\n      AIRFLOW__WEBSERVER__WORKERS: 2\n  airflow-worker:\n    <<: *airflow-common\n    environment:\n      - AIRFLOW__CORE__WORKER_PRECHECK=True\n      - \"AIRFLOW__ADMIN__HIDE_SENSITIVE_VARIABLE_FIELDS=True\"\n";
    insta::assert_snapshot!(run(&[
        ("Dockerfile", DOCKERFILE),
        ("docker-compose.yaml", compose)
    ]));
}

#[test]
fn helm_values() {
    let values = "executor: CeleryExecutor\nconfig:\n  core:\n    dags_folder: /opt/airflow/dags\n    dag_concurrency: 16\n  webserver:\n    web_server_port: 8080\n    page_size: 50\n    enable_proxy_fix: 'True'\n  scheduler:\n    statsd_on: 'True'\nenv:\n  - name: AIRFLOW__CORE__CHECK_SLAS\n    value: \"False\"\n  - name: AIRFLOW__WEBSERVER__BASE_URL\n    value: \"https://airflow.example.com\"\n";
    insta::assert_snapshot!(run(&[
        ("Dockerfile", DOCKERFILE),
        ("helm/values-prod.yaml", values)
    ]));
}

#[test]
fn defaults_set_by_the_project_are_not_reported() {
    let env = "AIRFLOW__SCHEDULER__CATCHUP_BY_DEFAULT=True\nAIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS=True\nAIRFLOW__SCHEDULER__CREATE_DELTA_DATA_INTERVALS=False\nAIRFLOW__CORE__EXECUTOR=LocalExecutor\n";
    let out = run(&[("Dockerfile", DOCKERFILE), (".env", env)]);
    assert!(!out.contains("SKY403"), "{out}");
}
