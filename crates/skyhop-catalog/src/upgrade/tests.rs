use super::*;
use std::str::FromStr;

const DAY: Date = Date::constant(2026, 11, 22);

fn rt(s: &str) -> Target {
    Target::parse_runtime(s).unwrap()
}
fn af(s: &str) -> Target {
    Target::parse_airflow(s).unwrap()
}
fn opts(allow_deprecated: bool) -> UpgradeOptions {
    UpgradeOptions {
        allow_deprecated,
        today: DAY,
    }
}
fn refuse(cur: Target, tgt: Target, allow: bool) -> UpgradeRefusal {
    Catalog::embedded()
        .check_upgrade(&cur, &tgt, opts(allow))
        .unwrap_err()
}
fn plan(cur: Target, tgt: Target, allow: bool) -> UpgradePlan {
    Catalog::embedded()
        .check_upgrade(&cur, &tgt, opts(allow))
        .unwrap()
}

#[test]
fn refusal_messages() {
    let cases: Vec<(&str, UpgradeRefusal)> = vec![
        (
            "partial runtime",
            Target::parse_runtime("11.3").unwrap_err().into(),
        ),
        (
            "latest",
            Target::parse_runtime("latest").unwrap_err().into(),
        ),
        (
            "partial airflow",
            Target::parse_airflow("2.9").unwrap_err().into(),
        ),
        (
            "partial airflow built by hand",
            refuse(
                rt("11.3.0"),
                Target::Airflow(Version::from_str("2.9").unwrap()),
                true,
            ),
        ),
        ("unknown runtime", refuse(rt("11.3.0"), rt("3.9-1"), true)),
        ("unknown airflow", refuse(rt("11.3.0"), af("2.9.9"), true)),
        ("yanked 8.0.0", refuse(rt("7.6.0"), rt("8.0.0"), true)),
        ("yanked 9.3.0", refuse(rt("8.10.0"), rt("9.3.0"), true)),
        ("yanked 3.0-9", refuse(rt("13.4.0"), rt("3.0-9"), true)),
        ("yanked airflow", refuse(af("2.10.5"), af("3.0.5"), true)),
        ("downgrade", refuse(rt("11.3.0"), rt("9.17.0"), true)),
        (
            "downgrade af3 to af2",
            refuse(rt("3.1-12"), rt("13.4.0"), true),
        ),
        ("downgrade airflow", refuse(af("2.10.5"), af("2.9.3"), true)),
        ("same", refuse(rt("11.3.0"), rt("11.3.0"), true)),
        ("same airflow", refuse(af("2.9.1"), af("2.9.1"), true)),
        (
            "af2 to af3 from 11",
            refuse(rt("11.3.0"), rt("3.1-12"), true),
        ),
        (
            "af2 to af3 via --airflow-version",
            refuse(rt("11.3.0"), af("3.1.7"), true),
        ),
        (
            "af2 to af3 apache/airflow",
            refuse(af("2.6.3"), af("3.0.6"), true),
        ),
        (
            "end of maintenance",
            refuse(rt("11.3.0"), rt("11.8.0"), false),
        ),
        (
            "derived end of maintenance",
            refuse(rt("11.3.0"), rt("12.8.0"), false),
        ),
        (
            "airflow 2 end of life",
            refuse(af("2.9.1"), af("2.10.5"), false),
        ),
        (
            "no runtime ships it",
            refuse(rt("13.4.0"), af("2.11.1"), true),
        ),
    ];
    let text: String = cases
        .iter()
        .map(|(name, r)| format!("{name}:\n  {r}\n"))
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn downgrade_and_af3_refusals_have_their_kind() {
    assert_eq!(refuse(rt("11.3.0"), rt("9.17.0"), true).kind(), "downgrade");
    assert!(refuse(rt("11.3.0"), rt("11.3.0"), true).is_nothing_to_do());
    match refuse(rt("11.3.0"), rt("3.1-12"), true) {
        UpgradeRefusal::Airflow3TooEarly { bridge, .. } => {
            assert_eq!(bridge, "the latest 12.x/13.x (Runtime 13.11.0)")
        }
        other => panic!("{other}"),
    }
    match refuse(rt("7.6.0"), rt("8.0.0"), true) {
        UpgradeRefusal::Yanked { instead, .. } => assert!(instead.contains("8.1.0")),
        other => panic!("{other}"),
    }
}

#[test]
fn runtime_5_to_9_shows_5_6_8_and_9() {
    let p = plan(rt("5.0.0"), rt("9.7.0"), true);
    let mut lines: Vec<String> = p
        .considerations
        .iter()
        .map(|k| k.line.to_string())
        .collect();
    lines.dedup();
    assert_eq!(lines, ["5", "6", "8", "9"]);
    assert_eq!(
        p.comparison.majors_crossed,
        [
            Line::Major(6),
            Line::Major(7),
            Line::Major(8),
            Line::Major(9)
        ]
    );
    assert!(!p.comparison.is_downgrade);
    insta::assert_snapshot!(p.render());
}

#[test]
fn considerations_of_earlier_patches_are_left_out() {
    let titles = |cur: &str| -> Vec<String> {
        plan(rt(cur), rt("11.8.0"), true)
            .considerations
            .iter()
            .map(|k| k.title.clone())
            .collect()
    };
    let from_11_3 = titles("11.3.0");
    assert!(
        !from_11_3.iter().any(|t| t.contains("yanked")),
        "{from_11_3:?}"
    );
    assert!(!from_11_3.iter().any(|t| t.contains("locally")));
    let from_11_2 = titles("11.2.0");
    assert!(from_11_2.iter().any(|t| t.contains("locally")));
    assert!(!from_11_2.iter().any(|t| t.contains("yanked")));
    let from_10 = titles("10.9.0");
    assert!(from_10.iter().any(|t| t.contains("yanked")));
}

#[test]
fn af2_to_af3_plan() {
    let p = plan(rt("13.8.0"), rt("3.1-12"), false);
    assert_eq!(
        p.target_image_repository,
        Some("astrocrpublic.azurecr.io/runtime")
    );
    assert!(p.comparison.crosses_airflow_major);
    assert!(p.considerations.iter().any(|k| k.when == When::Af2ToAf3));
    insta::assert_snapshot!(p.render());
}

#[test]
fn af3_within_lines_plan() {
    let p = plan(rt("3.1-12"), rt("3.3-2"), false);
    assert!(p.considerations.iter().all(|k| k.when != When::Af2ToAf3));
    assert!(p.considerations.iter().any(|k| k.when == When::TargetAf3));
    let py = p.python.unwrap();
    assert_eq!(py.from_default.as_deref(), Some("3.12"));
    assert_eq!(py.to_default.as_deref(), Some("3.14"));
}

#[test]
fn airflow_target_resolves_to_the_newest_runtime_shipping_it() {
    let p = plan(rt("11.3.0"), af("2.9.3"), true);
    assert_eq!(
        p.target_runtime.map(|v| v.to_string()).as_deref(),
        Some("11.8.0")
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("allowed by --allow-deprecated"))
    );
    insta::assert_snapshot!(p.render());
}

#[test]
fn apache_airflow_images_get_airflow_scoped_considerations_only() {
    let p = plan(af("2.7.3"), af("3.0.6"), true);
    assert!(p.considerations.iter().all(|k| k.scope == Scope::Airflow));
    assert!(p.target_runtime.is_none());
    insta::assert_snapshot!(p.render());
}

#[test]
fn unknown_current_runtime_is_noted_not_refused() {
    let p = plan(rt("12.7.3"), rt("13.4.0"), false);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("12.7.3 is not in the catalog")),
        "{:?}",
        p.notes
    );
    // an unknown target in a known line is inferred from its neighbours, not refused
    let p = plan(rt("11.3.0"), rt("13.6.2"), true);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("Runtime 13.6.2 is not in the catalog")
                && n.contains("2.11.1, 2.11.2")),
        "{:?}",
        p.notes
    );
}

#[test]
fn comparison_helper() {
    let c = Catalog::embedded();
    let cmp = c.compare(&rt("11.3.0"), &rt("13.4.0"));
    assert_eq!(cmp.majors_crossed, [Line::Major(12), Line::Major(13)]);
    assert!(!cmp.is_downgrade && !cmp.is_same && !cmp.crosses_airflow_major);
    let down = c.compare(&rt("3.1-12"), &rt("13.4.0"));
    assert!(down.is_downgrade && down.crosses_airflow_major);
    assert_eq!(
        down.majors_crossed,
        [Line::Airflow3(3, 0), Line::Airflow3(3, 1)]
    );
    let same = c.compare(&rt("11.3.0"), &rt("11.3.0"));
    assert!(same.is_same && same.majors_crossed.is_empty());
}
