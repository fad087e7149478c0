//! No panic on any input: thousands of deterministic pseudo-random mutations of the fixture files
//! go through the Dockerfile, requirements, packages.txt and .env parsers (and the rewrites), and
//! through the configuration readers of every kind of file and their renames and removals.
//! The cargo-fuzz targets in `fuzz/` do the same with coverage guidance, on nightly.

use std::path::PathBuf;

use skyhop_project::{
    ConfigEdit, Dockerfile, DotEnv, NewBase, Packages, Project, Requirements, edit_config,
};

/// Iterations per parser; `SKYHOP_FUZZ_ITERS` raises it for a longer local run.
fn iterations() -> usize {
    std::env::var("SKYHOP_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

/// Seed; `SKYHOP_FUZZ_SEED` changes it for a longer local run.
fn seed(default: u64) -> u64 {
    std::env::var("SKYHOP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments that matter to the parsers.
const PIECES: &[&str] = &[
    "\\",
    "\n",
    "\r\n",
    "$",
    "${",
    "}",
    "${A:-",
    "\"",
    "'",
    "<<EOF",
    "\nEOF\n",
    "<<-X",
    "#",
    "# escape=`\n",
    "`",
    ":",
    "@",
    "@sha256:",
    "=",
    " ",
    "\t",
    "AS",
    " as x",
    "FROM ",
    "ARG A=1\n",
    "--platform=",
    "é",
    "\u{feff}",
    "-r ",
    "-c ",
    "--hash=",
    " ; ",
    "[",
    "]",
    "==",
    ">=",
    "~=",
    "(",
    ")",
    "://",
    "#egg=",
    "--index-url ",
    "\0",
    "apache/airflow:",
    "quay.io/astronomer/astro-runtime:",
    "astrocrpublic.azurecr.io/runtime:",
    "11.3.0",
    "3.1-12",
    "-python-3.11",
    "latest",
    "export ",
    "KEY=",
    "\"multi\n",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                bytes.splice(at..at, piece.iter().copied());
            }
            1 if !bytes.is_empty() => {
                let end = (at + 1 + rng.below(12)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 if at < bytes.len() => bytes[at] = (rng.next() & 0xff) as u8,
            3 => {
                // Duplicate a random slice somewhere else.
                let start = rng.below(bytes.len());
                let end = (start + rng.below(40)).min(bytes.len());
                let chunk = bytes[start..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, chunk);
            }
            4 => bytes.truncate(at),
            _ => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                bytes.extend_from_slice(piece);
            }
        }
    }
    bytes
}

fn fixtures(dir: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out
}

fn exercise_dockerfile(text: &str) {
    let Ok(df) = Dockerfile::parse(text) else {
        return;
    };
    for i in 0..df.stages().len() {
        let _ = df.stage_base(i);
    }
    let _ = df.airflow_config();
    let _ = df.final_env();
    let _ = df.base_image();
    for version in ["11.8.0", "3.1-12", "2.11.0", "2.3.0-2", "bad"] {
        if let Ok(rw) = df.with_base_version(version) {
            let again = Dockerfile::parse(&rw.text).unwrap_or_else(|e| {
                panic!(
                    "rewrite to {version} broke:\n{text:?}\n->\n{:?}\n{e}",
                    rw.text
                )
            });
            // The rewritten file runs on exactly the version asked for.
            let base = again.base_image().unwrap_or_else(|e| {
                panic!("rewrite to {version}:\n{text:?}\n->\n{:?}\n{e}", rw.text)
            });
            assert_eq!(
                base.base.version(),
                Some(version),
                "{text:?}\n->\n{:?}",
                rw.text
            );
        }
    }
    let _ = df.rewrite_base(&NewBase {
        repo: Some("quay.io/astronomer/astro-runtime".into()),
        version: "12.1.0".into(),
    });
}

fn exercise_requirements(text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requirements/x.txt");
    let Ok(reqs) = Requirements::parse_str(text, &path, "requirements.txt") else {
        return;
    };
    let _ = reqs.index_urls();
    for r in reqs.requirements() {
        let _ = r.is_pinned();
    }
    let names: Vec<(String, &str)> = reqs
        .requirements()
        .iter()
        .map(|r| (r.name.clone(), "1.0"))
        .chain([("apache-airflow-providers-new".to_string(), "2.0")])
        .collect();
    let result = reqs.pin(&names);
    if let Err(e) = Requirements::parse_str(&result.new_text, &path, "requirements.txt") {
        panic!(
            "pin broke the file:\n{text:?}\n->\n{:?}\n{e}",
            result.new_text
        );
    }
}

#[test]
fn dockerfile_parser_never_panics() {
    let mut rng = Rng(seed(0x5eed_d0c4_e7f1_1e00));
    let bases = fixtures("dockerfiles");
    for _ in 0..iterations() {
        let base = &bases[rng.below(bases.len())];
        let bytes = mutate(&mut rng, base);
        exercise_dockerfile(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn requirements_parser_never_panics() {
    let mut rng = Rng(seed(0x0123_4567_89ab_cdef));
    let bases = fixtures("requirements");
    for _ in 0..iterations() {
        let base = &bases[rng.below(bases.len())];
        let bytes = mutate(&mut rng, base);
        let text = String::from_utf8_lossy(&bytes);
        exercise_requirements(&text);
        let _ = Packages::parse_str(&text, "packages.txt");
        let _ = DotEnv::parse_str(&text, ".env");
    }
}

#[test]
fn config_readers_and_edits_never_panic() {
    let mut rng = Rng(seed(0x00c0_f1a5_0011_2233));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config");
    // fixture file -> where it goes in a project
    let places = [
        ("docker-compose.yaml", "docker-compose.yaml"),
        ("values.yaml", "chart/values.yaml"),
        ("airflow.cfg", "airflow.cfg"),
        ("dotenv", ".env"),
        ("Dockerfile", "Dockerfile"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for _ in 0..iterations() / 4 {
        let (fixture, place) = places[rng.below(places.len())];
        let base = std::fs::read(dir.join(fixture)).unwrap();
        let text = String::from_utf8_lossy(&mutate(&mut rng, &base)).into_owned();
        let root = tmp.path().join("p");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("chart")).unwrap();
        std::fs::write(root.join(place), &text).unwrap();
        let Ok(project) = Project::load(&root) else {
            continue;
        };
        let _ = project.config_problems();
        for s in project.config_settings() {
            for edit in [
                ConfigEdit::Rename {
                    section: "api".into(),
                    key: "port".into(),
                },
                ConfigEdit::Rename {
                    section: s.section.clone(),
                    key: "renamed".into(),
                },
                ConfigEdit::Remove,
            ] {
                let _ = edit_config(&text, &s, &edit);
            }
        }
    }
}
