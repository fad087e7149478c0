//! Running short commands (`pg_dump`, `initdb`, `psql`; skyhop-deploy's `airflow` steps too) and keeping
//! their output tail.

use std::process::{Command, Stdio};

use crate::error::{DbError, Result};

/// Runs `cmd` to completion; on failure the error carries the last lines of its output.
pub fn run_checked(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| DbError::Command {
            command: what.to_string(),
            status: format!("could not start: {e}"),
            tail: String::new(),
        })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(DbError::Command {
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
