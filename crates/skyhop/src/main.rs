//! `skyhop`: the command-line interface. Arguments, prompts, progress bars and exit codes; every
//! business rule lives in the library crates this binary wires together.

mod classify;
mod cli;
mod commands;
mod envs;
mod progress;
mod settings;
mod target;

use std::process::ExitCode;

use clap::Parser;

// mimalloc: the Python parser of the static check allocates a lot (about 30% faster checks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, as documented in README.md and `skyhop --help`.
pub mod exit {
    /// Ok / safe.
    pub const OK: u8 = 0;
    /// Findings that break (check errors, DAG import failures, "needs changes"), a failed deploy.
    pub const FINDINGS: u8 = 1;
    /// Usage or input error, refused upgrade.
    pub const USAGE: u8 = 2;
    /// An environment could not be built.
    pub const ENV: u8 = 3;
}

/// A failure the user sees: one message (what is wrong, where, what to do) and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.to_string(),
        }
    }
    pub fn env(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::ENV,
            message: message.to_string(),
        }
    }
    pub fn findings(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::FINDINGS,
            message: message.to_string(),
        }
    }
}

/// What a command returns: the exit code on success, or a failure to print.
pub type CmdResult = Result<u8, Failure>;

fn main() -> ExitCode {
    // With mimalloc, huge pages cost more (zeroing) than they save in a short run.
    skyhop_check::no_transparent_huge_pages();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
