//! One module per command family; [`run`] dispatches.

mod astro;
mod basic;
mod cache;
mod db;
mod deploy;
mod fix;
mod lint;
mod providers;
mod shell;
mod ui;
mod upgrade;
mod upgrade_test;

use std::io::{BufRead, IsTerminal, Write};

use skyhop_project::Project;

use crate::cli::{Cli, Command};
use crate::{CmdResult, Failure};

pub fn run(cli: Cli) -> CmdResult {
    let from_env = skyhop_core::settings::Settings::from_env();
    let g = cli.global;
    if let Some(py) = g.python.as_ref().or(from_env.python.as_ref()) {
        let ok = py.split_once('.').is_some_and(|(a, b)| {
            a == "3" && !b.is_empty() && b.chars().all(|c| c.is_ascii_digit())
        });
        if !ok {
            return Err(Failure::usage(format!(
                "--python {py}: give a Python version as X.Y, e.g. 3.12"
            )));
        }
    }
    skyhop_core::settings::set(skyhop_core::settings::Settings {
        offline: g.offline || from_env.offline,
        verbose: g.verbose || from_env.verbose,
        python: g.python.or(from_env.python),
        index_url: g.index_url.or(from_env.index_url),
        extra_index_urls: if g.extra_index_url.is_empty() {
            from_env.extra_index_urls
        } else {
            g.extra_index_url
        },
    });
    match cli.command {
        Command::Versions(a) => basic::versions(a),
        Command::Upgrade(a) => upgrade::upgrade(a),
        Command::UpgradeTest(a) => upgrade_test::upgrade_test(a),
        Command::Check(a) => lint::check(a),
        Command::Parse(a) => lint::parse(a),
        Command::Freeze(a) => basic::freeze(a),
        Command::Compare(a) => basic::compare(a),
        Command::PinProviders(a) => basic::pin_providers(a),
        Command::Rule(a) => lint::rule(a),
        Command::Dev(c) => deploy::dev(c),
        Command::Deployment(c) => deploy::deployment(c),
        Command::Deploy(a) => deploy::deploy(a),
        Command::Rollback(a) => deploy::rollback(a),
        Command::Astro(c) => astro::astro(c),
        Command::Ui(a) => ui::ui(a),
        Command::Db(c) => db::db(c),
        Command::Cache(c) => cache::cache(c),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
    }
}

/// Loads the project in `dir`; a bad file is a usage error naming the file and line.
pub fn load_project(arg: &crate::cli::ProjectArg) -> Result<Project, Failure> {
    let dir = &arg.project;
    // Absolute, so that paths handed to other processes mean the same there.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut project =
        Project::load(&dir).map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
    if let Some(v) = &arg.from_airflow_version {
        project.declared_airflow = Some(v.clone());
    }
    project.platform = arg.platform;
    Ok(project)
}

/// Asks a yes/no question on the terminal; `false` when stdin is not a terminal.
pub fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// How a command that changes files may write: `dry` (`--dry-run` / `--diff`) prints the diff
/// only; without `yes` the diff is shown and a terminal is asked.
pub struct Consent<'a> {
    pub dry: bool,
    pub yes: bool,
    /// The flag that shows the diff only, for the message without a terminal.
    pub dry_flag: &'a str,
}

impl Consent<'_> {
    /// Whether to go on and write, after showing `diff` as needed: `Ok(false)` when the user
    /// (or `dry`) says no, an error when there is no terminal to ask.
    pub fn ask(&self, diff: &str, question: &str) -> Result<bool, Failure> {
        if self.dry {
            print!("{diff}");
            eprintln!("{}: nothing written", self.dry_flag);
            return Ok(false);
        }
        if self.yes {
            return Ok(true);
        }
        print!("{diff}");
        if confirm(question) {
            return Ok(true);
        }
        if std::io::stdin().is_terminal() {
            eprintln!("nothing written");
            return Ok(false);
        }
        Err(Failure::usage(format!(
            "not a terminal, so nothing was written: pass --yes to write, or {} to only see the changes",
            self.dry_flag
        )))
    }
}
