//! Timings of the environment layer (see `bench.sh`):
//! 1. both environments of an upgrade (Runtime 11.3.0 → 12.8.0, standard images' provider
//!    pins, plus a small project requirements.txt) resolved concurrently, index cache warm,
//!    lock cache empty;
//! 2. the same again (lock cache);
//! 3. installing a venv that is already in the cache.
//!
//! Usage: `cargo run -p skyhop-env --example bench` (uses a fresh temporary lock cache and the
//! default cache's uv; uv's own index cache stays warm).

use std::collections::BTreeMap;
use std::time::Instant;

use skyhop_core::NoProgress;
use skyhop_env::{Cache, EnvSpec, UV_VERSION, install, resolve, uv};

fn pins(list: &str) -> BTreeMap<String, String> {
    list.split_whitespace()
        .map(|p| {
            let (n, v) = p.split_once("==").expect("name==version");
            let name = if n.starts_with("astro") {
                n.to_string()
            } else {
                format!("apache-airflow-providers-{n}")
            };
            (name, v.to_string())
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let old = EnvSpec {
        airflow: "2.9.1".into(),
        python: "3.11".into(),
        base_pins: pins(
            "amazon==8.20.0 celery==3.7.0 cncf-kubernetes==8.0.1 common-io==1.3.1 common-sql==1.13.0 \
             datadog==3.6.0 elasticsearch==5.4.0 fab==1.1.0 ftp==3.9.0 google==10.17.0 http==4.11.0 \
             imap==3.6.0 microsoft-azure==9.0.1 mysql==5.6.0 openlineage==1.7.1 postgres==5.11.0 \
             redis==3.7.0 smtp==1.7.0 sqlite==3.8.0 astro-sdk-python==1.8.0 \
             astronomer-providers==1.19.0 astronomer-providers-logging==1.4.7",
        ),
        exclude_newer: Some("2024-05-07".into()),
        unavailable: vec!["astronomer-providers-logging".into()],
        ..EnvSpec::default()
    };
    let new = EnvSpec {
        airflow: "2.10.5".into(),
        python: "3.12".into(),
        base_pins: pins(
            "amazon==8.29.0 celery==3.10.5 cncf-kubernetes==8.4.2 common-compat==1.6.0 common-io==1.5.2 \
             common-sql==1.25.0 datadog==3.8.3 elasticsearch==5.5.3 fab==1.5.2 ftp==3.12.3 google==10.26.0 \
             http==4.13.3 imap==3.8.3 microsoft-azure==10.5.1 mysql==5.7.4 openlineage==1.14.0 \
             postgres==5.14.0 redis==3.8.0 smtp==1.9.0 sqlite==3.9.1 astro-sdk-python==1.8.1 \
             astronomer-providers==1.19.4",
        ),
        exclude_newer: Some("2025-03-01".into()),
        ..EnvSpec::default()
    };

    let project = tempfile::tempdir()?;
    let requirements = project.path().join("requirements.txt");
    std::fs::write(&requirements, "requests==2.32.3\nmethodtools\nsix\n")?;
    let (mut old, mut new) = (old, new);
    old.requirements = Some(requirements.clone());
    new.requirements = Some(requirements);

    // a fresh lock cache that shares the default cache's uv
    let shared = Cache::default();
    let uv_path = uv(&shared)?;
    let tmp = tempfile::tempdir()?;
    let bin = tmp.path().join(format!("uv-{UV_VERSION}")).join("bin");
    std::fs::create_dir_all(&bin)?;
    std::os::unix::fs::symlink(&uv_path, bin.join("uv"))?;
    let cache = Cache::at(tmp.path());

    let both = |cache: &Cache| -> Result<f64, String> {
        let start = Instant::now();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| resolve(&old, cache, &NoProgress));
            let b = s.spawn(|| resolve(&new, cache, &NoProgress));
            (a.join().unwrap(), b.join().unwrap())
        });
        let (a, b) = (a.map_err(|e| e.to_string())?, b.map_err(|e| e.to_string())?);
        println!(
            "  old: {} packages, apache-airflow=={}; new: {} packages, apache-airflow=={}",
            a.packages.len(),
            a.version_of("apache-airflow").unwrap_or("?"),
            b.packages.len(),
            b.version_of("apache-airflow").unwrap_or("?")
        );
        Ok(start.elapsed().as_secs_f64())
    };
    let cold = both(&cache)?;
    println!("resolve both envs concurrently, lock cache empty (index cache warm): {cold:.2} s");
    let warm = both(&cache)?;
    println!("resolve both envs again (lock cache):                             {warm:.3} s");

    let lock = resolve(&old, &shared, &NoProgress)?;
    let start = Instant::now();
    let venv = install(&lock, &shared, &NoProgress)?;
    let first = start.elapsed().as_secs_f64();
    println!("install the old env's venv (first time may build; cached after):   {first:.2} s");
    let start = Instant::now();
    install(&lock, &shared, &NoProgress)?;
    let cached = start.elapsed().as_secs_f64();
    println!("install the same venv again (cached):                             {cached:.3} s");
    for n in &venv.notes {
        println!("  note: {n}");
    }
    Ok(())
}
