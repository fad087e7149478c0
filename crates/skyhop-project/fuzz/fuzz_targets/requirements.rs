//! Any bytes through the requirements.txt parser and the pinning: no panic, and the pinned text
//! parses again. packages.txt and .env parsers get the same bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use skyhop_project::{DotEnv, Packages, Requirements};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Packages::parse_str(text, "packages.txt");
    let _ = DotEnv::parse_str(text, ".env");
    // A path in an empty directory: `-r` includes find nothing rather than real files.
    let path = Path::new("/nonexistent-skyhop-fuzz/requirements.txt");
    let Ok(reqs) = Requirements::parse_str(text, path, "requirements.txt") else {
        return;
    };
    let _ = reqs.index_urls();
    let pins: Vec<(String, &str)> = reqs
        .requirements()
        .iter()
        .map(|r| (r.name.clone(), "1.0"))
        .chain([("apache-airflow-providers-new".to_string(), "2.0")])
        .collect();
    let result = reqs.pin(&pins);
    assert!(Requirements::parse_str(&result.new_text, path, "requirements.txt").is_ok());
});
