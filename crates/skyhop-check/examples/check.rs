//! Developer tool and benchmark driver:
//! `check (INDEX.json | --python PYTHON | -) TARGET_VERSION DIR [--json | --debug]`.
//! `--python` builds (or loads from the cache) the index of that environment; `-` checks with
//! the curated tables only. Prints findings as text (or JSON), and on stderr the time spent
//! checking (excluding the index).

use std::path::PathBuf;
use std::time::Instant;

use skyhop_check::{ApiIndex, CheckOptions, check, collect_python_files, to_json, to_text};

// The allocator the `skyhop` binary uses too: the parser allocates a lot.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    skyhop_check::no_transparent_huge_pages();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let python = match args.iter().position(|a| a == "--python") {
        Some(i) if i + 1 < args.len() => {
            let p = args.remove(i + 1);
            args[i] = "--python".into();
            Some(PathBuf::from(p))
        }
        _ => None,
    };
    if args.len() < 3 {
        eprintln!(
            "usage: check (INDEX.json | --python PYTHON | -) TARGET_VERSION DIR [--json | --debug]"
        );
        std::process::exit(2);
    }
    let loaded = match (&python, args[0].as_str()) {
        (Some(py), _) => Some(ApiIndex::build(py, "bench", &skyhop_core::NoProgress)),
        (None, "-") => None,
        (None, path) => Some(ApiIndex::load_json(&PathBuf::from(path))),
    };
    let index = loaded.map(|r| match r {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    });
    let root = PathBuf::from(&args[2]);
    let start = Instant::now();
    let (files, mut findings) = collect_python_files(std::slice::from_ref(&root), &root);
    let opts = CheckOptions {
        target_airflow: args[1].clone(),
        ..CheckOptions::default()
    };
    findings.extend(check(&files, &root, index.as_ref(), &opts));
    let elapsed = start.elapsed();
    if args.iter().any(|a| a == "--debug") {
        // Every field, related locations included: for comparing outputs byte for byte.
        println!("{findings:#?}");
    } else if args.iter().any(|a| a == "--json") {
        println!("{}", to_json(&findings));
    } else {
        print!("{}", to_text(&findings));
    }
    eprintln!(
        "checked {} files in {:.3} s: {} findings",
        files.len(),
        elapsed.as_secs_f64(),
        findings.len()
    );
}
