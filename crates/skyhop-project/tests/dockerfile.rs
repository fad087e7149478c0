//! Dockerfile parsing, classification and byte-exact rewriting on fixture files.

use std::path::PathBuf;

use skyhop_project::{BaseImage, Dockerfile, NewBase};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dockerfiles")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts that `new` differs from `old` only on the given 1-based lines, where exactly one
/// occurrence of `from` became `to`; every other byte (line endings included) is the same.
fn assert_only(old: &str, new: &str, edits: &[(usize, &str, &str)]) {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    assert_eq!(
        old_lines.len(),
        new_lines.len(),
        "line count changed:\n{new}"
    );
    for (i, (o, n)) in old_lines.iter().zip(&new_lines).enumerate() {
        match edits.iter().find(|(l, _, _)| *l == i + 1) {
            Some((_, from, to)) => {
                assert_eq!(
                    o.matches(from).count(),
                    1,
                    "line {}: `{from}` not once in {o:?}",
                    i + 1
                );
                assert_eq!(*n, o.replacen(from, to, 1), "line {}", i + 1);
            }
            None => assert_eq!(o, n, "line {} changed", i + 1),
        }
    }
}

fn rewrite(name: &str, version: &str) -> (String, skyhop_project::Rewrite) {
    let old = fixture(name);
    let df = Dockerfile::parse(&old).unwrap();
    let rw = df.with_base_version(version).unwrap();
    (old, rw)
}

#[test]
fn simple_runtime() {
    let old = fixture("simple.Dockerfile");
    let df = Dockerfile::parse(&old).unwrap();
    let base = df.base_image().unwrap();
    assert_eq!(base.line, 1);
    assert_eq!(
        base.base,
        BaseImage::AstroRuntime {
            repo: "quay.io/astronomer/astro-runtime".into(),
            version: "11.3.0".into(),
            suffix: "".into(),
            python: None
        }
    );
    let stage = &df.stages()[0];
    assert_eq!(&old[stage.tag_span.clone().unwrap()], "11.3.0");
    let config: Vec<(String, String, usize)> = df
        .airflow_config()
        .into_iter()
        .map(|(s, k, e)| (s, k, e.line))
        .collect();
    assert_eq!(
        config,
        vec![
            ("core".into(), "dag_concurrency".into(), 4),
            ("webserver".into(), "expose_config".into(), 5)
        ]
    );
    let rw = df.with_base_version("11.8.0").unwrap();
    assert_only(&old, &rw.text, &[(1, "11.3.0", "11.8.0")]);
    assert_eq!(rw.changes.len(), 1);
    assert!(rw.notes.is_empty());
}

#[test]
fn multistage_platform_alias_and_custom_stage() {
    let old = fixture("multistage.Dockerfile");
    let df = Dockerfile::parse(&old).unwrap();
    let stages = df.stages();
    assert_eq!(stages.len(), 4);
    assert_eq!(stages[0].name.as_deref(), Some("tools"));
    assert_eq!(stages[1].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(stages[1].name.as_deref(), Some("builder"));
    assert_eq!(stages[2].from_stage, Some(1));
    assert!(stages[2].reference.is_none());
    assert_eq!(stages[3].platform.as_deref(), Some("$BUILDPLATFORM"));
    let base = df.base_image().unwrap();
    assert_eq!(base.line, 12);
    assert_eq!(base.base.python(), Some("3.11"));
    // The intermediate stage follows its alias to the builder's image.
    assert_eq!(df.stage_base(2).unwrap().line, 5);
    assert_eq!(df.env().len(), 2);
    assert_eq!(df.final_env().len(), 2);

    let rw = df.with_base_version("12.1.0").unwrap();
    assert_only(
        &old,
        &rw.text,
        &[(5, "11.3.0", "12.1.0"), (12, "11.3.0", "12.1.0")],
    );
    assert_eq!(rw.changes.len(), 2);
}

#[test]
fn arg_templated_version_rewrites_the_arg_default() {
    let old = fixture("arg.Dockerfile");
    let df = Dockerfile::parse(&old).unwrap();
    let stage = &df.stages()[0];
    assert_eq!(
        stage.resolved,
        "quay.io/astronomer/astro-runtime:11.3.0-base"
    );
    assert_eq!(stage.args_used, vec!["RUNTIME_VERSION", "FLAVOUR"]);
    // The tag is assembled from two ARGs: it has no single span.
    assert_eq!(stage.tag_span, None);
    let base = df.base_image().unwrap();
    assert_eq!(base.base.version(), Some("11.3.0"));
    let rw = df.with_base_version("11.8.0").unwrap();
    assert_only(&old, &rw.text, &[(1, "11.3.0", "11.8.0")]);
    assert_eq!(
        rw.changes[0].after,
        "quay.io/astronomer/astro-runtime:11.8.0-base"
    );
    insta::assert_snapshot!(rw.notes.join("\n"), @"line 3: the image comes from `ARG RUNTIME_VERSION` on line 1; its default was changed (a `--build-arg RUNTIME_VERSION=...` would still override it)");
}

#[test]
fn arg_templated_image_changes_repo_inside_the_arg() {
    let (old, rw) = rewrite("arg-image.Dockerfile", "3.1-12");
    assert_only(
        &old,
        &rw.text,
        &[(
            1,
            "quay.io/astronomer/astro-runtime:12.1.0",
            "astrocrpublic.azurecr.io/runtime:3.1-12",
        )],
    );
}

#[test]
fn digest_is_dropped_with_a_note() {
    let (old, rw) = rewrite("digest.Dockerfile", "11.8.0");
    let digest = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_only(&old, &rw.text, &[(1, &format!("11.3.0{digest}"), "11.8.0")]);
    insta::assert_snapshot!(rw.notes.join("\n"), @"line 1: the digest pin `sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef` was dropped: it names the old image (pin the new image's digest again if you want one)");
}

#[test]
fn comments_and_continuations_are_kept() {
    let old = fixture("comments.Dockerfile");
    let df = Dockerfile::parse(&old).unwrap();
    assert_eq!(df.stages().len(), 1);
    assert_eq!(df.stages()[0].name.as_deref(), Some("runtime"));
    let rw = df.with_base_version("11.8.0").unwrap();
    assert_only(&old, &rw.text, &[(3, "11.3.0", "11.8.0")]);
}

#[test]
fn crlf_line_endings_are_kept() {
    for name in [
        "comments.Dockerfile",
        "multistage.Dockerfile",
        "arg.Dockerfile",
    ] {
        let old = fixture(name).replace('\n', "\r\n");
        let df = Dockerfile::parse(&old).unwrap();
        let rw = df.with_base_version("11.8.0").unwrap();
        assert_eq!(rw.text.matches("\r\n").count(), old.matches("\r\n").count());
        assert_eq!(rw.text.replace("11.8.0", "11.3.0"), old, "{name}");
    }
}

#[test]
fn apache_airflow_images() {
    let (old, rw) = rewrite("apache.Dockerfile", "2.11.0");
    assert_only(&old, &rw.text, &[(1, "2.10.5", "2.11.0")]);
    let (old, rw) = rewrite("apache-slim.Dockerfile", "2.11.0");
    assert_only(&old, &rw.text, &[(1, "2.10.5", "2.11.0")]);
    let df = Dockerfile::parse(&old).unwrap();
    assert_eq!(
        df.base_image().unwrap().base,
        BaseImage::ApacheAirflow {
            repo: "apache/airflow".into(),
            version: "2.10.5".into(),
            python: Some("3.11".into()),
            slim: true,
            suffix: "-python3.11".into()
        }
    );
}

#[test]
fn astronomer_certified_images() {
    let (old, rw) = rewrite("ap-airflow.Dockerfile", "2.3.0-2");
    assert_only(&old, &rw.text, &[(1, "2.2.5", "2.3.0-2")]);
    let df = Dockerfile::parse(&old).unwrap();
    let rw = df
        .rewrite_base(&NewBase {
            repo: Some("quay.io/astronomer/astro-runtime".into()),
            version: "5.0.0".into(),
        })
        .unwrap();
    assert_only(
        &old,
        &rw.text,
        &[(1, "ap-airflow:2.2.5-onbuild", "astro-runtime:5.0.0")],
    );
    assert_eq!(rw.notes.len(), 1);
}

#[test]
fn airflow3_runtime_and_scheme_change() {
    let (old, rw) = rewrite("af3.Dockerfile", "3.1-14");
    assert_only(&old, &rw.text, &[(1, "3.1-12", "3.1-14")]);
    let (old, rw) = rewrite("af2-12.Dockerfile", "3.1-12");
    assert_only(
        &old,
        &rw.text,
        &[(
            1,
            "quay.io/astronomer/astro-runtime:12.1.0",
            "astrocrpublic.azurecr.io/runtime:3.1-12",
        )],
    );
    // And back (the CLI refuses downgrades; the rewrite itself is symmetric).
    let df = Dockerfile::parse(&rw.text).unwrap();
    assert_eq!(df.with_base_version("12.1.0").unwrap().text, old);
}

#[test]
fn slim_suffix_kept_with_a_note_for_airflow3() {
    let (old, rw) = rewrite("slim.Dockerfile", "11.8.0");
    assert_only(&old, &rw.text, &[(1, "11.3.0", "11.8.0")]);
    assert!(rw.notes.is_empty());
    let (_, rw) = rewrite("slim.Dockerfile", "3.1-12");
    assert_eq!(
        rw.text,
        "FROM astrocrpublic.azurecr.io/runtime:3.1-12-slim\n"
    );
    assert_eq!(rw.notes.len(), 1);
}

#[test]
fn escape_directive_heredocs_and_lowercase() {
    let old = fixture("heredoc.Dockerfile");
    let df = Dockerfile::parse(&old).unwrap();
    assert_eq!(df.directives().escape, '`');
    assert_eq!(
        df.stages().len(),
        1,
        "FROM lines in heredocs are not stages"
    );
    assert_eq!(df.stages()[0].name.as_deref(), Some("final"));
    assert_eq!(df.env()[0].value, "/usr/local/airflow/.local/bin:$PATH");
    let rw = df.with_base_version("11.8.0").unwrap();
    assert_only(&old, &rw.text, &[(2, "11.3.0", "11.8.0")]);
}

#[test]
fn env_forms() {
    let df = Dockerfile::parse(
        "FROM a:1\nENV A=1 B=\"two words\" C=x\\ y\nENV OLD value with spaces\nENV Q='$NOT'\n",
    )
    .unwrap();
    let env: Vec<(&str, &str, usize)> = df
        .env()
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
        .collect();
    assert_eq!(
        env,
        vec![
            ("A", "1", 2),
            ("B", "two words", 2),
            ("C", "x y", 2),
            ("OLD", "value with spaces", 3),
            ("Q", "$NOT", 4)
        ]
    );
}

#[test]
fn every_fixture_round_trips_unchanged_when_version_is_the_same() {
    for (name, version) in [
        ("simple.Dockerfile", "11.3.0"),
        ("multistage.Dockerfile", "11.3.0"),
        ("arg.Dockerfile", "11.3.0"),
        ("apache.Dockerfile", "2.10.5"),
        ("af3.Dockerfile", "3.1-12"),
        ("heredoc.Dockerfile", "11.3.0"),
    ] {
        let (old, rw) = rewrite(name, version);
        assert_eq!(rw.text, old, "{name}");
        assert!(rw.changes.is_empty(), "{name}");
    }
}

/// Every error message a user can see from the Dockerfile, one per line.
#[test]
fn error_messages() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary");
    std::fs::write(&binary, b"FROM a:1\n\0\x01\x02").unwrap();
    let latin1 = dir.path().join("latin1");
    std::fs::write(&latin1, b"FROM a:1\n# caf\xe9\n").unwrap();
    let mut out = Vec::new();
    for (what, path) in [
        ("missing", dir.path().join("nope")),
        ("binary", binary),
        ("non-UTF-8", latin1),
        ("directory", dir.path().to_path_buf()),
    ] {
        let e = Dockerfile::read(&path, "Dockerfile").unwrap_err();
        out.push(format!("{what}: {e}"));
    }
    let parse_cases = [
        ("empty", ""),
        ("only comments", "# nothing\n\n"),
        ("unknown instruction", "FROM a:1\nFORM b\n"),
        ("before FROM", "RUN echo hi\nFROM a:1\n"),
        ("bad escape", "# escape=x\nFROM a:1\n"),
        ("twice escape", "# escape=`\n# escape=\\\nFROM a:1\n"),
        ("heredoc", "FROM a:1\nRUN <<EOF\necho\n"),
        ("FROM alone", "FROM\n"),
        ("FROM flag", "FROM --pull a:1\n"),
        ("FROM extra", "FROM a:1 b\n"),
        ("FROM AS", "FROM a:1 AS\n"),
    ];
    for (what, text) in parse_cases {
        let e = Dockerfile::parse(text).unwrap_err();
        out.push(format!("{what}: {e}"));
    }
    let base_cases = [
        ("no tag", "FROM quay.io/astronomer/astro-runtime\n"),
        (
            "digest only",
            "FROM quay.io/astronomer/astro-runtime@sha256:00\n",
        ),
        ("latest", "FROM apache/airflow:latest\n"),
        ("latest-python", "FROM apache/airflow:latest-python3.11\n"),
        ("floating", "FROM astrocrpublic.azurecr.io/runtime:3.1\n"),
        ("bad apache tag", "FROM apache/airflow:2.10\n"),
        (
            "unknown registry",
            "# mirror\n\nFROM myregistry.example.com/astronomer/astro-runtime:11.3.0\n",
        ),
        (
            "custom",
            "FROM python:3.11-slim\nRUN pip install apache-airflow\n",
        ),
        (
            "custom final",
            "FROM quay.io/astronomer/astro-runtime:11.3.0 AS a\nFROM python:3.11\n",
        ),
        (
            "undefined arg",
            "ARG V\nFROM quay.io/astronomer/astro-runtime:${V}\n",
        ),
        ("scratch", "FROM scratch\n"),
    ];
    for (what, text) in base_cases {
        let e = Dockerfile::parse(text).unwrap().base_image().unwrap_err();
        out.push(format!("{what}: {e}"));
    }
    let rewrite_cases = [
        (
            "split version",
            "ARG MAJOR=11\nFROM quay.io/astronomer/astro-runtime:${MAJOR}.3.0\n",
            "11.8.0",
        ),
        (
            "partial version",
            "FROM quay.io/astronomer/astro-runtime:11.3.0\n",
            "11.8",
        ),
        (
            "airflow version for apache",
            "FROM apache/airflow:2.10.5\n",
            "3.1-12",
        ),
    ];
    for (what, text, version) in rewrite_cases {
        let e = Dockerfile::parse(text)
            .unwrap()
            .with_base_version(version)
            .unwrap_err();
        out.push(format!("{what}: {e}"));
    }
    let e = Dockerfile::parse("FROM apache/airflow:2.10.5\n")
        .unwrap()
        .rewrite_base(&NewBase {
            repo: Some("quay.io/astronomer/astro-runtime".into()),
            version: "12.1.0".into(),
        })
        .unwrap_err();
    out.push(format!("family switch: {e}"));
    let text = out
        .join("\n")
        .replace(&dir.path().display().to_string(), "<tmp>");
    insta::assert_snapshot!(text);
}

#[test]
fn shared_arg_and_other_family_stage() {
    let old = "ARG RUNTIME=11.3.0\nFROM apache/airflow:2.9.1 AS docs\nFROM quay.io/astronomer/astro-runtime:${RUNTIME}-base AS build\nFROM quay.io/astronomer/astro-runtime:${RUNTIME}\n";
    let df = Dockerfile::parse(old).unwrap();
    let rw = df.with_base_version("11.8.0").unwrap();
    assert_only(old, &rw.text, &[(1, "11.3.0", "11.8.0")]);
    assert_eq!(rw.changes.len(), 2);
    insta::assert_snapshot!(rw.notes.join("\n"), @r"
    line 2: `apache/airflow:2.9.1` (Apache Airflow) is not an Astro Runtime image; left alone
    line 3: the image comes from `ARG RUNTIME` on line 1; its default was changed (a `--build-arg RUNTIME=...` would still override it)
    line 4: the image comes from `ARG RUNTIME` on line 1; its default was changed (a `--build-arg RUNTIME=...` would still override it)
    ");
}

#[test]
fn slim_repository_is_a_runtime_image() {
    let old = "FROM quay.io/astronomer/astro-runtime-slim:12.8.0\n";
    let df = Dockerfile::parse(old).unwrap();
    match df.base_image().unwrap().base {
        skyhop_project::BaseImage::AstroRuntime { repo, version, .. } => {
            assert_eq!(repo, "quay.io/astronomer/astro-runtime-slim");
            assert_eq!(version, "12.8.0");
        }
        other => panic!("{other:?}"),
    }
    // an Airflow 2 target keeps the slim repository, an Airflow 3 target moves to the AF3 one
    assert_eq!(
        df.with_base_version("13.11.0").unwrap().text,
        "FROM quay.io/astronomer/astro-runtime-slim:13.11.0\n"
    );
    assert_eq!(
        df.with_base_version("3.1-12").unwrap().text,
        "FROM astrocrpublic.azurecr.io/runtime:3.1-12\n"
    );
    let mirror = "FROM astrocrpublic.azurecr.io/astronomer/astro-runtime:12.8.0\n";
    assert!(matches!(
        Dockerfile::parse(mirror)
            .unwrap()
            .base_image()
            .unwrap()
            .base,
        skyhop_project::BaseImage::AstroRuntime { .. }
    ));
}
