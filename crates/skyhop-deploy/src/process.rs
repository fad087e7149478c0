//! Running short commands (`airflow db migrate`, `pg_dump`) and keeping their output tail.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{DeployError, Result};

/// Runs `cmd` to completion; on failure the error carries the last lines of its output.
pub fn run_checked(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| DeployError::Command {
            command: what.to_string(),
            status: format!("could not start: {e}"),
            tail: String::new(),
        })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(DeployError::Command {
            command: what.to_string(),
            status: out.status.to_string(),
            tail: tail(&text, 20),
        })
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
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
