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

/// The `Command` error for a finished, failed run.
pub(crate) fn failed(cmd: &Command, out: &Output) -> EnvError {
    EnvError::Command {
        command: describe(cmd),
        status: out.status.to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
    }
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
