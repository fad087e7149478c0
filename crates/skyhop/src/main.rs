//! `skyhop`: the command-line interface. Arguments, prompts, progress bars and exit codes; every
//! business rule lives in the library crates this binary wires together.

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

// mimalloc: the Python parser of the static check allocates a lot (about 30% faster checks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use skyhop_upgrade::{Failure, exit};

/// What a command returns: the exit code on success, or a failure to print.
pub type CmdResult = Result<u8, Failure>;

fn main() -> ExitCode {
    // `skyhop ... | head`: a closed pipe ends the process quietly, as for other command-line
    // tools, instead of a panic in `println!`.
    // SAFETY: restoring the default disposition of one signal, before any thread starts.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
