use super::*;

#[test]
fn logical_lines_join_and_strip_comments() {
    let text = "# top\na==1 # pinned\nb \\\n  >=2 \\\n  ; python_version<'3.12'\nhttps://x/y.whl#egg=y\n\n";
    let got: Vec<(usize, String)> = logical_lines(text)
        .into_iter()
        .map(|(l, m)| (l, m.text))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "a==1".into()),
            (3, "b   >=2   ; python_version<'3.12'".into()),
            (6, "https://x/y.whl#egg=y".into())
        ]
    );
}

#[test]
fn options() {
    assert_eq!(
        split_option("-r dev.txt").unwrap(),
        ("--requirement", Some("dev.txt".into()))
    );
    assert_eq!(
        split_option("-rdev.txt").unwrap(),
        ("--requirement", Some("dev.txt".into()))
    );
    assert_eq!(
        split_option("--index-url=https://x").unwrap(),
        ("--index-url", Some("https://x".into()))
    );
    assert_eq!(split_option("--pre").unwrap(), ("--pre", None));
    assert!(split_option("--frobnicate").is_err());
    assert!(split_option("--index-url").is_err());
}

#[test]
fn names_from_urls() {
    assert_eq!(
        name_from_url("git+https://g/x.git@v1#egg=my_pkg").as_deref(),
        Some("my_pkg")
    );
    assert_eq!(
        name_from_url("https://f/pkgs/foo_bar-1.0-py3-none-any.whl").as_deref(),
        Some("foo_bar")
    );
    assert_eq!(name_from_url("./local").as_deref(), None);
}
