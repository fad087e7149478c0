use super::*;

/// julie-scherer/airflow-astro-runtime-project: `apache-airflow-providers-trino==5.7.0`
/// (line 5) needs pandas < 2.2, which needs numpy 1.x: neither has a wheel for Python 3.14,
/// and the findings were on `requirements.txt:0`.
#[test]
fn a_package_no_line_names_is_traced_to_the_line_that_brings_it() {
    let line = |name: &str, n: usize| Line {
        text: name.into(),
        original: name.into(),
        file: "requirements.txt".into(),
        line: n,
        name: Some(name.into()),
        active: true,
        moved: None,
    };
    let lines = [
        line("apache-airflow-providers-amazon", 2),
        line("apache-airflow-providers-trino", 5),
    ];
    let mut resolved = Lock::default();
    resolved.provenance.via = [
        ("numpy", vec!["pandas", "apache-airflow-core"]),
        ("pandas", vec!["apache-airflow-providers-trino"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        brought_in_by("numpy", &resolved, &lines),
        ["apache-airflow-providers-trino", "pandas", "numpy"]
    );
    assert!(brought_in_by("apache-airflow-core", &resolved, &lines).is_empty());
}

#[test]
fn requirement_lines() {
    assert_eq!(name_of("Pandas[sql]>=2 # x").as_deref(), Some("pandas"));
    assert_eq!(name_of("# only a comment"), None);
    assert_eq!(name_of("--extra-index-url https://x"), None);
    assert_eq!(
        name_of("/tmp/airflow_provider_weaviate-0.0.1-py3-none-any.whl").as_deref(),
        Some("airflow-provider-weaviate")
    );
    assert_eq!(name_of("foo @ file:///x/foo.whl").as_deref(), Some("foo"));
    assert_eq!(
        with_version("pandas[sql]==2.1.0 ; python_version >= \"3\"", "2.1.1"),
        "pandas[sql]==2.1.1 ; python_version >= \"3\""
    );
    assert_eq!(with_version("duckdb", "1.0.0"), "duckdb==1.0.0");
    assert_eq!(
        absolute_refs("-r more.txt", Path::new("/p")),
        "-r /p/more.txt"
    );
    assert!(missing_file("/nonexistent/x-1-py3-none-any.whl").is_some());
    assert!(missing_file("pandas==2").is_none());
}
