//! requirements.txt parsing, includes, errors and byte-exact pinning.

use std::path::{Path, PathBuf};

use skyhop_project::Requirements;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requirements")
}

fn parse(text: &str) -> Result<Requirements, skyhop_project::RequirementsError> {
    Requirements::parse_str(text, &dir().join("inline.txt"), "requirements.txt")
}

#[test]
fn parses_the_fixture_with_includes() {
    let reqs = Requirements::read(&dir().join("requirements.txt"), "requirements.txt").unwrap();
    let names: Vec<(&str, Option<&str>, &str, usize)> = reqs
        .requirements()
        .iter()
        .map(|r| {
            (
                r.normalized.as_str(),
                r.specifier.as_deref(),
                r.file.as_str(),
                r.line,
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "apache-airflow-providers-slack",
                Some("==8.6.2"),
                "requirements.txt",
                5
            ),
            (
                "apache-airflow-providers-snowflake",
                None,
                "requirements.txt",
                6
            ),
            (
                "apache-airflow-providers-celery",
                None,
                "requirements.txt",
                7
            ),
            (
                "apache-airflow-providers-http",
                Some(">=4.0"),
                "requirements.txt",
                8
            ),
            ("pandas", Some(">=2.1, <2.3"), "requirements.txt", 10),
            ("requests", Some("==2.32.3"), "requirements.txt", 11),
            ("my-tool", None, "requirements.txt", 12),
            ("pytest", Some(">=8"), "requirements-dev.txt", 1),
            (
                "apache-airflow-providers-postgres",
                None,
                "requirements-dev.txt",
                2
            ),
        ]
    );
    let celery = &reqs.find("apache_airflow_providers_celery")[0];
    assert_eq!(celery.extras, vec!["redis"]);
    assert_eq!(
        celery.marker.as_deref(),
        Some("python_full_version >= '3.9'")
    );
    assert_eq!(celery.name, "Apache_Airflow_Providers_Celery");
    let http = &reqs.find("apache-airflow-providers-http")[0];
    assert_eq!(http.hashes.len(), 1);
    assert!(reqs.find("my-tool")[0].is_pinned());
    assert!(reqs.find("requests")[0].is_pinned());
    assert!(!reqs.find("pandas")[0].is_pinned());
    assert_eq!(reqs.constraints()[0].normalized, "urllib3");
    let idx = reqs.index_urls();
    assert_eq!(
        idx.extra_index_urls,
        vec!["https://pypi.example.com/simple"]
    );
    assert_eq!(idx.trusted_hosts, vec!["pypi.example.com"]);
    assert_eq!(idx.index_url, None);
    assert_eq!(reqs.includes().len(), 2);
    assert_eq!(reqs.files().len(), 3);
}

#[test]
fn options_urls_and_unnamed() {
    let reqs = parse(
        "-i https://mirror.example/simple\n--index-url=https://second.example/simple\n--find-links ./wheels\n--no-index\n--pre\n-e git+https://g.example/x.git@v1#egg=xpkg\n./local/pkg\nhttps://f.example/a_b-2.0-py3-none-any.whl\n-r https://example.com/remote.txt\n",
    )
    .unwrap();
    let idx = reqs.index_urls();
    assert_eq!(
        idx.index_url.as_deref(),
        Some("https://second.example/simple")
    );
    assert_eq!(idx.find_links, vec!["./wheels"]);
    assert!(idx.no_index);
    let xpkg = &reqs.find("xpkg")[0];
    assert!(xpkg.editable);
    assert_eq!(reqs.find("a-b")[0].line, 8);
    assert_eq!(reqs.unnamed()[0].target, "./local/pkg");
    assert!(!reqs.includes()[0].followed);
}

#[test]
fn continuation_lines_keep_the_first_line_number() {
    let reqs = parse("a==1\nb \\\n  >=2\nc\n").unwrap();
    let lines: Vec<usize> = reqs.requirements().iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![1, 2, 4]);
}

#[test]
fn pin_is_byte_exact() {
    let path = dir().join("requirements.txt");
    let old = std::fs::read_to_string(&path).unwrap();
    let reqs = Requirements::read(&path, "requirements.txt").unwrap();
    let pins = [
        ("apache-airflow-providers-slack", "8.7.0"),
        ("apache-airflow-providers-snowflake", "5.5.1"),
        ("apache-airflow-providers-celery", "3.7.0"),
        ("apache-airflow-providers-http", "4.10.1"),
        ("apache-airflow-providers-postgres", "5.11.0"),
        ("apache-airflow-providers-amazon", "8.24.0"),
        ("apache-airflow-providers-common-sql", "1.14.0"),
    ];
    let result = reqs.pin(&pins);
    let expected = old
        .replace(
            "apache-airflow-providers-snowflake\n",
            "apache-airflow-providers-snowflake==5.5.1\n",
        )
        .replace(
            "Apache_Airflow_Providers_Celery[redis] ;",
            "Apache_Airflow_Providers_Celery[redis]==3.7.0 ;",
        )
        .replace(
            "apache-airflow-providers-http >=4.0 \\",
            "apache-airflow-providers-http ==4.10.1 \\",
        )
        + "apache-airflow-providers-amazon==8.24.0\napache-airflow-providers-common-sql==1.14.0\n";
    assert_eq!(result.new_text, expected);
    let pinned: Vec<(&str, Option<usize>, Option<&str>)> = result
        .pinned
        .iter()
        .map(|p| (p.name.as_str(), p.line, p.was.as_deref()))
        .collect();
    assert_eq!(
        pinned,
        vec![
            ("apache-airflow-providers-snowflake", Some(6), None),
            ("Apache_Airflow_Providers_Celery", Some(7), None),
            ("apache-airflow-providers-http", Some(8), Some(">=4.0")),
            ("apache-airflow-providers-amazon", None, None),
            ("apache-airflow-providers-common-sql", None, None),
        ]
    );
    assert_eq!(result.already_pinned.len(), 1);
    assert_eq!(result.already_pinned[0].spec, "==8.6.2");
    assert_eq!(result.already_pinned[0].wanted, "8.7.0");
    assert_eq!(result.not_edited.len(), 1);
    assert_eq!(result.not_edited[0].file, "requirements-dev.txt");
    // The result parses again and every provider is now pinned.
    let again = Requirements::parse_str(&result.new_text, &path, "requirements.txt").unwrap();
    for (name, _) in pins {
        for r in again.find(name) {
            if r.file == "requirements.txt" {
                assert!(r.is_pinned(), "{name}");
            }
        }
    }
}

#[test]
fn pin_keeps_crlf_and_adds_a_missing_final_newline() {
    let reqs = parse("# providers\r\napache-airflow-providers-slack\r\npandas").unwrap();
    let result = reqs.pin(&[
        ("apache-airflow-providers-slack", "8.7.0"),
        ("apache-airflow-providers-amazon", "8.24.0"),
    ]);
    assert_eq!(
        result.new_text,
        "# providers\r\napache-airflow-providers-slack==8.7.0\r\npandas\r\napache-airflow-providers-amazon==8.24.0\r\n"
    );
    let empty = parse("").unwrap();
    assert_eq!(empty.pin(&[("a", "1")]).new_text, "a==1\n");
    // Nothing to do: the text is unchanged.
    let same = parse("x==1\n").unwrap().pin(&[("x", "2")]);
    assert_eq!(same.new_text, "x==1\n");
}

/// Every error message a user can see from requirements files.
#[test]
fn error_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut out = Vec::new();
    let mut case = |what: &str, path: &Path| {
        let e = Requirements::read(path, "requirements.txt").unwrap_err();
        out.push(format!("{what}: {e}"));
    };
    case("missing", &tmp.path().join("nope.txt"));
    case("binary", &write("bin.txt", b"a==1\n\0\0"));
    case("non-UTF-8", &write("latin.txt", b"a==1\ncaf\xe9==1\n"));
    case(
        "bad version",
        &write("v.txt", b"pandas>=2.1,<2.3\nrequests==\n"),
    );
    case("unknown short option", &write("n.txt", b"\n\n-x foo\n"));
    case("bad name", &write("p.txt", b"(name)==1\n"));
    case("garbage", &write("g.txt", b"pandas >= 2.1 / foo\n"));
    case("unicode", &write("u.txt", b"caf\xc3\xa9 >= 1 ; \xc3\xa9\n"));
    case("unknown option", &write("o.txt", b"--frobnicate\n"));
    case("missing value", &write("m.txt", b"--index-url\n"));
    case("bad hash option", &write("h.txt", b"a==1 --sha=abc\n"));
    case("missing include", &write("i.txt", b"-r other.txt\n"));
    case("error in include", &write("j.txt", b"-r v.txt\n"));
    case("cycle", &dir().join("cycle-a.txt"));
    let text = out
        .join("\n")
        .replace(&tmp.path().display().to_string(), "<tmp>");
    insta::assert_snapshot!(text);
}

#[test]
fn real_world_lines() {
    let text = r#"apache-airflow-providers-snowflake==5.5.1
git+https://github.com/org/repo.git@main#egg=repo
mypkg @ git+https://${GITHUB_TOKEN}@github.com/org/mypkg.git@v1.0
dbt-core>=1.5,<1.8; python_version >= "3.8"
apache-airflow[celery]==2.9.1
-e .
--extra-index-url=https://${ARTIFACTORY_USER}:${ARTIFACTORY_TOKEN}@artifactory.example.com/simple
package==1.0 \
    --hash=sha256:aaaa \
    --hash=sha256:bbbb
requests[security] ~= 2.28
apache-airflow-providers-google==10.*
my-local @ file:///usr/local/airflow/include/pkg
astronomer-cosmos[dbt-snowflake]>=1.4.0
tight@https://files.example.com/tight-1.0-py3-none-any.whl
./wheels/local-2.0-py3-none-any.whl ; python_version >= "3.9"
"#;
    let reqs = parse(text).unwrap();
    let got: Vec<(&str, bool, usize)> = reqs
        .requirements()
        .iter()
        .map(|r| (r.normalized.as_str(), r.is_pinned(), r.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("apache-airflow-providers-snowflake", true, 1),
            ("repo", true, 2),
            ("mypkg", true, 3),
            ("dbt-core", false, 4),
            ("apache-airflow", true, 5),
            ("package", true, 8),
            ("requests", false, 11),
            ("apache-airflow-providers-google", false, 12),
            ("my-local", true, 13),
            ("astronomer-cosmos", false, 14),
            ("tight", true, 15),
            ("local", true, 16),
        ]
    );
    assert_eq!(
        reqs.find("package")[0].hashes,
        vec!["sha256:aaaa", "sha256:bbbb"]
    );
    assert_eq!(reqs.unnamed()[0].target, ".");
    assert!(reqs.unnamed()[0].editable);
    let pinned = reqs.pin(&[
        ("apache-airflow-providers-google", "10.17.0"),
        ("astronomer-cosmos", "1.4.3"),
    ]);
    assert_eq!(
        pinned.new_text,
        text.replace("google==10.*", "google==10.17.0")
            .replace("snowflake]>=1.4.0", "snowflake]==1.4.3")
    );
}
