//! The official `apache/airflow` image as it is built: `skyhop freeze` of a project
//! `FROM apache/airflow:<V>-python<X.Y>` has every package Airflow's constraints file pins at
//! the pinned version, for every version whose constraints are embedded. Real resolutions
//! against the package index (seconds each once uv's cache is warm).

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::skyhop;

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

#[test]
fn freeze_of_official_images_follows_their_constraints() {
    for v in skyhop_catalog::embedded_constraints() {
        let c = skyhop_catalog::image_constraints(v).unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("dags")).unwrap();
        fs::write(
            dir.path().join("Dockerfile"),
            format!("FROM apache/airflow:{v}-python{}\n", c.python),
        )
        .unwrap();
        let run = skyhop(&["freeze", "--project", dir.path().to_str().unwrap()]);
        assert_eq!(run.code, 0, "{v}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("constraints-{v} for Python {}", c.python)),
            "{v}: {}",
            run.stderr
        );
        let freeze: BTreeMap<String, String> = run
            .stdout
            .lines()
            .filter_map(|l| l.split_once("=="))
            .map(|(n, ver)| (normalize(n), ver.trim().to_string()))
            .collect();
        let off: Vec<String> = freeze
            .iter()
            .filter_map(|(n, ver)| {
                let pin = c.pin(n)?;
                (pin != ver).then(|| format!("{n}=={ver} (constraints: {pin})"))
            })
            .collect();
        assert!(
            off.is_empty(),
            "{v}: not at the constraints' version: {off:?}"
        );
        // the image's default extras are all installed, at their pins
        for p in [
            "amazon",
            "celery",
            "cncf-kubernetes",
            "google",
            "snowflake",
            "postgres",
        ] {
            let name = format!("apache-airflow-providers-{p}");
            assert_eq!(
                freeze.get(&name).map(String::as_str),
                c.pin(&name),
                "{v}: {name}"
            );
        }
    }
}
