//! Running short commands (`airflow db migrate`, `pg_dump`) and keeping their output tail.

use std::path::Path;
use std::process::Command;

use skyhop_dbmigrate::process::tail;

use crate::error::Result;

/// Runs `cmd` to completion; on failure the error carries the last lines of its output
/// (skyhop-dbmigrate's runner, its error as the deploy's).
pub fn run_checked(cmd: &mut Command, what: &str) -> Result<String> {
    Ok(skyhop_dbmigrate::process::run_checked(cmd, what)?)
}

/// The last `n` lines of a file (empty when it cannot be read).
pub fn tail_file(path: &Path, n: usize) -> String {
    tail(&read_end(path), n)
}

/// The last `n` lines a log got since its last line starting with `marker` (the header the
/// supervisor writes at each start), so an old run's output is not mistaken for this one's.
pub fn tail_since(path: &Path, marker: &str, n: usize) -> String {
    let text = read_end(path);
    let start = text.rfind(marker).unwrap_or(0);
    tail(&text[start..], n)
}

fn read_end(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    // Only the end matters; avoid decoding huge logs.
    let start = bytes.len().saturating_sub(64 * 1024);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}
