//! What each rule's fix does, as `skyhop rule CODE` says it.

use crate::registry::{Fixability, Rule};

/// What fixes a rule's findings, for `skyhop rule`: `(safe, unsafe)`, each `None` when there
/// is none of that kind ([`Rule::fix`]).
pub fn fix_doc(code: &str) -> (Option<&'static str>, Option<&'static str>) {
    let fix = Rule::from_code(code).map(Rule::fix).unwrap_or_default();
    (fix.safe, fix.unsafe_)
}

/// What fixes `rule`'s findings. Python fixes are made by `skyhop check --fix` and
/// `skyhop upgrade --fix`; fixes to other files (requirements, Dockerfile, `.env`) by
/// `skyhop upgrade --fix`, which knows the target environment.
pub(crate) fn fixability(rule: Rule) -> Fixability {
    let (safe, unsafe_) = match rule {
        Rule::ModuleNotFound
        | Rule::NameNotFound
        | Rule::DeprecatedImport
        | Rule::MovedOrRemovedName => (
            Some(
                "the import is rewritten to the new module and name (aliased to the old name when it changed), where the target environment or the curated tables know it; `days_ago(n)` becomes `pendulum.today(\"UTC\").add(days=-n)` with `import pendulum`; an operator whose replacement takes other arguments has its calls rewritten with the import (`SnowflakeOperator(snowflake_conn_id=..., warehouse=...)` -> `SQLExecuteQueryOperator(conn_id=..., hook_params={\"warehouse\": ...})`), or neither is made when a call cannot be (`**kwargs`, `hook_params` already given, the old argument set elsewhere such as `default_args`). `skyhop upgrade --fix` adds the provider package the new import needs to requirements.txt, at the version the target resolves (`>=`)",
            ),
            None,
        ),
        Rule::PackageNotInstalled => (
            Some(
                "`skyhop upgrade --fix` adds the package to requirements.txt at the version the target environment resolves (`>=`)",
            ),
            None,
        ),
        Rule::RemovedContextKey => (
            Some(
                "in templates the key becomes the expression Airflow documents (`{{ execution_date }}` -> `{{ logical_date }}`, `{{ next_ds }}` -> `{{ data_interval_end | ds }}`); in Python a key renamed to another key is renamed (`context[\"execution_date\"]` -> `context[\"logical_date\"]`)",
            ),
            Some(
                "in Python, a key whose replacement is formatted (`context[\"next_ds\"]`) becomes `context[\"data_interval_end\"].strftime(\"%Y-%m-%d\")`, which fails where the value is None (manual runs); a task-function parameter named after a removed key that has a one-name replacement (`def f(execution_date)`) is renamed with its uses in the function's body (`def f(logical_date)`), which changes the value where the two differ (Airflow 3's `logical_date` is None for a run without one); the rename is not made where it could change which variable a name means (the function already uses the new name, a nested function or lambda has a parameter of the old name, `global`/`nonlocal` names it, or the module calls the function with the old name as a keyword)",
            ),
        ),
        Rule::AttributeNotFound => (
            Some(
                "a module imported under a name whose function now lives on an object of that module (`from airflow import configuration as conf`; `conf.get(...)`) is imported as that object instead (`from airflow.configuration import conf`)",
            ),
            None,
        ),
        Rule::ScheduleArgument => (Some("the argument is renamed to `schedule`"), None),
        Rule::RemovedArgument => (
            Some(
                "a renamed argument is renamed; `provide_context` is dropped (the context is always passed), and so are the DAG's `default_view` and `orientation` (Airflow 3's UI has no such settings)",
            ),
            None,
        ),
        Rule::AirflowignoreSyntax => (
            Some(
                "`skyhop upgrade --fix` adds `ENV AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX=regexp` after the Dockerfile's FROM line, so `.airflowignore` is read as today",
            ),
            None,
        ),
        Rule::ConfigOption => (
            Some(
                "`skyhop upgrade --fix` renames the setting to the target's option where it is set, value and every other byte kept: the variable in the Dockerfile's `ENV` / `ARG` (and its `${...}` uses), `.env`, docker-compose `environment:` and Helm `env:`; the option in `airflow.cfg` and Helm `config:`, moved to its new section (made when missing), like `airflow config update --fix`",
            ),
            Some(
                "a removed option, a value Airflow 3 no longer takes, or an old name whose new one the file sets too, is taken out (its lines; a Helm section left empty becomes `{}`): it changes what the user wrote",
            ),
        ),
        Rule::ConfigReadInCode => (
            Some(
                "`skyhop upgrade --fix` makes the config read use the option the finding names (`conf.get(\"kubernetes\", \"namespace\")` -> `conf.get(\"kubernetes_executor\", \"namespace\")`), quotes and every other byte kept; a removed option with no successor is left for a person",
            ),
            None,
        ),
        Rule::RequirementConflict | Rule::NoWheel => (
            Some(
                "`skyhop upgrade --fix` changes the requirement to the version the finding names (one the target resolves, with a wheel)",
            ),
            None,
        ),
        Rule::DagImportError => (
            Some(
                "when a DAG file fails inside a package pinned in requirements.txt (it reaches into what the target removed), `skyhop upgrade --fix` pins the newest version that resolves with the target (`==1.0.0` -> `==1.3.0`) and parse-tests again",
            ),
            Some("when no newer version resolves: the pin is let up (`==1.4.2` -> `>=1.4.2`)"),
        ),
        _ => (None, None),
    };
    Fixability { safe, unsafe_ }
}
