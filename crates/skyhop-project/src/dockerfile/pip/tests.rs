use super::*;

fn installs(text: &str) -> PipInstalls {
    Dockerfile::parse(text).unwrap().pip_installs()
}

#[test]
fn reads_pip_install_steps() {
    let from = "FROM quay.io/astronomer/astro-runtime:12.0.0\n";
    let r = installs(&format!(
        "{from}RUN pip install --no-cache-dir 'pandas==2.1.0' requests && echo ok\n"
    ));
    assert_eq!(
        r.requirements,
        [
            (2, "pandas==2.1.0".to_string()),
            (2, "requests".to_string())
        ]
    );
    let r = installs(&format!(
        "{from}RUN python -m pip install --user -r requirements.txt dbt-core==1.8.0\n"
    ));
    assert_eq!(r.requirements, [(2, "dbt-core==1.8.0".to_string())]);
    assert!(r.unmodelled.is_empty());
    let r = installs(&format!(
        "{from}RUN python -m venv dbt_venv && source dbt_venv/bin/activate && pip install dbt-bigquery && deactivate\n"
    ));
    assert!(r.requirements.is_empty());
    assert!(r.unmodelled[0].1.contains("separate virtual environment"));
    assert!(
        installs(&format!("{from}RUN apt-get install -y pip\n"))
            .requirements
            .is_empty()
    );
}

#[test]
fn a_cloned_repository_is_installed_from_its_url() {
    let r = installs(
        "FROM quay.io/astronomer/astro-runtime:12.0.0\nRUN git clone --depth 1 https://github.com/acme/platform-lib.git && pip install --constraint https://raw.githubusercontent.com/apache/airflow/constraints-2.11.2/constraints-3.10.txt ./platform-lib[gcp]\n",
    );
    assert_eq!(r.sources.len(), 1);
    assert_eq!(
        r.sources[0].kind,
        SourceKind::Remote {
            requirement: "git+https://github.com/acme/platform-lib.git".into()
        }
    );
    assert_eq!(r.sources[0].package.as_deref(), Some("platform-lib"));
    assert_eq!(
        r.constraints,
        [(
            2,
            "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.2/constraints-3.10.txt"
                .to_string()
        )]
    );
    // a branch, a target folder and a `cd` into it
    let r = installs(
        "FROM quay.io/astronomer/astro-runtime:12.0.0\nWORKDIR /tmp\nRUN git clone -b v2 https://gitlab.example/x/tools.git t && cd t && pip install .\n",
    );
    assert_eq!(
        r.sources[0].kind,
        SourceKind::Remote {
            requirement: "git+https://gitlab.example/x/tools.git@v2".into()
        }
    );
    assert_eq!(r.sources[0].package.as_deref(), Some("tools"));
}

#[test]
fn paths_are_traced_to_the_project() {
    // Astro Runtime (not -base): the project is in /usr/local/airflow
    let r = installs(
        "FROM quay.io/astronomer/astro-runtime:12.0.0\nRUN pip install -e ./libs/helpers\n",
    );
    assert_eq!(
        r.sources[0].kind,
        SourceKind::Project {
            path: "libs/helpers".into(),
            extras: String::new(),
            editable: true
        }
    );
    // -base: only what is copied
    let r = installs(
        "FROM quay.io/astronomer/astro-runtime:9.5.0-base\nCOPY include/x-0.1-py3-none-any.whl /tmp\nRUN pip install /tmp/x-0.1-py3-none-any.whl /opt/elsewhere\n",
    );
    assert_eq!(
        r.sources[0].kind,
        SourceKind::Project {
            path: "include/x-0.1-py3-none-any.whl".into(),
            extras: String::new(),
            editable: false
        }
    );
    assert_eq!(r.sources[0].package.as_deref(), Some("x"));
    assert_eq!(
        r.sources[1].kind,
        SourceKind::Unmapped {
            path: "/opt/elsewhere".into()
        }
    );
    // ENV substitution and a copied folder
    let r = installs(
        "FROM quay.io/astronomer/astro-runtime:13.1.0-base\nCOPY ./cosmos/ ${AIRFLOW_HOME}/astronomer_cosmos/cosmos/\nCOPY ./pyproject.toml ${AIRFLOW_HOME}/astronomer_cosmos/\nRUN uv pip install --system -e \"${AIRFLOW_HOME}/astronomer_cosmos\"[dbt-postgres]\n",
    );
    assert_eq!(r.sources[0].package.as_deref(), Some("astronomer-cosmos"));
    // the folder itself was never copied whole: not traceable
    assert!(matches!(r.sources[0].kind, SourceKind::Unmapped { .. }));
    // a git URL
    let r = installs(
        "FROM apache/airflow:2.10.5\nRUN pip install 'git+https://github.com/acme/lib.git@v1#egg=acme-lib'\n",
    );
    assert_eq!(r.sources[0].package.as_deref(), Some("acme-lib"));
}

#[test]
fn expands_and_joins() {
    let env = vec![("AIRFLOW_HOME".to_string(), "/usr/local/airflow".to_string())];
    assert_eq!(expand_vars("$AIRFLOW_HOME/x", &env), "/usr/local/airflow/x");
    assert_eq!(
        expand_vars("${AIRFLOW_HOME}/x", &env),
        "/usr/local/airflow/x"
    );
    assert_eq!(expand_vars("$AIRFLOW_HOMEX", &env), "$AIRFLOW_HOMEX");
    assert_eq!(join("/a/b", "../c/./d"), "/a/c/d");
    assert_eq!(join("/a", "/x/"), "/x");
}

#[test]
fn globs_names_made_paths_and_requirement_files() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("include")).unwrap();
    std::fs::write(r.join("include/dag_factory-1.0-py3-none-any.whl"), b"").unwrap();
    std::fs::write(
        r.join("pyproject.toml"),
        "[build-system]\nrequires = []\n[project]\nname = \"Trend_Scope\"\n",
    )
    .unwrap();
    std::fs::write(r.join("requirements-airflow.txt"), "pandas\n").unwrap();
    let df = Dockerfile::parse(
        "FROM astrocrpublic.azurecr.io/runtime:3.2-3\nRUN uv pip install --system /usr/local/airflow/include/*.whl /usr/local/airflow/dist/*.whl\nRUN pip install -e /usr/local/airflow\nCOPY requirements-airflow.txt /tmp/requirements-airflow.txt\nRUN pip install -r /tmp/requirements-airflow.txt\nRUN python -m venv /home/astro/dbt-venv && /home/astro/dbt-venv/bin/pip install dbt-core\nRUN mkdir -p /usr/local/airflow/data && cd /tmp && git clone https://x.invalid/r.git repo\n",
    )
    .unwrap();
    let i = df.pip_installs_in(Some(r));
    assert_eq!(i.sources.len(), 3, "{:?}", i.sources);
    assert_eq!(i.sources[0].package.as_deref(), Some("dag-factory"));
    assert!(matches!(i.sources[0].kind, SourceKind::Project { .. }));
    assert!(
        matches!(&i.sources[1].kind, SourceKind::Unmapped { path } if path.contains("no file"))
    );
    assert_eq!(i.sources[2].package.as_deref(), Some("trend-scope"));
    assert_eq!(
        i.requirement_files,
        [(5, "requirements-airflow.txt".to_string())]
    );
    assert_eq!(
        i.made,
        [
            "/home/astro/dbt-venv".to_string(),
            "/usr/local/airflow/data".to_string(),
            "/tmp/repo".to_string()
        ]
    );
    // a real project's `dbt parse` in the dbt project's WORKDIR makes the manifest that
    // its DbtDag reads (`target/manifest.json`)
    let df = Dockerfile::parse(
        "FROM astrocrpublic.azurecr.io/runtime:3.0-3\nWORKDIR /usr/local/airflow/dbt/demo\nRUN mkdir -p ~/.dbt && source /usr/local/airflow/dbt_venv/bin/activate && dbt deps && dbt parse\nRUN dbt compile --project-dir /usr/local/airflow/dbt/other --target-path out\n",
    )
    .unwrap();
    let made = df.pip_installs_in(Some(r)).made;
    assert!(
        made.contains(&"/usr/local/airflow/dbt/demo/target".to_string()),
        "{made:?}"
    );
    assert!(made.contains(&"/usr/local/airflow/dbt/demo/dbt_packages".to_string()));
    assert!(made.contains(&"/usr/local/airflow/dbt/other/out".to_string()));
    assert!(wildcard("*.whl", "a-1.whl"));
    assert!(!wildcard("*.whl", "a-1.tar.gz"));
}
