use super::*;

fn list(kind: FileKind, text: &str) -> Vec<String> {
    entries(kind, text, "f")
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {:?} [{}] {} = {:?}",
                e.setting.line,
                e.setting.column,
                e.setting.source,
                e.setting.section,
                e.setting.key,
                e.setting.value
            )
        })
        .collect()
}

fn setting(kind: FileKind, text: &str, name: &str) -> ConfigSetting {
    entries(kind, text, "f")
        .unwrap()
        .into_iter()
        .find(|e| e.setting.name == name)
        .unwrap_or_else(|| panic!("{name} not found"))
        .setting
}

fn rename(kind: FileKind, text: &str, name: &str, section: &str, key: &str) -> Option<String> {
    let s = setting(kind, text, name);
    edit_config(
        text,
        &s,
        &ConfigEdit::Rename {
            section: section.into(),
            key: key.into(),
        },
    )
}

fn remove(kind: FileKind, text: &str, name: &str) -> Option<String> {
    edit_config(text, &setting(kind, text, name), &ConfigEdit::Remove)
}

#[test]
fn dockerfile_env_and_arg() {
    let text = "ARG AIRFLOW__CORE__X=1\nFROM base AS b\nENV AIRFLOW__CORE__IGNORED=1\nFROM base\nARG AIRFLOW__WEBSERVER__WEB_SERVER_PORT=8080\nENV A=1 \\\n    AIRFLOW__CORE__DAG_CONCURRENCY=4 \\\n    B=2\nENV AIRFLOW__API__PORT=${AIRFLOW__WEBSERVER__WEB_SERVER_PORT}\nENV AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD \"cat /x\"\n";
    assert_eq!(
        list(FileKind::Dockerfile, text),
        vec![
            "1:5 DockerfileArg [core] x = Some(\"1\")",
            "5:5 DockerfileArg [webserver] web_server_port = Some(\"8080\")",
            "7:5 DockerfileEnv [core] dag_concurrency = Some(\"4\")",
            "9:5 DockerfileEnv [api] port = Some(\"${AIRFLOW__WEBSERVER__WEB_SERVER_PORT}\")",
            "10:5 DockerfileEnv [core] sql_alchemy_conn_cmd = Some(\"cat /x\")",
        ]
    );
    // An ARG renamed with its uses (an ENV of the same name is another setting).
    let out = rename(
        FileKind::Dockerfile,
        text,
        "AIRFLOW__WEBSERVER__WEB_SERVER_PORT",
        "api",
        "port",
    )
    .unwrap();
    assert!(
        out.contains("ARG AIRFLOW__API__PORT=8080\n")
            && out.contains("ENV AIRFLOW__API__PORT=${AIRFLOW__API__PORT}\n"),
        "{out}"
    );
    // An ENV renamed to a name another ENV sets: not made (which value wins would change).
    let twice = "FROM b\nENV AIRFLOW__CORE__A=1\nENV AIRFLOW__CORE__B=2\n";
    assert_eq!(
        rename(FileKind::Dockerfile, twice, "AIRFLOW__CORE__A", "core", "b"),
        None
    );
    let out = rename(
        FileKind::Dockerfile,
        text,
        "AIRFLOW__WEBSERVER__WEB_SERVER_PORT",
        "api",
        "web_port",
    )
    .unwrap();
    assert!(out.contains("ARG AIRFLOW__API__WEB_PORT=8080\n"), "{out}");
    assert!(
        out.contains("ENV AIRFLOW__API__PORT=${AIRFLOW__API__WEB_PORT}\n"),
        "{out}"
    );
    // A pair on its own continuation line; the suffix kept by the caller.
    let out = rename(
        FileKind::Dockerfile,
        text,
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD",
        "database",
        "sql_alchemy_conn_cmd",
    )
    .unwrap();
    assert_eq!(
        out,
        text.replace(
            "AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"
        )
    );
    let out = remove(FileKind::Dockerfile, text, "AIRFLOW__CORE__DAG_CONCURRENCY").unwrap();
    assert!(
        out.contains("ENV A=1 \\\n    B=2\nENV AIRFLOW__API"),
        "{out}"
    );
    let out = remove(
        FileKind::Dockerfile,
        text,
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD",
    )
    .unwrap();
    assert!(out.ends_with("WEB_SERVER_PORT}\n"), "{out}");
    // used by the ENV line: not removed
    assert_eq!(
        remove(
            FileKind::Dockerfile,
            text,
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT"
        ),
        None
    );
}

#[test]
fn dockerfile_pairs_removed_from_one_line() {
    let text = "FROM base\nENV A=1 AIRFLOW__CORE__X=2 B=3\nENV C=1 \\\n  AIRFLOW__CORE__Y=2\n";
    let out = remove(FileKind::Dockerfile, text, "AIRFLOW__CORE__X").unwrap();
    assert_eq!(
        out,
        "FROM base\nENV A=1 B=3\nENV C=1 \\\n  AIRFLOW__CORE__Y=2\n"
    );
    let out = remove(FileKind::Dockerfile, text, "AIRFLOW__CORE__Y").unwrap();
    assert_eq!(out, "FROM base\nENV A=1 AIRFLOW__CORE__X=2 B=3\nENV C=1\n");
}

#[test]
fn dotenv_entries_renamed_and_removed() {
    let text =
        "# x\nexport AIRFLOW__CORE__A=\"multi\nline\"\nAIRFLOW__CORE__B=2 # note\r\nOTHER=1\n";
    assert_eq!(
        list(FileKind::DotEnv, text),
        vec![
            "2:8 DotEnv [core] a = Some(\"multi\\nline\")",
            "4:1 DotEnv [core] b = Some(\"2\")",
        ]
    );
    assert_eq!(
        remove(FileKind::DotEnv, text, "AIRFLOW__CORE__A").unwrap(),
        "# x\nAIRFLOW__CORE__B=2 # note\r\nOTHER=1\n"
    );
    assert_eq!(
        rename(FileKind::DotEnv, text, "AIRFLOW__CORE__B", "database", "b").unwrap(),
        text.replace("AIRFLOW__CORE__B", "AIRFLOW__DATABASE__B")
    );
}

#[test]
fn airflow_cfg_moves_between_sections() {
    let text = "[core]\nsql_alchemy_conn = postgresql://x\n    ?sslmode=require\ndag_concurrency = 4\n\n[database]\n# the db\nsql_alchemy_pool_size = 5\n\n[webserver]\nweb_server_port = 8080\n";
    let out = rename(
        FileKind::AirflowCfg,
        text,
        "sql_alchemy_conn",
        "database",
        "sql_alchemy_conn",
    )
    .unwrap();
    assert_eq!(
        out,
        "[core]\ndag_concurrency = 4\n\n[database]\n# the db\nsql_alchemy_pool_size = 5\nsql_alchemy_conn = postgresql://x\n    ?sslmode=require\n\n[webserver]\nweb_server_port = 8080\n"
    );
    let out = rename(
        FileKind::AirflowCfg,
        text,
        "dag_concurrency",
        "core",
        "max_active_tasks_per_dag",
    )
    .unwrap();
    assert_eq!(
        out,
        text.replace("dag_concurrency", "max_active_tasks_per_dag")
    );
    // a section made at the end, the file's last line without a line ending
    let out = rename(
        FileKind::AirflowCfg,
        text.trim_end(),
        "web_server_port",
        "api",
        "port",
    )
    .unwrap();
    assert!(
        out.ends_with("[webserver]\n\n[api]\nport = 8080\n"),
        "{out:?}"
    );
    assert_eq!(
        remove(FileKind::AirflowCfg, text, "dag_concurrency").unwrap(),
        text.replace("dag_concurrency = 4\n", "")
    );
}

#[test]
fn compose_environment_map_list_and_anchors() {
    let text = "x-airflow-common:\n  &airflow-common\n  environment:\n    &airflow-common-env\n    AIRFLOW__CORE__EXECUTOR: CeleryExecutor\n    \"AIRFLOW__WEBSERVER__SECRET_KEY\": 'k'\n    AIRFLOW__CORE__FERNET_KEY: ''\nservices:\n  web:\n    <<: *airflow-common\n    environment:\n      <<: *airflow-common-env\n      AIRFLOW__WEBSERVER__WEB_SERVER_PORT: 8080\n  worker:\n    environment:\n      - AIRFLOW__CORE__DAG_CONCURRENCY=4\n      - \"AIRFLOW__CORE__CHECK_SLAS=False\"\n      - OTHER=1\n";
    assert_eq!(
        list(FileKind::Compose, text),
        vec![
            "5:5 Compose [core] executor = Some(\"CeleryExecutor\")",
            "6:6 Compose [webserver] secret_key = Some(\"k\")",
            "7:5 Compose [core] fernet_key = Some(\"\")",
            "13:7 Compose [webserver] web_server_port = Some(\"8080\")",
            "16:9 Compose [core] dag_concurrency = Some(\"4\")",
            "17:10 Compose [core] check_slas = Some(\"False\")",
        ]
    );
    assert_eq!(
        rename(
            FileKind::Compose,
            text,
            "AIRFLOW__WEBSERVER__SECRET_KEY",
            "api",
            "secret_key"
        )
        .unwrap(),
        text.replace(
            "\"AIRFLOW__WEBSERVER__SECRET_KEY\"",
            "\"AIRFLOW__API__SECRET_KEY\""
        )
    );
    assert_eq!(
        remove(FileKind::Compose, text, "AIRFLOW__CORE__CHECK_SLAS").unwrap(),
        text.replace("      - \"AIRFLOW__CORE__CHECK_SLAS=False\"\n", "")
    );
    assert_eq!(
        remove(
            FileKind::Compose,
            text,
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT"
        )
        .unwrap(),
        text.replace("      AIRFLOW__WEBSERVER__WEB_SERVER_PORT: 8080\n", "")
    );
}

#[test]
fn helm_values_config_and_env() {
    let text = "images: {}\nconfig:\n  core:\n    dags_folder: /x\n    dag_concurrency: 4\n  webserver:\n    web_server_port: 8080\n    expose_config: |\n      True\n  logging:\n    remote_logging: 'True'\nenv:\n  - name: AIRFLOW__CORE__CHECK_SLAS\n    value: \"False\"\n  - name: OTHER\n    value: \"1\"\nworkers: {}\n";
    assert_eq!(
        list(FileKind::HelmValues, text),
        vec![
            "4:5 HelmConfig [core] dags_folder = Some(\"/x\")",
            "5:5 HelmConfig [core] dag_concurrency = Some(\"4\")",
            "7:5 HelmConfig [webserver] web_server_port = Some(\"8080\")",
            "8:5 HelmConfig [webserver] expose_config = Some(\"True\\n\")",
            "11:5 HelmConfig [logging] remote_logging = Some(\"True\")",
            "13:11 HelmEnv [core] check_slas = Some(\"False\")",
        ]
    );
    // moved to an existing section, the block value with it
    let out = rename(
        FileKind::HelmValues,
        text,
        "expose_config",
        "logging",
        "expose_config",
    )
    .unwrap();
    assert_eq!(
        out,
        "images: {}\nconfig:\n  core:\n    dags_folder: /x\n    dag_concurrency: 4\n  webserver:\n    web_server_port: 8080\n  logging:\n    remote_logging: 'True'\n    expose_config: |\n      True\nenv:\n  - name: AIRFLOW__CORE__CHECK_SLAS\n    value: \"False\"\n  - name: OTHER\n    value: \"1\"\nworkers: {}\n"
    );
    // to a new section; the emptied one becomes `{}`
    let once = rename(FileKind::HelmValues, text, "web_server_port", "api", "port").unwrap();
    let twice = rename(
        FileKind::HelmValues,
        &once,
        "expose_config",
        "api",
        "expose_config",
    )
    .unwrap();
    assert_eq!(
        twice,
        "images: {}\nconfig:\n  core:\n    dags_folder: /x\n    dag_concurrency: 4\n  webserver: {}\n  logging:\n    remote_logging: 'True'\n  api:\n    port: 8080\n    expose_config: |\n      True\nenv:\n  - name: AIRFLOW__CORE__CHECK_SLAS\n    value: \"False\"\n  - name: OTHER\n    value: \"1\"\nworkers: {}\n"
    );
    assert_eq!(
        remove(FileKind::HelmValues, text, "AIRFLOW__CORE__CHECK_SLAS").unwrap(),
        text.replace(
            "  - name: AIRFLOW__CORE__CHECK_SLAS\n    value: \"False\"\n",
            ""
        )
    );
    assert_eq!(
        rename(
            FileKind::HelmValues,
            text,
            "dag_concurrency",
            "core",
            "max_active_tasks_per_dag"
        )
        .unwrap(),
        text.replace("dag_concurrency", "max_active_tasks_per_dag")
    );
    // flow style: found, not moved
    let flow = "config: {webserver: {web_server_port: 8080}}\n";
    assert_eq!(list(FileKind::HelmValues, flow).len(), 1);
    assert_eq!(
        rename(FileKind::HelmValues, flow, "web_server_port", "api", "port"),
        None
    );
}

#[test]
fn spellings_round_trip() {
    for source in [
        ConfigSource::DotEnv,
        ConfigSource::AirflowCfg,
        ConfigSource::HelmConfig,
    ] {
        let s = source.spelling("api", "port");
        assert_eq!(
            source.parse_spelling(&s),
            Some(("api".into(), "port".into())),
            "{s}"
        );
    }
}

#[test]
fn malformed_yaml_is_a_problem_with_a_line() {
    let e = entries(FileKind::Compose, "a:\n  b: [\n", "docker-compose.yaml").unwrap_err();
    assert!(e.line > 0 && e.message.starts_with("not valid YAML"), "{e}");
}

#[test]
fn non_ascii_text_before_settings_keeps_positions() {
    let text = "# café ☕\nx-é: \"ü\"\nenvironment:\n  AIRFLOW__CORE__DAG_CONCURRENCY: 4 # naïve\n";
    assert_eq!(
        list(FileKind::Compose, text),
        vec!["4:3 Compose [core] dag_concurrency = Some(\"4\")"]
    );
    assert_eq!(
        rename(
            FileKind::Compose,
            text,
            "AIRFLOW__CORE__DAG_CONCURRENCY",
            "core",
            "max_active_tasks_per_dag"
        )
        .unwrap(),
        text.replace("DAG_CONCURRENCY", "MAX_ACTIVE_TASKS_PER_DAG")
    );
    let values = "é: 1\nconfig:\n  core:\n    dag_concurrency: 4\n";
    assert_eq!(list(FileKind::HelmValues, values).len(), 1);
    // arbitrary bytes: no panic
    for text in [
        "é:\n  - é\n",
        "config: [",
        "[core]\né = ü\n",
        "environment: {é: ü}",
    ] {
        let _ = entries(FileKind::Compose, text, "f");
        let _ = entries(FileKind::HelmValues, text, "f");
        let _ = entries(FileKind::AirflowCfg, text, "f");
    }
}
