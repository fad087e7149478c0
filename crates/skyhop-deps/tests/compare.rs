//! End-to-end tests of the compare on freeze files: the seed example and a downgrade.

use skyhop_core::Lock;
use skyhop_deps::{ChangeKind, Section, compare};

fn lock(name: &str) -> Lock {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    Lock::from_freeze(&text, "freeze").expect("fixture is a valid freeze")
}

#[test]
fn seed_example_comes_out_exactly() {
    let cmp = compare(&lock("seed_old.txt"), &lock("seed_new.txt"));
    let text = cmp.to_text();
    assert_eq!(
        text,
        "Apache Airflow Update:\n\
         apache-airflow 2.9.0+astro.2 >> 2.9.1+astro.1\n\
         \n\
         Airflow Providers Minor Updates:\n\
         apache-airflow-providers-celery 3.6.2 >> 3.7.0\n\
         \n\
         Unknown Updates:\n\
         msrestazure 0.6.4 >> 0.6.4.post1\n\
         \n\
         Added Packages:\n\
         methodtools==0.4.7\n\
         \n"
    );
    insta::assert_snapshot!("seed_text", text);
    insta::assert_snapshot!("seed_json", cmp.to_json());
}

#[test]
fn downgrade_lands_in_downgrade_sections() {
    let cmp = compare(&lock("downgrade_old.txt"), &lock("downgrade_new.txt"));
    insta::assert_snapshot!("downgrade_text", cmp.to_text());
    let kind = |n: &str| cmp.get(n).map(|c| (c.kind, c.section));
    assert_eq!(
        kind("apache-airflow"),
        Some((ChangeKind::Downgrade, Section::AirflowUpdate))
    );
    assert_eq!(
        kind("apache-airflow-providers-amazon"),
        Some((ChangeKind::Downgrade, Section::ProviderDowngrades))
    );
    assert_eq!(
        kind("Flask_AppBuilder"),
        Some((ChangeKind::Downgrade, Section::Downgrades))
    );
    assert_eq!(
        kind("my-wheel"),
        Some((ChangeKind::Unknown, Section::Unknown))
    );
    assert_eq!(kind("grpcio"), None);
    assert!(
        cmp.changes.iter().all(|c| !matches!(
            c.kind,
            ChangeKind::Major | ChangeKind::Minor | ChangeKind::Patch
        )),
        "nothing in a pure downgrade is an upgrade: {}",
        cmp.to_text()
    );
}

#[test]
fn identical_locks_compare_empty() {
    let cmp = compare(&lock("seed_old.txt"), &lock("seed_old.txt"));
    assert!(cmp.is_empty());
    assert_eq!(cmp.to_text(), "");
}
