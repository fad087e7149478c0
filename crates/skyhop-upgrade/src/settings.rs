//! The project's own settings as Airflow sees them: environment variables from the Dockerfile
//! and `.env`, and the DAG files the target Airflow would find.

use skyhop_project::Project;

/// The DAG files the target Airflow would parse: its `.airflowignore` syntax and safe mode
/// (Airflow 3 reads `.airflowignore` as glob patterns unless the project says otherwise).
pub fn dag_files(project: &Project, airflow: &str) -> skyhop_project::DagDiscovery {
    project.dag_files(&project.discovery_options_for(airflow))
}

/// The project's configuration settings, wherever it sets them (Dockerfile `ENV` / `ARG`,
/// `.env`, `airflow.cfg`, docker-compose, Helm values), for the configuration rules of the
/// check.
pub fn check_config(project: &Project) -> Vec<skyhop_check::ConfigSetting> {
    project.config_settings()
}

/// Where a setting the project does not have yet would go: the Dockerfile's `FROM` line.
pub fn config_home(project: &Project) -> Option<(String, u32)> {
    let located = project.current_image().ok()?;
    Some(("Dockerfile".into(), located.line as u32))
}

/// Files that set configuration but could not be read (malformed YAML, an `airflow.cfg` option
/// outside any section…), as informational SKY401 findings: their settings are not checked.
pub fn config_problems(project: &Project) -> Vec<skyhop_core::Finding> {
    project
        .config_problems()
        .into_iter()
        .map(|p| skyhop_core::Finding {
            path: p.file,
            line: p.line as u32,
            column: 0,
            rule: "SKY401".into(),
            severity: skyhop_core::Severity::Info,
            message: format!(
                "{}; the configuration this file sets is not checked",
                p.message
            ),
            replacement: None,
            source: skyhop_core::Source::Check,
            related: Vec::new(),
            facts: Default::default(),
        })
        .collect()
}

/// Environment variables for processes that import the project's DAGs: the final image's
/// Dockerfile `ENV` and `.env` (which wins, as with `astro dev start`), less anything that
/// would point Airflow at a real database or home.
pub fn dag_env(project: &Project) -> Vec<(String, String)> {
    // `ENV PYTHONPATH=$AIRFLOW_HOME/dags:$PYTHONPATH`: variables expanded as the build does,
    // from the earlier ENV lines and the image's AIRFLOW_HOME (the harness finds the project
    // there too)
    let mut known: Vec<(String, String)> = project
        .image_home()
        .map(|h| vec![("AIRFLOW_HOME".to_string(), h.to_string())])
        .unwrap_or_default();
    let mut expanded = Vec::new();
    for e in project.dockerfile.iter().flat_map(|d| d.final_env()) {
        let value = skyhop_project::expand_vars(&e.value, &known);
        // what the image's own variables hold is not known: their references are dropped
        let value = if e.key == "PYTHONPATH" {
            value
                .split(':')
                .filter(|p| !p.is_empty() && !p.contains('$'))
                .collect::<Vec<_>>()
                .join(":")
        } else {
            value
        };
        known.retain(|(k, _)| k != &e.key);
        known.push((e.key.clone(), value.clone()));
        expanded.push((e.key.clone(), value));
    }
    let dockerfile = expanded.into_iter();
    let dotenv = project
        .env
        .iter()
        .flat_map(|env| env.entries.iter())
        .filter_map(|e| Some((e.key.clone(), e.value.clone()?)));
    dockerfile
        .chain(dotenv)
        .filter(|(k, _)| {
            !(k.starts_with("AIRFLOW__DATABASE__")
                || k == "AIRFLOW__CORE__SQL_ALCHEMY_CONN"
                || k == "AIRFLOW_HOME"
                || k == "AIRFLOW__CORE__DAGS_FOLDER")
        })
        .collect()
}

/// DAG files that the current and the target Airflow find differently (`.airflowignore` syntax,
/// safe mode), as findings on the ignore file.
pub fn discovery_changes(
    project: &Project,
    current_airflow: &str,
    target_airflow: &str,
) -> Vec<skyhop_core::Finding> {
    let names = |airflow: &str| -> std::collections::BTreeSet<String> {
        dag_files(project, airflow)
            .dag_files
            .into_iter()
            .map(|f| format!("dags/{}", f.relative))
            .collect()
    };
    let (before, after) = (names(current_airflow), names(target_airflow));
    let newly: Vec<&String> = after.difference(&before).collect();
    let dropped: Vec<&String> = before.difference(&after).collect();
    let mut out = Vec::new();
    let finding = |message: String| skyhop_core::Finding {
        path: "dags/.airflowignore".into(),
        line: 0,
        column: 0,
        rule: "SKY310".into(),
        severity: skyhop_core::Severity::Warning,
        message,
        // Or rewrite the patterns as globs (the rule's doc says so).
        replacement: Some("AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX=regexp".into()),
        source: skyhop_core::Source::Check,
        related: Vec::new(),
        facts: Default::default(),
    };
    let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    if !newly.is_empty() {
        out.push(finding(format!(
            "Airflow {target_airflow} parses files that Airflow {current_airflow} ignores ({}): it reads `.airflowignore` differently (glob patterns by default from Airflow 3)",
            list(&newly)
        )));
    }
    if !dropped.is_empty() {
        out.push(finding(format!(
            "Airflow {target_airflow} skips DAG files that Airflow {current_airflow} parses ({}): it reads `.airflowignore` differently (glob patterns by default from Airflow 3)",
            list(&dropped)
        )));
    }
    out
}
