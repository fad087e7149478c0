//! `completions` and `man`: generated from the clap definitions, so they never drift from
//! `--help`.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::{CmdResult, Failure, exit};

pub fn completions(args: CompletionsArgs) -> CmdResult {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "skyhop", &mut std::io::stdout());
    Ok(exit::OK)
}

pub fn man(args: ManArgs) -> CmdResult {
    let cmd = Cli::command();
    let Some(dir) = args.dir else {
        let mut out = std::io::stdout();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| Failure::usage(format!("cannot write the man page: {e}")))?;
        return Ok(exit::OK);
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::usage(format!("{}: cannot create: {e}", dir.display())))?;
    write_pages(cmd, &dir)?;
    eprintln!("wrote the man pages into {}", dir.display());
    Ok(exit::OK)
}

/// `skyhop.1` and, for every subcommand, `skyhop-<sub>.1` (recursively: `skyhop-cache-prune.1`).
fn write_pages(cmd: clap::Command, dir: &Path) -> Result<(), Failure> {
    clap_mangen::generate_to(cmd, dir).map_err(|e| {
        Failure::usage(format!(
            "{}: cannot write the man pages: {e}",
            dir.display()
        ))
    })
}
