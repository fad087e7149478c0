//! Running external programs (uv, python, docker) with captured output.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::EnvError;

/// `program arg arg` for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion with stdout/stderr captured; `Spawn` error when it cannot start.
pub(crate) fn output(cmd: &mut Command, hint: &str) -> Result<Output, EnvError> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|source| EnvError::Spawn {
            program: cmd.get_program().to_string_lossy().into_owned(),
            hint: hint.to_string(),
            source,
        })
}

/// Runs `cmd` and fails with its stderr when it exits non-zero.
pub(crate) fn run(cmd: &mut Command, hint: &str) -> Result<Output, EnvError> {
    let out = output(cmd, hint)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(failed(cmd, &out))
    }
}

/// The `Command` error for a finished, failed run: what was run in the user's terms (`uv pip
/// install`), the whole command line with its cache paths only with `SKYHOP_VERBOSE`, and the
/// program's own explanation (at most [`STDERR_LINES`] lines unless verbose).
pub(crate) fn failed(cmd: &Command, out: &Output) -> EnvError {
    let stderr = String::from_utf8_lossy(&out.stderr);
    EnvError::Command {
        command: if verbose() { describe(cmd) } else { short(cmd) },
        status: out.status.to_string(),
        stderr: if verbose() {
            stderr.trim_end().to_string()
        } else {
            shortened(&stderr)
        },
    }
}

/// Lines of a program's error output shown without `SKYHOP_VERBOSE`.
const STDERR_LINES: usize = 30;

/// Whether the user asked for internal details (`--verbose`, `SKYHOP_VERBOSE=1`).
pub(crate) fn verbose() -> bool {
    skyhop_core::settings::get().verbose
}

/// `uv pip install`: the program's name and its subcommand words, without options or paths.
fn short(cmd: &Command) -> String {
    let program = cmd.get_program().to_string_lossy();
    let mut s = program.rsplit('/').next().unwrap_or(&program).to_string();
    for a in cmd.get_args().take(3) {
        let a = a.to_string_lossy();
        if a.starts_with('-') || a.contains('/') || a.contains('=') {
            break;
        }
        s.push(' ');
        s.push_str(&a);
    }
    s
}

/// At most [`STDERR_LINES`] lines of `stderr`, saying how many were left out.
fn shortened(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.len() <= STDERR_LINES {
        return lines.join("\n");
    }
    format!(
        "{}\n  ... ({} more lines; --verbose shows them all)",
        lines[..STDERR_LINES].join("\n"),
        lines.len() - STDERR_LINES
    )
}

/// Like [`output`] but kills the program after `timeout` (a Docker CLI talking to a hung engine
/// must not hang skyhop). `None` when it timed out.
pub(crate) fn output_with_timeout(
    cmd: &mut Command,
    timeout: Duration,
    hint: &str,
) -> Result<Option<Output>, EnvError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| EnvError::Spawn {
            program: cmd.get_program().to_string_lossy().into_owned(),
            hint: hint.to_string(),
            source,
        })?;
    // Drain both pipes on threads so a chatty program cannot block on a full pipe.
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let t_out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = so.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let t_err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = se.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
        }
    };
    Ok(Some(Output {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    }))
}
