//! Any bytes through the Dockerfile parser, the classification and the rewrites: no panic, and
//! a successful rewrite parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skyhop_project::{Dockerfile, NewBase};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(df) = Dockerfile::parse(text) else {
        return;
    };
    for i in 0..df.stages().len() {
        let _ = df.stage_base(i);
    }
    let _ = df.airflow_config();
    for version in ["11.8.0", "3.1-12", "2.11.0"] {
        if let Ok(rw) = df.with_base_version(version) {
            assert!(Dockerfile::parse(&rw.text).is_ok());
        }
    }
    let _ = df.rewrite_base(&NewBase {
        repo: Some("quay.io/astronomer/astro-runtime".into()),
        version: "12.1.0".into(),
    });
});
