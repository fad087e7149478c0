//! Developer tool and benchmark driver: `check INDEX.json TARGET_VERSION DIR [--json]`.
//! Prints findings as text (or JSON) and the time spent checking (excluding index loading)
//! on stderr.

use std::path::PathBuf;
use std::time::Instant;

use skyhop_check::{ApiIndex, CheckOptions, check, collect_python_files, to_json, to_text};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: check INDEX.json|- TARGET_VERSION DIR [--json]");
        std::process::exit(2);
    }
    let index = (args[0] != "-").then(|| match ApiIndex::load_json(&PathBuf::from(&args[0])) {
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
    if args.iter().any(|a| a == "--json") {
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
